#!/usr/bin/env bash
# Alert latency through `skucast run` on this machine (dev broker on the same cores):
# orders at a steady rate stamped with the wall clock; p50/p99 from producing the order
# that crosses a reorder point to consuming its alert; then, in the same run, one hop
# through the broker alone (the orders themselves consumed) for comparison. With the
# first, the service's own share over the measured period, from its histogram
# skucast_alert_latency_seconds (poll that fetched the order to the alert handed to the
# producer) read from /metrics at the period's start and end.
#
#   Deploy/bench-latency.sh [RATE] [SECONDS]     default 10000 orders/s for 20 s
#
# SKUCAST_RUN_ARGS adds flags to `skucast run`: "--max-hold-ms 0 --realtime-priority 10" for
# the lowest latency the service can own here (no wait for the other input; the poll loop
# not left waiting for a core that the broker and this bench share).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
rate="${1:-10000}"
seconds="${2:-20}"
port="${SKUCAST_BENCH_PORT:-19330}"
. "$here/bench-common.sh"
bench_start "$port" skucast skucast-bench
state="$(mktemp -d)"
"$bin/skucast" run --brokers "127.0.0.1:$port" --group latency --state-dir "$state" --session-timeout-ms 2000 \
  --http-port "$((port + 1))" --log-level warning ${SKUCAST_RUN_ARGS:-} >"${SKUCAST_RUN_LOG:-$state/run.log}" 2>&1 &
service=$!
trap 'kill -TERM $service 2>/dev/null; wait $service 2>/dev/null; "$here/dev-broker.sh" stop >/dev/null 2>&1; rm -rf "$state"' EXIT
sleep 3
"$bin/skucast-bench" alert-latency --brokers "127.0.0.1:$port" --rate "$rate" --seconds "$seconds" \
  --metrics "http://127.0.0.1:$((port + 1))/metrics" ${SKUCAST_LATENCY_ARGS:-}
"$bin/skucast" topics apply --brokers "127.0.0.1:$port" --topic-prefix hop. >/dev/null
"$bin/skucast-bench" alert-latency --brokers "127.0.0.1:$port" --rate "$rate" --seconds "$seconds" --baseline \
  --topic-prefix hop. ${SKUCAST_LATENCY_ARGS:-}
