#!/usr/bin/env bash
# Solve every SDPLIB problem in a directory with `polyact sdp` (release build) and compare with the published
# optimal values of that directory's README.md.
#
#   scripts/bench_sdplib.sh [--csdp] [DIR]   (default DIR: tests/data/sdplib, relative to the crate root)
#
# Prints one line per problem: name, status, primal objective, published value, relative error, iterations,
# seconds (wall clock of `polyact sdp`, process start included, as for CSDP). With --csdp, CSDP is run on the
# same file (installed with OpenBLAS if missing, scripts/csdp_env.sh) and its time and objective are printed
# too; without it, CSDP is run only if it is on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
want_csdp=0
if [[ "${1:-}" == --csdp ]]; then
    want_csdp=1
    shift
fi
dir="${1:-tests/data/sdplib}"
if [[ ! -d "$dir" ]]; then
    echo "no SDPLIB directory at $dir" >&2
    exit 1
fi
cargo build --release --quiet
bin=target/release/polyact
have_csdp=0
if [[ $want_csdp == 1 ]] || command -v csdp >/dev/null 2>&1; then
    # Installs CSDP and OpenBLAS only when asked for with --csdp.
    CSDP_INSTALL=$want_csdp source scripts/csdp_env.sh
    have_csdp=1
fi

# The published value of a problem from the README's table (| name | m | n | value |), or empty.
published() {
    [[ -f "$dir/README.md" ]] || return 0
    awk -F'|' -v n="$1" '{ gsub(/ /, "", $2) } $2 == n { v = $5; gsub(/^ +| +$/, "", v); print v; exit }' \
        "$dir/README.md"
}

# A field of the pretty JSON report (first occurrence).
field() {
    sed -n "s/^ *\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" <<<"$2" | head -n 1
}

header="%-10s %-18s %18s %22s %10s %6s %9s"
printf "$header" problem status objective published rel.error iters seconds
[[ $have_csdp == 1 ]] && printf " %11s %18s" csdp-seconds csdp-objective
printf "\n"
failures=0
for file in "$dir"/*.dat-s; do
    name="$(basename "$file" .dat-s)"
    pub="$(published "$name")"
    t0=$(date +%s.%N)
    if json="$("$bin" sdp "$file" --json 2>/dev/null)"; then
        t1=$(date +%s.%N)
        status="$(field status "$json")"
        pobj="$(field primal_objective "$json")"
        iters="$(field iterations "$json")"
        secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
    else
        status="error"; pobj="nan"; iters="-"; secs="-"
    fi
    relerr="$(awk -v a="$pobj" -v b="$pub" 'BEGIN {
        if (b !~ /^[-+0-9.eE]+$/ || a == "nan") { print "-"; exit }
        d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b; if (s < 1) s = 1;
        printf "%.2e", d / s }')"
    case "$pub" in
        *infeasible*) expect="${pub// /_}"; [[ "$status" == "$expect" ]] || failures=$((failures + 1)) ;;
        "") ;;
        *) [[ "$status" == optimal || "$status" == near_optimal ]] || failures=$((failures + 1)) ;;
    esac
    printf "%-10s %-18s %18.10e %22s %10s %6s %9.3f" "$name" "$status" "$pobj" "${pub:--}" "$relerr" "$iters" \
        "$secs"
    if [[ $have_csdp == 1 ]]; then
        start=$(date +%s.%N)
        out="$(csdp "$file" 2>&1 || true)"
        end=$(date +%s.%N)
        cobj="$(sed -n 's/^Primal objective value: *//p' <<<"$out" | head -n 1)"
        printf " %11.3f %18s" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "${cobj:--}"
    fi
    printf "\n"
done
if [[ $failures -gt 0 ]]; then
    echo "$failures problem(s) not solved as published" >&2
    exit 1
fi
