#!/usr/bin/env bash
# Intake with 200 enabled match conditions against intake with none, measured in the same run:
# test/bench/intake.ts alternately without and with BENCH_MATCH_CONDITIONS, PAIRS times (the
# order swaps each pair), then the medians of each figure and their ratios. Issue 14's target:
# with 200 conditions within 10 % of none.
#
#   test/bench/match-intake.sh                      # 3 pairs of 20 s runs
#   PAIRS=5 BENCH_SECONDS=30 MATCH_CONDITIONS=200 test/bench/match-intake.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
. test/bench/intake-figures.sh
PAIRS=${PAIRS:-3}
N=${MATCH_CONDITIONS:-200}
export BENCH_SECONDS=${BENCH_SECONDS:-20}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for i in $(seq 1 "$PAIRS"); do
  order="0 $N"
  [ $((i % 2)) = 0 ] && order="$N 0"
  for n in $order; do
    BENCH_MATCH_CONDITIONS=$n node_modules/.bin/node test/bench/intake.ts >"$out/run-$i-$n.log" 2>&1 ||
      { cat "$out/run-$i-$n.log"; exit 1; }
    # acknowledged/s, end-to-end/s, pipeline ms per alert
    intake_figures "$out/run-$i-$n.log" | cut -d' ' -f1,3,4 >>"$out/figures-$n"
    echo "pair $i, $n conditions: $(tail -1 "$out/figures-$n") (acknowledged/s, end-to-end/s, pipeline ms/alert)"
  done
done
for col in 1 2 3; do
  none=$(cut -d' ' -f"$col" "$out/figures-0" | median)
  with=$(cut -d' ' -f"$col" "$out/figures-$N" | median)
  name=$(echo "acknowledged alerts/s|end-to-end alerts/s|pipeline cpu ms/alert" | cut -d'|' -f"$col")
  awk -v name="$name" -v none="$none" -v with="$with" -v n="$N" -v col="$col" 'BEGIN {
    r = with / none
    ok = (col == 3) ? (r <= 1.1) : (r >= 0.9)
    printf "median %s: none %s, %d conditions %s, ratio %.2f (target within 10 %%: %s)\n", name, none, n, with, r, ok ? "MET" : "MISSED"
  }'
done
