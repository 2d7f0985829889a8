"""PyTorch: polynomial activation modules, and their coefficients fitted globally with the weights frozen.

``PolyActivation(degree)`` applies p(t) = c_0 + c_1 t + ... + c_d t^d element-wise, with c a parameter.
``fit_activations(model, X, Y)`` takes an ``nn.Sequential`` of ``nn.Linear`` and ``PolyActivation`` layers
(Linear, Poly, Linear, Poly, ..., Linear), fits every activation's coefficients globally for the data with the
Linear weights frozen (the Moment-SOS hierarchy of the library, with its certificate), writes them into the
modules and returns the :class:`polyact.FitResult`.

Biases: every Linear's bias is passed to the library as the bias b_l of its layer (the network model computes
p_l(W_l h_{l-1} + b_l) and W_{D+1} h_D + b_{D+1}); a Linear without bias has b_l = 0.
The normalization of the method: every activation but the last has c_0 = 1 (a constant c_0 of an inner
activation can be moved into the next Linear's bias); a module whose c_0 differs from 1 is fitted with c_0 = 1
and overwritten.
"""

from __future__ import annotations

from typing import Any, List, Optional

import numpy as np
import torch
from torch import nn

import polyact


class PolyActivation(nn.Module):
    """p(t) = c_0 + c_1 t + ... + c_d t^d element-wise; ``coefficients`` (length d + 1) is a parameter."""

    def __init__(self, degree: int, coefficients: Optional[Any] = None):
        super().__init__()
        if int(degree) != degree or degree < 1:
            raise ValueError(f"degree must be a positive integer, got {degree!r}")
        self.degree = int(degree)
        if coefficients is None:
            c = torch.zeros(self.degree + 1, dtype=torch.float64)
            c[0], c[1] = 1.0, 1.0
        else:
            c = torch.as_tensor(coefficients, dtype=torch.float64).flatten()
            if c.numel() != self.degree + 1:
                raise ValueError(f"a degree-{self.degree} activation has {self.degree + 1} coefficients, got {c.numel()}")
        self.coefficients = nn.Parameter(c)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        c = self.coefficients.to(t.dtype)
        out = torch.zeros_like(t) + c[self.degree]
        for k in range(self.degree - 1, -1, -1):  # Horner
            out = out * t + c[k]
        return out

    def extra_repr(self) -> str:
        return f"degree={self.degree}"


def _layers(model: nn.Module):
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"fit_activations takes an nn.Sequential of nn.Linear and PolyActivation layers, got {type(model).__name__}")
    layers = list(model)
    for i, m in enumerate(layers):
        want = nn.Linear if i % 2 == 0 else PolyActivation
        if not isinstance(m, want):
            raise ValueError(
                f"layer {i} is {type(m).__name__}: fit_activations needs Linear, PolyActivation, ..., Linear "
                f"alternating (got {[type(x).__name__ for x in layers]})"
            )
    if len(layers) < 3 or len(layers) % 2 == 0:
        raise ValueError(
            f"the model must be Linear, PolyActivation, ..., Linear with at least one activation, got {len(layers)} layers"
        )
    return layers[0::2], layers[1::2]


def _numpy(t: Any, name: str) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().to(torch.float64).numpy()
    a = np.asarray(t, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples × features), got shape {a.shape}")
    return a


def fit_activations(model: nn.Module, X: Any, Y: Any, *, loss: str = "lsq", **kwargs: Any) -> "polyact.FitResult":
    """Fit the coefficients of every PolyActivation of `model` globally for (X, Y), weights frozen.

    Args:
        model: nn.Sequential(Linear, PolyActivation, Linear, ..., PolyActivation, Linear).
        X, Y: tensors or arrays (N × in_features, N × out_features).
        loss: "lsq" (mean squared error, the default here), "mean-inf" or "max-inf".
        kwargs: passed to :func:`polyact.fit` (order, max_order, radius, time_limit, solver, sparsity,
            ts_steps, theta_free).

    Returns:
        The FitResult; the coefficients are also written into the modules (c_0 first).
    """
    linears, acts = _layers(model)
    x = _numpy(X, "X")
    y = _numpy(Y, "Y")
    weights: List[np.ndarray] = [lin.weight.detach().cpu().to(torch.float64).numpy().copy() for lin in linears]
    biases = [
        np.zeros(lin.out_features) if lin.bias is None else lin.bias.detach().cpu().to(torch.float64).numpy()
        for lin in linears
    ]
    result = polyact.fit(weights, [a.degree for a in acts], x, y, loss=loss, biases=biases, **kwargs)
    with torch.no_grad():
        for a, c in zip(acts, result.coefficients):
            a.coefficients.copy_(torch.as_tensor(c, dtype=a.coefficients.dtype))
    return result
