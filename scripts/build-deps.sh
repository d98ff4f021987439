#!/usr/bin/env bash
# What building the workspace needs beyond Rust and a C compiler: OpenSSL's headers, which
# Kafka's client (librdkafka, for TLS and SASL/SCRAM) and Cassandra's TLS link against.
# Installed from Debian's packages when pkg-config cannot find them.
set -euo pipefail
if command -v pkg-config >/dev/null && pkg-config --exists openssl; then
    exit 0
fi
echo "build-deps: installing OpenSSL's headers from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq pkg-config libssl-dev >/dev/null
