"""Uniform(low, high): numbers between low and high, each equally likely: log p(x) = -log(high - low).

Not an exponential family (the support depends on the parameters): ``sufficient_stats`` is None.
The symbolic log-density omits the support indicator [low <= x <= high].
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .base import Family, Support, as_float


class Uniform(Family):
    name = "Uniform"
    params = ("low", "high")
    alternatives = {"low": ("low",), "high": ("high",)}
    support = Support("interval")
    param_event_ndim = {"low": 0, "high": 0}

    def param_problems(self, p):
        ok = np.all(np.asarray(p["high"], float) > np.asarray(p["low"], float))
        return [] if ok else ["high must be greater than low"]

    def in_support(self, x, p):
        return np.isfinite(x) & (x >= np.asarray(p["low"], float)) & (x <= np.asarray(p["high"], float))

    # symbolic
    def log_density(self, x, p):
        return -sp.log(p["high"] - p["low"])

    def sufficient_stats(self, x, p=None):
        return None

    # numeric
    def logpdf(self, x, p):
        p = as_float(p)
        lo, hi = p["low"], p["high"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = -np.log(hi - lo) + 0 * np.asarray(x, float)
        return np.where((x >= lo) & (x <= hi), out, -np.inf)

    def sample(self, rng, p, size=()):
        p = as_float(p)
        lo, hi = p["low"], p["high"]
        return lo + (hi - lo) * rng.random(np.broadcast_shapes(lo.shape, hi.shape, tuple(size)))

    def mean(self, p):
        p = as_float(p)
        return (p["low"] + p["high"]) / 2

    def var(self, p):
        p = as_float(p)
        return (p["high"] - p["low"]) ** 2 / 12

    def mode(self, p):
        """Every point of [low, high] is a mode; the midpoint is returned."""
        return self.mean(p)
