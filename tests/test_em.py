"""The EM runtime against scikit-learn, an independent Q function, and its own guarantees."""

from __future__ import annotations

import sys
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest

import lvmdsl as lv
from lvmdsl.runtime.em import EMProgram, EMWarning, run_em

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import em_models as em  # noqa: E402
from em_reference import feasible_directions, q_value  # noqa: E402

sklearn_mixture = pytest.importorskip("sklearn.mixture")


def run_fixed(model, data, init, n_iter, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EMWarning)
        return lv.infer(model, data=data, method="em", init=init, max_iter=n_iter, tol=1e-300,
                        progress=False, **kw)


@pytest.mark.parametrize("cov_type", ["full", "diag"])
def test_gmm_matches_scikit_learn_from_the_same_start(cov_type):
    K, D, N = 3, 3, 600
    X, _ = em.mixture_data(N, D, K, seed=1)
    rng = np.random.default_rng(2)
    means = X[rng.choice(N, K, replace=False)]
    weights = np.array([0.2, 0.3, 0.5])
    if cov_type == "full":
        covs = np.stack([np.eye(D) * s for s in (1.0, 2.0, 0.5)])
        init = {"pi": weights, "mu": means, "cov": covs}
        model, prec = em.gmm_full(K, D), np.linalg.inv(covs)
    else:
        var = np.array([[1.0, 2.0, 0.5]] * K)
        init = {"pi": weights, "mu": means, "var": var}
        model, prec = em.gmm_diag(K, D), 1 / var
    n = 40
    res = run_fixed(model, {"x": X}, init, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = sklearn_mixture.GaussianMixture(K, covariance_type=cov_type, reg_covar=0, tol=0, max_iter=n,
                                            weights_init=weights, means_init=means, precisions_init=prec).fit(X)
    assert g.n_iter_ == n and (res.n_iter == n or res.converged)     # converged: no change at all
    np.testing.assert_allclose(res.params["pi"], g.weights_, rtol=1e-6)
    np.testing.assert_allclose(res.params["mu"], g.means_, rtol=1e-6, atol=1e-9)
    cov = res.params["cov"] if cov_type == "full" else res.params["var"]
    np.testing.assert_allclose(cov, g.covariances_, rtol=1e-6, atol=1e-9)
    assert abs(res.loglik[-1] / N - g.score(X)) < 1e-6 * abs(g.score(X))


def example_runs():
    """(name, model, data, infer keywords) for every EM example model."""
    X1, _ = em.mixture_data(400, 1, 3, seed=0)
    X3, _ = em.mixture_data(300, 3, 3, seed=0)
    B, _ = em.binary_data(300, 8, 3, seed=0)
    Xp = em.low_rank_data(200, 5, 2, 0.3, seed=0)
    Xf = em.low_rank_data(200, 5, 2, [0.1, 0.2, 0.3, 0.4, 0.5], seed=0)
    Xr, yr = em.regression_data(80, 4, seed=0)
    return [
        ("gmm_1d", em.gmm_1d(3), {"x": X1}, {}),
        ("gmm_full", em.gmm_full(3, 3), {"x": X3}, {}),
        ("gmm_diag", em.gmm_diag(3, 3), {"x": X3}, {}),
        ("bernoulli_mixture", em.bernoulli_mixture(3, 8), {"x": B}, {}),
        ("ppca", em.ppca(5, 2), {"x": Xp}, {}),
        ("factor_analysis", em.ppca(5, 2, factor_analysis=True), {"x": Xf}, {}),
        ("regression_evidence", em.regression_evidence(4), {"X": Xr, "y": yr}, {"latent": ["w"]}),
    ]


@pytest.mark.parametrize("name,model,data,kw", example_runs(), ids=[r[0] for r in example_runs()])
@pytest.mark.parametrize("method", ["em", "ecm"])
def test_log_likelihood_never_decreases(name, model, data, kw, method):
    with warnings.catch_warnings():
        warnings.simplefilter("error", EMWarning)          # a decrease would be an EMWarning
        res = lv.infer(model, data=data, method=method, max_iter=150, tol=1e-10, restarts=2, seed=3,
                       progress=False, **kw)
    for path in res.all_loglik:
        steps = np.diff(path[np.isfinite(path)])
        assert np.all(steps >= -1e-9 * np.abs(path[1:]).max()), (name, steps.min())
    assert np.isfinite(res.loglik[-1])


@pytest.mark.parametrize("name,model,data,kw", example_runs(), ids=[r[0] for r in example_runs()])
def test_m_step_is_a_stationary_point_and_maximum_of_q(name, model, data, kw):
    """After one E-step at arbitrary parameters, the M-step's output has zero gradient of Q (by
    central differences of an independent Q) and no random feasible move increases Q."""
    d = lv.derive(model)
    prog = EMProgram(d, data, 1, latent=kw.get("latent"))
    rng = np.random.default_rng(0)
    from lvmdsl.runtime.em import initial_parameters
    S = initial_parameters(prog, None, rng)
    for _ in range(2):                                     # move away from the start a little
        T, _, E, _ = prog.estep_stats(S)
        prog.mstep(S, E, T)
    (latent,) = prog.latent
    kind = "discrete" if d[latent].rule == "enumeration" else "continuous"
    E, post, _ = prog.estep(S)
    post = {k: np.asarray(v)[0] for k, v in post[latent].items()}
    new = {k: v.copy() for k, v in S.items()}
    prog.mstep(new, E)
    best = {k: v[0] for k, v in new.items()}
    q0 = q_value(model, data, best, latent, post, kind)
    scale = 1.0 + abs(q0)
    for pname in prog.params:
        v = model.variables[pname]
        for direction in feasible_directions(best[pname], v.family.support.kind, rng, n=4):
            h = 1e-5
            up = {**best, pname: best[pname] + h * direction}
            down = {**best, pname: best[pname] - h * direction}
            qu, qd = (q_value(model, data, p, latent, post, kind) for p in (up, down))
            grad = (qu - qd) / (2 * h)
            assert abs(grad) < 1e-4 * scale, (pname, grad)
            far = {**best, pname: best[pname] + 1e-2 * direction}
            assert q_value(model, data, far, latent, post, kind) <= q0 + 1e-10 * scale, pname


def test_regression_hyperparameters_match_scikit_learn_bayesian_ridge():
    from sklearn.linear_model import BayesianRidge
    X, y = em.regression_data(100, 4, seed=0)
    res = lv.infer(em.regression_evidence(4), data={"X": X, "y": y}, method="em", latent=["w"], tol=1e-13,
                   progress=False)
    br = BayesianRidge(fit_intercept=False, tol=1e-14, max_iter=100000, alpha_1=0, alpha_2=0,
                       lambda_1=0, lambda_2=0).fit(X, y)
    # both maximise the evidence p(y | alpha, beta): EM and MacKay's fixed point meet at its maximum
    np.testing.assert_allclose(res.params["alpha"], br.lambda_, rtol=1e-6)
    np.testing.assert_allclose(res.params["beta"], br.alpha_, rtol=1e-6)
    w = res.posterior("w")
    np.testing.assert_allclose(w.mean(), br.coef_, rtol=1e-5)


def test_online_em_is_within_one_percent_of_batch_em_with_minibatch_memory():
    K, N = 3, 10**6
    rng = np.random.default_rng(0)
    z = rng.choice(K, N, p=[0.3, 0.5, 0.2])
    x = np.array([-4.0, 0.0, 4.0])[z] + rng.standard_normal(N) * np.array([1.0, 0.5, 1.5])[z]
    m = em.gmm_1d(K)
    tracemalloc.start()
    online = lv.infer(m, data={"x": x}, method="online_em", max_iter=300, batch_size=2000, seed=1, progress=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    batch = lv.infer(m, data={"x": x}, method="em", tol=1e-10, progress=False)
    assert abs(online.loglik[-1] - batch.loglik[-1]) < 0.01 * abs(batch.loglik[-1])
    assert peak < x.nbytes / 2          # never a full-size array: minibatch- and chunk-sized only


def test_a_decrease_is_reported_with_its_iteration_and_size():
    X, _ = em.mixture_data(300, 1, 2, seed=0)
    prog = EMProgram(lv.derive(em.gmm_1d(2)), {"x": X}, 1)
    solve = prog.namespace["solve_var"]

    def planted(S, E, T, *a):           # a wrong M-step: the variances come out 3 times too large
        solve(S, E, T, *a)
        S["var"] = S["var"] * 3.0
    prog.namespace["solve_var"] = planted
    with pytest.warns(EMWarning, match=r"EM iteration \d+: the log-likelihood decreased by"):
        run_em(prog, None, 30, 1e-12, 0, False)


def test_an_empty_component_warns_and_stays_finite_but_a_prior_holds_it():
    X, _ = em.mixture_data(200, 1, 2, seed=0)
    init = {"pi": np.array([0.5, 0.25, 0.25]), "mu": np.array([X.mean(), 1e6, -1e6]), "var": np.ones(3)}
    with pytest.warns(EMWarning, match="'var'.*collapsing component"):
        res = lv.infer(em.gmm_1d(3), data={"x": X}, method="em", init=init, max_iter=20, progress=False)
    assert all(np.all(np.isfinite(v)) for v in res.params.values())
    with lv.Model("gmm_map") as m:
        pi = lv.Dirichlet("pi", alpha=2.0 * np.ones(3))
        with lv.plate("k", 3):
            mu = lv.Normal("mu", mean=0.0, var=100.0)
            var = lv.InverseGamma("var", shape=2.0, scale=1.0)
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            lv.Normal("x", mean=mu[z], var=var[z], observed=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EMWarning)
        res = lv.infer(m, data={"x": X}, method="em", init=init, max_iter=50, progress=False)
    assert all(np.all(np.isfinite(v)) for v in res.params.values())
    assert np.all(np.diff(res.loglik) >= -1e-9 * abs(res.loglik[-1]))     # log-likelihood + log-prior


def test_restarts_keep_the_best_and_results_expose_posteriors():
    X, labels = em.mixture_data(300, 2, 3, seed=4)
    res = lv.infer(em.gmm_full(3, 2), data={"x": X}, method="em", restarts=4, seed=0, progress=False)
    assert res.all_loglik.shape[0] == 4
    assert res.loglik[-1] == np.nanmax(res.all_loglik[:, -1])
    r = res.posterior("z").params["p"]
    assert r.shape == (300, 3) and np.allclose(r.sum(1), 1)
    new = res.predict({"x": X[:5]})["z"].params["p"]
    np.testing.assert_allclose(new, r[:5], atol=1e-10)
    assert res.converged and res.n_iter < 500
    with pytest.raises(lv.ModelError, match="'pi' is not a latent"):
        res.posterior("pi")


def test_regression_predicts_new_inputs():
    X, y = em.regression_data(200, 3, seed=1)
    res = lv.infer(em.regression_evidence(3), data={"X": X, "y": y}, method="em", latent=["w"], progress=False)
    Xn = np.random.default_rng(0).standard_normal((4, 3))
    pred = res.predict({"X": Xn})["y"]
    w = res.posterior("w")
    np.testing.assert_allclose(pred["mean"], Xn @ w.mean(), atol=0.05)
    exact_var = 1 / res.params["beta"] + np.einsum("nd,de,ne->n", Xn, w.cov(), Xn)
    np.testing.assert_allclose(pred["var"], exact_var, rtol=0.1)


def test_annealed_em_reaches_a_fixed_point_and_is_monotone_after_annealing():
    X, _ = em.mixture_data(300, 1, 3, seed=2)
    with pytest.warns(lv.ConvergenceWarning):          # this data's likelihood has a long, flat ridge
        res = lv.infer(em.gmm_1d(3), data={"x": X}, method="annealed_em", seed=1, progress=False, tol=1e-10)
    assert not res.converged
    tail = res.loglik[20:]
    assert np.all(np.diff(tail) >= -1e-9 * abs(tail[-1]))
    assert np.min(np.diff(np.sort(res.params["mu"]))) > 0.1       # no two components collapsed onto one


def test_em_derivation_shows_q_expectations_e_and_m_steps():
    e = lv.derive(em.gmm_1d(3), method="em")
    text = str(e)
    assert "Q(theta, theta_old)" in text and "r_z[n, s]" in text
    assert "Lagrangian" in text and "pi_k = eta_k / sum_j eta_j" in text
    assert "dQ/dtheta" in text and "theta = eta1/eta0" in text         # the variance's M-step
    assert r"\eta" in e.to_latex()
    src = e.source()
    assert "def estep_z(" in src and "def solve_mu(" in src and "np.einsum(" in src
    assert not any(line.lstrip().startswith("for ") for line in src.splitlines())     # no Python loops
    ppca_text = str(lv.derive(em.ppca(4, 2), method="em"))
    assert "E[z zᵀ]" in ppca_text                                     # E[z z^T] is named
    assert "m = P^-1 h" in ppca_text


def test_split_errors_name_the_unknowns():
    X, _ = em.mixture_data(50, 1, 2, seed=0)
    with pytest.raises(lv.ModelError, match="'nope' is not an unknown"):
        lv.infer(em.gmm_1d(2), data={"x": X}, method="em", latent=["nope"], progress=False)
    with pytest.raises(lv.ModelError, match="cannot be both latent and a parameter"):
        lv.infer(em.gmm_1d(2), data={"x": X}, method="em", latent=["mu"], params=["mu"], progress=False)
    with pytest.raises(lv.ModelError, match="init gives 'z'"):
        lv.infer(em.gmm_1d(2), data={"x": X}, method="em", init={"z": 0}, progress=False)
    with pytest.raises(lv.ModelError, match="Gibbs sampling cannot draw"):
        lv.infer(em.gmm_1d(2), data={"x": X}, method="gibbs", progress=False)


def test_monte_carlo_em_agrees_with_em_and_handles_a_non_conjugate_latent():
    from lvmdsl.demo import synthetic_gmm
    x, _ = synthetic_gmm(1000, 0)
    init = {"pi": np.ones(3) / 3, "mu": np.array([-4.0, 0.5, 4.0]), "var": np.ones(3)}
    mc = lv.infer(em.gmm_1d(3), data={"x": x}, method="mcem", init=init, max_iter=30, mc_draws=20, seed=0,
                  progress=False)
    exact = lv.infer(em.gmm_1d(3), data={"x": x}, method="em", init=init, progress=False)
    # Monte Carlo error of a mean over ~N * draws allocations is far below these tolerances
    np.testing.assert_allclose(mc.params["mu"], exact.params["mu"], atol=0.05)
    np.testing.assert_allclose(mc.params["var"], exact.params["var"], rtol=0.1)
    rng = np.random.default_rng(0)
    u = rng.normal(0, 0.7, 400)
    y = rng.poisson(2.0 * np.exp(u))
    with lv.Model("poisson_lognormal") as m:
        s2 = lv.Param("s2", constraint="positive")
        with lv.plate("n", "N"):
            uu = lv.Normal("u", mean=0.0, var=s2)
            lv.Poisson("y", rate=2.0 * lv.exp(uu), observed=True)
    with pytest.raises(lv.ModelError, match="closed form.*mcem"):
        lv.infer(m, data={"y": y}, method="em", progress=False)
    res = lv.infer(m, data={"y": y}, method="mcem", max_iter=40, mc_draws=10, seed=1, progress=False)
    assert abs(res.params["s2"] - 0.49) < 0.15              # the truth, within the estimator's spread
    assert res.latent_draws["u"].shape == (1, 10, 400)


def test_generalised_em_for_a_parameter_without_a_closed_form_m_step():
    """A mixture of Gammas: the shapes a[k] have no closed-form M-step (log Gamma(a)); EM increases Q
    numerically with the symbolic gradient, the rates keep their closed form, and the path is monotone."""
    with lv.Model("gamma_mixture") as m:
        pi = lv.Param("pi", shape=(2,), constraint="simplex")
        with lv.plate("k", 2):
            a = lv.Param("a", constraint="positive")
            b = lv.Param("b", constraint="positive")
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            lv.Gamma("x", shape=a[z], rate=b[z], observed=True)
    rng = np.random.default_rng(0)
    zz = rng.choice(2, 3000, p=[0.4, 0.6])
    x = rng.gamma(np.array([2.0, 9.0])[zz]) / np.array([1.0, 0.5])[zz]
    text = str(lv.derive(m, method="em"))
    assert "generalised EM" in text and "polygamma(0, a[s])" in text
    res = lv.infer(m, data={"x": x}, method="em", restarts=2, seed=0, tol=1e-10, progress=False)
    order = np.argsort(res.params["a"])
    np.testing.assert_allclose(res.params["a"][order], [2.0, 9.0], rtol=0.15)
    np.testing.assert_allclose(res.params["b"][order], [1.0, 0.5], rtol=0.15)
    assert np.all(np.diff(res.loglik) >= -1e-9 * abs(res.loglik[-1]))
