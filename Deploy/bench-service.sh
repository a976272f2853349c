#!/usr/bin/env bash
# End to end through `skucast run` on this machine: the real Online Retail log (with
# synthetic stock counts) replayed into the dev broker, then consumed by the service
# (decode, engine, forecasts, alerts, checkpoints) and, beside it, read by
# `kcat -C -e` (built against the same librdkafka) from the same topics.
#
#   Deploy/bench-service.sh [RUNS]      default 3
#
# Each run measures every output setting in SKUCAST_OUTPUTS (;-separated `skucast run`
# flags), by default JSON and Protocol Buffers values, both zstd-compressed.
#
# skucast's figure is its own: wall time from the first input message fetched to the
# last one processed (it excludes the group join, which takes about half the session
# timeout on the dev broker). kcat's is process start to exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
runs="${1:-3}"
port="${SKUCAST_BENCH_PORT:-19320}"
data="${SKUCAST_DATA:-$root/../shared/data/online-retail/online_retail_2010_2011.csv}"
. "$here/bench-common.sh"
bench_start "$port" skucast
skucast="$bin/skucast"
kcat="$("$here/kcat.sh")"
state="$(mktemp -d)"
trap '"$here/dev-broker.sh" stop >/dev/null 2>&1; rm -rf "$state"' EXIT
b="127.0.0.1:$port"
"$skucast" load --brokers "$b" --csv "$data" --inventory synthetic
echo "librdkafka $(pkg-config --modversion rdkafka), $(nproc) cores, broker: Tansu (in memory) on the same machine"
for run in $(seq 1 "$runs"); do
  t0=$(date +%s.%N)
  n=$( { "$kcat" -C -e -q -b "$b" -t orders -o beginning -f '\n'; "$kcat" -C -e -q -b "$b" -t inventory -o beginning -f '\n'; } | wc -l)
  t1=$(date +%s.%N)
  python3 -c "print(f'kcat -C -e (orders, then inventory): {int($n)} messages in {$t1-$t0:.2f} s: {int($n/($t1-$t0))} msg/s')"
  IFS=';' read -ra outputs <<<"${SKUCAST_OUTPUTS:---output-encoding json;--output-encoding protobuf}"
  for output in "${outputs[@]}"; do
    # shellcheck disable=SC2086
    "$skucast" run --brokers "$b" --group "bench-$run-$RANDOM" --state-dir "$state/$run-$RANDOM" \
      --session-timeout-ms 2000 --stop-when-idle 1 --http-port 0 --log-level warning $output \
      | sed "s/^/skucast run $output: /"
  done
done
