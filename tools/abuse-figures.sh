#!/usr/bin/env bash
# The abusive-client figures of docs/RELIABILITY.md: runs the abuse cases of
# tests/gateway/abuse_e2e_test.cpp RUNS times and prints, per case, the well-behaved client's
# ping round trips pooled over all runs: p50 and p99 quiet, p50 and p99 beside the abuse, and
# the p99 ratio. One run gives a few hundred to ~1,300 pings per phase, so its p99 rests on its
# 3 to 13 worst pings; pooling many runs is what makes the p99 a measurement.
#   tools/abuse-figures.sh [runs=15] [test-case filter, default 'abuse*']
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-15}
filter=${2:-abuse*}
cmake --preset release >/dev/null
cmake --build --preset release --target gateway_tests auctiond >/dev/null
samples=$(mktemp -d)
trap 'rm -rf "$samples"' EXIT
for ((run = 1; run <= runs; ++run)); do
  AUCTION_ABUSE_SAMPLES=$samples build/release/tests/gateway_tests -tc="$filter" >/dev/null
  echo "run $run/$runs done" >&2
done
# percentile FILE P: the P-th percentile (nearest rank) of the numbers in FILE
percentile() { sort -n "$1" | awk -v p="$2" '{v[NR] = $1} END {i = int(NR * p / 100); if (i < 1) i = 1; print v[i]}'; }
printf '| abuse | pings quiet / beside | p50 quiet → beside (µs) | p99 quiet → beside (µs) | p99 ratio |\n'
printf '|---|---|---|---|---|\n'
for quiet in "$samples"/*.quiet; do
  name=$(basename "$quiet" .quiet)
  beside=$samples/$name.beside
  q50=$(percentile "$quiet" 50) q99=$(percentile "$quiet" 99)
  b50=$(percentile "$beside" 50) b99=$(percentile "$beside" 99)
  printf '| %s | %d / %d | %d → %d | %d → %d | %.2f |\n' "$name" "$(wc -l <"$quiet")" \
    "$(wc -l <"$beside")" "$q50" "$b50" "$q99" "$b99" "$(awk -v a="$b99" -v b="$q99" 'BEGIN {print a / b}')"
done
