#!/usr/bin/env bash
# The interior-point method and the first-order path (ADMM) side by side, in one run, on the same SDPs:
# moment relaxations of generated networks (orders 3 and 4) and SDPLIB problems. Prints one line per method
# and problem (time, iterations, objective, valid bound). Usage: scripts/bench_first_order.sh [ADMM_TIME_LIMIT]
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${1:-300}
cargo build --release --quiet --bin polyact --example first_order
P=target/release/polyact
E=target/release/examples/first_order
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
$P generate --degrees 2,2 --widths 40,40,40,40 --samples 250 --noise 0.01 --seed 1 -o "$dir/n22.json" >/dev/null
$P generate --degrees 2,3 --widths 40,40,40,40 --samples 250 --noise 0.01 --seed 1 -o "$dir/n23.json" >/dev/null
for net in n22 n23; do
  for k in 3 4; do
    $P fit "$dir/$net.json" --order $k --max-order $k --export-sdpa "$dir/$net-o$k.dat-s" -q --time-limit 1 >/dev/null 2>&1 || true
    echo "== $net order $k"
    $E "$dir/$net-o$k.dat-s" --time-limit "$limit"
  done
done
