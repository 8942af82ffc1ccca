# Shared by the scripts that compare test/bench/intake.ts runs (match-intake.sh, intake-commits.sh);
# sourced, not run.

# One run's figures from its log, on one line: acknowledged/s, p99 ms, end-to-end/s, pipeline ms/alert.
intake_figures() {
  sed -nE 's/^intake: .* = ([0-9]+) alerts\/s.*/\1/p; s/^intake latency ms: .*p99 ([0-9.]+) .*/\1/p; s/^end to end .* = ([0-9]+) alerts\/s.*/\1/p; s/^pipeline cpu per alert .*: ([0-9.]+) ms .*/\1/p' \
    "$1" | paste -sd' '
}

# The median of the numbers on standard input, one a line.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
