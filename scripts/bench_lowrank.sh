#!/usr/bin/env bash
# The low-rank SDP path (sdp::lowrank) against the interior-point method on the same relaxations, one after
# the other in one run (examples/lowrank.rs): order 3 of (2,2), (2,3) and (3,2) networks (widths 40, N = 250,
# noise 0.01), and order 4 of the (2,2) network with ORDER4=1. The low-rank path starts from the moments of
# the minimizer read off the interior-point answer, the best start the hierarchy could give it.
#
#   scripts/bench_lowrank.sh OUT_DIR [TIME_LIMIT_SECONDS]
set -euo pipefail
out=${1:?usage: bench_lowrank.sh OUT_DIR [TIME_LIMIT_SECONDS]}
limit=${2:-120}
mkdir -p "$out"
cargo build --release --quiet --bin polyact --example lowrank
bin=target/release/polyact
ex=target/release/examples/lowrank
cases="2,2:1:3 2,3:3:3 3,2:1:3"
if [[ "${ORDER4:-0}" == 1 ]]; then cases="$cases 2,2:1:4"; fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in $cases; do
  IFS=: read -r degrees seed order <<<"$c"
  name="d${degrees/,/}_s${seed}"
  [[ -f "$out/$name.json" ]] || "$bin" generate --degrees "$degrees" --widths 40,40,40,40 --samples 250 \
    --noise 0.01 --seed "$seed" -o "$out/$name.json" >/dev/null
  sdpa="$out/${name}_o$order.dat-s"
  [[ -f "$sdpa" ]] || "$bin" fit "$out/$name.json" --order "$order" --max-order "$order" --no-low-rank \
    --no-polish --time-limit 0 --export-sdpa "$sdpa" >/dev/null
  echo "== ($degrees) seed $seed order $order"
  "$ex" "$sdpa" --time-limit "$limit"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
