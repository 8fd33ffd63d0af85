"""InverseGamma(shape, scale): positive reals; 1/x is Gamma(shape, rate=scale), mean scale/(shape-1).

Density b^a / Gamma(a) x^(-a-1) exp(-b/x).  Exponential-family form: T(x) = (log x, 1/x),
eta = (-a - 1, -b), A(eta) = log Gamma(-eta1 - 1) - (-eta1 - 1) log(-eta2), h(x) = 1.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from .base import Family, Support, as_float


class InverseGamma(Family):
    name = "InverseGamma"
    params = ("shape", "scale")
    alternatives = {"shape": ("shape",), "scale": ("scale",)}
    support = Support("positive")
    param_event_ndim = {"shape": 0, "scale": 0}

    def param_problems(self, p):
        out = []
        if not np.all(np.asarray(p["shape"]) > 0):
            out.append("shape must be positive")
        if not np.all(np.asarray(p["scale"]) > 0):
            out.append("scale must be positive")
        return out

    def in_support(self, x, p):
        return np.isfinite(x) & (x > 0)

    # symbolic
    def log_density(self, x, p):
        a, b = p["shape"], p["scale"]
        return a * sp.log(b) - sp.loggamma(a) - (a + 1) * sp.log(x) - b / x

    def sufficient_stats(self, x, p=None):
        return [sp.log(x), 1 / x]

    def natural_params(self, p):
        return [-p["shape"] - 1, -p["scale"]]

    def from_natural_sym(self, eta):
        return {"shape": -eta[0] - 1, "scale": -eta[1]}

    # numeric
    def from_natural(self, eta):
        return {"shape": -np.asarray(eta[0], float) - 1, "scale": -np.asarray(eta[1], float)}

    def log_normaliser(self, eta):
        e1, e2 = (np.asarray(e, float) for e in eta)
        return special.gammaln(-e1 - 1) - (-e1 - 1) * np.log(-e2)

    def expected_stats(self, p):
        p = as_float(p)
        a, b = p["shape"], p["scale"]
        return [np.log(b) - special.digamma(a), a / b]

    def logpdf(self, x, p):
        p = as_float(p)
        a, b = p["shape"], p["scale"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = a * np.log(b) - special.gammaln(a) - (a + 1) * np.log(x) - b / x
        return np.where(x > 0, out, -np.inf)

    def sample(self, rng, p, size=()):
        p = as_float(p)
        shape = np.broadcast_shapes(np.shape(p["shape"]), np.shape(p["scale"]), tuple(size))
        return p["scale"] / rng.gamma(np.broadcast_to(p["shape"], shape))

    def mean(self, p):
        """scale/(shape-1), infinite for shape <= 1."""
        p = as_float(p)
        a, b = p["shape"], p["scale"]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a > 1, b / (a - 1), np.inf)

    def var(self, p):
        """scale^2/((shape-1)^2 (shape-2)), infinite for shape <= 2."""
        p = as_float(p)
        a, b = p["shape"], p["scale"]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a > 2, b**2 / ((a - 1) ** 2 * (a - 2)), np.inf)

    def mode(self, p):
        p = as_float(p)
        return p["scale"] / (p["shape"] + 1)
