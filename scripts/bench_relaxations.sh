#!/usr/bin/env bash
# Order-3 moment relaxations of the paper's five tables (all five sizes, seed 1, noise 1e-2), solved by polyact
# and by CSDP on the same exported SDPA files. Prints per problem: both times, the ratio, and both solvers'
# objectives side by side: polyact_obj / csdp_obj are the SDPA primal (min c·x; CSDP calls it its dual),
# polyact_dual / csdp_primal the SDPA dual (max ⟨F₀, Y⟩); rel_min / rel_max are the smaller and larger of the
# two sides' relative differences, and overlap says whether the two solvers' [dual, primal] brackets of the
# optimal value intersect (they must, up to the solvers' infeasibilities).
# polyact reads the relaxation recorded in the file's comment, uses its structured kernels and starts at the
# moments of a Gaussian measure; polyact_std_s is the same solve from the standard start X = ξI, Y = ηI
# (`--standard-start`), polyact_gen_s is `polyact sdp --general` (coefficient matrices as plain sparse data,
# standard start).
# Usage: scripts/bench_relaxations.sh [--csdp] [OUTDIR]   (after cargo build --release). CSDP runs when it is on
# PATH; --csdp installs it (Debian package coinor-csdp) with OpenBLAS if missing (scripts/csdp_env.sh). Without
# CSDP its columns print "-". The test suite never needs it.
set -euo pipefail
POLYACT=$(realpath "${POLYACT:-target/release/polyact}")
want_csdp=0
if [[ "${1:-}" == --csdp ]]; then
  want_csdp=1
  shift
fi
OUT=${1:-bench-out}
SCRIPTS=$(realpath "$(dirname "$0")")
have_csdp=0
if [[ $want_csdp == 1 ]] || command -v csdp >/dev/null 2>&1; then
  CSDP_INSTALL=$want_csdp source "$SCRIPTS/csdp_env.sh"
  have_csdp=1
fi
mkdir -p "$OUT" && cd "$OUT"
now() { date +%s.%N; }
printf "%-8s %4s %3s %6s %4s %10s %8s %13s %13s %10s %7s %16s %16s %14s %14s %9s %9s %7s\n" table N m vars its polyact_s std_its polyact_std_s polyact_gen_s csdp_s ratio polyact_obj csdp_obj polyact_dual csdp_primal rel_min rel_max overlap
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
    if [[ $have_csdp == 1 ]]; then csdp "$f" "$f.sol" > "$f.csdp.log" 2>&1 || true; fi; c=$(now)
    its=$(python3 -c "import json;print(json.load(open('$f.polyact.json'))['iterations'])")
    sits=$(python3 -c "import json;print(json.load(open('$f.standard.json'))['iterations'])")
    pobj=$(python3 -c "import json;print(json.load(open('$f.polyact.json'))['primal_objective'])")
    dobj=$(python3 -c "import json;print(json.load(open('$f.polyact.json'))['dual_objective'])")
    vars=$(python3 -c "import json;print(json.load(open('$f.polyact.json'))['variables'])")
    # CSDP's primal is the SDPA dual (max ⟨F₀, Y⟩) and its dual the SDPA primal (min c·x): its "Dual objective
    # value" is on the side of polyact's primal objective, its "Primal objective value" on polyact's dual side.
    # It prints them to 8 digits; both are recomputed in full from its solution file.
    cobj=nan; cpri=nan
    if [[ $have_csdp == 1 ]]; then
      read -r cobj cpri < <(python3 "$SCRIPTS/csdp_objectives.py" "$f" "$f.sol" 2>/dev/null || echo nan nan)
    fi
    awk -v t="$t" -v n="$n" -v m="$m" -v v="$vars" -v it="$its" -v a="$a" -v b="$b" -v c="$c" -v g0="$g0" -v g1="$g1" \
      -v s0="$s0" -v s1="$s1" -v sit="$sits" -v po="$pobj" -v co="${cobj:-nan}" -v pd="$dobj" -v cp="${cpri:-nan}" -v hc="$have_csdp" \
      'function abs(x) { return x < 0 ? -x : x }
       BEGIN { ps=b-a; cs=c-b; gs=g1-g0; ss=s1-s0
         if (hc != 1) {
           printf "%-8s %4d %3d %6s %4d %10.3f %8d %13.3f %13.3f %10s %7s %16.9e %16s %14.9e %14s %9s %9s %7s\n", t, n, m, v, it, ps, sit, ss, gs, "-", "-", po, "-", pd, "-", "-", "-", "-"
           exit
         }
         # Relative differences of the min sides (c·x) and of the max sides (⟨F₀, Y⟩); each solver brackets the
         # optimal value between its two objectives, so the two brackets must overlap.
         r1=abs(po-co)/abs(co); r2=abs(pd-cp)/abs(cp)
         lo=(pd>cp?pd:cp); hi=(po<co?po:co); ov=(lo<=hi)?"yes":"NO"
         printf "%-8s %4d %3d %6s %4d %10.3f %8d %13.3f %13.3f %10.3f %7.2f %16.9e %16.9e %14.9e %14.9e %9.1e %9.1e %7s\n", t, n, m, v, it, ps, sit, ss, gs, cs, cs/ps, po, co, pd, cp, (r1<r2?r1:r2), (r1>r2?r1:r2), ov }'
  done
done
