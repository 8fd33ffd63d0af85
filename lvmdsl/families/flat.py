"""The 'family' of a parameter declared without a prior (``lv.Param``): a flat density on its domain.

It contributes nothing to the log-joint, so EM estimates it by maximum likelihood.  Its M-step
uses a *vehicle*: an exponential family on the same domain whose sufficient statistics the
likelihood is linear in (a positive scalar is a precision, T = (log x, x), or a variance,
T = (log x, 1/x), whichever the likelihood fits); the maximiser of eta . T(x) is then
``vehicle.argmax_natural(eta)``.  The candidates per domain are listed in ``VEHICLES``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .base import Family, FamilyError, Support

#: constraint -> (support kind, allowed event rank, vehicle families to try in order)
DOMAINS = {
    None: ("real", (0, 1), {0: ("Normal",), 1: ("MultivariateNormal",)}),
    "positive": ("positive", (0,), {0: ("Gamma", "InverseGamma")}),
    "unit": ("unit", (0,), {0: ("Beta",)}),
    "simplex": ("simplex", (1,), {1: ("Dirichlet",)}),
    "positive_definite": ("positive_definite", (2,), {2: ("Wishart", "InverseWishart")}),
}


class Flat(Family):
    """A parameter without a prior: flat on its domain (``constraint``), with a fixed shape."""

    name = "Param"
    params = ()
    alternatives: dict = {}

    def __init__(self, constraint=None, shape=()):
        if constraint not in DOMAINS:
            raise FamilyError(f"unknown constraint {constraint!r}; use one of "
                              + ", ".join(repr(c) for c in DOMAINS))
        kind, ranks, vehicles = DOMAINS[constraint]
        try:
            shape = tuple(int(s) for s in np.atleast_1d(shape)) if np.ndim(shape) or shape != () else ()
        except (TypeError, ValueError):
            raise FamilyError(f"a Param's shape must be whole numbers (declare a vector of data size in a plate, "
                              f"lv.plate(\"d\", \"D\"), and sum it with lv.dot), got {shape!r}") from None
        if len(shape) not in ranks:
            raise FamilyError(f"a Param with constraint {constraint!r} must have "
                              + " or ".join(f"{r} dimension(s)" for r in ranks) + f", got shape {shape}")
        if constraint == "positive_definite" and shape[0] != shape[1]:
            raise FamilyError(f"a positive-definite Param must be square, got shape {shape}")
        self.constraint, self.shape = constraint, shape
        self.support = Support(kind)
        self.event_ndim = len(shape)
        self.vehicles = vehicles[len(shape)]

    def event_shape(self, param_shapes):
        return self.shape

    def log_density(self, x, p):
        return sp.Integer(0)

    def index_log_density(self, x, p, literals):
        return sp.Integer(0)

    def logpdf(self, x, p):
        x = np.asarray(x, dtype=float)
        return np.zeros(x.shape[: x.ndim - self.event_ndim])

    def in_support(self, x, p):
        return super().in_support(x, p)

    def sample(self, rng, p, size=()):
        raise FamilyError("a Param has no prior to draw from: give its value with init=, or declare a prior")

    def __repr__(self):
        return f"<Param {self.constraint or 'real'} {self.shape}>"
