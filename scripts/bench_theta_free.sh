#!/usr/bin/env bash
# θ-free bases side by side with the dense relaxation (docs/BENCHMARKS.md, "θ-free bases at order 4"): the
# order-4 relaxation (`polyact fit F --order 4 --max-order 4`) of the six instances of the paper's tables that
# need order 4 (seed 1, noise 1e-2), dense, θ-free, and θ-free with chordal term sparsity, one after the other.
# Prints per run: wall seconds, moments, lower bound, upper bound (the loss), status.
# Usage: scripts/bench_theta_free.sh   (builds target/release/polyact)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin polyact
P=$(realpath target/release/polyact)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf "%-18s %-16s %8s %7s %13s %13s %s\n" instance relaxation seconds moments lower upper status
for spec in "2,2 35 200" "2,3 20 50" "2,3 35 200" "3,2 25 100" "3,2 35 200" "3,2 40 250"; do
  read -r d m n <<<"$spec"
  f="$dir/p.json"
  $P generate --degrees "$d" --widths "$m,$m,$m,$m" --samples "$n" --test-samples "$n" --noise 0.01 --seed 1 \
    -o "$f" >/dev/null
  for options in "--theta-free false" "--theta-free true" "--theta-free true --sparsity chordal"; do
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    $P fit "$f" --order 4 --max-order 4 $options --json -q >"$dir/out.json" 2>/dev/null || true
    end=$(date +%s.%N)
    python3 - "$dir/out.json" "($d) w$m N=$n" "$options" "$start" "$end" <<'PY'
import json, sys
path, name, options, start, end = sys.argv[1:]
label = {"--theta-free false": "dense", "--theta-free true": "θ-free"}.get(options, "θ-free chordal")
try:
    r = json.load(open(path))
except Exception as e:
    print(f"{name:<18} {label:<16} no report ({e})")
    sys.exit()
o = r["hierarchy"][-1]
u = o["upper_bound"]
print(f"{name:<18} {label:<16} {float(end) - float(start):8.1f} {o['moments']:7d} {o['bound'] if o['bound'] is not None else float('nan'):+.6e} "
      f"{float('nan') if u is None else u:+.6e} {r['status']}")
PY
  done
done
