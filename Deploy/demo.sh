#!/usr/bin/env bash
# The main job, on a fresh machine: builds what is missing, starts the dev broker, creates
# skucast's topics, replays the real Online Retail order log into `orders`, reads it back,
# and forecasts the same data with the engine (a scored backtest). The live service that
# forecasts from the topic comes with `skucast run`.
#
#   Deploy/demo.sh [ROWS]     ROWS of the file to replay (default: all 541,909)
#
# Environment: SKUCAST_DATA (the CSV, default ../shared/data/online-retail/…),
# SKUCAST_BROKER_PORT (default 19092), SKUCAST_KEEP_BROKER=1 to leave the broker running.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"
rows="${1:-}"
data="${SKUCAST_DATA:-$root/../shared/data/online-retail/online_retail_2010_2011.csv}"
port="${SKUCAST_BROKER_PORT:-19092}"
brokers="127.0.0.1:$port"
step() { echo "== $*" >&2; }

[ -f "$data" ] || { echo "demo.sh: no data at $data (set SKUCAST_DATA)" >&2; exit 1; }
step "librdkafka"
eval "$("$here/librdkafka.sh")"
step "build (release)"
swift build -c release --product skucast >&2
export SKUCAST_BIN="$(swift build -c release --show-bin-path)/skucast"
step "dev broker on $brokers, topics from Topics/"
export SKUCAST_BROKER_PORT="$port"
"$here/dev-broker.sh" start >/dev/null
[ "${SKUCAST_KEEP_BROKER:-0}" = 1 ] || trap '"$here/dev-broker.sh" stop' EXIT
"$SKUCAST_BIN" topics check --brokers "$brokers"
step "replay $(basename "$data")${rows:+ (first $rows rows)} into orders"
"$SKUCAST_BIN" load --brokers "$brokers" --csv "$data" ${rows:+--limit "$rows"}
step "read orders back"
"$SKUCAST_BIN" consume --brokers "$brokers" --topic orders --print 5
step "forecast the same data with the engine (retail-daily-v1 backtest: every model, scored)"
"$SKUCAST_BIN" backtest --csv "$data"
