"""polyact.dask on a real engine: a distributed.LocalCluster with two worker processes reduces partitions in
the workers, and the fit from the merged statistics equals the in-memory fit."""

import numpy as np
import pytest

import polyact

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
import dask.array as da  # noqa: E402

import polyact.dask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def problem(seed=3, n=300):
    rng = np.random.default_rng(seed)
    widths = [4, 5, 5, 2]
    weights = [rng.uniform(-1, 1, (widths[i + 1], widths[i])) for i in range(3)]
    true = [[1.0, 0.4, -0.6], [0.3, -0.8]]
    x = rng.uniform(-1, 1, (n, 4))
    h = x.T
    for w, c in zip(weights[:-1], true):
        t = w @ h
        h = sum(ck * t**k for k, ck in enumerate(c))
    y = (weights[-1] @ h).T + 0.01 * rng.standard_normal((n, 2))
    return weights, [2, 1], x, y


@pytest.mark.parametrize("loss", ["mean-inf", "lsq"])
def test_cluster_fit_equals_in_memory_fit(client, loss):
    weights, degrees, x, y = problem()
    X = da.from_array(x, chunks=(37, 4))
    Y = da.from_array(y, chunks=(37, 2))
    stats = polyact.dask.reduce(weights, degrees, X, Y, loss=loss, split_every=3)
    assert stats.samples == len(x) and stats.loss == loss
    # The partitions were reduced in the workers' processes.
    assert len(client.scheduler_info()["workers"]) == 2
    from_cluster = polyact.fit_statistics(weights, degrees, stats)
    in_memory = polyact.fit(weights, degrees, x, y, loss=loss)
    assert from_cluster.status == in_memory.status and from_cluster.order == in_memory.order
    assert np.isclose(from_cluster.loss, in_memory.loss, rtol=1e-9, atol=1e-12)
    assert np.isclose(from_cluster.lower_bound, in_memory.lower_bound, rtol=1e-6, atol=1e-12)
    if loss == "lsq":
        # The least-squares minimizer is unique here; the mean-inf one is not (the mean output has fewer
        # equations than unknowns), so only its loss and bound are compared.
        for a, b in zip(from_cluster.coefficients, in_memory.coefficients):
            assert np.allclose(a, b, rtol=1e-7, atol=1e-9)


def test_merge_is_exact_up_to_summation_order():
    weights, degrees, x, y = problem(n=120)
    whole = polyact.reduce(weights, degrees, x, y, loss="lsq")
    halves = polyact.reduce(weights, degrees, x[:50], y[:50], loss="lsq") + polyact.reduce(
        weights, degrees, x[50:], y[50:], loss="lsq"
    )
    a = polyact.fit_statistics(weights, degrees, whole)
    b = polyact.fit_statistics(weights, degrees, halves)
    assert halves.samples == 120
    assert np.isclose(a.loss, b.loss, rtol=1e-9)


def test_statistics_of_another_network_are_refused():
    weights, degrees, x, y = problem(n=40)
    s = polyact.reduce(weights, degrees, x, y, loss="lsq")
    other = [w * 2 for w in weights]
    with pytest.raises(ValueError, match="network"):
        polyact.fit_statistics(other, degrees, s)


def test_cluster_statistics_with_biases_equal_in_memory(client):
    weights, degrees, x, y = problem(seed=5, n=200)
    rng = np.random.default_rng(11)
    biases = [rng.normal(0, 0.5, w.shape[0]) for w in weights]
    X = da.from_array(x, chunks=(41, 4))
    Y = da.from_array(y, chunks=(41, 2))
    from_cluster = polyact.dask.reduce(weights, degrees, X, Y, loss="lsq", biases=biases)
    in_memory = polyact.reduce(weights, degrees, x, y, loss="lsq", biases=biases)
    a = polyact.fit_statistics(weights, degrees, from_cluster, biases=biases)
    b = polyact.fit_statistics(weights, degrees, in_memory, biases=biases)
    assert np.isclose(a.lower_bound, b.lower_bound, rtol=1e-9, atol=1e-12)
    # Statistics reduced with other (zero) biases are not those of this network.
    with pytest.raises(ValueError):
        polyact.fit_statistics(weights, degrees, polyact.dask.reduce(weights, degrees, X, Y, loss="lsq"), biases=biases)
