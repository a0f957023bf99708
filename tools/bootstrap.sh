#!/usr/bin/env bash
# Installs exactly the Debian 12 packages this project needs that are missing, and nothing else.
#   tools/bootstrap.sh            the build and the demo
#   tools/bootstrap.sh --tests    also the test suite and the benchmarks
#   tools/bootstrap.sh --cluster  also nats-server (tools/cluster.sh)
# Idempotent: a second run installs nothing and touches nothing.
set -euo pipefail

# Build toolchain and the project's libraries (see README.md, "Dependencies"): what the server,
# the tools and the demo need.
packages=(
  g++ cmake ninja-build pkg-config git
  libboost1.81-dev libsimdjson-dev libconcurrentqueue-dev liblmdb-dev
  libbenchmark-dev doctest-dev libcli11-dev libtomlplusplus-dev libssl-dev libxxhash-dev
  libnats-dev openssl
)
# --tests: also what the test suite and the benchmarks run: Debian's chromium driven by
# playwright-core from Node.js (the browser test; any node >= 18 will do), python3 (the SVG and
# peers scripts), Redis and PostgreSQL (the peers comparison), clang and its sanitizer runtimes
# (the fuzzers, and the ASan and TSan builds),
# nats-server (the replication tests run a three-node JetStream cluster on loopback).
if [[ "${1:-}" == "--cluster" ]]; then
  packages+=(nats-server)
fi
if [[ "${1:-}" == "--tests" ]]; then
  packages+=(chromium python3 redis-server postgresql clang-14 libclang-rt-14-dev nats-server)
  command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  echo "bootstrap: all ${#packages[@]} packages present"
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "bootstrap: need root or sudo to install packages" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
