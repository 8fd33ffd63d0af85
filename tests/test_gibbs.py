"""The Gibbs runtime: closed-form posteriors within Monte Carlo error, reproducibility, the schedule,
fallbacks, initial values, ArviZ output and prediction.

Tolerances are Monte Carlo errors: an estimate e of a known value v passes when
|e - v| < Z * sd / sqrt(ESS), with ESS from ArviZ and Z = 4.5 (a two-sided family-wise level far
below 1e-3 over the few dozen comparisons of this file).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import arviz as az
import numpy as np
import pytest
from scipy import stats

import lvmdsl as lv
from lvmdsl.demo import gmm_model

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from lvmdsl.runtime.gibbs import FallbackWarning

Z = 4.5


def assert_mc_close(draws: np.ndarray, mean, sd=None):
    """Posterior mean (and sd) of ``draws`` (chains, draws, *shape) match within Monte Carlo error."""
    flat = draws.reshape(draws.shape[0] * draws.shape[1], -1)
    est, s = flat.mean(0), flat.std(0)
    ess = np.asarray(az.ess(az.convert_to_dataset({"x": draws.reshape(draws.shape[:2] + (-1,))}))["x"]).ravel()
    se = s / np.sqrt(ess)
    assert np.all(np.abs(est - np.ravel(mean)) < Z * se), (est, mean, se)
    if sd is not None:          # the sd of a sample sd is about sd / sqrt(2 ESS) for near-normal draws
        assert np.all(np.abs(s - np.ravel(sd)) < Z * s / np.sqrt(2 * ess)), (s, sd)


def linreg_known_noise(D=3):
    with lv.Model("linreg_known") as m:
        w = lv.MultivariateNormal("w", mean=np.zeros(D), cov=4.0 * np.eye(D))
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(D,))
            lv.Normal("y", mean=lv.dot(X, w), precision=2.0, observed=True)
    return m


def test_linear_regression_matches_the_closed_form_posterior():
    rng = np.random.default_rng(3)
    D, N = 3, 40
    X = rng.normal(size=(N, D))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=N) / np.sqrt(2.0)
    res = lv.infer(linreg_known_noise(D), data={"X": X, "y": y}, draws=1500, tune=100, seed=1, progress=False)
    prec = np.eye(D) / 4.0 + 2.0 * X.T @ X
    cov = np.linalg.inv(prec)
    mean = cov @ (2.0 * X.T @ y)
    assert res.draws["w"].shape == (4, 1500, D)
    assert_mc_close(res.draws["w"], mean, np.sqrt(np.diag(cov)))
    emp = np.cov(res.draws["w"].reshape(-1, D).T)
    assert np.allclose(emp, cov, atol=Z * np.sqrt(np.outer(np.diag(cov), np.diag(cov)) / 6000 * 2))


def test_beta_bernoulli_and_gamma_poisson_match_their_conjugate_posteriors():
    rng = np.random.default_rng(0)
    x = rng.binomial(1, 0.3, size=50)
    c = rng.poisson(4.0, size=30)
    with lv.Model("two_pairs") as m:
        p = lv.Beta("p", a=2.0, b=3.0)
        lam = lv.Gamma("lam", shape=2.0, rate=0.5)
        with lv.plate("n", "N"):
            lv.Bernoulli("x", p=p, observed=True)
        with lv.plate("j", "J"):
            lv.Poisson("c", rate=lam, observed=True)
    res = lv.infer(m, data={"x": x, "c": c}, draws=2000, tune=50, seed=2, progress=False)
    post_p = stats.beta(2 + x.sum(), 3 + len(x) - x.sum())
    post_l = stats.gamma(2 + c.sum(), scale=1 / (0.5 + len(c)))
    assert_mc_close(res.draws["p"], post_p.mean(), post_p.std())
    assert_mc_close(res.draws["lam"], post_l.mean(), post_l.std())
    # independent draws: quantiles agree with the exact posterior (KS on the pooled draws)
    assert stats.kstest(res.draws["p"].ravel()[::4], post_p.cdf).pvalue > 1e-3


def gmm_data(n=300, seed=0):
    from lvmdsl.demo import synthetic_gmm
    return {"x": synthetic_gmm(n, seed)[0]}


def test_same_seed_same_draws_and_different_seeds_differ():
    m = gmm_model()
    a = lv.infer(m, data=gmm_data(), draws=30, tune=5, seed=11, progress=False)
    b = lv.infer(m, data=gmm_data(), draws=30, tune=5, seed=11, progress=False)
    c = lv.infer(m, data=gmm_data(), draws=30, tune=5, seed=12, progress=False)
    for k in a.draws:
        assert np.array_equal(a.draws[k], b.draws[k])
    assert not np.array_equal(a.draws["mu"], c.draws["mu"])
    # chains start from different prior draws and do not share random numbers
    assert len({tuple(np.round(a.draws["mu"][ch, 0], 8)) for ch in range(4)}) == 4


def test_independent_chains_have_uncorrelated_draws():
    """Two seeds' chains on an exactly sampled model: the draws are uncorrelated."""
    rng = np.random.default_rng(5)
    x = rng.normal(1.0, 1.0, size=20)
    with lv.Model("normal_mean") as m:
        mu = lv.Normal("mu", mean=0.0, var=10.0)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=mu, var=1.0, observed=True)
    a = lv.infer(m, data={"x": x}, draws=3000, tune=0, chains=2, seed=1, progress=False).draws["mu"]
    b = lv.infer(m, data={"x": x}, draws=3000, tune=0, chains=2, seed=2, progress=False).draws["mu"]
    r = np.corrcoef(a.ravel(), b.ravel())[0, 1]
    assert abs(r) < Z / np.sqrt(a.size)
    r01 = np.corrcoef(a[0], a[1])[0, 1]
    assert abs(r01) < Z / np.sqrt(a.shape[1])


def test_schedule_names_each_update_and_its_blocking():
    res = lv.infer(gmm_model(), data=gmm_data(), draws=5, tune=0, progress=False)
    rows = {s.name: s for s in res.schedule}
    assert [s.name for s in res.schedule] == ["z", "pi", "mu", "tau"]
    assert rows["mu"].method == "conjugate Normal"
    assert rows["z"].method == "enumeration (3 states)"
    assert "all 300 elements of plate n" in rows["z"].blocking
    assert "conjugate Dirichlet" in str(res.schedule)


def pumps_model_and_data():
    from data import failure_rate_data, failure_rate_model
    return failure_rate_model(), failure_rate_data()


def test_non_conjugate_unknown_gets_a_named_slice_sampler_with_a_warning():
    m, data = pumps_model_and_data()
    with pytest.warns(FallbackWarning, match="'alpha' has no conjugate conditional.*slice sampler"):
        res = lv.infer(m, data=data, draws=3000, tune=500, seed=0, progress=False)
    step = {s.name: s for s in res.schedule}["alpha"]
    assert step.method == "slice sampler" and "loggamma" in step.reason
    # the classic BUGS Pumps posterior: alpha 0.70 (sd 0.27), beta 0.93 (sd 0.54), theta[0] 0.060;
    # ours is checked against an independent quadrature reference instead of rounded literature values
    ref = pumps_reference(data)
    assert_mc_close(res.draws["alpha"], ref["alpha"])
    assert_mc_close(res.draws["beta"], ref["beta"])


def pumps_reference(data):
    """Posterior means of alpha and beta by quadrature: theta integrates out analytically."""
    from scipy.special import gammaln
    x, t = data["x"], data["t"]
    a = np.linspace(1e-3, 4, 600)[:, None]
    b = np.linspace(1e-3, 6, 800)[None, :]
    # p(x_i | a, b) = Gamma(x+a)/(Gamma(a) x!) b^a t^x / (b+t)^(x+a)
    ll = sum(gammaln(xi + a) - gammaln(a) + a * np.log(b) + xi * np.log(ti) - (xi + a) * np.log(b + ti)
             for xi, ti in zip(x, t))
    lp = ll - a + (0.1 - 1) * np.log(b) - b
    w = np.exp(lp - lp.max())
    w /= w.sum()
    return {"alpha": float((w * a).sum()), "beta": float((w * b).sum())}


def test_strict_refuses_the_fallback():
    m, data = pumps_model_and_data()
    with pytest.raises(lv.ModelError, match="alpha.*strict=True"):
        lv.infer(m, data=data, strict=True, progress=False)


def test_linked_elements_are_updated_one_at_a_time_correctly():
    """Paired comparisons y[o] ~ N(u[a[o]] - u[b[o]], 1): one factor touches two elements of u."""
    rng = np.random.default_rng(0)
    P, O = 4, 30
    a = rng.integers(0, P, O)
    b = (a + 1 + rng.integers(0, P - 1, O)) % P
    y = rng.normal(size=P)[a] - rng.normal(size=P)[b] + rng.normal(size=O)
    with lv.Model("pairs") as m:
        with lv.plate("i", P):
            u = lv.Normal("u", mean=0.0, var=1.0)
        with lv.plate("o", "O"):
            A, B = lv.Const("a", shape=()), lv.Const("b", shape=())
            lv.Normal("y", mean=u[A] - u[B], var=1.0, observed=True)
    with pytest.warns(FallbackWarning):
        res = lv.infer(m, data={"a": a, "b": b, "y": y}, draws=1500, tune=300, seed=0, progress=False)
    assert "one element at a time" in res.schedule[0].blocking
    M = np.zeros((O, P))
    M[np.arange(O), a] += 1
    M[np.arange(O), b] -= 1
    cov = np.linalg.inv(np.eye(P) + M.T @ M)
    assert_mc_close(res.draws["u"], cov @ M.T @ y, np.sqrt(np.diag(cov)))


def test_initial_values_from_the_user_and_their_checks():
    m = gmm_model()
    data = gmm_data(50)
    with pytest.raises(lv.ModelError, match="initial value of 'tau'.*positive"):
        lv.infer(m, data=data, init={"tau": -np.ones(3)}, progress=False)
    with pytest.raises(lv.ModelError, match="initial value of 'mu' has shape"):
        lv.infer(m, data=data, init={"mu": np.zeros(5)}, progress=False)
    with pytest.raises(lv.ModelError, match="'nu', which is not an unknown"):
        lv.infer(m, data=data, init={"nu": 1.0}, progress=False)
    from lvmdsl.runtime.initial import initial_state
    from lvmdsl.graph.validate import bind_data
    env, sizes = bind_data(m, data)
    S = initial_state(m, env, sizes, 3, np.random.default_rng(0), {"mu": np.array([-5.0, 0.0, 5.0])})
    assert np.array_equal(S["mu"], np.tile([-5.0, 0.0, 5.0], (3, 1)))
    assert S["z"].dtype.kind == "i" and S["z"].shape == (3, 50)
    assert not np.allclose(S["tau"][0], S["tau"][1])          # prior draws differ across chains


def test_vague_priors_start_at_finite_values():
    """Gamma(0.001, 0.001) draws underflow; initial values are clipped to usable magnitudes."""
    with lv.Model("vague") as m:
        tau = lv.Gamma("tau", shape=0.001, rate=0.001)
        mu = lv.Normal("mu", mean=0.0, precision=1e-6)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=mu, precision=tau, observed=True)
    res = lv.infer(m, data={"x": np.random.default_rng(0).normal(3, 2, 25)}, draws=400, tune=100, progress=False)
    assert np.all(np.isfinite(res.draws["mu"]))
    assert abs(res.draws["mu"].mean() - 3) < 1.5


def test_keep_thin_and_shapes():
    m = gmm_model()
    res = lv.infer(m, data=gmm_data(40), draws=20, tune=3, thin=3, chains=2, keep=["mu", "z"], progress=False)
    assert set(res.draws) == {"mu", "z"}
    assert res.draws["mu"].shape == (2, 20, 3)
    assert res.draws["z"].shape == (2, 20, 40) and res.draws["z"].dtype.kind == "i"
    with pytest.raises(lv.ModelError, match="keep names 'sigma'"):
        lv.infer(m, data=gmm_data(40), keep=["sigma"], progress=False)
    with pytest.raises(lv.ModelError, match="draws=0"):
        lv.infer(m, data=gmm_data(40), draws=0, progress=False)
    with pytest.raises(lv.ModelError, match="unknown inference method 'vb'"):
        lv.infer(m, data=gmm_data(40), method="vb")


def test_to_arviz_and_summary():
    init = {"mu": np.array([-5.0, 0.0, 5.0])}            # one labelling for every chain
    res = lv.infer(gmm_model(), data=gmm_data(60), draws=50, tune=5, init=init, progress=False, lp=True)
    idata = res.to_arviz()
    assert {"posterior", "observed_data", "sample_stats"} <= set(idata.groups())
    assert idata.posterior["mu"].shape == (4, 50, 3)
    assert idata.sample_stats["lp"].shape == (4, 50)
    table = res.summary()
    assert {"mean", "sd", "ess_bulk", "ess_tail", "r_hat"} <= set(table.columns)
    assert "z" not in " ".join(table.index)            # discrete latents left out of the default summary


def test_log_joint_in_sample_stats_matches_the_independent_path():
    from lvmdsl.graph.validate import bind_data, log_joint
    m = gmm_model()
    data = gmm_data(30)
    res = lv.infer(m, data=data, draws=3, tune=0, chains=2, progress=False, lp=True)
    env, sizes = bind_data(m, data)
    for c in range(2):
        state = {**env, **{k: v[c, -1] for k, v in res.draws.items()}}
        assert np.isclose(res.sample_stats["lp"][c, -1], log_joint(m, state, sizes))


def test_matrix_factorisation_predicts_held_out_entries():
    rng = np.random.default_rng(0)
    R, Cn, K = 30, 20, 2
    U, V = rng.normal(size=(R, K)), rng.normal(size=(Cn, K))
    full = U @ V.T + 0.1 * rng.normal(size=(R, Cn))
    mask = rng.random((R, Cn)) < 0.6
    rows, cols = np.nonzero(mask)
    hr, hc = np.nonzero(~mask)
    from models import matrix_factorisation
    m = matrix_factorisation(R, Cn, K, tau_rate=0.1)
    res = lv.infer(m, data={"row": rows, "col": cols, "r": full[rows, cols]}, draws=300, tune=200, seed=0,
                   progress=False)
    pred = res.predict({"row": hr, "col": hc})["r"]
    rmse = np.sqrt(np.mean((pred["mean"] - full[hr, hc]) ** 2))
    assert pred["mean"].shape == (len(hr),) and np.all(pred["var"] > 0)
    assert rmse < 0.5 * full.std()                     # far better than predicting the mean
    rep = res.posterior_predictive(seed=1)["r"]
    assert rep.shape == (4, 300, len(rows))


def test_generated_source_is_vectorised_and_shown():
    src = lv.derive(gmm_model()).source("gibbs")
    assert "def update_mu(S, D, DI, Z, P, rng):" in src and "scatter_to(" in src and "term(" in src
    assert "for " not in src                          # no Python loop over data points
    with pytest.raises(ValueError, match="no generated source for method 'nuts'"):
        lv.derive(gmm_model()).source("nuts")


def test_progress_bar_runs(capsys):
    lv.infer(gmm_model(), data=gmm_data(20), draws=5, tune=0, progress=True)
    assert "gibbs gmm" in capsys.readouterr().err


def test_unknown_given_as_data_is_an_error():
    with pytest.raises(lv.ModelError, match="'mu', which the model declares unknown"):
        lv.infer(gmm_model(), data={**gmm_data(20), "mu": np.zeros(3)}, progress=False)


def test_enumerated_draws_follow_the_normalised_weights_even_far_in_the_tails():
    """draw_enumerated against the softmax of its log-weights: chi-square per row of elements,
    with weights offset by -1000 and +700 (no overflow or underflow) and a state of weight 0."""
    from lvmdsl.runtime.kernels import draw_enumerated
    p = np.array([[0.2, 0.5, 0.3, 0.0], [0.7, 0.1, 0.1, 0.1]])          # two elements' probabilities
    M = 50_000
    with np.errstate(divide="ignore"):
        logw = np.log(p).T[:, None, :, None] + np.array([-1000.0, 700.0])[None, None, None, :]
    logw = np.broadcast_to(logw, (4, M, 2, 2)).copy()                    # (state, draws, element, offset)
    z = draw_enumerated(logw, np.random.default_rng(3))
    for e in range(2):
        for o in range(2):
            counts = np.bincount(z[:, e, o], minlength=4)
            assert counts[p[e] == 0].sum() == 0
            keep = p[e] > 0
            assert stats.chisquare(counts[keep], M * p[e][keep]).pvalue > 1e-3


def test_summary_warns_when_mixture_chains_disagree_on_labels():
    """Two chains started from opposite orderings of well separated components keep them: the
    summary names the components and says why their R-hat is large; one ordering stays quiet, and
    so do short chains that have not converged (R-hat is large without any relabelling)."""
    from lvmdsl.runtime.results import LabelSwitchingWarning, labelled_by
    m = gmm_model()
    assert labelled_by(m) == {"z": {"mu": 0, "tau": 0, "pi": 0}}
    data = gmm_data(300)
    swapped = {"mu": np.array([[-5.0, 0.0, 5.0], [5.0, 0.0, -5.0]])}
    res = lv.infer(m, data=data, draws=100, tune=20, chains=2, init=swapped, seed=0, progress=False)
    with pytest.warns(LabelSwitchingWarning, match=r"components that 'z' selects \(mu, tau\) have R-hat above 1.1 that ordering"):
        res.summary()
    same = {"mu": np.array([[-5.0, 0.0, 5.0], [-4.0, 0.5, 4.0]])}
    res = lv.infer(m, data=data, draws=100, tune=20, chains=2, init=same, seed=0, progress=False)
    wide = np.array([[1e-4] * 3, [1e-4] * 3, [1.0] * 3, [1.0] * 3])     # two chains start very diffuse
    short = lv.infer(m, data=gmm_data(60), draws=50, tune=0, init={"mu": np.array([-5.0, 0.0, 5.0]), "tau": wide},
                     progress=False)
    assert short.summary()["r_hat"].max() > 1.1              # not converged, but not relabelled
    with warnings.catch_warnings():
        warnings.simplefilter("error", LabelSwitchingWarning)
        res.summary()
        short.summary()


def test_relabelling_orders_components_on_their_own_axis():
    """Components on a later axis (mu[j, z]: plates j then k) are ordered there, per draw."""
    from lvmdsl.runtime.results import _relabelled
    rng = np.random.default_rng(0)
    base = np.array([[-5.0, 0.0, 5.0], [-1.0, 2.0, 9.0]])               # (j, k)
    draws = base + 0.1 * rng.standard_normal((2, 40, 2, 3))            # (chains, draws, j, k)
    draws[1] = draws[1][..., [2, 0, 1]]                                 # chain 1 relabelled on k
    fixed = _relabelled(draws, 3)
    np.testing.assert_allclose(fixed.mean(1), np.broadcast_to(base, (2, 2, 3)), atol=0.1)
    assert not np.allclose(draws.mean(1)[0], draws.mean(1)[1], atol=1.0)
