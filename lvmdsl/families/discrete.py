"""Bernoulli(p), Categorical(p) and Poisson(rate): the discrete families the core models use.

Bernoulli: T(x) = x, eta = logit p.  Categorical: T(x) = ([x = k])_k, eta = log p_k.
Poisson: T(x) = x, eta = log rate, h(x) = 1/x!.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from .base import Family, Support


class Bernoulli(Family):
    name = "Bernoulli"
    params = ("p",)
    alternatives = {"p": ("p",)}
    support = Support("binary", discrete=True)
    param_event_ndim = {"p": 0}

    def finite_support_size(self, p_shapes, p_values=None):
        return 2

    def param_problems(self, p):
        q = np.asarray(p["p"])
        return [] if np.all((q >= 0) & (q <= 1)) else ["p must be between 0 and 1"]

    def log_density(self, x, p):
        return x * sp.log(p["p"]) + (1 - x) * sp.log(1 - p["p"])

    def sufficient_stats(self, x, p=None):
        return [x]

    def natural_params(self, p):
        q = p["p"]
        return [sp.log(q / (1 - q))] if isinstance(q, sp.Basic) else [special.logit(q)]

    def from_natural_sym(self, eta):
        return {"p": 1 / (1 + sp.exp(-eta[0]))}

    def from_natural(self, eta):
        return {"p": special.expit(np.asarray(eta[0], float))}

    def log_normaliser(self, eta):
        return np.logaddexp(0.0, np.asarray(eta[0], float))

    def expected_stats(self, p):
        return [np.asarray(p["p"], float)]

    def logpdf(self, x, p):
        q = np.asarray(p["p"], float)
        with np.errstate(divide="ignore"):
            return np.where(x == 1, np.log(q), np.log1p(-q))

    def sample(self, rng, p, size=()):
        q = np.asarray(p["p"], float)
        shape = np.broadcast_shapes(q.shape, tuple(size))
        return (rng.random(shape) < q).astype(np.int64)

    def mean(self, p):
        return np.asarray(p["p"], float)

    def var(self, p):
        q = np.asarray(p["p"], float)
        return q * (1 - q)

    def mode(self, p):
        return (np.asarray(p["p"], float) > 0.5).astype(np.int64)


class Categorical(Family):
    name = "Categorical"
    params = ("p",)
    alternatives = {"p": ("p",)}
    support = Support("category", discrete=True)
    param_event_ndim = {"p": 1}

    def finite_support_size(self, p_shapes, p_values=None):
        return p_shapes["p"][-1]

    def param_problems(self, p):
        q = np.asarray(p["p"], float)
        if np.any(q < 0) or not np.allclose(q.sum(-1), 1):
            return ["p must be non-negative and sum to one"]
        return []

    def log_density(self, x, p):
        q = p["p"]
        return sp.Add(*[sp.KroneckerDelta(x, k) * sp.log(q[k]) for k in range(len(q))])

    def sufficient_stats(self, x, p=None):
        return [sp.KroneckerDelta(x, k) for k in range(len(p["p"]))]

    def natural_params(self, p):
        q = p["p"]
        return [sp.log(v) for v in q] if isinstance(q, np.ndarray) and q.dtype == object else list(np.log(np.moveaxis(np.asarray(q, float), -1, 0)))

    def from_natural_sym(self, eta):
        total = sp.Add(*[sp.exp(e) for e in eta])
        return {"p": np.array([sp.exp(e) / total for e in eta], dtype=object)}

    def from_natural(self, eta):
        phi = np.stack([np.asarray(e, float) for e in eta], axis=-1)
        return {"p": np.exp(phi - special.logsumexp(phi, axis=-1, keepdims=True))}

    def log_normaliser(self, eta):
        return special.logsumexp(np.stack([np.asarray(e, float) for e in eta], axis=-1), axis=-1)

    def expected_stats(self, p):
        return list(np.moveaxis(np.asarray(p["p"], float), -1, 0))

    def logpdf(self, x, p):
        q = np.asarray(p["p"], float)
        x = np.asarray(x).astype(np.intp)
        shape = np.broadcast_shapes(x.shape, q.shape[:-1])
        qb = np.broadcast_to(q, shape + q.shape[-1:])
        with np.errstate(divide="ignore"):
            return np.log(np.take_along_axis(qb, np.broadcast_to(x, shape)[..., None], -1)[..., 0])

    def sample(self, rng, p, size=()):
        q = np.asarray(p["p"], float)
        shape = np.broadcast_shapes(q.shape[:-1], tuple(size))
        cdf = np.cumsum(np.broadcast_to(q, shape + q.shape[-1:]), axis=-1)
        u = rng.random(shape)[..., None]
        return np.minimum((u * cdf[..., -1:] > cdf).sum(-1), q.shape[-1] - 1)

    def mean(self, p):
        q = np.asarray(p["p"], float)
        return (q * np.arange(q.shape[-1])).sum(-1)

    def var(self, p):
        q = np.asarray(p["p"], float)
        k = np.arange(q.shape[-1])
        return (q * k**2).sum(-1) - self.mean(p) ** 2

    def mode(self, p):
        return np.argmax(np.asarray(p["p"], float), axis=-1)


class Poisson(Family):
    name = "Poisson"
    params = ("rate",)
    alternatives = {"rate": ("rate",)}
    support = Support("count", discrete=True)
    param_event_ndim = {"rate": 0}

    def param_problems(self, p):
        return [] if np.all(np.asarray(p["rate"]) > 0) else ["rate must be positive"]

    def log_density(self, x, p):
        return x * sp.log(p["rate"]) - p["rate"] - sp.loggamma(x + 1)

    def sufficient_stats(self, x, p=None):
        return [x]

    def log_base_measure(self, x):
        return -sp.loggamma(x + 1)

    def natural_params(self, p):
        r = p["rate"]
        return [sp.log(r) if isinstance(r, sp.Basic) else np.log(r)]

    def from_natural_sym(self, eta):
        return {"rate": sp.exp(eta[0])}

    def from_natural(self, eta):
        return {"rate": np.exp(np.asarray(eta[0], float))}

    def log_normaliser(self, eta):
        return np.exp(np.asarray(eta[0], float))

    def expected_stats(self, p):
        return [np.asarray(p["rate"], float)]

    def logpdf(self, x, p):
        r = np.asarray(p["rate"], float)
        return x * np.log(r) - r - special.gammaln(np.asarray(x, float) + 1)

    def sample(self, rng, p, size=()):
        r = np.asarray(p["rate"], float)
        return rng.poisson(np.broadcast_to(r, np.broadcast_shapes(r.shape, tuple(size))))

    def mean(self, p):
        return np.asarray(p["rate"], float)

    def var(self, p):
        return np.asarray(p["rate"], float)

    def mode(self, p):
        return np.floor(np.asarray(p["rate"], float))


