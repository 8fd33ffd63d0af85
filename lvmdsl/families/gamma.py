"""Gamma(shape, rate | scale): positive reals, mean shape/rate.

Exponential-family form: T(x) = (log x, x), eta = (shape - 1, -rate),
A(eta) = log Gamma(eta1 + 1) - (eta1 + 1) log(-eta2), h(x) = 1.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from .base import Family, Support, as_float


class Gamma(Family):
    name = "Gamma"
    params = ("shape", "rate")
    alternatives = {"shape": ("shape",), "rate": ("rate", "scale")}
    support = Support("positive")
    param_event_ndim = {"shape": 0, "rate": 0}

    def to_canonical(self, keyword, value):
        return 1 / value if keyword == "scale" else value

    def param_problems(self, p):
        out = []
        if not np.all(np.asarray(p["shape"]) > 0):
            out.append("shape must be positive")
        if not np.all(np.asarray(p["rate"]) > 0):
            out.append("rate (or scale) must be positive")
        return out

    def in_support(self, x, p):
        return np.isfinite(x) & (x > 0)

    # symbolic
    def log_density(self, x, p):
        a, b = p["shape"], p["rate"]
        return a * sp.log(b) - sp.loggamma(a) + (a - 1) * sp.log(x) - b * x

    def sufficient_stats(self, x, p=None):
        return [sp.log(x), x]

    def natural_params(self, p):
        return [p["shape"] - 1, -p["rate"]]

    def from_natural_sym(self, eta):
        return {"shape": eta[0] + 1, "rate": -eta[1]}

    # numeric
    def from_natural(self, eta):
        return {"shape": np.asarray(eta[0], float) + 1, "rate": -np.asarray(eta[1], float)}

    def log_normaliser(self, eta):
        e1, e2 = (np.asarray(e, float) for e in eta)
        return special.gammaln(e1 + 1) - (e1 + 1) * np.log(-e2)

    def expected_stats(self, p):
        p = as_float(p)
        return [special.digamma(p["shape"]) - np.log(p["rate"]), p["shape"] / p["rate"]]

    def logpdf(self, x, p):
        p = as_float(p)
        a, b = p["shape"], p["rate"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = a * np.log(b) - special.gammaln(a) + (a - 1) * np.log(x) - b * x
        return np.where(x > 0, out, -np.inf)

    def sample(self, rng, p, size=()):
        p = as_float(p)
        shape = np.broadcast_shapes(np.shape(p["shape"]), np.shape(p["rate"]), tuple(size))
        return rng.gamma(np.broadcast_to(p["shape"], shape)) / p["rate"]

    def mean(self, p):
        p = as_float(p)
        return p["shape"] / p["rate"]

    def var(self, p):
        p = as_float(p)
        return p["shape"] / p["rate"] ** 2

    def argmax_natural(self, eta):
        """eta1 / -eta2 (the mode (shape-1)/rate), 0 when eta1 < 0; NaN without a maximiser (eta2 >= 0)."""
        e1, e2 = (np.asarray(v, float) for v in (eta[0], eta[1]))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(e2 < 0, np.maximum(e1, 0) / -e2, np.nan)

    def mode(self, p):
        p = as_float(p)
        return np.where(p["shape"] >= 1, (p["shape"] - 1) / p["rate"], 0.0)
