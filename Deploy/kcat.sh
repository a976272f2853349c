#!/usr/bin/env bash
# Builds kcat from Debian trixie's source package against the librdkafka of
# Deploy/librdkafka.sh, into the same git-ignored prefix. Used only by benchmarks, so
# that skucast's consumer is compared with kcat on the very same librdkafka.
# Prints the path of the kcat binary.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
eval "$("$here/librdkafka.sh")"
prefix="$SKUCAST_LIBRDKAFKA_PREFIX"
log() { echo "kcat.sh: $*" >&2; }
if [ ! -x "$prefix/bin/kcat" ]; then
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
  # kcat's source package is named kafkacat; bookworm's (1.7.1) is the same upstream
  # release as trixie's and is always on the mirror.
  src_list=/etc/apt/sources.list.d/skucast-bookworm-src.list
  if [ ! -f "$src_list" ]; then
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" > "$src_list"
    apt-get update -qq >&2
  fi
  # Only the upstream tarball is needed (Debian's packaging is not, and the mirror does
  # not always carry it).
  log "fetching the upstream source of kafkacat/bookworm"
  orig="$(apt-get source --print-uris -qq kafkacat/bookworm | grep -o "'[^']*orig.tar.gz'" | tr -d "'" | head -1)"
  [ -n "$orig" ] || { log "no source package kafkacat in the apt sources"; exit 1; }
  curl -fsSL "$orig" -o "$work/kcat.tar.gz"
  mkdir -p "$work/src" && tar -xzf "$work/kcat.tar.gz" -C "$work/src" --strip-components=1
  log "building against librdkafka $(pkg-config --modversion rdkafka)"
  (cd "$work/src" && ./configure --prefix="$prefix" >&2 && make -j"$(nproc)" >&2 && make install >&2)
fi
echo "$prefix/bin/kcat"
