#!/usr/bin/env bash
# Long crash soaks; each prints its figures (cycles, acknowledged, indeterminate, lost).
#   tools/crash-soak.sh [cycles=1000] [seed]    the journal process: recovery, pipeline, LMDB and
#                                               snapshots SIGKILLed at random moments
#                                               (tests/persistence/crash_test.cpp)
#   tools/crash-soak.sh server [cycles=1000]    auctiond with its settlement consumer SIGKILLed
#                                               under WebSocket bids and webhook credits; after
#                                               every cycle: acknowledged bids and credits all
#                                               there, none twice, ledger invariants, replay
#                                               equal (tests/gateway/soak_e2e_test.cpp)
#   tools/crash-soak.sh cluster [cycles=100]    a replicated shard (3 nats-server, 3 auctiond):
#                                               the leader SIGKILLed under bids on every node;
#                                               takeover times, every accepted bid journaled at
#                                               its seq, all journals and digests equal
#                                               (tests/cluster/shard_e2e_test.cpp)
#   tools/crash-soak.sh cluster [cycles] [lease-ms=1500]
#                                               the same with every node's --lease-ms
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
if [[ "${1:-}" == "cluster" ]]; then
  tools/bootstrap.sh --cluster >/dev/null
  cmake --build --preset release --target cluster_tests auctiond >/dev/null
  export AUCTION_CLUSTER_CYCLES=${2:-100}
  export AUCTION_CLUSTER_LEASE_MS=${3:-1500}
  exec build/release/tests/cluster_tests -tc='SIGKILL the leader*'
fi
if [[ "${1:-}" == "server" ]]; then
  cmake --build --preset release --target gateway_tests auctiond auction-replay >/dev/null
  export AUCTION_SOAK_CYCLES=${2:-1000}
  exec build/release/tests/gateway_tests -tc='crash soak*'
fi
cycles=${1:-1000}
cmake --build --preset release --target crash_tests journal_crash_target >/dev/null
export AUCTION_CRASH_CYCLES=$cycles
[[ $# -ge 2 ]] && export AUCTION_SEED=$2
exec build/release/tests/crash_tests --success=false
