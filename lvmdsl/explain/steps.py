"""The steps of a derivation as data, shared by the text, LaTeX and markdown presentations.

Every presentation is made from the same ``Conditional`` objects the runtimes evaluate, so what a
reader sees cannot drift from what runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..derive.conditionals import Conditional
from ..rules.conjugate import Factor
from ..symbolic.lower import plate_symbol
from .notation import show


@dataclass
class FactorStep:
    name: str
    role: str                # "prior" or "likelihood"
    logdensity: sp.Expr
    coefficients: list
    summed_over: str         # plain-text description of the plate sum


def display_coefficient(c: Conditional, f: Factor, coef):
    """A coefficient with the factor's lead replaced by the target's index (valid under [lead = k])."""
    if f.direct:
        return coef
    own = [plate_symbol(p) for p in c.target.plates]
    return coef.xreplace(dict(zip(f.lead, own)))


def summed_over(c: Conditional, f: Factor) -> str:
    own = [plate_symbol(p) for p in c.target.plates]
    plates = [f.renamed.get(plate_symbol(p), plate_symbol(p)) for p in f.variable.plates]
    if f.direct:
        extra = [s for s in plates if s not in own]
        return f"summed over {', '.join(map(str, extra))}" if extra else ""
    cond = " and ".join(f"{show(l)} = {k}" for l, k in zip(f.lead, own))
    return f"summed over the {', '.join(map(str, plates))} with {cond}"


def factor_steps(c: Conditional) -> list[FactorStep]:
    out = []
    for i, f in enumerate(c.factors):
        coefs = [display_coefficient(c, f, k) for k in f.coefficients]
        out.append(FactorStep(f.name, "prior" if i == 0 else "likelihood", f.logdensity, coefs, summed_over(c, f)))
    return out


def element_label(c: Conditional) -> str:
    if isinstance(c.element, np.ndarray):
        return f"{c.name}[{', '.join(str(plate_symbol(p)) for p in c.target.plates)}]" if c.target.plates else c.name
    return sp.sstr(c.element)
