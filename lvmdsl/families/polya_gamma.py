"""PolyaGamma(b, c): the Polya-gamma distribution PG(b, c) of Polson, Scott and Windle (2013).

PG(b, 0) is the law of (1 / (2 pi^2)) sum_k g_k / (k - 1/2)^2 with g_k ~ Gamma(b, 1); PG(b, c) is
its exponential tilt, p(w | b, c) = cosh(c/2)^b exp(-c^2 w / 2) p(w | b, 0).  For a fixed shape b
it is an exponential family in the tilt: T(w) = w, eta = -c^2 / 2, A(eta) = -b log cosh(sqrt(-2 eta) / 2),
h(w) = p(w | b, 0); E[w] = b tanh(c/2) / (2c) (b/4 at c = 0).  The natural parameter fixes |c| only,
and the shape b is a fixed parameter (``fixed_params``): samplers and the log-normaliser take it as
``fixed={"b": ...}``.  Draws and the density come from the ``polyagamma`` package: integer b
(logistic and binomial links, negative binomials with integer r) uses Devroye's exact sampler; for
other b the package's default method is used, whose mean we measured a few Monte Carlo standard
errors off (about 0.5% at b = 2.5 with 400,000 draws; polyagamma 2.0.2), so prefer integer r.

The symbolic log-density writes log p(w | b, 0) as the atom ``log_pg_base(w, b)``: the conjugacy
rule only needs to see that it is the base measure (it is not a function of c).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from polyagamma import polyagamma_pdf, random_polyagamma

from .base import Family, FamilyError, Support, as_float


class log_pg_base(sp.Function):
    """log p(w | b, 0), the base measure of the Polya-gamma family: an atom for sympy, evaluated
    numerically (``evalf``) by the polyagamma package's density."""

    def _eval_evalf(self, prec):
        x, b = (float(a.evalf()) for a in self.args)
        return sp.Float(float(polyagamma_pdf(x, h=b, z=0.0, return_log=True)), prec)


def _fixed_b(fixed, p=None):
    if fixed is not None and "b" in fixed:
        return np.asarray(fixed["b"], float)
    if p is not None and "b" in p:
        return np.asarray(p["b"], float)
    raise FamilyError("the PolyaGamma shape b is a fixed parameter: pass fixed={'b': ...}")


def tanh_ratio(c) -> np.ndarray:
    """tanh(c/2) / (2c), continued by its limit 1/4 at c = 0 (series below |c| = 1e-4)."""
    c = np.abs(np.asarray(c, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.tanh(c / 2) / (2 * c)
    return np.where(c < 1e-4, 0.25 - c**2 / 48, out)


class PolyaGamma(Family):
    name = "PolyaGamma"
    params = ("b", "c")
    alternatives = {"b": ("b",), "c": ("c",)}
    defaults = {"c": 0.0}
    support = Support("positive")
    param_event_ndim = {"b": 0, "c": 0}
    fixed_params = ("b",)

    def param_problems(self, p):
        return [] if np.all(np.asarray(p["b"]) > 0) else ["b must be positive"]

    def in_support(self, x, p):
        return np.isfinite(x) & (x > 0)

    # symbolic
    def log_density(self, x, p):
        b, c = p["b"], p["c"]
        return b * sp.log(sp.cosh(c / 2)) - c**2 * x / 2 + log_pg_base(x, b)

    def sufficient_stats(self, x, p=None):
        return [x]

    def log_base_measure(self, x, p=None):
        """log h(w) = log p(w | b, 0): it depends on the fixed shape b, so it needs ``p``."""
        if p is None:
            raise FamilyError("the PolyaGamma base measure depends on b: pass the parameters")
        return log_pg_base(x, p["b"])

    def index_log_base_measure(self, x, p=None):
        """log h(w) at array level: ``log_pg_base(w, b)`` with the prior's (scalar) b."""
        if p is None:
            raise FamilyError("the PolyaGamma base measure depends on b: pass the parameters")
        return log_pg_base(x.scalar(), p["b"].scalar())

    def natural_params(self, p):
        return [-p["c"] ** 2 / 2]

    def from_natural_sym(self, eta):
        return {"c": sp.sqrt(sp.factor_terms(-2 * eta[0]))}      # numbers out of sums: sqrt(Σ ...), not sqrt(2) sqrt(-Σ -.../2)

    # numeric
    def from_natural(self, eta, fixed=None):
        """c = sqrt(-2 eta) (the tilt's sign is immaterial); b from ``fixed`` when given."""
        c = np.sqrt(np.maximum(-2 * np.asarray(eta[0], float), 0.0))
        return {"c": c} if fixed is None else {"b": np.broadcast_to(_fixed_b(fixed), c.shape), "c": c}

    def log_normaliser(self, eta, fixed=None):
        c = self.from_natural(eta)["c"]
        return -_fixed_b(fixed) * np.log(np.cosh(c / 2))

    def expected_stats(self, p):
        return [self.mean(p)]

    def logpdf(self, x, p):
        p = as_float(p)
        x = np.asarray(x, float)
        b, c = np.broadcast_arrays(p["b"], p["c"])
        shape = np.broadcast_shapes(x.shape, b.shape)
        x, b, c = (np.broadcast_to(a, shape) for a in (x, b, c))
        ok = np.isfinite(x) & (x > 0)
        out = np.full(shape, -np.inf)
        if np.any(ok):
            out[ok] = polyagamma_pdf(x[ok], h=b[ok], z=c[ok], return_log=True)
        return out

    def sample(self, rng, p, size=()):
        p = as_float(p)
        shape = np.broadcast_shapes(np.shape(p["b"]), np.shape(p["c"]), tuple(size))
        b = np.ascontiguousarray(np.broadcast_to(p["b"], shape), dtype=float)
        c = np.ascontiguousarray(np.broadcast_to(p["c"], shape), dtype=float)
        b, c = b.reshape(-1), c.reshape(-1)
        whole = np.mod(b, 1) == 0          # integer shapes: Devroye's exact method (sums of PG(1, c))
        if np.all(whole):                   # the usual case (logistic links): one call, no masked copies
            return random_polyagamma(b, c, method="devroye", random_state=rng).reshape(shape)
        out = np.empty(b.shape)
        if np.any(whole):
            out[whole] = random_polyagamma(b[whole], c[whole], method="devroye", random_state=rng)
        if not np.all(whole):               # other shapes: the package's default (see the module docstring)
            out[~whole] = random_polyagamma(b[~whole], c[~whole], random_state=rng)
        return out.reshape(shape)

    def sample_natural(self, rng, eta, fixed=None):
        return self.sample(rng, self.from_natural(eta, fixed={"b": _fixed_b(fixed)}))

    def mean(self, p):
        p = as_float(p)
        return p["b"] * tanh_ratio(p["c"])

    def var(self, p):
        """b (sinh c - c) / (4 c^3 cosh^2(c/2)), continued by b/24 at c = 0."""
        p = as_float(p)
        c = np.abs(p["c"])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            v = (np.sinh(c) - c) / (4 * c**3 * np.cosh(c / 2) ** 2)
        v = np.where(c < 1e-3, 1 / 24 - c**2 / 240, v)
        return p["b"] * v

    def mode(self, p):
        raise FamilyError("the PolyaGamma mode has no closed form")


class PolyaGammaJoint(PolyaGamma):
    """omega together with a count it augments: the joint factor of a negative-binomial observation.

    For y ~ NegativeBinomial(r, p = sigmoid(eta)), p^r (1 - p)^y = e^(r eta) / (1 + e^eta)^(y + r), so with
    b = y + r and kappa = (r - y) / 2,
        p(y, omega | eta) = exp(logc + kappa eta - b log 2 - omega eta^2 / 2) PG(omega | b, 0),
    logc = log Gamma(y + r) - log Gamma(r) - log y!.  As a factor of omega it is the PolyaGamma(b, 0)
    density tilted by the observation, so omega's complete conditional is PolyaGamma(b, |eta|)
    (``posterior_family``) and the factor is quadratic in eta.  The count is data inside b, kappa and
    logc, which is why this family carries it instead of a separate observed variable.
    """

    name = "PolyaGammaJoint"
    params = ("b", "eta", "kappa", "logc")
    alternatives = {"b": ("b",), "eta": ("eta",), "kappa": ("kappa",), "logc": ("logc",)}
    defaults = {}
    param_event_ndim = {"b": 0, "eta": 0, "kappa": 0, "logc": 0}
    posterior_family = "PolyaGamma"

    def log_density(self, x, p):
        b, eta = p["b"], p["eta"]
        return p["logc"] + p["kappa"] * eta - b * sp.log(2) - x * eta**2 / 2 + log_pg_base(x, b)

    def natural_params(self, p):
        return [-p["eta"] ** 2 / 2]

    def logpdf(self, x, p):
        p = as_float(p)
        base = PolyaGamma.logpdf(self, x, {"b": p["b"], "c": np.zeros_like(p["eta"])})
        return p["logc"] + p["kappa"] * p["eta"] - p["b"] * np.log(2) - np.asarray(x, float) * p["eta"] ** 2 / 2 + base

    def sample(self, rng, p, size=()):
        """omega given the observation: PolyaGamma(b, |eta|) (used for initial values)."""
        p = as_float(p)
        return PolyaGamma.sample(self, rng, {"b": p["b"], "c": p["eta"]}, size)

    def mean(self, p):
        p = as_float(p)
        return PolyaGamma.mean(self, {"b": p["b"], "c": p["eta"]})

    def var(self, p):
        p = as_float(p)
        return PolyaGamma.var(self, {"b": p["b"], "c": p["eta"]})
