"""One test per class of bad input: the error is a ModelError and its message names the variable
or argument (and the value).  Each case gave a raw numpy/Python error, or a silently wrong
result, before these checks existed."""

from __future__ import annotations

import builtins
import warnings

import numpy as np
import pytest

import lvmdsl as lv

X = np.random.default_rng(0).normal(size=20)
QUICK = dict(draws=10, tune=2, chains=2, progress=False)


def normal_model():
    with lv.Model("m") as m:
        mu = lv.Normal("mu", mean=0.0, var=10.0)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=mu, var=1.0, observed=True)
    return m


def mixture_model():
    with lv.Model("gmm") as m:
        pi = lv.Dirichlet("pi", alpha=np.ones(2))
        mu = lv.Param("mu", shape=(2,))
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            lv.Normal("x", mean=mu[z], var=1.0, observed=True)
    return m


def regression_model(shape=()):
    with lv.Model("reg") as m:
        w = lv.Normal("w", mean=0.0, var=1.0)
        with lv.plate("n", "N") as n:
            t = lv.Const("t", shape=shape)
            lv.Normal("y", mean=w * (t if shape == () else t[n, 0]), var=1.0, observed=True)
    return m


def grouped_model():
    with lv.Model("groups") as m:
        with lv.plate("k", 3):
            mu = lv.Normal("mu", mean=0.0, var=1.0)
        with lv.plate("n", "N"):
            g = lv.Const("g", shape=())
            lv.Normal("y", mean=mu[g], var=1.0, observed=True)
    return m


def raises(match, fn):
    with pytest.raises(lv.ModelError, match=match):
        fn()


# ----------------------------------------------------------------------------- constants

@pytest.mark.parametrize("value, what", [(np.ones(5), "length"), (np.ones((20, 2)), "rank")])
def test_constant_of_the_wrong_length_or_rank_is_named(value, what):
    raises(r"constant 't' has shape .* need \(20,\)", lambda: lv.infer(regression_model(), {"y": X, "t": value}, **QUICK))


def test_constant_of_the_wrong_width_is_named():
    raises(r"constant 't' has shape \(20, 2\).* need \(20, 3\)",
           lambda: lv.infer(regression_model((3,)), {"y": X, "t": np.ones((20, 2))}, **QUICK))


@pytest.mark.parametrize("value, shown", [(3, "value 3, outside 0 .. 2"), (-1, "value -1, outside 0 .. 2"),
                                          (1.5, "value 1.5, which is not a whole number")])
def test_index_constants_out_of_range_negative_or_fractional(value, shown):
    raises(rf"in 'y', index g of 'mu'.*{shown}",
           lambda: lv.infer(grouped_model(), {"y": X, "g": np.full(20, value)}, **QUICK))


@pytest.mark.parametrize("value, shown", [(-1, "value -1, outside"), (1.7, "value 1.7, which is not a whole")])
def test_predict_refuses_new_indices_that_would_wrap_or_truncate(value, shown):
    res = lv.infer(grouped_model(), {"y": X, "g": np.arange(20) % 3}, **QUICK)
    assert res.predict({"g": np.array([2])})["y"]["mean"].shape == (1,)
    raises(rf"index g of 'mu'.*{shown}", lambda: res.predict({"g": np.array([value])}))


# ----------------------------------------------------------------------------- arguments

@pytest.mark.parametrize("kwargs, named", [
    (dict(seed="a"), r"seed='a' must be a non-negative integer"),
    (dict(seed=-1), r"seed=-1 must be"),
    (dict(draws=None), r"draws=None must be an integer of at least 1"),
    (dict(draws=2.5), r"draws=2.5 must be an integer"),
    (dict(chains=0), r"chains=0 must be an integer of at least 1"),
    (dict(init="a"), r"init='a' must be a dict"),
    (dict(keep=3), r"keep=3 must be a list of variable names"),
])
def test_bad_gibbs_arguments_are_named(kwargs, named):
    args = {**QUICK, **kwargs}
    raises(named, lambda: lv.infer(normal_model(), {"x": X}, **args))


@pytest.mark.parametrize("method, kwargs, named", [
    ("online_em", dict(batch_size=0), r"batch_size=0 must be an integer of at least 1"),
    ("mcem", dict(mc_draws=0), r"mc_draws=0 must be an integer of at least 1"),
    ("em", dict(chunk=-5), r"chunk=-5 must be an integer of at least 0"),
    ("em", dict(tol=-1.0), r"tol=-1.0 must satisfy 0.0 <= tol"),
    ("em", dict(max_iter=0), r"max_iter=0 must be an integer of at least 1"),
    ("online_em", dict(kappa=0.2), r"kappa=0.2 must satisfy 0.5 < kappa"),
])
def test_bad_em_arguments_are_named(method, kwargs, named):
    raises(named, lambda: lv.infer(mixture_model(), {"x": X}, method=method, progress=False, **kwargs))


def test_em_with_no_data_points_is_named():
    raises(r"plate 'n' has size N = 0 in the data; EM needs at least one data point",
           lambda: lv.infer(mixture_model(), {"x": np.zeros(0)}, method="em", progress=False))


def test_keep_given_one_name_stores_that_variable():
    with lv.Model("two") as m:
        mu = lv.Normal("mu", mean=0.0, var=10.0)
        m_ = lv.Normal("m", mean=0.0, var=10.0)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=mu + m_, var=1.0, observed=True)
    res = lv.infer(m, {"x": X}, keep="mu", **QUICK)      # once read as ['m', 'u']
    assert list(res.draws) == ["mu"]


def test_summary_with_nothing_stored_is_named():
    res = lv.infer(normal_model(), {"x": X}, keep=[], **QUICK)
    raises(r"summary\(\) has no draws to summarise", res.summary)
    res = lv.infer(normal_model(), {"x": X}, **QUICK)
    raises(r"summary\(\) was asked for 'nu'", lambda: res.summary(var_names=["nu"]))


@pytest.mark.parametrize("method, kwargs, named", [
    ("em", dict(draws=5), r"draws=5 is an argument of method='gibbs', which method='em' does not read"),
    ("gibbs", dict(max_iter=3), r"max_iter=3 is an argument of .*which method='gibbs' does not read"),
    ("em", dict(anneal=[0.5, 1.0]), r"anneal=\[0.5, 1.0\] is an argument of method='annealed_em'"),
    ("annealed_em", dict(mc_draws=7, thin=2), r"thin=2, mc_draws=7 are arguments of"),
])
def test_arguments_of_another_method_are_not_ignored_silently(method, kwargs, named):
    model, data = (normal_model(), {"x": X}) if method == "gibbs" else (mixture_model(), {"x": X})
    raises(named, lambda: lv.infer(model, data, method=method, progress=False, **kwargs))


@pytest.mark.parametrize("anneal, named", [([0.0, 1.0], r"beta=0.0; every beta must satisfy 0 < beta <= 1"),
                                           ([0.5, 2.0], r"beta=2.0"),
                                           ([0.8, 0.5, 1.0], r"decreases"),
                                           ([0.2, 0.5], r"ends at 0.5; it must end at 1"),
                                           ([], r"non-empty")])
def test_annealing_schedules_are_validated(anneal, named):
    raises(rf"anneal=.*{named}", lambda: lv.infer(mixture_model(), {"x": X}, method="annealed_em", anneal=anneal,
                                                   progress=False))


# ----------------------------------------------------------------------------- declarations and data

def test_nan_literal_is_named_at_declaration():
    with lv.Model("m"):
        with pytest.raises(lv.ModelError, match=r"variable 'a': parameter mean contains nan"):
            lv.Normal("a", mean=np.nan, var=1.0)
        with pytest.raises(lv.ModelError, match=r"variable 'b': parameter mean contains \[2.0, inf\]"):
            lv.Normal("b", mean=np.array([1.0, np.inf]) * 2.0, var=1.0)


def test_complex_data_and_literals_are_refused():
    raises(r"data for 'x' is complex", lambda: lv.infer(normal_model(), {"x": X + 1j}, **QUICK))
    with lv.Model("m"):
        with pytest.raises(lv.ModelError, match=r"variable 'a', parameter mean: .*complex"):
            lv.Normal("a", mean=1 + 2j, var=1.0)
        with pytest.raises(lv.ModelError, match=r"constant 'c': give a real numeric array"):
            lv.Const("c", np.array([1j]))


def test_a_negative_exposure_is_named_not_sampled():
    with lv.Model("expo") as m:
        lam = lv.Gamma("lam", shape=1.0, rate=1.0)
        with lv.plate("n", "N"):
            e = lv.Const("e", shape=())
            lv.Poisson("y", rate=lam * e, observed=True)
    raises(r"variable 'y' \(Poisson\): parameter rate = \(lam \* e\) must be positive, but its factor e has the "
           r"value -1", lambda: lv.infer(m, {"y": np.ones(20, int), "e": -np.ones(20)}, **QUICK))
    res = lv.infer(m, {"y": np.ones(20, int), "e": np.ones(20)}, **QUICK)
    assert np.all(res.draws["lam"] > 0)


def test_a_negative_per_point_variance_is_named():
    with lv.Model("vc") as m:
        mu = lv.Normal("mu", mean=0.0, var=1.0)
        with lv.plate("n", "N"):
            s = lv.Const("s", shape=())
            lv.Normal("y", mean=mu, precision=1.0 / s, observed=True)
    raises(r"variable 'y' \(Normal\): parameter var = .* must be positive",
           lambda: lv.infer(m, {"y": X, "s": -np.ones(20)}, **QUICK))


def binomial_model(n=None):
    with lv.Model("b") as m:
        p = lv.Beta("p", a=1.0, b=1.0)
        with lv.plate("n", "N"):
            trials = lv.Const("trials", shape=()) if n is None else n
            lv.Binomial("y", n=trials, p=p, observed=True)
    return m


@pytest.mark.parametrize("y, n, named", [
    (4, 3, r"data for 'y' \(Binomial\) has 4 successes at \(0,\), more than its n = 3 trials"),
    (1, 2.5, r"variable 'y' \(Binomial\): parameter n = trials must be a whole number .* 2.5"),
    (0, -3, r"parameter n = trials must be a whole number of at least 0 \(it has the value -3\)"),
])
def test_invalid_binomial_counts_are_named(y, n, named):
    raises(named, lambda: lv.infer(binomial_model(), {"y": np.full(5, y), "trials": np.full(5, n)}, **QUICK))


def test_invalid_binomial_counts_in_a_literal_n_are_named():
    raises(r"parameter n = 2.5 must be a whole number", lambda: lv.infer(binomial_model(2.5), {"y": np.ones(5)}, **QUICK))
    raises(r"has 4 successes", lambda: lv.infer(binomial_model(3), {"y": np.full(5, 4)}, **QUICK))


def test_multinomial_rows_must_sum_to_n():
    with lv.Model("mn") as m:
        p = lv.Dirichlet("p", alpha=np.ones(3))
        with lv.plate("n", "N"):
            lv.Multinomial("y", n=5, p=p, observed=True)
    raises(r"data for 'y' \(Multinomial\): the row at \(0,\) sums to 3, but n = 5",
           lambda: lv.infer(m, {"y": np.array([[1, 1, 1], [2, 2, 1]])}, **QUICK))


@pytest.mark.parametrize("K, shown", [(2.7, "2.7"), (0, "0"), (-1, "-1")])
def test_plate_sizes_from_data_must_be_positive_whole_numbers(K, shown):
    with lv.Model("ks") as m:
        lv.Const("K", shape=())
        with lv.plate("k", "K"):
            mu = lv.Normal("mu", mean=0.0, var=1.0)
        with lv.plate("n", "N"):
            lv.Normal("y", mean=mu[0], var=1.0, observed=True)
    raises(rf"plate 'k' takes its size from constant 'K', which is {shown}; a plate size must be a whole number",
           lambda: lv.infer(m, {"y": X, "K": K}, **QUICK))


# ----------------------------------------------------------------------------- names and generated code

def test_names_differing_only_by_underscores_get_their_own_updates():
    """mu, _mu and mu_ once compiled to one function, so one of them was never updated."""
    with lv.Model("underscores") as m:
        a = lv.Normal("mu", mean=0.0, var=100.0)
        b = lv.Normal("_mu", mean=0.0, var=100.0)
        c = lv.Normal("mu_", mean=0.0, var=100.0)
        with lv.plate("n", "N"):
            lv.Normal("y0", mean=a, var=1.0, observed=True)
            lv.Normal("y1", mean=b, var=1.0, observed=True)
            lv.Normal("y2", mean=c, var=1.0, observed=True)
    data = {"y0": np.zeros(50), "y1": np.full(50, 10.0), "y2": np.full(50, -10.0)}
    res = lv.infer(m, data, draws=200, chains=2, progress=False)
    # posterior means 0, 10 * 50 / 50.01, -10 * 50 / 50.01 with sd 0.14
    for name, want in (("mu", 0.0), ("_mu", 9.998), ("mu_", -9.998)):
        assert abs(res.draws[name].mean() - want) < 0.1, name
    src = lv.derive(m).source("gibbs")
    assert {"def update_mu(", "def update__mu(", "def update_mu_("} <= {ln.split("S,")[0] for ln in src.splitlines()
                                                                        if ln.startswith("def update_")}


def test_a_crafted_model_name_is_not_run_as_code():
    name = 'x""" ; __import__("builtins").lvmdsl_pwned = 1 ; """'
    with lv.Model(name) as m:
        mu = lv.Normal("mu", mean=0.0, var=1.0)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=mu, var=1.0, observed=True)
    lv.infer(m, {"x": X}, **QUICK)
    assert not hasattr(builtins, "lvmdsl_pwned")
    assert name not in lv.derive(m).source("gibbs")
    with pytest.raises(lv.ModelError, match=r"model name .* must be a non-empty string of printable characters"):
        lv.Model("a\nimport os")


@pytest.mark.parametrize("name, named", [("__class__", "dunder"), ("ﬁx", "NFKC form; Python reads it as 'fix'"),
                                         ("1x", "must be a Python identifier")])
def test_names_that_could_collide_in_generated_code_are_refused(name, named):
    with lv.Model("m"):
        with pytest.raises(lv.ModelError, match=rf"Normal variable name .* {named}" if "NFKC" not in named
                           else rf"is not in Unicode {named}"):
            lv.Normal(name, mean=0.0, var=1.0)


def test_unknown_values_in_the_arguments_never_escape_as_raw_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises(r"lv.infer needs an lv.Model", lambda: lv.infer("model", {"x": X}))
        raises(r"data must be a dict", lambda: lv.infer(normal_model(), [1, 2, 3]))
        raises(r"data for 'x' is ragged", lambda: lv.infer(normal_model(), {"x": [[1, 2], [3]]}, **QUICK))


def test_every_code_block_of_docs_errors_md_runs():
    import re
    from pathlib import Path
    text = (Path(__file__).resolve().parent.parent / "docs" / "errors.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 5
    for block in blocks:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(block, "docs/errors.md", "exec"), {})


def test_generated_identifiers_and_keys_are_injective_on_names():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from lvmdsl.codegen.names import ident, join_key
    names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True)

    @settings(max_examples=300, deadline=None)
    @given(names, names, names, names)
    def check(a, b, c, d):
        assert (ident(a) == ident(b)) == (a == b)
        assert (join_key(a, b) == join_key(c, d)) == ((a, b) == (c, d))
    check()
