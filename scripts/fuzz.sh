#!/usr/bin/env bash
# Run every fuzz target of fuzz/ for SECONDS each (default 300): ./scripts/fuzz.sh [SECONDS] [TARGET...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`); the stable toolchain serves as nightly via RUSTC_BOOTSTRAP=1.
# Crashing inputs land in fuzz/artifacts/TARGET/; copy each into tests/fuzz_regressions/ once fixed.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-300}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(sdpa pop_expr pop_json problem_json stats_json certificate csv npy)
fi
mkdir -p corpus
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "== $t for ${secs}s"
    RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 -timeout=10
done
