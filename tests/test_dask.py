"""Dask arrays as data: EM streams them chunk by chunk and never materialises them whole.

A Dask callback sees the result of every task Dask computes; the largest must be one chunk
(materialising the array would produce a task result of the whole array's size)."""

from __future__ import annotations

import numpy as np
import pytest

import lvmdsl as lv
from lvmdsl.sklearn import diagonal_gaussian_mixture

da = pytest.importorskip("dask.array")
from dask.callbacks import Callback  # noqa: E402

N, CHUNK = 20_000, 2_000


class LargestResult(Callback):
    """Records the size in bytes of the largest array any Dask task returns."""

    def __init__(self):
        super().__init__()
        self.largest, self.tasks = 0, 0

    def _posttask(self, key, result, dsk, state, worker_id):
        self.tasks += 1
        self.largest = max(self.largest, getattr(result, "nbytes", 0))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    z = rng.integers(3, size=N)
    X = np.array([[-5.0, 0.0], [0.0, 5.0], [5.0, 0.0]])[z] + rng.normal(size=(N, 2))
    return X, da.from_array(X, chunks=(CHUNK, 2))


def _sorted_mu(fit):
    mu = fit.params["mu"]
    return mu[np.lexsort(mu.T[::-1])]


def test_chunked_em_streams_and_matches_the_in_memory_fit(data):
    X, Xd = data
    m = diagonal_gaussian_mixture(3)
    with LargestResult() as cb:
        lazy = lv.infer(m, data={"x": Xd}, method="em", progress=False)
    assert 0 < cb.largest <= CHUNK * 2 * 8 < X.nbytes            # one chunk at a time, never the whole
    assert cb.tasks >= N // CHUNK                                 # and every chunk was read
    ref = lv.infer(m, data={"x": X}, method="em", progress=False, chunk=CHUNK)
    np.testing.assert_allclose(_sorted_mu(lazy), _sorted_mu(ref), atol=1e-5)      # other start, same optimum
    assert np.isclose(lazy.loglik[-1], ref.loglik[-1], rtol=1e-9)
    labels = lazy.predict({"x": X[:5]})["z"].mode()              # posteriors of chosen points on demand
    assert labels.shape == (5,)
    import pickle
    with LargestResult() as cb:
        back = pickle.loads(pickle.dumps(lazy))                  # the data stay lazy through pickling
    assert cb.largest <= CHUNK * 2 * 8
    np.testing.assert_array_equal(back.predict({"x": X[:5]})["z"].mode(), labels)


def test_online_em_streams_minibatches_from_single_chunks(data):
    X, Xd = data
    m = diagonal_gaussian_mixture(3)
    with LargestResult() as cb:
        fit = lv.infer(m, data={"x": Xd}, method="online_em", batch_size=500, max_iter=100, progress=False)
    assert 0 < cb.largest <= CHUNK * 2 * 8
    batch = lv.infer(m, data={"x": X}, method="em", progress=False)
    np.testing.assert_allclose(_sorted_mu(fit), _sorted_mu(batch), atol=0.1)
    assert abs(fit.loglik[-1] / batch.loglik[-1] - 1) < 0.01


def test_lazy_data_are_checked_without_loading_them(data):
    X, _ = data
    bad = X.copy()
    bad[12_345, 1] = np.nan
    m = diagonal_gaussian_mixture(3)
    with pytest.raises(lv.ModelError, match="1 NaN or infinite value"):
        lv.infer(m, data={"x": da.from_array(bad, chunks=(CHUNK, 2))}, method="em", progress=False)
    # Gibbs sampling needs the data in memory: the array is computed (and then sampled as usual)
    res = lv.infer(m, data={"x": da.from_array(X[:300], chunks=(100, 2))}, draws=5, tune=0, chains=1, progress=False)
    assert res.draws["mu"].shape == (1, 5, 3, 2)


def test_a_lazy_array_outside_the_data_plate_is_refused():
    with lv.Model("shared") as m:
        mu = lv.Param("mu")
        with lv.plate("n", "N"):
            u = lv.Normal("u", mean=mu, var=1.0)
            lv.Normal("y", mean=u, var=1.0, observed=True)
        with lv.plate("j", "J"):
            lv.Normal("w", mean=mu, var=1.0, observed=True)
    y = da.from_array(np.zeros(100), chunks=10)
    with pytest.raises(lv.ModelError, match="'w' is a Dask array but its first axis is not the data plate"):
        lv.infer(m, data={"y": y, "w": da.from_array(np.zeros(7), chunks=7)}, method="em", progress=False)
