#!/usr/bin/env bash
# Keeps auction-loadgen working: auctiond on loopback, 20 bidders for 1 s closed loop (one bid in
# flight, then 8), 1 s open loop and 1 s of pings (--ping); every bid and ping must get exactly
# one answer (else exit 2). Then fan-out: 18 watchers of one lot must get every accepted bid's
# event (else exit 2), and with --in-turn every bid must also be accepted.
#   loadgen_smoke.sh <auctiond> <auction-loadgen>
set -euo pipefail
auctiond=$1
loadgen=$2
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
"$auctiond" --data-dir "$work/data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --demo --demo-bidders 20 \
  --demo-tokens-file "$work/tokens" --demo-open-lots 20 --bids-per-second 100000 \
  --bid-burst 100000 --messages-per-second 100000 --message-burst 100000 >"$work/log" 2>&1 &
server=$!
for _ in $(seq 1 100); do grep -q "tokens in" "$work/log" 2>/dev/null && break; sleep 0.1; done
port=$(grep -oE '127\.0\.0\.1:[0-9]+' "$work/log" | head -1 | cut -d: -f2)
"$loadgen" --target 127.0.0.1:$port --tokens "$work/tokens" --connections 20 --lots 20 --duration 1
"$loadgen" --target 127.0.0.1:$port --tokens "$work/tokens" --connections 20 --lots 20 --duration 1 \
  --rate 2000
"$loadgen" --target 127.0.0.1:$port --tokens "$work/tokens" --connections 20 --lots 20 --duration 1 \
  --ping
"$loadgen" --target 127.0.0.1:$port --tokens "$work/tokens" --connections 20 --lots 20 --duration 1 \
  --in-flight 8
"$loadgen" --target 127.0.0.1:$port --tokens "$work/tokens" --connections 18 --duration 1 \
  --fanout-lot open-3 --rate 50
"$loadgen" --target 127.0.0.1:$port --tokens "$work/tokens" --connections 18 --duration 1 \
  --fanout-lot open-4 --rate 50 --in-turn
