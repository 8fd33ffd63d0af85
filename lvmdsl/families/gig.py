"""GeneralizedInverseGaussian(p, a, b): positive reals with density proportional to x^(p-1) exp(-(a x + b/x)/2).

Exponential-family form: T(x) = (log x, x, 1/x), eta = (p - 1, -a/2, -b/2), h(x) = 1,
A = log 2 + log K_p(sqrt(a b)) + (p/2) log(b/a) for a, b > 0, with K_p the modified Bessel function of
the second kind; the limits b = 0 (Gamma(p, a/2), p > 0) and a = 0 (InverseGamma(-p, b/2), p < 0) are
included.  Moments: E[x^r] = (b/a)^(r/2) K_(p+r)(w) / K_p(w) with w = sqrt(a b); E[log x] is
(1/2) log(b/a) + d/dp log K_p(w) (a central difference in p).  It is the complete conditional of a
Normal's variance under an exponential or gamma prior, as in the Bayesian lasso.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special, stats

from .base import Family, Support, as_float


class gig_log_normaliser(sp.Function):
    """A(p, a, b) of the family: an atom for sympy (the conjugacy rule only drops it), evaluated
    numerically by ``evalf``."""

    def _eval_evalf(self, prec):
        p, a, b = (float(t.evalf()) for t in self.args)
        value = GeneralizedInverseGaussian()._log_norm({"p": p, "a": a, "b": b})
        return sp.Float(float(value), prec)


def _log_kv(p, w):
    return np.log(special.kve(p, w)) - w


class GeneralizedInverseGaussian(Family):
    name = "GeneralizedInverseGaussian"
    params = ("p", "a", "b")
    alternatives = {"p": ("p",), "a": ("a",), "b": ("b",)}
    support = Support("positive")
    param_event_ndim = {"p": 0, "a": 0, "b": 0}

    def param_problems(self, q):
        p, a, b = (np.asarray(q[k], float) for k in ("p", "a", "b"))
        ok = (a >= 0) & (b >= 0) & ((a > 0) & (b > 0) | (b == 0) & (a > 0) & (p > 0) | (a == 0) & (b > 0) & (p < 0))
        return [] if np.all(ok) else ["a and b must be non-negative, with a > 0 when b = 0 (then p > 0) "
                                      "and b > 0 when a = 0 (then p < 0)"]

    def in_support(self, x, p):
        return np.isfinite(x) & (x > 0)

    # symbolic
    def log_density(self, x, q):
        p, a, b = q["p"], q["a"], q["b"]
        return (p - 1) * sp.log(x) - a * x / 2 - b / (2 * x) - gig_log_normaliser(p, a, b)

    def sufficient_stats(self, x, p=None):
        return [sp.log(x), x, 1 / x]

    def natural_params(self, q):
        return [q["p"] - 1, -q["a"] / 2, -q["b"] / 2]

    def from_natural_sym(self, eta):
        return {"p": eta[0] + 1, "a": -2 * eta[1], "b": -2 * eta[2]}

    # numeric
    def from_natural(self, eta):
        e = [np.asarray(v, float) for v in eta]
        return {"p": e[0] + 1, "a": -2 * e[1], "b": -2 * e[2]}

    def log_normaliser(self, eta):
        q = self.from_natural(eta)
        return self._log_norm(q)

    def _log_norm(self, q):
        p, a, b = np.broadcast_arrays(*(np.asarray(q[k], float) for k in ("p", "a", "b")))
        with np.errstate(divide="ignore", invalid="ignore"):
            both = np.log(2) + _log_kv(p, np.sqrt(a * b)) + p / 2 * np.log(b / a)
            gamma = special.gammaln(p) - p * np.log(a / 2)
            inv_gamma = special.gammaln(-p) + p * np.log(b / 2)
        return np.where(b == 0, gamma, np.where(a == 0, inv_gamma, both))

    def logpdf(self, x, q):
        q = as_float(q)
        x = np.asarray(x, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (q["p"] - 1) * np.log(x) - q["a"] * x / 2 - q["b"] / (2 * x) - self._log_norm(q)
        return np.where(x > 0, out, -np.inf)

    def _moment(self, q, r):
        q = as_float(q)
        p, a, b = np.broadcast_arrays(q["p"], q["a"], q["b"])
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.sqrt(a * b)
            both = (b / a) ** (r / 2) * np.exp(_log_kv(p + r, w) - _log_kv(p, w))
            gamma = np.exp(special.gammaln(p + r) - special.gammaln(p)) * (a / 2) ** (-r)
            inv_gamma = np.exp(special.gammaln(-p - r) - special.gammaln(-p)) * (b / 2) ** r
        return np.where(b == 0, gamma, np.where(a == 0, inv_gamma, both))

    def expected_stats(self, q):
        q = as_float(q)
        h = 1e-5
        up = self._log_norm({**q, "p": q["p"] + h})
        down = self._log_norm({**q, "p": q["p"] - h})
        return [(up - down) / (2 * h), self._moment(q, 1), self._moment(q, -1)]

    def sample(self, rng, q, size=()):
        q = as_float(q)
        shape = np.broadcast_shapes(*(np.shape(q[k]) for k in ("p", "a", "b")), tuple(size))
        p, a, b = (np.broadcast_to(q[k], shape) for k in ("p", "a", "b"))
        out = np.empty(shape)
        g, ig, both = b == 0, (a == 0) & (b > 0), (a > 0) & (b > 0)
        if np.any(g):
            out[g] = rng.gamma(p[g]) / (a[g] / 2)
        if np.any(ig):
            out[ig] = (b[ig] / 2) / rng.gamma(-p[ig])
        half = both & (p == 0.5)          # GIG(1/2, a, b) = 1 / InverseGaussian(mean sqrt(a/b), shape a)
        if np.any(half):
            out[half] = 1 / rng.wald(np.sqrt(a[half] / b[half]), a[half])
        both = both & ~half
        if np.any(both):
            out[both] = stats.geninvgauss.rvs(p[both], np.sqrt(a[both] * b[both]), scale=np.sqrt(b[both] / a[both]),
                                              random_state=rng)
        return out

    def mean(self, q):
        return self._moment(q, 1)

    def var(self, q):
        return self._moment(q, 2) - self._moment(q, 1) ** 2

    def mode(self, q):
        q = as_float(q)
        p, a, b = q["p"], q["a"], q["b"]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a > 0, ((p - 1) + np.sqrt((p - 1) ** 2 + a * b)) / a, b / (2 * (1 - p)))
