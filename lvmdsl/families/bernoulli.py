"""Bernoulli(p): 0 or 1, with P(x = 1) = p.

Exponential-family form: T(x) = x, eta = logit p = log p - log(1 - p),
A(eta) = log(1 + e^eta), h(x) = 1.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from . import _util as u
from .base import Family, Support, as_float


class Bernoulli(Family):
    name = "Bernoulli"
    params = ("p",)
    alternatives = {"p": ("p",)}
    support = Support("binary", discrete=True)
    param_event_ndim = {"p": 0}

    def param_problems(self, p):
        v = np.asarray(p["p"])
        return [] if np.all((v >= 0) & (v <= 1)) else ["p must be between 0 and 1"]

    def in_support(self, x, p):
        return (x == 0) | (x == 1)

    def finite_support_size(self, p_shapes, p_values=None):
        return 2

    # symbolic
    def log_density(self, x, p):
        return x * sp.log(p["p"]) + (1 - x) * sp.log(1 - p["p"])

    def sufficient_stats(self, x, p=None):
        return [x]

    def natural_params(self, p):
        return u.logit_natural_params(p)

    def from_natural_sym(self, eta):
        return u.logit_from_natural_sym(eta)

    # numeric
    def from_natural(self, eta):
        return u.logit_from_natural(eta)

    def log_normaliser(self, eta):
        return np.logaddexp(0.0, np.asarray(eta[0], float))

    def expected_stats(self, p):
        return [as_float(p)["p"]]

    def logpdf(self, x, p):
        q = as_float(p)["p"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = special.xlogy(x, q) + special.xlog1py(1 - x, -q)
        return np.where((x == 0) | (x == 1), out, -np.inf)

    def sample(self, rng, p, size=()):
        q = as_float(p)["p"]
        shape = np.broadcast_shapes(np.shape(q), tuple(size))
        return (rng.random(shape) < q).astype(np.int64)

    def mean(self, p):
        return as_float(p)["p"]

    def var(self, p):
        q = as_float(p)["p"]
        return q * (1 - q)

    def mode(self, p):
        return (as_float(p)["p"] > 0.5).astype(float)
