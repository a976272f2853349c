#!/usr/bin/env bash
# Failover between two instances that keep their snapshots in the state topic (as on two
# machines): N SKUs (default 1,000,000) with a day of sales, consumed by instances a and b
# of one group; once both have checkpointed, a is killed with -9 and the time is taken
# until b owns every partition (restored) and has caught up. Run once without and once
# with standby copies (`skucast run --standby`).
#
#   Deploy/bench-failover.sh [SKUS] [SESSION_MS]     default 1000000 SKUs, session timeout 3000 ms
#
# A killed member stays in the group until its session times out, so b waits about that
# long for the rebalance before restoring anything.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
skus="${1:-1000000}"
session="${2:-3000}"
port="${SKUCAST_BENCH_PORT:-19360}"
. "$here/bench-common.sh"
bench_start "$port" skucast skucast-bench
state="$(mktemp -d)"
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; "$here/dev-broker.sh" stop >/dev/null 2>&1; rm -rf "$state"' EXIT
"$bin/skucast-bench" many-skus --brokers "127.0.0.1:$port" --skus "$skus" --days 1
metric() { curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null | awk -v m="$2" '$1 == m { print $2 + 0 }'; }
for mode in "" "--standby"; do
  group="failover$RANDOM"
  start() {
    "$bin/skucast" run --brokers "127.0.0.1:$port" --group "$group" --state-dir "$state/$1" --state-store kafka \
      --session-timeout-ms "$session" --checkpoint-seconds 5 --http-port "$2" --log-level info $mode \
      >"$state/$1.log" 2>&1 &
    pids+=($!)
  }
  start a 19371
  a=${pids[-1]}
  start b 19372
  until curl -fsS http://127.0.0.1:19371/readyz >/dev/null 2>&1 && curl -fsS http://127.0.0.1:19372/readyz >/dev/null 2>&1; do
    sleep 0.5
  done
  sleep 12 # both checkpoint (every 5 s while anything is new) and, with --standby, follow
  kill -9 "$a"
  t0=$(date +%s.%N)
  until [ "$(metric 19372 skucast_partitions_assigned)" = "6" ] && [ "$(metric 19372 skucast_consumer_lag_messages)" = "0" ]; do
    sleep 0.05
  done
  t1=$(date +%s.%N)
  python3 -c "print(f'failover {\"with standby copies\" if \"$mode\" else \"reading the state topic\"}, $skus SKUs: {$t1-$t0:.2f} s from kill -9 of a until b owns all six partitions, restored and caught up (session timeout ${session} ms)')"
  grep -E "snapshots loaded" "$state/b.log" | tail -1 | cut -c1-160
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  pids=()
  sleep 1
done
