#!/usr/bin/env bash
# Every test of the project: the Rust suite, then the Python package (built from this tree with maturin) and
# its pytest suite. This is README's test command and what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release
# dask's "distributed" extra pins the distributed release made with it: a newer dask than the newest
# distributed then resolves to the newest matching pair instead of an old, incompatible distributed.
python3 -m pip install --quiet --disable-pip-version-check numpy pytest "dask[array,distributed]"
# torch (about 4 minutes and 5 GB on a fresh machine) serves only python/tests/test_torch.py, which is skipped
# when torch cannot be installed.
python3 -m pip install --quiet --disable-pip-version-check torch ||
  echo "warning: torch could not be installed; python/tests/test_torch.py will be skipped" >&2
python3 -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python
python3 -m pytest -q python/tests
