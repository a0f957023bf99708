#!/usr/bin/env bash
# The peers comparison in one command (issue 8; bench/RESULTS.md): installs what is missing
# (Debian's redis-server and postgresql), builds auctiond, auction-loadgen and auction-replay,
# starts Redis, PostgreSQL and auctiond on loopback in temporary directories, runs the same
# auction workload on each, stops them, and prints one table.
#   bench/peers/run.sh [--runs 3] [--duration 10] [--redis-requests 200000] [--markdown]
#   bench/peers/run.sh --smoke      # a few seconds per system (what the test suite runs)
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ "${AUCTION_PEERS_NO_BUILD:-}" == 1 ]] || {
  tools/bootstrap.sh --tests >/dev/null
  cmake --preset release >/dev/null
  cmake --build --preset release --target auctiond auction-loadgen auction-replay >/dev/null
}
ulimit -n 20000 2>/dev/null || true
exec python3 bench/peers/peers.py "$@"
