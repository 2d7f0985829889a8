"""Type stubs of the extension module (python/src/lib.rs); the documented API is polyact/__init__.py."""

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt

_F64 = npt.NDArray[np.float64]

DEFAULT_RADIUS: float
DEFAULT_TIME_LIMIT: float
CERTIFICATE_TOLERANCE: float
SDP_TOLERANCE: float
SDP_MAX_ITERATIONS: int

def fit_json(
    weights: Sequence[_F64],
    degrees: Sequence[int],
    inputs: _F64,
    outputs: _F64,
    loss: str = ...,
    order: Optional[int] = ...,
    max_order: Optional[int] = ...,
    radius: Optional[float] = ...,
    true_coefficients: Optional[Sequence[Sequence[float]]] = ...,
    time_limit: Optional[float] = ...,
    biases: Optional[Sequence[Sequence[float]]] = ...,
    relaxation: Optional[Dict[str, Any]] = ...,
) -> Tuple[str, Optional[str]]: ...
def fit_file_json(
    path: str,
    loss: str = ...,
    order: Optional[int] = ...,
    max_order: Optional[int] = ...,
    radius: Optional[float] = ...,
    time_limit: Optional[float] = ...,
    relaxation: Optional[Dict[str, Any]] = ...,
) -> Tuple[str, Optional[str]]: ...
def pop_json(
    text: str,
    order: Optional[int] = ...,
    max_order: Optional[int] = ...,
    relaxation: Optional[Dict[str, Any]] = ...,
) -> Tuple[str, Optional[str]]: ...
def forward(
    weights: Sequence[_F64],
    degrees: Sequence[int],
    coefficients: Sequence[Sequence[float]],
    inputs: _F64,
    biases: Optional[Sequence[Sequence[float]]] = ...,
) -> _F64: ...
def reduce_json(
    weights: Sequence[_F64],
    degrees: Sequence[int],
    inputs: _F64,
    outputs: _F64,
    loss: str,
    biases: Optional[Sequence[Sequence[float]]] = ...,
) -> str: ...
def merge_json(parts: Sequence[str]) -> str: ...
def fit_statistics_json(
    weights: Sequence[_F64],
    degrees: Sequence[int],
    statistics: str,
    order: Optional[int] = ...,
    max_order: Optional[int] = ...,
    radius: Optional[float] = ...,
    true_coefficients: Optional[Sequence[Sequence[float]]] = ...,
    time_limit: Optional[float] = ...,
    biases: Optional[Sequence[Sequence[float]]] = ...,
    relaxation: Optional[Dict[str, Any]] = ...,
) -> Tuple[str, Optional[str]]: ...
def load_problem_json(path: str) -> str: ...
def check_problem_json(text: str) -> str: ...
def generate_json(
    degrees: Sequence[int], widths: Sequence[int], samples: int, noise: float, seed: int, test_samples: int,
    biases: bool = ...,
) -> str: ...
def sdp_json(
    text: str, name: str, tolerance: float, max_iterations: int, general: bool, gaussian_start: bool
) -> Tuple[str, List[float]]: ...
def verify_json(
    problem: str, problem_source: str, certificate: str, certificate_source: str, tolerance: float = ...
) -> str: ...
