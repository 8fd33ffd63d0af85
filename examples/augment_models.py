"""Models and simulated data of the augmentation examples (probit, logistic, lasso, t-regression, missing y)."""

from __future__ import annotations

import numpy as np
from scipy import special

import lvmdsl as lv


def probit(D: int, mle: bool = False):
    """y ~ Bernoulli(Phi(x . w)): rewritten to z ~ Normal(x . w, 1) on (0, inf) or (-inf, 0] (Albert and Chib)."""
    with lv.Model("probit") as m:
        w = lv.Param("w", shape=(D,)) if mle else lv.MultivariateNormal("w", mean=np.zeros(D), cov=4.0 * np.eye(D))
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(D,))
            lv.Bernoulli("y", p=lv.Phi(lv.dot(X, w)), observed=True)
    return m


def logistic(D: int, prior_var: float | None = 4.0):
    """y ~ Bernoulli(sigmoid(x . w)): rewritten with Polya-gamma latents (Polson, Scott and Windle)."""
    with lv.Model("logistic") as m:
        if prior_var is None:
            w = lv.Param("w", shape=(D,))
        else:
            w = lv.MultivariateNormal("w", mean=np.zeros(D), cov=prior_var * np.eye(D))
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(D,))
            lv.Bernoulli("y", p=lv.sigmoid(lv.dot(X, w)), observed=True)
    return m


def binary_data(N: int, w, link, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, len(w)))
    return {"X": X, "y": (rng.random(N) < link(X @ np.asarray(w))).astype(int)}


def lasso(scale: float):
    """Two weights with Laplace priors (the Bayesian lasso): each becomes Normal(0, tau) with tau ~ Exp."""
    with lv.Model("lasso") as m:
        w0 = lv.Laplace("w0", loc=0.0, scale=scale)
        w1 = lv.Laplace("w1", loc=0.0, scale=scale)
        with lv.plate("n", "N"):
            x0 = lv.Const("x0", shape=())
            x1 = lv.Const("x1", shape=())
            lv.Normal("y", mean=x0 * w0 + x1 * w1, var=1.0, observed=True)
    return m


def lasso_data(N: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 2))
    return {"x0": X[:, 0], "x1": X[:, 1], "y": X @ np.array([1.5, -0.1]) + rng.normal(size=N)}


def t_regression(D: int, df: float = 3.0):
    """y ~ StudentT(df, x . w, sqrt(s2)) by maximum likelihood: a Gamma(df/2, df/2) scale per point."""
    with lv.Model("t_regression") as m:
        w = lv.Param("w", shape=(D,))
        s2 = lv.Param("s2", constraint="positive")
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(D,))
            lv.StudentT("y", df=df, loc=lv.dot(X, w), scale=lv.sqrt(s2), observed=True)
    return m


def t_data(N: int, w, df: float = 3.0, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, len(w)))
    return {"X": X, "y": X @ np.asarray(w) + 0.5 * rng.standard_t(df, size=N)}


def regression_missing(prior: bool = True):
    """y ~ Normal(a + b x, 1/tau) with some y missing (NaN): they become latent."""
    with lv.Model("regression_missing") as m:
        if prior:
            a, b = lv.Normal("a", mean=0.0, var=100.0), lv.Normal("b", mean=0.0, var=100.0)
            tau = lv.Gamma("tau", shape=1.0, rate=1.0)
        else:
            a, b, tau = lv.Param("a"), lv.Param("b"), lv.Param("tau", constraint="positive")
        with lv.plate("n", "N"):
            x = lv.Const("x", shape=())
            lv.Normal("y", mean=a + b * x, precision=tau, observed=True)
    return m


def missing_data(N: int, frac: float = 0.2, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=N)
    y = 1 + 2 * x + 0.7 * rng.normal(size=N)
    return {"x": x, "y": np.where(rng.random(N) < frac, np.nan, y)}


SIGMOID, PHI = special.expit, special.ndtr
