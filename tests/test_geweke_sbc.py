"""Geweke's joint-distribution test and simulation-based calibration of the generated samplers.

Each statistical check uses a fixed seed and a family-wise level of 0.001 (Bonferroni over its test
functions or summaries; with about 25 such checks in the file the chance of any false alarm stays
near 2.5%), and each kind is shown able to fail on a deliberately broken update.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import lvmdsl as lv
from lvmdsl.diagnostics import geweke_test, sbc
from lvmdsl.explain.table import CATALOGUE

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))


def scaled(target: str, factor: float):
    """A planted bug: the update of ``target`` multiplies its draw by ``factor``."""
    def hook(name, fn):
        if name != target:
            return fn

        def broken(S, *args):
            fn(S, *args)
            S[target] = S[target] * factor
        return broken
    return hook


def robust_functions(model):
    """Test functions with finite moments even for heavy-tailed data (a Pareto with a small shape
    overflows): the data enter through the bounded b(x) = 1 - 1/(1 + |x|)."""
    from lvmdsl.diagnostics.geweke import default_test_functions
    g = {k: f for k, f in default_test_functions(model).items() if "x" not in k}

    def flat(S, n):
        return S[n].reshape(S[n].shape[0], -1).astype(float)

    def bounded(S):
        with np.errstate(over="ignore", invalid="ignore"):
            return (1 - 1 / (1 + np.abs(flat(S, "x")))).mean(1)
    g["mean(b(x))"] = bounded
    g["mean(b(x)^2)"] = lambda S: bounded(S) ** 2
    g["mean(theta)*mean(b(x))"] = lambda S: flat(S, "theta").mean(1) * bounded(S)
    return g


ALPHA = 1e-3


@pytest.mark.parametrize("pair", CATALOGUE, ids=[f"{p.prior}-{p.likelihood}-{p.role}" for p in CATALOGUE])
def test_geweke_passes_for_every_conjugate_pair(pair):
    m = pair.build()
    report = geweke_test(m, {"N": 3}, n_iter=800, chains=16, n_marginal=20000, seed=1,
                         test_functions=robust_functions(m), alpha=ALPHA)
    assert report.passed, report.summary()


def small_mixture():
    with lv.Model("mixture") as m:
        pi = lv.Dirichlet("pi", alpha=np.array([3.0, 3.0]))
        with lv.plate("k", 2):
            mu = lv.Normal("mu", mean=0.0, var=4.0)
            tau = lv.Gamma("tau", shape=4.0, rate=4.0)
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            lv.Normal("x", mean=mu[z], precision=tau[z], observed=True)
    return m


def hierarchy():
    """A normal hierarchy: group means around a population mean, with gamma precisions."""
    with lv.Model("hierarchy") as m:
        m0 = lv.Normal("m0", mean=0.0, var=1.0)
        t0 = lv.Gamma("t0", shape=5.0, rate=5.0)
        tw = lv.Gamma("tw", shape=5.0, rate=5.0)
        with lv.plate("g", 3):
            mg = lv.Normal("mg", mean=m0, precision=t0)
            with lv.plate("j", 2):
                lv.Normal("x", mean=mg, precision=tw, observed=True)
    return m


def regression():
    with lv.Model("regression") as m:
        w = lv.MultivariateNormal("w", mean=np.zeros(2), cov=np.eye(2))
        tau = lv.Gamma("tau", shape=4.0, rate=4.0)
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(2,))
            lv.Normal("y", mean=lv.dot(X, w), precision=tau, observed=True)
    return m


X4 = np.array([[1.0, 0.5], [-0.3, 1.2], [0.8, -1.0], [0.2, 0.1]])

MODELS = {
    "mixture": (small_mixture, {"N": 4}, None, "tau", 1.3),
    "hierarchy": (hierarchy, {}, None, "t0", 1.3),
    "regression": (regression, {"N": 4}, {"X": X4}, "tau", 1.2),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_geweke_passes_for_mixture_hierarchy_and_regression_and_fails_on_a_planted_bug(name):
    build, sizes, consts, target, factor = MODELS[name]
    good = geweke_test(build(), sizes, consts, n_iter=1500, chains=16, seed=2, alpha=ALPHA)
    assert good.passed, good.summary()
    bad = geweke_test(build(), sizes, consts, n_iter=1500, chains=16, seed=2, hook=scaled(target, factor),
                      alpha=ALPHA)
    assert not bad.passed, bad.summary()


def test_geweke_fails_when_a_conjugate_pair_update_is_wrong():
    m = CATALOGUE[4].build()                      # Gamma prior, Poisson rate
    bad = geweke_test(m, {"N": 3}, n_iter=800, chains=16, seed=1, hook=scaled("theta", 1.15), alpha=ALPHA)
    assert not bad.passed, bad.summary()


@pytest.mark.parametrize("name", ["mixture", "regression"])
def test_sbc_ranks_are_uniform_and_a_planted_bug_breaks_them(name):
    build, sizes, consts, target, factor = MODELS[name]
    good = sbc(build(), sizes, consts, n_sims=1000, draws=99, thin=2, seed=3, alpha=ALPHA)
    assert good.passed, good.summary()
    bad = sbc(build(), sizes, consts, n_sims=1000, draws=99, thin=2, seed=3, hook=scaled(target, factor),
              alpha=ALPHA)
    assert not bad.passed, bad.summary()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mixture", "regression"])
def test_sbc_full(name):
    build, sizes, consts, *_ = MODELS[name]
    report = sbc(build(), sizes, consts, n_sims=5000, draws=199, thin=5, seed=4, bins=20, max_entries=8,
                 alpha=ALPHA)
    assert report.passed, report.summary()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_geweke_full(name):
    build, sizes, consts, *_ = MODELS[name]
    report = geweke_test(build(), sizes, consts, n_iter=20000, chains=32, n_marginal=200000, seed=5, alpha=ALPHA)
    assert report.passed, report.summary()
