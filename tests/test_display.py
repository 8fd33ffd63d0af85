"""Notebook displays: every user-facing object has a rich repr, the EM derivation's LaTeX has its
E- and M-steps, and a user's name never prints as a mathematical constant."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import sympy as sp

import lvmdsl as lv
from lvmdsl.demo import synthetic_gmm
from lvmdsl.explain.display import scalar_m_step
from lvmdsl.explain.notation import show_latex


def mixture(weights="pi", K=3):
    with lv.Model("gmm") as m:
        w = lv.Dirichlet(weights, alpha=np.ones(K))
        with lv.plate("k", K):
            mu = lv.Normal("mu", mean=0.0, var=100.0)
            tau = lv.Gamma("tau", shape=1.0, rate=1.0)
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=w)
            lv.Normal("x", mean=mu[z], precision=tau[z], observed=True)
    return m


def balanced(s: str) -> bool:
    depth = 0
    for ch in re.sub(r"\\[{}]", "", s):
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
    return depth == 0


def test_every_user_facing_object_has_a_rich_repr():
    m = mixture()
    x, _ = synthetic_gmm(200, seed=0)
    d = lv.derive(m)
    e = lv.derive(m, method="em")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = lv.infer(m, data={"x": x}, draws=50, tune=20, chains=2, seed=0, progress=False)
        fit = lv.infer(m, data={"x": x}, method="em", seed=0, progress=False)
    objects = {"model": m, "conditional": d["mu"], "derivation": d, "em derivation": e,
               "schedule": res.schedule, "gibbs result": res, "em result": fit, "table": lv.conjugacy_table()}
    for what, obj in objects.items():
        md = obj._repr_markdown_()
        assert isinstance(md, str) and md.strip(), what
        for maths in re.findall(r"\$\$(.*?)\$\$", md, flags=re.S):
            assert balanced(maths), (what, maths[:200])
    assert "| `x` | `Normal(mean=mu[z], precision=tau[z])` | n (N) | observed |" in m._repr_markdown_()
    assert "conjugate Normal" in res.schedule._repr_markdown_()
    # the result tables show the draws' own means and the estimates themselves
    assert np.array2string(res.draws["tau"].mean((0, 1)), precision=4, separator=", ",
                           suppress_small=True) in res._repr_markdown_()
    assert f"{fit.loglik[-1]:.6g}" in fit._repr_markdown_()


def test_non_conjugate_conditional_has_a_display():
    with lv.Model("logistic") as m:
        w = lv.Normal("w", mean=0.0, var=1.0)
        with lv.plate("n", "N"):
            t = lv.Const("t", shape=())
            lv.Bernoulli("y", p=lv.sigmoid(w * t), observed=True)
    md = lv.derive(m, augment=False)["w"]._repr_markdown_()     # as written (the rewrite pass off)
    assert "not conjugate" in md and "slice sampler" in md


def test_em_latex_has_q_e_step_and_m_step_solutions():
    e = lv.derive(mixture(), method="em")
    tex = e._repr_latex_()
    assert tex.startswith("$$") and balanced(tex)
    q, rest = tex.split(r"\textbf{E-step}")
    estep, mstep = rest.split(r"\textbf{M-step}")
    assert r"Q(\theta" in q
    assert r"{z}_{n} \mid \text{rest} &\sim \mathrm{Categorical}" in estep
    for p in ("\\boldsymbol{\\pi}", "{\\mu}_{k}", "{\\tau}_{k}"):
        assert rf"\hat{{{p}}}" in mstep, p
    assert r"\frac{\eta^{(\boldsymbol{\pi})}_k}{\sum_j \eta^{(\boldsymbol{\pi})}_j}" in mstep


def _m_step_value(e, name, x, r, state, k):
    """The displayed M-step solution of ``name`` with E[eta] put in, at responsibilities ``r``."""
    ms = e.m_step(name)
    etas = [sp.Symbol(f"eta{i}") for i in range(len(ms["eta"]))]
    (sol,) = scalar_m_step(e.d[name], etas)
    expr = sol.xreplace(dict(zip(etas, ms["eta"])))
    expr = expr.subs({s: {"N": len(x), "k": k}[s.name] for s in expr.free_symbols if s.name in ("N", "k")})
    expr = expr.replace(lambda a: isinstance(a, sp.Sum), lambda a: sp.Add(
        *[a.function.subs(a.limits[0][0], i) for i in range(int(a.limits[0][1]), int(a.limits[0][2]) + 1)]))
    values = {}
    for a in expr.atoms(sp.Indexed):
        idx = [int(i) for i in a.indices]
        values[a] = r[idx[0], idx[1]] if str(a.base) == "r_z" else (x[idx[0]] if str(a.base) == "x"
                                                                       else state[str(a.base)])
    return float(expr.xreplace(values))


def test_scalar_m_step_solutions_are_the_textbook_updates():
    """The displayed solution, with E[eta] put in, is the textbook update.  MAP: for mu[k] under
    Normal(0, 100) the weighted mean tau S1 / (tau S0 + 1/100), for tau[k] under Gamma(1, 1)
    (S0 / 2) / (sum r (x - mu)^2 / 2 + 1), with S0 = sum_n r[n,k] and S1 = sum_n r[n,k] x[n].
    Maximum likelihood (lv.Param): mu[k] = S1 / S0 and var[k] = sum r (x - mu)^2 / S0."""
    rng = np.random.default_rng(3)
    x, r = rng.normal(size=4), rng.dirichlet(np.ones(3), size=4)
    mu_k, tau_k, k = 0.7, 1.9, 1
    S0, S1, SS = r[:, k].sum(), (r[:, k] * x).sum(), (r[:, k] * (x - mu_k) ** 2).sum()
    e = lv.derive(mixture(), method="em")
    state = {"mu": mu_k, "tau": tau_k}
    assert _m_step_value(e, "mu", x, r, state, k) == pytest.approx(tau_k * S1 / (tau_k * S0 + 1 / 100), rel=1e-12)
    assert _m_step_value(e, "tau", x, r, state, k) == pytest.approx((S0 / 2) / (SS / 2 + 1), rel=1e-12)
    with lv.Model("ml") as m:
        pi = lv.Param("pi", shape=(3,), constraint="simplex")
        with lv.plate("k", 3):
            mu = lv.Param("mu")
            var = lv.Param("var", constraint="positive")
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            lv.Normal("x", mean=mu[z], var=var[z], observed=True)
    e = lv.derive(m, method="em")
    state = {"mu": mu_k, "var": 0.4}
    assert _m_step_value(e, "mu", x, r, state, k) == pytest.approx(S1 / S0, rel=1e-12)
    assert _m_step_value(e, "var", x, r, state, k) == pytest.approx(SS / S0, rel=1e-12)


def test_names_that_are_constants_print_distinctly():
    """A model whose weights are called ``pi`` prints like the same model with weights ``w``,
    with the user's pi in bold: the constant pi keeps its glyph and nothing else changes."""
    with_pi = lv.derive(mixture("pi")).to_latex()
    with_w = lv.derive(mixture("w")).to_latex()
    user = with_pi.count(r"\boldsymbol{\pi}")
    assert user > 0 and user == len(re.findall(r"(?<![A-Za-z\\])w(?![A-Za-z])", with_w))
    constant = len(re.findall(r"(?<!\\boldsymbol\{)\\pi", with_pi))
    assert constant == len(re.findall(r"\\pi", with_w))     # the constant (if shown) keeps its glyph
    assert with_pi.startswith(r"\begin{aligned}\boldsymbol{\pi} \mid")
    for name in ("e", "E", "I", "gamma"):
        assert show_latex(sp.Symbol(name)).startswith(r"\boldsymbol{"), name
    assert show_latex(sp.pi) == r"\pi" and show_latex(sp.exp(sp.Symbol("x"))) == "e^{x}"
    for name in ("mu", "alpha", "x", "i", "k"):
        assert "boldsymbol" not in show_latex(sp.Symbol(name)), name


def test_gibbs_result_display_gives_arviz_convergence_figures():
    import arviz as az

    with lv.Model("normal") as m:
        mu = lv.Normal("mu", mean=0.0, var=10.0)
        with lv.plate("n", "N"):
            lv.Normal("y", mean=mu, var=1.0, observed=True)
    y = np.random.default_rng(0).normal(1.0, 1.0, size=50)
    res = lv.infer(m, data={"y": y}, draws=200, tune=50, chains=3, seed=0, progress=False)
    row = [r for r in res._repr_markdown_().splitlines() if r.startswith("| `mu`")][0]
    cells = [c.strip() for c in row.strip("|").split("|")]
    table = az.summary(res.to_arviz(), var_names=["mu"])
    assert float(cells[4]) == pytest.approx(float(table["r_hat"].iloc[0]), abs=0.011)
    assert float(cells[5]) == pytest.approx(float(table["ess_bulk"].iloc[0]), abs=1.0)


def test_em_display_of_a_parameter_without_a_closed_form_m_step():
    with lv.Model("gamma_mixture") as m:
        pi = lv.Param("pi", shape=(2,), constraint="simplex")
        with lv.plate("k", 2):
            a = lv.Param("a", constraint="positive")
            b = lv.Param("b", constraint="positive")
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            lv.Gamma("x", shape=a[z], rate=b[z], observed=True)
    tex = lv.derive(m, method="em")._repr_latex_()
    assert balanced(tex)
    mstep = tex.split(r"\textbf{M-step}")[1]
    assert r"&\text{no closed form" in mstep and r"generalised EM" in mstep and r"\hat{{b}_{k}}" in mstep
