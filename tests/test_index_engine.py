"""The array-level derivation (engine="index") checked by independent means.

* ``lv.verify(..., engine="index")``: the density-ratio identity against the numpy log-joint,
  which shares nothing with either derivation, for every conjugate pair and example model;
* agreement with the element-level engine's conditional at the same random states;
* closed forms (regression's posterior) at dimensions the element engine cannot reach;
* a derivation whose cost and printed size do not grow with D.
"""

import sys
import time
from pathlib import Path

import numpy as np
import pytest

import lvmdsl as lv
from lvmdsl.explain.table import CATALOGUE
from lvmdsl.families import FAMILIES
from lvmdsl.runtime.forward import sample_prior

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import em_models  # noqa: E402
import models  # noqa: E402


def test_every_catalogue_pair_passes_verify_at_array_level():
    for pair in CATALOGUE:
        if pair.prior in FAMILIES and pair.likelihood in FAMILIES:
            report = lv.verify(pair.build(), seed=11, engine="index")
            assert report.ok and "theta" in report.errors, (pair, report.summary())


MF_DATA = {"row": np.array([0, 1, 2, 4, 4]), "col": np.array([0, 3, 1, 2, 2])}
EXAMPLES = {
    "gmm": (models.gmm, {}),
    "linear_regression": (lambda: models.linear_regression(4), {"X": np.arange(20.0).reshape(5, 4) % 3 - 1}),
    "matrix_factorisation": (lambda: models.matrix_factorisation(5, 4, 2), MF_DATA),
    "pumps": (models.pumps, {"t": np.array([1.0, 2.0, 0.5, 3.0, 1.5])}),
    "gmm_full": (lambda: em_models.gmm_full(3, 2),
                 {"pi": np.array([0.2, 0.3, 0.5]), "mu": np.array([[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]]),
                  "cov": np.array([[[1.0, 0.3], [0.3, 2.0]], [[0.5, 0.0], [0.0, 0.5]], [[2.0, -0.4], [-0.4, 1.0]]])}),
    "ppca": (lambda: em_models.ppca(4, 2),
             {"W": np.array([[1.0, 0.5], [-0.3, 2.0], [0.0, 1.0], [1.5, -1.0]]), "mu": np.array([0.0, 1.0, -1.0, 2.0]),
              "s2": np.array(0.7)}),
    "bernoulli_mixture": (lambda: em_models.bernoulli_mixture(2, 3), {"pi": np.array([0.4, 0.6])}),
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_index_engine_agrees_with_element_engine(name):
    build, data = EXAMPLES[name]
    m = build()
    element, index = lv.derive(m), lv.derive(m, engine="index")
    rng = np.random.default_rng(3)
    n = 5 if name in ("matrix_factorisation", "pumps", "linear_regression") else 40
    sizes = {p.name: n for p in m.plates.values() if isinstance(p.size, str)}
    sizes.update({p.size: n for p in m.plates.values() if isinstance(p.size, str)})
    for _ in range(2):
        env = sample_prior(m, rng, sizes, fixed=data)
        for v in m.unknowns:
            a, b = element[v.name], index[v.name]
            assert a.conjugate == b.conjugate, (v.name, a, b)
            if not a.conjugate:
                continue
            assert a.family.name == b.family.name
            pa, pb = a.evaluate(env).params, b.evaluate(env).params
            for k in pa:
                np.testing.assert_allclose(np.asarray(pb[k], float), np.asarray(pa[k], float), rtol=1e-9, atol=1e-9,
                                           err_msg=f"{name}: {v.name}.{k}")


@pytest.mark.parametrize("name", ["matrix_factorisation", "pumps", "gmm_full"])
def test_examples_pass_verify_at_array_level(name):
    build, data = EXAMPLES[name]
    m = build()
    sizes = {"N": 40, "n": 40} if name == "gmm_full" else None
    assert lv.verify(m, data=data, seed=2, sizes=sizes, engine="index").ok


def _regression(D, N, rng):
    X = rng.standard_normal((N, D))
    y = X @ rng.standard_normal(D) + rng.standard_normal(N)
    with lv.Model("reg") as m:
        lv.MultivariateNormal("w", mean=np.zeros(D), precision=0.5 * np.eye(D))
        lv.Gamma("tau", shape=1.0, rate=1.0)
        with lv.plate("n", N):
            Xc = lv.Const("X", X)
            lv.Normal("y", mean=lv.dot(Xc, w_ref(m)), precision=m.variables["tau"], observed=y)
    return m, X, y


def w_ref(m):
    return m.variables["w"]


def test_regression_posterior_matches_closed_form_at_D_300():
    rng = np.random.default_rng(0)
    m, X, y = _regression(300, 400, rng)
    d = lv.derive(m, engine="index")
    post = d["w"].evaluate({"tau": np.array(2.0)}, {"y": y})
    P = 0.5 * np.eye(300) + 2.0 * X.T @ X
    np.testing.assert_allclose(post.params["precision"], P, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(post.params["mean"], np.linalg.solve(P, 2.0 * X.T @ y), rtol=1e-8, atol=1e-10)


def test_derivation_cost_and_size_do_not_grow_with_D():
    rng = np.random.default_rng(1)
    times, texts = {}, {}
    for D in (3, 300):
        m, _, _ = _regression(D, 50, rng)
        t = time.perf_counter()
        d = lv.derive(m, engine="index")
        times[D] = time.perf_counter() - t
        texts[D] = [[str(t.to_sympy()) for t in terms] for terms in d["w"].natural]
    assert len(str(texts[300])) <= 1.1 * len(str(texts[3])) + 20
    assert times[300] < 3 * times[3] + 0.5


def test_enumeration_is_one_expression_over_the_state_axis():
    for K in (3, 300):
        with lv.Model("gmm") as m:
            pi = lv.Dirichlet("pi", alpha=np.ones(K))
            with lv.plate("k", K):
                mu = lv.Normal("mu", mean=0.0, var=100.0)
            with lv.plate("n", "N"):
                z = lv.Categorical("z", p=pi)
                lv.Normal("x", mean=mu[z], var=1.0, observed=True)
        c = lv.derive(m, engine="index")["z"]
        assert c.rule == "enumeration" and c.n_states == K
        assert len(c.natural[0]) <= 4             # log pi[s] + three terms in mu[s], for every K


def _generated_vs_evaluated(m, data, chains=3, seed=0):
    """Every generated natural_<name> (all chains at once) against the einsum evaluation of the
    same conditional (one chain at a time): two independent numeric paths from one derivation."""
    from lvmdsl.runtime.gibbs import GibbsProgram
    d = lv.derive(m, engine="index")
    prog = GibbsProgram(d, data, chains)
    rng = np.random.default_rng(seed)
    draws = [sample_prior(m, rng, prog.sizes, fixed=prog.env) for _ in range(chains)]
    S = {v.name: np.stack([np.asarray(e[v.name]) for e in draws]) for v in m.unknowns}
    for name, c in d.items():
        if not c.conjugate:
            continue
        eta = prog.namespace[f"natural_{name}"](S, prog.D, prog.DI, prog.Z, prog.P)
        for ch in range(chains):
            env = {**prog.env, **{k: v[ch] for k, v in S.items()}, **d.literals.arrays}
            ref = c.natural_numeric(env, prog.sizes)
            for s, (a, b) in enumerate(zip(eta, ref)):
                a = np.moveaxis(a, 0, -1)[ch] if c.rule == "enumeration" else a[ch]
                if c.stats[s].symmetric:
                    k = len(c.stats[s].indices) // 2
                    a = (a + np.moveaxis(a, list(range(a.ndim - k, a.ndim)), list(range(a.ndim - 2 * k, a.ndim - k)))) / 2
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, err_msg=f"{m.name}: {name} eta[{s}]")


def test_generated_gibbs_code_equals_the_einsum_evaluation():
    import data as exdata
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 4))
    cases = [
        (models.gmm(), {"x": rng.standard_normal(40)}),
        (models.linear_regression(4), {"X": X, "y": X @ np.ones(4) + rng.standard_normal(30)}),
        (models.matrix_factorisation(5, 4, 2), {**MF_DATA, "r": rng.standard_normal(5)}),
        (exdata.growth_curve_model(), exdata.growth_curve_data()),
        (exdata.failure_rate_model(), exdata.failure_rate_data()),
        (exdata.ab_test_model(), {"conv_a": rng.integers(0, 2, 7), "conv_b": rng.integers(0, 2, 9)}),
        (models.bayes_full_mixture(), {"x": rng.standard_normal((25, 2))}),
    ]
    for m, data in cases:
        _generated_vs_evaluated(m, data)
