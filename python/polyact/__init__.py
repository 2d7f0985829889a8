"""polyact: learn the coefficients of polynomial activation functions globally, with a certificate.

A thin layer over the Rust library (the same code as the ``polyact`` command line): every check of shapes and
values, every solve and every report is the library's.

Arrays: any real numpy array (float64, float32, integer) of the right shape, in any memory layout
(C-contiguous, Fortran, strided views), or a nested list of numbers, which is read with ``np.asarray``. Other
dtypes than float64 are converted to float64 (one copy); float64 arrays are read in place, whatever their
strides. Boolean, complex, object and string arrays, ragged lists, NaN and Inf raise ``ValueError``.
Unknown keyword arguments raise ``TypeError`` (every option is keyword-only).

Solves (:func:`fit`, :func:`fit_file`, :func:`fit_statistics`, :func:`pop`, :func:`sdp`) run without the GIL;
Ctrl-C raises ``KeyboardInterrupt`` within half a second (the solve stops at the end of its interior-point
iteration).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union, overload

import numpy as np

from . import _polyact

__all__ = [
    "fit", "fit_file", "fit_statistics", "pop", "forward", "reduce", "merge", "generate", "sdp", "verify",
    "Problem", "Statistics", "FitResult", "PopResult", "SdpResult", "Verification",
    "DEFAULT_RADIUS", "DEFAULT_TIME_LIMIT", "CERTIFICATE_TOLERANCE", "SDP_TOLERANCE", "SDP_MAX_ITERATIONS",
]

DEFAULT_RADIUS: float = _polyact.DEFAULT_RADIUS
DEFAULT_TIME_LIMIT: float = _polyact.DEFAULT_TIME_LIMIT
CERTIFICATE_TOLERANCE: float = _polyact.CERTIFICATE_TOLERANCE
SDP_TOLERANCE: float = _polyact.SDP_TOLERANCE
SDP_MAX_ITERATIONS: int = _polyact.SDP_MAX_ITERATIONS
_LOSSES = ("mean-inf", "lsq", "max-inf")


def _matrix(a: Any, name: str) -> np.ndarray:
    """A 2-D float64 array from `a` (no copy for a float64 array, whatever its layout), or ValueError naming
    `name`."""
    if isinstance(a, np.ndarray):
        m = a
    else:
        try:
            m = np.asarray(a)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name} must be a 2-D array of numbers: {e}") from None
    if m.dtype.kind not in "fiu":
        raise ValueError(
            f"{name} must be a 2-D array of real numbers (float or integer), got dtype {m.dtype}"
            + (" (a ragged list or non-numeric entries)" if m.dtype == object else "")
        )
    if m.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got {m.ndim} dimension(s) with shape {m.shape}")
    if m.size == 0:
        raise ValueError(f"{name} is empty (shape {m.shape})")
    return m.astype(np.float64, copy=False)


def _weights(weights: Sequence[Any]) -> List[np.ndarray]:
    """The weight matrices as 2-D float64 arrays, named weights[i] in errors."""
    return [_matrix(w, f"weights[{i}]") for i, w in enumerate(weights)]


def _biases(biases: Optional[Sequence[Any]]) -> Optional[List[List[float]]]:
    """The bias vectors b_1, ..., b_{D+1} as lists of floats (None: no biases), named biases[i] in errors."""
    if biases is None:
        return None
    out = []
    for i, b in enumerate(biases):
        a = np.asarray(b, dtype=np.float64)
        if a.ndim != 1:
            raise ValueError(f"biases[{i}] must be a 1-D array (one entry per row of weights[{i}]), got shape {a.shape}")
        out.append([float(v) for v in a])
    return out


def _optional_float(v: Optional[float]) -> Optional[float]:
    return None if v is None else float(v)


def _coefficients(c: Optional[Sequence[Sequence[float]]]) -> Optional[List[List[float]]]:
    return None if c is None else [[float(v) for v in layer] for layer in c]


def _degrees(degrees: Sequence[int]) -> List[int]:
    if isinstance(degrees, (str, bytes)):
        raise ValueError(f"degrees must be a sequence of positive integers, got {degrees!r}")
    try:
        out = [int(d) for d in degrees]
    except (TypeError, ValueError):
        raise ValueError(f"degrees must be a sequence of positive integers, got {degrees!r}") from None
    if any(d != float(x) for d, x in zip(out, degrees)):
        raise ValueError(f"degrees must be integers, got {list(degrees)!r}")
    return out


def _order(v: Optional[int], name: str) -> Optional[int]:
    if v is None:
        return None
    if int(v) != v or v < 0:
        raise ValueError(f"{name} must be a nonnegative integer, got {v!r}")
    return int(v)


def _relaxation(
    solver: str, sparsity: str, ts_steps: int, theta_free: bool, correlative: bool = False
) -> Dict[str, Any]:
    """The relaxation's structure and SDP path as the library reads them (names are checked there)."""
    if not isinstance(solver, str):
        raise ValueError(f"solver must be a string, got {solver!r}")
    if not isinstance(sparsity, str):
        raise ValueError(f"sparsity must be a string, got {sparsity!r}")
    if isinstance(ts_steps, bool) or not isinstance(ts_steps, (int, np.integer)) or ts_steps < 0:
        raise ValueError(f"ts_steps must be a nonnegative integer, got {ts_steps!r}")
    if not isinstance(theta_free, (bool, np.bool_)):
        raise ValueError(f"theta_free must be True or False, got {theta_free!r}")
    if not isinstance(correlative, (bool, np.bool_)):
        raise ValueError(f"correlative must be True or False, got {correlative!r}")
    return {
        "solver": solver,
        "sparsity": sparsity,
        "ts_steps": int(ts_steps),
        "theta_free": bool(theta_free),
        "correlative": bool(correlative),
    }


class _Result:
    """A report of the library with its fields as attributes (see ``to_dict()`` for all of them)."""

    _arrays: tuple = ()

    def __init__(self, report: Dict[str, Any], certificate: Optional[str] = None):
        self._report = report
        self._certificate = certificate

    @property
    def certificate(self) -> Optional[str]:
        """The SOS certificate of the lower bound as JSON text (the file of ``--certificate``), or None when
        no relaxation was solved; check it with :func:`verify`."""
        return self.__dict__.get("_certificate")

    def save_certificate(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write the certificate file (as ``polyact fit --certificate PATH``)."""
        if self.certificate is None:
            raise ValueError("no relaxation was solved, so there is no certificate to write")
        Path(path).write_text(self.certificate)

    def __getattr__(self, name: str) -> Any:
        report = self.__dict__.get("_report", {})
        if name not in report:
            raise AttributeError(f"{type(self).__name__} has no field {name!r} (fields: {', '.join(report)})")
        value = report[name]
        if name in self._arrays and value is not None:
            return [np.asarray(c, dtype=np.float64) for c in value]
        return value

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._report))

    def to_dict(self) -> Dict[str, Any]:
        """The report as a dictionary (the JSON report of ``polyact fit --json``)."""
        return json.loads(json.dumps(self._report))

    def to_json(self) -> str:
        """The report as JSON text."""
        return json.dumps(self._report, indent=2)

    def __repr__(self) -> str:
        r = self._report
        return f"{type(self).__name__}(status={r.get('status')!r}, loss={r.get('loss', r.get('objective'))!r}, lower_bound={r.get('lower_bound')!r})"


class FitResult(_Result):
    """The result of :func:`fit`: the fields of the library's fit report as attributes.

    ``coefficients`` is a list of numpy arrays, one per hidden layer (c_{l,0} first); ``hierarchy`` is a list of
    dicts, one per relaxation order; ``status``, ``loss``, ``lower_bound``, ``gap``, ``order``, ``flat`` … as in
    the JSON report (docs/METHOD.md explains each).
    """

    _arrays = ("coefficients",)

    @property
    def certified(self) -> bool:
        """True when the report certifies global optimality."""
        return str(self._report.get("status", "")).startswith("certified")


class PopResult(_Result):
    """The result of :func:`pop`: the fields of the library's POP report as attributes."""


def fit(
    weights: Union[Sequence[Any], "Problem"],
    degrees: Optional[Sequence[int]] = None,
    X: Any = None,
    Y: Any = None,
    *,
    loss: str = "mean-inf",
    order: Optional[int] = None,
    max_order: Optional[int] = None,
    radius: Optional[float] = DEFAULT_RADIUS,
    true_coefficients: Optional[Sequence[Sequence[float]]] = None,
    time_limit: Optional[float] = DEFAULT_TIME_LIMIT,
    biases: Optional[Sequence[Any]] = None,
    solver: str = "auto",
    sparsity: str = "auto",
    ts_steps: int = 1,
    theta_free: bool = False,
) -> FitResult:
    """Fit the activation coefficients of a network globally, with a certificate.

    Layer l of the network computes p_l(W_l h_{l-1} + b_l) element-wise with
    p_l(t) = c_{l,0} + ... + c_{l,d_l} t^{d_l} (c_{l,0} = 1 for every hidden layer but the last), and the output
    is W_{D+1} h_D + b_{D+1}.

    ``fit(problem, ...)`` with a :class:`Problem` fits its network and training data (and reports the
    coefficient error against its true coefficients, if any), as ``polyact fit FILE`` does.

    Args:
        weights: the D + 1 weight matrices W_1, ..., W_{D+1}, W_l of shape (m_l, m_{l-1}); or a
            :class:`Problem` (then degrees, X, Y and true_coefficients are not given).
        degrees: the activation degrees d_1, ..., d_D.
        X: inputs, shape (N, m_0).
        Y: outputs, shape (N, m_{D+1}).
        loss: "mean-inf" (the paper's ||mean residual||_inf), "lsq" (mean squared error) or "max-inf".
        order: first relaxation order (default: the minimal order).
        max_order: last relaxation order (default: first order + 2).
        radius: radius of the ball constraint on the unknowns (None: no ball).
        true_coefficients: known coefficients per layer, for the report's coefficient error.
        time_limit: wall-clock seconds for the whole hierarchy (default 300; None: no limit). An order
            predicted to take longer than the time left is not started, and the result's status and notes
            say what it would cost.
        biases: the D + 1 bias vectors b_1, ..., b_{D+1}, b_l of length m_l (None: every bias is zero).
        solver: the SDP method of every relaxation, as the CLI's ``--solver``: "auto" (default: the
            interior-point method wherever its Schur complement fits the memory limit of 16 GiB, the
            low-rank path on larger dense relaxations), "ipm" (the interior-point method only), "admm" (the
            first-order path first) or "lowrank" (the low-rank path first, from the best candidate so far).
            The first-order and low-rank paths bound the relaxation by a lower bound valid at their dual
            point; the interior-point method takes over where they do not apply or do not converge.
        sparsity: term sparsity of the relaxations: "auto" (default: at each order the dense relaxation when
            it is predicted to fit the memory and the time left, after correlative sparsity when the variables
            split into cliques and the dense relaxation would take over a second; else correlative sparsity,
            else chordal), "none" (dense), "block" or
            "chordal", as ``--sparsity``; every choice gives a valid lower bound, the sparse ones possibly a
            weaker one.
        ts_steps: steps of the term-sparsity iteration (default 1), as ``--ts-steps``.
        theta_free: leave the epigraph variable out of the row bases (default False), as ``--theta-free``: a
            smaller relaxation whose bound never exceeds the convex-hull bound (it certifies noiseless fits).

    Returns:
        FitResult with the report's fields as attributes. When no relaxation was solved (the time limit, or a
        network whose minimal order cannot be built at all) it holds the best candidate found and the trivial
        lower bound 0 with ``order`` 0, its status "certified" when the loss attains 0 and otherwise
        "time_limit" or "failed", and ``notes`` say why.

    Raises:
        ValueError: wrong shapes, NaN/Inf, unknown loss, degrees that do not fit the weights, a first ``order``
            above the minimal one whose relaxation is too large for memory; the message names the problem.
        KeyboardInterrupt: Ctrl-C during the solve (raised within half a second).
    """
    if loss not in _LOSSES:
        raise ValueError(f"unknown loss {loss!r} (known: {', '.join(_LOSSES)})")
    if isinstance(weights, Problem):
        if degrees is not None or X is not None or Y is not None or true_coefficients is not None:
            raise ValueError("fit(problem) takes the degrees, data and true coefficients from the problem")
        p = weights
        weights, degrees, X, Y, true_coefficients = p.weights, p.degrees, p.inputs, p.outputs, p.true_coefficients
    if degrees is None or X is None or Y is None:
        raise ValueError("fit needs weights, degrees, X and Y (or a Problem)")
    if isinstance(weights, np.ndarray) and weights.dtype != object:
        raise ValueError("weights must be a sequence of 2-D arrays (one per layer), not a single array")
    ws = _weights(weights)
    report = _polyact.fit_json(
        ws,
        _degrees(degrees),
        _matrix(X, "X"),
        _matrix(Y, "Y"),
        loss,
        _order(order, "order"),
        _order(max_order, "max_order"),
        _optional_float(radius),
        _coefficients(true_coefficients),
        _optional_float(time_limit),
        biases=_biases(biases),
        relaxation=_relaxation(solver, sparsity, ts_steps, theta_free),
    )
    return _fit_result(report)


def _fit_result(out: Any) -> "FitResult":
    report, certificate = out
    return FitResult(json.loads(report), certificate)


def fit_file(
    path: str,
    *,
    loss: str = "mean-inf",
    order: Optional[int] = None,
    max_order: Optional[int] = None,
    radius: Optional[float] = DEFAULT_RADIUS,
    time_limit: Optional[float] = DEFAULT_TIME_LIMIT,
    solver: str = "auto",
    sparsity: str = "auto",
    ts_steps: int = 1,
    theta_free: bool = False,
) -> FitResult:
    """Fit the problem in a polyact problem file (as ``polyact fit PATH``; ``fit(Problem.load(path))`` gives
    the same result); arguments as in :func:`fit`."""
    if loss not in _LOSSES:
        raise ValueError(f"unknown loss {loss!r} (known: {', '.join(_LOSSES)})")
    report = _polyact.fit_file_json(
        str(path), loss, _order(order, "order"), _order(max_order, "max_order"),
        _optional_float(radius),
        _optional_float(time_limit),
        relaxation=_relaxation(solver, sparsity, ts_steps, theta_free),
    )
    return _fit_result(report)


def pop(
    problem: Any,
    *,
    order: Optional[int] = None,
    max_order: Optional[int] = None,
    solver: str = "auto",
    sparsity: str = "auto",
    ts_steps: int = 1,
    theta_free: bool = False,
    correlative: bool = False,
) -> PopResult:
    """Solve a polynomial optimization problem globally (as ``polyact pop``).

    Args:
        problem: a dict in the POP file format (``{"objective": "...", "inequalities": [...], ...}``) or its
            JSON text.
        order, max_order, solver, sparsity, ts_steps, theta_free: as in :func:`fit`.
        correlative: correlative sparsity (default False), as ``--correlative``: one moment matrix per clique
            of variables that meet in a term or a constraint, a ball split into one per clique; dense clique
            matrices with sparsity "none" or "auto", split by term sparsity with "block" or "chordal".
    """
    text = problem if isinstance(problem, str) else json.dumps(problem)
    report, certificate = _polyact.pop_json(
        text, _order(order, "order"), _order(max_order, "max_order"),
        relaxation=_relaxation(solver, sparsity, ts_steps, theta_free, correlative),
    )
    return PopResult(json.loads(report), certificate)


def forward(
    weights: Sequence[Any],
    degrees: Sequence[int],
    coefficients: Sequence[Sequence[float]],
    X: Any,
    *,
    biases: Optional[Sequence[Any]] = None,
) -> np.ndarray:
    """The network's outputs f(x_i; c) for every row x_i of X (coefficients per layer, c_{l,0} first; biases
    as in :func:`fit`)."""
    ws = _weights(weights)
    cs = [[float(v) for v in np.asarray(c, dtype=np.float64).ravel()] for c in coefficients]
    return _polyact.forward(ws, _degrees(degrees), cs, _matrix(X, "X"), biases=_biases(biases))


class Statistics:
    """Sufficient statistics of data for a network and a loss (``polyact reduce``): fixed-size sums for
    mean-inf and lsq, per-sample residuals for max-inf. Statistics of shards merge exactly with ``+``
    (sums and counts add), so data split over machines are fitted with :func:`fit_statistics`."""

    def __init__(self, text: str):
        self._text = text
        self._dict = json.loads(text)

    @property
    def loss(self) -> str:
        """The loss the statistics are for."""
        sums = self._dict.get("sums", {})
        return sums.get("loss", self._dict.get("loss"))

    @property
    def samples(self) -> int:
        """The number of samples reduced."""
        return int(self._dict["count"])

    def __add__(self, other: "Statistics") -> "Statistics":
        return merge([self, other])

    def to_json(self) -> str:
        """The statistics file's text (the format of ``polyact reduce``)."""
        return self._text

    def save(self, path: str) -> None:
        """Write the statistics file (usable with ``polyact fit PROBLEM --stats PATH``)."""
        Path(path).write_text(self._text)


def reduce(
    weights: Sequence[Any],
    degrees: Sequence[int],
    X: Any,
    Y: Any,
    *,
    loss: str = "mean-inf",
    biases: Optional[Sequence[Any]] = None,
) -> Statistics:
    """The sufficient statistics of the samples (X, Y) for `loss` (as ``polyact reduce``; biases as in
    :func:`fit`, and statistics of other biases are refused by :func:`fit_statistics` and :func:`merge`)."""
    if loss not in _LOSSES:
        raise ValueError(f"unknown loss {loss!r} (known: {', '.join(_LOSSES)})")
    ws = _weights(weights)
    return Statistics(
        _polyact.reduce_json(
            ws, _degrees(degrees), _matrix(X, "X"), _matrix(Y, "Y"), loss, biases=_biases(biases)
        )
    )


def merge(parts: Sequence[Statistics]) -> Statistics:
    """Merge statistics of the same network and loss (sums and counts add)."""
    parts = list(parts)
    if not parts:
        raise ValueError("merge needs at least one statistics part")
    return Statistics(_polyact.merge_json([p.to_json() for p in parts]))


def fit_statistics(
    weights: Sequence[Any],
    degrees: Sequence[int],
    statistics: Statistics,
    *,
    order: Optional[int] = None,
    max_order: Optional[int] = None,
    radius: Optional[float] = DEFAULT_RADIUS,
    true_coefficients: Optional[Sequence[Sequence[float]]] = None,
    time_limit: Optional[float] = DEFAULT_TIME_LIMIT,
    biases: Optional[Sequence[Any]] = None,
    solver: str = "auto",
    sparsity: str = "auto",
    ts_steps: int = 1,
    theta_free: bool = False,
) -> FitResult:
    """Fit from (merged) statistics instead of data; the loss is the statistics' own. Arguments as in :func:`fit`."""
    ws = _weights(weights)
    report = _polyact.fit_statistics_json(
        ws,
        _degrees(degrees),
        statistics.to_json(),
        _order(order, "order"),
        _order(max_order, "max_order"),
        _optional_float(radius),
        _coefficients(true_coefficients),
        _optional_float(time_limit),
        biases=_biases(biases),
        relaxation=_relaxation(solver, sparsity, ts_steps, theta_free),
    )
    return _fit_result(report)


class Problem:
    """A learning problem: a network (weights, degrees), training data, and optionally the true coefficients
    and held-out test data; the contents of a polyact problem file (``polyact generate``, ``polyact example
    --save``).

    Attributes:
        weights: list of the D + 1 weight matrices (float64 numpy arrays).
        degrees: list of the D activation degrees.
        inputs, outputs: training data, float64 arrays of shape (N, m_0) and (N, m_{D+1}).
        true_coefficients: list of D float64 arrays (c_{l,0} first), or None.
        test_inputs, test_outputs: held-out data, or None.

    The constructor checks everything as the library's problem loader does (shapes, finiteness, degrees,
    true coefficients); so :meth:`save` writes a file that ``polyact fit`` reads as the same problem.
    """

    def __init__(
        self,
        weights: Sequence[Any],
        degrees: Sequence[int],
        X: Any,
        Y: Any,
        *,
        true_coefficients: Optional[Sequence[Any]] = None,
        test_X: Any = None,
        test_Y: Any = None,
        biases: Optional[Sequence[Any]] = None,
    ):
        if (test_X is None) != (test_Y is None):
            raise ValueError("test_X and test_Y go together: give both or neither")
        data: Dict[str, Any] = {
            "weights": [w.tolist() for w in _weights(weights)],
            "degrees": _degrees(degrees),
            "inputs": _matrix(X, "X").tolist(),
            "outputs": _matrix(Y, "Y").tolist(),
        }
        if biases is not None:
            data["biases"] = [np.asarray(b, dtype=np.float64).ravel().tolist() for b in biases]
        if true_coefficients is not None:
            data["true_coefficients"] = [
                np.asarray(c, dtype=np.float64).ravel().tolist() for c in true_coefficients
            ]
        if test_X is not None:
            data["test_inputs"] = _matrix(test_X, "test_X").tolist()
            data["test_outputs"] = _matrix(test_Y, "test_Y").tolist()
        # Non-finite numbers have no JSON form: refuse them here with the library's wording.
        try:
            text = json.dumps(data, allow_nan=False)
        except ValueError:
            for key in ("weights", "biases", "inputs", "outputs", "true_coefficients", "test_inputs", "test_outputs"):
                if key in data and not all(np.all(np.isfinite(np.asarray(v, dtype=np.float64))) for v in data[key]):
                    raise ValueError(f"{key} has NaN or Inf entries: every number of a problem must be finite") from None
            raise
        self._set(json.loads(_polyact.check_problem_json(text)))

    def _set(self, d: Dict[str, Any]) -> None:
        f = lambda v: np.asarray(v, dtype=np.float64)  # noqa: E731
        self.weights: List[np.ndarray] = [f(w) for w in d["weights"]]
        self.degrees: List[int] = [int(k) for k in d["degrees"]]
        b = d.get("biases")
        self.biases: Optional[List[np.ndarray]] = None if b is None else [f(v) for v in b]
        self.inputs: np.ndarray = f(d["inputs"]).reshape(len(d["inputs"]), -1)
        self.outputs: np.ndarray = f(d["outputs"]).reshape(len(d["outputs"]), -1)
        tc = d.get("true_coefficients")
        self.true_coefficients: Optional[List[np.ndarray]] = None if tc is None else [f(c) for c in tc]
        self.test_inputs: Optional[np.ndarray] = None
        self.test_outputs: Optional[np.ndarray] = None
        if "test_inputs" in d:
            self.test_inputs = f(d["test_inputs"]).reshape(len(d["test_inputs"]), -1)
            self.test_outputs = f(d["test_outputs"]).reshape(len(d["test_outputs"]), -1)

    @classmethod
    def _from_json(cls, text: str) -> "Problem":
        p = cls.__new__(cls)
        p._set(json.loads(text))
        return p

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"]) -> "Problem":
        """Read and check a problem file (data in NPY/CSV files next to it are read too), as ``polyact fit``
        does. Raises OSError for a missing file, ValueError for a malformed one."""
        return cls._from_json(_polyact.load_problem_json(os.fspath(path)))

    @classmethod
    def from_json(cls, text: str) -> "Problem":
        """A problem from problem-file JSON text (embedded data only)."""
        return cls._from_json(_polyact.check_problem_json(text))

    def to_json(self) -> str:
        """The problem-file JSON text (the library's layout, numbers written exactly)."""
        data: Dict[str, Any] = {
            "weights": [w.tolist() for w in self.weights],
            "degrees": list(self.degrees),
            "inputs": self.inputs.tolist(),
            "outputs": self.outputs.tolist(),
        }
        if self.true_coefficients is not None:
            data["true_coefficients"] = [c.tolist() for c in self.true_coefficients]
        if self.test_inputs is not None:
            data["test_inputs"] = self.test_inputs.tolist()
            data["test_outputs"] = self.test_outputs.tolist()  # type: ignore[union-attr]
        return _polyact.check_problem_json(json.dumps(data))

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write the problem file (read by ``polyact fit PATH`` and :meth:`load` as the same problem)."""
        Path(path).write_text(self.to_json())

    @property
    def samples(self) -> int:
        """The number of training samples N."""
        return int(self.inputs.shape[0])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        def same(a: Any, b: Any) -> bool:
            if a is None or b is None:
                return a is None and b is None
            if isinstance(a, list):
                return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
            return bool(np.array_equal(a, b))
        return (
            self.degrees == other.degrees
            and same(self.weights, other.weights)
            and same(self.inputs, other.inputs)
            and same(self.outputs, other.outputs)
            and same(self.true_coefficients, other.true_coefficients)
            and same(self.test_inputs, other.test_inputs)
            and same(self.test_outputs, other.test_outputs)
        )

    def __repr__(self) -> str:
        widths = [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]
        return (
            f"Problem(degrees={self.degrees}, widths={widths}, samples={self.samples}, "
            f"true_coefficients={'yes' if self.true_coefficients is not None else 'no'}, "
            f"test_samples={0 if self.test_inputs is None else self.test_inputs.shape[0]})"
        )


def generate(
    degrees: Sequence[int],
    widths: Sequence[int],
    samples: int = 50,
    *,
    noise: float = 0.01,
    seed: int = 1,
    test_samples: int = 0,
    biases: bool = False,
) -> Problem:
    """A synthetic problem following the paper's protocol, the same as ``polyact generate`` with the same
    arguments (same seed: the same problem on every machine).

    Weights W_l have N(0, 1/m_{l-1}) entries, inputs N(0, 1) entries, the unknown coefficients are uniform on
    [-1, 1] (c_{l,0} = 1 for inner layers), and the outputs are f(x; c) + noise * N(0, I).

    Args:
        degrees: activation degrees d_1, ..., d_D.
        widths: layer widths m_0, ..., m_{D+1} (D + 2 of them).
        samples: number of training samples N (default 50).
        noise: noise level sigma >= 0 (default 0.01).
        seed: seed of the generator, a nonnegative integer (default 1).
        test_samples: number of held-out test samples (default 0: none).
        biases: also draw a bias vector per layer, entries N(0, 1/4) (``polyact generate --biases``;
            default False: no biases, and the problem is the same as without the flag).
    """
    def count(v: Any, name: str) -> int:
        if isinstance(v, bool) or int(v) != v or v < 0:
            raise ValueError(f"{name} must be a nonnegative integer, got {v!r}")
        return int(v)
    text = _polyact.generate_json(
        _degrees(degrees),
        [count(w, "widths entry") for w in widths],
        count(samples, "samples"),
        float(noise),
        count(seed, "seed"),
        count(test_samples, "test_samples"),
        bool(biases),
    )
    return Problem._from_json(text)


class SdpResult(_Result):
    """The result of :func:`sdp`: the fields of ``polyact sdp --json`` as attributes (``status``,
    ``primal_objective``, ``dual_objective``, ``relative_gap``, ``primal_infeasibility``,
    ``dual_infeasibility``, ``iterations``, ``seconds``, ``check`` …) and ``x``, the primal variables as a
    numpy array."""

    def __init__(self, report: Dict[str, Any], x: np.ndarray):
        super().__init__(report)
        self.__dict__["x"] = x

    @property
    def solved(self) -> bool:
        """True when the status is optimal or near optimal."""
        return self._report.get("status") in ("optimal", "near_optimal")

    def __repr__(self) -> str:
        r = self._report
        return f"SdpResult(status={r.get('status')!r}, primal_objective={r.get('primal_objective')!r}, dual_objective={r.get('dual_objective')!r})"


def _text_or_file(v: Any) -> "tuple[str, str]":
    """(text, name) of a path or of text (text is recognised by a newline or a leading brace)."""
    if isinstance(v, os.PathLike) or (isinstance(v, str) and "\n" not in v and not v.lstrip().startswith("{")):
        p = os.fspath(v)
        try:
            return Path(p).read_text(), p
        except OSError as e:
            raise OSError(f"{p}: {e.strerror or e}") from None
    if isinstance(v, str):
        return v, "<text>"
    raise ValueError(f"expected a path or text, got {type(v).__name__}")


def sdp(
    problem: Union[str, "os.PathLike[str]"],
    *,
    tolerance: float = SDP_TOLERANCE,
    max_iterations: int = SDP_MAX_ITERATIONS,
    general: bool = False,
    standard_start: bool = False,
) -> SdpResult:
    """Solve a semidefinite program in SDPA sparse format with polyact's interior-point method (as
    ``polyact sdp FILE``).

    The SDPA form: minimize c.x subject to sum_i x_i F_i - F_0 >= 0 (positive semidefinite).

    Args:
        problem: the path of a ``.dat-s`` file, or its text.
        tolerance: stopping tolerance on the relative gap and the infeasibilities (default 1e-8).
        max_iterations: iteration limit (default 100).
        general: solve as a general SDP even when the file records the moment relaxation it was written
            from (``polyact fit --export-sdpa``), whose structure is otherwise used.
        standard_start: for such a file, start at X = xi I, Y = eta I instead of the moments of a Gaussian.

    Returns:
        SdpResult: status, primal/dual objectives, residuals, the independent check, and ``x`` (numpy).
    """
    text, name = _text_or_file(problem)
    if isinstance(max_iterations, bool) or int(max_iterations) != max_iterations or max_iterations < 1:
        raise ValueError(f"max_iterations must be a positive integer, got {max_iterations!r}")
    report, x = _polyact.sdp_json(
        text, name, float(tolerance), int(max_iterations), bool(general), not standard_start
    )
    return SdpResult(json.loads(report), np.asarray(x, dtype=np.float64))


class Verification(_Result):
    """The result of :func:`verify`: ``accepted``, ``claimed_bound``, ``max_residual``, ``min_eigenvalues``,
    ``gram_lower_bounds``, ``radius``, ``certified_lower_bound`` (a proved lower bound on the ball, or None)
    and ``problems`` (why it was rejected), as ``polyact verify --json``."""

    def __repr__(self) -> str:
        r = self._report
        return f"Verification(accepted={r.get('accepted')!r}, claimed_bound={r.get('claimed_bound')!r}, certified_lower_bound={r.get('certified_lower_bound')!r})"


def verify(
    problem: Union[str, "os.PathLike[str]", Problem, Dict[str, Any]],
    certificate: Union[str, "os.PathLike[str]", _Result],
    *,
    tolerance: float = CERTIFICATE_TOLERANCE,
) -> Verification:
    """Check an SOS certificate against its problem, independently of the solver (as ``polyact verify``).

    Args:
        problem: a problem file's path or text, a :class:`Problem` (the certificate of a fit records its loss
            and epigraph scale, from which the fit's POP is rebuilt), or a POP (a dict in the POP file format,
            its path or its JSON text).
        certificate: a certificate file's path or JSON text, or the :class:`FitResult` / :class:`PopResult`
            whose certificate to check.
        tolerance: tolerance on residual coefficients (relative to 1 + |gamma|) and Gram eigenvalues
            (relative; default 1e-6).

    Returns:
        Verification; ``accepted`` is False (with ``problems`` saying why) for a certificate that fails.
    """
    if isinstance(problem, Problem):
        ptext, pname = problem.to_json(), "<problem>"
    elif isinstance(problem, dict):
        ptext, pname = json.dumps(problem), "<pop>"
    else:
        ptext, pname = _text_or_file(problem)
    if isinstance(certificate, _Result):
        if certificate.certificate is None:
            raise ValueError("this result has no certificate (no relaxation was solved)")
        ctext, cname = certificate.certificate, "<certificate>"
    else:
        ctext, cname = _text_or_file(certificate)
    return Verification(json.loads(_polyact.verify_json(ptext, pname, ctext, cname, float(tolerance))))
