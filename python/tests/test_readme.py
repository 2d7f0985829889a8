"""The Python examples in README.md run as written, and give what they say."""

import math
import re
import shutil
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    # Run in a scratch directory holding the one data file the examples read.
    (tmp_path / "tests/data/sdplib").mkdir(parents=True)
    shutil.copy(ROOT / "tests/data/sdplib/truss1.dat-s", tmp_path / "tests/data/sdplib")
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    env: dict = {}
    for code in blocks:
        exec(compile(code, str(README), "exec"), env)
    # The example fits noiseless outputs of known coefficients: both fits are certified and recover them.
    for r in (env["r"], env["r2"]):
        assert r.certified, r
        assert np.allclose(r.coefficients[0], [1.0, 0.5, -0.3], atol=1e-5)
        assert np.allclose(r.coefficients[1], [0.2, -0.7], atol=1e-5)
    # generate/save/load: noiseless, so the fit recovers the generator's coefficients; the certificate checks;
    # truss1's published optimum is -8.999996 (SDPLIB).
    p = env["p"]
    assert env["r3"].certified
    for got, want in zip(env["r3"].coefficients, p.true_coefficients):
        assert np.allclose(got, want, atol=1e-5)
    assert env["v"].accepted
    assert env["s"].status == "optimal" and math.isclose(env["s"].primal_objective, -8.999996, rel_tol=1e-6)
