"""Unknowns of any shape: a (D, M) matrix Param W in lv.dot(W, z), its row blocks, lv.diag.

Every conditional is checked against a closed form written here in numpy (not the engine's
terms): with noise diag(psi), row a of W given z has precision Λ_a = Σ_n z_n z_nᵀ / psi_a and
mean Λ_a⁻¹ Σ_n z_n (x_na - mu_a) / psi_a; with a full noise precision L, vec(W) (row-major)
has precision L ⊗ Σ_n z_n z_nᵀ and linear coefficient vec(Σ_n L x_n z_nᵀ).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lvmdsl as lv
from lvmdsl.codegen.index_gibbs import IndexGibbsCodegen


def ppca(D, M, noise="s2"):
    """x[n] ~ MVN(W z[n] + mu, noise): s2 I, diag(psi) (factor analysis) or a full precision."""
    with lv.Model(f"ppca_{noise}") as m:
        W = lv.Param("W", shape=(D, M))
        mu = lv.Param("mu", shape=(D,))
        if noise == "s2":
            s2 = lv.Param("s2", constraint="positive")
            cov = {"cov": s2 * np.eye(D)}
        elif noise == "psi":
            psi = lv.Param("psi", shape=(D,), constraint="positive")
            cov = {"cov": lv.diag(psi)}
        else:
            A = np.random.default_rng(D).normal(size=(D, D))
            cov = {"precision": A @ A.T + D * np.eye(D)}
        with lv.plate("n", "N"):
            z = lv.MultivariateNormal("z", mean=np.zeros(M), cov=np.eye(M))
            lv.MultivariateNormal("x", mean=lv.dot(W, z) + mu, observed=True, **cov)
    return m


def row_closed_form(x, z, mu, psi):
    """Per row a: (mean (D, M), precision (D, M, M)) of W[a] | z, x with noise diag(psi), flat prior."""
    P = np.einsum("nb,nc->bc", z, z)[None] / psi[:, None, None]
    h = np.einsum("nb,na->ab", z, x - mu) / psi[:, None]
    return np.linalg.solve(P, h[..., None])[..., 0], P


def _state(rng, N, D, M):
    return (rng.normal(size=(N, D)), rng.normal(size=(N, M)), rng.normal(size=D),
            rng.uniform(0.3, 2.0, size=D))


# ---------------------------------------------------------------------------- shapes and errors
def test_param_of_any_shape_declares_and_round_trips_as_text():
    with lv.Model("shapes") as m:
        W = lv.Param("W", shape=(4, 2))
        T = lv.Param("T", shape=(2, 3, 2))
        psi = lv.Param("psi", shape=(4,), constraint="positive")
        q = lv.Param("q", shape=(3,), constraint="unit")
        B = lv.Param("B", shape=(3, 5), constraint="simplex")
        lv.Param("c", shape=3.0)                  # an integral float is a size, as for plates
        with lv.plate("n", "N"):
            z = lv.MultivariateNormal("z", mean=np.zeros(2), cov=np.eye(2))
            lv.MultivariateNormal("x", mean=lv.dot(W, z), cov=lv.diag(psi), observed=True)
    lv.derive(m)                                  # runs validation: the event shapes
    assert [m[k].event_shape for k in "W T psi q B c".split()] == [(4, 2), (2, 3, 2), (4,), (3,), (3, 5), (3,)]
    back = lv.parse(m.to_text())
    assert [back[k].family.shape for k in "W T psi q B".split()] == [(4, 2), (2, 3, 2), (4,), (3,), (3, 5)]
    assert "diag(psi)" in m.to_text()


@pytest.mark.parametrize("shape, constraint, words", [
    ("D", None, "shape must be a tuple of positive integers"),
    ((4, "M"), None, "'M' is not a positive integer"),
    ((4, 0), None, "0 is not a positive integer"),
    ((4.5, 2), None, "4.5 is not a positive integer"),
    (None, None, "got None"),
    ((True, 2), None, "True is not a positive integer"),
    ((), "simplex", "at least 1 dimension"),
    ((3,), "positive_definite", "at least 2 dimension"),
    ((2, 3, 3), "positive_definite", "one square matrix"),
    ((2, 3), "positive_definite", "one square matrix"),
])
def test_bad_param_shapes_are_model_errors_naming_the_param(shape, constraint, words):
    with lv.Model("bad"):
        with pytest.raises(lv.ModelError, match=r"Param 'W'.*") as err:
            lv.Param("W", shape=shape, constraint=constraint)
    assert words in str(err.value)


@pytest.mark.parametrize("bad", [np.zeros((3, 2)), np.zeros(8), np.zeros((4, 2, 1))])
def test_matrix_value_of_the_wrong_shape_is_named(bad):
    d = lv.derive(ppca(4, 2))
    rng = np.random.default_rng(0)
    x, z, mu, _ = _state(rng, 5, 4, 2)
    with pytest.raises(lv.ModelError, match=r"'W' has shape .*need.*\(4, 2\)"):
        d["z"].evaluate({"x": x, "W": bad, "mu": mu, "s2": 1.0})
    with pytest.raises(lv.ModelError, match=r"initial value of 'W'"):
        lv.infer(ppca(4, 2), data={"x": x}, method="em", init={"W": bad}, progress=False)


def test_diag_needs_a_vector():
    with lv.Model("d") as m:
        S = lv.Param("S", shape=(2, 2))
        lv.MultivariateNormal("x", mean=np.zeros(2), cov=lv.diag(S), observed=True)
    with pytest.raises(lv.ModelError, match="diag needs a vector"):
        lv.derive(m)


def test_diag_is_the_same_density_as_a_vector_times_the_identity():
    """lv.diag(psi) and psi * np.eye(D) give one log-joint (numpy path) and one conditional."""
    from lvmdsl.graph.validate import bind_data, log_joint, prepare
    rng = np.random.default_rng(3)
    psi, x = rng.uniform(0.5, 2, 3), rng.normal(size=(6, 3))
    out = []
    for cov in (lambda p: lv.diag(p), lambda p: p * np.eye(3)):
        with lv.Model("fa") as m:
            p = lv.Param("psi", shape=(3,), constraint="positive")
            with lv.plate("n", "N"):
                lv.MultivariateNormal("x", mean=np.zeros(3), cov=cov(p), observed=True)
        prepare(m)
        env, sizes = bind_data(m, {"x": x, "psi": psi})
        out.append((log_joint(m, env, sizes), lv.derive(m)["psi"].evaluate({"x": x}).params["scale"]))
    ref = -0.5 * (np.log(2 * np.pi * psi) + x ** 2 / psi).sum()
    assert out[0][0] == pytest.approx(ref) and out[1][0] == pytest.approx(ref)
    np.testing.assert_allclose(out[0][1], (x ** 2).sum(0) / 2)
    np.testing.assert_allclose(out[1][1], (x ** 2).sum(0) / 2)


# ---------------------------------------------------------------------------- conditionals
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(D=st.integers(1, 6), M=st.integers(1, 3), extra=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_rows_of_W_against_the_closed_form(D, M, extra, seed):
    """Diagonal noise: D independent M-dimensional blocks, each the closed form above."""
    N = M + extra
    rng = np.random.default_rng(seed)
    x, z, mu, psi = _state(rng, N, D, M)
    for noise, p in (("psi", psi), ("s2", np.full(D, 0.7))):
        c = lv.derive(ppca(D, M, noise))["W"]
        assert c.conjugate and c.family.name == "MultivariateNormal" and c.blocks == 1
        q = c.evaluate({"x": x, "z": z, "mu": mu, noise: p if noise == "psi" else 0.7})
        mean, P = row_closed_form(x, z, mu, p)
        np.testing.assert_allclose(q.params["precision"], P, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(q.mean(), mean, rtol=1e-8, atol=1e-10)
        assert q.params["precision"].shape == (D, M, M)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(D=st.integers(2, 4), M=st.integers(1, 3), extra=st.integers(0, 5), seed=st.integers(0, 2**16))
def test_full_noise_precision_gives_one_block_of_all_entries(D, M, extra, seed):
    N = M + 1 + extra
    m = ppca(D, M, noise="full")
    c = lv.derive(m)["W"]
    assert c.conjugate and c.blocks == 0
    L = m["x"].params["precision"].value
    rng = np.random.default_rng(seed)
    x, z, mu, _ = _state(rng, N, D, M)
    q = c.evaluate({"x": x, "z": z, "mu": mu})
    P = np.kron(L, z.T @ z)
    h = (L @ (x - mu).T @ z).ravel()
    np.testing.assert_allclose(q.params["precision"], P, rtol=1e-10)
    np.testing.assert_allclose(q.mean(), np.linalg.solve(P, h).reshape(D, M), rtol=1e-8, atol=1e-10)
    assert q.sample(rng).shape == (D, M) and np.isfinite(q.logpdf(q.mean()))


def test_z_given_W_is_the_textbook_posterior():
    """z[n] | rest ~ MVN with precision I + Wᵀ W / s2 and mean precision⁻¹ Wᵀ (x_n - mu) / s2."""
    D, M, N = 5, 2, 4
    rng = np.random.default_rng(2)
    x, _, mu, _ = _state(rng, N, D, M)
    W, s2 = rng.normal(size=(D, M)), 0.4
    q = lv.derive(ppca(D, M))["z"].evaluate({"x": x, "W": W, "mu": mu, "s2": s2})
    P = np.eye(M) + W.T @ W / s2
    np.testing.assert_allclose(q.params["precision"], np.broadcast_to(P, (N, M, M)), rtol=1e-12)
    np.testing.assert_allclose(q.mean(), np.linalg.solve(P, W.T @ (x - mu).T / s2).T, rtol=1e-10)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(D=st.integers(2, 5), M=st.integers(1, 3), noise=st.sampled_from(["s2", "psi", "full"]), seed=st.integers(0, 99))
def test_verify_density_ratio_identity(D, M, noise, seed):
    report = lv.verify(ppca(D, M, noise), states=2, seed=seed)
    assert report.ok and set(report.errors) >= {"W", "mu", "z"}, report.summary()


def test_arrays_of_simplices_and_unit_entries_derive_per_row():
    K, V, N = 3, 4, 60
    with lv.Model("rows") as m:
        pi = lv.Param("pi", shape=(K,), constraint="simplex")
        B = lv.Param("B", shape=(K, V), constraint="simplex")
        q = lv.Param("q", shape=(K,), constraint="unit")
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            lv.Categorical("w", p=B[z], observed=True)
            lv.Bernoulli("y", p=q[z], observed=True)
    d = lv.derive(m)
    rng = np.random.default_rng(4)
    z, w, y = rng.integers(0, K, N), rng.integers(0, V, N), rng.integers(0, 2, N)
    alpha = np.ones((K, V))
    np.add.at(alpha, (z, w), 1)
    np.testing.assert_allclose(d["B"].evaluate({"z": z, "w": w, "y": y}).params["alpha"], alpha)
    beta = d["q"].evaluate({"z": z, "w": w, "y": y}).params
    np.testing.assert_allclose(beta["a"], np.bincount(z, weights=y, minlength=K) + 1)
    np.testing.assert_allclose(beta["b"], np.bincount(z, weights=1 - y, minlength=K) + 1)
    assert lv.verify(m).ok
    assert "B[a] | rest ~ Dirichlet" in str(d) and "q[a] | rest ~ Beta" in str(d)


def test_em_m_step_reads_the_row_blocked_conditional():
    """d["W"] of the PPCA Param (flat prior, no data needed) is the conjugate MVN-vehicle
    conditional with row blocks: the natural parameters EM's M-step solves."""
    d = lv.derive(ppca(7, 3))
    c = d["W"]
    assert c.conjugate and c.rule_name == "no prior; MultivariateNormal statistics" and c.blocks == 1
    assert [len(s.indices) for s in c.stats] == [2, 3]          # W[a, b] and W[a, b] W[a, e]
    text = d.explain("W")
    assert "W[a] | rest" in text and "precision = 1/s2 zᵀ z" in text


# ---------------------------------------------------------------------------- generated code
def _compiled_update(m, data, state, chains):
    d = lv.derive(m)
    ns = IndexGibbsCodegen(d).compile()
    N = len(data["x"])
    D = {**data, "N": N, **d["W"].literals.arrays}
    Z = {"_chains": chains, "N": N, "n": N}
    P = ns["precompute"](D, {}, Z)
    S = {k: np.broadcast_to(v, (chains,) + np.shape(v)) for k, v in state.items()}
    return ns["update_W"], S, D, Z, P


def test_gibbs_draws_rows_of_W_from_the_closed_form():
    """The generated update of W, 20,000 chains at one fixed state: mean and covariance of each
    row within Monte Carlo error of the closed form."""
    Dn, M, N, C = 4, 2, 25, 20_000
    rng = np.random.default_rng(5)
    x, z, mu, psi = _state(rng, N, Dn, M)
    update, S, D, Z, P = _compiled_update(ppca(Dn, M, "psi"), {"x": x}, {"z": z, "mu": mu, "psi": psi}, C)
    update(S, D, {}, Z, P, rng)
    W = S["W"]
    assert W.shape == (C, Dn, M)
    mean, Prec = row_closed_form(x, z, mu, psi)
    cov = np.linalg.inv(Prec)
    se = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1) / C)
    assert np.all(np.abs(W.mean(0) - mean) < 4.5 * se)
    for a in range(Dn):
        emp = np.cov(W[:, a].T)
        sd = np.sqrt(np.outer(np.diag(cov[a]), np.diag(cov[a])) + cov[a] ** 2) / np.sqrt(C)   # sd of a sample covariance
        assert np.all(np.abs(emp - cov[a]) < 4.5 * sd)


def test_gibbs_full_block_draw_keeps_the_matrix_layout():
    Dn, M, N, C = 3, 2, 15, 20_000
    m = ppca(Dn, M, "full")
    L = m["x"].params["precision"].value
    rng = np.random.default_rng(6)
    x, z, mu, _ = _state(rng, N, Dn, M)
    update, S, D, Z, P = _compiled_update(m, {"x": x}, {"z": z, "mu": mu}, C)
    update(S, D, {}, Z, P, rng)
    Prec = np.kron(L, z.T @ z)
    mean = np.linalg.solve(Prec, (L @ (x - mu).T @ z).ravel())
    flat = S["W"].reshape(C, -1)
    se = np.sqrt(np.diag(np.linalg.inv(Prec)) / C)
    assert np.all(np.abs(flat.mean(0) - mean) < 4.5 * se)
    assert np.abs(np.cov(flat.T) - np.linalg.inv(Prec)).max() < 0.05 * np.abs(np.linalg.inv(Prec)).max()


def test_generated_source_and_explain_do_not_grow_with_D():
    def sizes(D):
        d = lv.derive(ppca(D, 2, "psi"))
        return len(d.source("gibbs")), len(d.explain("W")), len(str(d))
    small, large = sizes(3), sizes(300)
    for a, b in zip(small, large):
        assert abs(b - a) <= 0.1 * a, (small, large)


def test_row_blocked_update_is_one_batched_draw_and_full_block_flattened():
    src = lv.derive(ppca(5, 2, "psi")).source("gibbs")
    assert "S['W'] = draw_index_natural('MultivariateNormal', natural_W(S, D, DI, Z, P), rng)" in src
    assert "block_ndim=2" in lv.derive(ppca(3, 2, "full")).source("gibbs")


# ---------------------------------------------------------------------------- EM end to end
def _low_rank(N, D, M, noise, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N, M)) @ rng.normal(size=(D, M)).T + 1.0 + noise * rng.normal(size=(N, D))


def test_ppca_em_reaches_the_tipping_bishop_solution():
    """ML PPCA (Tipping and Bishop 1999): s2 is the mean of the D - M smallest eigenvalues of the
    sample covariance, and the eigenvalues of W Wᵀ are the M largest minus s2."""
    D, M, N = 6, 2, 400
    X = _low_rank(N, D, M, 0.4, seed=0)
    fit = lv.infer(ppca(D, M), data={"x": X}, method="em", seed=0, progress=False, max_iter=5000, tol=1e-10)
    ev = np.sort(np.linalg.eigvalsh(np.cov(X.T, bias=True)))[::-1]
    s2 = ev[M:].mean()
    assert fit.params["s2"] == pytest.approx(s2, rel=1e-4)
    W = fit.params["W"]
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(W @ W.T))[::-1][:M], ev[:M] - s2, rtol=1e-4)
    np.testing.assert_allclose(fit.params["mu"], X.mean(0), rtol=1e-6)
    assert fit.to_arviz().posterior["W"].dims[2:] == ("W_dim_0", "W_dim_1")


@pytest.mark.slow
def test_factor_analysis_em_matches_scikit_learn_log_likelihood():
    from sklearn.decomposition import FactorAnalysis
    D, M, N = 6, 2, 400
    X = _low_rank(N, D, M, np.linspace(0.2, 0.6, D), seed=0)
    fit = lv.infer(ppca(D, M, "psi"), data={"x": X}, method="em", seed=0, progress=False, max_iter=5000, tol=1e-10)
    ref = FactorAnalysis(M, tol=1e-12, max_iter=100_000).fit(X).score(X) * N
    assert fit.loglik[-1] == pytest.approx(ref, rel=1e-6)


# ---------------------------------------------------------------------------- W with a prior
def ppca_prior(D, M, form, tau0=2.0, noise="psi"):
    """W with a normal prior of precision tau0 per entry, as a matrix in lv.dot(W, z): its rows
    declared in plate d as MultivariateNormal ("rows"), or its entries in plates d, m as Normal
    ("entries").  z and psi are given (constants), so W | x is the closed form above."""
    with lv.Model(f"ppca_{form}") as m:
        with lv.plate("d", D):
            if form == "rows":
                W = lv.MultivariateNormal("W", mean=np.zeros(M), precision=tau0 * np.eye(M))
            else:
                with lv.plate("m", M):
                    W = lv.Normal("W", mean=0.0, precision=tau0)
        mu = lv.Const("mu", shape=(D,))
        cov = lv.diag(lv.Const("psi", shape=(D,))) if noise == "psi" else lv.InverseGamma("s2", shape=2.0, scale=1.0) * np.eye(D)
        with lv.plate("n", "N"):
            z = lv.Const("z", shape=(M,)) if noise == "psi" else lv.MultivariateNormal("z", mean=np.zeros(M), cov=np.eye(M))
            lv.MultivariateNormal("x", mean=lv.dot(W, z) + mu, cov=cov, observed=True)
    return m


def prior_closed_form(x, z, mu, psi, tau0):
    P = tau0 * np.eye(z.shape[1])[None] + np.einsum("nb,nc->bc", z, z)[None] / psi[:, None, None]
    h = np.einsum("nb,na->ab", z, x - mu) / psi[:, None]
    return np.linalg.solve(P, h[..., None])[..., 0], P


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(D=st.integers(1, 5), M=st.integers(1, 3), N=st.integers(1, 8), tau0=st.floats(0.1, 10.0),
       form=st.sampled_from(["rows", "entries"]), seed=st.integers(0, 2**16))
def test_rows_of_W_with_a_normal_prior_against_the_closed_form(D, M, N, tau0, form, seed):
    """Λ_a = tau0 I + Σ_n z_n z_nᵀ / psi_a, mean Λ_a⁻¹ Σ_n z_n (x_na - mu_a) / psi_a, both spellings."""
    rng = np.random.default_rng(seed)
    x, z, mu, psi = _state(rng, N, D, M)
    c = lv.derive(ppca_prior(D, M, form, tau0))["W"]
    assert c.conjugate and c.blocks == 1
    q = c.evaluate({"x": x, "z": z, "mu": mu, "psi": psi})
    mean, P = prior_closed_form(x, z, mu, psi, tau0)
    np.testing.assert_allclose(q.params["precision"], P, rtol=1e-10)
    np.testing.assert_allclose(q.mean(), mean, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("form", ["rows", "entries"])
def test_gibbs_with_a_prior_on_W_matches_the_closed_form(form):
    """lv.infer: W's draws (z, psi, mu fixed as data) have each row's closed-form mean and
    covariance within Monte Carlo error; the schedule says rows are drawn apart."""
    D, M, N, tau0 = 5, 2, 40, 2.0
    rng = np.random.default_rng(0)
    z, psi, mu = rng.normal(size=(N, M)), rng.uniform(0.3, 1.5, D), rng.normal(size=D)
    x = z @ rng.normal(size=(D, M)).T + mu + np.sqrt(psi) * rng.normal(size=(N, D))
    res = lv.infer(ppca_prior(D, M, form, tau0), data={"x": x, "z": z, "psi": psi, "mu": mu},
                   draws=4000, tune=10, chains=4, seed=1, progress=False)
    assert "5 independent blocks of 2 (rows of W)" in str(res.schedule)
    W = res.draws["W"].reshape(-1, D, M)
    mean, P = prior_closed_form(x, z, mu, psi, tau0)
    cov = np.linalg.inv(P)
    se = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1) / len(W))
    assert np.all(np.abs(W.mean(0) - mean) < 4.5 * se)
    for a in range(D):
        sd = np.sqrt(np.outer(np.diag(cov[a]), np.diag(cov[a])) + cov[a] ** 2) / np.sqrt(len(W))
        assert np.all(np.abs(np.cov(W[:, a].T) - cov[a]) < 4.5 * sd)


@pytest.mark.parametrize("form", ["rows", "entries"])
def test_prior_forms_round_trip_through_text(form):
    m = ppca_prior(4, 2, form)
    text = m.to_text()
    assert "dot(W, z)" in text and "diag(psi)" in text
    assert str(lv.derive(lv.parse(text))) == str(lv.derive(m))


@pytest.mark.parametrize("form", ["rows", "entries"])
def test_prior_forms_verify_and_do_not_grow_with_D(form):
    report = lv.verify(ppca_prior(4, 2, form, noise="s2"), data={"mu": np.linspace(-1, 1, 4)})
    assert report.ok and set(report.errors) == {"W", "s2", "z"}, report.summary()

    def sizes(D):
        d = lv.derive(ppca_prior(D, 2, form, noise="s2"))
        return len(d.source("gibbs")), len(d.explain("W")), len(str(d))
    small, large = sizes(3), sizes(300)
    for a, b in zip(small, large):
        assert abs(b - a) <= 0.1 * a, (small, large)


def test_rows_in_a_plate_with_a_wishart_noise_are_one_block():
    """A full noise precision (a Wishart unknown) links the rows: one block of all D M entries,
    precision [a = c][b = e] + Σ_n Lam[a, c] z[n, b] z[n, e], checked by lv.verify; Gibbs runs it."""
    D, M = 3, 2
    with lv.Model("wishart_noise") as m:
        Lam = lv.Wishart("Lam", df=D + 2.0, scale=np.eye(D))
        with lv.plate("d", D):
            lv.MultivariateNormal("W", mean=np.zeros(M), cov=np.eye(M))
        with lv.plate("n", "N"):
            z = lv.MultivariateNormal("z", mean=np.zeros(M), cov=np.eye(M))
            lv.MultivariateNormal("x", mean=lv.dot(m["W"], z), precision=Lam, observed=True)
    d = lv.derive(m)
    assert d["W"].conjugate and d["W"].blocks == 0
    assert "W | rest ~ MultivariateNormal(precision = I + Lam ⊗ zᵀ z, mean = precision⁻¹ (Lam xᵀ z))" in str(d)
    assert r"Lam \otimes z^{\top} z" in d.to_latex()
    assert lv.verify(m).ok
    rng = np.random.default_rng(0)
    res = lv.infer(m, data={"x": rng.normal(size=(30, D))}, draws=20, tune=5, chains=2, seed=0, progress=False)
    assert "one block of the 6 entries of W" in str(res.schedule)
    assert res.draws["W"].shape == (2, 20, D, M)
