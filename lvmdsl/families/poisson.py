"""Poisson(rate): counts 0, 1, 2, ... with mean rate.

Exponential-family form: T(x) = x, eta = log rate, A(eta) = e^eta, log h(x) = -log x!.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from . import _util as u
from .base import Family, Support, as_float


class Poisson(Family):
    name = "Poisson"
    params = ("rate",)
    alternatives = {"rate": ("rate",)}
    support = Support("count", discrete=True)
    param_event_ndim = {"rate": 0}

    def param_problems(self, p):
        return [] if np.all(np.asarray(p["rate"]) > 0) else ["rate must be positive"]

    def in_support(self, x, p):
        return u.is_count(x)

    # symbolic
    def log_density(self, x, p):
        return x * sp.log(p["rate"]) - p["rate"] - sp.loggamma(x + 1)

    def sufficient_stats(self, x, p=None):
        return [x]

    def log_base_measure(self, x, p=None):
        return -sp.loggamma(x + 1)

    def natural_params(self, p):
        return [u.log(p["rate"])]

    def from_natural_sym(self, eta):
        return {"rate": sp.exp(eta[0])}

    # numeric
    def from_natural(self, eta):
        return {"rate": np.exp(np.asarray(eta[0], float))}

    def log_normaliser(self, eta):
        return np.exp(np.asarray(eta[0], float))

    def expected_stats(self, p):
        return [as_float(p)["rate"]]

    def logpdf(self, x, p):
        lam = as_float(p)["rate"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = special.xlogy(x, lam) - lam - special.gammaln(x + 1)
        return np.where(u.is_count(x), out, -np.inf)

    def sample(self, rng, p, size=()):
        lam = as_float(p)["rate"]
        return rng.poisson(np.broadcast_to(lam, np.broadcast_shapes(np.shape(lam), tuple(size))))

    def mean(self, p):
        return as_float(p)["rate"]

    def var(self, p):
        return as_float(p)["rate"]

    def mode(self, p):
        return np.floor(as_float(p)["rate"])
