"""Property-based fuzzing of the front door: hypothesis builds small random models, random data
(good, corrupted or missing) and random arguments (good or bad).  Whatever it builds, the only
exceptions that may leave ``lv.derive`` and ``lv.infer`` are ``ModelError`` and its subclasses,
never an IndexError, KeyError, TypeError or a numpy ValueError naming nothing."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lvmdsl as lv

# ----------------------------------------------------------------------------- models

LIKELIHOODS = ("normal", "poisson_exposure", "binomial", "mixture", "grouped", "regression")


_OK = object()


def build_model(kind: str, precision_prior: bool, data_sized: bool, bad=_OK):
    """A small model of one of a few shapes; returns (model, good data).  ``bad`` replaces the
    first prior's spread parameter (a variance, a Gamma shape, a Beta a) in the declaration."""
    N = 6
    V = 10.0 if bad is _OK else bad
    A = 1.0 if bad is _OK else bad
    size = "N" if data_sized else N
    rng = np.random.default_rng(0)
    with lv.Model(f"fuzz_{kind}") as m:
        if kind == "normal":
            mu = lv.Normal("mu", mean=0.0, var=V)
            tau = lv.Gamma("tau", shape=1.0, rate=1.0) if precision_prior else 1.0
            with lv.plate("n", size):
                lv.Normal("x", mean=mu, precision=tau, observed=True)
            data = {"x": rng.normal(size=N)}
        elif kind == "poisson_exposure":
            lam = lv.Gamma("lam", shape=A, rate=1.0)
            with lv.plate("n", size):
                e = lv.Const("e", shape=())
                lv.Poisson("x", rate=lam * e, observed=True)
            data = {"x": rng.poisson(2.0, N), "e": np.ones(N)}
        elif kind == "binomial":
            p = lv.Beta("p", a=A, b=1.0)
            with lv.plate("n", size):
                trials = lv.Const("trials", shape=())
                lv.Binomial("x", n=trials, p=p, observed=True)
            data = {"x": np.full(N, 2), "trials": np.full(N, 5)}
        elif kind == "mixture":
            pi = lv.Dirichlet("pi", alpha=np.ones(2))
            with lv.plate("k", 2):
                mu = lv.Normal("mu", mean=0.0, var=V)
            with lv.plate("n", size):
                z = lv.Categorical("z", p=pi)
                lv.Normal("x", mean=mu[z], var=1.0, observed=True)
            data = {"x": rng.normal(size=N)}
        elif kind == "grouped":
            with lv.plate("k", 3):
                mu = lv.Normal("mu", mean=0.0, var=V)
            with lv.plate("n", size):
                g = lv.Const("g", shape=())
                lv.Normal("x", mean=mu[g], var=1.0, observed=True)
            data = {"x": rng.normal(size=N), "g": np.arange(N) % 3}
        else:
            w = lv.Normal("w", mean=0.0, var=A)
            tau = lv.Gamma("tau", shape=2.0, rate=1.0) if precision_prior else 1.0
            with lv.plate("n", size):
                t = lv.Const("t", shape=())
                lv.Normal("x", mean=w * t, precision=tau, observed=True)
            data = {"x": rng.normal(size=N), "t": np.linspace(-1, 1, N)}
    return m, data


# ----------------------------------------------------------------------------- bad values

BAD_VALUES = st.sampled_from([
    None, "a", "", 1j, np.nan, np.inf, -np.inf, -1, 0, 2.5, -3.7, 1e308, True, [], [[1, 2], [3]], {"a": 1},
    np.zeros(0), np.zeros((2, 3, 4)), np.array([1 + 2j]), np.array(["x"]), np.array([np.nan, 1.0]), (1, 2),
    object(), np.int64(-2), np.float32(0.5), [0.5, 1.0], [1.0, 0.5, 1.0], [0.0, 1.0],
])


def corrupt_array(draw, arr: np.ndarray):
    how = draw(st.sampled_from(["shape", "nan", "inf", "complex", "negative", "fraction", "big_index", "bool",
                                "strings", "empty", "ragged", "scalar", "replace"]))
    try:
        a = np.atleast_1d(np.real(np.asarray(arr, dtype=complex))).astype(float).ravel().copy()
    except (TypeError, ValueError):
        return draw(BAD_VALUES)
    if a.size == 0:
        a = np.ones(3)
    if how == "shape":
        n = draw(st.integers(0, 9))
        return np.resize(a, n) if draw(st.booleans()) else np.resize(a, (len(a), draw(st.integers(1, 3))))
    if how == "nan":
        a[draw(st.integers(0, len(a) - 1))] = np.nan
        return a
    if how == "inf":
        a[0] = np.inf
        return a
    if how == "complex":
        return a + 1j
    if how == "negative":
        return -np.abs(a) - 1
    if how == "fraction":
        return a + 0.5
    if how == "big_index":
        return a + 100
    if how == "bool":
        return a > 0
    if how == "strings":
        return a.astype(str)
    if how == "empty":
        return a[:0]
    if how == "ragged":
        return [list(a[:2]), list(a[:1])]
    if how == "scalar":
        return float(a[0])
    return draw(BAD_VALUES)


@st.composite
def bad_data(draw, data: dict, model):
    data = dict(data)
    for _ in range(draw(st.integers(1, 2))):
        action = draw(st.sampled_from(["corrupt", "corrupt", "corrupt", "drop", "extra", "unknown"]))
        name = draw(st.sampled_from(sorted(data)))
        if action == "corrupt":
            data[name] = corrupt_array(draw, data[name])
        elif action == "drop":
            data.pop(name)
            if not data:
                break
        elif action == "extra":
            data[draw(st.sampled_from(["nope", "N", "K"]))] = draw(BAD_VALUES)
        else:
            unknowns = [v.name for v in model.unknowns]
            data[draw(st.sampled_from(unknowns))] = np.ones(3)
    return data


ARGUMENTS = ["seed", "draws", "tune", "chains", "thin", "init", "keep", "strict", "lp", "latent", "params",
             "max_iter", "tol", "restarts", "anneal", "batch_size", "kappa", "chunk", "mc_draws", "mc_burn", "progress"]


@st.composite
def arguments(draw, model):
    method = draw(st.sampled_from(["gibbs", "gibbs", "em", "ecm", "annealed_em", "online_em", "mcem", "vb"]))
    kw = {"method": method, "progress": False}
    if method == "gibbs":
        kw.update(draws=5, tune=2, chains=2)
    else:
        kw.update(max_iter=5)
        if method == "mcem":
            kw.update(mc_draws=3, mc_burn=1)
    names = [v.name for v in model.unknowns]
    for _ in range(draw(st.integers(0, 2))):
        arg = draw(st.sampled_from(ARGUMENTS))
        kind = draw(st.sampled_from(["bad", "bad", "names", "dict"]))
        if kind == "bad":
            kw[arg] = draw(BAD_VALUES)
        elif kind == "names":
            kw[arg] = draw(st.sampled_from([names[0], names, ["zzz"], [names[0], names[0]], names[:1]]))
        else:
            kw[arg] = {draw(st.sampled_from(names + ["zzz"])): draw(BAD_VALUES)}
    return kw


@st.composite
def cases(draw):
    kind = draw(st.sampled_from(LIKELIHOODS))
    shape = (kind, draw(st.booleans()), draw(st.booleans()))
    model, data = build_model(*shape)
    if draw(st.integers(0, 3)) > 0:
        data = draw(bad_data(data, model))
    bad = draw(BAD_VALUES) if draw(st.integers(0, 5)) == 0 else _OK
    return shape, bad, data, draw(arguments(model))


@settings(max_examples=500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(cases())
def test_only_model_errors_leave_derive_and_infer(case):
    shape, bad, data, kw = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            try:
                model, _ = build_model(*shape, bad=bad)         # a bad literal fails at declaration
                lv.derive(model)
                lv.infer(model, data, **kw)
            except lv.ModelError:
                pass
