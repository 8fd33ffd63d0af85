"""Exponential(rate), Dirichlet(alpha) and MultivariateNormal(mean, precision | cov).

Exponential: T(x) = x, eta = -rate.  Dirichlet: T(x) = (log x_k)_k, eta = alpha - 1.
MultivariateNormal: T(x) = (x_d for d; x_d x_e for d <= e, row by row), eta = (P m; -P_dd/2 on the
diagonal, -P_de above it), with P the precision, so that eta . T(x) = m'Px - x'Px/2.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from ..symbolic import matrix
from .base import Family, Support


class Exponential(Family):
    name = "Exponential"
    params = ("rate",)
    alternatives = {"rate": ("rate",)}
    support = Support("positive")
    param_event_ndim = {"rate": 0}

    def param_problems(self, p):
        return [] if np.all(np.asarray(p["rate"]) > 0) else ["rate must be positive"]

    def in_support(self, x, p):
        return np.isfinite(x) & (x > 0)

    def log_density(self, x, p):
        return sp.log(p["rate"]) - p["rate"] * x

    def sufficient_stats(self, x, p=None):
        return [x]

    def natural_params(self, p):
        return [-p["rate"]]

    def from_natural_sym(self, eta):
        return {"rate": -eta[0]}

    def from_natural(self, eta):
        return {"rate": -np.asarray(eta[0], float)}

    def log_normaliser(self, eta):
        return -np.log(-np.asarray(eta[0], float))

    def expected_stats(self, p):
        return [1 / np.asarray(p["rate"], float)]

    def logpdf(self, x, p):
        r = np.asarray(p["rate"], float)
        return np.where(x > 0, np.log(r) - r * x, -np.inf)

    def sample(self, rng, p, size=()):
        r = np.asarray(p["rate"], float)
        return rng.standard_exponential(np.broadcast_shapes(r.shape, tuple(size))) / r

    def mean(self, p):
        return 1 / np.asarray(p["rate"], float)

    def var(self, p):
        return 1 / np.asarray(p["rate"], float) ** 2

    def mode(self, p):
        return np.zeros_like(np.asarray(p["rate"], float))


class Dirichlet(Family):
    name = "Dirichlet"
    params = ("alpha",)
    alternatives = {"alpha": ("alpha",)}
    support = Support("simplex")
    event_ndim = 1
    param_event_ndim = {"alpha": 1}

    def event_shape(self, param_shapes):
        return tuple(param_shapes["alpha"][-1:])

    def param_problems(self, p):
        return [] if np.all(np.asarray(p["alpha"]) > 0) else ["alpha must be positive"]

    def in_support(self, x, p):
        return np.all(x > 0, -1) & np.isclose(x.sum(-1), 1)

    def log_density(self, x, p):
        a = p["alpha"]
        K = len(a)
        return (sp.loggamma(sp.Add(*a)) - sp.Add(*[sp.loggamma(a[k]) for k in range(K)])
                + sp.Add(*[(a[k] - 1) * sp.log(x[k]) for k in range(K)]))

    def sufficient_stats(self, x, p=None):
        return [sp.log(x[k]) for k in range(len(x))]

    def natural_params(self, p):
        a = p["alpha"]
        return [v - 1 for v in a] if isinstance(a, np.ndarray) and a.dtype == object else list(np.moveaxis(np.asarray(a, float) - 1, -1, 0))

    def from_natural_sym(self, eta):
        return {"alpha": np.array([e + 1 for e in eta], dtype=object)}

    def from_natural(self, eta):
        return {"alpha": np.stack([np.asarray(e, float) + 1 for e in eta], axis=-1)}

    def log_normaliser(self, eta):
        a = np.stack([np.asarray(e, float) + 1 for e in eta], axis=-1)
        return special.gammaln(a).sum(-1) - special.gammaln(a.sum(-1))

    def expected_stats(self, p):
        a = np.asarray(p["alpha"], float)
        return list(np.moveaxis(special.digamma(a) - special.digamma(a.sum(-1, keepdims=True)), -1, 0))

    def logpdf(self, x, p):
        a = np.asarray(p["alpha"], float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return special.gammaln(a.sum(-1)) - special.gammaln(a).sum(-1) + ((a - 1) * np.log(x)).sum(-1)

    def sample(self, rng, p, size=()):
        a = np.asarray(p["alpha"], float)
        shape = np.broadcast_shapes(a.shape[:-1], tuple(size)) + a.shape[-1:]
        g = rng.standard_gamma(np.broadcast_to(a, shape))
        return g / g.sum(-1, keepdims=True)

    def mean(self, p):
        a = np.asarray(p["alpha"], float)
        return a / a.sum(-1, keepdims=True)

    def var(self, p):
        a = np.asarray(p["alpha"], float)
        a0 = a.sum(-1, keepdims=True)
        m = a / a0
        return m * (1 - m) / (a0 + 1)

    def cov(self, p):
        a = np.asarray(p["alpha"], float)
        a0 = a.sum(-1, keepdims=True)[..., None]
        m = self.mean(p)
        return (np.einsum("...d,de->...de", m, np.eye(m.shape[-1])) - m[..., :, None] * m[..., None, :]) / (a0 + 1)

    def mode(self, p):
        a = np.asarray(p["alpha"], float)
        return (a - 1) / (a.sum(-1, keepdims=True) - a.shape[-1])


def _pack_upper(D):
    return [(d, e) for d in range(D) for e in range(d, D)]


class MultivariateNormal(Family):
    name = "MultivariateNormal"
    params = ("mean", "precision")
    alternatives = {"mean": ("mean",), "precision": ("precision", "cov")}
    support = Support("real_vector")
    event_ndim = 1
    param_event_ndim = {"mean": 1, "precision": 2}

    def to_canonical(self, keyword, value):
        if keyword != "cov":
            return value
        if isinstance(value, np.ndarray) and value.dtype == object:
            return matrix.inverse(value)
        if isinstance(value, (np.ndarray, float, int)):
            return np.linalg.inv(np.asarray(value, float))
        return value.inverse()

    def event_shape(self, param_shapes):
        D = param_shapes["mean"][-1]
        if tuple(param_shapes["precision"][-2:]) != (D, D):
            raise ValueError(f"mean has {D} entries but the precision/cov is {param_shapes['precision'][-2:]}")
        return (D,)

    def param_problems(self, p):
        P = np.asarray(p["precision"], float)
        if not np.allclose(P, np.swapaxes(P, -1, -2)) or np.any(np.linalg.eigvalsh(P) <= 0):
            return ["precision (or cov) must be symmetric positive definite"]
        return []

    def log_density(self, x, p):
        m, P = p["mean"], p["precision"]
        r = np.asarray(x, dtype=object) - np.asarray(m, dtype=object)
        D = len(r)
        return matrix.logdet(P) / 2 - sp.Rational(D, 2) * sp.log(2 * sp.pi) - matrix.quad_form(r, P, r) / 2

    def sufficient_stats(self, x, p=None):
        return [x[d] for d in range(len(x))] + [x[d] * x[e] for d, e in _pack_upper(len(x))]

    def log_base_measure(self, x):
        return -sp.Rational(len(x), 2) * sp.log(2 * sp.pi)

    def _split(self, eta):
        n = len(eta)
        D = int((-3 + np.sqrt(9 + 8 * n)) / 2)
        return D, eta[:D], eta[D:]

    def natural_params(self, p):
        m, P = np.asarray(p["mean"]), np.asarray(p["precision"])
        D = m.shape[-1]
        h = np.einsum("...de,...e->...d", P, m) if P.dtype != object else P.dot(m)
        quad = [-P[..., d, e] / 2 if d == e else -P[..., d, e] for d, e in _pack_upper(D)]
        return [h[..., d] for d in range(D)] + quad

    def _precision_from(self, D, quad, build):
        J = build()
        for (d, e), q in zip(_pack_upper(D), quad):
            if d == e:
                J[..., d, d] = -2 * q
            else:
                J[..., d, e] = J[..., e, d] = -q
        return J

    def from_natural_sym(self, eta):
        D, h, quad = self._split(eta)
        J = self._precision_from(D, quad, lambda: np.empty((D, D), dtype=object))
        Jm = sp.ImmutableMatrix(J.tolist())
        mean = matrix.Solve(Jm, sp.ImmutableMatrix(list(h)))
        return {"mean": mean, "precision": Jm}

    def from_natural(self, eta):
        D, h, quad = self._split([np.asarray(e, float) for e in eta])
        batch = np.broadcast_shapes(*[e.shape for e in eta])
        J = self._precision_from(D, [np.broadcast_to(q, batch) for q in quad], lambda: np.empty(batch + (D, D)))
        hv = np.stack([np.broadcast_to(v, batch) for v in h], axis=-1)
        return {"mean": np.linalg.solve(J, hv[..., None])[..., 0], "precision": J}

    def log_normaliser(self, eta):
        p = self.from_natural(eta)
        h = np.einsum("...de,...e->...d", p["precision"], p["mean"])
        return 0.5 * np.einsum("...d,...d->...", h, p["mean"]) - 0.5 * np.linalg.slogdet(p["precision"])[1]

    def expected_stats(self, p):
        m, C = self.mean(p), self.cov(p)
        D = m.shape[-1]
        return [m[..., d] for d in range(D)] + [C[..., d, e] + m[..., d] * m[..., e] for d, e in _pack_upper(D)]

    def logpdf(self, x, p):
        m, P = np.asarray(p["mean"], float), np.asarray(p["precision"], float)
        r = np.asarray(x, float) - m
        D = m.shape[-1]
        return 0.5 * np.linalg.slogdet(P)[1] - 0.5 * D * np.log(2 * np.pi) - 0.5 * np.einsum("...d,...de,...e->...", r, P, r)

    def sample(self, rng, p, size=()):
        m, C = np.asarray(p["mean"], float), self.cov(p)
        batch = np.broadcast_shapes(m.shape[:-1], C.shape[:-2], tuple(size))
        L = np.linalg.cholesky(C)
        z = rng.standard_normal(batch + m.shape[-1:])
        return m + np.einsum("...de,...e->...d", L, z)

    def mean(self, p):
        return np.asarray(p["mean"], float)

    def cov(self, p):
        return np.linalg.inv(np.asarray(p["precision"], float))

    def var(self, p):
        return np.diagonal(self.cov(p), axis1=-2, axis2=-1)

    def mode(self, p):
        return self.mean(p)
