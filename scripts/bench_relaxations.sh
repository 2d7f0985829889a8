#!/usr/bin/env bash
# Order-3 moment relaxations of the paper's five tables (all five sizes, seed 1, noise 1e-2), solved by polyact
# and by CSDP on the same exported SDPA files. Prints per problem: both times, the ratio, both objectives.
# polyact reads the relaxation recorded in the file's comment, uses its structured kernels and starts at the
# moments of a Gaussian measure; polyact_std_s is the same solve from the standard start X = ξI, Y = ηI
# (`--standard-start`), polyact_gen_s is `polyact sdp --general` (coefficient matrices as plain sparse data,
# standard start).
# Usage: scripts/bench_relaxations.sh [OUTDIR]   (after cargo build --release). Installs CSDP (Debian package
# coinor-csdp) and OpenBLAS for it if they are missing (scripts/csdp_env.sh); the test suite never needs them.
set -euo pipefail
POLYACT=$(realpath "${POLYACT:-target/release/polyact}")
OUT=${1:-bench-out}
source "$(dirname "$0")/csdp_env.sh"
mkdir -p "$OUT" && cd "$OUT"
now() { date +%s.%N; }
printf "%-8s %4s %3s %6s %4s %10s %8s %13s %13s %10s %7s %16s %16s\n" table N m vars its polyact_s std_its polyact_std_s polyact_gen_s csdp_s ratio polyact_obj csdp_obj
for cfg in "1 2,2" "2 2,3" "3 1,1,1" "4 2,1,1" "5 3,2"; do
  set -- $cfg; t=$1; d=$2
  depth=$(echo "$d" | tr ',' '\n' | wc -l)
  for size in "50 20" "100 25" "150 30" "200 35" "250 40"; do
    set -- $size; n=$1; m=$2
    widths=$(printf "$m%.0s," $(seq 1 $((depth + 2))) | sed 's/,$//')
    p=t${t}_n${n}.json; f=t${t}_n${n}.dat-s
    "$POLYACT" generate --degrees "$d" --widths "$widths" --samples "$n" --noise 0.01 --seed 1 -o "$p"
    "$POLYACT" fit "$p" --order 3 --max-order 3 --no-low-rank --no-polish --export-sdpa "$f" --json > /dev/null
    g0=$(now); "$POLYACT" sdp "$f" --general --json > "$f.general.json"; g1=$(now)
    s0=$(now); "$POLYACT" sdp "$f" --standard-start --json > "$f.standard.json"; s1=$(now)
    a=$(now); "$POLYACT" sdp "$f" --json > "$f.polyact.json"; b=$(now)
    csdp "$f" "$f.sol" > "$f.csdp.log" 2>&1 || true; c=$(now)
    its=$(python3 -c "import json;print(json.load(open('$f.polyact.json'))['iterations'])")
    sits=$(python3 -c "import json;print(json.load(open('$f.standard.json'))['iterations'])")
    pobj=$(python3 -c "import json;print(json.load(open('$f.polyact.json'))['primal_objective'])")
    vars=$(python3 -c "import json;print(json.load(open('$f.polyact.json'))['variables'])")
    cobj=$(grep -m1 "Primal objective value" "$f.csdp.log" | awk '{print $4}')
    awk -v t="$t" -v n="$n" -v m="$m" -v v="$vars" -v it="$its" -v a="$a" -v b="$b" -v c="$c" -v g0="$g0" -v g1="$g1" \
      -v s0="$s0" -v s1="$s1" -v sit="$sits" -v po="$pobj" -v co="${cobj:-nan}" \
      'BEGIN { ps=b-a; cs=c-b; gs=g1-g0; ss=s1-s0; printf "%-8s %4d %3d %6s %4d %10.3f %8d %13.3f %13.3f %10.3f %7.2f %16.9e %16s\n", t, n, m, v, it, ps, sit, ss, gs, cs, cs/ps, po, co }'
  done
done
