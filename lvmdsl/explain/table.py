"""``lv.conjugacy_table()``: the prior/likelihood pairs the engine recognises, derived by the engine.

The catalogue below only *declares* small models (a prior with symbolic hyperparameters, and a
plate of observations whose likelihood uses the target); nothing here knows a posterior.  Each
row's posterior family and parameters come from ``lv.derive``, so the table documents what the
code does and cannot drift from it.  The same catalogue drives the brute-force tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

import lvmdsl as lv


@dataclass(frozen=True)
class Pair:
    prior: str           # prior family of the target
    likelihood: str      # family of the observations
    role: str            # which parameter of the likelihood the target is
    build: Callable      # () -> Model, the target is named "theta", the data "x"


def _scalar_pair(prior, prior_params, like, like_params, role):
    def build():
        with lv.Model(f"{prior}-{like}") as m:
            hyper = {k: lv.Const(k, v) for k, v in prior_params.items()}
            theta = getattr(lv, prior)("theta", **hyper)
            with lv.plate("n", "N"):
                params = {k: (theta if v == "theta" else v) for k, v in like_params.items()}
                getattr(lv, like)("x", observed=True, **params)
        return m
    return Pair(prior, like, role, build)


def _vector_pair(prior, prior_params, like, like_params, role):
    def build():
        with lv.Model(f"{prior}-{like}") as m:
            theta = getattr(lv, prior)("theta", **prior_params)
            with lv.plate("n", "N"):
                params = {k: (theta if isinstance(v, str) and v == "theta" else v) for k, v in like_params.items()}
                getattr(lv, like)("x", observed=True, **params)
        return m
    return Pair(prior, like, role, build)


_I2 = np.eye(2)

CATALOGUE: list[Pair] = [
    _scalar_pair("Beta", {"a": 2.0, "b": 3.0}, "Bernoulli", {"p": "theta"}, "p"),
    _scalar_pair("Beta", {"a": 2.0, "b": 3.0}, "Binomial", {"n": 10, "p": "theta"}, "p"),
    _scalar_pair("Beta", {"a": 2.0, "b": 3.0}, "Geometric", {"p": "theta"}, "p"),
    _scalar_pair("Beta", {"a": 2.0, "b": 3.0}, "NegativeBinomial", {"r": 4, "p": "theta"}, "p"),
    _scalar_pair("Gamma", {"shape": 2.0, "rate": 1.5}, "Poisson", {"rate": "theta"}, "rate"),
    _scalar_pair("Gamma", {"shape": 2.0, "rate": 1.5}, "Exponential", {"rate": "theta"}, "rate"),
    _scalar_pair("Gamma", {"shape": 2.0, "rate": 1.5}, "Gamma", {"shape": 3.0, "rate": "theta"}, "rate (known shape)"),
    _scalar_pair("Gamma", {"shape": 2.0, "rate": 1.5}, "Normal", {"mean": 0.5, "precision": "theta"}, "precision"),
    _scalar_pair("Gamma", {"shape": 2.0, "rate": 1.5}, "Pareto", {"scale": 1.0, "shape": "theta"}, "shape"),
    _scalar_pair("Gamma", {"shape": 2.0, "rate": 1.5}, "InverseGamma", {"shape": 3.0, "scale": "theta"}, "scale"),
    _scalar_pair("InverseGamma", {"shape": 2.0, "scale": 1.5}, "Normal", {"mean": 0.5, "var": "theta"}, "var"),
    _scalar_pair("Normal", {"mean": 0.5, "var": 4.0}, "Normal", {"mean": "theta", "var": 2.0}, "mean"),
    _scalar_pair("Normal", {"mean": 0.5, "var": 4.0}, "LogNormal", {"mean": "theta", "sd": 0.7}, "mean of the log"),
    _vector_pair("Dirichlet", {"alpha": np.array([1.0, 2.0, 3.0])}, "Categorical", {"p": "theta"}, "p"),
    _vector_pair("Dirichlet", {"alpha": np.array([1.0, 2.0, 3.0])}, "Multinomial", {"n": 5, "p": "theta"}, "p"),
    _vector_pair("MultivariateNormal", {"mean": np.zeros(2), "cov": 4 * _I2}, "MultivariateNormal",
                 {"mean": "theta", "cov": np.array([[1.0, 0.3], [0.3, 2.0]])}, "mean"),
    _vector_pair("Wishart", {"df": 4.0, "scale": _I2}, "MultivariateNormal",
                 {"mean": np.zeros(2), "precision": "theta"}, "precision"),
    _vector_pair("InverseWishart", {"df": 5.0, "scale": _I2}, "MultivariateNormal",
                 {"mean": np.zeros(2), "cov": "theta"}, "covariance"),
]


@dataclass
class TableRow:
    prior: str
    likelihood: str
    role: str
    posterior: str
    rule: str
    params: dict
    display: dict | None = None      # parameter -> LaTeX in matrix notation (array-level derivations)


class ConjugacyTable(list):
    """Rows of ``TableRow``; ``to_markdown()`` renders the table shown in the docs."""

    def to_markdown(self) -> str:
        from .latex import tex
        lines = ["| prior | likelihood | target is the likelihood's | posterior | posterior parameters |",
                 "|---|---|---|---|---|"]
        for r in self:
            shown = r.display if r.display is not None else {k: tex(v) for k, v in r.params.items()}
            params = "<br>".join(f"{k} = ${v}$" for k, v in shown.items())
            lines.append(f"| {r.prior} | {r.likelihood} | {r.role} | {r.posterior} | {params} |")
        return "\n".join(lines)

    def __str__(self):
        return "\n".join(f"{r.prior:>18} x {r.likelihood:<18} ({r.role}): {r.posterior} [{r.rule}]" for r in self)

    def _repr_markdown_(self):
        from .display import conjugacy_table_markdown
        return conjugacy_table_markdown(self)


def conjugacy_table() -> ConjugacyTable:
    """Derive every catalogue pair and tabulate the engine's answer."""
    from ..families import FAMILIES
    rows = ConjugacyTable()
    for pair in CATALOGUE:
        missing = [f for f in (pair.prior, pair.likelihood) if f not in FAMILIES]
        if missing:
            rows.append(TableRow(pair.prior, pair.likelihood, pair.role, "unavailable", "",
                                 {"reason": f"family {', '.join(missing)} is not implemented yet"}))
            continue
        c = lv.derive(pair.build())["theta"]
        if c.conjugate:
            display = None
            if getattr(c, "engine", "element") == "index":
                from .index_text import params_texts
                display = dict(params_texts(c, latex=True))
            rows.append(TableRow(pair.prior, pair.likelihood, pair.role, c.family.name, c.rule_name, c.params, display))
        else:
            rows.append(TableRow(pair.prior, pair.likelihood, pair.role, "not conjugate", "", {"reason": str(c.reason)}))
    return rows
