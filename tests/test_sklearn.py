"""The scikit-learn estimator: scikit-learn's own estimator checks, a Pipeline, and its numbers
against scikit-learn's GaussianMixture and closed forms."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import lvmdsl as lv
from lvmdsl.demo import gmm_model, synthetic_gmm
from lvmdsl.sklearn import LatentVariableEstimator


def expected_failures(estimator):
    """None: every applicable check passes (the array-API check is skipped by scikit-learn itself
    unless SCIPY_ARRAY_API is set)."""
    return {}


@parametrize_with_checks([LatentVariableEstimator(n_components=2, max_iter=30, tol=1e-4, random_state=0),
                          LatentVariableEstimator(n_components=2, method="gibbs", draws=20, tune=5, chains=1,
                                                  random_state=0)],
                         expected_failed_checks=expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def blobs(seed=0, n=300):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    z = rng.integers(3, size=n)
    return centres[z] * [10.0, 0.1] + rng.normal(size=(n, 2)) * [10.0, 0.1], z       # columns of unequal scale


def ml_diagonal_mixture(K):
    with lv.Model("ml_diagonal_mixture") as m:
        pi = lv.Param("pi", shape=(K,), constraint="simplex")
        with lv.plate("k", K):
            with lv.plate("d", "D") as d:
                mu = lv.Param("mu")
                tau = lv.Param("tau", constraint="positive")
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            with lv.plate("d", "D") as d:
                lv.Normal("x", mean=mu[z, d], precision=tau[z, d], observed=True)
    return m


def test_pipeline_with_a_scaler_fits_and_predicts():
    from sklearn.metrics import adjusted_rand_score
    X, z = blobs()
    pipe = make_pipeline(StandardScaler(), LatentVariableEstimator(n_components=3, random_state=0))
    labels = pipe.fit(X).predict(X)
    assert adjusted_rand_score(z, labels) > 0.95
    assert pipe.predict_proba(X).shape == (300, 3)
    assert np.isfinite(pipe.score(X))


def test_numbers_against_closed_forms_and_scikit_learn():
    """score_samples is log sum_k pi_k prod_d N(x_d; mu_kd, 1/tau_kd) at the estimates (scipy);
    the parameter count is GaussianMixture's for diagonal covariances; bic and aic follow."""
    from scipy import stats
    from scipy.special import logsumexp
    from sklearn.mixture import GaussianMixture
    X, _ = blobs(1)
    est = LatentVariableEstimator(n_components=3, random_state=0).fit(X)
    p = est.result_.params
    logp = np.log(p["pi"])[None] + stats.norm.logpdf(X[:, None, :], p["mu"][None], 1 / np.sqrt(p["tau"][None])).sum(-1)
    np.testing.assert_allclose(est.score_samples(X), logsumexp(logp, 1), rtol=1e-10)
    np.testing.assert_allclose(est.predict_proba(X), np.exp(logp - logsumexp(logp, 1, keepdims=True)), atol=1e-12)
    ll = logsumexp(logp, 1).sum()
    assert np.isclose(est.bic(X), -2 * ll + 14 * np.log(300)) and np.isclose(est.aic(X), -2 * ll + 28)
    # maximum likelihood (lv.Param) on standardised data: GaussianMixture's optimum, score, bic and aic
    Xs = StandardScaler().fit_transform(X)
    ml = LatentVariableEstimator(ml_diagonal_mixture(3), random_state=0).fit(Xs)
    gm = GaussianMixture(3, covariance_type="diag", random_state=0, tol=1e-10, reg_covar=0).fit(Xs)
    assert ml.n_parameters() == gm._n_parameters() == 14
    for ours, theirs in [(ml.score(Xs), gm.score(Xs)), (ml.bic(Xs), gm.bic(Xs)), (ml.aic(Xs), gm.aic(Xs))]:
        assert np.isclose(ours, theirs, rtol=1e-8)


def test_a_users_model_by_gibbs_and_by_em():
    """The 1-D mixture from the docs: one column of X; Gibbs predicts like EM."""
    x, z = synthetic_gmm(300, 0)
    X = x[:, None]
    em = LatentVariableEstimator(gmm_model(), random_state=0).fit(X)
    gibbs = LatentVariableEstimator(gmm_model(), method="gibbs", draws=100, tune=50, random_state=0).fit(X)
    from sklearn.metrics import adjusted_rand_score
    assert adjusted_rand_score(em.predict(X), gibbs.predict(X)) > 0.95        # EM's labels are in any order
    assert abs(em.score(X) - gibbs.score(X)) < 0.05
    assert gibbs.n_parameters() == em.n_parameters() == 2 + 3 + 3
    back = pickle.loads(pickle.dumps(gibbs))
    np.testing.assert_array_equal(back.predict_proba(X[:5]), gibbs.predict_proba(X[:5]))
    with pytest.raises(ValueError, match="X needs 1 column"):
        em.fit(np.ones((10, 2)))
    assert em.get_params()["model"] is not None and em.set_params(max_iter=5).max_iter == 5


def test_without_a_discrete_latent_predict_is_an_error_but_score_works():
    with lv.Model("normal") as m:
        mu = lv.Normal("mu", mean=0.0, var=10.0)
        with lv.plate("n", "N"):
            lv.Normal("y", mean=mu, var=1.0, observed=True)
    X = np.random.default_rng(0).normal(size=(20, 1))
    est = LatentVariableEstimator(m, method="gibbs", draws=50, tune=10).fit(X)
    assert np.isfinite(est.score(X))
    with pytest.raises(lv.ModelError, match="no discrete latent"):
        est.predict(X)
