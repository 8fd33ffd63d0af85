"""Laplace(loc, scale): real numbers with log p(x) = -log(2 scale) - |x - loc| / scale.

Not an exponential family in loc (|x - loc| is not linear in any fixed statistic):
``sufficient_stats`` is None.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .base import Family, Support, as_float


class Laplace(Family):
    name = "Laplace"
    params = ("loc", "scale")
    alternatives = {"loc": ("loc",), "scale": ("scale",)}
    support = Support("real")
    param_event_ndim = {"loc": 0, "scale": 0}

    def param_problems(self, p):
        return [] if np.all(np.asarray(p["scale"]) > 0) else ["scale must be positive"]

    # symbolic
    def log_density(self, x, p):
        return -sp.log(2 * p["scale"]) - sp.Abs(x - p["loc"]) / p["scale"]

    def sufficient_stats(self, x, p=None):
        return None

    # numeric
    def logpdf(self, x, p):
        p = as_float(p)
        return -np.log(2 * p["scale"]) - np.abs(x - p["loc"]) / p["scale"]

    def sample(self, rng, p, size=()):
        p = as_float(p)
        shape = np.broadcast_shapes(p["loc"].shape, p["scale"].shape, tuple(size))
        return p["loc"] + p["scale"] * rng.laplace(size=shape)

    def mean(self, p):
        p = as_float(p)
        return np.broadcast_to(p["loc"], np.broadcast_shapes(p["loc"].shape, p["scale"].shape)).copy()

    def var(self, p):
        p = as_float(p)
        return np.broadcast_to(2 * p["scale"] ** 2, np.broadcast_shapes(p["loc"].shape, p["scale"].shape)).copy()

    def mode(self, p):
        return self.mean(p)
