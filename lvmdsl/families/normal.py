"""Normal(mean, var | sd | precision): the scalar Gaussian.

Exponential-family form: T(x) = (x, x^2), eta = (mean/var, -1/(2 var)),
A(eta) = -eta1^2/(4 eta2) - log(-2 eta2)/2, h(x) = 1/sqrt(2 pi).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .base import Family, Support, as_float


class Normal(Family):
    name = "Normal"
    params = ("mean", "var")
    alternatives = {"mean": ("mean",), "var": ("var", "sd", "precision")}
    support = Support("real")
    param_event_ndim = {"mean": 0, "var": 0}

    def to_canonical(self, keyword, value):
        if keyword == "sd":
            return value**2
        if keyword == "precision":
            return 1 / value
        return value

    def param_problems(self, p):
        return [] if np.all(np.asarray(p["var"]) > 0) else ["var (or sd, precision) must be positive"]

    # symbolic
    def log_density(self, x, p):
        m, v = p["mean"], p["var"]
        return -sp.log(2 * sp.pi * v) / 2 - (x - m) ** 2 / (2 * v)

    def sufficient_stats(self, x, p=None):
        return [x, x**2]

    def log_base_measure(self, x):
        return -sp.log(2 * sp.pi) / 2

    def natural_params(self, p):
        return [p["mean"] / p["var"], -1 / (2 * p["var"])]

    def from_natural_sym(self, eta):
        precision = -2 * eta[1]
        return {"mean": eta[0] / precision, "var": 1 / precision}

    # numeric
    def from_natural(self, eta):
        e1, e2 = (np.asarray(e, float) for e in eta)
        precision = -2 * e2
        return {"mean": e1 / precision, "var": 1 / precision}

    def log_normaliser(self, eta):
        e1, e2 = (np.asarray(e, float) for e in eta)
        return -(e1**2) / (4 * e2) - np.log(-2 * e2) / 2

    def expected_stats(self, p):
        p = as_float(p)
        return [p["mean"], p["var"] + p["mean"] ** 2]

    def logpdf(self, x, p):
        p = as_float(p)
        return -0.5 * np.log(2 * np.pi * p["var"]) - (x - p["mean"]) ** 2 / (2 * p["var"])

    def sample(self, rng, p, size=()):
        p = as_float(p)
        shape = np.broadcast_shapes(np.shape(p["mean"]), np.shape(p["var"]), tuple(size))
        return p["mean"] + np.sqrt(p["var"]) * rng.standard_normal(shape)

    def mean(self, p):
        return np.asarray(p["mean"], float)

    def var(self, p):
        return np.broadcast_to(np.asarray(p["var"], float), np.broadcast_shapes(
            np.shape(p["mean"]), np.shape(p["var"]))).copy()

    def mode(self, p):
        return self.mean(p)


