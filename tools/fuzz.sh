#!/usr/bin/env bash
# Runs every libFuzzer target for longer than the test suite does, one after another, each on
# one core, and prints what each found (docs/RELIABILITY.md).
#   tools/fuzz.sh [seconds per target = 600] [target ...]
# New inputs accumulate in build/fuzz/tests/fuzz/corpus/NAME; a crash leaves crash-* files in
# build/fuzz/findings/ (turn each into a regression seed under tests/fuzz/corpus/NAME).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(fuzz_protocol fuzz_webhook fuzz_record fuzz_journal fuzz_catalogue fuzz_engine)
tools/bootstrap.sh --tests >/dev/null
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz >/dev/null
mkdir -p build/fuzz/findings
for target in "${targets[@]}"; do
  echo "== $target: ${seconds} s"
  work=build/fuzz/tests/fuzz/corpus/$target
  mkdir -p "$work"
  build/fuzz/tests/fuzz/$target -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix=build/fuzz/findings/$target- \
    "$work" "tests/fuzz/corpus/$target" 2>&1 | grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss|==[0-9]+==ERROR|SUMMARY)' || true
done
ls build/fuzz/findings
