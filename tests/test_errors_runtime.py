"""Runs that were silently wrong: draws on the support's boundary, stranded chains, EM's stopping
rules and collapsing annealing, a discrete unknown outside every plate, interrupts.  Each test
is checked against an independent answer (brute-force enumeration, scipy, a closed form)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.stats import multivariate_normal, norm

import lvmdsl as lv

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
import em_models as em  # noqa: E402
from data import growth_curve_data, growth_curve_model  # noqa: E402


# ----------------------------------------------------------------------------- the support holds

def test_vague_gamma_draws_never_land_on_zero():
    """Under Gamma(1e-3, 1e-3) about half the draws are below 5e-324 and used to be stored as 0.0."""
    with lv.Model("vague") as m:
        tau = lv.Gamma("tau", shape=1e-3, rate=1e-3)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=0.0, precision=tau, observed=True)
    res = lv.infer(m, {"x": np.zeros(0)}, draws=2000, chains=2, progress=False, seed=0)
    t = res.draws["tau"]
    assert np.all(t > 0) and np.all(np.isfinite(1 / t))
    # the prior's mass below the smallest normal double, P(tau < 2.2e-308) = (2.2e-311)^0.001 / Gamma(1.001)
    p_tiny = np.exp(1e-3 * np.log(np.finfo(float).tiny * 1e-3)) / 0.99943
    frac = np.mean(t == np.finfo(float).tiny)
    assert abs(frac - p_tiny) < 4 * np.sqrt(p_tiny * (1 - p_tiny) / t.size)


# ----------------------------------------------------------------------------- chains that cannot strand

def test_rats_seed_4_every_chain_finds_sigma():
    res = lv.infer(growth_curve_model(), growth_curve_data(), draws=1000, chains=4, seed=4, progress=False)
    sigma = (1 / np.sqrt(res.draws["tau_c"])).mean(1)
    assert np.all(np.abs(sigma - 6.1) < 0.5), sigma
    assert np.all(np.abs(res.draws["alpha_c"].mean(1) - 242.5) < 2)


@pytest.mark.slow
def test_rats_128_chains_default_inits_every_chain_finds_sigma():
    res = lv.infer(growth_curve_model(), growth_curve_data(), chains=128, seed=0, progress=False)
    sigma = (1 / np.sqrt(res.draws["tau_c"])).mean(1)
    assert np.all(np.abs(sigma - 6.1) < 0.5), sigma


def test_initial_values_sit_at_the_prior_centre_jittered_per_chain():
    from lvmdsl.graph.validate import bind_data
    from lvmdsl.runtime.initial import initial_state
    m = growth_curve_model()
    env, sizes = bind_data(m, growth_curve_data())
    S = initial_state(m, env, sizes, 64, np.random.default_rng(0), None)
    tau = S["tau_c"]                                   # Gamma(0.001, 0.001): mean 1
    assert np.all((tau > np.exp(-0.5)) & (tau < np.exp(0.5))) and np.ptp(tau) > 0.5
    assert np.all(np.abs(S["alpha_c"]) <= 1.0) and len(np.unique(S["alpha_c"])) == 64


def test_summary_warns_of_a_stranded_chain_by_name():
    with lv.Model("m") as m:
        mu = lv.Normal("mu", mean=0.0, var=10.0)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=mu, var=1.0, observed=True)
    res = lv.infer(m, {"x": np.zeros(10)}, draws=500, chains=8, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", lv.StrandedChainWarning)
        res.summary()                                  # healthy chains: quiet
    res.draws["mu"][5] += 3.0                          # 3 / sd(0.31) = 9.5 sd away
    with pytest.warns(lv.StrandedChainWarning, match=r"'mu': chain 5 \(mu: \d+ sd from the other chains\)"):
        table = res.summary()
    assert table.loc["mu", "r_hat"] < 1.6             # not something R-hat alone would flag sharply


# ----------------------------------------------------------------------------- EM stopping rules

def three_clusters(seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(-4, 1, 150), rng.normal(0, 0.5, 100), rng.normal(5, 1.5, 150)])


def test_max_iter_warns_and_is_not_converged():
    X = three_clusters(0)
    with pytest.warns(lv.ConvergenceWarning, match=r"max_iter=3 before converging"):
        res = lv.infer(em.gmm_1d(3), {"x": X}, method="em", max_iter=3, progress=False)
    assert not res.converged and res.n_iter == 3


def test_tol_zero_runs_max_iter_iterations():
    X = three_clusters(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", lv.ConvergenceWarning)
        res = lv.infer(em.gmm_1d(3), {"x": X}, method="em", tol=0, max_iter=40, progress=False)
    assert res.n_iter == 40 and not res.converged
    loose = lv.infer(em.gmm_1d(3), {"x": X}, method="em", tol=1e-6, max_iter=40, progress=False)
    assert loose.converged and loose.n_iter < 40


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_default_annealed_em_does_not_collapse_components(seed):
    """The old default schedule (beta from 0.05) gave three identical components (-1119 against -971)."""
    X = three_clusters(seed)
    a = lv.infer(em.gmm_1d(3), {"x": X}, method="annealed_em", seed=seed, progress=False)
    e = lv.infer(em.gmm_1d(3), {"x": X}, method="em", seed=seed, progress=False)
    assert np.min(np.diff(np.sort(a.params["mu"]))) > 2.0
    assert a.loglik[-1] >= e.loglik[-1] - 1e-6 * abs(e.loglik[-1])
    assert a.converged


# ----------------------------------------------------------------------------- a discrete unknown outside every plate

PS, M0, Y = np.array([0.3, 0.7]), np.array([0.0, 1.0]), np.array([0.2, 0.9, 0.4, -0.3, 0.8])


def regime_model():
    """s picks which of two means every data point shares; mu[k] ~ N(m0[k], 1)."""
    with lv.Model("regime") as m:
        with lv.plate("k", 2):
            m0 = lv.Const("m0", M0)
            mu = lv.Normal("mu", mean=m0, var=1.0)
        s = lv.Categorical("s", p=PS)
        with lv.plate("n", "N"):
            lv.Normal("y", mean=mu[s], var=1.0, observed=True)
    return m


def exact_posterior():
    """p(s | y) by enumerating s and integrating mu in closed form: y | s=k ~ N(m0[k] 1, I + 1 1')."""
    N = len(Y)
    logm = np.array([np.log(PS[k]) + multivariate_normal(np.full(N, M0[k]), np.eye(N) + np.ones((N, N))).logpdf(Y)
                     for k in range(2)])
    p = np.exp(logm - np.logaddexp(*logm))
    post_mean = (M0 + Y.sum()) / (1 + N)             # mu[k] | s = k, y
    e_mu = p * post_mean + (1 - p) * M0
    return p, e_mu


def neg_log_posterior(mu):
    lik = [np.log(PS[k]) + norm.logpdf(Y, mu[k], 1).sum() for k in range(2)]
    return -(np.logaddexp(*lik) + norm.logpdf(mu, M0, 1).sum())


def test_change_point_outside_plates_gibbs_matches_enumeration():
    res = lv.infer(regime_model(), {"y": Y}, draws=4000, chains=4, seed=2, progress=False)
    p, e_mu = exact_posterior()
    s = res.draws["s"]
    assert s.shape == (4, 4000)
    assert abs(s.mean() - p[1]) < 0.03                         # sd of the mean ~0.004 x sqrt(autocorrelation)
    np.testing.assert_allclose(res.draws["mu"].mean((0, 1)), e_mu, atol=0.05)


def test_change_point_outside_plates_em_is_latent_and_finds_the_map():
    fit = lv.infer(regime_model(), {"y": Y}, method="em", progress=False, tol=1e-12)
    assert fit.latent == ["s"] and fit.param_names == ["mu"]   # latent by default, not a parameter
    ref = minimize(neg_log_posterior, fit.params["mu"], method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(fit.params["mu"], ref.x, atol=1e-6)
    assert abs(fit.loglik[-1] + ref.fun) < 1e-6
    lik = np.array([np.log(PS[k]) + norm.logpdf(Y, ref.x[k], 1).sum() for k in range(2)])
    np.testing.assert_allclose(fit.posterior("s").params["p"], np.exp(lik - np.logaddexp(*lik)), atol=1e-6)
    mc = lv.infer(regime_model(), {"y": Y}, method="mcem", mc_draws=400, seed=1, progress=False)
    np.testing.assert_allclose(mc.params["mu"], ref.x, atol=0.02)


def test_change_point_em_derivation_lists_it_as_latent():
    text = str(lv.derive(regime_model(), method="em"))
    assert "latent (E-step): s" in text and "no stationary point" not in text


# ----------------------------------------------------------------------------- interrupts keep the work

def test_gibbs_interrupt_returns_the_draws_so_far(monkeypatch):
    from lvmdsl.runtime import gibbs
    sweep = gibbs.GibbsProgram.sweep

    def interrupted(self, S, rng, no):
        if no == 30:
            raise KeyboardInterrupt
        return sweep(self, S, rng, no)
    monkeypatch.setattr(gibbs.GibbsProgram, "sweep", interrupted)
    with pytest.warns(lv.InterruptedRunWarning, match="after 20 of 100 draws"):
        res = lv.infer(regime_model(), {"y": Y}, draws=100, tune=10, chains=2, progress=False)
    assert res.interrupted and res.draws["mu"].shape == (2, 20, 2)
    assert np.all(np.isfinite(res.draws["mu"]))


def test_em_interrupt_returns_the_last_complete_iteration(monkeypatch):
    from lvmdsl.runtime import em as rem
    mstep = rem.EMProgram.mstep
    seen = {}

    def interrupted(self, S, E, T=None, exact=True, iteration=0, batch=None):
        if iteration == 4:
            seen["S"] = {k: v.copy() for k, v in S.items()}
            raise KeyboardInterrupt
        return mstep(self, S, E, T, exact, iteration, batch)
    monkeypatch.setattr(rem.EMProgram, "mstep", interrupted)
    with pytest.warns(lv.EMWarning, match="interrupted after 5 iteration"):
        fit = lv.infer(em.gmm_1d(3), {"x": three_clusters(0)}, method="em", progress=False)
    assert fit.interrupted and not fit.converged and "interrupted" in repr(fit)
    for k, v in seen["S"].items():                   # the parameters the interrupted M-step started from
        np.testing.assert_array_equal(fit.params[k], v[0])


# ----------------------------------------------------------------------------- fast defaults

def test_the_per_draw_log_joint_is_off_by_default():
    res = lv.infer(regime_model(), {"y": Y}, draws=5, chains=2, progress=False)
    assert "lp" not in res.sample_stats
    res = lv.infer(regime_model(), {"y": Y}, draws=5, chains=2, progress=False, lp=True)
    assert res.sample_stats["lp"].shape == (2, 5)


DYES = np.array([[1545, 1440, 1440, 1520, 1580], [1540, 1555, 1490, 1560, 1495], [1595, 1550, 1605, 1510, 1560],
                 [1445, 1440, 1595, 1465, 1545], [1595, 1630, 1515, 1635, 1625], [1520, 1455, 1450, 1480, 1445]],
                float)


def test_dyes_seed_4_no_chain_is_stranded():
    """BUGS Dyes (batch yields, vague Gamma(0.001, 0.001) precisions): every chain's mean of theta
    near the grand mean 1527.5 (posterior sd about 22), and no stranded-chain warning."""
    with lv.Model("dyes") as m:
        theta = lv.Normal("theta", mean=0.0, precision=1e-10)
        tau_between = lv.Gamma("tau_between", shape=0.001, rate=0.001)
        tau_within = lv.Gamma("tau_within", shape=0.001, rate=0.001)
        with lv.plate("i", "B"):
            mu = lv.Normal("mu", mean=theta, precision=tau_between)
            with lv.plate("j", "S"):
                lv.Normal("y", mean=mu, precision=tau_within, observed=True)
    res = lv.infer(m, {"y": DYES}, draws=2000, chains=4, seed=4, progress=False)
    assert np.all(np.abs(res.draws["theta"].mean(1) - 1527.5) < 10), res.draws["theta"].mean(1)
    sigma_within = (1 / np.sqrt(res.draws["tau_within"])).mean(1)
    assert np.all((sigma_within > 40) & (sigma_within < 65)), sigma_within
    with warnings.catch_warnings():
        warnings.simplefilter("error", lv.StrandedChainWarning)
        res.summary(var_names=["theta", "tau_within"])


def test_online_em_and_mcem_interrupts_keep_the_work(monkeypatch):
    from lvmdsl.runtime import em as rem
    from lvmdsl.runtime import gibbs
    X = three_clusters(0)
    mstep = rem.EMProgram.mstep

    def stop_at_3(self, S, E, T=None, exact=True, iteration=0, batch=None):
        if iteration == 3:
            raise KeyboardInterrupt
        return mstep(self, S, E, T, exact, iteration, batch)
    monkeypatch.setattr(rem.EMProgram, "mstep", stop_at_3)
    with pytest.warns(lv.EMWarning, match="online EM interrupted after 3 step"):
        fit = lv.infer(em.gmm_1d(3), {"x": X}, method="online_em", batch_size=50, max_iter=100, progress=False)
    assert fit.interrupted and fit.n_iter == 3 and np.all(np.isfinite(fit.params["mu"]))
    monkeypatch.setattr(rem.EMProgram, "mstep", mstep)

    sweep, calls = gibbs.GibbsProgram.sweep, {"n": 0}

    def stop_later(self, S, rng, no):
        calls["n"] += 1
        if calls["n"] == 3 * 8 + 4:                  # in the 4th iteration (5 burn-in + 3 kept sweeps each)
            raise KeyboardInterrupt
        return sweep(self, S, rng, no)
    monkeypatch.setattr(gibbs.GibbsProgram, "sweep", stop_later)
    with pytest.warns(lv.EMWarning, match="Monte Carlo EM interrupted after 3 complete"):
        fit = lv.infer(regime_model(), {"y": Y}, method="mcem", mc_draws=3, mc_burn=5, max_iter=50, tol=0,
                       progress=False)
    assert fit.interrupted and fit.n_iter == 3 and fit.latent_draws["s"].shape == (1, 3)
