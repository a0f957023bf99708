#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo: a scripted auction through the core,
# printed as it happens.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release --target auction-demo
exec build/release/tools/auction-demo
