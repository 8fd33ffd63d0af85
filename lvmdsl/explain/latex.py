"""LaTeX presentations of a derivation (``to_latex``, ``_repr_latex_``), from the same steps as the text."""

from __future__ import annotations

import numpy as np
import sympy as sp

from .notation import show_latex
from .steps import element_label, factor_steps


def tex(e) -> str:
    if isinstance(e, np.ndarray):
        return show_latex(sp.Matrix(e.tolist()) if e.ndim else e.item())
    return show_latex(e)


def _label(c) -> str:
    return show_latex(c.element) if not isinstance(c.element, np.ndarray) else show_latex(sp.Symbol(element_label(c)))


def conditional_latex(c) -> str:
    if getattr(c, "engine", "element") == "index":
        from .index_text import index_latex
        return index_latex(c)
    if not c.conjugate:
        return r"\text{%s: not conjugate (%s)}" % (c.name, str(c.reason).replace("_", r"\_"))
    params = r",\; ".join(f"{k} = {tex(v)}" for k, v in c.params.items())
    return rf"{_label(c)} \mid \text{{rest}} \sim \mathrm{{{c.family.name}}}\left({params}\right)"


def explain_latex(c) -> str:
    """The step-by-step derivation as an aligned LaTeX block."""
    if getattr(c, "engine", "element") == "index":
        from .index_text import index_explain_latex
        return index_explain_latex(c)
    if not c.conjugate:
        return conditional_latex(c)
    el = _label(c)
    rows = []
    for s in factor_steps(c):
        who = rf"\log p({el})" if s.role == "prior" else rf"\log p(\mathrm{{{s.name}}} \mid \dots)"
        rows.append(rf"{who} &= {tex(s.logdensity)}")
    for t, eta in zip(c.stats, c.natural):
        rows.append(rf"\eta\left[{tex(t)}\right] &= {tex(eta)}")
    for k, v in c.params.items():
        rows.append(rf"\mathrm{{{k}}} &= {tex(v)}")
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


def derivation_latex(d, name: str | None = None) -> str:
    if name is not None:
        return explain_latex(d[name])
    return r"\begin{aligned}" + r" \\ ".join(
        conditional_latex(c).replace(r"\sim", r"&\sim", 1) if c.conjugate else conditional_latex(c)
        for c in d.values()) + r"\end{aligned}"


def derivation_latex_display(d) -> str:
    return "$$" + derivation_latex(d) + "$$"
