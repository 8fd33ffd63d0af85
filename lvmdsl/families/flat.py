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

#: constraint -> (support kind, smallest event rank, vehicle families to try in order by rank).
#: A real array of any rank is one multivariate normal on its entries (a (D, M) matrix W: the
#: statistics W[a, b] and W[a, b] W[c, e]); a positive or unit array is independent scalars.
DOMAINS = {
    None: ("real", 0, {0: ("Normal",), "array": ("MultivariateNormal",)}),
    "positive": ("positive", 0, {0: ("Gamma", "InverseGamma")}),
    "unit": ("unit", 0, {0: ("Beta",)}),
    "simplex": ("simplex", 1, {1: ("Dirichlet",)}),
    "positive_definite": ("positive_definite", 2, {2: ("Wishart", "InverseWishart")}),
}

#: the rank whose vehicles an array of higher rank uses (a batch of simplices, of matrices)
_OWN_RANK = {"simplex": 1, "positive_definite": 2, "positive": 0, "unit": 0}


def _shape(shape) -> tuple:
    """The event shape as a tuple of positive ints: ``()``, ``5``, ``(D, M)``; anything else is a
    FamilyError saying what a shape is."""
    if isinstance(shape, (int, np.integer, float, np.floating)) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise FamilyError(f"shape must be a tuple of positive integers such as (D, M), got {shape!r}")
    out = []
    for n in shape:
        if isinstance(n, (float, np.floating)) and float(n).is_integer():
            n = int(n)                          # 3.0 is 3, as for a plate's size
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
            hint = (" (a size read from the data: declare the vector in a plate, lv.plate(\"d\", \"D\"), and sum "
                    "it with lv.dot)") if isinstance(n, str) else ""
            raise FamilyError(f"shape must be a tuple of positive integers such as (D, M), got {tuple(shape)!r} "
                              f"({n!r} is not a positive integer){hint}")
        out.append(int(n))
    return tuple(out)


class Flat(Family):
    """A parameter without a prior: flat on its domain (``constraint``), with a fixed shape."""

    name = "Param"
    params = ()
    alternatives: dict = {}

    def __init__(self, constraint=None, shape=()):
        if constraint not in DOMAINS:
            raise FamilyError(f"unknown constraint {constraint!r}; use one of "
                              + ", ".join(repr(c) for c in DOMAINS))
        kind, lowest, vehicles = DOMAINS[constraint]
        shape = _shape(shape)
        if len(shape) < lowest:
            raise FamilyError(f"a Param with constraint {constraint!r} needs at least {lowest} dimension(s) "
                              f"(a {'vector' if lowest == 1 else 'square matrix'}), got shape {shape}")
        if constraint == "positive_definite" and (len(shape) != 2 or shape[0] != shape[1]):
            raise FamilyError(f"a positive-definite Param must be one square matrix, got shape {shape}; for one "
                              "matrix per component declare it inside a plate (lv.plate(\"k\", K))")
        self.constraint, self.shape = constraint, shape
        self.support = Support(kind)
        self.event_ndim = len(shape)
        if constraint is None:
            self.vehicles = vehicles[0] if not shape else vehicles["array"]
        else:
            self.vehicles = vehicles[_OWN_RANK[constraint]]

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

    def reference_draw(self, rng: np.random.Generator, size: tuple = ()) -> np.ndarray:
        """A value in the domain from a fixed reference distribution (not a prior: where any state
        will do, as at ``lv.verify``'s states): standard normal entries, their exponential for a
        positive array, the logistic of them for a unit one, Dirichlet(1) rows for a simplex and
        Wishart(d + 2, I / (d + 2)) matrices for positive-definite ones."""
        shape = tuple(size) + self.shape
        g = rng.standard_normal(shape)
        if self.constraint is None:
            return g
        if self.constraint == "positive":
            return np.exp(g)
        if self.constraint == "unit":
            return 1 / (1 + np.exp(-g))
        if self.constraint == "simplex":
            return rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
        d = shape[-1]
        A = rng.standard_normal(shape[:-1] + (d + 2,)) / np.sqrt(d + 2)
        return A @ np.swapaxes(A, -1, -2)

    def __repr__(self):
        return f"<Param {self.constraint or 'real'} {self.shape}>"
