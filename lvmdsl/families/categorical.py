"""Categorical(p): one of the categories 0..K-1, with P(x = k) = p_k (p a probability vector).

log p(x) = sum_k [x = k] log p_k, written with sympy's KroneckerDelta.  Exponential-family form:
T(x) = ([x = 0], ..., [x = K-1]), eta_k = log p_k, A(eta) = log sum_k e^eta_k, h(x) = 1.
The event of x is a scalar; the event of p is the trailing axis of length K.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from . import _util as u
from ..symbolic.tensor import fresh_index
from .base import Family, FamilyError, Support, as_float


class Categorical(Family):
    name = "Categorical"
    params = ("p",)
    alternatives = {"p": ("p",)}
    support = Support("category", discrete=True)
    param_event_ndim = {"p": 1}

    def event_shape(self, param_shapes):
        if len(param_shapes["p"]) < 1:
            raise ValueError("p must be a vector of category probabilities")
        return ()

    def param_problems(self, p):
        q = np.asarray(p["p"], float)
        out = u.safe_problem(lambda: q.ndim >= 1, "p must be a vector of probabilities")
        if out:
            return out
        out += u.safe_problem(lambda: np.all(q >= 0), "p must be non-negative")
        return out + u.safe_problem(lambda: np.allclose(q.sum(-1), 1), "p must sum to one")

    def in_support(self, x, p):
        K = np.shape(p["p"])[-1]
        return u.is_count(x) & (x < K)

    def finite_support_size(self, p_shapes, p_values=None):
        return int(p_shapes["p"][-1])

    # symbolic
    def log_density(self, x, p):
        q = u.sym_vector(p["p"])
        return sp.Add(*[sp.KroneckerDelta(x, k) * sp.log(q[k]) for k in range(len(q))])

    def index_log_density(self, x, p, literals):
        """Sum_k [x = k] log p_k: one term for every number of categories."""
        q = p["p"]
        k = fresh_index("k")
        return sp.Sum(sp.KroneckerDelta(x.scalar(), k) * sp.log(q.entry(k)), (k, 0, q.sizes[0] - 1))

    def sufficient_stats(self, x, p=None):
        if p is None or "p" not in p:
            raise FamilyError("the Categorical statistics need p, which gives the number of categories")
        return [sp.KroneckerDelta(x, k) for k in range(len(u.sym_vector(p["p"])))]

    def natural_params(self, p):
        return u.simplex_natural_params(p)

    def from_natural_sym(self, eta):
        return u.simplex_from_natural_sym(eta)

    # numeric
    def from_natural(self, eta):
        return u.simplex_from_natural(eta)

    def log_normaliser(self, eta):
        phi = np.stack(np.broadcast_arrays(*[np.asarray(e, float) for e in eta]), axis=-1)
        return special.logsumexp(phi, axis=-1)

    def expected_stats(self, p):
        q = as_float(p)["p"]
        return [q[..., k] for k in range(q.shape[-1])]

    def logpdf(self, x, p):
        q = as_float(p)["p"]
        x = np.asarray(x, float)
        K = q.shape[-1]
        shape = np.broadcast_shapes(x.shape, q.shape[:-1])
        x, q = np.broadcast_to(x, shape), np.broadcast_to(q, shape + (K,))
        ok = u.is_count(x) & (x < K)
        idx = np.where(ok, x, 0).astype(np.intp)[..., None]
        with np.errstate(divide="ignore"):
            out = np.log(np.take_along_axis(q, idx, axis=-1)[..., 0])
        return np.where(ok, out, -np.inf)

    def sample(self, rng, p, size=()):
        q = as_float(p)["p"]
        shape = np.broadcast_shapes(q.shape[:-1], tuple(size))
        cdf = np.cumsum(q, axis=-1)
        cdf = cdf / cdf[..., -1:]
        draws = (rng.random(shape)[..., None] > cdf).sum(axis=-1)
        return np.minimum(draws, q.shape[-1] - 1)

    def mean(self, p):
        q = as_float(p)["p"]
        return q @ np.arange(q.shape[-1], dtype=float)

    def var(self, p):
        q = as_float(p)["p"]
        k = np.arange(q.shape[-1], dtype=float)
        return q @ k**2 - (q @ k) ** 2

    def mode(self, p):
        return np.argmax(as_float(p)["p"], axis=-1).astype(float)
