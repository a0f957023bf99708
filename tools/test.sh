#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: first under ASan+UBSan, then the Release
# build (whose ctest summary is the last line).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/bootstrap.sh
# The browser test's one npm dependency, pinned by tests/browser/package-lock.json.
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error

for preset in asan release; do
  echo "== $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
done
echo "== asan: tests"
ctest --preset asan
echo "== release: tests"
ctest --preset release
