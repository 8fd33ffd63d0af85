"""Multinomial(n, p): counts of K categories in n independent draws from Categorical(p).

log p(x) = log n! - sum_k log x_k! + sum_k x_k log p_k.  Exponential-family form for known n:
T(x) = (x_1, ..., x_K), eta_k = log p_k, A(eta) = n log sum_k e^eta_k,
h(x) = n! / prod_k x_k!.  A depends on n, which eta does not determine: ``log_normaliser`` takes
``fixed={"n": ...}`` and ``from_natural`` returns only p; ``log_base_measure(x)`` without
parameters omits the constant log n! (pass ``p`` to include it).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from . import _util as u
from ..symbolic.tensor import fresh_index
from .base import Family, FamilyError, Support, as_float


class Multinomial(Family):
    name = "Multinomial"
    params = ("n", "p")
    alternatives = {"n": ("n",), "p": ("p",)}
    support = Support("count_vector", discrete=True)
    event_ndim = 1
    param_event_ndim = {"n": 0, "p": 1}
    integer_params = ("n",)
    fixed_params = ("n",)

    def event_shape(self, param_shapes):
        if len(param_shapes["p"]) < 1:
            raise ValueError("p must be a vector of category probabilities")
        return tuple(param_shapes["p"][-1:])

    def param_problems(self, p):
        q = np.asarray(p["p"], float)
        out = [] if np.all(u.is_count(p["n"])) else ["n must be a non-negative integer"]
        bad = u.safe_problem(lambda: q.ndim >= 1, "p must be a vector of probabilities")
        if bad:
            return out + bad
        out += u.safe_problem(lambda: np.all(q >= 0), "p must be non-negative")
        return out + u.safe_problem(lambda: np.allclose(q.sum(-1), 1), "p must sum to one")

    def in_support(self, x, p):
        x = np.asarray(x, float)
        return np.all(u.is_count(x), axis=-1) & (x.sum(-1) == np.asarray(p["n"], float))

    # symbolic
    def log_density(self, x, p):
        x, q = u.sym_vector(x), u.sym_vector(p["p"])
        return (sp.loggamma(p["n"] + 1) - sp.Add(*[sp.loggamma(v + 1) for v in x])
                + sp.Add(*[x[k] * sp.log(q[k]) for k in range(len(q))]))

    def index_log_density(self, x, p, literals):
        """log Gamma(n + 1) - Sum_k log Gamma(x_k + 1) + Sum_k x_k log p_k."""
        q, n = p["p"], p["n"].scalar()
        K = q.sizes[0]
        k1, k2 = fresh_index("k"), fresh_index("k")
        return (sp.loggamma(n + 1) - sp.Sum(sp.loggamma(x.entry(k1) + 1), (k1, 0, K - 1))
                + sp.Sum(x.entry(k2) * sp.log(q.entry(k2)), (k2, 0, K - 1)))

    def sufficient_stats(self, x, p=None):
        return list(u.sym_vector(x))

    def log_base_measure(self, x, p=None):
        const = sp.Integer(0) if p is None else sp.loggamma(p["n"] + 1)
        return const - sp.Add(*[sp.loggamma(v + 1) for v in u.sym_vector(x)])

    def natural_params(self, p):
        return u.simplex_natural_params(p)

    def from_natural_sym(self, eta):
        return u.simplex_from_natural_sym(eta)

    # numeric
    def from_natural(self, eta):
        return u.simplex_from_natural(eta)

    def log_normaliser(self, eta, fixed=None):
        if not fixed or "n" not in fixed:
            raise FamilyError("the Multinomial log-normaliser needs the number of draws: fixed={'n': ...}")
        phi = np.stack(np.broadcast_arrays(*[np.asarray(e, float) for e in eta]), axis=-1)
        return np.asarray(fixed["n"], float) * special.logsumexp(phi, axis=-1)

    def expected_stats(self, p):
        m = self.mean(p)
        return [m[..., k] for k in range(m.shape[-1])]

    def logpdf(self, x, p):
        p = as_float(p)
        n, q = p["n"], p["p"]
        x = np.asarray(x, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (special.gammaln(n + 1) - special.gammaln(x + 1).sum(-1)
                   + special.xlogy(x, q).sum(-1))
        return np.where(self.in_support(x, p), out, -np.inf)

    def sample(self, rng, p, size=()):
        p = as_float(p)
        n, q = p["n"], p["p"]
        shape = np.broadcast_shapes(n.shape, q.shape[:-1], tuple(size))
        return rng.multinomial(np.broadcast_to(n, shape).astype(np.int64),
                               np.broadcast_to(q, shape + q.shape[-1:]))

    def mean(self, p):
        p = as_float(p)
        return p["n"][..., None] * p["p"]

    def var(self, p):
        p = as_float(p)
        return p["n"][..., None] * p["p"] * (1 - p["p"])

    def cov(self, p):
        """n (diag(p) - p p^T)."""
        p = as_float(p)
        q = p["p"]
        return p["n"][..., None, None] * (q[..., :, None] * np.eye(q.shape[-1]) - q[..., :, None] * q[..., None, :])

    def mode(self, p):
        """Start from floor(n p) and give each remaining draw to the category with the largest
        p_k / (x_k + 1), the ratio by which one more count there raises the probability."""
        p = as_float(p)
        n, q = np.broadcast_arrays(p["n"][..., None], p["p"])
        x = np.floor(n * q)
        for _ in range(q.shape[-1]):
            left = n[..., 0] - x.sum(-1)
            k = np.argmax(q / (x + 1), axis=-1)
            x = x + (left > 0)[..., None] * (np.arange(q.shape[-1]) == k[..., None])
        return x
