"""Issue 9's shapes and printouts: Normal-Wishart with kappa0, normal-inverse-Wishart with
Sigma / kappa0, derivations that read as linear algebra, and sizes that do not change them."""

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lvmdsl as lv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_index_engine import _generated_vs_evaluated  # noqa: E402


def _spd(rng, D):
    A = rng.standard_normal((D, D))
    return A @ A.T + D * np.eye(D)


def normal_wishart(m0, W0, nu0, k0, inverse=False):
    with lv.Model("niw" if inverse else "nw") as m:
        if inverse:
            S = lv.InverseWishart("S", df=nu0, scale=W0)
            mu = lv.MultivariateNormal("mu", mean=m0, cov=S / k0)
            with lv.plate("n", "N"):
                lv.MultivariateNormal("x", mean=mu, cov=S, observed=True)
        else:
            L = lv.Wishart("L", df=nu0, scale=W0)
            mu = lv.MultivariateNormal("mu", mean=m0, precision=k0 * L)
            with lv.plate("n", "N"):
                lv.MultivariateNormal("x", mean=mu, precision=L, observed=True)
    return m


@settings(max_examples=12, deadline=None)
@given(D=st.integers(1, 4), N=st.integers(1, 30), k0=st.floats(0.05, 20.0), extra=st.floats(0.0, 10.0),
       seed=st.integers(0, 2**16), inverse=st.booleans())
def test_normal_wishart_with_kappa0_matches_closed_forms(D, N, k0, extra, seed, inverse):
    """mu | S, x ~ N((k0 m0 + sum x) / (k0 + N), ((k0 + N) P)^-1) with P = L or S^-1, and the
    matrix's conditional has scale^-1 (or scale) W0^-1 + k0 (mu - m0)(mu - m0)' + sum (x - mu)(x - mu)'
    (W0 + the same, inverse Wishart) and df nu0 + N + 1."""
    rng = np.random.default_rng(seed)
    m0, W0, nu0 = rng.standard_normal(D), _spd(rng, D) / D, D + 1.0 + extra
    X, M, mu = rng.standard_normal((N, D)), _spd(rng, D), rng.standard_normal(D)
    name = "S" if inverse else "L"
    d = lv.derive(normal_wishart(m0, W0, nu0, k0, inverse))
    P = np.linalg.inv(M) if inverse else M
    post = d["mu"].evaluate({name: M}, {"x": X})
    np.testing.assert_allclose(post.params["precision"], (k0 + N) * P, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(post.mean(), (k0 * m0 + X.sum(0)) / (k0 + N), rtol=1e-9, atol=1e-9)
    q = d[name].evaluate({"mu": mu}, {"x": X})
    spread = k0 * np.outer(mu - m0, mu - m0) + (X - mu).T @ (X - mu)
    if inverse:
        np.testing.assert_allclose(q.params["scale"], W0 + spread, rtol=1e-9, atol=1e-9)
    else:
        np.testing.assert_allclose(np.linalg.inv(q.params["scale"]), np.linalg.inv(W0) + spread, rtol=1e-8, atol=1e-8)
    assert q.params["df"] == pytest.approx(nu0 + N + 1)


@pytest.mark.parametrize("inverse", [False, True])
def test_normal_wishart_gibbs_code_equals_the_einsum_evaluation(inverse):
    rng = np.random.default_rng(0)
    m = normal_wishart(np.zeros(3), np.eye(3), 6.0, 2.5, inverse)
    _generated_vs_evaluated(m, {"x": rng.standard_normal((20, 3))})


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from models import bayes_full_mixture as _mixture  # noqa: E402
from models import linear_regression as regression  # noqa: E402   w ~ N(0, 10 I), tau ~ Gamma(1, 1)


def mixture(K, D=2):
    return _mixture(K, D)


def test_derivations_read_as_linear_algebra():
    d = lv.derive(regression(4))
    text = str(d)
    assert "precision = 1/10 I + tau Xᵀ X" in text and "mean = precision⁻¹ (tau Xᵀ y)" in text
    assert "wᵀ Xᵀ X w" in d.explain("tau") and "Xᵀ y" in d.explain("w")
    g = lv.derive(mixture(3))
    assert "Σ_{n: z[n]=k} x_n x_nᵀ" in str(g)
    assert r"X^{\top} X" in d.to_latex("w")


def _sizes_text(build, a, b):
    out = []
    for size in (a, b):
        d = lv.derive(build(size))
        out.append((d.source("gibbs"), "\n".join(d.explain(n) for n in d), str(d)))
    return out


@pytest.mark.parametrize("build", [regression, lambda K: mixture(K, 2), lambda D: mixture(3, D)])
def test_source_and_explanation_do_not_grow_with_dimension_or_states(build):
    small, large = _sizes_text(build, 3, 300)
    for s, l in zip(small, large):
        assert abs(len(l) - len(s)) <= 0.1 * len(s), (len(s), len(l))


@pytest.mark.slow
def test_gibbs_regression_at_D_500_matches_the_closed_form():
    """D=500, N=20,000: the draws of w have the closed-form mean and variances.  tau's posterior
    is so narrow (N=20,000) that w's marginal is N(P^-1 tau X'y, P^-1) at E[tau] to far below the
    Monte Carlo error; every coordinate's mean is checked against its Monte Carlo standard error,
    and each variance (from 400 near-independent draws, relative sd sqrt(2/399) = 0.07) within five
    standard errors, their mean within five standard errors of the average."""
    D, N = 500, 20000
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D))
    y = X @ rng.standard_normal(D) + rng.standard_normal(N)
    res = lv.infer(regression(D), data={"X": X, "y": y}, draws=400, tune=20, chains=1, seed=1, progress=False)
    tau = res.draws["tau"].mean()
    P = 0.1 * np.eye(D) + tau * X.T @ X
    mean, cov = np.linalg.solve(P, tau * X.T @ y), np.linalg.inv(P)
    w = res.draws["w"][0]
    z = (w.mean(0) - mean) / np.sqrt(np.diag(cov) / len(w))
    assert np.abs(z).max() < 5 and abs(z.mean()) < 5 / np.sqrt(D)
    ratio = w.var(0, ddof=1) / np.diag(cov)
    se = np.sqrt(2 / (len(w) - 1))
    assert np.abs(ratio - 1).max() < 5 * se and abs(ratio.mean() - 1) < 5 * se / np.sqrt(D) + 0.01


# ---------------------------------------------------------------------------- bad input, named
@pytest.mark.parametrize("k0, match", [(-1.0, "not positive"), (0.0, "identically zero")])
def test_a_non_positive_kappa0_is_a_named_error(k0, match):
    with pytest.raises(lv.ModelError, match=match):
        lv.derive(normal_wishart(np.zeros(2), np.eye(2), 4.0, k0))


def test_indexing_by_a_plate_of_another_size_or_past_the_plate_is_named():
    with lv.Model("m") as m:
        with lv.plate("k", 3):
            mu = lv.Normal("mu", mean=0.0, var=1.0)
        with lv.plate("n", 5) as n:
            lv.Normal("y", mean=mu[n], var=1.0, observed=True)
    with pytest.raises(lv.ModelError, match="indexed by plate 'n' .* plate 'k'"):
        lv.derive(m)
    with lv.Model("m") as m:
        with lv.plate("k", 3):
            mu = lv.Normal("mu", mean=0.0, var=1.0)
        with lv.plate("n", 5):
            lv.Normal("y", mean=mu[5], var=1.0, observed=True)
    with pytest.raises(lv.ModelError, match=r"'mu'\[5\] in 'y' is outside plate 'k'"):
        lv.derive(m)


@pytest.mark.parametrize("cov", [10.0, np.ones(2)])
def test_a_covariance_that_is_not_a_matrix_is_named(cov):
    with pytest.raises(lv.ModelError, match="cov must be a square D x D matrix"):
        with lv.Model("m"):
            lv.MultivariateNormal("w", mean=np.zeros(2), cov=cov)


def test_derivation_lookups_and_arguments_give_model_errors():
    d = lv.derive(mixture(3))
    for name in ("bogus", "x", None):
        with pytest.raises(lv.ModelError, match="is not an unknown"):
            d.explain(name)
    with pytest.raises(lv.ModelError, match="lv.Model"):
        lv.derive(3)
    with pytest.raises(lv.ModelError, match="no derivation for method 'bogus'"):
        lv.derive(mixture(3), method="bogus")


def test_names_with_underscores_stay_distinct_in_latex():
    with lv.Model("u") as m:
        a, b, c = (lv.Normal(n, mean=0.0, var=1.0) for n in ("mu", "_mu", "mu_"))
        with lv.plate("n", "N"):
            lv.Normal("y", mean=a + b + c, var=1.0, observed=True)
    tex = lv.derive(m).to_latex()
    assert r"\mathrm{\_mu}" in tex and r"\mathrm{mu\_}" in tex and r"\mu_{}" not in tex


def test_a_mixture_with_no_data_points_samples_its_prior():
    res = lv.infer(mixture(3), {"x": np.zeros((0, 2))}, draws=5, tune=2, chains=2, progress=False)
    assert res.draws["mu"].shape == (2, 5, 3, 2) and np.all(np.isfinite(res.draws["mu"]))
