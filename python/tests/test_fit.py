"""The Python package against answers computed independently: Example 3.4's known coefficients, a numpy
forward pass, noiseless recovery, the CLI's own report on the same file, and clear errors on bad input."""

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

import polyact

from example_3_4 import TRUE, W, X, Y  # noqa: E402


def numpy_forward(weights, coefficients, x, biases=None):
    """f(x; c) written out in numpy, independently of the library (biases b_l added to W_l h)."""
    if biases is None:
        biases = [np.zeros(len(w)) for w in weights]
    h = np.asarray(x, dtype=float).T
    for w, b, c in zip(weights[:-1], biases, coefficients):
        t = np.asarray(w, dtype=float) @ h + np.asarray(b, dtype=float)[:, None]
        h = sum(ck * t**k for k, ck in enumerate(c))
    return (np.asarray(weights[-1], dtype=float) @ h + np.asarray(biases[-1], dtype=float)[:, None]).T


def test_example_3_4_outputs_are_the_forward_pass_of_the_true_coefficients():
    assert np.allclose(numpy_forward(W, TRUE, X), Y)
    assert np.allclose(polyact.forward(W, [2, 1], TRUE, X), Y)


def test_example_3_4_is_certified_with_its_true_coefficients():
    r = polyact.fit(W, [2, 1], np.array(X, dtype=np.float32), Y)
    assert r.certified, r
    c = r.coefficients
    assert isinstance(c[0], np.ndarray)
    for got, want in zip(c, TRUE):
        assert np.allclose(got, want, atol=1e-6)
    assert abs(r.loss) < 1e-8 and r.lower_bound <= r.loss + 1e-12
    assert isinstance(r.hierarchy, list) and r.hierarchy[0]["order"] == r.hierarchy[0]["order"]
    d = r.to_dict()
    assert d["status"] == r.status and json.loads(r.to_json()) == d


def test_noiseless_network_is_recovered():
    rng = np.random.default_rng(7)
    widths = [5, 6, 6, 3]
    weights = [rng.uniform(-1, 1, (widths[i + 1], widths[i])) for i in range(3)]
    true = [[1.0, 0.5, -0.3], [0.2, -0.7]]
    x = rng.uniform(-1, 1, (40, 5))
    y = numpy_forward(weights, true, x)
    # Least squares identifies the coefficients (the mean-inf loss only matches the mean output).
    r = polyact.fit(weights, [2, 1], np.asfortranarray(x), y, loss="lsq")
    assert r.certified, r
    for got, want in zip(r.coefficients, true):
        assert np.allclose(got, want, atol=1e-5)
    # The fitted network reproduces the data (forward pass of the library against numpy's).
    assert np.allclose(polyact.forward(weights, [2, 1], r.coefficients, x), y, atol=1e-5)


def test_noiseless_network_with_biases_is_recovered_from_data_and_statistics():
    rng = np.random.default_rng(8)
    widths = [5, 6, 6, 3]
    weights = [rng.uniform(-1, 1, (widths[i + 1], widths[i])) for i in range(3)]
    biases = [rng.uniform(-1, 1, widths[i + 1]) for i in range(3)]
    true = [[1.0, 0.5, -0.3], [0.2, -0.7]]
    x = rng.uniform(-1, 1, (40, 5))
    y = numpy_forward(weights, true, x, biases)
    assert np.allclose(polyact.forward(weights, [2, 1], true, x, biases=biases), y, atol=1e-12)
    r = polyact.fit(weights, [2, 1], x, y, loss="lsq", biases=biases)
    assert r.certified, r
    for got, want in zip(r.coefficients, true):
        assert np.allclose(got, want, atol=1e-5)
    stats = polyact.reduce(weights, [2, 1], x[:15], y[:15], loss="lsq", biases=biases) + polyact.reduce(
        weights, [2, 1], x[15:], y[15:], loss="lsq", biases=biases
    )
    s = polyact.fit_statistics(weights, [2, 1], stats, biases=biases)
    assert s.certified, s
    for got, want in zip(s.coefficients, true):
        assert np.allclose(got, want, atol=1e-5)
    # Statistics computed with other biases (here none) belong to another network.
    with pytest.raises(ValueError, match="different network"):
        polyact.fit_statistics(weights, [2, 1], stats)
    with pytest.raises(ValueError, match="bias b_3 has 2 entries but W_3 is 3×6"):
        polyact.fit(weights, [2, 1], x, y, biases=biases[:2] + [np.zeros(2)])


def test_fit_file_agrees_with_the_command_line(tmp_path: Path):
    root = Path(__file__).resolve().parents[2]
    binary = root / "target" / "release" / "polyact"
    if not binary.exists():
        pytest.skip("the polyact binary is built by `cargo test --release` first (scripts/test.sh)")
    problem = tmp_path / "ex.json"
    subprocess.run([str(binary), "example", "--save", str(problem)], check=True)
    cli = json.loads(
        subprocess.run([str(binary), "fit", str(problem), "--json"], check=True, capture_output=True, text=True).stdout
    )
    r = polyact.fit_file(str(problem))
    assert r.status == cli["status"] and r.order == cli["order"]
    assert math.isclose(r.loss, cli["loss"], rel_tol=0, abs_tol=1e-12)
    assert r.coefficients[0].tolist() == cli["coefficients"][0]


def test_pop_six_hump_camel():
    r = polyact.pop(
        {
            "objective": "4*x^2 - 2.1*x^4 + 0.3333333333333333*x^6 + x*y - 4*y^2 + 4*y^4",
            "inequalities": ["9 - x^2", "4 - y^2"],
        }
    )
    assert str(r.status).startswith("certified")
    assert math.isclose(r.objective, -1.0316284534898774, rel_tol=1e-6)


def test_pop_with_correlative_sparsity():
    # The chained Rosenbrock function on a ball: optimum 0 at the point of ones. Correlative sparsity gives one
    # clique per consecutive pair, so far fewer moments than the dense relaxation; both certify the optimum.
    n = 8
    v = [f"x{i}" for i in range(n)]
    objective = " + ".join(f"100*({v[i + 1]} - {v[i]}^2)^2 + (1 - {v[i]})^2" for i in range(n - 1))
    problem = {"variables": v, "objective": objective, "radius": 2 * n**0.5}
    dense = polyact.pop(problem, sparsity="none")
    cs = polyact.pop(problem, correlative=True)
    for r in (dense, cs):
        assert str(r.status).startswith("certified"), r
        assert -1e-5 <= r.lower_bound <= 1e-9
        assert np.allclose(r.minimizers[0], np.ones(n), atol=1e-3)
    assert cs.hierarchy[-1]["moments"] == 15 * (n - 1) - 5 * (n - 2) < dense.hierarchy[-1]["moments"]
    # The default (sparsity "auto") solves the dense relaxation when it is cheap, and otherwise (n = 20: the
    # dense order 2 has 10,626 moments) the correlative relaxation first, which certifies.
    assert "sparsity" not in polyact.pop(problem).hierarchy[0]["relaxation"]
    m = 20
    w = [f"x{i}" for i in range(m)]
    chain = " + ".join(f"100*({w[i + 1]} - {w[i]}^2)^2 + (1 - {w[i]})^2" for i in range(m - 1))
    auto = polyact.pop({"variables": w, "objective": chain, "radius": 2 * m**0.5})
    assert str(auto.status).startswith("certified") and len(auto.hierarchy) == 1
    assert "correlative" in auto.hierarchy[0]["relaxation"]
    # Term sparsity inside the cliques: a relaxation of the clique relaxation, here certifying the same optimum.
    ts = polyact.pop(problem, correlative=True, sparsity="chordal")
    assert str(ts.status).startswith("certified"), ts
    assert ts.lower_bound <= cs.lower_bound + 1e-7
    assert "correlative" in ts.hierarchy[-1]["relaxation"] and "chordal" in ts.hierarchy[-1]["relaxation"]
    with pytest.raises(ValueError, match="correlative"):
        polyact.pop(problem, correlative="yes")


def test_two_minimizers_on_every_sdp_path():
    # (x^2 - 1)^2 + y^2 on a ball: minimum 0 at (-1, 0) and (1, 0), an optimum of rank two.
    problem = {"objective": "x^4 - 2*x^2 + 1 + y^2", "inequalities": ["4 - x^2 - y^2"]}
    for solver, path in (("auto", "ipm"), ("ipm", "ipm"), ("admm", "admm"), ("lowrank", "lowrank")):
        r = polyact.pop(problem, solver=solver)
        assert r.status == "certified", (solver, r)
        assert [h["solver"] for h in r.hierarchy] == [path]
        assert all(h["abandoned"] is None for h in r.hierarchy)
        # The bound is a lower bound on the known optimum 0, and the minimizers are the known ones.
        assert -1e-6 <= r.lower_bound <= 1e-12 and abs(r.objective) < 1e-12
        assert np.allclose(sorted(r.minimizers), [[-1.0, 0.0], [1.0, 0.0]], atol=1e-6)
        # The bound proved at the dual point: below the optimum 0 and the solver's bound, and close to them.
        for h in r.hierarchy:
            assert -1e-6 <= h["valid_bound"] <= min(h["bound"], 0.0), (solver, h)


def test_term_sparse_and_theta_free_relaxations_recover_a_noiseless_network():
    dense = polyact.fit(W, [2, 1], X, Y)
    sparse = polyact.fit(W, [2, 1], X, Y, sparsity="chordal", ts_steps=2, theta_free=True)
    assert sparse.certified, sparse
    for got, want in zip(sparse.coefficients, TRUE):
        assert np.allclose(got, want, atol=1e-6)
    relaxation = sparse.hierarchy[0]["relaxation"]
    assert "term sparsity chordal" in relaxation and "θ-free" in relaxation, relaxation
    assert "sparsity" not in dense.hierarchy[0]["relaxation"]
    # A sparse relaxation has fewer moments than the dense one of the same order.
    assert sparse.hierarchy[0]["moments"] < dense.hierarchy[0]["moments"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(X=[[1, 2, 3]]), "input"),
        (dict(Y=[[1, 2]] * 2), "output"),
        (dict(X=[[math.nan, 1, 0, -1], [-1, 1, 1, 1]]), "NaN"),
        (dict(degrees=[2]), "degree"),
        (dict(loss="l2"), "unknown loss"),
        (dict(X=[1, 2, 3, 4]), "2-D"),
        (dict(X=[["a", "b", "c", "d"]] * 2), "numbers"),
        (dict(radius=-1.0), "radius"),
        (dict(order=1, max_order=0), "max_order"),
        (dict(time_limit=-1.0), "time_limit"),
        (dict(X=[[math.inf, 1, 0, -1], [-1, 1, 1, 1]]), "(?i)inf"),
        (dict(X=np.ones((2, 4), dtype=bool)), "dtype bool"),
        (dict(X=np.ones((2, 4), dtype=complex)), "dtype complex"),
        (dict(X=np.array([[1, 2, 3, 4], [1, 2, 3, 4]], dtype=object)), "dtype object"),
        (dict(X=[[1, 2, 3, 4], [1, 2, 3]]), "2-D array of numbers"),
        (dict(Y=np.zeros((2, 0))), "empty"),
        (dict(weights=[W[0], W[1]]), "degree"),
        (dict(weights=np.zeros((3, 4, 4))), "sequence of 2-D arrays"),
        (dict(degrees=[2, 0]), "degree"),
        (dict(degrees=[2.5, 1]), "integers"),
        (dict(degrees="21"), "degree"),
        (dict(solver="newton"), "unknown solver \"newton\" \\(known: auto, ipm, admm, lowrank\\)"),
        (dict(sparsity="tight"), "unknown sparsity \"tight\" \\(known: none, block, chordal, auto\\)"),
        (dict(ts_steps=-1), "ts_steps"),
        (dict(ts_steps=1.5), "ts_steps"),
        (dict(theta_free="yes"), "theta_free"),
    ],
)
def test_bad_input_raises_value_error(kwargs, message):
    args = dict(weights=W, degrees=[2, 1], X=X, Y=Y)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        polyact.fit(args.pop("weights"), args.pop("degrees"), args.pop("X"), args.pop("Y"), **args)


def test_a_zero_time_limit_returns_the_best_answer_so_far():
    r = polyact.fit(W, [2, 1], X, Y, time_limit=0.0)
    assert r.status == "time_limit" and not r.certified
    assert any("time limit" in n for n in r.notes), r.notes
    # Without a limit the same fit is certified.
    assert polyact.fit(W, [2, 1], X, Y, time_limit=None).certified


def test_a_network_no_relaxation_fits_ends_with_a_candidate_and_the_trivial_bound():
    # A (2,2,2,2) network: its minimal relaxation order is 8 in 10 variables, far beyond memory. The fit still
    # answers: the best refined random start and the lower bound 0 (the loss is nonnegative), which certifies
    # it here, since noiseless data are fitted exactly (checked by a forward pass).
    p = polyact.generate([2, 2, 2, 2], [2, 2, 2, 2, 2, 1], 5, noise=0.0, seed=1)
    r = polyact.fit(p)
    assert r.lower_bound == 0.0 and r.certified, r
    assert any("no relaxation fits" in n for n in r.notes), r.notes
    mean = np.mean(polyact.forward(p.weights, p.degrees, r.coefficients, p.inputs) - p.outputs, axis=0)
    assert np.max(np.abs(mean)) < 1e-9


def test_missing_file_is_an_os_error(tmp_path: Path):
    with pytest.raises(OSError, match="nothere.json"):
        polyact.fit_file(str(tmp_path / "nothere.json"))


def test_help_explains_every_argument():
    doc = polyact.fit.__doc__
    for name in ("weights", "degrees", "X", "Y", "loss", "order", "max_order", "radius", "true_coefficients", "time_limit",
                 "biases", "solver", "sparsity", "ts_steps", "theta_free"):
        assert f"{name}:" in doc, name


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="max_orders"):
        polyact.fit(W, [2, 1], X, Y, max_orders=3)
    with pytest.raises(TypeError, match="tolerence"):
        polyact.sdp("x.dat-s", tolerence=1e-6)


def test_arrays_of_any_real_dtype_and_layout_give_the_same_fit():
    base = polyact.fit(W, [2, 1], np.array(X, dtype=np.float64), Y)
    big = np.zeros((4, 8))
    big[::2, ::2] = X  # a strided view: neither C- nor Fortran-contiguous
    view = big[::2, ::2]
    assert not view.flags.c_contiguous and not view.flags.f_contiguous
    assert polyact._matrix(view, "X") is view  # float64 is passed on without a copy
    for x in (view, np.asfortranarray(X), np.array(X, dtype=np.int32), np.array(X, dtype=np.float32), X):
        r = polyact.fit(W, [2, 1], x, Y)
        assert r.lower_bound == base.lower_bound and r.loss == base.loss


def test_the_package_ships_its_types_and_documents_every_argument():
    pkg = Path(polyact.__file__).parent
    assert (pkg / "py.typed").exists() and (pkg / "_polyact.pyi").exists()
    for f, names in [
        (polyact.generate, ("degrees", "widths", "samples", "noise", "seed", "test_samples")),
        (polyact.sdp, ("problem", "tolerance", "max_iterations", "general", "standard_start")),
        (polyact.verify, ("problem", "certificate", "tolerance")),
    ]:
        for name in names:
            assert f"{name}:" in f.__doc__, (f.__name__, name)
    assert "fit(problem" in polyact.fit.__doc__
