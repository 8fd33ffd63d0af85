"""One test per validation error class; each message must name the variable."""

import numpy as np
import pytest

import lvmdsl as lv
from lvmdsl import ModelError


def simple(observed=True):
    with lv.Model("m") as m:
        mu = lv.Normal("mu", mean=0.0, var=1.0)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=mu, var=1.0, observed=observed)
    return m


def test_duplicate_name():
    with pytest.raises(ModelError, match="duplicate variable name 'mu'"):
        with lv.Model("m"):
            lv.Normal("mu", mean=0.0, var=1.0)
            lv.Normal("mu", mean=0.0, var=1.0)


def test_unknown_name_in_data():
    d = lv.derive(simple())
    with pytest.raises(ModelError, match="'y'"):
        d["mu"].evaluate({"x": np.zeros(3), "y": 1.0})


def test_unknown_variable_in_derivation():
    with pytest.raises(KeyError, match="'x' is not an unknown.*observed"):
        lv.derive(simple())["x"]


def test_unknown_keyword():
    with pytest.raises(ModelError, match="'mu'.*no parameter 'varience'"):
        with lv.Model("m"):
            lv.Normal("mu", mean=0.0, varience=1.0)


def test_two_parameterisations_of_one_parameter():
    with pytest.raises(ModelError, match="'mu'.*only one of var \\| sd \\| precision"):
        with lv.Model("m"):
            lv.Normal("mu", mean=0.0, var=1.0, sd=1.0)


def test_missing_parameter():
    with pytest.raises(ModelError, match="'mu'.*needs var \\| sd \\| precision"):
        with lv.Model("m"):
            lv.Normal("mu", mean=0.0)


def test_negative_variance_constant():
    with pytest.raises(ModelError, match="'mu'.*var.*positive"):
        with lv.Model("m"):
            lv.Normal("mu", mean=0.0, var=-1.0)


def test_unsupported_distribution_name():
    from lvmdsl.families import FamilyError, get_family
    with pytest.raises(FamilyError, match="unsupported distribution 'Cauchy'"):
        get_family("Cauchy")


def test_data_shape_mismatch():
    with lv.Model("m") as m:
        mu = lv.Normal("mu", mean=0.0, var=1.0)
        with lv.plate("n", 3):
            lv.Normal("x", mean=mu, var=1.0, observed=True)
    with pytest.raises(ModelError, match="data for 'x' has shape \\(4,\\).*need \\(3,\\)"):
        lv.derive(m)["mu"].evaluate({"x": np.zeros(4)})


def test_plate_size_conflict():
    with lv.Model("m") as m:
        mu = lv.Normal("mu", mean=0.0, var=1.0)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=mu, var=1.0, observed=True)
            lv.Normal("y", mean=mu, var=1.0, observed=True)
    with pytest.raises(ModelError, match="plate size 'N'.*'y'"):
        lv.derive(m)["mu"].evaluate({"x": np.zeros(4), "y": np.zeros(5)})


def test_nan_in_data():
    with pytest.raises(ModelError, match="'x' has 1 NaN"):
        lv.derive(simple())["mu"].evaluate({"x": np.array([0.0, np.nan])})


def test_data_outside_support():
    with lv.Model("m") as m:
        t = lv.Gamma("t", shape=1.0, rate=1.0)
        with lv.plate("n", "N"):
            lv.Gamma("x", shape=2.0, rate=t, observed=True)
    with pytest.raises(ModelError, match="'x'.*outside the support of Gamma"):
        lv.derive(m)["t"].evaluate({"x": np.array([1.0, -2.0])})


def test_missing_observed_data():
    with pytest.raises(ModelError, match="'x' is observed but no data"):
        lv.derive(simple())["mu"].evaluate({})


def test_continuous_variable_where_positive_needed():
    with pytest.raises(ModelError, match="'x'.*var needs positive.*'mu' is continuous"):
        with lv.Model("m") as m:
            mu = lv.Normal("mu", mean=0.0, var=1.0)
            lv.Normal("x", mean=0.0, var=mu, observed=True)
        lv.derive(m)


def test_continuous_variable_used_as_index():
    with pytest.raises(ModelError, match="'x'.*'?s'? is continuous.*index"):
        with lv.Model("m") as m:
            s = lv.Normal("s", mean=0.0, var=1.0)
            with lv.plate("k", 3):
                mu = lv.Normal("mu", mean=0.0, var=1.0)
            lv.Normal("x", mean=mu[s], var=1.0, observed=True)
        lv.derive(m)


def test_plate_mismatch_names_variable_and_plate():
    with pytest.raises(ModelError, match="'x'.*plate 'k'"):
        with lv.Model("m") as m:
            with lv.plate("k", 3):
                mu = lv.Normal("mu", mean=0.0, var=1.0)
            lv.Normal("x", mean=mu, var=1.0, observed=True)
        lv.derive(m)


def test_variable_from_another_model():
    with lv.Model("a"):
        mu = lv.Normal("mu", mean=0.0, var=1.0)
    with pytest.raises(ModelError, match="'x' uses 'mu', which belongs to model 'a'"):
        with lv.Model("b") as m:
            lv.Normal("x", mean=mu, var=1.0, observed=True)
        lv.derive(m)


def test_conditional_needs_state():
    with lv.Model("m") as m:
        mu = lv.Normal("mu", mean=0.0, var=1.0)
        tau = lv.Gamma("tau", shape=1.0, rate=1.0)
        with lv.plate("n", "N"):
            lv.Normal("x", mean=mu, precision=tau, observed=True)
    with pytest.raises(ModelError, match="conditional of 'mu' needs values for tau"):
        lv.derive(m)["mu"].evaluate({"x": np.zeros(2)})


def test_cycle_names_the_variables_on_it():
    """The embedded language declares parents first, so a cycle needs a model edited by hand;
    the graph still refuses one, naming the loop."""
    with lv.Model("m") as m:
        a = lv.Normal("a", mean=0.0, var=1.0)
        b = lv.Normal("b", mean=a, var=1.0)
        lv.Normal("x", mean=b, var=1.0, observed=True)
    a.params["mean"] = b
    with pytest.raises(ModelError, match=r"cycle \((a -> b -> a|b -> a -> b)\)"):
        lv.derive(m)
