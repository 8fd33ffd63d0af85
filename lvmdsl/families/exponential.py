"""Exponential(rate): positive reals with mean 1/rate.

Exponential-family form: T(x) = x, eta = -rate, A(eta) = -log(-eta), h(x) = 1.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .base import Family, Support, as_float


class Exponential(Family):
    name = "Exponential"
    params = ("rate",)
    alternatives = {"rate": ("rate",)}
    support = Support("positive")
    param_event_ndim = {"rate": 0}

    def param_problems(self, p):
        return [] if np.all(np.asarray(p["rate"]) > 0) else ["rate must be positive"]

    def in_support(self, x, p):
        return np.isfinite(x) & (x > 0)

    # symbolic
    def log_density(self, x, p):
        return sp.log(p["rate"]) - p["rate"] * x

    def sufficient_stats(self, x, p=None):
        return [x]

    def natural_params(self, p):
        return [-p["rate"]]

    def from_natural_sym(self, eta):
        return {"rate": -eta[0]}

    # numeric
    def from_natural(self, eta):
        return {"rate": -np.asarray(eta[0], float)}

    def log_normaliser(self, eta):
        return -np.log(-np.asarray(eta[0], float))

    def expected_stats(self, p):
        return [1 / as_float(p)["rate"]]

    def logpdf(self, x, p):
        lam = as_float(p)["rate"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log(lam) - lam * x
        return np.where(x >= 0, out, -np.inf)

    def sample(self, rng, p, size=()):
        lam = as_float(p)["rate"]
        return rng.standard_exponential(np.broadcast_shapes(np.shape(lam), tuple(size))) / lam

    def mean(self, p):
        return 1 / as_float(p)["rate"]

    def var(self, p):
        return 1 / as_float(p)["rate"] ** 2

    def mode(self, p):
        return np.zeros(np.shape(p["rate"]))
