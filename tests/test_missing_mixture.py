"""Exact EM for a full-covariance Gaussian mixture with 20% of its coordinates missing.

Independent checks: a direct EM written here in numpy in the covariance form (conditional mean
mu_m + S_mo S_oo^-1 (x_o - mu_o), covariance S_mm - S_mo S_oo^-1 S_om, responsibilities from
scipy's multivariate normal on the observed coordinates), run from the same start, agrees to
1e-6; the observed-data log-likelihood (the likelihood marginalised over the missing
coordinates, computed here with scipy) equals EM's, and a quasi-Newton maximisation of it
started at EM's estimate finds nothing better.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, special, stats

import lvmdsl as lv

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
from em_models import gmm_full  # noqa: E402

K, D = 2, 3


def mixture_data(N=240, frac=0.2, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.integers(0, K, N)
    mus = np.array([[-2.0, 0.0, 1.0], [2.0, 1.0, -1.0]])
    A = np.array([[1.0, 0.3, 0.0], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    x = mus[z] + rng.normal(size=(N, D)) @ A
    x[rng.random((N, D)) < frac] = np.nan
    return x


def observed_loglik(x, pi, mu, cov):
    """sum_n log sum_k pi_k N(x_n,o | mu_k,o, cov_k,oo), one pattern of missing coordinates at a time."""
    total = np.zeros(len(x))
    per = np.zeros((len(x), len(pi)))
    patterns = {tuple(r) for r in np.isnan(x)}
    for pat in patterns:
        rows = np.nonzero((np.isnan(x) == np.array(pat)).all(1))[0]
        o = ~np.array(pat)
        for k in range(len(pi)):
            lp = stats.multivariate_normal(mu[k][o], cov[k][np.ix_(o, o)]).logpdf(x[rows][:, o]) if o.any() else 0.0
            per[rows, k] = np.log(pi[k]) + lp
    total = special.logsumexp(per, axis=1)
    return float(total.sum())


def direct_em(x, pi, mu, cov, iters=5000, tol=1e-14):
    """Textbook EM for a Gaussian mixture with missing coordinates (covariance form), in numpy,
    one pattern of missing coordinates at a time."""
    pi, mu, cov = pi.copy(), mu.copy(), cov.copy()
    N = len(x)
    miss = np.isnan(x)
    patterns = [np.nonzero((miss == np.array(p)).all(1))[0] for p in {tuple(r) for r in miss}]
    old = -np.inf
    for _ in range(iters):
        logr = np.zeros((N, K))
        Ex = np.zeros((N, K, D))
        Exx = np.zeros((N, K, D, D))
        for rows in patterns:
            o, m = ~miss[rows[0]], miss[rows[0]]
            xo = x[rows][:, o]
            for k in range(K):
                S = cov[k]
                lp = stats.multivariate_normal(mu[k][o], S[np.ix_(o, o)]).logpdf(xo) if o.any() else 0.0
                logr[rows, k] = np.log(pi[k]) + lp
                e = np.where(m, 0.0, x[rows])
                C = np.zeros((D, D))
                if m.any():
                    if o.any():
                        G = S[np.ix_(m, o)] @ np.linalg.inv(S[np.ix_(o, o)])
                        e[:, m] = mu[k][m] + (xo - mu[k][o]) @ G.T
                        C[np.ix_(m, m)] = S[np.ix_(m, m)] - G @ S[np.ix_(o, m)]
                    else:
                        e[:, m] = mu[k][m]
                        C[np.ix_(m, m)] = S[np.ix_(m, m)]
                Ex[rows, k] = e
                Exx[rows, k] = np.einsum("nd,ne->nde", e, e) + C
        ll = special.logsumexp(logr, axis=1).sum()
        r = np.exp(logr - special.logsumexp(logr, axis=1, keepdims=True))
        Nk = r.sum(0)
        pi = Nk / N
        mu = np.einsum("nk,nkd->kd", r, Ex) / Nk[:, None]
        cov = np.einsum("nk,nkde->kde", r, Exx) / Nk[:, None, None] - np.einsum("kd,ke->kde", mu, mu)
        if abs(ll - old) < tol * abs(ll):
            break
        old = ll
    return pi, mu, cov, ll


START = {"pi": np.array([0.5, 0.5]), "mu": np.array([[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]),
         "cov": np.stack([2.0 * np.eye(D)] * K)}


def test_mixture_em_with_missing_coordinates_matches_a_direct_em_and_the_observed_data_mle():
    x = mixture_data()
    assert 0.15 < np.isnan(x).mean() < 0.25
    fit = lv.infer(gmm_full(K, D), data={"x": x}, method="em", init=START, max_iter=5000, tol=1e-15, progress=False)
    pi, mu = fit.params["pi"].reshape(K), fit.params["mu"].reshape(K, D)
    cov = fit.params["cov"].reshape(K, D, D)
    ll = np.ravel(fit.loglik)
    assert np.all(np.diff(ll) > -1e-8 * abs(ll[-1]))               # monotone
    # the log-likelihood EM reports is the observed-data one, computed independently
    assert ll[-1] == pytest.approx(observed_loglik(x, pi, mu, cov), abs=1e-8)
    # a direct EM from the same start reaches the same estimate
    pi_ref, mu_ref, cov_ref, _ = direct_em(x, START["pi"], START["mu"], START["cov"])
    np.testing.assert_allclose(pi, pi_ref, atol=1e-6)
    np.testing.assert_allclose(mu, mu_ref, atol=1e-6)
    np.testing.assert_allclose(cov, cov_ref, atol=1e-6)
    # and it is a maximum of the observed-data likelihood: BFGS started there finds no better point
    iu = np.tril_indices(D)

    def unpack(t):
        a = np.r_[0.0, t[0]]
        w = np.exp(a - special.logsumexp(a))
        m = t[1:1 + K * D].reshape(K, D)
        Ls = t[1 + K * D:].reshape(K, -1)
        covs = []
        for k in range(K):
            L = np.zeros((D, D))
            L[iu] = Ls[k]
            covs.append(L @ L.T)
        return w, m, np.array(covs)

    t0 = np.r_[np.log(pi[1] / pi[0]), mu.ravel(), np.concatenate([np.linalg.cholesky(c)[iu] for c in cov])]
    res = optimize.minimize(lambda t: -observed_loglik(x, *unpack(t)), t0, method="BFGS", options={"gtol": 1e-8})
    assert -res.fun <= ll[-1] + 1e-6
    w_b, mu_b, cov_b = unpack(res.x)
    np.testing.assert_allclose(mu, mu_b, atol=1e-5)
    np.testing.assert_allclose(cov, cov_b, atol=1e-5)


def test_mixture_with_missing_coordinates_gives_responsibilities_and_runs_from_kmeans_starts():
    x = mixture_data(N=120, seed=3)
    fit = lv.infer(gmm_full(K, D), data={"x": x}, method="em", restarts=2, seed=1, progress=False)
    r = fit.posterior("z").params["p"]
    assert r.shape[-2:] == (120, K) and np.allclose(r.sum(-1), 1.0)
    p = fit.params                                    # the best restart's
    assert np.ravel(fit.loglik)[-1] == pytest.approx(
        observed_loglik(x, p["pi"].reshape(K), p["mu"].reshape(K, D), p["cov"].reshape(K, D, D)), abs=1e-7)


def test_missing_coordinates_beside_another_data_variable_are_refused_with_the_reason():
    with lv.Model("gmm_cov") as m:
        pi = lv.Param("pi", shape=(K,), constraint="simplex")
        with lv.plate("k", K):
            mu = lv.Param("mu", shape=(D,))
            cov = lv.Param("cov", shape=(D, D), constraint="positive_definite")
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            lv.MultivariateNormal("x", mean=mu[z], cov=cov[z], observed=True)
            lv.Normal("w", mean=0.0, var=1.0, observed=True)
    x = mixture_data(N=30)
    with pytest.raises(lv.ModelError, match="data plate holds only"):
        lv.infer(m, data={"x": x, "w": np.zeros(30)}, method="em", progress=False)


def test_the_printed_em_derivation_says_which_e_step_runs():
    text = str(lv.derive(gmm_full(K, D), method="em", data={"x": mixture_data(N=30)}))
    assert "joint E-step of (z, x_complete) exactly" in text
    assert "joint E-step" not in str(lv.derive(gmm_full(K, D), method="em"))


def test_map_em_with_priors_and_a_precision_parameterisation_maximises_the_observed_data_posterior():
    """The derived M-steps of a Bayesian mixture (MVN prior on the means, Wishart on the
    precisions) run on the exact expectations: EM's value is the observed-data log-likelihood plus
    the log-prior (scipy), and BFGS on that objective from EM's estimate finds nothing better."""
    D2 = 2
    with lv.Model("gmm_map_missing") as m:
        pi = lv.Dirichlet("pi", alpha=np.ones(K))
        with lv.plate("k", K):
            mu = lv.MultivariateNormal("mu", mean=np.zeros(D2), cov=100 * np.eye(D2))
            P = lv.Wishart("P", df=D2 + 2.0, scale=np.eye(D2))
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            lv.MultivariateNormal("x", mean=mu[z], precision=P[z], observed=True)
    x = mixture_data(N=150, seed=5)[:, :D2]
    fit = lv.infer(m, data={"x": x}, method="em", max_iter=5000, tol=1e-15, seed=0, progress=False)
    w, mus, Ps = fit.params["pi"].reshape(K), fit.params["mu"].reshape(K, D2), fit.params["P"].reshape(K, D2, D2)

    def log_post(w, mus, Ps):
        covs = np.linalg.inv(Ps)
        prior = sum(stats.multivariate_normal(np.zeros(D2), 100 * np.eye(D2)).logpdf(mus[k])
                    + stats.wishart(df=D2 + 2.0, scale=np.eye(D2)).logpdf(Ps[k]) for k in range(K))
        return observed_loglik(x, w, mus, covs) + prior + stats.dirichlet(np.ones(K)).logpdf(w)

    value = log_post(w, mus, Ps)
    assert np.ravel(fit.loglik)[-1] == pytest.approx(value, abs=1e-7)
    iu = np.tril_indices(D2)

    def unpack(t):
        a = np.r_[0.0, t[0]]
        m_ = t[1:1 + K * D2].reshape(K, D2)
        Ls = t[1 + K * D2:].reshape(K, -1)
        Ps_ = []
        for k in range(K):
            L = np.zeros((D2, D2))
            L[iu] = Ls[k]
            Ps_.append(L @ L.T)
        return np.exp(a - special.logsumexp(a)), m_, np.array(Ps_)

    t0 = np.r_[np.log(w[1] / w[0]), mus.ravel(), np.concatenate([np.linalg.cholesky(p)[iu] for p in Ps])]
    res = optimize.minimize(lambda t: -log_post(*unpack(t)), t0, method="BFGS", options={"gtol": 1e-8})
    assert -res.fun <= value + 1e-6
    np.testing.assert_allclose(unpack(res.x)[1], mus, atol=1e-5)
