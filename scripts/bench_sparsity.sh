#!/usr/bin/env bash
# Term sparsity side by side (docs/BENCHMARKS.md, "Term sparsity"): the generalized Rosenbrock function
# Σ_{i<n} 100(x_{i+1} − x_i²)² + (1 − x_i)² on the ball of radius 2√n (optimum 0 at the point of ones) at
# order 2, dense (n ≤ 20) and chordal, by `polyact pop`; then (2,2,2) networks (widths 20, N = 100, noise 0 and
# 0.01) at order 4 by `polyact fit`: θ-free dense, θ-free chordal, and chordal with the ball on (c, θ/s). Prints per run: wall seconds, moments, lower and upper bound, status, blocks.
# Usage: scripts/bench_sparsity.sh [OUTDIR]   (after cargo build --release)
set -euo pipefail
POLYACT=$(realpath "${POLYACT:-target/release/polyact}")
LAST_ORDER=$(realpath "$(dirname "$0")/lib/last_order.py")
OUT=${1:-bench-out}
mkdir -p "$OUT" && cd "$OUT"
summary() { python3 "$LAST_ORDER"; }
run() { # label, then the command
  local label=$1; shift
  local t0 t1 line
  t0=$(date +%s.%N)
  line=$("$@" --json 2>/dev/null | summary)
  t1=$(date +%s.%N)
  printf "%-22s %8.2f %s\n" "$label" "$(echo "$t1 - $t0" | bc)" "$line"
}
printf "%-22s %8s %7s %13s %13s %-14s %s\n" run seconds moments lower upper status relaxation
for n in 10 20 40; do
  python3 -c "
import json
n = $n
v = [f'x{i + 1}' for i in range(n)]
obj = ' + '.join(f'100*({v[i + 1]} - {v[i]}^2)^2 + (1 - {v[i]})^2' for i in range(n - 1))
json.dump({'variables': v, 'objective': obj, 'radius': 2 * n ** 0.5}, open('rosenbrock$n.json', 'w'))
"
  if [[ $n -le 20 ]]; then
    run "rosenbrock $n dense" "$POLYACT" pop rosenbrock$n.json --sparsity none
  fi
  run "rosenbrock $n chordal" "$POLYACT" pop rosenbrock$n.json --sparsity chordal
done
for noise in 0 0.01; do
  "$POLYACT" generate --degrees 2,2,2 --widths 20,20,20,20,20 --samples 100 --noise $noise --seed 1 \
    -o n222_$noise.json > /dev/null
  for options in "true none" "true chordal" "false chordal"; do
    read -r free s <<<"$options"
    label="(2,2,2) σ=$noise $s"
    [[ $free == true ]] && label="$label θ-free"
    run "$label" "$POLYACT" fit n222_$noise.json --theta-free "$free" --sparsity "$s" --order 4 \
      --max-order 4 --ball-retries 0
  done
done
