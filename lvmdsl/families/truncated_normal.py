"""TruncatedNormal(mean, var | sd | precision, lower, upper) and IntervalNormal: Normals on an interval.

TruncatedNormal is N(mean, var) conditioned on lower <= x <= upper (bounds may be infinite):
with s = sqrt(var), alpha = (lower - mean)/s, beta = (upper - mean)/s and Z = Phi(beta) - Phi(alpha),
    log p(x) = log N(x | mean, var) - log Z   on [lower, upper].
For fixed bounds it is an exponential family with the Normal's T(x) = (x, x^2), eta = (mean/var,
-1/(2 var)) and h(x) = 1/sqrt(2 pi) on [lower, upper]; A(eta) = A_Normal(eta) + log Z.  The bounds are
fixed parameters (``fixed_params``): ``from_natural``, ``log_normaliser`` and ``sample_natural`` take
them as ``fixed={"lower": ..., "upper": ...}``.  A point interval (lower = upper) is the point mass there.

IntervalNormal(mean, var, lower, upper) is the *joint* density of a Normal latent x and the observed
event lower <= x <= upper: N(x | mean, var) 1[lower <= x <= upper], not renormalised (its mass is Z).
It is what an augmentation puts in the model (probit's z, a censored value): its factor stays
quadratic in the mean, so the mean keeps its conjugate update, and its complete conditional is the
TruncatedNormal above (``posterior_family``).  At a point interval it is the Normal density at the
point, the likelihood of an observed value.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special, stats

from .base import Family, FamilyError, Support, as_float
from .normal import Normal


def log_mass(alpha, beta) -> np.ndarray:
    """log(Phi(beta) - Phi(alpha)) for alpha <= beta, accurate in both tails (0 mass: -inf)."""
    alpha, beta = np.broadcast_arrays(np.asarray(alpha, float), np.asarray(beta, float))
    upper_side = alpha > 0                         # use the mirror image: Phi(-alpha) - Phi(-beta)
    lo = np.where(upper_side, -beta, alpha)
    hi = np.where(upper_side, -alpha, beta)
    lhi, llo = special.log_ndtr(hi), special.log_ndtr(lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = lhi + np.log1p(-np.exp(llo - lhi))
    return np.where(hi > lo, out, -np.inf)


def _bounds(fixed, p=None):
    src = fixed if fixed is not None else p
    if src is None or "lower" not in src or "upper" not in src:
        raise FamilyError("the truncation bounds are fixed parameters: pass fixed={'lower': ..., 'upper': ...}")
    return np.asarray(src["lower"], float), np.asarray(src["upper"], float)


class TruncatedNormal(Family):
    name = "TruncatedNormal"
    params = ("mean", "var", "lower", "upper")
    alternatives = {"mean": ("mean",), "var": ("var", "sd", "precision"), "lower": ("lower",), "upper": ("upper",)}
    defaults = {"lower": -np.inf, "upper": np.inf}
    support = Support("interval")
    param_event_ndim = {"mean": 0, "var": 0, "lower": 0, "upper": 0}
    fixed_params = ("lower", "upper")
    infinite_params = ("lower", "upper")
    _normal = Normal()

    def to_canonical(self, keyword, value):
        return self._normal.to_canonical(keyword, value)

    def param_problems(self, p):
        out = self._normal.param_problems(p)
        lo, hi = np.asarray(p["lower"], float), np.asarray(p["upper"], float)
        if not np.all(lo <= hi):
            out.append("lower must not exceed upper")
        return out

    def in_support(self, x, p):
        lo, hi = _bounds(None, as_float(p))
        return np.isfinite(x) & (x >= lo) & (x <= hi)

    def _standard(self, p):
        p = as_float(p)
        s = np.sqrt(p["var"])
        with np.errstate(invalid="ignore"):
            return p["mean"], s, (p["lower"] - p["mean"]) / s, (p["upper"] - p["mean"]) / s

    # symbolic
    def log_density(self, x, p):
        s = sp.sqrt(p["var"])
        Phi = lambda t: (1 + sp.erf(t / sp.sqrt(2))) / 2          # noqa: E731
        mass = Phi((p["upper"] - p["mean"]) / s) - Phi((p["lower"] - p["mean"]) / s)
        return self._normal.log_density(x, p) - sp.log(mass)

    def sufficient_stats(self, x, p=None):
        return [x, x**2]

    def log_base_measure(self, x):
        return -sp.log(2 * sp.pi) / 2

    def natural_params(self, p):
        return self._normal.natural_params(p)

    def from_natural_sym(self, eta):
        return self._normal.from_natural_sym(eta)

    # numeric
    def from_natural(self, eta, fixed=None):
        out = self._normal.from_natural(eta)
        if fixed is not None:
            lo, hi = _bounds(fixed)
            shape = np.broadcast_shapes(out["mean"].shape, lo.shape, hi.shape)
            out = {k: np.broadcast_to(v, shape) for k, v in {**out, "lower": lo, "upper": hi}.items()}
        return out

    def log_normaliser(self, eta, fixed=None):
        lo, hi = _bounds(fixed)
        p = {**self._normal.from_natural(eta), "lower": lo, "upper": hi}
        _, _, a, b = self._standard(p)
        return self._normal.log_normaliser(eta) + log_mass(a, b)

    def expected_stats(self, p):
        m, v = self.mean(p), self.var(p)
        return [m, v + m**2]

    def logpdf(self, x, p):
        p = as_float(p)
        x = np.asarray(x, float)
        _, _, a, b = self._standard(p)
        point = p["lower"] == p["upper"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = self._normal.logpdf(x, p) - log_mass(a, b)
        out = np.where(point, 0.0, out)
        return np.where(self.in_support(x, p), out, -np.inf)

    def sample(self, rng, p, size=()):
        """scipy's truncnorm (accurate far in the tails); a point interval returns its point."""
        m, s, a, b = self._standard(p)
        shape = np.broadcast_shapes(np.shape(m), np.shape(s), np.shape(a), np.shape(b), tuple(size))
        m, s, a, b = (np.broadcast_to(t, shape) for t in (m, s, a, b))
        point = ~(b > a)
        with np.errstate(invalid="ignore"):
            draw = stats.truncnorm.rvs(np.where(point, -1.0, a), np.where(point, 1.0, b), loc=m, scale=s,
                                       size=shape, random_state=rng)
        return np.where(point, np.broadcast_to(as_float(p)["lower"], shape), draw)

    def sample_natural(self, rng, eta, fixed=None):
        return self.sample(rng, self.from_natural(eta, fixed=fixed))

    def mean(self, p):
        m, s, a, b = self._standard(p)
        point = ~(b > a)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = stats.truncnorm.mean(np.where(point, -1.0, a), np.where(point, 1.0, b))
        return np.where(point, as_float(p)["lower"], m + s * z)

    def var(self, p):
        m, s, a, b = self._standard(p)
        point = ~(b > a)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = stats.truncnorm.var(np.where(point, -1.0, a), np.where(point, 1.0, b))
        return np.where(point, 0.0, s**2 * z)

    def mode(self, p):
        p = as_float(p)
        return np.clip(p["mean"], p["lower"], p["upper"])


class IntervalNormal(TruncatedNormal):
    """N(x | mean, var) 1[lower <= x <= upper]: a Normal latent with the event that it lies in the
    interval (see the module docstring); its complete conditional is a TruncatedNormal."""

    name = "IntervalNormal"
    posterior_family = "TruncatedNormal"

    def log_density(self, x, p):
        return self._normal.log_density(x, p)

    def logpdf(self, x, p):
        p = as_float(p)
        x = np.asarray(x, float)
        return np.where(self.in_support(x, p), self._normal.logpdf(x, p), -np.inf)
