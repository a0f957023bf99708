#!/usr/bin/env bash
# End-to-end figures of auctiond with auction-loadgen on loopback (bench/RESULTS.md):
# durable bids/s and latency closed-loop with 50 and 1,000 connections, open-loop at a target rate,
# and memory per idle connection at 10,000 connections.
#   bench/e2e.sh [runs=3] [open-loop rate=50000]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
rate=${2:-50000}
cmake --preset release >/dev/null
cmake --build --preset release --target auctiond auction-loadgen >/dev/null
ulimit -n 20000 2>/dev/null || true
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
port=18090
start_server() {
  rm -rf "$work/data"
  build/release/server/auctiond --data-dir "$work/data" --listen 127.0.0.1:$port --admin-listen 127.0.0.1:0 --demo \
    --demo-bidders 10000 --demo-tokens-file "$work/tokens" --demo-open-lots 1000 \
    --bids-per-second 1000000 --bid-burst 1000000 --messages-per-second 1000000 \
    --message-burst 1000000 --max-connections 20000 >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 50); do grep -q "tokens in" "$work/server.log" 2>/dev/null && return; sleep 0.2; done
  echo "auctiond did not start" >&2; exit 1
}
loadgen() { build/release/tools/auction-loadgen --target 127.0.0.1:$port --tokens "$work/tokens" --lots 1000 "$@"; }

echo "machine: $(nproc) cores, $(date -u +%Y-%m-%d)"
for run in $(seq 1 "$runs"); do
  start_server
  echo "== run $run: closed loop, 50 connections";    loadgen --connections 50 --duration 8
  echo "== run $run: closed loop, 1000 connections";  loadgen --connections 1000 --duration 8
  echo "== run $run: open loop, 1000 connections at $rate/s"; loadgen --connections 1000 --duration 8 --rate "$rate"
  kill -TERM $server; wait $server || true
done

start_server
before=$(awk '/VmRSS/ {print $2}' /proc/$server/status)
loadgen --connections 10000 --idle --duration 12 >"$work/idle.log" &
idle=$!
for _ in $(seq 1 60); do grep -q "idle" "$work/idle.log" 2>/dev/null && break; sleep 0.5; done
sleep 2
after=$(awk '/VmRSS/ {print $2}' /proc/$server/status)
echo "== memory: RSS $before kB idle, $after kB with 10000 idle connections: $(( (after - before) * 1024 / 10000 )) bytes per connection"
wait $idle || true
kill -TERM $server; wait $server || true
