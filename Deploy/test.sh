#!/usr/bin/env bash
# Runs every test on a fresh machine: checks the formatting (`swift format lint`), installs
# what is missing (librdkafka 2.8.0 built from Debian's source package, the Tansu dev
# broker, Python's jsonschema, protobuf and grpcio-tools (the reference decoder of the
# protobuf outputs) and the scorer's pandas/pyarrow, Debian's chromium for the
# browser tests, Debian's docker-compose to check the compose file), then `swift test`.
# Tests start their own throw-away broker on a free loopback port.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"
step() { echo "== $*" >&2; }

step "format: swift format lint (configuration in .swift-format)"
swift format lint --strict --parallel -r Sources Tests Package.swift
step "librdkafka"
eval "$("$here/librdkafka.sh")"
step "dev broker (Tansu)"
export SKUCAST_TANSU="$("$here/dev-broker.sh" install)"
step "Python: JSON Schema validator, protobuf decoder, the forecast protocol's reference scorer"
python3 -c "import jsonschema, numpy, pandas, pyarrow, google.protobuf, grpc_tools" 2>/dev/null \
  || python3 -m pip install -q jsonschema numpy pandas pyarrow protobuf grpcio-tools >&2
python3 Topics/validate.py
step "headless browser: Debian's chromium (the report and live page are checked in it)"
if ! command -v chromium >/dev/null; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
    || { echo "could not install chromium: the browser tests will fail" >&2; }
fi
step "compose file"
if ! command -v docker-compose >/dev/null; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null 2>&1 \
    || echo "(docker-compose not installable here; compose file not checked)" >&2
fi
if command -v docker-compose >/dev/null; then
  docker-compose -f Deploy/docker-compose.yml --profile demo config -q && echo "docker-compose accepts Deploy/docker-compose.yml" >&2
fi
step "swift test"
swift build --build-tests
swift test --skip-build "$@"
