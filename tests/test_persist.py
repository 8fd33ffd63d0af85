"""Results pickle and unpickle (every result type), DataFrames as data, predictions of discrete
latents at new points from Gibbs draws, and warnings that point at the caller's line."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import lvmdsl as lv
from lvmdsl.demo import gmm_model, synthetic_gmm

INIT3 = {"mu": np.array([-5.0, 0.0, 5.0])}


def _same_predictions(a, b, new):
    np.testing.assert_array_equal(a.predict_proba(new), b.predict_proba(new))


def test_gibbs_result_round_trips_through_pickle():
    x = synthetic_gmm(80, 0)[0]
    res = lv.infer(gmm_model(), data={"x": x}, draws=30, tune=5, chains=2, init=INIT3, progress=False)
    back = pickle.loads(pickle.dumps(res))
    for k in res.draws:
        np.testing.assert_array_equal(back.draws[k], res.draws[k])
    assert str(back.schedule) == str(res.schedule)
    _same_predictions(res, back, {"x": np.array([-4.0, 0.3, 6.0])})
    for k, v in res.posterior_predictive(seed=3).items():
        np.testing.assert_array_equal(back.posterior_predictive(seed=3)[k], v)
    assert back.summary().shape == res.summary().shape
    # the rebuilt program samples like the original
    from lvmdsl.runtime.gibbs import run_gibbs
    a, _ = run_gibbs(res.program, 3, 0, 1, 5, INIT3, None, False)
    b, _ = run_gibbs(back.program, 3, 0, 1, 5, INIT3, None, False)
    np.testing.assert_array_equal(a["mu"], b["mu"])


@pytest.mark.parametrize("method", ["em", "ecm", "online_em", "annealed_em"])
def test_em_results_round_trip_through_pickle(method):
    x = synthetic_gmm(400, 0)[0]
    kw = {"batch_size": 100, "max_iter": 30} if method == "online_em" else {}
    fit = lv.infer(gmm_model(), data={"x": x}, method=method, progress=False, **kw)
    back = pickle.loads(pickle.dumps(fit))
    for k in fit.params:
        np.testing.assert_array_equal(back.params[k], fit.params[k])
    np.testing.assert_array_equal(back.loglik, fit.loglik)
    assert repr(back) == repr(fit)
    _same_predictions(fit, back, {"x": np.array([-4.0, 0.3, 6.0])})


def test_mcem_result_round_trips_through_pickle():
    with lv.Model("pln") as m:
        beta = lv.Param("beta")
        s2 = lv.Param("s2", constraint="positive")
        with lv.plate("n", "N"):
            u = lv.Normal("u", mean=beta, var=s2)
            lv.Poisson("y", rate=lv.exp(u), observed=True)
    y = np.random.default_rng(0).poisson(np.exp(np.random.default_rng(1).normal(0.5, 0.5, 50)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = lv.infer(m, data={"y": y}, method="mcem", max_iter=3, mc_draws=3, mc_burn=1, progress=False)
    back = pickle.loads(pickle.dumps(fit))
    np.testing.assert_array_equal(back.params["beta"], fit.params["beta"])
    np.testing.assert_array_equal(back.latent_draws["u"], fit.latent_draws["u"])


def test_a_dataframe_is_data_by_column_name():
    pd = pytest.importorskip("pandas")
    x = synthetic_gmm(60, 0)[0]
    a = lv.infer(gmm_model(), data={"x": x}, draws=10, tune=2, chains=2, seed=4, progress=False)
    b = lv.infer(gmm_model(), data=pd.DataFrame({"x": x}), draws=10, tune=2, chains=2, seed=4, progress=False)
    np.testing.assert_array_equal(a.draws["mu"], b.draws["mu"])
    f = lv.infer(gmm_model(), data=pd.DataFrame({"x": x}), method="em", progress=False)
    g = lv.infer(gmm_model(), data={"x": x}, method="em", progress=False)
    np.testing.assert_array_equal(f.params["mu"], g.params["mu"])
    with pytest.raises(lv.ModelError, match="data names 'height'"):
        lv.infer(gmm_model(), data=pd.DataFrame({"x": x, "height": x}), progress=False)
    with pytest.raises(lv.ModelError, match="data must be a dict of arrays by name or a pandas DataFrame"):
        lv.infer(gmm_model(), data=[1, 2, 3], progress=False)


def test_gibbs_predicts_allocations_of_new_points():
    """predict_proba averages p(z = k | x, theta) over the draws: checked against the same
    average written out with scipy over a few draws; predict() gives the labels."""
    x = synthetic_gmm(200, 0)[0]
    res = lv.infer(gmm_model(), data={"x": x}, draws=40, tune=20, chains=2, init=INIT3, progress=False)
    new = np.array([-5.2, -2.4, 0.1, 2.6, 4.9])
    p = res.predict_proba({"x": new})
    ref = 0
    for c in range(2):
        for s in range(40):
            pi, mu, tau = (res.draws[k][c, s] for k in ("pi", "mu", "tau"))
            w = np.log(pi)[None] + stats.norm.logpdf(new[:, None], mu[None], 1 / np.sqrt(tau)[None])
            ref = ref + np.exp(w - logsumexp(w, 1, keepdims=True))
    np.testing.assert_allclose(p, ref / 80, rtol=1e-10)
    labels = res.predict({"x": new})["z"].mode()
    assert labels[[0, 2, 4]].tolist() == [0, 1, 2]
    with pytest.raises(lv.ModelError, match="'pi' is not a discrete latent"):
        res.predict_proba({"x": new}, latent="pi")


def test_warnings_name_the_callers_line():
    """A fallback warning raised deep in the compiler, and an EM warning raised in the run,
    both point at this file and the line of the lv.infer call."""
    import inspect
    with lv.Model("fallback") as m:
        mu = lv.Normal("mu", mean=0.0, var=10.0)
        s = lv.StudentT("s", df=3.0, loc=0.0, scale=1.0)
        with lv.plate("n", "N"):
            lv.Normal("y", mean=mu + s, var=1.0, observed=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        lv.infer(m, data={"y": np.ones(5)}, draws=3, tune=0, progress=False, augment=False)
    w = [w for w in caught if issubclass(w.category, lv.FallbackWarning)]
    assert w and w[0].filename == __file__ and w[0].lineno == line
    with pytest.warns(lv.EMWarning) as rec:                   # an empty component under ML
        with lv.Model("ml") as m2:
            pi = lv.Param("pi", shape=(3,), constraint="simplex")
            with lv.plate("k", 3):
                mu = lv.Param("mu")
                tau = lv.Param("tau", constraint="positive")
            with lv.plate("n", "N"):
                z = lv.Categorical("z", p=pi)
                lv.Normal("x", mean=mu[z], precision=tau[z], observed=True)
        line = inspect.currentframe().f_lineno + 1
        lv.infer(m2, data={"x": np.array([0.0, 0.0, 1.0, 1.0])}, method="em", progress=False,
                 init={"mu": np.array([0.0, 1.0, 50.0]), "tau": np.ones(3), "pi": np.ones(3) / 3})
    assert all(r.filename == __file__ and r.lineno == line for r in rec if issubclass(r.category, lv.EMWarning))
    assert {lv.FallbackWarning, lv.LabelSwitchingWarning, lv.EMWarning} <= {getattr(lv, n) for n in lv.__all__
                                                                           if n.endswith("Warning")}
