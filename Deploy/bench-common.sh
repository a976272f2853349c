# Sourced by the bench scripts (not run): the part they share.
#
#   bench_start PORT PRODUCT...
#
# Builds librdkafka (if needed) and the products in release, sets `bin` to the folder
# holding them, and (re)starts the dev broker on PORT with skucast's topics
# (SKUCAST_SKIP_TOPICS=1: the broker alone). Callers set `here` and `root` first.
bench_start() {
  local port="$1"
  shift
  eval "$("$here/librdkafka.sh")"
  # One product per build: given several --product flags, swift build builds only the last.
  for p in "$@"; do (cd "$root" && swift build -c release --product "$p" >&2); done
  bin="$(cd "$root" && swift build -c release --show-bin-path)"
  export SKUCAST_BROKER_PORT="$port" SKUCAST_BIN="$bin/skucast"
  "$here/dev-broker.sh" stop >/dev/null 2>&1 || true
  "$here/dev-broker.sh" start >/dev/null
}
