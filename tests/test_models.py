"""The example models derive fully and agree with closed-form posteriors (linear algebra)."""

import sys
from pathlib import Path

import numpy as np
import pytest

import lvmdsl as lv

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from models import gmm, linear_regression, logistic_regression, matrix_factorisation, pumps  # noqa: E402


def test_regression_weights_match_closed_form(rng):
    D, N = 4, 30
    d = lv.derive(linear_regression(D))
    X, y, tau = rng.normal(size=(N, D)), rng.normal(size=N), 2.5
    post = d["w"].evaluate({"X": X, "y": y, "tau": tau})
    prec = np.eye(D) / 10 + tau * X.T @ X
    np.testing.assert_allclose(post.params["precision"], prec, rtol=1e-10)
    np.testing.assert_allclose(post.mean(), np.linalg.solve(prec, tau * X.T @ y), rtol=1e-10)
    np.testing.assert_allclose(post.cov(), np.linalg.inv(prec), rtol=1e-10)
    tp = d["tau"].evaluate({"X": X, "y": y, "w": np.ones(D)})
    r = y - X @ np.ones(D)
    assert tp.params["shape"] == pytest.approx(1 + N / 2)
    assert tp.params["rate"] == pytest.approx(1 + r @ r / 2)


def test_matrix_factorisation_is_conjugate_in_each_factor(rng):
    I, J, R = 6, 5, 2
    d = lv.derive(matrix_factorisation(I, J, R))
    assert d["u"].rule_name == "conjugate MultivariateNormal" and d["v"].conjugate
    O = 18
    row, col = rng.integers(0, I, O), rng.integers(0, J, O)
    r, v, tau = rng.normal(size=O), rng.normal(size=(J, R)), 1.7
    post = d["u"].evaluate({"row": row, "col": col, "r": r, "v": v, "tau": tau})
    for i in range(I):
        sel = row == i
        V = v[col[sel]]
        prec = np.eye(R) + tau * V.T @ V
        np.testing.assert_allclose(post.params["precision"][i], prec, rtol=1e-10)
        np.testing.assert_allclose(post.mean()[i], np.linalg.solve(prec, tau * V.T @ r[sel]), rtol=1e-10, atol=1e-12)
    assert lv.verify(matrix_factorisation(I, J, R), data={"row": row, "col": col}, seed=2).ok


def test_pumps_theta_and_beta_conjugate_alpha_not(rng):
    d = lv.derive(pumps())
    assert d["theta"].conjugate and d["beta"].conjugate
    assert not d["alpha"].conjugate and "loggamma(alpha)" in d["alpha"].reason.term
    x, t, theta = np.array([5, 1, 5, 14]), np.array([94.3, 15.7, 62.9, 126.0]), rng.gamma(1.0, size=4)
    post = d["theta"].evaluate({"x": x, "t": t, "alpha": 0.7, "beta": 0.9})
    np.testing.assert_allclose(post.params["shape"], 0.7 + x)
    np.testing.assert_allclose(post.params["rate"], 0.9 + t)
    pb = d["beta"].evaluate({"x": x, "t": t, "alpha": 0.7, "theta": theta})
    assert pb.params["shape"] == pytest.approx(0.1 + 4 * 0.7)
    assert pb.params["rate"] == pytest.approx(1 + theta.sum())


def test_logistic_regression_reports_the_weights():
    d = lv.derive(logistic_regression(), augment=False)       # without the Polya-gamma rewrite
    assert list(d.not_conjugate) == ["w"]
    assert not lv.derive(logistic_regression()).not_conjugate
    assert d["w"].reason.factor == "y" and "exp" in d["w"].reason.term


def test_gmm_allocations_by_enumeration_match_bayes_rule(rng):
    d = lv.derive(gmm())
    x = rng.normal(size=7)
    state = {"x": x, "pi": np.array([0.2, 0.3, 0.5]), "mu": np.array([-1.0, 0.0, 2.0]), "tau": np.array([1.0, 4.0, 0.5])}
    post = d["z"].evaluate(state)
    lik = state["pi"] * np.sqrt(state["tau"]) * np.exp(-0.5 * state["tau"] * (x[:, None] - state["mu"]) ** 2)
    np.testing.assert_allclose(post.params["p"], lik / lik.sum(1, keepdims=True), rtol=1e-10)
    z = rng.integers(0, 3, 7)
    pi_post = d["pi"].evaluate({**state, "z": z})
    np.testing.assert_allclose(pi_post.params["alpha"], 1 + np.bincount(z, minlength=3))


@pytest.mark.parametrize("build", [gmm, linear_regression, pumps])
def test_verify_examples(build):
    m = build()
    data = {"X": np.random.default_rng(0).normal(size=(4, 5))} if build is linear_regression else None
    if build is pumps:
        data = {"t": np.array([1.0, 2.0, 3.0, 4.0])}
    assert lv.verify(m, data=data, seed=5).ok
