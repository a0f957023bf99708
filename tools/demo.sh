#!/usr/bin/env bash
# Installs what is missing, builds, starts auctiond on an embedded data directory (./demo-data),
# loads the demo catalogue and demo users through auctionctl, and prints the bidder page URL and
# the demo bidders' tokens. Ctrl-C stops the server cleanly.
# AUCTION_DEMO_LISTEN / AUCTION_DEMO_ADMIN_LISTEN override the addresses (127.0.0.1:8080 / :8081).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release --target auctiond auctionctl

data=demo-data
mkdir -p "$data"
rm -f "$data/admin.url"  # written anew once the server listens
build/release/server/auctiond --data-dir "$data" --listen "${AUCTION_DEMO_LISTEN:-127.0.0.1:8080}" \
  --admin-listen "${AUCTION_DEMO_ADMIN_LISTEN:-127.0.0.1:8081}" >"$data/auctiond.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server' INT TERM
for _ in $(seq 100); do
  [[ -s "$data/admin.url" ]] && break
  kill -0 $server 2>/dev/null || { cat "$data/auctiond.log"; exit 1; }
  sleep 0.1
done

ctl() { build/release/tools/auctionctl --data-dir "$data" "$@"; }
ctl users add gallery --role seller >/dev/null 2>&1 || true  # the catalogue's seller
if ctl lots list --json | grep -q '"lot"'; then
  echo "demo: $data already holds lots (remove it for a fresh catalogue)"
else
  ctl lots import tools/demo/catalogue.toml
fi
token_of() {  # a fresh token for a demo user, made if missing
  { ctl users add "$1" --json 2>/dev/null || ctl users token "$1" --json; } |
    sed -n 's/.*"token": "\(.*\)".*/\1/p'
}
bidders=""
for user in alice bob carol; do
  bidders+="$(printf "  user %-6s token %s" "$user" "$(token_of "$user")")"$'\n'
  # 500 EUR each, once (a second start finds the reference booked), to hold deposits and pay.
  ctl wallets credit "$user" --currency EUR --amount 500.00 --reference "demo-$user" \
    >/dev/null 2>&1 || true
done

grep 'listening\|admin interface' "$data/auctiond.log"
echo
echo "Bidder page: $(sed -n 's/.*bidder page \([^ ]*\) .*/\1/p' "$data/auctiond.log")"
echo "Demo bidders (new tokens each start):"
printf '%s' "$bidders"
echo "Each has 500.00 EUR to hold deposits (lot \"clock\") and pay for what they win."
echo "Auctioneer: build/release/tools/auctionctl --data-dir $data lots list   (Ctrl-C stops the server)"
echo "Orders and money: auctionctl --data-dir $data orders list | balances | ledger check"
wait $server
