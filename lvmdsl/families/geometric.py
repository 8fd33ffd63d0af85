"""Geometric(p): the number of failures before the first success, on 0, 1, 2, ...

log p(x) = x log(1 - p) + log p.  Exponential-family form: T(x) = x, eta = log(1 - p),
A(eta) = -log(1 - e^eta), h(x) = 1.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from . import _util as u
from .base import Family, Support, as_float


class Geometric(Family):
    name = "Geometric"
    params = ("p",)
    alternatives = {"p": ("p",)}
    support = Support("count", discrete=True)
    param_event_ndim = {"p": 0}

    def param_problems(self, p):
        q = np.asarray(p["p"])
        return [] if np.all((q > 0) & (q <= 1)) else ["p must be in (0, 1]"]

    def in_support(self, x, p):
        return u.is_count(x)

    # symbolic
    def log_density(self, x, p):
        return x * sp.log(1 - p["p"]) + sp.log(p["p"])

    def sufficient_stats(self, x, p=None):
        return [x]

    def natural_params(self, p):
        return [u.log(1 - p["p"])]

    def from_natural_sym(self, eta):
        return {"p": 1 - sp.exp(eta[0])}

    # numeric
    def from_natural(self, eta):
        return {"p": -np.expm1(np.asarray(eta[0], float))}

    def log_normaliser(self, eta):
        return -np.log(-np.expm1(np.asarray(eta[0], float)))

    def expected_stats(self, p):
        return [self.mean(p)]

    def logpdf(self, x, p):
        q = as_float(p)["p"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = special.xlog1py(x, -q) + np.log(q)
        return np.where(u.is_count(x), out, -np.inf)

    def sample(self, rng, p, size=()):
        q = as_float(p)["p"]
        shape = np.broadcast_shapes(np.shape(q), tuple(size))
        return rng.geometric(np.broadcast_to(q, shape)) - 1

    def mean(self, p):
        q = as_float(p)["p"]
        return (1 - q) / q

    def var(self, p):
        q = as_float(p)["p"]
        return (1 - q) / q**2

    def mode(self, p):
        return np.zeros(np.shape(p["p"]))
