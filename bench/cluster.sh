#!/usr/bin/env bash
# A replicated shard against one node, in one run (bench/RESULTS.md, "Replicated shard"): durable
# bids/s and latency with 50 connections closed loop on 1,000 open lots, for one auctiond, for a
# shard of three (3 nats-server, 3 auctiond on loopback) through its leader, and through a
# follower (every bid forwarded to the leader and answered from the follower's replica).
#   bench/cluster.sh [runs=3] [seconds=8]
#   AUCTION_LEASE_MS=500 bench/cluster.sh ...   every node's --lease-ms (default: auctiond's)
#   AUCTION_COMMIT_DELAYS="1000 0" bench/cluster.sh ...   a shard per --commit-delay-us in each round
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
seconds=${2:-8}
tools/bootstrap.sh --cluster >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release --target auctiond auction-loadgen >/dev/null
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
limits=(--bids-per-second 1000000 --bid-burst 1000000 --messages-per-second 1000000
        --message-burst 1000000)
wait_for() { for _ in $(seq 300); do curl -sf "$1" >/dev/null 2>&1 && return; sleep 0.1; done; echo "no $1" >&2; exit 1; }
admin() {  # admin NODE_DIR METHOD PATH BODY (the body through a file: a catalogue is large)
  printf '%s' "$4" >"$work/body.json"
  curl -sf -X "$2" "$(cat "$1/admin.url")$3" -H "Authorization: Bearer $(cat "$1/admin.token")" \
    -H 'Content-Type: application/json' --data-binary @"$work/body.json"
}
# 1,000 open lots and 50 bidders through the admin API; their tokens to $work/tokens.
load_sale() {
  local lots="" i
  for i in $(seq 0 999); do
    lots+="${lots:+,}{\"id\":\"open-$i\",\"title\":\"Open lot $i\",\"seller\":\"gallery\",\"currency\":\"EUR\",\"start_price\":1000,\"increment\":50,\"starts_in_ms\":0,\"timed_ms\":0,\"extension_ms\":86400000}"
  done
  admin "$1" POST /v1/users '{"user":"gallery","role":"seller"}' >/dev/null
  admin "$1" POST /v1/lots "{\"lots\":[$lots]}" >/dev/null
  : >"$work/tokens"
  for i in $(seq 0 49); do
    admin "$1" POST /v1/users "{\"user\":\"bidder$i\"}" | sed -n 's/.*"token":"\([^"]*\)".*/bidder'"$i"' \1/p' >>"$work/tokens"
  done
}
ticks() { local t=0 pid; for pid in "$@"; do t=$((t + $(awk '{print $14 + $15}' /proc/$pid/stat 2>/dev/null || echo 0))); done; echo $t; }
loadgen() { build/release/tools/auction-loadgen --target "$1" --tokens "$work/tokens" --lots 1000 --connections 50 --duration "$seconds"; }

single() {
  rm -rf "$work/single"; mkdir -p "$work/single"
  build/release/server/auctiond --data-dir "$work/single" --listen 127.0.0.1:18180 --admin-listen 127.0.0.1:18190 \
    "${limits[@]}" >"$work/single.log" 2>&1 &
  local server=$!
  pids+=($server)
  wait_for http://127.0.0.1:18180/healthz
  load_sale "$work/single"
  echo "== one node, 50 connections"; loadgen 127.0.0.1:18180
  kill -TERM $server; wait $server || true
}

shard() {
  rm -rf "$work/shard"; mkdir -p "$work/shard"
  local routes="nats://127.0.0.1:16322,nats://127.0.0.1:16323,nats://127.0.0.1:16324"
  local urls="nats://127.0.0.1:14322,nats://127.0.0.1:14323,nats://127.0.0.1:14324" i nodes=()
  for i in 0 1 2; do
    nats-server -js -sd "$work/shard/nats-$i" -n "nats-$i" -a 127.0.0.1 -p $((14322 + i)) --cluster_name bench \
      --cluster "nats://127.0.0.1:$((16322 + i))" --routes "$routes" -l "$work/shard/nats-$i.log" &
    pids+=($!); nodes+=($!)
  done
  for i in 0 1 2; do
    build/release/server/auctiond --data-dir "$work/shard/node-$i" --listen 127.0.0.1:$((18280 + i)) \
      --admin-listen 127.0.0.1:$((18290 + i)) --nats "$urls" --shard bench --node "node-$i" "${limits[@]}" \
      ${AUCTION_LEASE_MS:+--lease-ms "$AUCTION_LEASE_MS"} ${1:+--commit-delay-us "$1"} \
      >"$work/shard/node-$i.log" 2>&1 &
    pids+=($!); nodes+=($!)
  done
  for i in 0 1 2; do wait_for http://127.0.0.1:$((18280 + i))/healthz; done
  local leader="" follower=""
  for _ in $(seq 200); do
    for i in 0 1 2; do
      if curl -s http://127.0.0.1:$((18280 + i))/metrics | grep -q "auction_cluster_leader 1"; then leader=$i; fi
    done
    [[ -n "$leader" ]] && break; sleep 0.1
  done
  follower=$(( (leader + 1) % 3 ))
  load_sale "$work/shard/node-$leader"
  sleep 1  # the users reach every node
  # Where the CPU goes during the run through the leader (of 2 cores: 200 %).
  local hz; hz=$(getconf CLK_TCK)
  local natsp=("${nodes[@]:0:3}") auctionds=("${nodes[@]:3:3}")
  local n0 l0 f0; n0=$(ticks "${natsp[@]}"); l0=$(ticks "${auctionds[$leader]}")
  f0=$(( $(ticks "${auctionds[@]}") - l0 ))
  echo "== shard of three through the leader (node-$leader), 50 connections${1:+, --commit-delay-us $1}"; loadgen 127.0.0.1:$((18280 + leader))
  local n1 l1 f1; n1=$(ticks "${natsp[@]}"); l1=$(ticks "${auctionds[$leader]}")
  f1=$(( $(ticks "${auctionds[@]}") - l1 ))
  echo "CPU over the run: nats-server x3 $(( (n1 - n0) * 100 / hz / seconds ))%, leader $(( (l1 - l0) * 100 / hz / seconds ))%, followers x2 $(( (f1 - f0) * 100 / hz / seconds ))% (of 200%)"
  echo "== shard of three through a follower (node-$follower), 50 connections"; loadgen 127.0.0.1:$((18280 + follower))
  # A leader that missed its renewals under the load would have been replaced: count the takes.
  echo "leases taken during the rounds: $(cat "$work"/shard/node-*.log | grep -c "leading shard")" \
    "(1 = the first leader kept it)"
  for pid in "${nodes[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${nodes[@]}" 2>/dev/null || true
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
for run in $(seq 1 "$runs"); do
  echo "#### run $run"
  single
  for delay in ${AUCTION_COMMIT_DELAYS:-default}; do shard "${delay#default}"; done
done
