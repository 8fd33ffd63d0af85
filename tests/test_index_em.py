"""EM generated at array level (``codegen.index_em``) against the element-level EM, and its size.

The element-level engine writes every entry and state out; the array-level one derives each
expectation once for symbolic sizes.  From the same start, for the same number of iterations,
both must give the same estimates (an independent derivation of the same updates), and the
array-level program's source and printout must not grow with D or K.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import lvmdsl as lv
from lvmdsl.runtime.em import EMProgram, run_em

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import em_models as em  # noqa: E402


def _fit(model, data, engine, latent=None, iters=25):
    prog = EMProgram(lv.derive(model, engine=engine), data, 2, latent=latent)
    assert prog.index == (engine == "index")
    out = run_em(prog, None, iters, 0.0, 7, False)
    return out


def _data(rng):
    z = rng.integers(0, 3, 300)
    centres = np.array([[-3.0, 0.0], [0.0, 3.0], [3.0, -1.0]])
    x2 = centres[z] + rng.normal(size=(300, 2)) * np.array([1.0, 0.5])
    W = rng.normal(size=(5, 2))
    xp = rng.normal(size=(200, 2)) @ W.T + 0.3 * rng.normal(size=(200, 5)) + 1.0
    X = rng.normal(size=(80, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.5 * rng.normal(size=80)
    xb = (rng.uniform(size=(300, 6)) < np.where(z[:, None] == 0, 0.8, 0.2)).astype(float)
    return {"gmm_1d": (em.gmm_1d(3), {"x": x2[:, 0]}, None),
            "gmm_diag": (em.gmm_diag(3, 2), {"x": x2}, None),
            "gmm_full": (em.gmm_full(3, 2), {"x": x2}, None),
            "ppca": (em.ppca(5, 2), {"x": xp}, None),
            "factor_analysis": (em.ppca(5, 2, factor_analysis=True), {"x": xp}, None),
            "bernoulli_mixture": (em.bernoulli_mixture(3, 6), {"x": xb}, None),
            "regression_evidence": (em.regression_evidence(4), {"X": X, "y": y}, ["w"])}


CASES = ["gmm_1d", "gmm_diag", "gmm_full", "ppca", "factor_analysis", "bernoulli_mixture", "regression_evidence"]


@pytest.mark.parametrize("name", CASES)
def test_array_level_em_equals_element_level_em(name):
    model, data, latent = _data(np.random.default_rng(3))[name]
    a = _fit(model, data, "index", latent)
    b = _fit(model, data, "element", latent)
    n = min(a["loglik"].shape[1], b["loglik"].shape[1])      # a run may stop one step early at a fixed point
    np.testing.assert_allclose(a["loglik"][:, :n], b["loglik"][:, :n], rtol=1e-9, atol=1e-9)
    for p in a["params"]:
        np.testing.assert_allclose(a["params"][p], b["params"][p], rtol=1e-7, atol=1e-9, err_msg=p)


def _lengths(model, **kw):
    e = lv.derive(model, method="em", **kw)
    return len(e.source()), len(str(e))


def test_em_source_and_printout_do_not_grow_with_dimensions_or_states():
    for small, large, kw in [(em.gmm_full(3, 3), em.gmm_full(3, 300), {}),
                             (em.gmm_1d(3), em.gmm_1d(300), {}),
                             (em.regression_evidence(3), em.regression_evidence(300), {"latent": ["w"]})]:
        (s1, t1), (s2, t2) = _lengths(small, **kw), _lengths(large, **kw)
        assert abs(s2 - s1) <= 0.1 * s1, (s1, s2)
        assert abs(t2 - t1) <= 0.1 * t1, (t1, t2)


def test_em_derivation_reads_as_linear_algebra():
    text = str(lv.derive(em.regression_evidence(3), method="em", latent=["w"]))
    assert "E[w]ᵀ Xᵀ y" in text                           # beta's M-step statistic
    assert "precision = alpha I + beta Xᵀ X" in text        # the E-step of w
    ppca = str(lv.derive(em.ppca(4, 2), method="em"))
    assert "E[z zᵀ]" in ppca and "E[z]" in ppca


def test_a_numerical_m_step_falls_back_to_element_level_and_engine_index_says_why():
    with lv.Model("nonconjugate") as m:
        a = lv.Param("a")
        with lv.plate("n", "N"):
            lv.Normal("y", mean=lv.exp(a), var=1.0, observed=True)
    e = lv.derive(m, method="em")                  # generalised EM: the element-level derivation
    assert "numerical" in str(e) or "no closed form" in str(e)
    with pytest.raises(lv.ModelError, match="'a'"):
        lv.derive(m, method="em", engine="index")
    fit = lv.infer(m, data={"y": np.full(20, np.e)}, method="em", progress=False)
    assert abs(float(np.ravel(fit.params["a"])[0]) - 1.0) < 1e-4


def natural_ppca(D: int, M: int, factor_analysis: bool = False):
    """PPCA written as a textbook writes it: x[n] ~ MVN(W z[n] + mu, s2 I), W a (D, M) parameter
    (factor analysis: cov = diag(psi))."""
    with lv.Model("fa" if factor_analysis else "ppca") as m:
        W = lv.Param("W", shape=(D, M))
        mu = lv.Param("mu", shape=(D,))
        noise = (lv.diag(lv.Param("psi", shape=(D,), constraint="positive")) if factor_analysis
                 else lv.Param("s2", constraint="positive") * np.eye(D))
        with lv.plate("n", "N"):
            z = lv.MultivariateNormal("z", mean=np.zeros(M), cov=np.eye(M))
            lv.MultivariateNormal("x", mean=lv.dot(W, z) + mu, cov=noise, observed=True)
    return m


@pytest.mark.parametrize("natural", [True, False], ids=["W a (D, M) Param", "W rows in plate d"])
def test_factor_analysis_matches_scikit_learn_log_likelihood(natural):
    """Factor analysis (diagonal noise psi) by array-level EM: the same maximum likelihood as
    scikit-learn's FactorAnalysis (SVD-based iterations), to 1e-6 relative."""
    from sklearn.decomposition import FactorAnalysis
    rng = np.random.default_rng(0)
    D, L, N = 8, 2, 400
    W = rng.normal(size=(D, L))
    psi = rng.uniform(0.2, 1.0, D)
    X = rng.normal(size=(N, L)) @ W.T + rng.normal(size=(N, D)) * np.sqrt(psi) + rng.normal(size=D)
    ll_sk = FactorAnalysis(n_components=L, tol=1e-12, max_iter=100000).fit(X).score(X) * N
    model = natural_ppca(D, L, factor_analysis=True) if natural else em.ppca(D, L, factor_analysis=True)
    fit = lv.infer(model, data={"x": X}, method="em", max_iter=20000, tol=1e-14, seed=0, progress=False)
    assert fit.program.index
    assert fit.loglik[-1] == pytest.approx(ll_sk, rel=1e-6)


def tipping_bishop(X, M):
    """The closed-form PPCA maximum likelihood: sigma^2 the mean of the D - M smallest eigenvalues
    of the sample covariance, W W' = U_M (Lambda_M - sigma^2 I) U_M'."""
    S = np.cov(X.T, bias=True)
    lam, U = np.linalg.eigh(S)
    lam, U = lam[::-1], U[:, ::-1]
    s2 = lam[M:].mean()
    WWt = U[:, :M] @ np.diag(lam[:M] - s2) @ U[:, :M].T
    return s2, WWt


def test_ppca_reaches_the_tipping_bishop_solution_at_d50_m5():
    rng = np.random.default_rng(1)
    D, M, N = 50, 5, 2000
    # signal eigenvalues 20-76 against noise 1: EM converges in a few hundred iterations (with a
    # signal-to-noise ratio of 1000 it needs thousands: EM's known slowness for PPCA, the same in a
    # direct numpy EM)
    W = rng.normal(size=(D, M))
    X = rng.normal(size=(N, M)) @ W.T + rng.normal(size=(N, D)) + 3.0
    s2, WWt = tipping_bishop(X, M)
    fit = lv.infer(natural_ppca(D, M), data={"x": X}, method="em", max_iter=1000, tol=1e-15, seed=0, progress=False)
    assert fit.program.index
    What = np.asarray(fit.params["W"])
    assert What.shape == (D, M)
    assert float(np.ravel(fit.params["s2"])[0]) == pytest.approx(s2, rel=1e-6)
    np.testing.assert_allclose(What @ What.T, WWt, rtol=0, atol=1e-6 * np.abs(WWt).max())
    np.testing.assert_allclose(np.ravel(fit.params["mu"]), X.mean(0), rtol=0, atol=1e-5 * X.std(0).min())
    lam = np.sort(np.linalg.eigvalsh(np.cov(X.T, bias=True)))[::-1]
    ll_ml = -N / 2 * (D * np.log(2 * np.pi) + np.log(lam[:M]).sum() + (D - M) * np.log(s2) + D)
    assert fit.loglik[-1] == pytest.approx(ll_ml, rel=1e-10)


def ard_model():
    with lv.Model("ard") as m:
        with lv.plate("d", "D"):
            alpha = lv.Param("alpha", constraint="positive")
            lv.Normal("w", mean=0.0, precision=alpha)          # w declared element-wise: one block
        tau = lv.Param("tau", constraint="positive")
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=("D",))
            lv.Normal("y", mean=lv.dot(X, m.variables["w"]), precision=tau, observed=True)
    return m


def test_ard_evidence_maximisation_matches_a_direct_maximiser_of_the_evidence():
    """Automatic relevance determination by EM (w latent, one MVN block over plate d) reaches the
    maximiser of the evidence log N(y | 0, X diag(1/alpha) X' + I/tau), found here by scipy."""
    from scipy.optimize import minimize
    from scipy.stats import multivariate_normal
    rng = np.random.default_rng(4)
    N, D = 150, 4
    X = rng.normal(size=(N, D))
    y = X @ np.array([1.5, -1.0, 0.7, 2.0]) + 0.5 * rng.normal(size=N)

    def neg_evidence(log_params):
        a, t = np.exp(log_params[:D]), np.exp(log_params[D])
        return -multivariate_normal(np.zeros(N), (X / a) @ X.T + np.eye(N) / t).logpdf(y)

    ref = minimize(neg_evidence, np.zeros(D + 1), method="BFGS", options={"gtol": 1e-9})
    fit = lv.infer(ard_model(), data={"X": X, "y": y}, method="em", latent=["w"], max_iter=5000, tol=1e-15,
                   progress=False)
    assert fit.program.index
    # the evidence is flat near its maximum (alpha off by 1e-4 relative moves it by 1e-10), so the
    # maximum is compared tightly and the maximiser loosely
    assert fit.loglik[-1] == pytest.approx(-ref.fun, rel=1e-10)
    np.testing.assert_allclose(np.ravel(fit.params["alpha"]), np.exp(ref.x[:D]), rtol=1e-3)
    assert float(np.ravel(fit.params["tau"])[0]) == pytest.approx(np.exp(ref.x[D]), rel=1e-4)


def test_explain_of_a_name_that_is_neither_latent_nor_parameter_is_a_model_error():
    e = lv.derive(em.gmm_1d(3), method="em")
    with pytest.raises(lv.ModelError, match="'nope' is neither a latent"):
        e.explain("nope")


def test_products_too_large_to_hold_are_chunked_with_the_same_fit():
    """When the data's precomputed products would pass the memory budget, array-level EM runs in
    chunks (measured per data point) and gives the same fit as holding them whole."""
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(-2, 1, size=(300, 3)), rng.normal(2, 1, size=(300, 3))])
    prog = EMProgram(lv.derive(em.gmm_full(2, 3)), {"x": X}, 1)
    assert prog.auto_chunk() is None                                  # small: held whole
    chunk = prog._index_chunk(whole=10_000, part=4_000)
    assert chunk is not None and chunk < 600
    init = {"pi": np.full(2, 0.5), "mu": X[[0, 599]], "cov": np.broadcast_to(np.eye(3), (2, 3, 3)).copy()}
    whole = run_em(prog, init, 15, 0.0, 0, False, chunk=0)
    parts = run_em(EMProgram(lv.derive(em.gmm_full(2, 3)), {"x": X}, 1), init, 15, 0.0, 0, False, chunk=chunk)
    np.testing.assert_allclose(parts["loglik"], whole["loglik"], rtol=1e-10)
    for p in whole["params"]:
        np.testing.assert_allclose(parts["params"][p], whole["params"][p], rtol=1e-8, atol=1e-12)
