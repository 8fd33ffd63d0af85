"""Every example model and every conjugacy-table model goes to text and back and derives the same.

The check is independent of the printer and the reader: the re-read model must give the same
``str(lv.derive(m))`` (every conditional, its rule and parameters), the same sympy parameters of
each conditional (compared as sympy trees, not as text), the same EM derivation for the EM
models, and printing it again must give the same text (a fixed point).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import lvmdsl as lv
from lvmdsl.explain.table import CATALOGUE

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

import bugs_embedded  # noqa: E402
import em_models  # noqa: E402
import data as data_models  # noqa: E402
from models import MODELS  # noqa: E402

BUILDERS = {
    **{f"models.{k}": v for k, v in MODELS.items()},
    "data.growth_curve": data_models.growth_curve_model,
    "data.ab_test": data_models.ab_test_model,
    "em.gmm_1d": em_models.gmm_1d,
    "em.gmm_full": lambda: em_models.gmm_full(3, 2),
    "em.gmm_diag": lambda: em_models.gmm_diag(3, 2),
    "em.bernoulli_mixture": lambda: em_models.bernoulli_mixture(2, 4),
    "em.bernoulli_mixture_ml": lambda: em_models.bernoulli_mixture(2, 4, prior=None),
    "em.ppca": lambda: em_models.ppca(4, 2),
    "em.factor_analysis": lambda: em_models.ppca(4, 2, factor_analysis=True),
    "em.regression_evidence": lambda: em_models.regression_evidence(3),
    **{f"table.{p.prior}-{p.likelihood}": p.build for p in CATALOGUE},
    **{f"bugs_embedded.{k}": getattr(bugs_embedded, f"{k}_model") for k in ("dyes", "surgical", "line", "birats")},
    **{f"bugs_file.{k}": (lambda k=k: bugs_embedded.load_bugs(k)) for k in bugs_embedded.FILES},
}
EM_MODELS = [k for k in BUILDERS if k.startswith("em.")]


def same_params(c1, c2):
    assert c1.conjugate == c2.conjugate
    if not c1.conjugate:
        assert str(c1.reason) == str(c2.reason)
        return
    assert c1.family.name == c2.family.name
    assert set(c1.params) == set(c2.params)
    for k in c1.params:
        a, b = c1.params[k], c2.params[k]
        # element by element for arrays; a matrix expression (an inverse, say) as one tree
        a, b = [np.ravel(np.asarray(x, dtype=object)) if isinstance(x, (np.ndarray, list)) else [x] for x in (a, b)]
        assert len(a) == len(b), k
        # the same sympy trees: same symbols, same numbers, same structure
        assert all(x == y or sp.srepr(x) == sp.srepr(y) for x, y in zip(a, b)), k


@pytest.mark.parametrize("name", list(BUILDERS))
def test_round_trip_derives_the_same(name):
    m = BUILDERS[name]()
    text = m.to_text()
    back = lv.parse(text, f"{name}.lvm")
    assert back.to_text() == text
    assert list(back.variables) == list(m.variables)
    assert list(back.consts) == list(m.consts)
    assert {k: p.size for k, p in back.plates.items()} == {k: p.size for k, p in m.plates.items()}
    d1, d2 = lv.derive(m), lv.derive(back)
    assert str(d1) == str(d2)
    for k in d1:
        same_params(d1[k], d2[k])
    if name in EM_MODELS:
        assert str(lv.derive(m, method="em")) == str(lv.derive(back, method="em"))


def test_round_trip_keeps_constants_parameters_and_literals():
    with lv.Model("odd-name") as m:
        a = lv.Const("a", 2.5)
        W = lv.Const("W", np.array([[2.0, 0.5], [0.5, 1.0]]), shape=(2, 2))
        s = lv.Param("s", constraint="positive")
        with lv.plate("n", 4) as n:
            t = lv.Const("t", shape=())
            mu = lv.MultivariateNormal("mu", mean=np.array([1.0, -2.0]), precision=W)
            lv.Normal("y", mean=lv.exp(-a * t) + mu[n, 0] ** 2 / 3, sd=lv.sqrt(s), observed=np.arange(4.0))
            lv.Binomial("k", n=10, p=lv.sigmoid(t - 1e-6), observed=True)
    text = m.to_text()
    assert 'model "odd-name"' in text and "const W: real[2, 2] = [[2.0, 0.5], [0.5, 1.0]]" in text
    back = lv.parse(text)
    assert back.to_text() == text
    assert back.consts["a"].value.dtype == float and back.variables["k"].given["n"].value.dtype.kind == "i"
    assert np.array_equal(back.variables["y"].value, np.arange(4.0))
    assert str(lv.derive(m)) == str(lv.derive(back))


def test_names_of_functions_can_name_variables():
    m = lv.parse("model m {\n  exp ~ Gamma(shape = 1.0, rate = 1.0)\n  y ~ Poisson(rate = exp(exp)) observed\n}")
    assert lv.parse(m.to_text()).to_text() == m.to_text() and "exp(exp)" in m.to_text()


def test_short_forms_fold_to_the_same_arrays():
    m = lv.parse("""model m {
      let D = 3
      w ~ MultivariateNormal(mean = zeros(D), cov = 10.0 * eye(D))   # a comment
      v ~ Dirichlet(alpha = 2.0 * ones(D)); u ~ Normal(mean = -(1 + 2) ** 2, var = 1 / 4)
    }""")
    assert np.array_equal(m["w"].given["cov"].value, 10.0 * np.eye(3))
    assert np.array_equal(m["v"].given["alpha"].value, np.full(3, 2.0))
    assert m["u"].given["mean"].value == -9 and m["u"].given["var"].value == 0.25
    assert "cov = 10.0 * eye(3)" in m.to_text()
