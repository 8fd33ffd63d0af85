"""The BUGS examples of ``examples/bugs/`` declared in the embedded language, with their data.

Each ``*_model()`` is written by hand from the BUGS text (precision parameterisation kept, BUGS's
1-based indices irrelevant here), so the tests can compare what ``lv.load("examples/bugs/x.bug")``
derives and samples with an independent declaration of the same model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import lvmdsl as lv
from data import failure_rate_model, growth_curve_model  # noqa: F401  (Rats and Pumps, declared once)

BUGS_DIR = Path(__file__).resolve().parent / "bugs"

#: example name -> (BUGS model file, data file, initial-values file or None)
FILES = {
    "rats": ("rats.bug", "rats-data.R", None),
    "pumps": ("pumps.bug", "pumps-data.R", None),
    "dyes": ("dyes.bug", "dyes-data.R", "dyes-inits.R"),
    "surgical": ("surgical.bug", "surgical-data.R", None),
    "line": ("line.bug", "line-data.json", None),
    "birats": ("birats.bug", "birats-data.R", "birats-inits.R"),
}


def load_bugs(name: str):
    """The example's lvmdsl model read from its BUGS file, with ``model.data`` from its data file."""
    model_file, data_file, _ = FILES[name]
    return lv.load(BUGS_DIR / model_file, data=BUGS_DIR / data_file)


def dyes_model():
    with lv.Model("dyes") as m:
        theta = lv.Normal("theta", mean=0.0, precision=1.0e-10)
        tau_with = lv.Gamma("tau_with", shape=0.001, rate=0.001)
        tau_btw = lv.Gamma("tau_btw", shape=0.001, rate=0.001)
        with lv.plate("i", 6):
            mu = lv.Normal("mu", mean=theta, precision=tau_btw)
            with lv.plate("j", 5):
                lv.Normal("y", mean=mu, precision=tau_with, observed=True)
    return m


def surgical_model():
    with lv.Model("surgical") as m:
        with lv.plate("i", 12):
            n = lv.Const("n", shape=())
            p = lv.Beta("p", a=1.0, b=1.0)
            lv.Binomial("r", n=n, p=p, observed=True)
    return m


def line_model():
    with lv.Model("line") as m:
        alpha = lv.Normal("alpha", mean=0.0, precision=1.0e-4)
        beta = lv.Normal("beta", mean=0.0, precision=1.0e-4)
        tau = lv.Gamma("tau", shape=0.001, rate=0.001)
        xbar = lv.Const("xbar", shape=())
        with lv.plate("i", 5):
            x = lv.Const("x", shape=())
            lv.Normal("Y", mean=alpha + beta * (x - xbar), precision=tau, observed=True)
    return m


def birats_model():
    """Each rat's (intercept, slope) ~ MVN(mu_beta, precision R); R ~ Wishart with BUGS's dwish(Omega, 2),
    whose mean is 2 Omega^-1, so lvmdsl's scale is Omega^-1."""
    Omega = np.array([[200.0, 0.0], [0.0, 0.2]])
    with lv.Model("birats") as m:
        mu_beta = lv.MultivariateNormal("mu_beta", mean=np.zeros(2), precision=1.0e-6 * np.eye(2))
        R = lv.Wishart("R", df=2, scale=np.linalg.inv(Omega))
        tau_c = lv.Gamma("tauC", shape=0.001, rate=0.001)
        with lv.plate("j", 5):
            x = lv.Const("x", shape=())
        with lv.plate("i", 30) as i:
            beta = lv.MultivariateNormal("beta", mean=mu_beta, precision=R)
            with lv.plate("j", 5):
                lv.Normal("Y", mean=beta[i, 0] + beta[i, 1] * x, precision=tau_c, observed=True)
    return m


def embedded(name: str):
    """(model, data) of the hand-written declaration of example ``name``."""
    from data import _bugs_json
    if name == "rats":
        raw = _bugs_json("rats")
        return growth_curve_model(), {"y": np.asarray(raw["y"], float), "x": np.asarray(raw["x"], float),
                                      "xbar": float(raw["xbar"])}
    if name == "pumps":
        raw = _bugs_json("pumps")
        return failure_rate_model(), {"x": np.asarray(raw["x"]), "t": np.asarray(raw["t"], float)}
    if name == "dyes":
        return dyes_model(), {"y": np.asarray(_bugs_json("dyes")["y"], float)}
    if name == "surgical":
        return surgical_model(), {"n": np.array([47, 148, 119, 810, 211, 196, 148, 215, 207, 97, 256, 360]),
                                  "r": np.array([0, 18, 8, 46, 8, 13, 9, 31, 14, 8, 29, 24])}
    if name == "line":
        return line_model(), {"x": np.arange(1.0, 6.0), "Y": np.array([1.0, 3, 3, 3, 5]), "xbar": 3.0}
    if name == "birats":
        raw = _bugs_json("rats")
        return birats_model(), {"Y": np.asarray(raw["y"], float), "x": np.asarray(raw["x"], float)}
    raise KeyError(name)
