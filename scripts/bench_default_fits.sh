#!/usr/bin/env bash
# The default `polyact fit` (orders k0..k0+2, the 300 s time limit, the interior-point method) on the 25
# instances of `polyact reproduce --table 1..5` (seed 1, noise 1e-2): one line per instance with the order that
# certified it (or the relative gap left), the time of each order, and the total.
# Usage: scripts/bench_default_fits.sh [EXTRA FIT OPTIONS...]; POLYACT=BINARY runs that build instead of this
# tree's (to compare two builds on the same instances).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${POLYACT:-}" ]]; then
  cargo build --release --quiet --bin polyact
fi
P=${POLYACT:-target/release/polyact}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
degrees=(2,2 2,3 1,1,1 2,1,1 3,2)
rows=("50 20" "100 25" "150 30" "200 35" "250 40")
total=0
for t in 1 2 3 4 5; do
  d=${degrees[$((t - 1))]}
  layers=$(($(tr -cd , <<<"$d" | wc -c) + 3))
  for row in "${rows[@]}"; do
    read -r n m <<<"$row"
    widths=$(printf "$m%.0s," $(seq $layers)); widths=${widths%,}
    f="$dir/t$t-$n.json"
    $P generate --degrees "$d" --widths "$widths" --samples "$n" --test-samples "$n" --noise 0.01 --seed 1 \
      -o "$f" >/dev/null
    start=$(date +%s.%N)
    $P fit "$f" --json -q "$@" >"$dir/out.json" 2>/dev/null || true
    end=$(date +%s.%N)
    line=$(python3 - "$dir/out.json" "$t" "$d" "$n" "$m" "$start" "$end" <<'PY'
import json, sys
path, t, d, n, m, start, end = sys.argv[1:]
wall = float(end) - float(start)
try:
    r = json.load(open(path))
except Exception as e:
    print(f"table {t} ({d}) N={n:>3} m={m}: no report ({e}); {wall:.1f} s")
    sys.exit()
orders = " ".join(f"o{h['order']}:{h['seconds']:.1f}s" for h in r["hierarchy"])
what = f"certified@{r['order']}" if r["status"] == "certified" else f"{r['status']}, gap {r['relative_gap']:.2e}"
print(f"table {t} ({d}) N={n:>3} m={m}: {what:<34} {wall:7.1f} s  [{orders}]")
PY
)
    echo "$line"
    total=$(python3 -c "print($total + $end - $start)")
  done
done
printf "total %.1f s\n" "$total"
