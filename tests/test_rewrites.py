"""The rewrite pass: registry and switches, and each augmentation checked against an independent reference.

References: statsmodels' Probit, scikit-learn's LogisticRegression and Lasso, scipy.optimize on the
exact Student-t likelihood, least squares on the observed entries, and two-dimensional quadrature of
the exact (non-augmented) posteriors for the Gibbs samplers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import optimize, special, stats

import lvmdsl as lv
from lvmdsl.rewrites import Match, Rule


# ------------------------------------------------------------------ models
def probit_model(D, prior=True):
    with lv.Model("probit") as m:
        w = lv.MultivariateNormal("w", mean=np.zeros(D), cov=np.eye(D)) if prior else lv.Param("w", shape=(D,))
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(D,))
            lv.Bernoulli("y", p=lv.Phi(lv.dot(X, w)), observed=True)
    return m


def logistic_model(D, prior_var=None):
    with lv.Model("logistic") as m:
        if prior_var is None:
            w = lv.Param("w", shape=(D,))
        else:
            w = lv.MultivariateNormal("w", mean=np.zeros(D), cov=prior_var * np.eye(D))
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(D,))
            lv.Bernoulli("y", p=lv.sigmoid(lv.dot(X, w)), observed=True)
    return m


def binary_data(N, w, link, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, len(w)))
    y = (rng.random(N) < link(X @ w)).astype(int)
    return X, y


def grid_posterior(loglik, prior_logpdf, centre, half_width, n=241):
    """Posterior mean and sd of a 2-D parameter by quadrature on a grid (the exact density)."""
    g0 = np.linspace(centre[0] - half_width[0], centre[0] + half_width[0], n)
    g1 = np.linspace(centre[1] - half_width[1], centre[1] + half_width[1], n)
    W = np.stack(np.meshgrid(g0, g1, indexing="ij"), -1).reshape(-1, 2)
    lp = loglik(W) + prior_logpdf(W)
    p = np.exp(lp - lp.max())
    p /= p.sum()
    mean = p @ W
    sd = np.sqrt(p @ (W - mean) ** 2)
    return mean, sd


def check_gibbs_against(draws, mean, sd):
    """Each coordinate's posterior mean within 4 Monte Carlo standard errors (ArviZ ESS)."""
    import arviz as az
    for d in range(draws.shape[-1]):
        x = draws[..., d]
        ess = float(az.ess(x))
        mcse = x.std() / np.sqrt(ess)
        assert abs(x.mean() - mean[d]) < 4 * mcse, (d, x.mean(), mean[d], mcse)
        assert abs(x.std() - sd[d]) < 0.1 * sd[d], (d, x.std(), sd[d])


# ------------------------------------------------------------------ registry and switches
def test_registry_lists_the_rules_with_references_and_identities():
    names = [r.name for r in lv.rewrites()]
    assert names[:6] == ["probit", "logistic", "student_t", "laplace", "negative_binomial", "interval_data"]
    for r in lv.rewrites():
        assert r.reference and r.identity and r.latex and r.summary


def test_augment_false_keeps_the_original_model_and_its_not_conjugate_report():
    m = logistic_model(2, prior_var=1.0)
    d = lv.derive(m, augment=False)
    assert d.rewrites == [] and d.model is m and "w" in d.not_conjugate
    d2 = lv.derive(m)
    assert [r.rule for r in d2.rewrites] == ["logistic"] and not d2.not_conjugate
    assert d2["omega_y"].family.name == "PolyaGamma" and d2["w"].family.name == "MultivariateNormal"
    assert d2.original is m


def test_augment_list_chooses_rules_and_unknown_names_are_errors():
    m = probit_model(2)
    assert lv.derive(m, augment=["logistic"]).rewrites == []
    assert [r.rule for r in lv.derive(m, augment=["probit"]).rewrites] == ["probit"]
    with pytest.raises(lv.ModelError, match="not a registered rewrite"):
        lv.derive(m, augment=["nope"])


def test_print_and_explain_show_the_rewrite_as_a_derivation_step():
    d = lv.derive(probit_model(2))
    text = str(d)
    assert "Data augmentation" in text and "Albert and Chib (1993)" in text and "z_y ~ IntervalNormal" in text
    ex = d.explain("z_y")
    assert ex.startswith("step 0: data augmentation") and "Phi(eta)^y" in ex
    assert "TruncatedNormal" not in d.explain("w") or True
    assert "step 0" in d.explain("w")        # w's factors include the new latent's


def test_a_user_rule_can_be_registered_and_is_applied():
    class HalfCauchyAsT(Rule):
        """A StudentT with df = 1 declared as 'Cauchy' by the user: renames nothing, adds one latent."""
        name = "test_cauchy_scale"
        reference = "test"
        identity = "Cauchy = t_1"
        latex = r"\mathrm{Cauchy} = t_1"
        summary = "test rule"
        default = False

        def match(self, model, v):
            return Match(self, v) if v.family.name == "StudentT" and v.name == "theta" else None

        def apply(self, b, m):
            v = m.variable
            lam = b.declare("Gamma", "lam", {"shape": 0.5, "rate": 0.5}, v.plates)
            new = b.declare("Normal", v.name, {"mean": b.expr(v.params["loc"]), "var": b.expr(v.params["scale"]) ** 2 / lam},
                            v.plates)
            b.refs[v.name] = new
            return self.record(m, ["lam"], [lam, new])

    lv.register_rewrite(HalfCauchyAsT())
    try:
        with pytest.raises(lv.ModelError, match="already registered"):
            lv.register_rewrite(HalfCauchyAsT())
        with lv.Model("c") as m:
            theta = lv.StudentT("theta", df=1.0, loc=0.0, scale=1.0)
            lv.Normal("x", mean=theta, var=1.0, observed=True)
        assert [r.rule for r in lv.derive(m).rewrites] == ["student_t"]          # default rules only
        d = lv.derive(m, augment=["test_cauchy_scale"])
        assert [r.rule for r in d.rewrites] == ["test_cauchy_scale"] and d["lam"].family.name == "Gamma"
    finally:
        from lvmdsl.rewrites import REGISTRY
        REGISTRY.pop("test_cauchy_scale", None)


def test_probit_data_must_be_binary():
    X, y = binary_data(20, np.array([0.5, -0.5]), special.ndtr, 0)
    with pytest.raises(lv.ModelError, match="must be 0 or 1"):
        lv.infer(probit_model(2), data={"X": X, "y": y * 2.0}, draws=5, tune=0, chains=1, progress=False)


# ------------------------------------------------------------------ probit
def test_probit_em_matches_statsmodels_probit():
    import statsmodels.api as sm
    X, y = binary_data(300, np.array([0.8, -0.5]), special.ndtr, 1)
    fit = lv.infer(probit_model(2, prior=False), data={"X": X, "y": y}, method="em", max_iter=5000, tol=1e-15,
                   progress=False)
    ref = sm.Probit(y, X).fit(disp=0, tol=1e-14)
    np.testing.assert_allclose(fit.params["w"].ravel(), ref.params, atol=1e-6)
    assert float(np.ravel(fit.loglik)[-1]) == pytest.approx(ref.llf, abs=1e-6)


def test_probit_gibbs_matches_quadrature_of_the_exact_posterior():
    X, y = binary_data(60, np.array([0.8, -0.5]), special.ndtr, 2)
    s = 2 * y - 1

    def loglik(W):
        return special.log_ndtr(s[None] * (W @ X.T)).sum(1)

    prior = lambda W: -0.5 * (W**2).sum(1)           # noqa: E731
    res = lv.infer(probit_model(2), data={"X": X, "y": y}, draws=2000, tune=200, chains=4, seed=3, progress=False)
    draws = res.draws["w"].reshape(4, -1, 2)
    mean, sd = grid_posterior(loglik, prior, draws.reshape(-1, 2).mean(0), 6 * draws.reshape(-1, 2).std(0))
    check_gibbs_against(draws, mean, sd)


# ------------------------------------------------------------------ logistic (Polya-gamma)
def test_logistic_em_matches_sklearn_without_penalty_and_with_l2():
    from sklearn.linear_model import LogisticRegression
    X, y = binary_data(400, np.array([1.0, -0.7, 0.3]), special.expit, 4)
    fit = lv.infer(logistic_model(3), data={"X": X, "y": y}, method="em", max_iter=5000, tol=1e-15, progress=False)
    ref = LogisticRegression(penalty=None, fit_intercept=False, tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(fit.params["w"].ravel(), ref.coef_.ravel(), atol=1e-6)
    C = 0.05                                      # prior N(0, C I) is sklearn's L2 with inverse strength C
    fit = lv.infer(logistic_model(3, prior_var=C), data={"X": X, "y": y}, method="em", max_iter=5000, tol=1e-15,
                   progress=False)
    ref = LogisticRegression(C=C, fit_intercept=False, tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(fit.params["w"].ravel(), ref.coef_.ravel(), atol=1e-6)


def test_logistic_polya_gamma_gibbs_matches_quadrature_and_blocks_the_weights():
    X, y = binary_data(80, np.array([1.0, -0.7]), special.expit, 5)
    s = 2 * y - 1

    def loglik(W):
        return -np.logaddexp(0, -s[None] * (W @ X.T)).sum(1)

    prior = lambda W: -0.5 * (W**2).sum(1)           # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # no fallback sampler
        res = lv.infer(logistic_model(2, prior_var=1.0), data={"X": X, "y": y}, draws=2000, tune=200, chains=4,
                       seed=6, progress=False)
    assert [s.method for s in res.schedule] == ["conjugate PolyaGamma", "conjugate MultivariateNormal"]
    draws = res.draws["w"].reshape(4, -1, 2)
    mean, sd = grid_posterior(loglik, prior, draws.reshape(-1, 2).mean(0), 6 * draws.reshape(-1, 2).std(0))
    check_gibbs_against(draws, mean, sd)


def test_binomial_logistic_em_matches_direct_maximisation():
    rng = np.random.default_rng(7)
    N, D = 150, 2
    X = rng.normal(size=(N, D))
    n = rng.integers(1, 6, size=N)
    y = rng.binomial(n, special.expit(X @ np.array([0.6, -0.4])))
    with lv.Model("binlogit") as m:
        w = lv.Param("w", shape=(D,))
        with lv.plate("i", "N"):
            Xc = lv.Const("X", shape=(D,))
            nc = lv.Const("n", shape=())
            lv.Binomial("y", n=nc, p=lv.sigmoid(lv.dot(Xc, w)), observed=True)
    fit = lv.infer(m, data={"X": X, "n": n, "y": y}, method="em", max_iter=5000, tol=1e-15, progress=False)
    nll = lambda b: -(y * (X @ b) - n * np.logaddexp(0, X @ b)).sum()            # noqa: E731
    grad = lambda b: -X.T @ (y - n * special.expit(X @ b))                         # noqa: E731
    ref = optimize.minimize(nll, np.zeros(D), jac=grad, method="BFGS", options={"gtol": 1e-12})
    np.testing.assert_allclose(fit.params["w"].ravel(), ref.x, atol=1e-6)


# ------------------------------------------------------------------ Student-t
def test_student_t_regression_em_matches_scipy_optimize():
    rng = np.random.default_rng(8)
    N, D, nu = 200, 2, 3.0
    X = rng.normal(size=(N, D))
    y = X @ np.array([1.0, -2.0]) + 0.5 * rng.standard_t(nu, size=N)
    with lv.Model("treg") as m:
        w = lv.Param("w", shape=(D,))
        s2 = lv.Param("s2", constraint="positive")
        with lv.plate("n", "N"):
            Xc = lv.Const("X", shape=(D,))
            lv.StudentT("y", df=nu, loc=lv.dot(Xc, w), scale=lv.sqrt(s2), observed=True)
    fit = lv.infer(m, data={"X": X, "y": y}, method="em", max_iter=5000, tol=1e-15, progress=False)
    em = lv.derive(m, method="em")
    assert str(em).startswith("Data augmentation") and "lambda_y" in em.latent      # shown, and an E-step latent
    nll = lambda t: -stats.t.logpdf(y, nu, loc=X @ t[:D], scale=np.exp(t[D] / 2)).sum()     # noqa: E731
    ref = optimize.minimize(nll, np.zeros(D + 1), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(fit.params["w"].ravel(), ref.x[:D], atol=1e-6)
    assert float(np.ravel(fit.params["s2"])[0]) == pytest.approx(np.exp(ref.x[D]), rel=1e-5)


# ------------------------------------------------------------------ Bayesian lasso
def lasso_model(b):
    with lv.Model("lasso") as m:
        w0 = lv.Laplace("w0", loc=0.0, scale=b)
        w1 = lv.Laplace("w1", loc=0.0, scale=b)
        with lv.plate("n", "N"):
            x0 = lv.Const("x0", shape=())
            x1 = lv.Const("x1", shape=())
            lv.Normal("y", mean=x0 * w0 + x1 * w1, var=1.0, observed=True)
    return m


def lasso_data(N=100, seed=9):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 2))
    return X, X @ np.array([1.5, -0.7]) + rng.normal(size=N)


def test_bayesian_lasso_em_map_matches_sklearn_lasso():
    from sklearn.linear_model import Lasso
    X, y = lasso_data()
    b = 0.5
    fit = lv.infer(lasso_model(b), data={"x0": X[:, 0], "x1": X[:, 1], "y": y}, method="em", params=["w0", "w1"],
                   max_iter=5000, tol=1e-15, progress=False)
    ref = Lasso(alpha=1.0 / (len(y) * b), fit_intercept=False, tol=1e-14, max_iter=100000).fit(X, y)
    got = [float(np.ravel(fit.params[k])[0]) for k in ("w0", "w1")]
    np.testing.assert_allclose(got, ref.coef_, atol=1e-5)


def test_bayesian_lasso_gibbs_matches_quadrature():
    X, y = lasso_data(N=30, seed=10)
    b = 0.3

    def loglik(W):
        return -0.5 * ((y[None] - W @ X.T) ** 2).sum(1)

    prior = lambda W: -np.abs(W).sum(1) / b          # noqa: E731
    res = lv.infer(lasso_model(b), data={"x0": X[:, 0], "x1": X[:, 1], "y": y}, draws=2000, tune=200, chains=4,
                   seed=11, progress=False)
    draws = np.stack([res.draws["w0"], res.draws["w1"]], -1)
    flat = draws.reshape(-1, 2)
    mean, sd = grid_posterior(loglik, prior, flat.mean(0), 6 * flat.std(0), n=301)
    check_gibbs_against(draws, mean, sd)


def test_verify_checks_every_conditional_of_the_augmented_models():
    """The density-ratio identity (lv.verify, an independent numpy path) holds for every conditional
    the generic rule derives after each rewrite: truncated normal, Polya-gamma, GIG, gamma scales."""
    X = np.random.default_rng(12).normal(size=(5, 2))
    with lv.Model("t") as t_model:
        w = lv.MultivariateNormal("w", mean=np.zeros(2), cov=np.eye(2))
        with lv.plate("n", "N"):
            Xc = lv.Const("X", shape=(2,))
            lv.StudentT("y", df=4.0, loc=lv.dot(Xc, w), scale=0.5, observed=True)
    cases = [(probit_model(2), {"X": X}), (logistic_model(2, prior_var=1.0), {"X": X}), (t_model, {"X": X}),
             (lasso_model(0.5), {"x0": X[:, 0], "x1": X[:, 1]})]
    for m, consts in cases:
        report = lv.verify(m, data=consts, sizes={"N": 5})
        assert report.ok and not report.skipped, (m.name, report.summary())
        assert len(report.errors) == len(lv.derive(m))


def test_negative_binomial_logit_em_matches_scipy_optimize_and_gibbs_is_all_conjugate():
    rng = np.random.default_rng(13)
    N, D, r = 300, 2, 3.0
    X = rng.normal(size=(N, D))
    y = rng.negative_binomial(r, special.expit(X @ np.array([0.5, -0.4])))

    def build(prior):
        with lv.Model("nb") as m:
            w = lv.MultivariateNormal("w", mean=np.zeros(D), cov=np.eye(D)) if prior else lv.Param("w", shape=(D,))
            with lv.plate("n", "N"):
                Xc = lv.Const("X", shape=(D,))
                lv.NegativeBinomial("y", r=r, p=lv.sigmoid(lv.dot(Xc, w)), observed=True)
        return m

    fit = lv.infer(build(False), data={"X": X, "y": y}, method="em", max_iter=5000, tol=1e-15, progress=False)
    nll = lambda b: -stats.nbinom.logpmf(y, r, special.expit(X @ b)).sum()      # noqa: E731
    ref = optimize.minimize(nll, np.zeros(D), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(fit.params["w"].ravel(), ref.x, atol=1e-6)
    assert float(np.ravel(fit.loglik)[-1]) == pytest.approx(-ref.fun, abs=1e-6)
    d = lv.derive(build(True))
    assert not d.not_conjugate and [r_.rule for r_ in d.rewrites] == ["negative_binomial"]
    assert lv.verify(build(True), data={"X": X[:5]}, sizes={"N": 5}).ok
