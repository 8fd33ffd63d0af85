"""Pareto(scale, shape): numbers x >= scale with log p(x) = log(shape) + shape log(scale) - (shape+1) log x.

Not an exponential family in the scale (the support moves with it).  For a fixed scale it is one
in the shape: T(x) = log x, eta = -(shape + 1), A(eta) = -log(shape) - shape log(scale),
h(x) = 1; that is what ``sufficient_stats`` returns.  A depends on the scale, which eta does not
determine: ``log_normaliser`` takes ``fixed={"scale": ...}`` and ``from_natural`` returns only shape.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .base import Family, FamilyError, Support, as_float


class Pareto(Family):
    name = "Pareto"
    params = ("scale", "shape")
    alternatives = {"scale": ("scale",), "shape": ("shape",)}
    support = Support("above_scale")
    param_event_ndim = {"scale": 0, "shape": 0}
    fixed_params = ("scale",)

    def param_problems(self, p):
        return [f"{k} must be positive" for k in ("scale", "shape") if not np.all(np.asarray(p[k]) > 0)]

    def in_support(self, x, p):
        return np.isfinite(x) & (x >= np.asarray(p["scale"], float))

    # symbolic
    def log_density(self, x, p):
        s, a = p["scale"], p["shape"]
        return sp.log(a) + a * sp.log(s) - (a + 1) * sp.log(x)

    def sufficient_stats(self, x, p=None):
        """None: as a prior, Pareto's conjugacy (with Uniform(0, theta)) runs through the support
        bound max(scale, max y), which the coefficient rule cannot see; it is reported as not
        conjugate rather than derived wrong.  As a likelihood its shape is Gamma-conjugate."""
        return None

    def natural_params(self, p):
        return [-(p["shape"] + 1)]

    def from_natural_sym(self, eta):
        return {"shape": -eta[0] - 1}

    # numeric
    def from_natural(self, eta):
        return {"shape": -np.asarray(eta[0], float) - 1}

    def log_normaliser(self, eta, fixed=None):
        if not fixed or "scale" not in fixed:
            raise FamilyError("the Pareto log-normaliser needs the scale: fixed={'scale': ...}")
        a = -np.asarray(eta[0], float) - 1
        return -np.log(a) - a * np.log(np.asarray(fixed["scale"], float))

    def expected_stats(self, p):
        p = as_float(p)
        return [np.log(p["scale"]) + 1 / p["shape"]]

    def logpdf(self, x, p):
        p = as_float(p)
        s, a = p["scale"], p["shape"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log(a) + a * np.log(s) - (a + 1) * np.log(x)
        return np.where(x >= s, out, -np.inf)

    def sample(self, rng, p, size=()):
        p = as_float(p)
        shape = np.broadcast_shapes(np.shape(p["scale"]), np.shape(p["shape"]), tuple(size))
        return p["scale"] * np.exp(rng.standard_exponential(shape) / p["shape"])

    def mean(self, p):
        """shape * scale / (shape - 1), infinite for shape <= 1."""
        p = as_float(p)
        s, a = p["scale"], p["shape"]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a > 1, a * s / (a - 1), np.inf)

    def var(self, p):
        """scale^2 shape / ((shape - 1)^2 (shape - 2)), infinite for shape <= 2."""
        p = as_float(p)
        s, a = p["scale"], p["shape"]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a > 2, s**2 * a / ((a - 1) ** 2 * (a - 2)), np.inf)

    def mode(self, p):
        p = as_float(p)
        return np.broadcast_to(p["scale"], np.broadcast_shapes(p["scale"].shape, p["shape"].shape)).copy()
