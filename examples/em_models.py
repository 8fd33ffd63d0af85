"""The EM examples' models and synthetic data, declared once for the examples, tests and benchmarks."""

from __future__ import annotations

import numpy as np

import lvmdsl as lv


def gmm_1d(K: int = 3):
    """1-D Gaussian mixture; every parameter by maximum likelihood (lv.Param, no prior)."""
    with lv.Model("gmm_1d") as m:
        pi = lv.Param("pi", shape=(K,), constraint="simplex")
        with lv.plate("k", K):
            mu = lv.Param("mu")
            var = lv.Param("var", constraint="positive")
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            lv.Normal("x", mean=mu[z], var=var[z], observed=True)
    return m


def gmm_full(K: int, D: int):
    """Gaussian mixture in D dimensions with a full covariance per component."""
    with lv.Model("gmm_full") as m:
        pi = lv.Param("pi", shape=(K,), constraint="simplex")
        with lv.plate("k", K):
            mu = lv.Param("mu", shape=(D,))
            cov = lv.Param("cov", shape=(D, D), constraint="positive_definite")
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            lv.MultivariateNormal("x", mean=mu[z], cov=cov[z], observed=True)
    return m


def gmm_diag(K: int, D: int):
    """Gaussian mixture in D dimensions with a diagonal covariance: coordinates in a plate d."""
    with lv.Model("gmm_diag") as m:
        pi = lv.Param("pi", shape=(K,), constraint="simplex")
        with lv.plate("k", K):
            with lv.plate("d", D):
                mu = lv.Param("mu")
                var = lv.Param("var", constraint="positive")
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            with lv.plate("d", D):
                lv.Normal("x", mean=mu[z], var=var[z], observed=True)
    return m


def bernoulli_mixture(K: int, D: int, prior: float | None = 2.0):
    """Mixture of Bernoullis on binary vectors; with ``prior`` each p has a Beta(prior, prior) prior
    (MAP), which keeps estimates off 0 and 1; ``prior=None`` is maximum likelihood."""
    with lv.Model("bernoulli_mixture") as m:
        pi = lv.Param("pi", shape=(K,), constraint="simplex")
        with lv.plate("k", K):
            with lv.plate("d", D):
                p = (lv.Beta("p", a=prior, b=prior) if prior else lv.Param("p", constraint="unit"))
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            with lv.plate("d", D):
                lv.Bernoulli("x", p=p[z], observed=True)
    return m


def ppca(D: int, L: int, factor_analysis: bool = False):
    """Probabilistic PCA (one noise variance) or factor analysis (one per dimension):
    x[n, d] ~ Normal(W[d] . z[n] + mu[d], noise), z[n] ~ MVN(0, I) latent."""
    with lv.Model("factor_analysis" if factor_analysis else "ppca") as m:
        with lv.plate("d", D):
            W = lv.Param("W", shape=(L,))
            mu = lv.Param("mu")
            noise_d = lv.Param("psi", constraint="positive") if factor_analysis else None
        noise = noise_d if factor_analysis else lv.Param("s2", constraint="positive")
        with lv.plate("n", "N"):
            z = lv.MultivariateNormal("z", mean=np.zeros(L), cov=np.eye(L))
            with lv.plate("d", D):
                lv.Normal("x", mean=lv.dot(W, z) + mu, var=noise, observed=True)
    return m


def regression_evidence(D: int):
    """Bayesian linear regression whose prior precision alpha and noise precision beta are
    estimated by EM with the weights w as the latent (pass latent=["w"]): evidence maximisation."""
    with lv.Model("regression_evidence") as m:
        alpha = lv.Param("alpha", constraint="positive")
        beta = lv.Param("beta", constraint="positive")
        w = lv.MultivariateNormal("w", mean=np.zeros(D), precision=alpha * np.eye(D))
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(D,))
            lv.Normal("y", mean=lv.dot(X, w), precision=beta, observed=True)
    return m


# ----------------------------------------------------------------------------- data

def mixture_data(N: int, D: int, K: int, seed: int = 0, spread: float = 4.0):
    """Well-separated Gaussian clusters with random full covariances; returns (X, labels)."""
    rng = np.random.default_rng(seed)
    centres = spread * rng.standard_normal((K, D))
    A = rng.standard_normal((K, D, D)) * 0.5 + np.eye(D)
    z = rng.integers(0, K, N)
    X = centres[z] + np.einsum("nde,ne->nd", A[z], rng.standard_normal((N, D)))
    return (X[:, 0] if D == 1 else X), z


def binary_data(N: int, D: int, K: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    P = rng.uniform(0.1, 0.9, (K, D))
    z = rng.integers(0, K, N)
    return (rng.random((N, D)) < P[z]).astype(int), z


def low_rank_data(N: int, D: int, L: int, noise_sd, seed: int = 0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((D, L))
    return rng.standard_normal((N, L)) @ W.T + np.asarray(noise_sd) * rng.standard_normal((N, D)) + 1.0


def regression_data(N: int, D: int, seed: int = 0, noise_sd: float = 0.5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    return X, X @ rng.standard_normal(D) + noise_sd * rng.standard_normal(N)
