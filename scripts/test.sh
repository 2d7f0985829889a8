#!/usr/bin/env bash
# Every test of the project: the Rust suite, then the Python package (built from this tree with maturin) and
# its pytest suite. This is README's test command and what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release
python3 -m pip install --quiet --disable-pip-version-check numpy pytest "dask[array]" distributed
python3 -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python
python3 -m pytest -q python/tests
