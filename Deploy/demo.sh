#!/usr/bin/env bash
# The main job, on a fresh machine: builds what is missing, starts the dev broker, creates
# skucast's topics, starts the service (`skucast run`), replays the real Online Retail
# order log into `orders` (with made-up stock counts into `inventory`, marked synthetic,
# since the log has none) and prints forecasts and restock alerts as the service
# publishes them. Then asks the running service about its open alerts and one SKU,
# runs the scored backtest of the same data with the restock policy simulated, writes
# the HTML report, names the live page (and, at a terminal, waits for Enter), and stops
# the service gracefully.
#
#   Deploy/demo.sh [ROWS]     ROWS of the file to replay (default: all 541,909)
#
# Environment: SKUCAST_DATA (the CSV, default ../shared/data/online-retail/…),
# SKUCAST_BROKER_PORT (default 19092), SKUCAST_HTTP_PORT (default 9464), SKUCAST_DEMO_SKU
# (the SKU asked about, default 85123A),
# SKUCAST_KEEP_BROKER=1 to leave the broker running. Set-up output (apt, librdkafka's
# build, the compiler, the broker) goes to Deploy/.local/demo-setup.log: one line per
# step with its time here, and the log's end if a step fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"
rows="${1:-}"
data="${SKUCAST_DATA:-$root/../shared/data/online-retail/online_retail_2010_2011.csv}"
port="${SKUCAST_BROKER_PORT:-19092}"
http="${SKUCAST_HTTP_PORT:-9464}"
brokers="127.0.0.1:$port"
step() { echo "== $*" >&2; }
setup_log="$here/.local/demo-setup.log"
mkdir -p "$here/.local"
: >"$setup_log"
# quiet WHAT COMMAND…: a set-up step, its output to the log, one line with its time.
quiet() {
  local what="$1" start=$SECONDS
  shift
  printf '== %s … ' "$what" >&2
  if "$@" >>"$setup_log" 2>&1; then
    echo "done ($((SECONDS - start)) s)" >&2
  else
    echo "failed after $((SECONDS - start)) s; the end of $setup_log:" >&2
    tail -n 40 "$setup_log" >&2
    exit 1
  fi
}

[ -f "$data" ] || { echo "demo.sh: no data at $data (set SKUCAST_DATA)" >&2; exit 1; }
rdkafka_env="$(mktemp)"
quiet "librdkafka 2.8.0 (built once from Debian's source package)" sh -c "'$here/librdkafka.sh' >'$rdkafka_env'"
eval "$(cat "$rdkafka_env")"
rm -f "$rdkafka_env"
quiet "build skucast (release)" swift build -c release --product skucast
export SKUCAST_BIN="$(swift build -c release --show-bin-path)/skucast"
export SKUCAST_BROKER_PORT="$port"
quiet "dev broker (Tansu) on $brokers" "$here/dev-broker.sh" start
state="$(mktemp -d)"
service=""
cleanup() {
  [ -n "$service" ] && kill "$service" 2>/dev/null || true
  [ "${SKUCAST_KEEP_BROKER:-0}" = 1 ] || "$here/dev-broker.sh" stop
  rm -rf "$state"
}
trap cleanup EXIT
"$SKUCAST_BIN" topics check --brokers "$brokers"

step "skucast run (group demo, snapshots in $state, http://127.0.0.1:$http/metrics)"
"$SKUCAST_BIN" run --brokers "$brokers" --group demo --state-dir "$state" --http-port "$http" --log-level notice >"$state/run.log" 2>&1 &
service=$!
step "replay $(basename "$data")${rows:+ (first $rows rows)} into orders, synthetic stock counts into inventory"
"$SKUCAST_BIN" load --brokers "$brokers" --csv "$data" --inventory synthetic ${rows:+--limit "$rows"}
step "forecasts and restock alerts as skucast publishes them (a sample of forecasts, alerts raised and resolved)"
"$SKUCAST_BIN" watch --brokers "$brokers" --idle 5 --forecast-every 0.5 --max-alerts 30
if command -v curl >/dev/null; then
  step "the service's metrics"
  curl -fsS "http://127.0.0.1:$http/metrics" | grep -E '^skucast_(events_in|events_rejected_total\{reason="too_late"|forecasts_out|alerts_out|open_alerts|forecast_error|snapshot_bytes|consumer_lag)' || true
  step "ask the service (interactive queries): the most severe open alerts, and one SKU"
  alerts_summary=$(cat <<'PY'
import json, sys
a = json.load(sys.stdin)
print(f"{a['total']} open alerts in partitions {a['partitions']}; the most severe:")
for x in a["alerts"]:
    print(f"  {x['sku']}: {x['severity']}, position {x['projected_position']:.0f} against reorder point {x['reorder_point']:.0f}; order {x['suggested_order_quantity']:.0f}")
PY
)
  sku_summary=$(cat <<'PY'
import json, sys
s = json.load(sys.stdin)
f = s.get("forecast")
if not f:
    print(f"{s['sku']}: no forecast yet")
    sys.exit()
week = sum(h["mean"] for h in f["horizon"][:7])
lead = f["lead_time_demand"]
stock = s.get("stock") or {}
alert = s.get("alert") or {}
weights = sorted(f["model"]["weights"].items(), key=lambda kv: -kv[1])[:3]
quantiles = ", ".join(f"{k} {v:.0f}" for k, v in lead["quantiles"].items())
print(f"{s['sku']} (partition {s['partition']}): from {f['origin'][:10]}, next 7 days {week:.1f} units; {lead['lead_time_days']:g}-day lead-time demand {lead['mean']:.1f} ({quantiles})")
print(f"  stock on hand {stock.get('on_hand', 'unknown')} (synthetic counts), alert {alert.get('severity', 'none')}; top weights " + ", ".join(f"{k} {v:.2f}" for k, v in weights))
PY
)
  curl -fsS "http://127.0.0.1:$http/alerts?limit=3" | python3 -c "$alerts_summary" || true
  sku="${SKUCAST_DEMO_SKU:-85123A}"
  curl -fsS "http://127.0.0.1:$http/skus/$sku" | python3 -c "$sku_summary" || true
fi
report="$here/.local/report.html"
step "backtest: the same data through the same engine, scored (retail-daily-v1), restock policies simulated, HTML report"
"$SKUCAST_BIN" backtest --csv "$data" ${rows:+--limit "$rows"} --inventory synthetic --initial-stock reorder-point --report "$report"
step "open the report: file://$report"
step "the live page (open alerts, SKU search): http://127.0.0.1:$http/"
if [ -t 0 ]; then
  read -r -p "press Enter to stop the service and the broker " _ || true
fi
step "graceful stop (SIGTERM: checkpoint, commit, leave)"
kill -TERM "$service"
wait "$service" || { cat "$state/run.log" >&2; exit 1; }
service=""
tail -n 1 "$state/run.log"
