#!/usr/bin/env bash
# Installs every Debian 12 package wecom-notify needs to build, test and benchmark.
# Idempotent; runs as root (or through sudo); `apt-get update` runs once per call.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config
  # core libraries
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
  libabsl-dev prometheus-cpp-dev libcurl4-openssl-dev libssl-dev
  libboost-dev libboost-system-dev libboost-program-options-dev libsimdjson-dev nlohmann-json3-dev
  libyaml-cpp-dev libspdlog-dev libsqlite3-dev libre2-dev libkainjow-mustache-dev python3-yaml tzdata
  libgtest-dev libgmock-dev
  # real peers and clients for end-to-end tests
  prometheus-alertmanager prometheus python3-grpcio python3-protobuf curl openssl
  # a real HTTP proxy for the WeCom transport's proxy tests
  tinyproxy
  # benchmarks (nginx: the HTTP floor the ingest figures are read against)
  wrk nginx-light
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
