#!/usr/bin/env bash
# Correlative sparsity (docs/BENCHMARKS.md, "Correlative sparsity"): chained problems with known optimum 0, on
# the ball of radius 2√n, at order 2 by `polyact pop`:
#   rosenbrock  Σ_{i<n} 100(x_{i+1} − x_i²)² + (1 − x_i)²                        (minimum at the point of ones)
#   broyden     Σ_i ((3 − 2x_i)x_i − x_{i−1} − 2x_{i+1} + 1)², x_0 = x_{n+1} = 0  (a zero of the tridiagonal system)
#   singular    Σ_{i odd ≤ n−3} (x_i + 10x_{i+1})² + 5(x_{i+2} − x_{i+3})² + (x_{i+1} − 2x_{i+2})⁴ + 10(x_i − x_{i+3})⁴
#                                                                                   (minimum at 0)
#   wood        Σ_{i odd ≤ n−3} 100(x_{i+1} − x_i²)² + (1 − x_i)² + 90(x_{i+3} − x_{i+2}²)² + (1 − x_{i+2})²
#               + 10(x_{i+1} + x_{i+3} − 2)² + 0.1(x_{i+1} − x_{i+3})²               (minimum at the point of ones)
#   banded      Σ_i (x_i(2 + 5x_i²) + 1 − Σ_{j ∈ J_i} (1 + x_j)x_j)², J_i = {i−5, …, i+1} ∖ {i}   (Broyden banded,
#               a zero of the system; order 3, cliques of 7 variables: not in the default list)
# Runs: the default (`--sparsity auto`: correlative first where the variables split into cliques), chordal term
# sparsity (n ≤ CHORDAL_MAX, default 20), correlative sparsity, and correlative with chordal term sparsity inside
# the cliques (CS-TSSOS). Prints per run: wall seconds, peak memory, moments, lower and upper bound, status,
# relaxation.
# Usage: scripts/bench_correlative.sh [OUTDIR] [N...]   (after cargo build --release; PROBLEMS="rosenbrock wood")
set -euo pipefail
POLYACT=$(realpath "${POLYACT:-target/release/polyact}")
LAST_ORDER=$(realpath "$(dirname "$0")/lib/last_order.py")
OUT=${1:-bench-out}
shift || true
SIZES=${*:-10 20 40 100 200 500 1000}
PROBLEMS=${PROBLEMS:-rosenbrock broyden singular wood}
mkdir -p "$OUT" && cd "$OUT"
summary() { python3 "$LAST_ORDER"; }
run() { # label, then the command
  local label=$1; shift
  local t0 t1 line
  t0=$(date +%s.%N)
  line=$(/usr/bin/time -f "%M" -o rss.txt "$@" --json 2>/dev/null | summary) || line="failed (exit code $?)"
  t1=$(date +%s.%N)
  printf "%-28s %8.2f %7.0f MB %s\n" "$label" "$(echo "$t1 - $t0" | bc)" "$(echo "$(cat rss.txt) / 1024" | bc)" "$line"
}
write_problem() { # name, n
  python3 - "$1" "$2" <<'PY'
import json, sys
name, n = sys.argv[1], int(sys.argv[2])
v = [f"x{i + 1}" for i in range(n)]
x = lambda i: v[i - 1]  # 1-based
if name == "rosenbrock":
    terms = [f"100*({x(i + 1)} - {x(i)}^2)^2 + (1 - {x(i)})^2" for i in range(1, n)]
elif name == "broyden":
    def term(i):
        s = f"(3 - 2*{x(i)})*{x(i)} + 1"
        if i > 1: s += f" - {x(i - 1)}"
        if i < n: s += f" - 2*{x(i + 1)}"
        return f"({s})^2"
    terms = [term(i) for i in range(1, n + 1)]
elif name == "singular":
    terms = [f"({x(i)} + 10*{x(i + 1)})^2 + 5*({x(i + 2)} - {x(i + 3)})^2 + ({x(i + 1)} - 2*{x(i + 2)})^4"
             f" + 10*({x(i)} - {x(i + 3)})^4" for i in range(1, n - 2, 2)]
elif name == "wood":
    terms = [f"100*({x(i + 1)} - {x(i)}^2)^2 + (1 - {x(i)})^2 + 90*({x(i + 3)} - {x(i + 2)}^2)^2"
             f" + (1 - {x(i + 2)})^2 + 10*({x(i + 1)} + {x(i + 3)} - 2)^2 + 0.1*({x(i + 1)} - {x(i + 3)})^2"
             for i in range(1, n - 2, 2)]
elif name == "banded":
    def term(i):
        s = f"{x(i)}*(2 + 5*{x(i)}^2) + 1"
        for j in range(max(1, i - 5), min(n, i + 1) + 1):
            if j != i: s += f" - (1 + {x(j)})*{x(j)}"
        return f"({s})^2"
    terms = [term(i) for i in range(1, n + 1)]
json.dump({"variables": v, "objective": " + ".join(terms), "radius": 2 * n ** 0.5},
          open(f"{name}{n}.json", "w"))
PY
}
printf "%-28s %8s %10s %7s %13s %13s %-14s %s\n" run seconds peak moments lower upper status relaxation
for name in $PROBLEMS; do
  for n in $SIZES; do
    write_problem "$name" "$n"
    run "$name $n default" "$POLYACT" pop "$name$n.json" --time-limit 1200
    if [[ $n -le ${CHORDAL_MAX:-20} ]]; then
      run "$name $n chordal" "$POLYACT" pop "$name$n.json" --sparsity chordal --time-limit 1200
    fi
    run "$name $n correlative" "$POLYACT" pop "$name$n.json" --correlative --time-limit 1200
    run "$name $n cs-tssos" "$POLYACT" pop "$name$n.json" --correlative --sparsity chordal --time-limit 1200
  done
done
