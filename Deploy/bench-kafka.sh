#!/usr/bin/env bash
# Kafka throughput on this machine: skucast's producer, then skucast's consumer beside
# kcat -C -e (built against the same librdkafka) reading the same topic.
#
#   Deploy/bench-kafka.sh [MESSAGES] [RUNS]     default 1000000 messages of ~150 bytes, 3 runs
#
# Starts its own dev broker on SKUCAST_BENCH_PORT (default 19300) and stops it after.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
messages="${1:-1000000}"
runs="${2:-3}"
port="${SKUCAST_BENCH_PORT:-19300}"
export SKUCAST_SKIP_TOPICS=1
. "$here/bench-common.sh"
bench_start "$port" skucast-bench
bench="$bin/skucast-bench"
kcat="$("$here/kcat.sh")"
tansu="$("$here/dev-broker.sh" install)"
trap '"$here/dev-broker.sh" stop >/dev/null 2>&1' EXIT
"$tansu" topic create bench --broker "tcp://127.0.0.1:$port" --partitions 6 >/dev/null

echo "librdkafka $(pkg-config --modversion rdkafka), $(nproc) cores, broker: Tansu (in memory) on the same machine"
"$bench" produce --brokers "127.0.0.1:$port" --messages "$messages"

# kcat's producer on the same messages and settings, into a second topic, for scale.
"$tansu" topic create bench-kcat --broker "tcp://127.0.0.1:$port" --partitions 6 >/dev/null
lines="$(mktemp)"
python3 - "$messages" >"$lines" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    k = 10000 + (i % 4000) * 7 % 89999
    sku = f"{k}A" if (i % 4000) % 3 == 0 else str(k)
    v = f'{{"order_id":"{536365 + i // 20}","line":{i % 20 + 1}","sku":"{sku}","quantity":{i % 12 + 1},"kind":"sale","unit_price":2.55,"currency":"GBP","event_time":"2011-01-01T00:00:00Z"'
    print(f"{sku}\t{v.ljust(149)}}}")
PY
t0=$(date +%s.%N)
"$kcat" -P -b "127.0.0.1:$port" -t bench-kcat -K $'\t' -X enable.idempotence=true -X partitioner=murmur2_random -X linger.ms=5 -l "$lines"
t1=$(date +%s.%N)
rm -f "$lines"
python3 -c "import sys; n,a,b=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]); print(f'kcat -P (same settings): {n} messages in {b-a:.2f} s: {n/(b-a):,.0f} msg/s')" "$messages" "$t0" "$t1"
echo "kcat sees $("$kcat" -C -b "127.0.0.1:$port" -t bench -o beginning -e -q -f '\n' | wc -l) messages"

now() { date +%s.%N; }
for i in $(seq 1 "$runs"); do
  t0=$(now); out="$("$bench" consume --brokers "127.0.0.1:$port")"; t1=$(now)
  "$kcat" -C -b "127.0.0.1:$port" -t bench -o beginning -e -q >/dev/null; t2=$(now)
  python3 - "$messages" "$t0" "$t1" "$t2" "$out" <<'PY'
import sys
n, t0, t1, t2, out = int(sys.argv[1]), *map(float, sys.argv[2:5]), sys.argv[5]
swift, kcat = n / (t1 - t0), n / (t2 - t1)
print(f"run: skucast consumer {swift:,.0f} msg/s ({t1-t0:.2f} s wall, process start to exit) | kcat -C -e {kcat:,.0f} msg/s ({t2-t1:.2f} s) | ratio {swift/kcat:.2f}   [{out}]")
PY
done
