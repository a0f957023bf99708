#!/usr/bin/env bash
# Installs what is missing, builds, and starts auctiond on an embedded data directory
# (./demo-data) with a demo catalogue; prints the bidder page URL and the demo bidders' tokens.
# Ctrl-C stops it cleanly. AUCTION_DEMO_LISTEN overrides the address (default 127.0.0.1:8080).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release --target auctiond
exec build/release/server/auctiond --data-dir demo-data --listen "${AUCTION_DEMO_LISTEN:-127.0.0.1:8080}" --demo
