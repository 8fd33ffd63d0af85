"""ArviZ export: every group, checked against independent computations (scipy densities,
brute-force sums over allocations), and ArviZ's own functions run on it without further work."""

from __future__ import annotations

import arviz as az
import matplotlib
import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import lvmdsl as lv
from lvmdsl.demo import gmm_model, synthetic_gmm

matplotlib.use("Agg")

INIT3 = {"mu": np.array([-5.0, 0.0, 5.0])}


@pytest.fixture(scope="module")
def fitted():
    x = synthetic_gmm(150, 1)[0]
    res = lv.infer(gmm_model(), data={"x": x}, draws=200, tune=50, chains=2, seed=1, progress=False,
                   lp=True)            # the log-joint per draw: the sample_stats group
    return x, res


def test_every_group_is_there_with_plate_named_dims(fitted):
    x, res = fitted
    res.sample_prior_predictive(draws=50, seed=2)
    idata = res.to_arviz()
    assert {"posterior", "log_likelihood", "posterior_predictive", "prior", "prior_predictive", "observed_data",
            "sample_stats"} <= set(idata.groups())
    assert idata.posterior["mu"].dims == ("chain", "draw", "k")
    assert idata.posterior["pi"].dims == ("chain", "draw", "k")            # the weights' axis: the components' plate
    assert idata.posterior["z"].dims == ("chain", "draw", "n")
    assert idata.log_likelihood["x"].dims == ("chain", "draw", "n")
    assert idata.posterior_predictive["x"].shape == (2, 200, 150)
    assert idata.prior["mu"].shape == (1, 50, 3) and idata.prior_predictive["x"].shape == (1, 50, 150)
    np.testing.assert_array_equal(idata.observed_data["x"].values, x)


def test_pointwise_log_likelihood_sums_out_the_allocation(fitted):
    """log p(x_n | pi, mu, tau) = logsumexp_k [log pi_k + log N(x_n; mu_k, 1/tau_k)], by scipy."""
    x, res = fitted
    ll = res.to_arviz(posterior_predictive=False).log_likelihood["x"].values
    for c, s in [(0, 0), (1, 123), (0, 199)]:
        pi, mu, tau = (res.draws[k][c, s] for k in ("pi", "mu", "tau"))
        ref = logsumexp(np.log(pi)[:, None] + stats.norm.logpdf(x[None], mu[:, None], 1 / np.sqrt(tau)[:, None]), 0)
        np.testing.assert_allclose(ll[c, s], ref, rtol=1e-10)


def test_log_likelihood_without_a_latent_is_the_plain_density():
    rng = np.random.default_rng(0)
    with lv.Model("normal") as m:
        mu = lv.Normal("mu", mean=0.0, var=10.0)
        with lv.plate("n", "N"):
            lv.Normal("y", mean=mu, var=1.0, observed=True)
    y = rng.normal(1.0, 1.0, 20)
    res = lv.infer(m, data={"y": y}, draws=30, tune=5, chains=2, progress=False)
    ll = res.to_arviz().log_likelihood["y"].values
    np.testing.assert_allclose(ll, stats.norm.logpdf(y, res.draws["mu"][..., None], 1.0), rtol=1e-12)


def test_loo_and_compare_pick_three_components_over_two():
    """Data from three well separated components: az.compare ranks the K=3 mixture first, by
    more than twice the standard error of the difference."""
    x = synthetic_gmm(200, 3)[0]
    fits = {}
    for K in (2, 3):
        init = {"mu": np.linspace(-5, 5, K)}
        fits[f"K={K}"] = lv.infer(gmm_model(K), data={"x": x}, draws=300, tune=100, chains=2, init=init, seed=0,
                                  progress=False).to_arviz(posterior_predictive=False)
    loo = az.loo(fits["K=3"])
    assert np.isfinite(loo.elpd_loo) and (loo.pareto_k < 0.7).all()
    table = az.compare(fits)
    assert table.index[0] == "K=3"
    assert table.loc["K=2", "elpd_diff"] > 2 * table.loc["K=2", "dse"]
    assert np.isfinite(az.waic(fits["K=3"]).elpd_waic)


def test_plots_run_on_the_result_as_it_is(fitted, tmp_path):
    import matplotlib.pyplot as plt
    _, res = fitted
    idata = res.to_arviz()
    for name, draw in [("ppc", lambda: az.plot_ppc(idata, num_pp_samples=20)),
                       ("trace", lambda: az.plot_trace(idata, var_names=["mu"])),
                       ("pair", lambda: az.plot_pair(idata, var_names=["mu"]))]:
        draw()
        path = tmp_path / f"{name}.png"
        plt.savefig(path)
        plt.close("all")
        assert path.stat().st_size > 1000


def test_netcdf_round_trip(fitted, tmp_path):
    _, res = fitted
    idata = res.to_arviz()
    path = tmp_path / "fit.nc"
    idata.to_netcdf(str(path))
    back = az.from_netcdf(str(path))
    assert set(back.groups()) == set(idata.groups())
    for group in idata.groups():
        for name, arr in getattr(idata, group).data_vars.items():
            np.testing.assert_array_equal(getattr(back, group)[name].values, arr.values)


def test_pandas_labels_become_coordinates():
    pd = pytest.importorskip("pandas")
    x = synthetic_gmm(40, 0)[0]
    df = pd.DataFrame({"x": x}, index=[f"obs{i}" for i in range(40)])
    res = lv.infer(gmm_model(), data=df, draws=20, tune=5, chains=2, init=INIT3, progress=False)
    idata = res.to_arviz()
    assert list(idata.observed_data["x"].coords["n"].values[:2]) == ["obs0", "obs1"]
    assert list(idata.log_likelihood["x"].coords["n"].values[-1:]) == ["obs39"]
    # a DataFrame for one vector-valued variable labels its rows and columns
    from lvmdsl.frontend.data import data_labels
    with lv.Model("mvn") as m:
        mu = lv.MultivariateNormal("mu", mean=np.zeros(2), cov=np.eye(2))
        with lv.plate("n", "N"):
            lv.MultivariateNormal("y", mean=mu, cov=np.eye(2), observed=True)
    frame = pd.DataFrame(np.ones((3, 2)), index=["a", "b", "c"], columns=["height", "weight"])
    labels = data_labels(m, {"y": frame})
    assert list(labels["n"]) == ["a", "b", "c"] and list(labels["y_dim_0"]) == ["height", "weight"]
    res = lv.infer(m, data={"y": frame}, draws=5, tune=0, chains=1, progress=False)
    assert list(res.to_arviz().observed_data["y"].coords["y_dim_0"].values) == ["height", "weight"]


def test_prior_predictive_matches_the_prior_moments():
    """lv.prior_predictive: mu ~ N(0, 100) and x | mu ~ N(mu, 1/tau) with tau ~ Gamma(1, 1) give
    E[x] = 0 and the prior draws of mu have variance 100 (4,000 draws: 4.5 standard errors)."""
    idata = lv.prior_predictive(gmm_model(), draws=4000, seed=0, sizes={"N": 5})
    mu = idata.prior["mu"].values.ravel()
    assert abs(mu.mean()) < 4.5 * 10 / np.sqrt(mu.size)
    assert abs(mu.var() / 100 - 1) < 4.5 * np.sqrt(2 / mu.size)
    pi = idata.prior["pi"].values.reshape(-1, 3)
    np.testing.assert_allclose(pi.mean(0), 1 / 3, atol=4.5 * np.sqrt(1 / 18 / len(pi)))   # Dirichlet(1,1,1)
    assert idata.prior_predictive["x"].shape == (1, 4000, 5)
    with pytest.raises(lv.ModelError, match="size of plate 'n'"):
        lv.prior_predictive(gmm_model(), draws=10)
    with lv.Model("ml") as m:
        mu = lv.Param("mu")
        with lv.plate("n", "N"):
            lv.Normal("y", mean=mu, var=1.0, observed=True)
    with pytest.raises(lv.ModelError, match="'mu' is a Param without a prior"):
        lv.prior_predictive(m, sizes={"N": 3})


def test_em_result_exports_its_point_and_pointwise_log_likelihood():
    x = synthetic_gmm(100, 2)[0]
    fit = lv.infer(gmm_model(), data={"x": x}, method="em", progress=False)
    idata = fit.to_arviz()
    ll = idata.log_likelihood["x"].values
    assert ll.shape == (1, 1, 100)
    # the pointwise values sum to the EM log-likelihood without the log-prior terms (MAP here)
    from lvmdsl.graph.validate import bind_data, factor_logpdf
    env, sizes = bind_data(fit.model, {"x": x})
    env.update(fit.params)
    prior = sum(np.sum(factor_logpdf(fit.model.variables[n], env, sizes)) for n in ("pi", "mu", "tau"))
    assert np.isclose(ll.sum() + prior, fit.loglik[-1], rtol=1e-9)


def test_xarray_coordinates_label_the_plate():
    xr = pytest.importorskip("xarray")
    x = synthetic_gmm(30, 0)[0]
    labels = np.array([f"t{i}" for i in range(30)])
    arr = xr.DataArray(x, dims=["time"], coords={"time": labels})
    res = lv.infer(gmm_model(), data={"x": arr}, draws=10, tune=2, chains=2, init=INIT3, progress=False)
    idata = res.to_arviz(posterior_predictive=False)
    assert list(idata.observed_data["x"].coords["n"].values) == list(labels)
    assert list(idata.posterior["z"].coords["n"].values[:2]) == ["t0", "t1"]


def test_keep_without_the_allocations_still_gives_the_log_likelihood():
    """The pointwise log-likelihood sums the allocation out, so it needs no draws of z; the
    replicates need them (x reads z), so that group is left out rather than failing."""
    x = synthetic_gmm(50, 0)[0]
    res = lv.infer(gmm_model(), data={"x": x}, draws=10, tune=2, chains=2, keep=["mu", "tau", "pi"], progress=False)
    groups = set(res.to_arviz().groups())
    assert "log_likelihood" in groups and "posterior_predictive" not in groups
