"""StudentT(df, loc, scale): real numbers; (x - loc)/scale has Student's t distribution with df degrees.

log p(x) = log Gamma((df+1)/2) - log Gamma(df/2) - log(df pi)/2 - log(scale)
           - (df+1)/2 log(1 + ((x - loc)/scale)^2 / df).
Not an exponential family: ``sufficient_stats`` is None.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from .base import Family, Support, as_float


class StudentT(Family):
    name = "StudentT"
    params = ("df", "loc", "scale")
    alternatives = {"df": ("df",), "loc": ("loc",), "scale": ("scale",)}
    support = Support("real")
    param_event_ndim = {"df": 0, "loc": 0, "scale": 0}

    def param_problems(self, p):
        return [f"{k} must be positive" for k in ("df", "scale") if not np.all(np.asarray(p[k]) > 0)]

    # symbolic
    def log_density(self, x, p):
        nu, m, s = p["df"], p["loc"], p["scale"]
        return (sp.loggamma((nu + 1) / 2) - sp.loggamma(nu / 2) - sp.log(nu * sp.pi) / 2 - sp.log(s)
                - (nu + 1) / 2 * sp.log(1 + ((x - m) / s) ** 2 / nu))

    def sufficient_stats(self, x, p=None):
        return None

    # numeric
    def logpdf(self, x, p):
        p = as_float(p)
        nu, m, s = p["df"], p["loc"], p["scale"]
        z = (x - m) / s
        return (special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - np.log(nu * np.pi) / 2
                - np.log(s) - (nu + 1) / 2 * np.log1p(z**2 / nu))

    def sample(self, rng, p, size=()):
        p = as_float(p)
        shape = np.broadcast_shapes(p["df"].shape, p["loc"].shape, p["scale"].shape, tuple(size))
        return p["loc"] + p["scale"] * rng.standard_t(np.broadcast_to(p["df"], shape))

    def _shape(self, p):
        return np.broadcast_shapes(*(np.shape(p[k]) for k in self.params))

    def mean(self, p):
        """loc for df > 1, undefined (nan) otherwise."""
        p = as_float(p)
        return np.broadcast_to(np.where(p["df"] > 1, p["loc"], np.nan), self._shape(p)).copy()

    def var(self, p):
        """scale^2 df/(df - 2) for df > 2, infinite for 1 < df <= 2, undefined (nan) for df <= 1."""
        p = as_float(p)
        nu, s = p["df"], p["scale"]
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.select([nu > 2, nu > 1], [s**2 * nu / (nu - 2), np.inf], np.nan)
        return np.broadcast_to(v, self._shape(p)).copy()

    def mode(self, p):
        p = as_float(p)
        return np.broadcast_to(p["loc"], self._shape(p)).copy()
