"""Problem files, generate, sdp and verify from Python, against the command line's files and answers computed
independently (SDPLIB's published optima, a numpy check of the SDP's constraints, the generator's true
coefficients)."""

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

import polyact

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "release" / "polyact"
SDPLIB = ROOT / "tests" / "data" / "sdplib"

from example_3_4 import TRUE, W, X, Y  # noqa: E402


def cli(*args):
    if not BINARY.exists():
        pytest.skip("the polyact binary is built by `cargo test --release` first (scripts/test.sh)")
    return subprocess.run([str(BINARY), *map(str, args)], check=True, capture_output=True, text=True).stdout


def test_problem_attributes_and_round_trip(tmp_path: Path):
    p = polyact.Problem(W, [2, 1], X, Y, true_coefficients=TRUE, test_X=X[:1], test_Y=Y[:1])
    assert p.degrees == [2, 1] and p.samples == 2
    assert all(isinstance(w, np.ndarray) and w.dtype == np.float64 for w in p.weights)
    assert np.array_equal(p.weights[1], W[1]) and np.array_equal(p.inputs, X) and np.array_equal(p.outputs, Y)
    assert np.array_equal(p.true_coefficients[0], TRUE[0]) and np.array_equal(p.test_outputs, Y[:1])
    path = tmp_path / "p.json"
    p.save(path)
    q = polyact.Problem.load(path)
    assert q == p and polyact.Problem.from_json(p.to_json()) == p
    # Numbers survive the file exactly.
    rng = np.random.default_rng(3)
    r = polyact.Problem([rng.standard_normal((3, 2)), rng.standard_normal((1, 3))], [1],
                        rng.standard_normal((5, 2)), rng.standard_normal((5, 1)), true_coefficients=[[0.1, 1 / 3]])
    r.save(path)
    assert polyact.Problem.load(path) == r


def test_a_file_written_by_python_is_the_problem_the_library_fits(tmp_path: Path):
    path = tmp_path / "ex.json"
    polyact.Problem(W, [2, 1], X, Y, true_coefficients=TRUE).save(path)
    a = polyact.fit(polyact.Problem.load(path))
    b = polyact.fit_file(path)
    assert a.certified and a.lower_bound == b.lower_bound and a.loss == b.loss
    assert a.coefficient_error is not None and a.coefficient_error < 1e-6
    report = json.loads(cli("fit", path, "--json", "--quiet"))
    assert report["lower_bound"] == a.lower_bound and report["status"] == a.status


def test_the_cli_example_file_is_example_3_4(tmp_path: Path):
    path = tmp_path / "ex.json"
    cli("example", "--save", path)
    assert polyact.Problem.load(path) == polyact.Problem(W, [2, 1], X, Y, true_coefficients=TRUE)


def test_generate_is_the_cli_generate(tmp_path: Path):
    p = polyact.generate([2, 1], [3, 4, 4, 2], 30, noise=0.05, seed=11, test_samples=7)
    assert p == polyact.generate([2, 1], [3, 4, 4, 2], 30, noise=0.05, seed=11, test_samples=7)
    assert p != polyact.generate([2, 1], [3, 4, 4, 2], 30, noise=0.05, seed=12, test_samples=7)
    assert [w.shape for w in p.weights] == [(4, 3), (4, 4), (2, 4)]
    assert p.inputs.shape == (30, 3) and p.outputs.shape == (30, 2) and p.test_inputs.shape == (7, 3)
    path = tmp_path / "g.json"
    cli("generate", "--degrees", "2,1", "--widths", "3,4,4,2", "--samples", 30, "--noise", 0.05,
        "--seed", 11, "--test-samples", 7, "-o", path)
    assert polyact.Problem.load(path) == p


def test_generate_noiseless_is_recovered():
    p = polyact.generate([2, 1], [4, 5, 5, 2], 40, noise=0.0, seed=5)
    # The outputs are the forward pass of the true coefficients (a numpy forward pass, independently).
    h = p.inputs.T
    for w, c in zip(p.weights[:-1], p.true_coefficients):
        t = w @ h
        h = sum(ck * t**k for k, ck in enumerate(c))
    assert np.allclose((p.weights[-1] @ h).T, p.outputs, rtol=1e-12, atol=1e-12)
    r = polyact.fit(p, loss="lsq")
    assert r.certified, r
    for got, want in zip(r.coefficients, p.true_coefficients):
        assert np.allclose(got, want, atol=1e-5)


def read_sdpa(path: Path):
    """(c, [F_0, F_1, ...]) of an SDPA sparse file, blocks assembled into one block-diagonal matrix."""
    lines = [ln.split('"')[0].strip() for ln in path.read_text().splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith(("*", '"'))]
    m = int(lines[0].split()[0])
    sizes = [abs(int(float(v))) for v in lines[2].replace(",", " ").replace("{", " ").replace("}", " ").split()]
    c = np.array([float(v) for v in lines[3].replace(",", " ").replace("{", " ").replace("}", " ").split()][:m])
    offs = np.concatenate([[0], np.cumsum(sizes)])
    F = np.zeros((m + 1, offs[-1], offs[-1]))
    for ln in lines[4:]:
        k, b, i, j, v = ln.split()
        k, b, i, j = int(k), int(b) - 1, int(i) - 1, int(j) - 1
        F[k, offs[b] + i, offs[b] + j] = F[k, offs[b] + j, offs[b] + i] = float(v)
    return c, F


@pytest.mark.parametrize("name, optimum, digits", [("truss1", -8.999996, 7), ("control1", 17.78463, 7)])
def test_sdp_solves_sdplib(name, optimum, digits):
    path = SDPLIB / f"{name}.dat-s"
    r = polyact.sdp(path)
    assert r.solved, r
    assert math.isclose(r.primal_objective, optimum, rel_tol=10.0**-(digits - 1))
    assert math.isclose(r.dual_objective, optimum, rel_tol=10.0**-(digits - 1))
    assert r.relative_gap < 1e-6 and r.primal_infeasibility < 1e-6 and r.dual_infeasibility < 1e-6
    # x checked by numpy: c.x is the objective and sum x_i F_i - F_0 is positive semidefinite.
    c, F = read_sdpa(path)
    assert isinstance(r.x, np.ndarray) and r.x.shape == c.shape
    assert math.isclose(c @ r.x, r.primal_objective, rel_tol=1e-9)
    S = np.tensordot(r.x, F[1:], axes=1) - F[0]
    assert np.linalg.eigvalsh(S).min() >= -1e-6 * max(1.0, np.abs(S).max())
    # Text and path give the same answer.
    assert polyact.sdp(path.read_text()).primal_objective == r.primal_objective


def test_sdp_infeasible_status():
    assert polyact.sdp(SDPLIB / "infp1.dat-s").status == "primal_infeasible"


def test_verify_a_pop_certificate(tmp_path: Path):
    # min x^2 - 2x + 3 on x^2 <= 4 is 2 (at x = 1).
    problem = {"objective": "x^2 - 2*x + 3", "inequalities": ["4 - x^2"]}
    r = polyact.pop(problem)
    assert r.certificate is not None
    v = polyact.verify(problem, r)
    assert v.accepted, v.problems
    assert math.isclose(v.claimed_bound, 2.0, rel_tol=1e-6)
    assert v.certified_lower_bound is not None and v.certified_lower_bound <= 2.0 + 1e-12
    # As files, and as the CLI does.
    r.save_certificate(tmp_path / "cert.json")
    (tmp_path / "p.json").write_text(json.dumps(problem))
    w = polyact.verify(tmp_path / "p.json", str(tmp_path / "cert.json"))
    assert w.accepted and w.certified_lower_bound == v.certified_lower_bound
    out = json.loads(cli("verify", tmp_path / "p.json", tmp_path / "cert.json", "--json"))
    assert out["certified_lower_bound"] == v.certified_lower_bound
    # A certificate claiming more than it proves is rejected; one for another problem is an error.
    bad = json.loads(r.certificate)
    bad["lower_bound"] = 2.5
    v = polyact.verify(problem, json.dumps(bad))
    assert not v.accepted and v.problems
    with pytest.raises(ValueError, match="another problem"):
        polyact.verify({"objective": "x^2 + 1", "inequalities": ["4 - x^2"]}, r)


def test_a_fit_has_a_certificate(tmp_path: Path):
    r = polyact.fit(W, [2, 1], X, Y)
    cert = json.loads(r.certificate)
    assert cert["multipliers"] and cert["order"] == r.order
    r.save_certificate(tmp_path / "c.json")
    assert json.loads((tmp_path / "c.json").read_text()) == cert


@pytest.mark.parametrize("loss", ["mean-inf", "lsq", "max-inf"])
def test_a_fit_certificate_verifies_against_its_problem(tmp_path: Path, loss: str):
    p = polyact.Problem(W, [2, 1], X, Y)
    r = polyact.fit(p, loss=loss)
    v = polyact.verify(p, r)
    assert v.accepted, v.problems
    assert v.certified_lower_bound is not None and v.certified_lower_bound <= r.loss * (1 + 1e-9) + 1e-12
    # As the CLI does, from files.
    p.save(tmp_path / "p.json")
    r.save_certificate(tmp_path / "c.json")
    out = json.loads(cli("verify", tmp_path / "p.json", tmp_path / "c.json", "--json"))
    assert out["certified_lower_bound"] == v.certified_lower_bound


def test_problem_bad_input(tmp_path: Path):
    with pytest.raises(ValueError, match="NaN"):
        polyact.Problem(W, [2, 1], [[math.nan, 1, 0, -1], [-1, 1, 1, 1]], Y)
    with pytest.raises(ValueError, match="true_coefficients"):
        polyact.Problem(W, [2, 1], X, Y, true_coefficients=[[1.0, 1.0]])
    with pytest.raises(ValueError, match="test_X and test_Y"):
        polyact.Problem(W, [2, 1], X, Y, test_X=X)
    with pytest.raises(ValueError, match="degree"):
        polyact.Problem(W, [2, 1, 1], X, Y)
    with pytest.raises(OSError, match="missing.json"):
        polyact.Problem.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text('{"weights": [[[1]]], "degrees": []}')
    with pytest.raises(ValueError, match="bad.json"):
        polyact.Problem.load(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="widths"):
        polyact.generate([2, 1], [3, 4, 2], 10)
    with pytest.raises(ValueError, match="noise"):
        polyact.generate([2], [3, 4, 2], 10, noise=-1.0)
    with pytest.raises(ValueError, match="seed"):
        polyact.generate([2], [3, 4, 2], 10, seed=-1)
    with pytest.raises(ValueError, match="from the problem"):
        polyact.fit(polyact.Problem(W, [2, 1], X, Y), [2, 1])
    with pytest.raises(ValueError, match="tolerance"):
        polyact.sdp(SDPLIB / "truss1.dat-s", tolerance=0.0)
    with pytest.raises(ValueError):
        polyact.sdp("1\n1\nnot an sdp\n")
