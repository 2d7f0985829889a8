"""The Python examples in README.md run as written, and give what they say."""

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_python_blocks_run():
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
