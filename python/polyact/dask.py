"""Sufficient statistics of data that do not fit one machine, on Dask.

Each partition of X and Y (dask arrays chunked along the samples) is reduced by the Rust statistics pass in a
worker; the partitions' statistics are merged as a tree (sums and counts add); the fit then runs on the merged
statistics in the client::

    import dask.array as da, polyact, polyact.dask
    from dask.distributed import Client
    client = Client("tcp://scheduler:8786")          # or LocalCluster() for one machine
    X = da.from_zarr("x.zarr"); Y = da.from_zarr("y.zarr")
    stats = polyact.dask.reduce(weights, degrees, X, Y, loss="lsq")
    result = polyact.fit_statistics(weights, degrees, stats)
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

import polyact


def _reduce_block(weights, degrees, loss, biases, x, y) -> str:
    return polyact.reduce(weights, degrees, np.asarray(x), np.asarray(y), loss=loss, biases=biases).to_json()


def _merge(parts) -> str:
    return polyact.merge([polyact.Statistics(p) for p in parts]).to_json()


def reduce(
    weights: Sequence[Any],
    degrees: Sequence[int],
    X: Any,
    Y: Any,
    *,
    loss: str = "mean-inf",
    split_every: int = 8,
    biases: Optional[Sequence[Any]] = None,
) -> "polyact.Statistics":
    """Statistics of dask arrays X (N × m_0) and Y (N × m_{D+1}) chunked along the samples (rows); one Rust
    statistics pass per partition, merged as a tree with at most `split_every` parts per merge. Computes on
    the current Dask scheduler (a ``distributed.Client`` if one is active). `biases` as in
    :func:`polyact.reduce` (one vector per weight matrix; default zero)."""
    import dask
    import dask.array as da
    from dask import delayed

    X = da.asarray(X)
    Y = da.asarray(Y)
    if X.ndim != 2 or Y.ndim != 2:
        raise ValueError(f"X and Y must be 2-D dask arrays, got shapes {X.shape} and {Y.shape}")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but Y has {Y.shape[0]}")
    if split_every < 2:
        raise ValueError(f"split_every must be at least 2, got {split_every}")
    # One chunk across the columns, the samples' chunks aligned.
    X = X.rechunk({1: X.shape[1]})
    Y = Y.rechunk({0: X.chunks[0], 1: Y.shape[1]})
    ws = [np.asarray(w, dtype=np.float64) for w in weights]
    degs = [int(d) for d in degrees]
    xs = X.to_delayed().ravel()
    ys = Y.to_delayed().ravel()
    bs = None if biases is None else [np.asarray(b, dtype=np.float64) for b in biases]
    parts = [delayed(_reduce_block)(ws, degs, loss, bs, x, y) for x, y in zip(xs, ys)]
    if not parts:
        raise ValueError("X has no samples")
    while len(parts) > 1:
        parts = [delayed(_merge)(parts[i : i + split_every]) for i in range(0, len(parts), split_every)]
    (text,) = dask.compute(parts[0])
    return polyact.Statistics(text)
