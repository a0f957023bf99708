#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the libFuzzer targets for a short bounded
# time, the threaded suites under ThreadSanitizer, everything under ASan+UBSan, then the Release
# build (whose ctest summary is the last line).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/bootstrap.sh --tests
# The browser test's one npm dependency, pinned by tests/browser/package-lock.json.
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error

for preset in asan release fuzz; do
  echo "== $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
done
# ThreadSanitizer: the threaded parts only (pipeline, settler, gateway, replay beside a writer).
echo "== tsan: configure and build"
cmake --preset tsan >/dev/null
cmake --build --preset tsan --target persistence_tests gateway_tests replay_tests auctiond \
  auction-replay
echo "== fuzz: each target for AUCTION_FUZZ_SECONDS (10 s) over its seed corpus"
ctest --preset fuzz
echo "== tsan: threaded tests"
ctest --preset tsan -L threaded
echo "== asan: tests"
ctest --preset asan
echo "== release: tests"
ctest --preset release
