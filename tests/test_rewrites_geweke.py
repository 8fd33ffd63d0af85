"""Geweke's joint-distribution test on augmented models: each passes, and each fails on a planted bug.

The marginal-conditional simulator draws the model as declared (Bernoulli with a logistic link,
Student-t errors, a Laplace prior); the successive-conditional one runs the Gibbs sweep of the
augmented model (its Polya-gamma, gamma or GIG latents included) and redraws the data.  Agreement
checks that the augmented sweep leaves the declared joint distribution invariant.
"""

from __future__ import annotations

import numpy as np
import pytest

import lvmdsl as lv
from lvmdsl.diagnostics import geweke_test

ALPHA = 0.001
X4 = np.array([[1.0, 0.5], [-0.3, 1.2], [0.8, -1.0], [0.2, 0.1]])


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


def logistic():
    with lv.Model("logistic") as m:
        w = lv.MultivariateNormal("w", mean=np.zeros(2), cov=np.eye(2))
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(2,))
            lv.Bernoulli("y", p=lv.sigmoid(lv.dot(X, w)), observed=True)
    return m


def student_t():
    with lv.Model("t_regression") as m:
        w = lv.MultivariateNormal("w", mean=np.zeros(2), cov=np.eye(2))
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(2,))
            lv.StudentT("y", df=4.0, loc=lv.dot(X, w), scale=0.7, observed=True)
    return m


def laplace():
    with lv.Model("laplace_prior") as m:
        theta = lv.Laplace("theta", loc=0.5, scale=0.8)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=theta, var=1.0, observed=True)
    return m


CASES = {
    "logistic": (logistic, {"N": 4}, {"X": X4}, "omega_y", 1.5),
    "student_t": (student_t, {"N": 4}, {"X": X4}, "lambda_y", 1.5),
    "laplace": (laplace, {"N": 3}, None, "tau_theta", 2.0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_geweke_passes_on_the_augmented_sampler_and_fails_on_a_planted_bug(name):
    build, sizes, consts, latent, factor = CASES[name]
    assert latent in lv.derive(build())            # the sweep includes the augmentation latent
    good = geweke_test(build(), sizes, consts, n_iter=1500, chains=16, seed=3, alpha=ALPHA)
    assert good.passed, good.summary()
    bad = geweke_test(build(), sizes, consts, n_iter=1500, chains=16, seed=3, hook=scaled(latent, factor),
                      alpha=ALPHA)
    assert not bad.passed, bad.summary()


def shifted(target: str, delta: float):
    """A planted bug that cannot blow up: the update of ``target`` adds ``delta`` to its draw."""
    def hook(name, fn):
        if name != target:
            return fn

        def broken(S, *args):
            fn(S, *args)
            S[target] = S[target] + delta
        return broken
    return hook


def probit():
    with lv.Model("probit") as m:
        w = lv.MultivariateNormal("w", mean=np.zeros(2), cov=np.eye(2))
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(2,))
            lv.Bernoulli("y", p=lv.Phi(lv.dot(X, w)), observed=True)
    return m


def test_geweke_probit_redraws_y_from_the_sign_of_z_and_fails_on_a_planted_bug():
    """y became data for z's interval; the simulator redraws it as 1[z > 0] (the rule's redraw) and
    recomputes the bounds, so the successive chain still alternates parameters and data."""
    good = geweke_test(probit(), {"N": 4}, {"X": X4}, n_iter=1500, chains=16, seed=3, alpha=ALPHA)
    assert good.passed, good.summary()
    bad = geweke_test(probit(), {"N": 4}, {"X": X4}, n_iter=1500, chains=16, seed=3, hook=shifted("z_y", 0.5),
                      alpha=ALPHA)
    assert not bad.passed, bad.summary()


def test_a_rewrite_without_a_redraw_is_refused_by_the_simulator_with_the_reason():
    with lv.Model("nb") as m:
        w = lv.Normal("w", mean=0.0, var=1.0)
        with lv.plate("n", "N"):
            lv.NegativeBinomial("y", r=2.0, p=lv.sigmoid(w), observed=True)
    with pytest.raises(lv.ModelError, match="into data for its intervals"):
        geweke_test(m, {"N": 3}, n_iter=10, chains=2)
