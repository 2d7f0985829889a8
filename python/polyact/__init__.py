"""polyact: learn the coefficients of polynomial activation functions globally, with a certificate.

A thin layer over the Rust library (the same code as the ``polyact`` command line): every check of shapes and
values, every solve and every report is the library's. Arrays may be any numeric numpy array or nested list;
they are converted to float64 (a copy only when the dtype or layout asks for one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from . import _polyact

__all__ = [
    "fit", "fit_file", "fit_statistics", "pop", "forward", "reduce", "merge",
    "Statistics", "FitResult", "PopResult", "DEFAULT_RADIUS", "DEFAULT_TIME_LIMIT",
]

DEFAULT_RADIUS: float = _polyact.DEFAULT_RADIUS
DEFAULT_TIME_LIMIT: float = _polyact.DEFAULT_TIME_LIMIT
_LOSSES = ("mean-inf", "lsq", "max-inf")


def _matrix(a: Any, name: str) -> np.ndarray:
    """A 2-D float64 array from `a`, or ValueError naming `name`."""
    try:
        m = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be a 2-D array of numbers: {e}") from None
    if m.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got {m.ndim} dimension(s) with shape {m.shape}")
    if m.size == 0:
        raise ValueError(f"{name} is empty (shape {m.shape})")
    return np.ascontiguousarray(m)


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


class _Result:
    """A report of the library with its fields as attributes (see ``to_dict()`` for all of them)."""

    _arrays: tuple = ()

    def __init__(self, report: Dict[str, Any]):
        self._report = report

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
    weights: Sequence[Any],
    degrees: Sequence[int],
    X: Any,
    Y: Any,
    *,
    loss: str = "mean-inf",
    order: Optional[int] = None,
    max_order: Optional[int] = None,
    radius: Optional[float] = DEFAULT_RADIUS,
    true_coefficients: Optional[Sequence[Sequence[float]]] = None,
    time_limit: Optional[float] = DEFAULT_TIME_LIMIT,
    biases: Optional[Sequence[Any]] = None,
) -> FitResult:
    """Fit the activation coefficients of a network globally, with a certificate.

    Layer l of the network computes p_l(W_l h_{l-1} + b_l) element-wise with
    p_l(t) = c_{l,0} + ... + c_{l,d_l} t^{d_l} (c_{l,0} = 1 for every hidden layer but the last), and the output
    is W_{D+1} h_D + b_{D+1}.

    Args:
        weights: the D + 1 weight matrices W_1, ..., W_{D+1}, W_l of shape (m_l, m_{l-1}).
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

    Returns:
        FitResult with the report's fields as attributes.

    Raises:
        ValueError: wrong shapes, NaN/Inf, unknown loss, degrees that do not fit the weights, a relaxation too
            large for memory; the message names the problem.
    """
    if loss not in _LOSSES:
        raise ValueError(f"unknown loss {loss!r} (known: {', '.join(_LOSSES)})")
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
    )
    return FitResult(json.loads(report))


def fit_file(
    path: str,
    *,
    loss: str = "mean-inf",
    order: Optional[int] = None,
    max_order: Optional[int] = None,
    radius: Optional[float] = DEFAULT_RADIUS,
    time_limit: Optional[float] = DEFAULT_TIME_LIMIT,
) -> FitResult:
    """Fit the problem in a polyact problem file (as ``polyact fit PATH``); arguments as in :func:`fit`."""
    if loss not in _LOSSES:
        raise ValueError(f"unknown loss {loss!r} (known: {', '.join(_LOSSES)})")
    report = _polyact.fit_file_json(
        str(path), loss, _order(order, "order"), _order(max_order, "max_order"),
        _optional_float(radius),
        _optional_float(time_limit),
    )
    return FitResult(json.loads(report))


def pop(problem: Any, *, order: Optional[int] = None, max_order: Optional[int] = None) -> PopResult:
    """Solve a polynomial optimization problem globally (as ``polyact pop``).

    Args:
        problem: a dict in the POP file format (``{"objective": "...", "inequalities": [...], ...}``) or its
            JSON text.
        order, max_order: as in :func:`fit`.
    """
    text = problem if isinstance(problem, str) else json.dumps(problem)
    report = _polyact.pop_json(text, _order(order, "order"), _order(max_order, "max_order"))
    return PopResult(json.loads(report))


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
    )
    return FitResult(json.loads(report))
