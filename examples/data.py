"""Models that come with their data: the BUGS Rats and Pumps examples and a Beta-Bernoulli A/B test.

Each ``*_model()`` returns a fresh ``lv.Model`` and each ``*_data()`` the matching data dict, so the
examples and ``benchmarks/gibbs_vs_jags.py`` run the same declarations on the same numbers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

import lvmdsl as lv

BUGS_DATA = Path(os.environ.get("LVMDSL_BUGS_DATA", Path(__file__).resolve().parent / "bugs_data"))


def _bugs_json(name: str) -> dict:
    """Read one of the classic BUGS data sets (examples/bugs_data, or the folder LVMDSL_BUGS_DATA names)."""
    path = BUGS_DATA / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; set LVMDSL_BUGS_DATA to the folder holding {name}.json")
    return json.loads(path.read_text())


def growth_curve_model():
    """BUGS Rats: a straight growth line per rat, centred at day xbar, with Normal random intercepts and slopes."""
    with lv.Model("growth_curve") as m:
        alpha_c = lv.Normal("alpha_c", mean=0.0, precision=1e-6)
        beta_c = lv.Normal("beta_c", mean=0.0, precision=1e-6)
        tau_c = lv.Gamma("tau_c", shape=0.001, rate=0.001)
        tau_alpha = lv.Gamma("tau_alpha", shape=0.001, rate=0.001)
        tau_beta = lv.Gamma("tau_beta", shape=0.001, rate=0.001)
        xbar = lv.Const("xbar", shape=())
        with lv.plate("j", "T"):              # the measurement days, shared by every rat
            x = lv.Const("x", shape=())
        with lv.plate("i", "N"):
            alpha = lv.Normal("alpha", mean=alpha_c, precision=tau_alpha)
            beta = lv.Normal("beta", mean=beta_c, precision=tau_beta)
            with lv.plate("j", "T"):
                lv.Normal("y", mean=alpha + beta * (x - xbar), precision=tau_c, observed=True)
    return m


def growth_curve_data() -> dict:
    """Weights y (30 rats x 5 days), the days x and their mean xbar."""
    raw = _bugs_json("rats")
    return {"y": np.asarray(raw["y"], float), "x": np.asarray(raw["x"], float), "xbar": float(raw["xbar"])}


def failure_rate_model():
    """BUGS Pumps: Poisson failure counts over operating times; the Gamma shape alpha is not conjugate."""
    with lv.Model("failure_rate") as m:
        alpha = lv.Exponential("alpha", rate=1.0)
        beta = lv.Gamma("beta", shape=0.1, rate=1.0)
        with lv.plate("i", "N"):
            t = lv.Const("t", shape=())
            theta = lv.Gamma("theta", shape=alpha, rate=beta)
            lv.Poisson("x", rate=theta * t, observed=True)
    return m


def failure_rate_data() -> dict:
    """Failure counts x of 10 pumps and their operating times t (thousands of hours)."""
    raw = _bugs_json("pumps")
    return {"x": np.asarray(raw["x"], np.int64), "t": np.asarray(raw["t"], float)}


def ab_test_model():
    """A/B test: each variant's conversion probability has a uniform Beta(1, 1) prior; visits convert or not."""
    with lv.Model("ab_test") as m:
        p_a = lv.Beta("p_a", a=1.0, b=1.0)
        p_b = lv.Beta("p_b", a=1.0, b=1.0)
        with lv.plate("a", "N_A"):
            lv.Bernoulli("conv_a", p=p_a, observed=True)
        with lv.plate("b", "N_B"):
            lv.Bernoulli("conv_b", p=p_b, observed=True)
    return m


def ab_test_data(n_a: int = 1000, n_b: int = 1000, p_a: float = 0.10, p_b: float = 0.12, seed: int = 0) -> dict:
    """Synthetic visits (1 = converted) for the two variants, seeded so runs are reproducible."""
    rng = np.random.default_rng(seed)
    return {"conv_a": rng.binomial(1, p_a, n_a), "conv_b": rng.binomial(1, p_b, n_b)}
