"""The BUGS reader, construct by construct: each BUGS model is checked against an independent
embedded declaration of the same model (same derivation, or same numbers), and the data readers
against hand-computed arrays."""

from __future__ import annotations

import numpy as np
import pytest

import lvmdsl as lv
from lvmdsl.demo import gmm_model
from lvmdsl.text.rdump import parse_json_data, parse_rdump


def same_derivation(a, b):
    assert str(lv.derive(a)).split("\n", 1)[1] == str(lv.derive(b)).split("\n", 1)[1]


# ----------------------------------------------------------------------------- data formats

def test_rdump_structure_is_column_major_like_r():
    d = parse_rdump("list(Y = structure(.Data = c(1, 2, 3, 4, 5, 6), .Dim = c(2, 3)), N = 2)")
    assert np.array_equal(d["Y"], [[1, 3, 5], [2, 4, 6]]) and d["N"].shape == ()
    d = parse_rdump('"Y" <-\nstructure(c(1, 2, 3, 4, 5, 6, 7, 8), .Dim = c(2L, 2L, 2L))\n"r" <- 1:3\n"s" <- -2.5E-1')
    assert d["Y"][1, 0, 1] == 6 and d["Y"][0, 1, 0] == 3          # R: Y[2,1,2] = 6, Y[1,2,1] = 3
    assert np.array_equal(d["r"], [1, 2, 3]) and d["s"] == -0.25


def test_rdump_integers_and_floats():
    d = parse_rdump("list(n = c(1, 2), x = c(1.5, 2), k = 3L, e = 1e3)")
    assert d["n"].dtype.kind == "i" and d["x"].dtype.kind == "f" and d["k"] == 3 and d["e"] == 1000.0


def test_json_data_and_its_errors():
    assert np.array_equal(parse_json_data('{"Y": [[1, 2], [3, 4]]}')["Y"], [[1, 2], [3, 4]])
    with pytest.raises(lv.ModelError, match="ragged"):
        parse_json_data('{"Y": [[1, 2], [3]]}')
    with pytest.raises(lv.ModelError, match="numbers only"):
        parse_json_data('{"Y": [1, null]}')
    with pytest.raises(lv.ModelError, match="not valid JSON"):
        parse_json_data('{"Y": [1, 2}')


# ----------------------------------------------------------------------------- translation

GMM_BUGS = """
model {
  pi ~ ddirch(alpha[])
  for (k in 1:K) {
    mu[k] ~ dnorm(0, 0.01)
    tau[k] ~ dgamma(1, 1)
  }
  for (n in 1:N) {
    z[n] ~ dcat(pi[])
    x[n] ~ dnorm(mu[z[n]], tau[z[n]])
  }
}
"""


def test_mixture_with_dcat_index_derives_like_the_embedded_mixture():
    m = lv.read_bugs(GMM_BUGS, {"K": 3, "alpha": [1.0, 1.0, 1.0], "x": [0.1, 0.2]})     # N from the data's shape
    e = gmm_model()
    d1, d2 = lv.derive(m), lv.derive(e)
    for name in ("mu", "tau", "z"):
        assert str(d1[name].params) == str(d2[name].params)
    assert m.data["x"].shape == (2,) and m.bugs.sizes == {"K": 3} and m.plates["n"].size == "N"
    m = lv.read_bugs(GMM_BUGS, {"K": 3, "alpha": [1.0, 1.0, 1.0], "x": [0.1, 0.2], "N": 2})
    assert "N" not in m.data and m.bugs.sizes == {"K": 3, "N": 2} and m.plates["n"].size == 2


def test_observed_dcat_values_and_index_constants_are_shifted_to_zero_based():
    text = """model {
      p ~ ddirch(a[])
      for (k in 1:3) { mu[k] ~ dnorm(0, 1) }
      for (n in 1:N) {
        c[n] ~ dcat(p[])
        y[n] ~ dnorm(mu[g[n]], 1)
      }
    }"""
    m = lv.read_bugs(text, {"a": [1, 1, 1], "c": [1, 3, 2], "g": [3, 1, 1], "y": [0.5, 1.0, 2.0], "N": 3})
    assert np.array_equal(m.data["c"], [0, 2, 1]) and np.array_equal(m.data["g"], [2, 0, 0])
    assert set(m.bugs.shifted) == {"c", "g"}
    post = lv.derive(m)["mu"].evaluate({**m.data, "p": np.ones(3) / 3})
    # mu[k] | y ~ Normal(sum of y with g = k / (1 + count), 1 / (1 + count)): k = 0 gets y[1], y[2]
    assert np.allclose(post.mean(), [3.0 / 3, 0.0, 0.5 / 2]) and np.allclose(post.var(), [1 / 3, 1, 1 / 2])
    with pytest.raises(lv.ModelError, match="integers from 1"):
        lv.read_bugs(text, {"a": [1, 1, 1], "c": [0, 3, 2], "g": [3, 1, 1], "y": [0.5, 1.0, 2.0], "N": 3})


def test_names_with_dots_and_keywords_are_renamed():
    text = """model {
      for (i in 1:N) {
        lambda[i] ~ dgamma(a.b, 1)
        x[i] ~ dpois(lambda[i])
      }
      a.b ~ dexp(1)
    }"""
    m = lv.read_bugs(text, {"x": [1, 2], "N": 2})
    assert m.bugs.names["a.b"] == "a_b" and m.bugs.names["lambda"] == "lambda_"
    assert list(m.variables) == ["a_b", "lambda_", "x"]          # parents first, whatever the text order


def test_link_functions_and_functions():
    text = """model {
      for (i in 1:N) {
        logit(p[i]) <- b0 + b1 * w[i]
        y[i] ~ dbern(p[i])
        log(m[i]) <- b0
        k[i] ~ dpois(m[i])
        v[i] ~ dnorm(pow(b0, 2) + inprod(X[i, ], beta[]), sqrt(4))
      }
      b0 ~ dnorm(0, 1)
      b1 ~ dnorm(0, 1)
      beta[1:2] ~ dmnorm(mu0[], P[, ])
    }"""
    data = {"N": 2, "w": [0.0, 1.0], "y": [0, 1], "k": [1, 2], "v": [0.1, 0.2], "X": [[1.0, 2.0], [3.0, 4.0]],
            "mu0": [0.0, 0.0], "P": np.eye(2)}
    m = lv.read_bugs(text, data)
    txt = m.to_text()
    assert "y ~ Bernoulli(p = sigmoid(b0 + b1 * w))" in txt
    assert "k ~ Poisson(rate = exp(b0))" in txt
    assert "v ~ Normal(mean = b0 ** 2 + dot(X, beta), precision = 2.0)" in txt
    with lv.Model("e") as e:
        b0 = lv.Normal("b0", mean=0, precision=1)
        b1 = lv.Normal("b1", mean=0, precision=1)
        mu0, P = lv.Const("mu0", shape=(2,)), lv.Const("P", shape=(2, 2))
        beta = lv.MultivariateNormal("beta", mean=mu0, precision=P)
        with lv.plate("i", 2):
            w, X = lv.Const("w", shape=()), lv.Const("X", shape=(2,))
            lv.Bernoulli("y", p=lv.sigmoid(b0 + b1 * w), observed=True)
            lv.Poisson("k", rate=lv.exp(b0), observed=True)
            lv.Normal("v", mean=b0 ** 2 + lv.dot(X, beta), precision=2.0, observed=True)
    assert str(lv.derive(m)["beta"].params) == str(lv.derive(e)["beta"].params)


def test_parameterisations_that_differ_from_lvmdsl():
    text = """model {
      W[1:2, 1:2] ~ dwish(R[, ], 3)
      t ~ dt(1, 4, 5)
      l ~ ddexp(0, 2)
      s ~ dbin(0.3, 10)
      q[1:3] ~ dmulti(pp[], 7)
      g ~ dlnorm(0, 4)
    }"""
    R = np.array([[2.0, 0.5], [0.5, 1.0]])
    m = lv.read_bugs(text, {"R": R, "pp": [0.2, 0.3, 0.5]})
    v = m.variables
    assert v["W"].family.name == "Wishart" and "inverse(R)" in m.to_text()  # E[W] = 3 R^-1 as in BUGS
    assert v["t"].given["scale"].value == pytest.approx(0.5) and v["t"].given["df"].value == 5
    assert v["l"].given["scale"].value == pytest.approx(0.5)
    assert v["s"].given["n"].value == 10 and v["s"].given["p"].value == pytest.approx(0.3)
    assert v["q"].given["n"].value == 7 and v["g"].given["precision"].value == 4


def test_loops_with_one_index_name_over_different_ranges_get_separate_plates():
    text = """model {
      for (i in 1:3) { a[i] ~ dnorm(0, 1) }
      for (i in 1:4) { b[i] ~ dnorm(0, 1) }
    }"""
    m = lv.read_bugs(text)
    assert {k: p.size for k, p in m.plates.items()} == {"i": 3, "i_": 4}


def test_without_data_every_node_is_unknown_and_sizes_stay_names():
    m = lv.read_bugs("model {\n for (i in 1:N) {\n  p[i] ~ dbeta(1, 1)\n  r[i] ~ dbin(p[i], n[i])\n }\n}")
    assert [v.name for v in m.unknowns] == ["p", "r"] and m.plates["i"].size == "N" and m.data == {}


def test_initial_values_are_translated():
    m = lv.read_bugs(GMM_BUGS, {"K": 3, "alpha": [1.0, 1.0, 1.0], "x": [0.1, 0.2], "N": 2})
    init = m.bugs.values({"mu": [-1.0, 0.0, 1.0], "z": [1, 3]})
    assert np.array_equal(init["z"], [0, 2]) and np.array_equal(init["mu"], [-1.0, 0.0, 1.0])
    with pytest.raises(lv.ModelError, match="not a name of the BUGS model"):
        m.bugs.values({"muu": 1.0})


def test_the_text_is_never_executed():
    with pytest.raises(lv.ModelError, match="not in lvmdsl's BUGS subset"):
        lv.read_bugs("model {\n  x ~ dnorm(eval(0), 1)\n}")
