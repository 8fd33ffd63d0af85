"""Every family against its scipy.stats twin, driven by one table.

Each row gives a family, canonical parameters with batch dimensions (so broadcasting is exercised
everywhere) and a factory for the scipy twin of one batch element.  The generic tests check the
numeric density, the symbolic density, the exponential-family identity and round trips, expected
statistics against Monte Carlo, moments against scipy, and the samplers (KS, chi-square, moments).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from lvmdsl.families import FAMILIES, FamilyError
from lvmdsl.symbolic import matrix

C2 = np.array([[1.0, 0.3], [0.3, 2.0]])
S3 = np.array([[2.0, 0.5, 0.2], [0.5, 1.0, -0.3], [0.2, -0.3, 1.5]])
P_BATCH = np.stack([np.linalg.inv(S3), np.linalg.inv(S3 + np.eye(3))])
PROBS = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])


@dataclass
class Case:
    fam: str
    p: dict
    twin: Callable          # element params -> frozen scipy distribution
    id: str = ""


def _cat(p):
    return stats.rv_discrete(values=(np.arange(len(p["p"])), p["p"]))


CASES = [
    Case("Normal", {"mean": np.array([0.5, -1.0, 2.0]), "var": np.array(2.0)},
         lambda p: stats.norm(p["mean"], np.sqrt(p["var"]))),
    Case("Gamma", {"shape": np.array([[2.5], [0.7]]), "rate": np.array([1.5, 3.0, 0.5])},
         lambda p: stats.gamma(p["shape"], scale=1 / p["rate"])),
    Case("InverseGamma", {"shape": np.array([3.0, 6.0]), "scale": np.array(2.0)},
         lambda p: stats.invgamma(p["shape"], scale=p["scale"])),
    Case("Beta", {"a": np.array([2.0, 0.6]), "b": np.array([[3.5], [1.2]])},
         lambda p: stats.beta(p["a"], p["b"])),
    Case("Bernoulli", {"p": np.array([0.3, 0.85])}, lambda p: stats.bernoulli(p["p"])),
    Case("Binomial", {"n": np.array([10.0, 4.0]), "p": np.array(0.35)},
         lambda p: stats.binom(int(p["n"]), p["p"])),
    Case("Geometric", {"p": np.array([0.3, 0.7])}, lambda p: stats.geom(p["p"], loc=-1)),
    Case("NegativeBinomial", {"r": np.array([4.0, 2.5]), "p": np.array([0.4, 0.7])},
         lambda p: stats.nbinom(p["r"], p["p"])),
    Case("Poisson", {"rate": np.array([3.2, 0.5])}, lambda p: stats.poisson(p["rate"])),
    Case("Exponential", {"rate": np.array([1.7, 0.4])}, lambda p: stats.expon(scale=1 / p["rate"])),
    Case("Categorical", {"p": PROBS}, _cat),
    Case("Dirichlet", {"alpha": np.array([[1.5, 2.0, 3.0], [0.8, 4.0, 1.0]])},
         lambda p: stats.dirichlet(p["alpha"])),
    Case("Multinomial", {"n": np.array([5.0, 12.0]), "p": PROBS},
         lambda p: stats.multinomial(int(p["n"]), p["p"])),
    Case("MultivariateNormal", {"mean": np.array([[0.5, -1.0], [2.0, 0.0]]), "precision": np.linalg.inv(C2)},
         lambda p: stats.multivariate_normal(p["mean"], np.linalg.inv(p["precision"])), "MVN-2"),
    Case("MultivariateNormal", {"mean": np.array([0.3, -0.2, 1.0]), "precision": P_BATCH},
         lambda p: stats.multivariate_normal(p["mean"], np.linalg.inv(p["precision"])), "MVN-3"),
    Case("Wishart", {"df": np.array([4.0, 6.5]), "scale": C2},
         lambda p: stats.wishart(p["df"], p["scale"])),
    Case("InverseWishart", {"df": np.array([12.0, 16.0]), "scale": S3},
         lambda p: stats.invwishart(p["df"], p["scale"])),
    Case("LogNormal", {"mean": np.array([0.2, -1.0]), "var": np.array(0.5)},
         lambda p: stats.lognorm(np.sqrt(p["var"]), scale=np.exp(p["mean"]))),
    Case("Pareto", {"scale": np.array([1.0, 2.5]), "shape": np.array(3.0)},
         lambda p: stats.pareto(p["shape"], scale=p["scale"])),
    Case("Uniform", {"low": np.array([0.0, -2.0]), "high": np.array([1.0, 3.0])},
         lambda p: stats.uniform(p["low"], p["high"] - p["low"])),
    Case("Laplace", {"loc": np.array([0.0, 1.5]), "scale": np.array([1.0, 0.3])},
         lambda p: stats.laplace(p["loc"], p["scale"])),
    Case("StudentT", {"df": np.array([5.0, 3.0]), "loc": np.array([0.0, 1.0]), "scale": np.array([1.0, 2.0])},
         lambda p: stats.t(p["df"], p["loc"], p["scale"])),
    Case("TruncatedNormal", {"mean": np.array([0.5, -1.0, 2.0]), "var": np.array(2.0),
                             "lower": np.array([0.0, -np.inf, 1.0]), "upper": np.array([np.inf, 0.5, 6.0])},
         lambda p: stats.truncnorm((p["lower"] - p["mean"]) / np.sqrt(p["var"]),
                                   (p["upper"] - p["mean"]) / np.sqrt(p["var"]), p["mean"], np.sqrt(p["var"]))),
    Case("TruncatedNormal", {"mean": np.array(0.0), "var": np.array(1.0), "lower": np.array(8.0),
                             "upper": np.array(np.inf)},
         lambda p: stats.truncnorm(8.0, np.inf), "TruncatedNormal-far-tail"),
    Case("PolyaGamma", {"b": np.array([1.0, 3.0]), "c": np.array([[0.0], [2.5]])}, lambda p: PGTwin(p["b"], p["c"])),
    Case("GeneralizedInverseGaussian", {"p": np.array([0.5, -0.5, 0.5]), "a": np.array([2.0, 2.0, 0.3]),
                                        "b": np.array([3.0, 3.0, 7.0])}, lambda p: gig_twin(**p)),
    Case("TruncatedPoisson", {"rate": np.array([3.2, 0.5, 30.0]), "lower": np.array([2.0, 0.0, 5.0]),
                              "upper": np.array([np.inf, 3.0, 12.0])}, lambda p: truncated_poisson_twin(**p)),
    Case("GeneralizedInverseGaussian", {"p": np.array(2.5), "a": np.array(4.0), "b": np.array(0.0)},
         lambda p: stats.gamma(2.5, scale=0.5), "GIG-gamma-limit"),
]


def gig_twin(p, a, b):
    """GIG(1/2, a, b) is scipy's recipinvgauss(1/sqrt(ab), scale=1/a), GIG(-1/2, a, b) its invgauss(1/sqrt(ab),
    scale=b): closed-form distribution functions (geninvgauss integrates numerically, too slowly for KS)."""
    mu = 1 / np.sqrt(a * b)
    return stats.recipinvgauss(mu, scale=1 / a) if p > 0 else stats.invgauss(mu, scale=b)


def truncated_poisson_twin(rate, lower, upper):
    """scipy's Poisson pmf restricted to [lower, upper] and renormalised, as a discrete distribution."""
    k = np.arange(int(lower), int(min(upper, lower + 400)) + 1)
    pmf = stats.poisson.pmf(k, float(rate))
    return stats.rv_discrete(values=(k, pmf / pmf.sum()))


class PGTwin:
    """The reference for PolyaGamma: the polyagamma package's density and distribution function
    (a series independent of its samplers) and the closed-form moments of Polson et al. (2013)."""

    def __init__(self, b, c):
        self.b, self.c = float(b), float(c)

    def logpdf(self, x):
        from polyagamma import polyagamma_pdf
        return polyagamma_pdf(x, h=self.b, z=self.c, return_log=True)

    def cdf(self, x):
        from polyagamma import polyagamma_cdf
        return polyagamma_cdf(x, h=self.b, z=self.c)

    def mean(self):
        c = self.c
        return self.b / 4 if c == 0 else self.b * np.tanh(c / 2) / (2 * c)

    def var(self):
        c = self.c
        return self.b / 24 if c == 0 else self.b * (np.sinh(c) - c) / (4 * c**3 * np.cosh(c / 2) ** 2)
IDS = [c.id or c.fam for c in CASES]


def _triu(D):
    return [(d, e) for d in range(D) for e in range(d, D)]


#: T(x) evaluated numerically, independently of the families (checked against the symbolic T)
NUMERIC_T = {
    "Normal": lambda x: [x, x**2],
    "Gamma": lambda x: [np.log(x), x],
    "InverseGamma": lambda x: [np.log(x), 1 / x],
    "Beta": lambda x: [np.log(x), np.log1p(-x)],
    "Bernoulli": lambda x: [x],
    "Binomial": lambda x: [x],
    "Geometric": lambda x: [x],
    "NegativeBinomial": lambda x: [x],
    "Poisson": lambda x: [x],
    "Exponential": lambda x: [x],
    "Categorical": lambda x: [(x == k).astype(float) for k in range(3)],
    "Dirichlet": lambda x: list(np.moveaxis(np.log(x), -1, 0)),
    "Multinomial": lambda x: list(np.moveaxis(x, -1, 0)),
    "MultivariateNormal": lambda x: list(np.moveaxis(x, -1, 0)) + [x[..., d] * x[..., e] for d, e in _triu(x.shape[-1])],
    "Wishart": lambda x: [x[..., d, e] for d, e in _triu(x.shape[-1])] + [np.linalg.slogdet(x)[1]],
    "InverseWishart": lambda x: [np.linalg.inv(x)[..., d, e] for d, e in _triu(x.shape[-1])] + [np.linalg.slogdet(x)[1]],
    "LogNormal": lambda x: [np.log(x), np.log(x) ** 2],
    "Pareto": lambda x: [np.log(x)],
    "TruncatedNormal": lambda x: [x, x**2],
    "TruncatedPoisson": lambda x: [x],
    "PolyaGamma": lambda x: [x],
    "GeneralizedInverseGaussian": lambda x: [np.log(x), x, 1 / x],
}


# ------------------------------------------------------------------ helpers
def batch_of(case):
    f = FAMILIES[case.fam]
    return np.broadcast_shapes(*(np.shape(v)[: np.ndim(v) - f.param_event_ndim[k]] for k, v in case.p.items()))


def element(case, idx):
    f, B = FAMILIES[case.fam], batch_of(case)
    out = {}
    for k, v in case.p.items():
        ev = np.shape(v)[np.ndim(v) - f.param_event_ndim[k]:]
        out[k] = np.broadcast_to(v, B + ev)[idx].copy()
    return out


def sym(v, integer=False):
    """Numbers as sympy numbers: scalars as sympy scalars, arrays as object arrays."""
    num = (lambda t: sp.Integer(int(round(t)))) if integer else sp.Float
    a = np.asarray(v, float)
    if a.ndim == 0:
        return num(float(a))
    out = np.empty(a.shape, dtype=object)
    for pos in np.ndindex(a.shape):
        out[pos] = num(float(a[pos]))
    return out


def sym_params(f, p):
    return {k: sym(v, k in f.integer_params) for k, v in p.items()}


def sym_x(f, x):
    return sym(x, f.support.discrete)


def scipy_logp(twin, x):
    return twin.logpmf(x) if hasattr(twin, "logpmf") else twin.logpdf(x)


def base_measure(f, sx, sp_p):
    if "p" in inspect.signature(f.log_base_measure).parameters:
        return f.log_base_measure(sx, sp_p)
    return f.log_base_measure(sx)


def log_normaliser(f, eta, p):
    fixed = getattr(f, "fixed_params", ())
    return f.log_normaliser(eta, fixed={k: p[k] for k in fixed}) if fixed else f.log_normaliser(eta)


def draws_for(case, n, seed=0):
    f = FAMILIES[case.fam]
    x = np.asarray(f.sample(np.random.default_rng(seed), case.p, (n,) + batch_of(case)), float)
    return x


def to_float(v):
    """A symbolic parameter (scalar, object array, sympy matrix, Solve or Inverse) as floats."""
    if isinstance(v, matrix.Solve):
        J, h = v.args
        return np.array((sp.Matrix(J).inv() * sp.Matrix(h)).evalf().tolist(), float).ravel()
    if isinstance(v, (sp.MatrixBase, sp.MatrixExpr)):
        return np.array(sp.Matrix(v.doit()).evalf().tolist(), float)
    if isinstance(v, np.ndarray):
        return np.vectorize(lambda t: float(sp.N(t)), otypes=[float])(v)
    return float(sp.N(v))


EF_CASES = [c for c in CASES if c.fam in NUMERIC_T and c.fam != "Pareto"]  # Pareto: no conjugate-prior statistics
EF_IDS = [c.id or c.fam for c in EF_CASES]


# ------------------------------------------------------------------ 1. numeric density vs scipy
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_logpdf_matches_scipy_with_batch_parameters(case):
    f, B = FAMILIES[case.fam], batch_of(case)
    x = draws_for(case, 4, seed=1)
    got = f.logpdf(x, case.p)
    assert got.shape == (4,) + B
    for idx in np.ndindex(B):
        twin = case.twin(element(case, idx))
        for j in range(4):
            want = scipy_logp(twin, x[(j,) + idx])
            assert got[(j,) + idx] == pytest.approx(want, rel=1e-9, abs=1e-9)
    assert np.all(f.in_support(x, case.p))


OUTSIDE = [("Gamma", -1.0), ("InverseGamma", 0.0), ("Beta", 1.5), ("Bernoulli", 2.0), ("Binomial", 11.0),
           ("Geometric", 1.5), ("NegativeBinomial", -1.0), ("Poisson", 0.5), ("Exponential", -0.1),
           ("Categorical", 3.0), ("LogNormal", -1.0), ("Pareto", 0.5), ("Uniform", 3.5)]


@pytest.mark.parametrize("fam,x", OUTSIDE, ids=[o[0] for o in OUTSIDE])
def test_logpdf_is_minus_infinity_outside_the_support(fam, x):
    case = next(c for c in CASES if c.fam == fam)
    f = FAMILIES[fam]
    p = element(case, (0,) * len(batch_of(case)))
    assert f.logpdf(np.asarray(x), p) == -np.inf
    assert not f.in_support(np.asarray(x), p)


def test_vector_and_matrix_logpdf_outside_the_support():
    assert FAMILIES["Dirichlet"].logpdf(np.array([0.5, 0.6, -0.1]), {"alpha": np.ones(3)}) == -np.inf
    assert FAMILIES["Multinomial"].logpdf(np.array([1.0, 1.0, 1.0]), {"n": np.array(4.0), "p": PROBS[0]}) == -np.inf
    bad = np.array([[1.0, 2.0], [2.0, 1.0]])
    assert FAMILIES["Wishart"].logpdf(bad, {"df": np.array(4.0), "scale": C2}) == -np.inf
    assert FAMILIES["InverseWishart"].logpdf(bad, {"df": np.array(4.0), "scale": C2}) == -np.inf


# ------------------------------------------------------------------ 2. symbolic density
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_symbolic_log_density_equals_numeric(case):
    f, B = FAMILIES[case.fam], batch_of(case)
    p = element(case, tuple(s - 1 for s in B))           # the last batch element
    x = np.asarray(f.sample(np.random.default_rng(2), p, (2,)), float)
    for xi in x:
        got = float(sp.N(f.log_density(sym_x(f, xi), sym_params(f, p))))
        assert got == pytest.approx(float(f.logpdf(xi, p)), rel=1e-9, abs=1e-9)


# ------------------------------------------------------------------ 3. exponential-family form
@pytest.mark.parametrize("case", EF_CASES, ids=EF_IDS)
def test_exponential_family_identity(case):
    f = FAMILIES[case.fam]
    p = element(case, (0,) * len(batch_of(case)))
    sp_p = sym_params(f, p)
    eta = f.natural_params(p)
    A = log_normaliser(f, eta, p)
    for xi in np.asarray(f.sample(np.random.default_rng(3), p, (3,)), float):
        sx = sym_x(f, xi)
        T = [float(sp.N(t)) for t in f.sufficient_stats(sx, sp_p)]
        np.testing.assert_allclose(T, [float(t) for t in NUMERIC_T[case.fam](xi)], rtol=1e-10, atol=1e-12)
        lhs = sum(float(e) * t for e, t in zip(eta, T)) - A + float(sp.N(base_measure(f, sx, sp_p)))
        assert lhs == pytest.approx(float(f.logpdf(xi, p)), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("case", EF_CASES, ids=EF_IDS)
def test_natural_parameters_round_trip(case):
    f, B = FAMILIES[case.fam], batch_of(case)
    fixed = set(getattr(f, "fixed_params", ()))
    back = f.from_natural(f.natural_params(case.p))
    assert set(back) == set(f.params) - fixed
    for k, v in back.items():
        ev = f.param_event_ndim[k]
        shape = B + np.shape(case.p[k])[np.ndim(case.p[k]) - ev:]
        np.testing.assert_allclose(np.broadcast_to(v, shape), np.broadcast_to(case.p[k], shape), rtol=1e-10, atol=1e-12)
    p = element(case, (0,) * len(B))                       # and symbolically, evaluated
    back_sym = f.from_natural_sym(f.natural_params(sym_params(f, p)))
    for k, v in back_sym.items():
        np.testing.assert_allclose(to_float(v), p[k], rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ 4. expectations and moments
@pytest.mark.parametrize("case", EF_CASES, ids=EF_IDS)
def test_expected_stats_match_monte_carlo(case):
    f = FAMILIES[case.fam]
    p = element(case, (0,) * len(batch_of(case)))
    n = 200_000
    x = np.asarray(f.sample(np.random.default_rng(4), p, (n,)), float)
    for t, e in zip(NUMERIC_T[case.fam](x), f.expected_stats(p)):
        assert abs(t.mean() - e) < 5 * t.std() / np.sqrt(n) + 1e-12


def _scipy_moments(twin):
    if isinstance(twin.mean, np.ndarray):                 # multivariate_normal: attributes
        return twin.mean, np.diag(twin.cov), twin.cov
    cov = twin.cov() if hasattr(twin, "cov") else None
    var = np.diag(cov) if cov is not None and np.ndim(cov) == 2 and not hasattr(twin, "var") else twin.var()
    return twin.mean(), var, cov


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_mean_var_cov_match_scipy(case):
    f, B = FAMILIES[case.fam], batch_of(case)
    mean, var = f.mean(case.p), f.var(case.p)
    cov = f.cov(case.p) if f.event_ndim == 1 else None
    for idx in np.ndindex(B):
        m, v, c = _scipy_moments(case.twin(element(case, idx)))
        ev = (Ellipsis,) if f.event_ndim else ()
        np.testing.assert_allclose(np.broadcast_to(mean, B + np.shape(m))[idx], m, rtol=1e-9)
        np.testing.assert_allclose(np.broadcast_to(var, B + np.shape(v))[idx], v, rtol=1e-9)
        if cov is not None and c is not None:
            np.testing.assert_allclose(cov[idx + ev], c, rtol=1e-9, atol=1e-12)


MODES = ["Normal", "Gamma", "Beta", "Poisson", "Binomial", "NegativeBinomial", "LogNormal", "InverseGamma",
         "Categorical", "Multinomial", "Dirichlet", "Laplace", "StudentT", "Exponential", "Geometric"]


@pytest.mark.parametrize("fam", MODES)
def test_mode_maximises_the_density(fam):
    """The mode's log-density is at least that of nearby points (discrete: its neighbours)."""
    case = next(c for c in CASES if c.fam == fam)
    f = FAMILIES[fam]
    p = element(case, (0,) * len(batch_of(case)))
    if fam == "Gamma":
        p = {"shape": np.array(2.5), "rate": np.array(1.5)}
    if fam == "Dirichlet":
        p = {"alpha": np.array([1.5, 2.0, 3.0])}
    mode = np.asarray(f.mode(p), float)
    best = f.logpdf(mode, p)
    if f.event_ndim == 0:
        step = 1.0 if f.support.discrete else 1e-3
        for nb in (mode - step, mode + step):
            assert best >= f.logpdf(np.asarray(nb), p) - 1e-12
    else:
        K = mode.shape[-1]
        for a in range(K):
            for b in range(K):
                if a != b:
                    d = np.zeros(K)
                    d[a], d[b] = 1, -1
                    step = d if f.support.discrete else 1e-3 * d
                    assert best >= f.logpdf(mode + step, p) - 1e-12


# ------------------------------------------------------------------ 5. samplers
SCALAR_CONT = [c for c in CASES if FAMILIES[c.fam].event_ndim == 0 and not FAMILIES[c.fam].support.discrete]
SCALAR_DISC = [c for c in CASES if FAMILIES[c.fam].event_ndim == 0 and FAMILIES[c.fam].support.discrete]
MULTI = [c for c in CASES if FAMILIES[c.fam].event_ndim > 0]


@pytest.mark.parametrize("case", SCALAR_CONT, ids=[c.fam for c in SCALAR_CONT])
def test_continuous_sampler_ks(case):
    B = batch_of(case)
    x = draws_for(case, 20_000, seed=5)
    for idx in np.ndindex(B):
        twin = case.twin(element(case, idx))
        assert stats.kstest(x[(slice(None),) + idx], twin.cdf).pvalue > 1e-3


@pytest.mark.parametrize("case", SCALAR_DISC, ids=[c.fam for c in SCALAR_DISC])
def test_discrete_sampler_chi_square(case):
    B, n = batch_of(case), 20_000
    x = draws_for(case, n, seed=6)
    for idx in np.ndindex(B):
        twin = case.twin(element(case, idx))
        xi = x[(slice(None),) + idx]
        lo, hi = twin.ppf(0.001), twin.ppf(0.999)
        ks = np.arange(lo + 1, hi)
        obs = [np.sum(xi <= lo)] + [np.sum(xi == k) for k in ks] + [np.sum(xi >= hi)]
        exp = [twin.cdf(lo)] + list(twin.pmf(ks)) + [twin.sf(hi - 1)]
        exp = n * np.asarray(exp) / np.sum(exp)
        assert stats.chisquare(obs, exp).pvalue > 1e-3


@pytest.mark.parametrize("case", MULTI, ids=[c.id or c.fam for c in MULTI])
def test_vector_and_matrix_samplers_moments(case):
    """Sample mean and covariance (vectors) or entrywise variance (matrices) within 5 Monte Carlo SEs."""
    f, B, n = FAMILIES[case.fam], batch_of(case), 50_000
    x = draws_for(case, n, seed=7)
    ev = f.event_ndim
    assert x.ndim == 1 + len(B) + ev and x.shape[:1 + len(B)] == (n,) + B
    mean, var = np.broadcast_to(f.mean(case.p), x.shape[1:]), np.broadcast_to(f.var(case.p), x.shape[1:])
    se = np.sqrt(var / n)
    assert np.all(np.abs(x.mean(0) - mean) < 5 * se + 1e-12)
    r = x - x.mean(0)
    if ev == 1:
        prod = r[..., :, None] * r[..., None, :]
        target = np.broadcast_to(f.cov(case.p), prod.shape[1:])
    else:
        prod, target = r**2, var
    assert np.all(np.abs(prod.mean(0) - target) < 5 * prod.std(0) / np.sqrt(n) + 1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sample_shape_broadcasts_size_and_batch(case):
    f, B = FAMILIES[case.fam], batch_of(case)
    x = np.asarray(f.sample(np.random.default_rng(8), case.p, (3,) + B))
    y = np.asarray(f.sample(np.random.default_rng(8), case.p, ()))
    assert x.shape[:1 + len(B)] == (3,) + B and x.ndim == 1 + len(B) + f.event_ndim
    assert y.shape == x.shape[1:]


# ------------------------------------------------------------------ 6. parameterisations
def test_scalar_alternatives_map_to_canonical():
    assert FAMILIES["Normal"].to_canonical("sd", 2.0) == 4.0
    assert FAMILIES["Normal"].to_canonical("precision", 4.0) == 0.25
    assert FAMILIES["LogNormal"].to_canonical("sd", 3.0) == 9.0
    assert FAMILIES["LogNormal"].to_canonical("precision", 2.0) == 0.5
    assert FAMILIES["Gamma"].to_canonical("scale", 4.0) == 0.25
    s = sp.Symbol("s")
    assert FAMILIES["LogNormal"].to_canonical("sd", s) == s**2
    for fam, kw in [("Normal", "sd"), ("LogNormal", "precision"), ("Gamma", "scale"), ("MultivariateNormal", "cov")]:
        f = FAMILIES[fam]
        assert f.canonical_keyword(kw) in f.params
    with pytest.raises(FamilyError):
        FAMILIES["Pareto"].canonical_keyword("rate")


def test_multivariate_normal_cov_to_precision():
    f = FAMILIES["MultivariateNormal"]
    np.testing.assert_allclose(f.to_canonical("cov", C2), np.linalg.inv(C2))
    np.testing.assert_allclose(f.to_canonical("cov", C2.tolist()), np.linalg.inv(C2))
    numeric_obj = np.array(C2.tolist(), dtype=object)
    np.testing.assert_allclose(to_float(f.to_canonical("cov", numeric_obj)), np.linalg.inv(C2))
    Sigma = sp.IndexedBase("Sigma")
    var_obj = np.array([[Sigma[0, 0], Sigma[0, 1]], [Sigma[0, 1], Sigma[1, 1]]], dtype=object)
    inv = f.to_canonical("cov", var_obj)
    assert inv[0, 1] == sp.IndexedBase("Sigma_inv")[0, 1] and inv[1, 0] == inv[0, 1]

    class Expr:
        def inverse(self):
            return "inverted"

    assert f.to_canonical("cov", Expr()) == "inverted"
    assert f.to_canonical("precision", C2) is C2


def test_inverse_wishart_statistics_are_inverse_atoms_shared_with_mvn_cov():
    """InverseWishart's T uses Sigma_inv entries and log|Sigma|: exactly what an MVN with cov=Sigma
    produces, so the conjugacy engine can collect them."""
    Sigma = sp.IndexedBase("Sigma")
    S = np.array([[Sigma[0, 0], Sigma[0, 1]], [Sigma[0, 1], Sigma[1, 1]]], dtype=object)
    T = FAMILIES["InverseWishart"].sufficient_stats(S)
    inv = sp.IndexedBase("Sigma_inv")
    assert T[:3] == [inv[0, 0], inv[0, 1], inv[1, 1]] and T[3] == matrix.LogDet(sp.Symbol("Sigma"))
    mvn = FAMILIES["MultivariateNormal"]
    x = np.array(sp.symbols("x0 x1"), dtype=object)
    ld = sp.expand(mvn.log_density(x, {"mean": np.zeros(2, dtype=object), "precision": mvn.to_canonical("cov", S)}))
    assert ld.coeff(T[3]) == sp.Rational(-1, 2) and ld.coeff(inv[0, 1]) == -x[0] * x[1]
    W = FAMILIES["Wishart"].sufficient_stats(np.array([[Sigma[0, 0], Sigma[0, 1]], [Sigma[0, 1], Sigma[1, 1]]], dtype=object))
    assert W == [Sigma[0, 0], Sigma[0, 1], Sigma[1, 1], matrix.LogDet(sp.Symbol("Sigma"))]


# ------------------------------------------------------------------ shapes, supports, checks
#: joint factors of an augmentation (a latent and an observation together), not distributions of one
#: variable, and the partly observed Gaussian's conditional: tested against their integral identities
#: and conditional laws in tests/test_missing.py
JOINT_FACTORS = {"IntervalNormal", "PolyaGammaBernoulli", "PolyaGammaBinomial", "PolyaGammaJoint", "IntervalPoisson",
                 "PartlyObservedMVN", "PartlyObservedMVNConditional"}


def test_registry_lists_every_family():
    assert set(FAMILIES) - JOINT_FACTORS == {c.fam for c in CASES}
    for name, f in FAMILIES.items():
        assert f.name == name and set(f.alternatives) == set(f.params) == set(f.param_event_ndim)


def test_event_shapes_and_finite_supports():
    F = FAMILIES
    assert F["Normal"].event_shape({"mean": (4,), "var": ()}) == ()
    assert F["Categorical"].event_shape({"p": (5, 3)}) == ()
    assert F["Dirichlet"].event_shape({"alpha": (2, 3)}) == (3,)
    assert F["Multinomial"].event_shape({"n": (), "p": (4,)}) == (4,)
    assert F["MultivariateNormal"].event_shape({"mean": (7, 2), "precision": (2, 2)}) == (2,)
    assert F["Wishart"].event_shape({"df": (), "scale": (5, 3, 3)}) == (3, 3)
    assert F["InverseWishart"].event_shape({"df": (), "scale": (2, 2)}) == (2, 2)
    with pytest.raises(ValueError):
        F["MultivariateNormal"].event_shape({"mean": (3,), "precision": (2, 2)})
    with pytest.raises(ValueError):
        F["Wishart"].event_shape({"df": (), "scale": (2, 3)})
    assert F["Bernoulli"].finite_support_size({"p": ()}) == 2
    assert F["Categorical"].finite_support_size({"p": (4,)}) == 4
    assert F["Binomial"].finite_support_size({"n": (), "p": ()}, {"n": np.array(6)}) == 7
    assert F["Binomial"].finite_support_size({"n": (), "p": ()}, None) is None
    assert F["Poisson"].finite_support_size({"rate": ()}) is None
    assert F["Binomial"].integer_params == ("n",) and F["Multinomial"].integer_params == ("n",)
    for name, f in F.items():
        discrete = name in {"Bernoulli", "Binomial", "Geometric", "NegativeBinomial", "Poisson", "Categorical", "Multinomial",
                            "PolyaGammaBernoulli", "PolyaGammaBinomial", "TruncatedPoisson", "IntervalPoisson"}
        assert f.support.discrete == discrete, name


PROBLEMS = [
    ("Categorical", {"p": np.array([0.5, 0.6])}, "p must sum to one"),
    ("Multinomial", {"n": np.array(2.5), "p": np.array([0.5, 0.5])}, "n must be a non-negative integer"),
    ("Binomial", {"n": np.array(3.0), "p": np.array(1.5)}, "p must be between 0 and 1"),
    ("Beta", {"a": np.array(-1.0), "b": np.array(1.0)}, "a must be positive"),
    ("InverseGamma", {"shape": np.array(1.0), "scale": np.array(0.0)}, "scale must be positive"),
    ("Dirichlet", {"alpha": np.array([1.0, 0.0])}, "alpha must be positive"),
    ("MultivariateNormal", {"mean": np.zeros(2), "precision": np.array([[1.0, 2.0], [2.0, 1.0]])},
     "precision (or cov) must be symmetric positive definite"),
    ("Wishart", {"df": np.array(3.0), "scale": -np.eye(2)}, "scale must be symmetric positive definite"),
    ("Wishart", {"df": np.array(0.5), "scale": np.eye(2)}, "df must be greater than D - 1"),
    ("InverseWishart", {"df": np.array(5.0), "scale": np.ones((2, 3))}, "scale must be a square matrix"),
    ("Uniform", {"low": np.array(1.0), "high": np.array(0.0)}, "high must be greater than low"),
    ("StudentT", {"df": np.array(0.0), "loc": np.array(0.0), "scale": np.array(1.0)}, "df must be positive"),
    ("Pareto", {"scale": np.array(1.0), "shape": np.array(-2.0)}, "shape must be positive"),
    ("NegativeBinomial", {"r": np.array(2.0), "p": np.array(0.0)}, "p must be in (0, 1]"),
]


@pytest.mark.parametrize("fam,p,msg", PROBLEMS, ids=[f"{x[0]}-{i}" for i, x in enumerate(PROBLEMS)])
def test_param_problems_name_the_parameter(fam, p, msg):
    problems = FAMILIES[fam].param_problems(p)
    assert any(msg in m for m in problems), problems


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_valid_parameters_have_no_problems(case):
    assert FAMILIES[case.fam].param_problems(case.p) == []


def test_normaliser_needs_the_fixed_parameter():
    for fam in ("Binomial", "NegativeBinomial", "Multinomial", "Pareto"):
        with pytest.raises(FamilyError):
            FAMILIES[fam].log_normaliser([np.array(-0.5)])


def test_non_exponential_families_have_no_statistics():
    x = sp.Symbol("x")
    for fam in ("Uniform", "Laplace", "StudentT"):
        assert FAMILIES[fam].sufficient_stats(x) is None
    assert FAMILIES["Laplace"].log_density(x, {"loc": 0, "scale": 1}).has(sp.Abs)


def test_categorical_symbolic_statistics_take_k_from_p():
    z, pi = sp.Symbol("z"), sp.IndexedBase("pi")
    p = {"p": np.array([pi[0], pi[1], pi[2]], dtype=object)}
    f = FAMILIES["Categorical"]
    assert f.sufficient_stats(z, p) == [sp.KroneckerDelta(z, k) for k in range(3)]
    assert f.natural_params(p) == [sp.log(pi[k]) for k in range(3)]
    assert sp.expand(f.log_density(z, p)).coeff(sp.log(pi[1])) == sp.KroneckerDelta(z, 1)
    with pytest.raises(FamilyError):
        f.sufficient_stats(z)


def test_wishart_symbolic_density_uses_matrix_atoms():
    L = sp.IndexedBase("Lam")
    X = np.array([[L[0, 0], L[0, 1]], [L[0, 1], L[1, 1]]], dtype=object)
    f = FAMILIES["Wishart"]
    ld = sp.expand(f.log_density(X, {"df": sp.Integer(4), "scale": np.array(sym(C2))}))
    eta = f.natural_params({"df": 4.0, "scale": C2})
    for t, e in zip(f.sufficient_stats(X), eta):
        assert float(ld.coeff(t)) == pytest.approx(float(e))


@pytest.mark.parametrize("fam,df", [("Wishart", 6.5), ("InverseWishart", 5.0)])
def test_matrix_mode_maximises_the_density(fam, df):
    f, p = FAMILIES[fam], {"df": np.array(df), "scale": S3}
    mode = f.mode(p)
    best = f.logpdf(mode, p)
    for d, e in _triu(3):
        E = np.zeros((3, 3))
        E[d, e] = E[e, d] = 1e-3
        assert best >= max(f.logpdf(mode + E, p), f.logpdf(mode - E, p))
