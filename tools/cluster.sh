#!/usr/bin/env bash
# A replicated shard on this machine (SPEC §11, docs/REPLICATION.md): three nats-server with
# JetStream clustered on loopback and three auctiond nodes of shard "demo", with the demo
# catalogue. Prints every node's bidder page and admin address; Ctrl-C stops them all.
#   tools/cluster.sh [DIR]        data under DIR (default ./cluster-data), kept between runs
# Ports: NATS 4222-4224 (routes 6222-6224), bidders 8080-8082, admin 8090-8092.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/bootstrap.sh --cluster
cmake --preset release >/dev/null
cmake --build --preset release --target auctiond auctionctl

data=${1:-cluster-data}
mkdir -p "$data"
pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

routes="nats://127.0.0.1:6222,nats://127.0.0.1:6223,nats://127.0.0.1:6224"
urls="nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224"
for i in 0 1 2; do
  nats-server -js -sd "$data/nats-$i" -n "nats-$i" -a 127.0.0.1 -p $((4222 + i)) \
    --cluster_name auction --cluster "nats://127.0.0.1:$((6222 + i))" --routes "$routes" \
    -l "$data/nats-$i.log" &
  pids+=($!)
done
for i in 0 1 2; do
  build/release/server/auctiond --data-dir "$data/node-$i" --listen "127.0.0.1:$((8080 + i))" \
    --admin-listen "127.0.0.1:$((8090 + i))" --nats "$urls" --shard demo --node "node-$i" \
    >"$data/node-$i.log" 2>&1 &
  pids+=($!)
done

ctl() { build/release/tools/auctionctl --data-dir "$data/node-$1" "${@:2}"; }
echo "cluster: waiting for a leader"
for _ in $(seq 300); do
  ctl 0 status >/dev/null 2>&1 && grep -q "leading shard" "$data"/node-*.log 2>/dev/null && break
  sleep 0.1
done
grep -h "leading shard" "$data"/node-*.log | tail -n 1
ctl 0 users add gallery --role seller >/dev/null 2>&1 || true  # the catalogue's seller
if ctl 0 lots list --json | grep -q '"lot"'; then
  echo "cluster: the shard already holds lots (remove $data for a fresh catalogue)"
else
  ctl 0 lots import tools/demo/catalogue.toml
fi

token_of() {  # a fresh token for a demo user, made if missing; valid on every node
  { ctl 0 users add "$1" --json 2>/dev/null || ctl 0 users token "$1" --json; } |
    sed -n 's/.*"token": "\(.*\)".*/\1/p'
}
echo
echo "Demo bidders (new tokens each start; they work on every node):"
for user in alice bob carol; do
  printf "  user %-6s token %s\n" "$user" "$(token_of "$user")"
  # 500 EUR each, once, booked on every node through the shard's journal (SPEC §11).
  ctl 0 wallets credit "$user" --currency EUR --amount 500.00 --reference "demo-$user" \
    >/dev/null 2>&1 || true
done
echo "Each has 500.00 EUR to hold deposits (lot \"clock\") and pay for what they win."
echo
for i in 0 1 2; do
  echo "node-$i: bidder page http://127.0.0.1:$((8080 + i))/   admin http://127.0.0.1:$((8090 + i))" \
    "  (build/release/tools/auctionctl --data-dir $data/node-$i ...)"
done
echo "Kill the leader's auctiond (see 'auctionctl status') and bid on: another node takes over."
echo "Ctrl-C stops every node and nats-server."
wait
