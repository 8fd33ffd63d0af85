"""Data far from zero or at a tiny scale (issue 10): conditionals, Gibbs and EM agree with closed
forms and with the fit on the same numbers brought back to unit scale.

The data are x = offset + e (or scale * e) with e of unit spread.  Every reference is computed
independently from the stored numbers brought back exactly (x - offset is exact in floating point
for these offsets), in numpy or scipy directly, never through the library.  Before the data were
centred, the precision's rate at offset 1e8 came out wrong in the 8th digit or worse (the terms
of -1/2 Sum x^2 + mu Sum x - 1/2 N mu^2 are ~1e16 N each), the EM means moved and the
log-likelihood lost its digits.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

import lvmdsl as lv

OFFSETS = [1e4, 1e8]
SHIFTS = [("offset", 1e4), ("offset", 1e8), ("scale", 1e-8)]
RTOL = 1e-8


def _transform(kind, value, e):
    return e + value if kind == "offset" else e * value


def _back(kind, value, x):
    """The stored data brought back to unit scale (exact for these offsets and the power-of-ten scale
    up to one rounding)."""
    return x - value if kind == "offset" else x / value


def normal_model():
    with lv.Model("normal") as m:
        mu = lv.Normal("mu", mean=0.0, var=1e40)
        tau = lv.Gamma("tau", shape=1.0, rate=1e-30)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=mu, precision=tau, observed=True)
    return m


def mixture_model(em: bool):
    with lv.Model("mixture") as m:
        if em:
            pi = lv.Param("pi", shape=(2,), constraint="simplex")
        else:
            pi = lv.Dirichlet("pi", alpha=np.ones(2))
        with lv.plate("k", 2):
            if em:
                mu, tau = lv.Param("mu"), lv.Param("tau", constraint="positive")
            else:
                mu = lv.Normal("mu", mean=0.0, var=1e40)
                tau = lv.Gamma("tau", shape=1.0, rate=1e-30)
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            lv.Normal("x", mean=mu[z], precision=tau[z], observed=True)
    return m


def regression_model(D=3):
    with lv.Model("regression") as m:
        w = lv.MultivariateNormal("w", mean=np.zeros(D), cov=1e40 * np.eye(D))
        tau = lv.Gamma("tau", shape=1.0, rate=1e-30)
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(D,))
            lv.Normal("y", mean=lv.dot(X, w), precision=tau, observed=True)
    return m


# ---------------------------------------------------------------------------- the Normal model
def _normal_precision_conditional_matches_the_closed_form(kind, value):
    rng = np.random.default_rng(0)
    x = _transform(kind, value, rng.normal(size=500))
    mu = _transform(kind, value, 0.07)
    post = lv.derive(normal_model())["tau"].evaluate({"x": x, "mu": mu})
    resid = _back(kind, value, x) - _back(kind, value, mu)
    scale2 = 1.0 if kind == "offset" else value ** 2
    rate = 1e-30 + 0.5 * np.sum(resid ** 2) * scale2
    np.testing.assert_allclose(post.params["rate"], rate, rtol=1e-10)
    np.testing.assert_allclose(post.params["shape"], 1 + 500 / 2, rtol=1e-14)


def test_normal_precision_conditional_matches_the_closed_form():
    """At offsets 1e4 and 1e8 and at scale 1e-8."""
    for case in SHIFTS:
        _normal_precision_conditional_matches_the_closed_form(*case)


def _normal_gibbs_moments_match_the_closed_form(kind, value):
    """The marginal posterior of tau under a flat mu is Gamma(a + (N-1)/2, b + S/2), S the sum of
    squares about the mean: its mean and sd, against the draws within Monte Carlo error."""
    rng = np.random.default_rng(1)
    e = rng.normal(size=200)
    x = _transform(kind, value, e)
    res = lv.infer(normal_model(), data={"x": x}, draws=2000, tune=200, chains=4, seed=0, progress=False)
    back = _back(kind, value, x)
    S = np.sum((back - back.mean()) ** 2) * (1.0 if kind == "offset" else value ** 2)
    a, b = 1.0 + (200 - 1) / 2, 1e-30 + S / 2
    draws = res.draws["tau"].ravel()
    sd = np.sqrt(a) / b
    assert abs(draws.mean() - a / b) < 5 * sd / np.sqrt(draws.size / 2), (draws.mean(), a / b)
    assert abs(draws.std() / sd - 1) < 0.1
    mu_back = _back(kind, value, res.draws["mu"].ravel())
    np.testing.assert_allclose(mu_back.mean(), back.mean(), atol=5 * back.std() / np.sqrt(200) / np.sqrt(draws.size / 20))


def test_normal_gibbs_moments_match_the_closed_form():
    """At offsets 1e4 and 1e8 and at scale 1e-8."""
    for case in SHIFTS:
        _normal_gibbs_moments_match_the_closed_form(*case)


def test_normal_gibbs_at_an_offset_repeats_the_unshifted_run():
    """Same seed, same numbers brought back: the draws agree to 1e-8 relative at both offsets."""
    rng = np.random.default_rng(2)
    e = rng.normal(size=300)
    for off in OFFSETS:
        x = e + off
        base = lv.infer(normal_model(), data={"x": x - off}, draws=300, tune=50, chains=2, seed=5, progress=False,
                        init={"mu": np.zeros(2), "tau": np.ones(2)})
        moved = lv.infer(normal_model(), data={"x": x}, draws=300, tune=50, chains=2, seed=5, progress=False,
                         init={"mu": np.full(2, off), "tau": np.ones(2)})
        np.testing.assert_allclose(moved.draws["tau"], base.draws["tau"], rtol=RTOL)
        np.testing.assert_allclose(moved.draws["mu"] - off, base.draws["mu"], atol=RTOL * off * 1e-8 + 1e-7)


# ---------------------------------------------------------------------------- the mixture, Gibbs
def _mixture_data(rng, n=400):
    z = rng.integers(0, 2, size=n)
    e = np.array([-6.0, 6.0])[z] + rng.normal(size=n) * np.array([1.0, 0.5])[z]
    return z, e


def _mixture_conditionals_match_the_closed_form(kind, value):
    rng = np.random.default_rng(3)
    z, e = _mixture_data(rng)
    x = _transform(kind, value, e)
    mu = _transform(kind, value, np.array([-5.9, 6.1]))
    tau = np.array([1.0, 4.0]) / (1.0 if kind == "offset" else value ** 2)
    pi = np.array([0.4, 0.6])
    d = lv.derive(mixture_model(em=False))
    scale2 = 1.0 if kind == "offset" else value ** 2
    back, mub = _back(kind, value, x), _back(kind, value, mu)
    rate = d["tau"].evaluate({"x": x, "z": z, "mu": mu}).params["rate"]
    exact = [1e-30 + 0.5 * np.sum((back[z == k] - mub[k]) ** 2) * scale2 for k in range(2)]
    np.testing.assert_allclose(rate, exact, rtol=1e-10)
    # the allocations: log p(z = k | x) against scipy's densities at the unit-scale numbers
    p = d["z"].evaluate({"x": x, "mu": mu, "tau": tau, "pi": pi}).params["p"]
    logp = np.stack([np.log(pi[k]) + stats.norm.logpdf(back, mub[k], 1 / np.sqrt(tau[k] * scale2)) for k in range(2)], -1)
    logp -= np.logaddexp(logp[:, :1], logp[:, 1:])
    mask = logp > -30                       # compare where the probabilities are not negligible
    np.testing.assert_allclose(np.log(p)[mask], logp[mask], rtol=1e-10, atol=1e-10)


def test_mixture_conditionals_match_the_closed_form():
    """At offsets 1e4 and 1e8 and at scale 1e-8."""
    for case in SHIFTS:
        _mixture_conditionals_match_the_closed_form(*case)


def _mixture_gibbs_at_an_offset_repeats_the_unshifted_run(off):
    """Same seed and start, the numbers brought back: the same allocations and draws."""
    rng = np.random.default_rng(4)
    _, e = _mixture_data(rng, 300)
    x = e + off
    init = np.array([-5.0, 5.0])
    kw = dict(draws=200, tune=50, chains=2, seed=7, progress=False)
    base = lv.infer(mixture_model(em=False), data={"x": x - off}, init={"mu": init}, **kw)
    moved = lv.infer(mixture_model(em=False), data={"x": x}, init={"mu": init + off}, **kw)
    # mu at 1e8 is stored to 1.5e-8 and each draw feeds the next: the paths agree to ~1e-8 per step
    np.testing.assert_array_equal(moved.draws["z"], base.draws["z"])
    np.testing.assert_allclose(moved.draws["tau"], base.draws["tau"], rtol=1e-6)
    np.testing.assert_allclose(moved.draws["mu"] - off, base.draws["mu"], atol=1e-6)


def test_mixture_gibbs_at_an_offset_repeats_the_unshifted_run():
    """At offsets 1e4 and 1e8."""
    for off in OFFSETS:
        _mixture_gibbs_at_an_offset_repeats_the_unshifted_run(off)


# ---------------------------------------------------------------------------- the mixture, EM
def _em(x, init, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lv.infer(mixture_model(em=True), data={"x": x}, method="em", progress=False, tol=1e-13,
                        max_iter=500, init=init, **kw)


def _mixture_em_matches_the_unshifted_fit(kind, value):
    rng = np.random.default_rng(5)
    _, e = _mixture_data(rng)
    x = _transform(kind, value, e)
    back = _back(kind, value, x)
    base = _em(back, {"mu": np.array([-2.0, 2.0]), "tau": np.ones(2), "pi": np.array([0.5, 0.5])})
    s = 1.0 if kind == "offset" else value
    moved = _em(x, {"mu": _transform(kind, value, np.array([-2.0, 2.0])), "tau": np.ones(2) / s ** 2,
                    "pi": np.array([0.5, 0.5])})
    np.testing.assert_allclose(_back(kind, value, moved.params["mu"]), base.params["mu"], rtol=RTOL)
    np.testing.assert_allclose(moved.params["tau"] * s ** 2, base.params["tau"], rtol=RTOL)
    np.testing.assert_allclose(moved.params["pi"], base.params["pi"], rtol=RTOL)
    # the log-likelihood: scipy's direct evaluation at the fitted parameters, to 1e-10
    p, mu, tau = moved.params["pi"], moved.params["mu"], moved.params["tau"]
    dens = [np.log(p[k]) + stats.norm.logpdf(back, _back(kind, value, mu[k]), 1 / np.sqrt(tau[k] * s ** 2)) - np.log(s)
            for k in range(2)]
    ll = np.sum(np.logaddexp(*dens))
    np.testing.assert_allclose(moved.loglik[-1], ll, rtol=1e-10)


def test_mixture_em_matches_the_unshifted_fit():
    """At offsets 1e4 and 1e8 and at scale 1e-8."""
    for case in SHIFTS:
        _mixture_em_matches_the_unshifted_fit(*case)


# ---------------------------------------------------------------------------- the regression
def _regression_data(rng, n=300):
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    e = X @ np.array([0.5, 1.0, -2.0]) + rng.normal(size=n)
    return X, e


def _regression_conditionals_match_the_closed_form(kind, value):
    rng = np.random.default_rng(6)
    X, e = _regression_data(rng)
    y = _transform(kind, value, e)
    w_unit = np.array([0.51, 1.01, -1.98])
    w = np.array([_transform(kind, value, w_unit[0]), *(w_unit[1:] * (1 if kind == "offset" else value))])
    d = lv.derive(regression_model())
    post = d["tau"].evaluate({"y": y, "X": X, "w": w})
    scale2 = 1.0 if kind == "offset" else value ** 2
    w_back = np.array([_back(kind, value, w[0]), *(w[1:] / (1 if kind == "offset" else value))])   # as stored
    resid = _back(kind, value, y) - X @ w_back
    # 1e-9: the fitted value at the mean covariates, Sum_k m_X[k] w[k] ~ 1e8, is rounded to 1.5e-8
    np.testing.assert_allclose(post.params["rate"], 1e-30 + 0.5 * np.sum(resid ** 2) * scale2, rtol=1e-9)
    # the weights: the least-squares solution (flat prior) at unit scale, moved by the same map
    tau = 2.0 / scale2
    mean = d["w"].evaluate({"y": y, "X": X, "tau": tau}).mean()
    ls = np.linalg.lstsq(X, _back(kind, value, y), rcond=None)[0]
    if kind == "offset":
        np.testing.assert_allclose(mean[1:], ls[1:], rtol=RTOL)
        np.testing.assert_allclose(mean[0] - value, ls[0], atol=RTOL * value * 1e-8 + 1e-7)
    else:
        np.testing.assert_allclose(mean / value, ls, rtol=RTOL)


def test_regression_conditionals_match_the_closed_form():
    """At offsets 1e4 and 1e8 and at scale 1e-8."""
    for case in SHIFTS:
        _regression_conditionals_match_the_closed_form(*case)


def _regression_gibbs_at_an_offset_repeats_the_unshifted_run(off):
    rng = np.random.default_rng(7)
    X, e = _regression_data(rng)
    y = e + off
    kw = dict(draws=300, tune=50, chains=2, seed=9, progress=False)
    base = lv.infer(regression_model(), data={"y": y - off, "X": X}, init={"tau": np.ones(2)}, **kw)
    moved = lv.infer(regression_model(), data={"y": y, "X": X}, init={"tau": np.ones(2)}, **kw)
    np.testing.assert_allclose(moved.draws["tau"], base.draws["tau"], rtol=1e-6)
    np.testing.assert_allclose(moved.draws["w"][..., 1:], base.draws["w"][..., 1:], rtol=1e-6, atol=1e-6)


def test_regression_gibbs_at_an_offset_repeats_the_unshifted_run():
    """At offsets 1e4 and 1e8."""
    for off in OFFSETS:
        _regression_gibbs_at_an_offset_repeats_the_unshifted_run(off)


# ---------------------------------------------------------------------------- the mechanism
def test_regrouped_terms_are_factored_and_expand_to_the_given_ones():
    from lvmdsl.symbolic.centring import centre_terms, data_plate_dims
    m = normal_model()
    cond = lv.derive(m)["tau"]
    terms, names = centre_terms(cond.natural[1], data_plate_dims(m), {"mu", "tau"})
    assert names == {"x"}
    text = " + ".join(str(t.coef) for t in terms)
    assert "(mu - x~m)**2" in text          # the degree-0 part, unexpanded: -N (mu - m)^2 / 2
    # a single product cannot cancel: left as it is
    same, none = centre_terms(lv.derive(m)["mu"].natural[0], data_plate_dims(m), {"mu", "tau"})
    assert none == set() and same == lv.derive(m)["mu"].natural[0]


# ---------------------------------------------------------------------------- a hierarchy (Rats)
def growth_model():
    with lv.Model("growth") as m:
        tau_c = lv.Gamma("tau_c", shape=1e-3, rate=1e-3)
        with lv.plate("i", "N"):
            alpha = lv.Normal("alpha", mean=0.0, var=1e40)
            beta = lv.Normal("beta", mean=0.0, var=1e40)
            with lv.plate("j", "T"):
                x = lv.Const("x", shape=())
                xbar = lv.Const("xbar", shape=())
                lv.Normal("y", mean=alpha + beta * (x - xbar), precision=tau_c, observed=True)
    return m


def test_growth_curve_precision_conditional_matches_the_closed_form():
    """Per-group intercepts at the offset: the rate regroups as T (alpha_i + beta_i (m_x - xbar) - m_y)^2
    plus centred sums, and agrees with the direct sum of squared residuals."""
    rng = np.random.default_rng(8)
    N, T = 6, 5
    xs = np.tile(np.array([8.0, 15.0, 22.0, 29.0, 36.0]), (N, 1))
    e = 100 + 6 * (xs - 22.0) + rng.normal(size=(N, T)) * 3
    d = lv.derive(growth_model())
    for kind, value in SHIFTS:
        y = _transform(kind, value, e)
        s = 1.0 if kind == "offset" else value
        alpha = _transform(kind, value, 100 + rng.normal(size=N))
        beta = (6 + 0.1 * rng.normal(size=N)) * s
        post = d["tau_c"].evaluate({"y": y, "x": xs, "xbar": np.full((N, T), 22.0), "alpha": alpha, "beta": beta})
        resid = (_back(kind, value, y) - _back(kind, value, alpha)[:, None]) * s - beta[:, None] * (xs - 22.0)
        np.testing.assert_allclose(post.params["rate"], 1e-3 + 0.5 * np.sum(resid ** 2), rtol=1e-10,
                                   err_msg=f"{kind} {value}")


def test_wishart_precision_conditional_matches_the_closed_form():
    """Vector data: the Wishart scale's inverse I + Sum (x - mu)(x - mu)' at offsets and scale."""
    D = 2
    with lv.Model("mvn") as m:
        mu = lv.MultivariateNormal("mu", mean=np.zeros(D), cov=1e40 * np.eye(D))
        L = lv.Wishart("L", df=D + 1.0, scale=np.eye(D))
        with lv.plate("n", "N"):
            lv.MultivariateNormal("x", mean=mu, precision=L, observed=True)
    e = np.random.default_rng(9).normal(size=(300, D)) @ np.array([[1.0, 0.3], [0.0, 0.5]])
    d = lv.derive(m)
    for kind, value in SHIFTS:
        x = _transform(kind, value, e)
        mu_value = _transform(kind, value, np.array([0.05, -0.02]))
        s = 1.0 if kind == "offset" else value
        post = d["L"].evaluate({"x": x, "mu": mu_value})
        r = (_back(kind, value, x) - _back(kind, value, mu_value)) * s
        np.testing.assert_allclose(np.linalg.inv(post.params["scale"]), np.eye(D) + r.T @ r, rtol=1e-10,
                                   err_msg=f"{kind} {value}")
