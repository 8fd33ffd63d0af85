"""Binomial(n, p): successes in n independent trials with success probability p.

log p(x) = log C(n, x) + x log p + (n - x) log(1 - p), with the binomial coefficient written with
log-gamma functions.  Exponential-family form for known n: T(x) = x, eta = logit p,
A(eta) = n log(1 + e^eta), h(x) = C(n, x).  Because A and h depend on n, which eta does not
determine, ``log_normaliser`` takes ``fixed={"n": ...}``, ``from_natural`` returns only p, and
``log_base_measure(x)`` without parameters returns only the part -log x! (pass ``p`` for all of h).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from . import _util as u
from .base import Family, FamilyError, Support, as_float


class Binomial(Family):
    name = "Binomial"
    params = ("n", "p")
    alternatives = {"n": ("n",), "p": ("p",)}
    support = Support("bounded_count", discrete=True)
    param_event_ndim = {"n": 0, "p": 0}
    integer_params = ("n",)
    #: parameters the natural parameters do not determine (held fixed in the exponential family)
    fixed_params = ("n",)

    def param_problems(self, p):
        out = [] if np.all(u.is_count(p["n"])) else ["n must be a non-negative integer"]
        q = np.asarray(p["p"])
        return out + ([] if np.all((q >= 0) & (q <= 1)) else ["p must be between 0 and 1"])

    def in_support(self, x, p):
        return u.is_count(x) & (x <= np.asarray(p["n"], float))

    def finite_support_size(self, p_shapes, p_values=None):
        n = None if not p_values or "n" not in p_values else np.asarray(p_values["n"])
        if n is None or n.ndim != 0 or not u.is_count(n):
            return None
        return int(n) + 1

    # symbolic
    def log_density(self, x, p):
        n, q = p["n"], p["p"]
        return (sp.loggamma(n + 1) - sp.loggamma(x + 1) - sp.loggamma(n - x + 1)
                + x * sp.log(q) + (n - x) * sp.log(1 - q))

    def sufficient_stats(self, x, p=None):
        return [x]

    def log_base_measure(self, x, p=None):
        if p is None:
            return -sp.loggamma(x + 1)
        return sp.loggamma(p["n"] + 1) - sp.loggamma(x + 1) - sp.loggamma(p["n"] - x + 1)

    def natural_params(self, p):
        return u.logit_natural_params(p)

    def from_natural_sym(self, eta):
        return u.logit_from_natural_sym(eta)

    # numeric
    def from_natural(self, eta):
        return u.logit_from_natural(eta)

    def log_normaliser(self, eta, fixed=None):
        if not fixed or "n" not in fixed:
            raise FamilyError("the Binomial log-normaliser needs the number of trials: fixed={'n': ...}")
        return np.asarray(fixed["n"], float) * np.logaddexp(0.0, np.asarray(eta[0], float))

    def expected_stats(self, p):
        p = as_float(p)
        return [p["n"] * p["p"]]

    def logpdf(self, x, p):
        p = as_float(p)
        n, q = p["n"], p["p"]
        ok = u.is_count(x) & (x <= n)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
                   + special.xlogy(x, q) + special.xlog1py(n - x, -q))
        return np.where(ok, out, -np.inf)

    def sample(self, rng, p, size=()):
        p = as_float(p)
        shape = np.broadcast_shapes(np.shape(p["n"]), np.shape(p["p"]), tuple(size))
        return rng.binomial(np.broadcast_to(p["n"], shape).astype(np.int64), np.broadcast_to(p["p"], shape))

    def mean(self, p):
        p = as_float(p)
        return p["n"] * p["p"]

    def var(self, p):
        p = as_float(p)
        return p["n"] * p["p"] * (1 - p["p"])

    def mode(self, p):
        """floor((n + 1) p), capped at n."""
        p = as_float(p)
        return np.minimum(np.floor((p["n"] + 1) * p["p"]), p["n"])
