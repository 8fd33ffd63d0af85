"""NegativeBinomial(r, p): failures before the r-th success, success probability p (r > 0 real).

log p(x) = log Gamma(x + r) - log Gamma(r) - log x! + r log p + x log(1 - p), as scipy's nbinom(r, p).
Exponential-family form for known r: T(x) = x, eta = log(1 - p), A(eta) = -r log(1 - e^eta),
h(x) = Gamma(x + r) / (Gamma(r) x!).  A and h depend on r, which eta does not determine:
``log_normaliser`` takes ``fixed={"r": ...}``, ``from_natural`` returns only p, and
``log_base_measure(x)`` without parameters returns only -log x! (pass ``p`` for all of h).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from . import _util as u
from .base import Family, FamilyError, Support, as_float


class NegativeBinomial(Family):
    name = "NegativeBinomial"
    params = ("r", "p")
    alternatives = {"r": ("r",), "p": ("p",)}
    support = Support("count", discrete=True)
    param_event_ndim = {"r": 0, "p": 0}
    fixed_params = ("r",)

    def param_problems(self, p):
        out = [] if np.all(np.asarray(p["r"]) > 0) else ["r must be positive"]
        q = np.asarray(p["p"])
        return out + ([] if np.all((q > 0) & (q <= 1)) else ["p must be in (0, 1]"])

    def in_support(self, x, p):
        return u.is_count(x)

    # symbolic
    def log_density(self, x, p):
        r, q = p["r"], p["p"]
        return (sp.loggamma(x + r) - sp.loggamma(r) - sp.loggamma(x + 1)
                + r * sp.log(q) + x * sp.log(1 - q))

    def sufficient_stats(self, x, p=None):
        return [x]

    def log_base_measure(self, x, p=None):
        if p is None:
            return -sp.loggamma(x + 1)
        return sp.loggamma(x + p["r"]) - sp.loggamma(p["r"]) - sp.loggamma(x + 1)

    def natural_params(self, p):
        return [u.log(1 - p["p"])]

    def from_natural_sym(self, eta):
        return {"p": 1 - sp.exp(eta[0])}

    # numeric
    def from_natural(self, eta):
        return {"p": -np.expm1(np.asarray(eta[0], float))}

    def log_normaliser(self, eta, fixed=None):
        if not fixed or "r" not in fixed:
            raise FamilyError("the NegativeBinomial log-normaliser needs r: fixed={'r': ...}")
        return -np.asarray(fixed["r"], float) * np.log(-np.expm1(np.asarray(eta[0], float)))

    def expected_stats(self, p):
        return [self.mean(p)]

    def logpdf(self, x, p):
        p = as_float(p)
        r, q = p["r"], p["p"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (special.gammaln(x + r) - special.gammaln(r) - special.gammaln(x + 1)
                   + r * np.log(q) + special.xlog1py(x, -q))
        return np.where(u.is_count(x), out, -np.inf)

    def sample(self, rng, p, size=()):
        p = as_float(p)
        shape = np.broadcast_shapes(np.shape(p["r"]), np.shape(p["p"]), tuple(size))
        return rng.negative_binomial(np.broadcast_to(p["r"], shape), np.broadcast_to(p["p"], shape))

    def mean(self, p):
        p = as_float(p)
        return p["r"] * (1 - p["p"]) / p["p"]

    def var(self, p):
        p = as_float(p)
        return p["r"] * (1 - p["p"]) / p["p"] ** 2

    def mode(self, p):
        """floor((r - 1)(1 - p)/p) for r > 1, else 0."""
        p = as_float(p)
        r, q = p["r"], p["p"]
        return np.where(r > 1, np.floor((r - 1) * (1 - q) / q), 0.0)
