#!/usr/bin/env bash
# Recovery after kill -9 with a large state: N SKUs (default 1,000,000) with a day of
# sales consumed by `skucast run`, a checkpoint, kill -9, restart; the time from the
# restart until /readyz says the partitions are restored and caught up (processing again).
#
#   Deploy/bench-recovery.sh [SKUS] [SESSION_MS]     default 1000000 SKUs, session timeout 3000 ms
#
# SKUCAST_RUN_ARGS="--state-store kafka" keeps the snapshots in the state topic instead of
# the state directory (the restart then reads them from the broker).
#
# A killed member stays in the group until its session times out, so the restart waits
# about that long for the rebalance before restoring anything.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
skus="${1:-1000000}"
session="${2:-3000}"
port="${SKUCAST_BENCH_PORT:-19340}"
http=19341
. "$here/bench-common.sh"
bench_start "$port" skucast skucast-bench
state="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; "$here/dev-broker.sh" stop >/dev/null 2>&1; rm -rf "$state"' EXIT
"$bin/skucast-bench" many-skus --brokers "127.0.0.1:$port" --skus "$skus" --days 1
run() {
  "$bin/skucast" run --brokers "127.0.0.1:$port" --group recovery --state-dir "$state" --session-timeout-ms "$session" \
    --checkpoint-seconds 3600 --checkpoint-events 100000000 --http-port "$http" --log-level info ${SKUCAST_RUN_ARGS:-} >>"$state/run.log" 2>&1 &
  pid=$!
}
ready() { curl -fsS "http://127.0.0.1:$http/readyz" >/dev/null 2>&1; }
run
until ready; do sleep 0.5; done
# A checkpoint of everything: SIGTERM would do it too, but then nothing is left to kill.
# The first instance stops gracefully (final checkpoint), the second restores and is killed.
kill -TERM $pid; wait $pid || true
du -sh "$state/recovery" 2>/dev/null | sed 's/^/snapshots: /' || echo "snapshots: in the state topic"
run
until ready; do sleep 0.2; done
sleep 1
kill -9 $pid; wait $pid 2>/dev/null || true
t0=$(date +%s.%N)
run
until ready; do sleep 0.05; done
t1=$(date +%s.%N)
python3 -c "print(f'recovery after kill -9 with $skus SKUs: {$t1-$t0:.2f} s until /readyz (session timeout ${session} ms)')"
grep -E "snapshots loaded|partitions assigned|partitions lost|partitions revoked" "$state/run.log" | tail -3 | cut -c1-200
grep -E "checkpoint|snapshot" "$state/run.log" | grep -v "snapshots loaded" | tail -2 | cut -c1-200 || true
