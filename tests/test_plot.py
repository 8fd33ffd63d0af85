"""Plotting helpers (the [plot] extra): each figure is saved to a file and shows the numbers it
claims to show (the plotted lines are the draws, the log-likelihood path, the data)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import lvmdsl as lv
from lvmdsl.demo import gmm_model, synthetic_gmm

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import lvmdsl.plot as lp  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def fits():
    m = gmm_model()
    x, _ = synthetic_gmm(300, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = lv.infer(m, data={"x": x}, draws=120, tune=60, chains=3, seed=1, progress=False,
                       init={"mu": np.array([-4.0, 0.0, 4.0])})
        fit = lv.infer(m, data={"x": x}, method="em", restarts=3, seed=0, progress=False)
    return m, x, res, fit


def saved(path):
    with open(path, "rb") as f:
        head = f.read(8)
    return head == PNG and path.stat().st_size > 5000


def test_trace_plots_the_draws(fits, tmp_path):
    _, _, res, _ = fits
    fig = lp.trace(res, var_names=["mu", "tau"], max_elements=3, path=tmp_path / "trace.png")
    assert saved(tmp_path / "trace.png")
    axes = np.array(fig.axes).reshape(-1, 2)
    assert len(axes) == 6 and axes[0, 0].get_ylabel() == "mu[0]" and axes[5, 0].get_ylabel() == "tau[2]"
    for c in range(3):
        assert np.array_equal(axes[1, 0].lines[c].get_ydata(), res.draws["mu"][c, :, 1])
    with pytest.raises(lv.ModelError, match="no draws of nope"):
        lp.trace(res, var_names=["nope"])


def test_loglik_path_plots_every_restart(fits, tmp_path):
    _, _, _, fit = fits
    fig = lp.loglik_path(fit, path=tmp_path / "ll.svg")
    assert (tmp_path / "ll.svg").read_text().lstrip().startswith("<?xml")
    top, bottom = fig.axes
    best = [l for l in top.lines if l.get_label() == "best restart"][0]
    assert np.array_equal(best.get_ydata(), fit.loglik)
    assert len(top.lines) == fit.all_loglik.shape[0]
    gain = np.diff(fit.loglik)
    assert np.allclose(bottom.lines[0].get_ydata(), gain[gain > 0])


def test_ppc_continuous_and_discrete(fits, tmp_path):
    _, x, res, _ = fits
    fig = lp.ppc(res, "x", n_replicates=20, path=tmp_path / "ppc.png")
    assert saved(tmp_path / "ppc.png")
    ax = fig.axes[0]
    observed = [p for p in ax.patches if p.get_label() == "observed"][0]
    assert "20 replicates" in ax.get_title() and observed is not None
    # discrete data: observed frequencies are the plotted points
    with lv.Model("counts") as m:
        rate = lv.Gamma("rate", shape=1.0, rate=1.0)
        with lv.plate("n", "N"):
            lv.Poisson("y", rate=rate, observed=True)
    y = np.random.default_rng(0).poisson(3.0, size=200)
    r = lv.infer(m, data={"y": y}, draws=200, chains=2, seed=0, progress=False)
    fig = lp.ppc(r, path=tmp_path / "ppc_counts.png")
    assert saved(tmp_path / "ppc_counts.png")
    pts = fig.axes[0].lines[0]
    values = pts.get_xdata().astype(int)
    assert np.allclose(pts.get_ydata(), [(y == v).mean() for v in values])
    with pytest.raises(lv.ModelError, match="not an observed variable"):
        lp.ppc(r, "rate")


def test_online_em_path_shows_minibatch_values_and_the_final_log_likelihood(fits, tmp_path):
    m, x, _, _ = fits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = lv.infer(m, data={"x": x}, method="online_em", batch_size=100, max_iter=20, seed=0, progress=False)
    fig = lp.loglik_path(fit, path=tmp_path / "online.png")
    assert saved(tmp_path / "online.png") and len(fig.axes) == 1
    steps, final = fig.axes[0].lines[-2], fig.axes[0].lines[-1]
    assert np.array_equal(steps.get_ydata(), fit.loglik[:-1]) and final.get_ydata()[0] == fit.loglik[-1]
