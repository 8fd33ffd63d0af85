"""TruncatedPoisson(rate, lower, upper) and IntervalPoisson: Poisson counts restricted to [lower, upper].

TruncatedPoisson is Poisson(rate) conditioned on lower <= k <= upper (integers; upper may be inf):
    log p(k) = k log rate - rate - log k! - log P(lower <= K <= upper),  K ~ Poisson(rate).
For fixed bounds it is an exponential family: T(k) = k, eta = log rate, h(k) = 1/k! on the bounds,
A(eta) = e^eta + log P(lower <= K <= upper).  E[k] = rate P(lower - 1 <= K <= upper - 1) / P(lower <= K <= upper).
The bounds are fixed parameters (``fixed={"lower": ..., "upper": ...}``); lower = upper is a point mass.

IntervalPoisson is the joint density of a Poisson count and the event that it lies in the bounds,
Poisson(k | rate) 1[lower <= k <= upper] (not renormalised): what the ``interval_data`` rewrite puts
in a model for a missing or censored count.  Its complete conditional is the TruncatedPoisson.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import stats

from . import _util as u
from .base import Family, FamilyError, Support, as_float


def _bounds(src):
    if src is None or "lower" not in src or "upper" not in src:
        raise FamilyError("the truncation bounds are fixed parameters: pass fixed={'lower': ..., 'upper': ...}")
    return np.asarray(src["lower"], float), np.asarray(src["upper"], float)


def _log_mass(rate, lo, hi):
    """log P(lo <= K <= hi) for K ~ Poisson(rate): from the upper tail when lo is above the rate,
    from the distribution function otherwise (each accurate where the other loses digits)."""
    rate, lo, hi = np.broadcast_arrays(*(np.asarray(a, float) for a in (rate, lo, hi)))
    with np.errstate(divide="ignore", invalid="ignore"):
        s_lo, s_hi = stats.poisson.logsf(lo - 1, rate), stats.poisson.logsf(hi, rate)
        upper = s_lo + np.log1p(-np.exp(s_hi - s_lo))
        c_hi, c_lo = stats.poisson.logcdf(hi, rate), stats.poisson.logcdf(lo - 1, rate)
        lower = c_hi + np.log1p(-np.exp(c_lo - c_hi))
    return np.where(hi >= lo, np.where(lo > rate, upper, lower), -np.inf)


class TruncatedPoisson(Family):
    name = "TruncatedPoisson"
    params = ("rate", "lower", "upper")
    alternatives = {"rate": ("rate",), "lower": ("lower",), "upper": ("upper",)}
    defaults = {"lower": 0.0, "upper": np.inf}
    support = Support("count", discrete=True)
    param_event_ndim = {"rate": 0, "lower": 0, "upper": 0}
    fixed_params = ("lower", "upper")
    infinite_params = ("upper",)

    def param_problems(self, p):
        out = [] if np.all(np.asarray(p["rate"]) > 0) else ["rate must be positive"]
        lo, hi = np.asarray(p["lower"], float), np.asarray(p["upper"], float)
        if not np.all((lo <= hi) & (lo >= 0) & (np.mod(lo, 1) == 0)):
            out.append("lower must be a non-negative integer not above upper")
        return out

    def in_support(self, x, p):
        lo, hi = _bounds(as_float(p))
        return u.is_count(x) & (x >= lo) & (x <= hi)

    # symbolic: the Poisson's, with the normaliser as an opaque atom of the rate and bounds
    def log_density(self, x, p):
        return x * sp.log(p["rate"]) - p["rate"] - sp.loggamma(x + 1) - poisson_log_mass(p["rate"], p["lower"], p["upper"])

    def sufficient_stats(self, x, p=None):
        return [x]

    def log_base_measure(self, x):
        return -sp.loggamma(x + 1)

    def natural_params(self, p):
        return [u.log(p["rate"])]

    def from_natural_sym(self, eta):
        return {"rate": sp.exp(eta[0])}

    # numeric
    def from_natural(self, eta, fixed=None):
        rate = np.exp(np.asarray(eta[0], float))
        if fixed is None:
            return {"rate": rate}
        lo, hi = _bounds(fixed)
        shape = np.broadcast_shapes(rate.shape, lo.shape, hi.shape)
        return {k: np.broadcast_to(v, shape) for k, v in {"rate": rate, "lower": lo, "upper": hi}.items()}

    def log_normaliser(self, eta, fixed=None):
        lo, hi = _bounds(fixed)
        rate = np.exp(np.asarray(eta[0], float))
        return rate + _log_mass(rate, lo, hi)

    def expected_stats(self, p):
        return [self.mean(p)]

    def logpdf(self, x, p):
        p = as_float(p)
        x = np.asarray(x, float)
        lo, hi = _bounds(p)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = stats.poisson.logpmf(x, p["rate"]) - _log_mass(p["rate"], lo, hi)
        out = np.where(lo == hi, 0.0, out)
        return np.where(self.in_support(x, p), out, -np.inf)

    def sample(self, rng, p, size=()):
        """Inverse CDF between F(lower - 1) and F(upper) (from the upper tail when that is more accurate)."""
        p = as_float(p)
        lo, hi = _bounds(p)
        shape = np.broadcast_shapes(np.shape(p["rate"]), lo.shape, hi.shape, tuple(size))
        rate, lo, hi = (np.broadcast_to(a, shape) for a in (p["rate"], lo, hi))
        a, b = stats.poisson.sf(lo - 1, rate), stats.poisson.sf(hi, rate)      # P(K >= lo), P(K > hi)
        v = b + rng.random(shape) * (a - b)                                    # a survival probability
        k = stats.poisson.isf(v, rate)
        return np.clip(np.where(lo == hi, lo, k), lo, hi)

    def sample_natural(self, rng, eta, fixed=None):
        return self.sample(rng, self.from_natural(eta, fixed=fixed))

    def mean(self, p):
        p = as_float(p)
        lo, hi = _bounds(p)
        rate = p["rate"]
        with np.errstate(divide="ignore", invalid="ignore"):
            m = rate * np.exp(_log_mass(rate, np.maximum(lo - 1, 0), hi - 1) - _log_mass(rate, lo, hi))
        return np.where(lo == hi, lo, m)

    def var(self, p):
        p = as_float(p)
        lo, hi = _bounds(p)
        rate = p["rate"]
        with np.errstate(divide="ignore", invalid="ignore"):
            ef = rate**2 * np.exp(_log_mass(rate, np.maximum(lo - 2, 0), hi - 2) - _log_mass(rate, lo, hi))   # E[k(k-1)]
        m = self.mean(p)
        return np.where(lo == hi, 0.0, ef + m - m**2)

    def mode(self, p):
        p = as_float(p)
        lo, hi = _bounds(p)
        return np.clip(np.floor(p["rate"]), lo, hi)


class poisson_log_mass(sp.Function):
    """log P(lower <= K <= upper), K ~ Poisson(rate): an atom for sympy, evaluated by ``evalf``."""

    def _eval_evalf(self, prec):
        rate, lo, hi = (float(t.evalf()) for t in self.args)
        return sp.Float(float(_log_mass(np.asarray(rate), np.asarray(lo), np.asarray(hi))), prec)


class IntervalPoisson(TruncatedPoisson):
    """Poisson(k | rate) 1[lower <= k <= upper]: a latent count with the event that it lies in the
    bounds (see the module docstring); its complete conditional is a TruncatedPoisson."""

    name = "IntervalPoisson"
    posterior_family = "TruncatedPoisson"

    def log_density(self, x, p):
        return x * sp.log(p["rate"]) - p["rate"] - sp.loggamma(x + 1)

    def logpdf(self, x, p):
        p = as_float(p)
        x = np.asarray(x, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = stats.poisson.logpmf(x, p["rate"])
        return np.where(self.in_support(x, p), out, -np.inf)
