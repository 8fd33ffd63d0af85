"""A vector declared in a plate, summed with lv.dot (issue 9): automatic relevance determination.

``w`` is declared element by element in plate d (each with its own precision alpha[d]) and used
as a vector in ``lv.dot(X, w)``.  The engine promotes plate d to an event axis and derives one
multivariate normal block; these tests check it against closed forms computed with numpy
(Λ = diag(α) + τ XᵀX, m = Λ⁻¹ τ Xᵀy), the density-ratio identity, a hand-written Gibbs sampler,
the sizes of what it prints and generates, and the errors of bad spellings.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lvmdsl as lv


def ard(d_size="D", x_shape=("D",), prior="normal", fixed_hyper=False):
    """The ARD regression; ``fixed_hyper`` makes alpha and tau data (constants)."""
    with lv.Model("ard") as m:
        with lv.plate("d", d_size):
            if fixed_hyper:
                alpha = lv.Const("alpha", shape=())
            else:
                alpha = lv.Gamma("alpha", shape=1.0, rate=1.0)
            if prior == "normal":
                w = lv.Normal("w", mean=0.0, precision=alpha)
            else:
                w = lv.Laplace("w", loc=0.0, scale=1.0)
        tau = lv.Const("tau", shape=()) if fixed_hyper else lv.Gamma("tau", shape=1.0, rate=1.0)
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=x_shape)
            lv.Normal("y", mean=lv.dot(X, w), precision=tau, observed=True)
    return m


def closed_form(X, y, alpha, tau):
    P = np.diag(alpha) + tau * X.T @ X
    return P, np.linalg.solve(P, tau * X.T @ y)


def data(rng, N, D, noise=0.3):
    X = rng.standard_normal((N, D))
    w = rng.standard_normal(D) * (rng.random(D) < 0.6)          # some irrelevant features
    return X, X @ w + noise * rng.standard_normal(N)


DERIVED = lv.derive(ard())          # derived once, for every D and N: the tests below evaluate it


def test_the_conditional_is_one_multivariate_normal_block_printed_as_linear_algebra():
    c = DERIVED["w"]
    assert c.conjugate and c.family.name == "MultivariateNormal"
    text = str(DERIVED)
    assert "w | rest ~ MultivariateNormal(precision = diag(alpha) + tau Xᵀ X, mean = precision⁻¹ (tau Xᵀ y))" in text
    assert "alpha[d] | rest ~ Gamma" in text and "tau | rest ~ Gamma" in text
    assert "one vector over plate d" in DERIVED.explain("w")


@settings(max_examples=25, deadline=None)
@given(D=st.integers(1, 7), N=st.integers(1, 25), seed=st.integers(0, 2**16))
def test_w_conditional_matches_the_closed_form(D, N, seed):
    rng = np.random.default_rng(seed)
    X, y = data(rng, N, D)
    alpha, tau = rng.gamma(2.0, 1.0, size=D) + 0.05, float(rng.gamma(2.0, 1.0) + 0.05)
    post = DERIVED["w"].evaluate({"alpha": alpha, "tau": tau}, {"X": X, "y": y})
    P, mean = closed_form(X, y, alpha, tau)
    np.testing.assert_allclose(post.params["precision"], P, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(post.mean(), mean, rtol=1e-8, atol=1e-8)


@settings(max_examples=15, deadline=None)
@given(D=st.integers(1, 6), N=st.integers(1, 20), seed=st.integers(0, 2**16))
def test_alpha_and_tau_conditionals_match_their_closed_forms(D, N, seed):
    """alpha[d] | rest ~ Gamma(1 + 1/2, 1 + w[d]^2 / 2); tau | rest ~ Gamma(1 + N/2, 1 + RSS/2)."""
    rng = np.random.default_rng(seed)
    X, y = data(rng, N, D)
    w = rng.standard_normal(D)
    a = DERIVED["alpha"].evaluate({"w": w, "tau": 1.0}, {"X": X, "y": y})
    np.testing.assert_allclose(np.broadcast_to(a.params["shape"], (D,)), 1.5)
    np.testing.assert_allclose(a.params["rate"], 1 + w**2 / 2, rtol=1e-12)
    t = DERIVED["tau"].evaluate({"w": w, "alpha": np.ones(D)}, {"X": X, "y": y})
    assert float(t.params["shape"]) == pytest.approx(1 + N / 2)
    assert float(t.params["rate"]) == pytest.approx(1 + np.sum((y - X @ w) ** 2) / 2, rel=1e-10)


@pytest.mark.parametrize("N,D", [(30, 3), (8, 12)])
def test_density_ratio_identity(N, D):
    X, y = data(np.random.default_rng(N), N, D)
    report = lv.verify(ard(), data={"X": X, "y": y}, states=4)
    assert report.ok, report.summary()
    assert set(report.errors) == {"alpha", "w", "tau"} and not report.skipped


def test_the_other_spellings_derive_the_same_conditional():
    """X[n] on a constant of shape ("N", "D") outside the plate, and plate d of fixed size."""
    rng = np.random.default_rng(3)
    X, y = data(rng, 20, 4)
    alpha, tau = rng.gamma(2.0, 1.0, size=4), 1.7
    with lv.Model("ard_indexed") as m:
        with lv.plate("d", "D"):
            alpha_v = lv.Gamma("alpha", shape=1.0, rate=1.0)
            w = lv.Normal("w", mean=0.0, precision=alpha_v)
        tau_v = lv.Gamma("tau", shape=1.0, rate=1.0)
        Xc = lv.Const("X", shape=("N", "D"))
        with lv.plate("n", "N") as n:
            lv.Normal("y", mean=lv.dot(Xc[n], w), precision=tau_v, observed=True)
    P, mean = closed_form(X, y, alpha, tau)
    for model in (m, ard(d_size=4, x_shape=(4,))):
        post = lv.derive(model)["w"].evaluate({"alpha": alpha, "tau": tau}, {"X": X, "y": y})
        np.testing.assert_allclose(post.params["precision"], P, rtol=1e-10)
        np.testing.assert_allclose(post.mean(), mean, rtol=1e-8, atol=1e-10)


def test_a_constant_declared_in_the_plate_is_a_vector_there_too():
    """y[n] ~ Normal(t[n] dot(c, w), 1) with c and w in plate d: precision I + (sum t^2) c c'."""
    with lv.Model("scaled") as m:
        with lv.plate("d", "D"):
            w = lv.Normal("w", mean=0.0, var=1.0)
            c = lv.Const("c", shape=())
        with lv.plate("n", "N"):
            t = lv.Const("t", shape=())
            lv.Normal("y", mean=t * lv.dot(c, w), var=1.0, observed=True)
    rng = np.random.default_rng(2)
    cv, tv, yv = rng.normal(size=3), rng.normal(size=7), rng.normal(size=7)
    post = lv.derive(m)["w"].evaluate({}, {"c": cv, "t": tv, "y": yv})
    P = np.eye(3) + (tv**2).sum() * np.outer(cv, cv)
    np.testing.assert_allclose(post.params["precision"], P, rtol=1e-12)
    np.testing.assert_allclose(post.mean(), np.linalg.solve(P, cv * (tv @ yv)), rtol=1e-10, atol=1e-12)
    assert lv.verify(m, data={"c": cv, "t": tv, "y": yv}).ok


def test_gibbs_draws_w_from_the_closed_form_block():
    """alpha and tau given as data: w is the only unknown, so every sweep is an independent draw
    from N(m, Λ⁻¹); the sample mean and covariance agree within their Monte Carlo error."""
    rng = np.random.default_rng(11)
    N, D = 40, 5
    X, y = data(rng, N, D)
    alpha, tau = rng.gamma(2.0, 1.0, size=D) + 0.1, 2.5
    res = lv.infer(ard(fixed_hyper=True), data={"X": X, "y": y, "alpha": alpha, "tau": tau},
                   draws=2000, tune=10, chains=4, seed=1, progress=False)
    assert [s.method for s in res.schedule] == ["conjugate MultivariateNormal"]
    draws = res.draws["w"].reshape(-1, D)
    P, mean = closed_form(X, y, alpha, tau)
    cov = np.linalg.inv(P)
    n = draws.shape[0]
    sd = np.sqrt(np.diag(cov))
    assert np.all(np.abs(draws.mean(0) - mean) < 4.5 * sd / np.sqrt(n))
    se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert np.all(np.abs(np.cov(draws.T) - cov) < 5 * se_cov)


def _hand_written_ard_gibbs(X, y, chains, draws, rng):
    """An independent ARD sampler: numpy only, one block for w, Gamma draws for alpha and tau."""
    N, D = X.shape
    XtX, Xty = X.T @ X, X.T @ y
    w, alpha, tau = np.zeros((chains, D)), np.ones((chains, D)), np.ones(chains)
    out = np.empty((chains, draws, D))
    for t in range(draws):
        alpha = rng.gamma(1.5, 1 / (1 + w**2 / 2))
        rss = np.sum((y[None] - w @ X.T) ** 2, axis=1)
        tau = rng.gamma(1 + N / 2, 1 / (1 + rss / 2))
        for c in range(chains):
            P = np.diag(alpha[c]) + tau[c] * XtX
            L = np.linalg.cholesky(P)
            w[c] = np.linalg.solve(P, tau[c] * Xty) + np.linalg.solve(L.T, rng.standard_normal(D))
        out[:, t] = w
    return out


def test_ard_gibbs_agrees_with_a_hand_written_sampler_and_never_slices():
    rng = np.random.default_rng(5)
    N, D = 60, 4
    X, y = data(rng, N, D, noise=0.5)
    chains, draws = 16, 600
    with warnings.catch_warnings():
        warnings.simplefilter("error", lv.FallbackWarning)
        res = lv.infer(ard(), data={"X": X, "y": y}, draws=draws, tune=100, chains=chains, seed=2, progress=False)
    methods = {s.name: s.method for s in res.schedule}
    assert methods == {"alpha": "conjugate Gamma", "w": "conjugate MultivariateNormal", "tau": "conjugate Gamma"}
    assert not any("slice" in s.method for s in res.schedule)
    assert "one block of the 4 elements of plate d" in str(res.schedule)
    assert res.draws["w"].shape == (chains, draws, D)
    ref = _hand_written_ard_gibbs(X, y, chains, draws + 100, np.random.default_rng(9))[:, 100:]
    ours = res.draws["w"]
    for a, b in ((ours.mean(1), ref.mean(1)), ((ours**2).mean(1), (ref**2).mean(1))):
        diff = a.mean(0) - b.mean(0)             # chains are independent: chain means give the error
        se = np.sqrt(a.var(0, ddof=1) / chains + b.var(0, ddof=1) / chains)
        assert np.all(np.abs(diff) < 5 * se + 1e-12), (diff, se)


def test_generated_source_and_explanation_do_not_grow_with_D():
    sizes = {}
    for D in (3, 300):
        d = lv.derive(ard(d_size=D, x_shape=(D,)))
        assert d["w"].family.name == "MultivariateNormal"
        sizes[D] = (len(d.source("gibbs")), len(d.explain("w")), len(str(d)))
    for small, large in zip(sizes[3], sizes[300]):
        assert abs(large - small) <= 0.1 * small, sizes


# ---------------------------------------------------------------------------- bad spellings
def test_a_bad_shape_entry_is_a_model_error_naming_the_constant():
    with lv.Model("bad"):
        with pytest.raises(lv.ModelError, match="'X'.*shape entry -1"):
            lv.Const("X", shape=("D", -1))
        with pytest.raises(lv.ModelError, match="'Z'.*shape entry 'not a name'"):
            lv.Const("Z", shape=("not a name",))


def test_a_named_size_against_a_number_in_dot_is_a_model_error():
    m = ard(d_size="D", x_shape=(5,))
    with pytest.raises(lv.ModelError, match="'y'.*dot.*'D'"):
        lv.derive(m)


def test_a_plate_vector_outside_dot_is_a_model_error_naming_it():
    with lv.Model("bad") as m:
        with lv.plate("d", "D"):
            w = lv.Normal("w", mean=0.0, var=1.0)
        with lv.plate("n", "N"):
            lv.Normal("y", mean=w, var=1.0, observed=True)
    with pytest.raises(lv.ModelError, match="'y'.*w varies over plate 'd'.*lv.dot"):
        lv.derive(m)


def test_a_named_size_in_an_event_shape_is_a_model_error():
    with lv.Model("bad") as m:
        mu = lv.Const("mu", shape=("D",))
        lv.MultivariateNormal("x", mean=mu, precision=np.eye(2), observed=True)
    with pytest.raises(lv.ModelError, match="'x'.*'D' read from the data"):
        lv.derive(m)


def test_data_that_disagree_on_a_named_size_is_a_model_error():
    with lv.Model("bad") as m:
        with lv.plate("d", "D"):
            w = lv.Normal("w", mean=0.0, var=1.0)
        A = lv.Const("A", shape=("D",))
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=("D",))
            lv.Normal("y", mean=lv.dot(X, w) + lv.dot(A, w), var=1.0, observed=True)
    rng = np.random.default_rng(0)
    with pytest.raises(lv.ModelError, match="size 'D' is 3 from 'A' but 4 from constant 'X'|"
                                            "size 'D' is 4 from 'X' but 3 from constant 'A'"):
        lv.infer(m, data={"X": rng.standard_normal((10, 4)), "A": np.ones(3), "y": np.zeros(10)},
                 draws=5, tune=0, chains=1, progress=False)
    X, y = rng.standard_normal((10, 4)), np.zeros(10)
    with pytest.raises(lv.ModelError, match="constant 'X' has shape"):
        lv.infer(ard(d_size=3, x_shape=(3,)), data={"X": X, "y": y}, draws=5, tune=0, chains=1, progress=False)


def test_a_laplace_prior_on_linked_elements_is_reported_not_conjugate():
    d = lv.derive(ard(prior="laplace"), augment=False)
    reason = str(d.not_conjugate["w"])
    assert "Abs(w[d])" in reason and "plate 'd'" in reason and "one vector" in reason


def test_the_element_engine_names_what_it_cannot_write_out():
    with pytest.raises(lv.ModelError, match="'y'.*size comes from the data.*array-level engine"):
        lv.derive(ard(), engine="element")


# ---------------------------------------------------------------------------- the Bayesian lasso
def test_the_augmented_lasso_gets_the_block_update_at_array_level():
    """Laplace priors per weight, augmented (Park and Casella): w[d] ~ Normal(0, var=tau_w[d]),
    so w | rest ~ N with precision diag(1 / tau_w) + tau X'X.  Augmented models derive at element
    level by default for now; the array-level engine, asked for, gives the block."""
    from lvmdsl.runtime.gibbs import GibbsProgram
    m = ard(prior="laplace")
    d = lv.derive(m, engine="index")
    assert [r.rule for r in d.rewrites] == ["laplace"]
    c = d["w"]
    assert c.family.name == "MultivariateNormal"
    assert "precision = diag(1/tau_w) + tau Xᵀ X" in str(d)
    rng = np.random.default_rng(4)
    X, y = data(rng, 25, 5)
    s, tau = rng.gamma(2.0, 1.0, size=5), 1.3
    post = c.evaluate({"tau_w": s, "tau": tau, "alpha": np.ones(5)}, {"X": X, "y": y})
    P, mean = closed_form(X, y, 1 / s, tau)
    np.testing.assert_allclose(post.params["precision"], P, rtol=1e-10)
    np.testing.assert_allclose(post.mean(), mean, rtol=1e-8, atol=1e-10)
    assert lv.verify(m, data={"X": X, "y": y}, engine="index").ok
    program = GibbsProgram(d, {"X": X, "y": y}, chains=2)
    assert {s.name: s.method for s in program.schedule}["w"] == "conjugate MultivariateNormal"
    assert not any("slice" in s.method for s in program.schedule)


def test_the_text_language_round_trips_a_named_size():
    """``const X: real[D]`` in lvmdsl's text language, both ways."""
    m = ard()
    assert "const X: real[D]" in m.to_text()
    again = lv.derive(lv.parse(m.to_text()))
    assert str(again) == str(DERIVED)


def test_a_shared_precision_and_per_element_prior_means():
    """w[d] ~ Normal(mu[d], 1/alpha) with one alpha: precision alpha I + X'X, mean from alpha mu + X'y."""
    with lv.Model("ridge") as m:
        alpha = lv.Gamma("alpha", shape=1.0, rate=1.0)
        with lv.plate("d", "D"):
            mu = lv.Const("mu", shape=())
            lv.Normal("w", mean=mu, precision=alpha)
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=("D",))
            lv.Normal("y", mean=lv.dot(X, m["w"]), var=1.0, observed=True)
    d = lv.derive(m)
    assert "precision = alpha I + Xᵀ X, mean = precision⁻¹ (alpha mu + Xᵀ y)" in str(d)
    rng = np.random.default_rng(6)
    Xv, yv, muv = rng.normal(size=(30, 3)), rng.normal(size=30), rng.normal(size=3)
    post = d["w"].evaluate({"alpha": 2.0}, {"X": Xv, "y": yv, "mu": muv})
    P = 2 * np.eye(3) + Xv.T @ Xv
    np.testing.assert_allclose(post.params["precision"], P, rtol=1e-12)
    np.testing.assert_allclose(post.mean(), np.linalg.solve(P, 2 * muv + Xv.T @ yv), rtol=1e-10, atol=1e-12)
    assert lv.verify(m, data={"X": Xv, "y": yv, "mu": muv}).ok
