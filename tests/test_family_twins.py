"""Every registered family against its scipy twin: density, moments, sampler, EF identity."""

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from lvmdsl.families import FAMILIES

C2 = np.array([[1.0, 0.3], [0.3, 2.0]])

# family, canonical params, scipy twin, points
TWINS = [
    ("Normal", {"mean": 0.5, "var": 2.0}, stats.norm(0.5, np.sqrt(2.0)), [-1.0, 0.3, 2.5]),
    ("Gamma", {"shape": 2.5, "rate": 1.5}, stats.gamma(2.5, scale=1 / 1.5), [0.2, 1.0, 3.0]),
    ("InverseGamma", {"shape": 6.0, "scale": 2.0}, stats.invgamma(6.0, scale=2.0), [0.3, 1.0, 4.0]),
    ("Beta", {"a": 2.0, "b": 3.5}, stats.beta(2.0, 3.5), [0.1, 0.4, 0.9]),
    ("Exponential", {"rate": 1.7}, stats.expon(scale=1 / 1.7), [0.1, 1.0, 2.0]),
    ("Poisson", {"rate": 3.2}, stats.poisson(3.2), [0, 2, 7]),
    ("Bernoulli", {"p": 0.3}, stats.bernoulli(0.3), [0, 1]),
    ("Categorical", {"p": np.array([0.2, 0.5, 0.3])}, None, [0, 1, 2]),
    ("Dirichlet", {"alpha": np.array([1.5, 2.0, 3.0])}, stats.dirichlet([1.5, 2.0, 3.0]),
     [np.array([0.2, 0.3, 0.5]), np.array([0.6, 0.1, 0.3])]),
    ("MultivariateNormal", {"mean": np.array([0.5, -1.0]), "precision": np.linalg.inv(C2)},
     stats.multivariate_normal([0.5, -1.0], C2), [np.array([0.0, 0.0]), np.array([1.0, -2.0])]),
]


def _scipy_logp(twin, fam, x, p):
    if fam == "Categorical":
        return np.log(p["p"][x])
    if hasattr(twin, "logpmf"):
        return twin.logpmf(x)
    return twin.logpdf(x)


@pytest.mark.parametrize("fam,p,twin,points", TWINS, ids=[t[0] for t in TWINS])
def test_numeric_and_symbolic_density_match_scipy(fam, p, twin, points):
    f = FAMILIES[fam]
    for x in points:
        want = _scipy_logp(twin, fam, x, p)
        assert f.logpdf(np.asarray(x, float) if fam != "Categorical" else np.asarray(x), p) == pytest.approx(want, rel=1e-10)
        sym_p = {k: (np.array(v.tolist(), dtype=object) if np.ndim(v) else sp.Float(v)) for k, v in p.items()}
        sym_x = np.array(np.asarray(x).tolist(), dtype=object) if np.ndim(x) else sp.Integer(x) if fam in ("Poisson", "Bernoulli", "Categorical") else sp.Float(x)
        assert float(sp.N(f.log_density(sym_x, sym_p))) == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("fam,p,twin,points", TWINS, ids=[t[0] for t in TWINS])
def test_exponential_family_identity_and_round_trip(fam, p, twin, points):
    f = FAMILIES[fam]
    eta = f.natural_params(p)
    back = f.from_natural(eta)
    for k in p:
        np.testing.assert_allclose(back[k], p[k], rtol=1e-10)
    sym_p = {k: (np.array(v.tolist(), dtype=object) if np.ndim(v) else sp.Float(v)) for k, v in p.items()}
    for x in points:
        sx = np.array(np.asarray(x).tolist(), dtype=object) if np.ndim(x) else sp.Integer(x) if fam in ("Poisson", "Bernoulli", "Categorical") else sp.Float(x)
        T = [float(sp.N(t)) for t in f.sufficient_stats(sx, sym_p)]
        lhs = sum(e * t for e, t in zip(np.asarray(eta, float), T)) - f.log_normaliser(eta) + float(sp.N(f.log_base_measure(sx)))
        assert lhs == pytest.approx(f.logpdf(np.asarray(x), p), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("fam,p,twin,points", TWINS, ids=[t[0] for t in TWINS])
def test_sampler_moments_and_expected_stats(fam, p, twin, points):
    """Sample mean within 5 standard errors of mean(); E[T] within 5 standard errors of the MC average."""
    f = FAMILIES[fam]
    rng = np.random.default_rng(7)
    n = 100_000
    draws = np.asarray(f.sample(rng, p, (n,)), float)
    se = draws.std(0) / np.sqrt(n)
    assert np.all(np.abs(draws.mean(0) - f.mean(p)) < 5 * se + 1e-12)
    centred = (draws - draws.mean(0)) ** 2
    assert np.all(np.abs(centred.mean(0) - f.var(p)) < 5 * centred.std(0) / np.sqrt(n))
    if twin is not None and fam not in ("Dirichlet", "MultivariateNormal"):
        np.testing.assert_allclose(f.mean(p), twin.mean(), rtol=1e-10)
        np.testing.assert_allclose(f.var(p), twin.var(), rtol=1e-10)
    sym_p = {k: (np.array(v.tolist(), dtype=object) if np.ndim(v) else sp.Float(v)) for k, v in p.items()}
    expected = f.expected_stats(p)
    x = sp.Symbol("x") if draws.ndim == 1 else np.array([sp.Symbol(f"x{i}") for i in range(draws.shape[1])], dtype=object)
    for t, e in zip(f.sufficient_stats(x, sym_p), expected):
        if f.support.discrete:   # evaluate the statistic once per distinct value
            values, inverse = np.unique(draws, return_inverse=True)
            vals = np.array([float(t.subs(x, int(v))) for v in values])[inverse]
        else:
            fn = sp.lambdify(list(np.atleast_1d(x)), t, "numpy")
            vals = np.broadcast_to(fn(*(draws.T if draws.ndim > 1 else [draws])), (n,)).astype(float)
        assert abs(vals.mean() - e) < 5 * vals.std() / np.sqrt(n) + 1e-12
