#!/usr/bin/env bash
# Installs exactly the Debian 12 packages this project needs that are missing, and nothing else.
# Idempotent: a second run installs nothing and touches nothing.
set -euo pipefail

# Build toolchain and the project's libraries (see README.md, "Dependencies"); python3, Redis and
# PostgreSQL for the SVG check and the peers comparison (bench/peers/), clang for the fuzzers.
packages=(
  g++ cmake ninja-build pkg-config git
  libboost1.81-dev libsimdjson-dev libconcurrentqueue-dev liblmdb-dev
  libbenchmark-dev doctest-dev libcli11-dev libtomlplusplus-dev libssl-dev libxxhash-dev
  chromium openssl python3
  redis-server postgresql clang-14 libclang-rt-14-dev
)
# Node.js runs the browser test (playwright-core drives Debian's chromium); any node ≥ 18 will do.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

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
