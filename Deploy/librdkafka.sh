#!/usr/bin/env bash
# Builds librdkafka 2.8.0 from Debian trixie's source package into a git-ignored prefix
# (Deploy/.local/librdkafka), as a static library, and prints the PKG_CONFIG_PATH to use it.
#
# Why not Debian bookworm's librdkafka-dev (2.0.2)? It fails the very first request
# against the dev broker (Tansu): "ApiVersionRequest failed: Local: Read underflow".
# librdkafka fixed the parsing of that response in 2.2.0. Against Apache Kafka the
# system package works: skucast links through pkg-config `rdkafka`, so whichever
# librdkafka pkg-config finds first is used.
#
# Usage:  eval "$(Deploy/librdkafka.sh)"       # build if needed, export PKG_CONFIG_PATH
#         Deploy/librdkafka.sh                  # build if needed, print the variables
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="${SKUCAST_LIBRDKAFKA_PREFIX:-$here/.local/librdkafka}"
version="2.8.0"
log() { echo "librdkafka.sh: $*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

build() {
  local build_deps=(build-essential pkg-config dpkg-dev liblz4-dev libzstd-dev libssl-dev libsasl2-dev zlib1g-dev python3)
  local missing=()
  for p in "${build_deps[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  local src_list=/etc/apt/sources.list.d/skucast-trixie-src.list
  if [ ! -f "$src_list" ]; then
    log "adding a deb-src entry for Debian trixie (source packages only)"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" | as_root tee "$src_list" >/dev/null
  fi
  log "apt-get update"
  as_root apt-get update -qq >&2
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing build dependencies: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >&2
  fi
  local work; work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  log "fetching source package librdkafka/trixie"
  (cd "$work" && apt-get source -qq --download-only librdkafka/trixie >&2 && dpkg-source -x librdkafka_*.dsc src >&2)
  local got; got="$(sed -n 's/^Version: \([0-9.]*\).*/\1/p' "$work"/librdkafka_*.dsc | head -1)"
  [ "$got" = "$version" ] || log "note: trixie ships librdkafka $got (expected $version)"
  log "building (about a minute on 2 cores)"
  (cd "$work/src" && ./configure --prefix="$prefix" --disable-curl >&2 && make -j"$(nproc)" libs >&2 && make install >&2)
  [ -f "$prefix/lib/pkgconfig/rdkafka.pc" ] || { log "build finished without $prefix/lib/pkgconfig/rdkafka.pc"; exit 1; }
  log "installed into $prefix"
}

# Link this librdkafka statically: binaries built against it then run without
# LD_LIBRARY_PATH (SwiftPM refuses an rpath from pkg-config). Its own dependencies are
# Debian's shared libraries, listed where SwiftPM reads them (Libs, not Libs.private).
make_static() {
  rm -f "$prefix"/lib/librdkafka*.so*
  sed -i 's|^Libs: .*|Libs: -L${libdir} -lrdkafka -lssl -lcrypto -lsasl2 -lzstd -llz4 -lz -lm -ldl -lpthread -lrt|' \
    "$prefix/lib/pkgconfig/rdkafka.pc"
}

if [ ! -f "$prefix/lib/pkgconfig/rdkafka.pc" ]; then
  build
else
  log "reusing $prefix ($(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --modversion rdkafka))"
fi
make_static

echo "export PKG_CONFIG_PATH=\"$prefix/lib/pkgconfig\${PKG_CONFIG_PATH:+:\$PKG_CONFIG_PATH}\""
echo "export SKUCAST_LIBRDKAFKA_PREFIX=\"$prefix\""
