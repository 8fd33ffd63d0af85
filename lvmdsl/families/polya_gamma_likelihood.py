"""The augmented logistic factors of Polson, Scott and Windle (2013): Bernoulli and Binomial given omega.

For a logistic likelihood sigmoid(eta)^y (1 - sigmoid(eta))^(n - y) = e^(y eta) / (1 + e^eta)^n,
    e^(y eta) / (1 + e^eta)^n = 2^-n e^(kappa eta) int_0^inf e^(-omega eta^2 / 2) PG(omega | n, 0) d omega,
with kappa = y - n/2.  The rewrite therefore declares omega ~ PolyaGamma(n, 0) and replaces the
likelihood by the factor whose log-density is
    log C(n, y) - n log 2 + kappa eta - omega eta^2 / 2,
quadratic in eta (so regression weights keep a Gaussian update) and linear in omega (so omega's
update is PolyaGamma(n, |eta|) by the same conjugate rule).  The product of omega's prior and this
factor is the joint density p(y, omega | eta); its value of y given omega and eta is the original
Bernoulli / Binomial draw (``sample``), since omega's prior term does not depend on y.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from . import _util as u
from .base import Family, Support, as_float


class PolyaGammaBernoulli(Family):
    name = "PolyaGammaBernoulli"
    params = ("eta", "omega")
    alternatives = {"eta": ("eta",), "omega": ("omega",)}
    support = Support("binary", discrete=True)
    param_event_ndim = {"eta": 0, "omega": 0}

    def _n(self, p):
        return 1

    def in_support(self, x, p):
        return (x == 0) | (x == 1)

    def finite_support_size(self, p_shapes, p_values=None):
        return 2

    def log_density(self, x, p):
        n, eta, w = self._n(p), p["eta"], p["omega"]
        half = sp.Rational(n, 2) if isinstance(n, int) else n / 2
        return self._log_choose(x, n) - n * sp.log(2) + (x - half) * eta - w * eta**2 / 2

    def _log_choose(self, x, n):
        return sp.Integer(0)

    def logpdf(self, x, p):
        p = as_float(p)
        x = np.asarray(x, float)
        n = np.asarray(self._n(p), float)
        eta, w = p["eta"], p["omega"]
        with np.errstate(divide="ignore", invalid="ignore"):
            logc = special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
            out = logc - n * np.log(2) + (x - n / 2) * eta - w * eta**2 / 2
        return np.where(self.in_support(x, p), out, -np.inf)

    def sample(self, rng, p, size=()):
        p = as_float(p)
        n = np.asarray(self._n(p), float)
        shape = np.broadcast_shapes(np.shape(n), np.shape(p["eta"]), np.shape(p["omega"]), tuple(size))
        return rng.binomial(np.broadcast_to(n, shape).astype(np.int64), np.broadcast_to(special.expit(p["eta"]), shape))

    def mean(self, p):
        p = as_float(p)
        return self._n(p) * special.expit(p["eta"])


class PolyaGammaBinomial(PolyaGammaBernoulli):
    name = "PolyaGammaBinomial"
    params = ("n", "eta", "omega")
    alternatives = {"n": ("n",), "eta": ("eta",), "omega": ("omega",)}
    support = Support("bounded_count", discrete=True)
    param_event_ndim = {"n": 0, "eta": 0, "omega": 0}
    integer_params = ("n",)

    def _n(self, p):
        return p["n"]

    def in_support(self, x, p):
        return u.is_count(x) & (x <= np.asarray(p["n"], float))

    def finite_support_size(self, p_shapes, p_values=None):
        return None

    def _log_choose(self, x, n):
        return sp.loggamma(n + 1) - sp.loggamma(x + 1) - sp.loggamma(n - x + 1)
