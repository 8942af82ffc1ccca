#!/usr/bin/env bash
# Intake of two commits measured in the same run: test/bench/intake.ts alternately in a worktree of
# BASE and in this checkout (or in a worktree of HEAD_REV), ROUNDS times (the order swaps each
# round), then the medians and each commit's spread. On the two-core VMs we measure on, runs of one
# commit move by ±15 %, so a change smaller than that needs several rounds, and counts that do not
# move with the machine's speed (WAL records, statements: BENCH_PG_STATEMENTS=1) beside them.
# Extra environment (BENCH_MATCH_CONDITIONS, BENCH_SECONDS…) goes to every run.
#
#   test/bench/intake-commits.sh 6b4560c              # base against the working tree, 3 rounds of 20 s
#   ROUNDS=6 test/bench/intake-commits.sh 6b4560c 457a676
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
. test/bench/intake-figures.sh
BASE=${1:?usage: intake-commits.sh BASE [HEAD_REV]}
ROUNDS=${ROUNDS:-3}
export BENCH_SECONDS=${BENCH_SECONDS:-20}
# under the checkout, not mktemp's 0700 folder: PostgreSQL runs as its own user when we are root
out=$ROOT/test/.tmp/intake-commits
rm -rf "$out"
mkdir -p "$out"
cleanup() {
  for t in "$out"/tree-*; do [ -d "$t" ] && git worktree remove --force "$t"; done
  git worktree prune
  rm -rf "$out"
}
trap cleanup EXIT
# a worktree of REV sharing this checkout's node_modules (the benchmark's dependencies must match)
tree() {
  git worktree add -q --detach "$out/tree-$1" "$1"
  ln -s "$ROOT/node_modules" "$out/tree-$1/node_modules"
}
tree "$BASE"
base_dir=$out/tree-$BASE
head_dir=$ROOT
label_head="working tree"
if [ -n "${2:-}" ]; then
  tree "$2"
  head_dir=$out/tree-$2
  label_head=$2
fi
for i in $(seq 1 "$ROUNDS"); do
  order="base head"
  [ $((i % 2)) = 0 ] && order="head base"
  for v in $order; do
    dir=$base_dir
    [ "$v" = head ] && dir=$head_dir
    rm -rf "$dir/test/.tmp/bench-intake"
    (cd "$dir" && node_modules/.bin/node test/bench/intake.ts) >"$out/run-$i-$v.log" 2>&1 ||
      { cat "$out/run-$i-$v.log"; exit 1; }
    intake_figures "$out/run-$i-$v.log" >>"$out/figures-$v"
    echo "round $i, $v: $(tail -1 "$out/figures-$v") (acknowledged/s, p99 ms, end-to-end/s, pipeline ms/alert)"
  done
done
range() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "–" hi }'; }
echo "medians of $ROUNDS rounds: base $BASE, head $label_head"
for col in 1 2 3 4; do
  name=$(echo "acknowledged alerts/s|p99 ms|end-to-end alerts/s|pipeline cpu ms/alert" | cut -d'|' -f"$col")
  b=$(cut -d' ' -f"$col" "$out/figures-base" | median)
  h=$(cut -d' ' -f"$col" "$out/figures-head" | median)
  awk -v name="$name" -v b="$b" -v h="$h" -v br="$(cut -d' ' -f"$col" "$out/figures-base" | range)" \
    -v hr="$(cut -d' ' -f"$col" "$out/figures-head" | range)" \
    'BEGIN { printf "  %s: base %s (%s), head %s (%s), head/base %.2f\n", name, b, br, h, hr, h / b }'
done
