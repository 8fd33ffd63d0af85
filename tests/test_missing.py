"""Missing and censored data, and the joint factors the augmentations add.

References: least squares on the observed entries (missing y at random), scipy.optimize on the
censored (Tobit) likelihood, closed-form conditional moments for Gibbs imputations, quadrature and
Monte Carlo over Polya-gamma draws for the integral identities behind the rewrites.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

import lvmdsl as lv
from lvmdsl.families import FAMILIES


def regression(prior: bool):
    with lv.Model("reg") as m:
        if prior:
            a = lv.Normal("a", mean=0.0, var=100.0)
            b = lv.Normal("b", mean=0.0, var=100.0)
            tau = lv.Gamma("tau", shape=1.0, rate=1.0)
        else:
            a, b = lv.Param("a"), lv.Param("b")
            s2 = lv.Param("s2", constraint="positive")
        with lv.plate("n", "N"):
            x = lv.Const("x", shape=())
            if prior:
                lv.Normal("y", mean=a + b * x, precision=tau, observed=True)
            else:
                lv.Normal("y", mean=a + b * x, var=s2, observed=True)
    return m


def data(N=200, frac=0.2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=N)
    y = 1 + 2 * x + 0.7 * rng.normal(size=N)
    miss = rng.random(N) < frac
    return x, y, miss


def test_regression_em_with_20_percent_of_y_missing_matches_the_observed_data_mle():
    x, y, miss = data()
    y_nan = np.where(miss, np.nan, y)
    fit = lv.infer(regression(False), data={"x": x, "y": y_nan}, method="em", max_iter=3000, tol=1e-15,
                   progress=False)
    o = ~miss
    A = np.c_[np.ones(o.sum()), x[o]]
    coef = np.linalg.lstsq(A, y[o], rcond=None)[0]
    s2 = np.mean((y[o] - A @ coef) ** 2)
    got = [float(np.ravel(fit.params[k])[0]) for k in ("a", "b", "s2")]
    np.testing.assert_allclose(got, [*coef, s2], atol=1e-6)
    ll = stats.norm.logpdf(y[o], A @ coef, np.sqrt(s2)).sum()
    assert float(np.ravel(fit.loglik)[-1]) == pytest.approx(ll, abs=1e-6)


def test_a_masked_array_marks_missing_entries_like_nan():
    x, y, miss = data(N=60, seed=1)
    d1 = lv.derive(regression(False), data={"x": x, "y": np.ma.masked_array(y, mask=miss)})
    d2 = lv.derive(regression(False), data={"x": x, "y": np.where(miss, np.nan, y)})
    assert [r.rule for r in d1.rewrites] == [r.rule for r in d2.rewrites] == ["interval_data"]
    assert f"{miss.sum()} of 60 entries" in d1.rewrites[0].notes[0]
    assert lv.derive(regression(False), data={"x": x, "y": y}).rewrites == []       # nothing missing


def test_gibbs_imputations_have_the_conditional_mean_and_variance():
    x, y, miss = data(N=120, seed=2)
    res = lv.infer(regression(True), data={"x": x, "y": np.where(miss, np.nan, y)}, draws=1500, tune=200,
                   chains=2, seed=3, progress=False)
    step = next(s for s in res.schedule if s.name == "y_complete")
    assert f"({miss.sum()} missing or censored, {(~miss).sum()} observed)" in step.blocking
    full = res.draws["y_complete"]
    assert np.array_equal(full[..., ~miss], np.broadcast_to(y[~miss], full[..., ~miss].shape))
    a, b, tau = (res.draws[k][..., None] for k in ("a", "b", "tau"))
    # each stored state is a draw of the joint posterior, under which y[missing] | a, b, tau is
    # N(a + b x, 1/tau): standardised, the imputations are N(0, 1) given the parameters
    z = ((full - a - b * x) * np.sqrt(tau))[..., miss]
    import arviz as az
    for stat, target in ((z.mean(-1), 0.0), ((z**2).mean(-1), 1.0)):      # per draw: (chains, draws)
        se = stat.std() / np.sqrt(float(az.ess(stat)))
        assert abs(stat.mean() - target) < 4 * se, (stat.mean(), target, se)


def test_censored_normal_em_matches_the_tobit_likelihood():
    rng = np.random.default_rng(4)
    N, c = 300, 1.5
    x = rng.normal(size=N)
    ystar = 0.5 + 1.2 * x + rng.normal(size=N)
    cens = ystar > c
    lower = np.where(cens, c, ystar)
    upper = np.where(cens, np.inf, ystar)
    fit = lv.infer(regression(False), data={"x": x, "y": lv.interval(lower, upper)}, method="em", max_iter=5000,
                   tol=1e-15, progress=False)

    def nll(t):
        a, b, ls = t
        s = np.exp(ls / 2)
        mu = a + b * x
        return -(stats.norm.logpdf(ystar[~cens], mu[~cens], s).sum() + stats.norm.logsf(c, mu[cens], s).sum())

    ref = optimize.minimize(nll, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    got = [float(np.ravel(fit.params[k])[0]) for k in ("a", "b", "s2")]
    np.testing.assert_allclose(got[:2], ref.x[:2], atol=1e-6)
    assert got[2] == pytest.approx(np.exp(ref.x[2]), rel=1e-5)
    assert float(np.ravel(fit.loglik)[-1]) == pytest.approx(-ref.fun, abs=1e-6)


def test_interval_bounds_are_checked():
    with pytest.raises(lv.ModelError, match="exceeds"):
        lv.interval([1.0, 2.0], [0.0, 3.0])
    with pytest.raises(lv.ModelError, match="NaN"):
        lv.interval([np.nan], [1.0])


# ------------------------------------------------------------------ the joint factors
def test_interval_normal_integrates_to_the_interval_probability_and_conditions_to_truncnorm():
    f = FAMILIES["IntervalNormal"]
    p = {"mean": np.array(0.3), "var": np.array(2.0), "lower": np.array(-0.5), "upper": np.array(1.7)}
    mass, _ = integrate.quad(lambda z: np.exp(f.logpdf(np.array(z), p)), -0.5, 1.7)
    s = np.sqrt(2.0)
    assert mass == pytest.approx(special.ndtr((1.7 - 0.3) / s) - special.ndtr((-0.5 - 0.3) / s), rel=1e-10)
    tn = FAMILIES["TruncatedNormal"]
    for z in (-0.2, 0.4, 1.5):
        assert float(f.logpdf(np.array(z), p)) - np.log(mass) == pytest.approx(float(tn.logpdf(np.array(z), p)),
                                                                             rel=1e-10)
    point = {**p, "lower": np.array(0.9), "upper": np.array(0.9)}
    assert float(f.logpdf(np.array(0.9), point)) == pytest.approx(stats.norm.logpdf(0.9, 0.3, s))


@pytest.mark.parametrize("fam,n", [("PolyaGammaBernoulli", 1), ("PolyaGammaBinomial", 4)])
def test_polya_gamma_factor_integrates_to_the_logistic_likelihood(fam, n):
    """E over omega ~ PG(n, 0) of exp(factor) is sigmoid(eta)^y (1 - sigmoid(eta))^(n - y) C(n, y)."""
    f = FAMILIES[fam]
    rng = np.random.default_rng(5)
    omega = FAMILIES["PolyaGamma"].sample(rng, {"b": np.array(float(n)), "c": np.array(0.0)}, (400_000,))
    for eta in (-1.3, 0.4):
        for y in range(n + 1):
            p = {"eta": np.array(eta), "omega": omega, "n": np.array(float(n))}
            vals = np.exp(f.logpdf(np.array(float(y)), p))
            want = stats.binom.pmf(y, n, special.expit(eta))
            assert abs(vals.mean() - want) < 5 * vals.std() / np.sqrt(vals.size)


def test_polya_gamma_moments_by_its_definition_as_a_sum_of_gammas():
    """PG(b, c) = (1 / (2 pi^2)) sum_k g_k / ((k - 1/2)^2 + c^2 / (4 pi^2)), g_k ~ Gamma(b, 1): a
    truncated sum, compared with the family's closed-form mean and its sampler's mean."""
    rng = np.random.default_rng(6)
    b, c, K, n = 2.0, 1.7, 1000, 10_000
    k = np.arange(1, K + 1)
    g = rng.gamma(b, size=(n, K))
    direct = (g / ((k - 0.5) ** 2 + c**2 / (4 * np.pi**2))).sum(1) / (2 * np.pi**2)
    f = FAMILIES["PolyaGamma"]
    p = {"b": np.array(b), "c": np.array(c)}
    draws = f.sample(rng, p, (n,))
    assert abs(direct.mean() - f.mean(p)) < 5 * direct.std() / np.sqrt(n) + 2e-4     # truncation at K terms: below 2e-4
    assert abs(draws.mean() - f.mean(p)) < 5 * draws.std() / np.sqrt(n)
    assert stats.ks_2samp(direct, draws).pvalue > 1e-3


def test_polya_gamma_joint_factor_integrates_to_the_negative_binomial_likelihood():
    f = FAMILIES["PolyaGammaJoint"]
    rng = np.random.default_rng(7)
    r, eta = 3.0, 0.6               # integer b = y + r: the exact sampler (see families/polya_gamma.py)
    for y in (0, 3):
        b = y + r
        omega = FAMILIES["PolyaGamma"].sample(rng, {"b": np.array(b), "c": np.array(0.0)}, (100_000,))
        p = {"b": np.array(b), "eta": np.array(eta), "kappa": np.array((r - y) / 2),
             "logc": np.array(special.gammaln(y + r) - special.gammaln(r) - special.gammaln(y + 1))}
        base = FAMILIES["PolyaGamma"].logpdf(omega, {"b": np.array(b), "c": np.array(0.0)})
        vals = np.exp(f.logpdf(omega, p) - base)          # the factor divided by PG(omega | b, 0)
        want = stats.nbinom.pmf(y, r, special.expit(eta))
        assert abs(vals.mean() - want) < 5 * vals.std() / np.sqrt(vals.size)


def test_poisson_with_missing_and_right_censored_counts_em_matches_the_exact_likelihood():
    rng = np.random.default_rng(8)
    N, c = 400, 6
    x = rng.normal(size=N) * 0.5
    k = rng.poisson(np.exp(1.2 + 0.5 * x))
    cens = k >= c                                   # only "k >= c" is known
    miss = rng.random(N) < 0.2
    lower = np.where(miss, 0.0, np.where(cens, c, k))
    upper = np.where(miss | cens, np.inf, k)
    with lv.Model("counts") as m:
        lam = lv.Param("lam", constraint="positive")
        with lv.plate("n", "N"):
            lv.Poisson("k", rate=lam, observed=True)
    fit = lv.infer(m, data={"k": lv.interval(lower, upper)}, method="em", max_iter=5000, tol=1e-15, progress=False)
    obs = ~miss & ~cens

    def nll(t):
        rate = np.exp(t[0])
        return -(stats.poisson.logpmf(k[obs], rate).sum() + stats.poisson.logsf(c - 1, rate) * np.sum(cens & ~miss))

    ref = optimize.minimize(nll, np.zeros(1), method="BFGS", options={"gtol": 1e-12})
    assert float(np.ravel(fit.params["lam"])[0]) == pytest.approx(np.exp(ref.x[0]), rel=1e-6)
    assert float(np.ravel(fit.loglik)[-1]) == pytest.approx(-ref.fun, abs=1e-6)
    res = lv.infer(lv_gamma_poisson(), data={"k": lv.interval(lower, upper)}, draws=300, tune=50, chains=2,
                   progress=False)
    full = res.draws["k_complete"]
    assert np.array_equal(full[..., obs], np.broadcast_to(k[obs], full[..., obs].shape))
    assert np.all(full[..., cens & ~miss] >= c) and np.all(np.mod(full, 1) == 0)


def lv_gamma_poisson():
    with lv.Model("counts_bayes") as m:
        lam = lv.Gamma("lam", shape=1.0, rate=0.1)
        with lv.plate("n", "N"):
            lv.Poisson("k", rate=lam, observed=True)
    return m


# ------------------------------------------------------------------ vectors with missing coordinates
def mvn_missing_data(N=300, seed=9):
    rng = np.random.default_rng(seed)
    C = np.array([[1.0, 0.5, 0.2], [0.5, 2.0, 0.3], [0.2, 0.3, 1.5]])
    x = rng.multivariate_normal([1.0, -1.0, 0.5], C, size=N)
    return np.where(rng.random(x.shape) < 0.2, np.nan, x)


def observed_loglik(x, mu, C):
    """log p(observed coordinates), each vector's Gaussian marginalised over its missing ones (scipy)."""
    total = 0.0
    patterns = ~np.isnan(x)
    for o in np.unique(patterns, axis=0):          # the vectors that share a pattern, at once
        if o.any():
            rows = x[np.all(patterns == o, axis=1)][:, o]
            total += np.sum(stats.multivariate_normal(mu[o], C[np.ix_(o, o)]).logpdf(rows))
    return total


def test_mvn_with_20_percent_of_coordinates_missing_em_matches_the_observed_data_mle():
    x = mvn_missing_data()
    D = x.shape[1]
    with lv.Model("mvn") as m:
        mean = lv.Param("mean", shape=(D,))
        P = lv.Param("P", shape=(D, D), constraint="positive_definite")
        with lv.plate("n", "N"):
            lv.MultivariateNormal("x", mean=mean, precision=P, observed=True)
    fit = lv.infer(m, data={"x": x}, method="em", max_iter=5000, tol=1e-15, progress=False)
    mu_em, C_em = fit.params["mean"].ravel(), np.linalg.inv(fit.params["P"].reshape(D, D))
    iu = np.tril_indices(D)

    def unpack(t):
        L = np.zeros((D, D))
        L[iu] = t[D:]
        return t[:D], L @ L.T

    def nll(t):
        mu, C = unpack(t)
        return -observed_loglik(x, mu, C)

    cc = x[~np.isnan(x).any(1)]                     # start from the complete cases
    start = np.r_[cc.mean(0), np.linalg.cholesky(np.cov(cc.T))[iu]]
    ref = optimize.minimize(nll, start, method="BFGS", options={"gtol": 1e-9})
    mu_ref, C_ref = unpack(ref.x)
    np.testing.assert_allclose(mu_em, mu_ref, atol=1e-5)
    np.testing.assert_allclose(C_em, C_ref, atol=1e-5)
    assert float(np.ravel(fit.loglik)[-1]) == pytest.approx(observed_loglik(x, mu_em, C_em), abs=1e-8)
    assert -ref.fun <= observed_loglik(x, mu_em, C_em) + 1e-8


def test_mvn_gibbs_imputations_follow_the_conditional_of_the_missing_coordinates():
    x = mvn_missing_data(N=150, seed=10)
    D = x.shape[1]
    with lv.Model("mvn_bayes") as m:
        mean = lv.MultivariateNormal("mean", mean=np.zeros(D), cov=100 * np.eye(D))
        P = lv.Wishart("P", df=D + 2.0, scale=np.eye(D))
        with lv.plate("n", "N"):
            lv.MultivariateNormal("x", mean=mean, precision=P, observed=True)
    res = lv.infer(m, data={"x": x}, draws=500, tune=100, chains=2, seed=11, progress=False)
    full, mu, Pd = res.draws["x_complete"], res.draws["mean"], res.draws["P"]
    miss = np.isnan(x)
    assert np.array_equal(full[..., ~miss], np.broadcast_to(x[~miss], full[..., ~miss].shape))
    # vectors missing only their first coordinate: x_0 | x_12 ~ N(mu_0 - (x_12 - mu_12) P_0,12 / P_00, 1 / P_00)
    rows = np.nonzero(miss[:, 0] & ~miss[:, 1] & ~miss[:, 2])[0]
    assert len(rows) > 5
    cond_mean = mu[..., None, 0] - np.einsum("cse,csne->csn", Pd[..., 0, 1:], x[rows][:, 1:][None, None] - mu[..., None, 1:]) \
        / Pd[..., None, 0, 0]
    z = (full[..., rows, 0] - cond_mean) * np.sqrt(Pd[..., None, 0, 0])
    import arviz as az
    for stat, target in ((z.mean(-1), 0.0), ((z**2).mean(-1), 1.0)):
        se = stat.std() / np.sqrt(float(az.ess(stat)))
        assert abs(stat.mean() - target) < 4 * se, (stat.mean(), target, se)


def test_partly_observed_mvn_conditional_matches_the_covariance_form():
    """The precision-form conditional (one solve with decoupled blocks) against the textbook
    covariance form mu_m + C_mo C_oo^-1 (x_o - mu_o), C_mm - C_mo C_oo^-1 C_om, pattern by pattern."""
    rng = np.random.default_rng(12)
    D = 4
    A = rng.normal(size=(D, D))
    C = A @ A.T + D * np.eye(D)
    mu = rng.normal(size=D)
    f, q = FAMILIES["PartlyObservedMVN"], FAMILIES["PartlyObservedMVNConditional"]
    x = rng.normal(size=(6, D))
    x[0, 1] = x[1, [0, 3]] = x[2, :3] = x[4, :] = np.nan        # row 3 and 5: nothing missing
    p = {"mean": mu, "precision": np.linalg.inv(C), "observed": x}
    mean, cov = f.mean(p), f.cov(p)
    draw = f.sample(rng, p)
    for n in range(len(x)):
        m = np.isnan(x[n])
        o = ~m
        want_m = mu[m] + C[np.ix_(m, o)] @ np.linalg.solve(C[np.ix_(o, o)], x[n, o] - mu[o]) if o.any() else mu[m]
        want_c = C[np.ix_(m, m)] - (C[np.ix_(m, o)] @ np.linalg.solve(C[np.ix_(o, o)], C[np.ix_(o, m)]) if o.any() else 0)
        np.testing.assert_allclose(mean[n, m], want_m, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(mean[n, o], x[n, o])
        np.testing.assert_allclose(cov[n][np.ix_(m, m)], want_c, rtol=1e-10, atol=1e-12)
        assert np.all(cov[n][o] == 0) and np.array_equal(draw[n, o], x[n, o])
        got = float(q.logpdf(draw[n], {k: (v[n] if k == "observed" else v) for k, v in p.items()}))
        want = stats.multivariate_normal(want_m, want_c).logpdf(draw[n, m]) if m.any() else 0.0
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_bad_interval_and_missing_data_are_model_errors_naming_the_variable():
    x = np.arange(10.0)
    with pytest.raises(lv.ModelError, match="'y' has shape \\(9,\\)"):
        lv.infer(regression(False), data={"x": x, "y": np.r_[np.nan, np.arange(8.0)]}, method="em", progress=False)
    with pytest.raises(lv.ModelError, match="one shape"):
        lv.interval([1.0, 2.0], [3.0, 4.0, 5.0])
    with lv.Model("bern") as m:
        p = lv.Beta("p", a=1.0, b=1.0)
        with lv.plate("n", "N"):
            lv.Bernoulli("y", p=p, observed=True)
    with pytest.raises(lv.ModelError, match="NaN marks missing entries only"):
        lv.infer(m, data={"y": np.array([1.0, np.nan, 0.0])}, draws=5, chains=1, progress=False)
