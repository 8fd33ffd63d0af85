"""Vector and matrix conditionals against independent closed forms, on hypothesis-drawn inputs.

The catalogue's scalar pairs are checked by quadrature in ``test_catalogue_brute_force.py``;
this file covers the vector/matrix pairs (Dirichlet, MultivariateNormal, Wishart,
InverseWishart) and the conditionals of the example models (linear regression, matrix
factorisation, the Gaussian mixture).  Sizes, hyperparameters and data are drawn by hypothesis
(positive-definite matrices as A A^T + d I, so everything stays well conditioned); every
reference is textbook conjugate algebra in numpy/scipy, written out here, never the engine's
conditional machinery.  Posterior densities are compared with ``scipy.stats`` at a point drawn
from the reference posterior.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

import lvmdsl as lv

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from models import gmm, linear_regression, matrix_factorisation  # noqa: E402

RTOL = 1e-6
FAST = settings(max_examples=15, deadline=None, derandomize=True)


# ---------------------------------------------------------------------------- helpers
def close(got, want, rtol=RTOL):
    """Elementwise agreement to ``rtol`` relative; an absolute floor scaled to the array's size
    so entries that are (near) zero by cancellation do not demand impossible relative accuracy."""
    got, want = np.asarray(got, float), np.asarray(want, float)
    assert got.shape == want.shape, (got.shape, want.shape)
    floor = 1e-10 * max(1.0, float(np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=floor)


def finite_floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def spd(draw, D, lo=0.5, hi=3.0):
    """A well-conditioned symmetric positive-definite D x D matrix: A A^T + d I."""
    A = draw(hnp.arrays(float, (D, D), elements=finite_floats(-1.5, 1.5), fill=st.nothing()))
    d = draw(finite_floats(lo, hi))
    return A @ A.T + d * np.eye(D)


def vectors(n, lo=-3.0, hi=3.0):
    # fill=st.nothing(): every element drawn on its own (no runs of one repeated fill value)
    return hnp.arrays(float, (n,), elements=finite_floats(lo, hi), fill=st.nothing())


def matrices(n, m, lo=-3.0, hi=3.0):
    return hnp.arrays(float, (n, m), elements=finite_floats(lo, hi), fill=st.nothing())


seeds = st.integers(0, 2**32 - 1)


# ---------------------------------------------------------------------------- 1. Dirichlet
def _dirichlet_model(alpha, likelihood, **kw):
    with lv.Model("dir") as m:
        theta = lv.Dirichlet("theta", alpha=alpha)
        with lv.plate("n", "N"):
            getattr(lv, likelihood)("x", p=theta, observed=True, **kw)
    return m


def _check_dirichlet(post, alpha_post, seed):
    assert post.family.name == "Dirichlet"
    close(post.params["alpha"], alpha_post)
    close(post.mean(), alpha_post / alpha_post.sum())
    point = np.random.default_rng(seed).dirichlet(alpha_post)
    point = point / point.sum()
    close(post.logpdf(point), stats.dirichlet.logpdf(point, alpha_post))


@st.composite
def dirichlet_categorical(draw):
    K = draw(st.integers(2, 5))
    alpha = draw(vectors(K, 0.2, 5.0))
    x = np.array(draw(st.lists(st.integers(0, K - 1), min_size=0, max_size=25)), dtype=int)
    return alpha, x


@FAST
@given(case=dirichlet_categorical(), seed=seeds)
def test_dirichlet_categorical_is_alpha_plus_counts(case, seed):
    alpha, x = case
    post = lv.derive(_dirichlet_model(alpha, "Categorical"))["theta"].evaluate({}, data={"x": x})
    counts = np.array([(x == k).sum() for k in range(len(alpha))], float)
    _check_dirichlet(post, alpha + counts, seed)


@st.composite
def dirichlet_multinomial(draw):
    K = draw(st.integers(2, 5))
    alpha = draw(vectors(K, 0.2, 5.0))
    n_trials = draw(st.integers(0, 12))
    N = draw(st.integers(0, 8))
    rows = []
    for _ in range(N):       # a composition of n_trials into K non-negative parts
        cuts = sorted(draw(st.lists(st.integers(0, n_trials), min_size=K - 1, max_size=K - 1)))
        rows.append(np.diff([0, *cuts, n_trials]))
    x = np.array(rows, dtype=int).reshape(N, K)
    return alpha, n_trials, x


@FAST
@given(case=dirichlet_multinomial(), seed=seeds)
def test_dirichlet_multinomial_is_alpha_plus_summed_counts(case, seed):
    alpha, n_trials, x = case
    assert np.all(x.sum(1) == n_trials)
    post = lv.derive(_dirichlet_model(alpha, "Multinomial", n=n_trials))["theta"].evaluate({}, data={"x": x})
    _check_dirichlet(post, alpha + x.sum(0), seed)


# ---------------------------------------------------------------------------- 2. MVN mean
@st.composite
def mvn_mean_case(draw):
    D = draw(st.integers(1, 4))
    N = draw(st.integers(0, 12))
    m0 = draw(vectors(D))
    S0, S = draw(spd(D)), draw(spd(D))
    prior_kw = draw(st.sampled_from(["cov", "precision"]))
    like_kw = draw(st.sampled_from(["cov", "precision"]))
    x = draw(matrices(N, D, -6.0, 6.0))
    return m0, S0, prior_kw, S, like_kw, x


@FAST
@given(case=mvn_mean_case(), seed=seeds)
def test_mvn_mean_matches_gaussian_linear_algebra(case, seed):
    m0, S0, prior_kw, S, like_kw, x = case
    N = len(x)
    with lv.Model("mvn-mean") as m:
        theta = lv.MultivariateNormal("theta", mean=m0, **{prior_kw: S0})
        with lv.plate("n", "N"):
            lv.MultivariateNormal("x", mean=theta, observed=True, **{like_kw: S})
    post = lv.derive(m)["theta"].evaluate({}, data={"x": x})

    P0 = np.linalg.inv(S0) if prior_kw == "cov" else S0
    P = np.linalg.inv(S) if like_kw == "cov" else S
    prec = P0 + N * P
    mean = np.linalg.solve(prec, P0 @ m0 + P @ x.sum(0))
    cov = np.linalg.inv(prec)
    assert post.family.name == "MultivariateNormal"
    close(post.params["precision"], prec)
    close(post.mean(), mean)
    close(post.cov(), cov)
    point = np.random.default_rng(seed).multivariate_normal(mean, cov)
    close(post.logpdf(point), stats.multivariate_normal.logpdf(point, mean, cov))


# ---------------------------------------------------------------------------- 3. Wishart / InverseWishart
@st.composite
def covariance_case(draw):
    D = draw(st.integers(1, 3))
    N = draw(st.integers(0, 10))
    df = D - 1 + draw(finite_floats(0.5, 6.0))     # df > D - 1
    V = draw(spd(D))
    mu = draw(vectors(D))
    x = draw(matrices(N, D, -4.0, 4.0))
    return df, V, mu, x


def _scatter(x, mu):
    r = x - mu
    return r.T @ r          # sum_n (x_n - mu)(x_n - mu)^T


def _spd_point(draw_fn, D):
    X = np.atleast_2d(draw_fn())
    return X.reshape(D, D)


@FAST
@given(case=covariance_case(), seed=seeds)
def test_wishart_precision_posterior(case, seed):
    df, V, mu, x = case
    D, N = len(mu), len(x)
    with lv.Model("wishart") as m:
        theta = lv.Wishart("theta", df=df, scale=V)
        with lv.plate("n", "N"):
            lv.MultivariateNormal("x", mean=mu, precision=theta, observed=True)
    post = lv.derive(m)["theta"].evaluate({}, data={"x": x})

    df_post = df + N
    scale_post = np.linalg.inv(np.linalg.inv(V) + _scatter(x, mu))
    assert post.family.name == "Wishart"
    close(post.params["df"], df_post)
    close(post.params["scale"], scale_post)
    close(post.mean(), df_post * scale_post)
    ref = stats.wishart(df=df_post, scale=scale_post)
    point = _spd_point(lambda: ref.rvs(random_state=seed), D)
    close(post.logpdf(point), ref.logpdf(point if D > 1 else point.item()))


@FAST
@given(case=covariance_case(), seed=seeds)
def test_inverse_wishart_covariance_posterior(case, seed):
    df, Psi, mu, x = case
    D, N = len(mu), len(x)
    with lv.Model("invwishart") as m:
        theta = lv.InverseWishart("theta", df=df, scale=Psi)
        with lv.plate("n", "N"):
            lv.MultivariateNormal("x", mean=mu, cov=theta, observed=True)
    post = lv.derive(m)["theta"].evaluate({}, data={"x": x})

    df_post = df + N
    scale_post = Psi + _scatter(x, mu)
    assert post.family.name == "InverseWishart"
    close(post.params["df"], df_post)
    close(post.params["scale"], scale_post)
    ref = stats.invwishart(df=df_post, scale=scale_post)
    point = _spd_point(lambda: ref.rvs(random_state=seed), D)
    close(post.logpdf(point), ref.logpdf(point if D > 1 else point.item()))


# ---------------------------------------------------------------------------- 4. linear regression
@st.composite
def regression_case(draw):
    D = draw(st.integers(1, 4))
    N = draw(st.integers(0, 15))
    X = draw(matrices(N, D))
    y = draw(vectors(N, -5.0, 5.0))
    tau = draw(finite_floats(0.05, 20.0))
    w = draw(vectors(D))
    return X, y, tau, w


@FAST
@given(case=regression_case(), seed=seeds)
def test_linear_regression_weights_and_noise_precision(case, seed):
    X, y, tau, w = case
    N, D = X.shape
    d = lv.derive(linear_regression(D))
    data = {"X": X, "y": y}

    # w | tau, data: prior MVN(0, 10 I)
    post = d["w"].evaluate({"tau": tau}, data=data)
    prec = np.eye(D) / 10.0 + tau * X.T @ X
    mean = np.linalg.solve(prec, tau * X.T @ y)
    close(post.params["precision"], prec)
    close(post.mean(), mean)
    close(post.cov(), np.linalg.inv(prec))
    point = np.random.default_rng(seed).multivariate_normal(mean, np.linalg.inv(prec))
    close(post.logpdf(point), stats.multivariate_normal.logpdf(point, mean, np.linalg.inv(prec)))

    # tau | w, data: prior Gamma(1, 1)
    tp = d["tau"].evaluate({"w": w}, data=data)
    r = y - X @ w
    a, b = 1.0 + N / 2.0, 1.0 + r @ r / 2.0
    close(tp.params["shape"], a)
    close(tp.params["rate"], b)
    t = stats.gamma(a, scale=1 / b).ppf(np.random.default_rng(seed).uniform(0.05, 0.95))
    close(tp.logpdf(t), stats.gamma.logpdf(t, a, scale=1 / b))


# ---------------------------------------------------------------------------- 5. matrix factorisation
@st.composite
def factorisation_case(draw):
    I, J, R = draw(st.integers(1, 5)), draw(st.integers(1, 5)), draw(st.integers(1, 3))
    entries = draw(st.lists(st.tuples(st.integers(0, I - 1), st.integers(0, J - 1)), min_size=0, max_size=14))
    row = np.array([e[0] for e in entries], dtype=int)
    col = np.array([e[1] for e in entries], dtype=int)
    r = draw(vectors(len(entries), -4.0, 4.0))
    u = draw(matrices(I, R, -2.0, 2.0))
    v = draw(matrices(J, R, -2.0, 2.0))
    tau = draw(finite_floats(0.05, 20.0))
    return I, J, R, row, col, r, u, v, tau


def _factor_rows(n, R, own, other, other_idx, r, tau):
    """Per-row posterior of one factor: prior MVN(0, I), r[o] ~ N(own[i] . other[other_idx[o]], 1/tau)."""
    precs, means = [], []
    for i in range(n):
        prec, rhs = np.eye(R), np.zeros(R)
        for o in np.flatnonzero(own == i):
            g = other[other_idx[o]]
            prec = prec + tau * np.outer(g, g)
            rhs = rhs + tau * r[o] * g
        precs.append(prec)
        means.append(np.linalg.solve(prec, rhs))
    return np.array(precs), np.array(means)


@FAST
@given(case=factorisation_case())
def test_matrix_factorisation_row_and_column_factors(case):
    I, J, R, row, col, r, u, v, tau = case
    d = lv.derive(matrix_factorisation(I, J, R))
    data = {"row": row, "col": col, "r": r}

    pu = d["u"].evaluate({"v": v, "tau": tau}, data=data)
    prec, mean = _factor_rows(I, R, row, v, col, r, tau)
    close(pu.params["precision"], prec)
    close(pu.mean(), mean)
    for i in set(range(I)) - set(row.tolist()):         # unobserved rows keep the prior MVN(0, I)
        close(pu.params["precision"][i], np.eye(R))
        close(pu.mean()[i], np.zeros(R))

    pv = d["v"].evaluate({"u": u, "tau": tau}, data=data)
    prec, mean = _factor_rows(J, R, col, u, row, r, tau)
    close(pv.params["precision"], prec)
    close(pv.mean(), mean)

    pt = d["tau"].evaluate({"u": u, "v": v}, data=data)
    resid = r - np.einsum("or,or->o", u[row], v[col]) if len(r) else np.zeros(0)
    close(pt.params["shape"], 1.0 + len(r) / 2.0)
    close(pt.params["rate"], 1.0 + resid @ resid / 2.0)


# ---------------------------------------------------------------------------- 6. Gaussian mixture
@st.composite
def mixture_case(draw):
    K = draw(st.integers(2, 4))
    N = draw(st.integers(1, 12))
    x = draw(vectors(N, -8.0, 8.0))
    w = draw(vectors(K, 0.1, 5.0))
    mu = draw(vectors(K, -5.0, 5.0))
    tau = draw(vectors(K, 0.1, 5.0))
    z = np.array(draw(st.lists(st.integers(0, K - 1), min_size=N, max_size=N)), dtype=int)
    return K, x, w / w.sum(), mu, tau, z


@FAST
@given(case=mixture_case())
def test_gmm_allocations_are_bayes_rule(case):
    K, x, pi, mu, tau, z = case
    d = lv.derive(gmm(K))
    post = d["z"].evaluate({"pi": pi, "mu": mu, "tau": tau}, data={"x": x})
    logw = np.log(pi) + stats.norm.logpdf(x[:, None], loc=mu, scale=1 / np.sqrt(tau))
    resp = np.exp(logw - logw.max(1, keepdims=True))
    resp /= resp.sum(1, keepdims=True)
    close(post.params["p"], resp)
    close(post.params["p"].sum(-1), np.ones(len(x)))

    # the other mixture conditionals at the same state, by the scalar conjugate formulas
    pp = d["pi"].evaluate({"z": z, "mu": mu, "tau": tau}, data={"x": x})
    nk = np.array([(z == k).sum() for k in range(K)], float)
    close(pp.params["alpha"], 1.0 + nk)
    pm = d["mu"].evaluate({"z": z, "pi": pi, "tau": tau}, data={"x": x})
    sk = np.array([x[z == k].sum() for k in range(K)])
    prec = 1 / 100.0 + tau * nk                       # prior Normal(0, var 100)
    close(pm.var(), 1 / prec)
    close(pm.mean(), tau * sk / prec)
