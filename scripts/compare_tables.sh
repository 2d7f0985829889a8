#!/usr/bin/env bash
# Global vs local on the paper's Tables 1, 2, 5 configurations, sizes (50,20) and (100,25), seeds 1-3.
# Usage: scripts/compare_tables.sh   (after cargo build --release; OUT=dir for the JSON records)
set -euo pipefail
POLYACT=$(realpath "${POLYACT:-target/release/polyact}")
mkdir -p "${OUT:-compare-out}" && cd "${OUT:-compare-out}"
for cfg in "1 2,2" "2 2,3" "5 3,2"; do
  set -- $cfg; t=$1; d=$2
  for size in "50 20" "100 25"; do
    set -- $size; n=$1; m=$2
    for seed in 1 2 3; do
      f=t${t}_n${n}_s${seed}.json
      "$POLYACT" generate --degrees $d --widths $m,$m,$m,$m --samples $n --noise 0.01 --seed $seed -o $f
      for opt in lm adam; do
        "$POLYACT" compare $f --starts 20 --optimizer $opt --max-order 3 --json > cmp_${t}_${n}_${seed}_${opt}.json
      done
    done
  done
done
echo done
