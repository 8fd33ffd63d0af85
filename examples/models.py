"""The example models of the docs and benchmarks, each a function returning a fresh ``lv.Model``."""

from __future__ import annotations

import numpy as np

import lvmdsl as lv
from lvmdsl.demo import gmm_model as gmm  # the README's mixture, declared once


def linear_regression(D: int = 5):
    """Bayesian linear regression: w ~ MVN(0, 10 I), noise precision ~ Gamma, y ~ Normal(X w, 1/tau)."""
    with lv.Model("linreg") as m:
        w = lv.MultivariateNormal("w", mean=np.zeros(D), cov=10.0 * np.eye(D))
        tau = lv.Gamma("tau", shape=1.0, rate=1.0)
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(D,))
            lv.Normal("y", mean=lv.dot(X, w), precision=tau, observed=True)
    return m


def matrix_factorisation(n_rows: int = 20, n_cols: int = 15, rank: int = 3, tau_rate: float = 1.0):
    """Bayesian matrix factorisation over the observed entries o: r[o] ~ Normal(u[row[o]] . v[col[o]], 1/tau)."""
    with lv.Model("bmf") as m:
        tau = lv.Gamma("tau", shape=1.0, rate=tau_rate)
        with lv.plate("i", n_rows):
            u = lv.MultivariateNormal("u", mean=np.zeros(rank), precision=np.eye(rank))
        with lv.plate("j", n_cols):
            v = lv.MultivariateNormal("v", mean=np.zeros(rank), precision=np.eye(rank))
        with lv.plate("o", "O"):
            row = lv.Const("row", shape=())
            col = lv.Const("col", shape=())
            lv.Normal("r", mean=lv.dot(u[row], v[col]), precision=tau, observed=True)
    return m


def bayes_full_mixture(K: int = 3, D: int = 2):
    """Gaussian mixture with a mean and a full precision matrix per component (Normal and Wishart priors)."""
    with lv.Model("bayes_full_mixture") as m:
        pi = lv.Dirichlet("pi", alpha=np.ones(K))
        with lv.plate("k", K):
            mu = lv.MultivariateNormal("mu", mean=np.zeros(D), precision=0.1 * np.eye(D))
            lam = lv.Wishart("lam", df=D + 2.0, scale=np.eye(D))
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            lv.MultivariateNormal("x", mean=mu[z], precision=lam[z], observed=True)
    return m


def logistic_regression(D: int = 3):
    """Logistic regression: the weights are not conjugate (the derivation says which term)."""
    with lv.Model("logreg") as m:
        w = lv.MultivariateNormal("w", mean=np.zeros(D), cov=np.eye(D))
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(D,))
            lv.Bernoulli("y", p=lv.sigmoid(lv.dot(X, w)), observed=True)
    return m


from data import failure_rate_model as pumps  # noqa: E402  (the BUGS Pumps model, declared once)


MODELS = {
    "gmm": gmm,
    "linear_regression": linear_regression,
    "linear_regression_D20": lambda: linear_regression(20),
    "matrix_factorisation": matrix_factorisation,
    "logistic_regression": logistic_regression,
    "bayes_full_mixture": bayes_full_mixture,
    "pumps": pumps,
}
