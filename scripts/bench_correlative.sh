#!/usr/bin/env bash
# Correlative sparsity side by side (docs/BENCHMARKS.md, "Correlative sparsity"): the generalized Rosenbrock
# function Σ_{i<n} 100(x_{i+1} − x_i²)² + (1 − x_i)² on the ball of radius 2√n (optimum 0 at the point of
# ones) at order 2 by `polyact pop`: chordal term sparsity (n ≤ 40) and correlative sparsity (n up to 1000).
# Prints per run: wall seconds, peak resident memory, moments, lower and upper bound, status, relaxation.
# Usage: scripts/bench_correlative.sh [OUTDIR] [N...]   (after cargo build --release)
set -euo pipefail
POLYACT=$(realpath "${POLYACT:-target/release/polyact}")
OUT=${1:-bench-out}
shift || true
SIZES=${*:-10 20 40 100 200 500 1000}
mkdir -p "$OUT" && cd "$OUT"
summary() {
  python3 -c '
import json, sys
j = json.load(sys.stdin)
o = j["hierarchy"][-1]
u = o["upper_bound"]
print("%7d %+.6e %+.6e %-14s %s" % (o["moments"], o["bound"], float("nan") if u is None else u, j["status"], o["relaxation"]))
'
}
run() { # label, then the command
  local label=$1; shift
  local t0 t1 line
  t0=$(date +%s.%N)
  line=$(/usr/bin/time -f "%M" -o rss.txt "$@" --json 2>/dev/null | summary)
  t1=$(date +%s.%N)
  printf "%-24s %8.2f %7.0f MB %s\n" "$label" "$(echo "$t1 - $t0" | bc)" "$(echo "$(cat rss.txt) / 1024" | bc)" "$line"
}
printf "%-24s %8s %10s %7s %13s %13s %-14s %s\n" run seconds peak moments lower upper status relaxation
for n in $SIZES; do
  python3 -c "
import json
n = $n
v = [f'x{i + 1}' for i in range(n)]
obj = ' + '.join(f'100*({v[i + 1]} - {v[i]}^2)^2 + (1 - {v[i]})^2' for i in range(n - 1))
json.dump({'variables': v, 'objective': obj, 'radius': 2 * n ** 0.5}, open('rosenbrock$n.json', 'w'))
"
  if [[ $n -le 40 ]]; then
    run "rosenbrock $n chordal" "$POLYACT" pop rosenbrock$n.json --sparsity chordal
  fi
  run "rosenbrock $n correlative" "$POLYACT" pop rosenbrock$n.json --correlative --time-limit 1200
done
