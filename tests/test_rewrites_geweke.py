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


def negative_binomial():
    with lv.Model("nb") as m:
        w = lv.MultivariateNormal("w", mean=np.zeros(2), cov=np.eye(2))
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(2,))
            lv.NegativeBinomial("y", r=2, p=lv.sigmoid(lv.dot(X, w)), observed=True)
    return m


def test_geweke_negative_binomial_redraws_counts_with_their_latents_and_fails_on_a_planted_bug():
    """The counts became data inside omega's factor; the simulator redraws (y, omega) from
    p(y, omega | w): y ~ NegativeBinomial(r, sigmoid(x.w)), then omega ~ PG(y + r, x.w)."""
    good = geweke_test(negative_binomial(), {"N": 4}, {"X": X4}, n_iter=1500, chains=16, seed=3, alpha=ALPHA)
    assert good.passed, good.summary()
    bad = geweke_test(negative_binomial(), {"N": 4}, {"X": X4}, n_iter=1500, chains=16, seed=3,
                      hook=scaled("omega_y", 1.5), alpha=ALPHA)
    assert not bad.passed, bad.summary()


def regression_missing():
    with lv.Model("regression_missing") as m:
        a = lv.Normal("a", mean=0.0, var=1.0)
        b = lv.Normal("b", mean=0.0, var=1.0)
        tau = lv.Gamma("tau", shape=3.0, rate=2.0)
        with lv.plate("n", "N"):
            x = lv.Const("x", shape=())
            lv.Normal("y", mean=a + b * x, precision=tau, observed=True)
    return m


X5 = np.array([-1.0, -0.3, 0.2, 0.9, 1.5])
Y5 = np.array([0.4, np.nan, -0.2, np.nan, 1.1])      # entries 1 and 3 missing in every simulated data set


def test_geweke_missing_data_draws_the_missing_entries_with_the_data_and_fails_on_a_planted_bug():
    """NaN entries became latent (y_complete); the simulators draw the complete y and hide the same
    entries, and the test functions read the completion."""
    good = geweke_test(regression_missing(), {"N": 5}, {"x": X5}, n_iter=1500, chains=16, seed=3, alpha=ALPHA,
                       data={"y": Y5})
    assert good.passed, good.summary()
    assert "mean(y)" in good.z
    bad = geweke_test(regression_missing(), {"N": 5}, {"x": X5}, n_iter=1500, chains=16, seed=3, alpha=ALPHA,
                      data={"y": Y5}, hook=shifted("y_complete", 0.5))
    assert not bad.passed, bad.summary()


def mvn_missing():
    with lv.Model("mvn_missing") as m:
        mu = lv.MultivariateNormal("mu", mean=np.zeros(2), cov=np.eye(2))
        with lv.plate("n", "N"):
            lv.MultivariateNormal("x", mean=mu, cov=np.array([[1.0, 0.6], [0.6, 1.5]]), observed=True)
    return m


def test_geweke_missing_coordinates_of_a_vector_and_fails_on_a_planted_bug():
    data = {"x": np.array([[0.3, np.nan], [np.nan, 1.0], [0.5, -0.2], [np.nan, np.nan]])}
    good = geweke_test(mvn_missing(), {"N": 4}, None, n_iter=1500, chains=16, seed=3, alpha=ALPHA, data=data)
    assert good.passed, good.summary()
    bad = geweke_test(mvn_missing(), {"N": 4}, None, n_iter=1500, chains=16, seed=3, alpha=ALPHA, data=data,
                      hook=shifted("x_complete", 0.5))
    assert not bad.passed, bad.summary()


def test_missing_entries_need_the_data_that_says_which():
    from lvmdsl.diagnostics.simulate import BatchedSimulator
    sim = BatchedSimulator(regression_missing(), {"N": 5}, {"x": X5}, data={"y": Y5})
    sim.given = {}                       # the pattern of missing entries lost
    with pytest.raises(lv.ModelError, match="which entries are missing"):
        sim.draw_prior(np.random.default_rng(0), 2)


def test_a_rewrite_without_a_redraw_is_refused_by_the_simulator_with_the_reason():
    """A user's rule that turns an observed variable into data, with no way to redraw it."""
    from lvmdsl.rewrites import REGISTRY, Rule
    from lvmdsl.rewrites.base import Match

    class Frozen(Rule):
        name, reference, identity, latex, summary, default = "frozen_test", "-", "-", "-", "-", False

        def match(self, model, v):
            return None if v.name != "y" else Match(self, v)

        def apply(self, b, m):
            y = b.add_const("y", m.variable.plates, shape=(), observation=True)
            lam = b.declare("Gamma", "lam", {"shape": 1.0 + y, "rate": 1.0}, m.variable.plates)
            return self.record(m, ["lam"], [lam])

    lv.register_rewrite(Frozen())
    try:
        with lv.Model("frozen") as m:
            w = lv.Normal("w", mean=0.0, var=1.0)
            with lv.plate("n", "N"):
                lv.Normal("y", mean=w, var=1.0, observed=True)
        with pytest.raises(lv.ModelError, match="into data for its intervals"):
            geweke_test(m, {"N": 3}, n_iter=10, chains=2, augment=["frozen_test"])
    finally:
        REGISTRY.pop("frozen_test")
