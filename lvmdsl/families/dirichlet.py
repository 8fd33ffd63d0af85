"""Dirichlet(alpha): probability vectors of length K, mean alpha / sum(alpha).

log p(x) = log Gamma(sum alpha) - sum_k log Gamma(alpha_k) + sum_k (alpha_k - 1) log x_k.
Exponential-family form: T(x) = (log x_1, ..., log x_K), eta_k = alpha_k - 1,
A(eta) = sum_k log Gamma(eta_k + 1) - log Gamma(sum_k (eta_k + 1)), h(x) = 1.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from . import _util as u
from ..symbolic.tensor import fresh_index
from .base import Family, Stat, Support, as_float


class Dirichlet(Family):
    name = "Dirichlet"
    params = ("alpha",)
    alternatives = {"alpha": ("alpha",)}
    support = Support("simplex")
    event_ndim = 1
    param_event_ndim = {"alpha": 1}

    def event_shape(self, param_shapes):
        if len(param_shapes["alpha"]) < 1:
            raise ValueError("alpha must be a vector")
        return tuple(param_shapes["alpha"][-1:])

    def param_problems(self, p):
        a = np.asarray(p["alpha"], float)
        return (u.safe_problem(lambda: a.ndim >= 1, "alpha must be a vector")
                or u.safe_problem(lambda: np.all(a > 0), "alpha must be positive"))

    def in_support(self, x, p):
        x = np.asarray(x, float)
        return np.all(np.isfinite(x) & (x > 0), axis=-1) & np.isclose(x.sum(-1), 1)

    # symbolic
    def log_density(self, x, p):
        x, a = u.sym_vector(x), u.sym_vector(p["alpha"])
        return (sp.loggamma(sp.Add(*a)) - sp.Add(*[sp.loggamma(v) for v in a])
                + sp.Add(*[(a[k] - 1) * sp.log(x[k]) for k in range(len(a))]))

    def sufficient_stats(self, x, p=None):
        return [sp.log(v) for v in u.sym_vector(x)]

    def natural_params(self, p):
        a = u.as_array(p["alpha"])
        return [u.take(a, k) - 1 for k in range(a.shape[-1])]

    def from_natural_sym(self, eta):
        return {"alpha": np.array([e + 1 for e in eta], dtype=object)}

    # index level
    def index_log_density(self, x, p, literals):
        """log Gamma(Sum_k alpha_k) - Sum_k log Gamma(alpha_k) + Sum_k (alpha_k - 1) log x_k."""
        a = p["alpha"]
        K = x.sizes[0]
        k1, k2, k3 = (fresh_index("k") for _ in range(3))
        return (sp.loggamma(sp.Sum(a.entry(k1), (k1, 0, K - 1))) - sp.Sum(sp.loggamma(a.entry(k2)), (k2, 0, K - 1))
                + sp.Sum((a.entry(k3) - 1) * sp.log(x.entry(k3)), (k3, 0, K - 1)))

    def index_stats(self, x, p=None):
        """log x[a]; an array of simplices (a (K, V) ``lv.Param``, rows on the last axis) has
        log x[..., a] with its leading axes as pattern indices too: independent rows."""
        idx = tuple(fresh_index("a") for _ in x.sizes)
        return [Stat(sp.log(x.entry(*idx)), tuple(zip(idx, x.sizes)))]

    def index_from_natural(self, eta):
        return {"alpha": np.asarray(eta[0], float) + 1}

    def index_natural_meaning(self, names):
        return [f"alpha = {names[0]} + 1"]

    def index_argmax_natural(self, eta):
        """eta / sum(eta) over the simplex axis (the last): see ``argmax_natural``."""
        return self.argmax_natural(np.moveaxis(np.asarray(eta[0], float), -1, 0))

    # numeric
    def from_natural(self, eta):
        return {"alpha": np.stack(np.broadcast_arrays(*[np.asarray(e, float) + 1 for e in eta]), axis=-1)}

    def log_normaliser(self, eta):
        a = self.from_natural(eta)["alpha"]
        return special.gammaln(a).sum(-1) - special.gammaln(a.sum(-1))

    def expected_stats(self, p):
        a = as_float(p)["alpha"]
        d = special.digamma(a) - special.digamma(a.sum(-1, keepdims=True))
        return [d[..., k] for k in range(a.shape[-1])]

    def logpdf(self, x, p):
        a = as_float(p)["alpha"]
        x = np.asarray(x, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (special.gammaln(a.sum(-1)) - special.gammaln(a).sum(-1)
                   + special.xlogy(a - 1, x).sum(-1))
        # on a face of the simplex (x_k = 0) the density is the limit where alpha_k >= 1 (finite at
        # alpha_k = 1: EM's MAP of an empty component under a flat prior), +inf below (left out)
        face = np.all(np.isfinite(x) & ((x > 0) | ((x == 0) & (a >= 1))), axis=-1) & np.isclose(x.sum(-1), 1)
        return np.where(face, out, -np.inf)

    def sample(self, rng, p, size=()):
        a = as_float(p)["alpha"]
        shape = np.broadcast_shapes(a.shape[:-1], tuple(size)) + a.shape[-1:]
        g = rng.gamma(np.broadcast_to(a, shape))
        return g / g.sum(-1, keepdims=True)

    def mean(self, p):
        a = as_float(p)["alpha"]
        return a / a.sum(-1, keepdims=True)

    def var(self, p):
        a = as_float(p)["alpha"]
        a0 = a.sum(-1, keepdims=True)
        return a * (a0 - a) / (a0**2 * (a0 + 1))

    def cov(self, p):
        """(diag(m) - m m^T) / (alpha_0 + 1) with m the mean."""
        a = as_float(p)["alpha"]
        m, a0 = self.mean(p), a.sum(-1)[..., None, None]
        return (m[..., :, None] * np.eye(a.shape[-1]) - m[..., :, None] * m[..., None, :]) / (a0 + 1)

    def argmax_natural(self, eta):
        """eta_k / sum(eta): the Lagrange solution of max sum eta_k log p_k on the simplex (eta >= 0)."""
        e = np.moveaxis(np.asarray(eta, float), 0, -1) if isinstance(eta, np.ndarray) else \
            np.stack(np.broadcast_arrays(*[np.asarray(v, float) for v in eta]), -1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = e / e.sum(-1, keepdims=True)
        return np.where(np.all(e >= 0, axis=-1, keepdims=True), out, np.nan)

    def mode(self, p):
        """(alpha_k - 1) / (alpha_0 - K) when every alpha_k > 1 (else the mode is on the boundary: nan)."""
        a = as_float(p)["alpha"]
        with np.errstate(divide="ignore", invalid="ignore"):
            m = (a - 1) / (a.sum(-1, keepdims=True) - a.shape[-1])
        return np.where(np.all(a > 1, axis=-1, keepdims=True), m, np.nan)
