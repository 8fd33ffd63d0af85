"""The generic conjugacy engine: rule fired, symbolic form, numbers against brute force."""

import numpy as np
import pytest
import sympy as sp

import lvmdsl as lv
from brute import quadrature_moments
from lvmdsl.explain.notation import show, show_latex


def mixture_model(K=3):
    with lv.Model("mix") as m:
        with lv.plate("k", K):
            mu = lv.Normal("mu", mean=0.0, var=100.0)
            tau = lv.Gamma("tau", shape=1.0, rate=1.0)
        with lv.plate("n", "N"):
            zc = lv.Const("zc", np.array([0, 1, 2, 1, 0, 0]))
            lv.Normal("x", mean=mu[zc], precision=tau[zc], observed=True)
    return m


def test_mixture_parameters_are_conjugate_and_named():
    d = lv.derive(mixture_model())
    assert d["mu"].rule == "conjugate" and d["mu"].family.name == "Normal"
    assert d["tau"].rule_name == "conjugate Gamma"
    assert set(d["mu"].params) == {"mean", "var"}
    assert all(isinstance(v, sp.Basic) for v in d["mu"].params.values())


@pytest.mark.parametrize("name,lo,hi", [("mu", -30.0, 30.0), ("tau", 1e-9, 60.0)])
def test_mixture_conditional_matches_quadrature(rng, name, lo, hi):
    m = mixture_model()
    d = lv.derive(m)
    x = rng.normal(size=6)
    env = {"x": x, "mu": rng.normal(size=3), "tau": rng.gamma(2.0, size=3)}
    post = d[name].evaluate(env)
    for k in range(3):
        mean, var = quadrature_moments(m, env, name, (k,), lo, hi)
        assert post.mean()[k] == pytest.approx(mean, rel=1e-6)
        assert post.var()[k] == pytest.approx(var, rel=1e-6)


def test_verify_density_ratio_identity():
    report = lv.verify(mixture_model(), seed=3)
    assert report.ok, report.summary()
    assert set(report.errors) == {"mu", "tau"}


def test_target_inside_exp_is_not_conjugate():
    with lv.Model("m") as m:
        theta = lv.Normal("theta", mean=0.0, var=1.0)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=lv.exp(theta), var=1.0, observed=True)
    c = lv.derive(m)["theta"]
    assert not c.conjugate
    assert c.reason.factor == "x" and "exp(2*theta)" in c.reason.term


def test_gamma_shape_is_not_conjugate_and_names_the_term():
    with lv.Model("m") as m:
        a = lv.Gamma("a", shape=2.0, rate=1.0)
        with lv.plate("n", "N"):
            lv.Gamma("x", shape=a, rate=1.0, observed=True)
    c = lv.derive(m)["a"]
    assert not c.conjugate and "loggamma(a)" in c.reason.term


def test_literal_zero_and_one_coefficients():
    with lv.Model("m") as m:
        theta = lv.Normal("theta", mean=0.0, var=1.0)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=1 * theta + 0 * theta, var=1.0, observed=True)
            lv.Normal("y", mean=0 * theta + 2.0, var=1.0, observed=True)
    d = lv.derive(m)
    post = d["theta"].evaluate({"x": np.array([1.0, 2.0]), "y": np.array([5.0, 5.0])})
    # y does not depend on theta: the posterior is the one from x alone
    assert post.mean() == pytest.approx(3.0 / 3.0)
    assert post.var() == pytest.approx(1 / 3)


def test_child_reached_twice_is_counted_once():
    with lv.Model("m") as m:
        theta = lv.Normal("theta", mean=0.0, var=1.0)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=theta + theta, var=1.0, observed=True)
    d = lv.derive(m)
    assert len(d["theta"].factors) == 2
    post = d["theta"].evaluate({"x": np.array([2.0])})
    assert post.var() == pytest.approx(1 / 5)      # precision 1 + 4
    assert post.mean() == pytest.approx(4 / 5)


def test_scaled_parent_and_hierarchy(rng):
    with lv.Model("h") as m:
        m0 = lv.Normal("m0", mean=0.0, var=10.0)
        s = lv.Gamma("s", shape=2.0, rate=2.0)
        with lv.plate("j", 4):
            c = lv.Const("c", np.array([0.5, 1.0, 2.0, -1.0]))
            theta = lv.Normal("theta", mean=1.0 + c * m0, precision=s)
            with lv.plate("n", 3):
                lv.Normal("y", mean=theta, var=0.5, observed=True)
    d = lv.derive(m)
    assert all(d[v].conjugate for v in ("m0", "s", "theta"))
    env = {"y": rng.normal(size=(4, 3)), "theta": rng.normal(size=4), "m0": 0.3, "s": 1.7}
    for name, index, lo, hi in [("m0", (), -40, 40), ("s", (), 1e-9, 80), ("theta", (2,), -30, 30)]:
        if index == ():
            env[name] = np.array(env[name])
        mean, var = quadrature_moments(m, env, name, index, lo, hi)
        post = d[name].evaluate(env)
        assert np.asarray(post.mean())[index] == pytest.approx(mean, rel=1e-6)
        assert np.asarray(post.var())[index] == pytest.approx(var, rel=1e-6)
    assert lv.verify(m, seed=1).ok


def test_explain_lists_every_step():
    text = lv.derive(mixture_model()).explain("mu")
    for step in ("1. Prior times likelihood", "2. Log form", "3. The Normal prior has sufficient statistics",
                 "4. Natural parameters", "5. mu[k] | rest ~ Normal"):
        assert step in text
    assert "zc[n] = k" in text


def test_conjugacy_table_is_derived_by_the_engine():
    table = lv.conjugacy_table()
    rows = {(r.prior, r.likelihood): r for r in table}
    gp = rows[("Gamma", "Poisson")]
    assert gp.posterior == "Gamma" and gp.rule == "conjugate Gamma"
    rate, N = sp.Symbol("rate"), sp.Symbol("N", integer=True, positive=True)
    assert sp.simplify(gp.params["rate"] - (rate + N)) == 0
    assert rows[("Dirichlet", "Categorical")].posterior == "Dirichlet"
    assert "| Gamma | Poisson |" in table.to_markdown()


def test_latex_and_markdown_presentations():
    d = lv.derive(mixture_model())
    tex = d.to_latex("mu")
    assert r"\sum_{n:\, {zc}_{n} = k}" in tex and r"\delta" not in tex      # the allocation under the sum
    assert "| `mu` | conjugate Normal |" in d._repr_markdown_()
    assert d._repr_latex_().startswith("$$")


def test_plate_sums_read_as_a_person_writes_them():
    """Σ over a plate, the allocation as the sum's condition; a Σ inside a product is bracketed."""
    d = lv.derive(mixture_model())
    text = d.explain("mu")
    assert "Σ_{n: zc[n]=k} x[n]" in text and "KroneckerDelta" not in text and "Sum(" not in text
    n, k, N = sp.symbols("n k N", integer=True)
    x, z, t = sp.IndexedBase("x"), sp.IndexedBase("z"), sp.IndexedBase("t")
    s = sp.Sum(sp.KroneckerDelta(k, z[n]) * x[n], (n, 0, N - 1))
    assert show(s) == "Σ_{n: z[n]=k} x[n]"
    assert show(t[k] * s + 1) == "t[k]*(Σ_{n: z[n]=k} x[n]) + 1"
    assert show(sp.Sum(x[n] ** 2 + 1, (n, 0, N - 1))) == "Σ_n (x[n]**2 + 1)"
    assert show_latex(sp.Sum(x[n], (n, 0, N - 1))) == sp.latex(sp.Sum(x[n], (n, 0, N - 1)))
