"""Every example runs from its main() (small settings) and gets the answer its docstring promises."""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

QUICK = ["--quick", "--no-progress", "--draws", "300", "--tune", "150"]


def run(name, *extra):
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return module.main([*QUICK, *extra])


def test_gibbs_gmm(capsys):
    res = run("gibbs_gmm")
    assert np.allclose(np.sort(res.draws["mu"].mean((0, 1))), [-5, 0, 5], atol=0.3)
    assert "def update_mu" in capsys.readouterr().out


def test_gibbs_linear_regression():
    res = run("gibbs_linear_regression")
    assert abs(res.draws["tau"].mean() - 4) < 1.0


def test_gibbs_growth_curve():
    res = run("gibbs_growth_curve")
    assert abs(res.draws["alpha_c"].mean() - 242.5) < 2 and abs(res.draws["beta_c"].mean() - 6.19) < 0.3


def test_gibbs_failure_rate(capsys):
    res = run("gibbs_failure_rate")
    assert abs(res.draws["alpha"].mean() - 0.70) < 0.1
    assert "slice sampler" in capsys.readouterr().out


def test_gibbs_matrix_factorisation():
    res, rmse = run("gibbs_matrix_factorisation")
    assert rmse < 0.7


def test_gibbs_ab_test(capsys):
    run("gibbs_ab_test")
    assert "P(p_b > p_a)" in capsys.readouterr().out


def test_em_gmm():
    r1, rD = run("em_gmm")
    assert r1.converged and rD.converged


def test_em_bernoulli_mixture():
    assert run("em_bernoulli_mixture").converged


def test_em_ppca_fa():
    res = run("em_ppca_fa")
    assert res.converged


def test_em_regression_evidence():
    res = run("em_regression_evidence")
    assert 2 < res.params["beta"] < 6


def test_em_online():
    online, batch, gap = run("em_online", "--steps", "100")
    assert gap < 0.01
