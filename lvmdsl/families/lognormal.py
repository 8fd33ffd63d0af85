"""LogNormal(mean, var | sd | precision): positive reals whose log is Normal(mean, var).

Exponential-family form: T(x) = (log x, (log x)^2), eta = (mean/var, -1/(2 var)),
A(eta) = -eta1^2/(4 eta2) - log(-2 eta2)/2, log h(x) = -log x - log(2 pi)/2.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .base import Support, as_float
from .normal import Normal


class LogNormal(Normal):
    """A Normal on the log scale: parameterisations and natural-parameter maps are Normal's."""

    name = "LogNormal"
    support = Support("positive")

    def in_support(self, x, p):
        return np.isfinite(x) & (x > 0)

    # symbolic
    def log_density(self, x, p):
        m, v = p["mean"], p["var"]
        return -sp.log(x) - sp.log(2 * sp.pi * v) / 2 - (sp.log(x) - m) ** 2 / (2 * v)

    def sufficient_stats(self, x, p=None):
        return [sp.log(x), sp.log(x) ** 2]

    def log_base_measure(self, x, p=None):
        return -sp.log(x) - sp.log(2 * sp.pi) / 2

    def logpdf(self, x, p):
        p = as_float(p)
        m, v = p["mean"], p["var"]
        with np.errstate(divide="ignore", invalid="ignore"):
            lx = np.log(x)
            out = -lx - 0.5 * np.log(2 * np.pi * v) - (lx - m) ** 2 / (2 * v)
        return np.where(x > 0, out, -np.inf)

    def sample(self, rng, p, size=()):
        p = as_float(p)
        shape = np.broadcast_shapes(np.shape(p["mean"]), np.shape(p["var"]), tuple(size))
        return np.exp(p["mean"] + np.sqrt(p["var"]) * rng.standard_normal(shape))

    def mean(self, p):
        p = as_float(p)
        return np.exp(p["mean"] + p["var"] / 2)

    def var(self, p):
        p = as_float(p)
        return np.expm1(p["var"]) * np.exp(2 * p["mean"] + p["var"])

    def mode(self, p):
        p = as_float(p)
        return np.exp(p["mean"] - p["var"])
