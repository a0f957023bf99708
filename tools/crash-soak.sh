#!/usr/bin/env bash
# Long crash soak of the durable pipeline: SIGKILL the journal process at random moments,
# restart, verify after every cycle (see tests/persistence/crash_test.cpp). Prints the figures.
#   tools/crash-soak.sh [cycles=1000] [seed]
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=${1:-1000}
cmake --preset release >/dev/null
cmake --build --preset release --target crash_tests journal_crash_target >/dev/null
export AUCTION_CRASH_CYCLES=$cycles
[[ $# -ge 2 ]] && export AUCTION_SEED=$2
exec build/release/tests/crash_tests --success=false
