"""Beta(a, b): numbers in (0, 1), mean a/(a+b).

Exponential-family form: T(x) = (log x, log(1 - x)), eta = (a - 1, b - 1),
A(eta) = log B(eta1 + 1, eta2 + 1), h(x) = 1.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from .base import Family, Support, as_float


class Beta(Family):
    name = "Beta"
    params = ("a", "b")
    alternatives = {"a": ("a",), "b": ("b",)}
    support = Support("unit")
    param_event_ndim = {"a": 0, "b": 0}

    def param_problems(self, p):
        return [f"{k} must be positive" for k in ("a", "b") if not np.all(np.asarray(p[k]) > 0)]

    def in_support(self, x, p):
        return np.isfinite(x) & (x > 0) & (x < 1)

    # symbolic
    def log_density(self, x, p):
        a, b = p["a"], p["b"]
        return ((a - 1) * sp.log(x) + (b - 1) * sp.log(1 - x)
                - sp.loggamma(a) - sp.loggamma(b) + sp.loggamma(a + b))

    def sufficient_stats(self, x, p=None):
        return [sp.log(x), sp.log(1 - x)]

    def natural_params(self, p):
        return [p["a"] - 1, p["b"] - 1]

    def from_natural_sym(self, eta):
        return {"a": eta[0] + 1, "b": eta[1] + 1}

    # numeric
    def from_natural(self, eta):
        return {"a": np.asarray(eta[0], float) + 1, "b": np.asarray(eta[1], float) + 1}

    def log_normaliser(self, eta):
        e1, e2 = (np.asarray(e, float) for e in eta)
        return special.betaln(e1 + 1, e2 + 1)

    def expected_stats(self, p):
        p = as_float(p)
        a, b = p["a"], p["b"]
        return [special.digamma(a) - special.digamma(a + b), special.digamma(b) - special.digamma(a + b)]

    def logpdf(self, x, p):
        p = as_float(p)
        a, b = p["a"], p["b"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = special.xlogy(a - 1, x) + special.xlog1py(b - 1, -x) - special.betaln(a, b)
        return np.where((x > 0) & (x < 1), out, -np.inf)

    def sample(self, rng, p, size=()):
        p = as_float(p)
        shape = np.broadcast_shapes(np.shape(p["a"]), np.shape(p["b"]), tuple(size))
        return rng.beta(np.broadcast_to(p["a"], shape), np.broadcast_to(p["b"], shape))

    def mean(self, p):
        p = as_float(p)
        return p["a"] / (p["a"] + p["b"])

    def var(self, p):
        p = as_float(p)
        a, b = p["a"], p["b"]
        return a * b / ((a + b) ** 2 * (a + b + 1))

    def argmax_natural(self, eta):
        """eta1 / (eta1 + eta2) for eta >= 0 (the mode (a-1)/(a+b-2)); NaN otherwise."""
        e1, e2 = (np.asarray(v, float) for v in (eta[0], eta[1]))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((e1 >= 0) & (e2 >= 0), e1 / (e1 + e2), np.nan)

    def mode(self, p):
        """(a-1)/(a+b-2) when a, b > 1; the boundary 0 or 1 when only one of them is; 0.5 if both <= 1
        (then the density is flat or U-shaped and the mode is not unique)."""
        p = as_float(p)
        a, b = np.broadcast_arrays(p["a"], p["b"])
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = (a - 1) / (a + b - 2)
        return np.select([(a > 1) & (b > 1), (a <= 1) & (b > 1), (a > 1) & (b <= 1)], [inner, 0.0, 1.0], 0.5)
