#!/usr/bin/env bash
# Fan-out figures (bench/RESULTS.md, issue 19): SUBSCRIBERS WebSocket connections follow one lot
# while two bidders alternate at each RATE bids/s on it; every event must reach every subscriber.
# Prints auction-loadgen's deliveries and latency, the server's frames per send, resyncs, slow
# readers closed, and auctiond's peak RSS.
# LOADGEN_FLAGS=--in-turn makes each bid wait for the answer to the one before.
#   [AUCTIOND_FLAGS=...] [LOADGEN_FLAGS=...] bench/fanout.sh [subscribers=5000] [io-threads=1] RATE...
set -euo pipefail
cd "$(dirname "$0")/.."
subscribers=${1:-5000}
io_threads=${2:-1}
shift 2 || true
rates=("${@:-100}")
cmake --preset release >/dev/null
cmake --build --preset release --target auctiond auction-loadgen >/dev/null
ulimit -n 50000 2>/dev/null || true
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
port=18190
metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ)"
for rate in "${rates[@]}"; do
  rm -rf "$work/data"
  build/release/server/auctiond --data-dir "$work/data" --listen 127.0.0.1:$port --admin-listen 127.0.0.1:0 --demo \
    --demo-bidders $((subscribers + 100)) --demo-tokens-file "$work/tokens" --demo-open-lots 1000 \
    --bids-per-second 1000000 --bid-burst 1000000 --messages-per-second 1000000 \
    --message-burst 1000000 --max-connections $((subscribers + 1000)) --max-outbound-bytes 4194304 \
    --io-threads "$io_threads" ${AUCTIOND_FLAGS:-} >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do grep -q "tokens in" "$work/server.log" 2>/dev/null && break; sleep 0.2; done
  echo "== $subscribers subscribers, $rate bids/s, $io_threads IO thread(s)"
  build/release/tools/auction-loadgen --target 127.0.0.1:$port --tokens "$work/tokens" --lots 1000 \
    --fanout-lot open-7 --connections "$subscribers" --rate "$rate" --duration 8 ${LOADGEN_FLAGS:-} ||
    echo "(not every event was delivered)"
  frames=$(metric auction_frames_out_total); sends=$(metric auction_sends_total)
  echo "server: $frames frames in $sends sends ($(awk -v f="$frames" -v s="$sends" 'BEGIN {printf "%.2f", f / s}') per send)," \
    "resyncs $(metric auction_resyncs_total), closed slow $(metric auction_closed_slow_reader_total)," \
    "peak RSS $(awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' /proc/$server/status)"
  kill -TERM $server; wait $server || true
done
