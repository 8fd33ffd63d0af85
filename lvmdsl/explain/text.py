"""Plain-text presentations: ``print(derivation)`` and ``derivation.explain(name)``."""

from __future__ import annotations

import sympy as sp

from ..derive.conditionals import Conditional, NonConjugate
from .notation import show
from .steps import element_label, factor_steps


def _s(e) -> str:
    if hasattr(e, "tolist") and not isinstance(e, sp.Basic):
        return "[" + ", ".join(_s(v) for v in e.tolist()) + "]"
    return show(e)


def conditional_summary(c) -> str:
    if getattr(c, "engine", "element") == "index":
        from .index_text import index_summary
        return index_summary(c)
    if not c.conjugate:
        return f"{c.name} | rest: NOT CONJUGATE: {c.reason}"
    if c.rule == "enumeration":
        logits = ", ".join(_s(phi) for phi in c.natural)
        return f"{element_label(c)} | rest ~ {c.family.name}(p ∝ exp([{logits}]))   [{c.rule_name}]"
    params = ", ".join(f"{k}={_s(v)}" for k, v in c.params.items())
    return f"{element_label(c)} | rest ~ {c.family.name}({params})   [{c.rule_name}]"


def derivation_text(d) -> str:
    lines = [f"Complete conditionals of model {d.model.name!r}:"]
    for c in d.values():
        lines.append("  " + conditional_summary(c))
    return "\n".join(lines)


def explain_conditional(c) -> str:
    if getattr(c, "engine", "element") == "index":
        from .index_text import index_explain
        return index_explain(c)
    if isinstance(c, NonConjugate):
        return (f"{c.name}: no conjugate complete conditional.\n  {c.reason}\n"
                "  The Gibbs sampler updates it with a named fallback (slice sampling); strict mode makes this an error.")
    assert isinstance(c, Conditional)
    el = element_label(c)
    steps = factor_steps(c)
    out = [f"Complete conditional of {el}   (rule: {c.rule_name})", ""]
    prior, likes = steps[0], steps[1:]
    out.append("1. Prior times likelihood: keep the factors of the joint that contain " + el + ":")
    out.append(f"   p({el} | rest) ∝ p({el} | parents)" + "".join(f" × Π p({s.name} | ...)" for s in likes))
    out.append("")
    out.append("2. Log form, for one element of each factor:")
    out.append(f"   log p({el} | parents) = {_s(prior.logdensity)}")
    for s in likes:
        out.append(f"   log p({s.name} | ...) = {_s(s.logdensity)}")
    out.append("")
    if c.rule == "enumeration":
        out.append(f"3. {el} takes {c.n_states} values: the log-density is linear in the indicators [{el} = s],")
        out.append("   with coefficient the sum of the log factors evaluated at s:")
        for s_i, phi in enumerate(c.natural):
            out.append(f"   s = {s_i}:  {_s(phi)}")
        out.append("")
        out.append(f"4. Normalise over the states (log-sum-exp): {el} | rest ~ {c.family.name}")
        for k, v in c.params.items():
            out.append(f"   {k} = {_s(v)}")
        return "\n".join(out)
    stats = ", ".join(_s(t) for t in c.stats)
    out.append(f"3. The {c.prior_family.name} prior has sufficient statistics T = ({stats}).")
    out.append("   Expand each log factor and collect the coefficient of each statistic:")
    for s in steps:
        coefs = ", ".join(f"{_s(t)}: {_s(k)}" for t, k in zip(c.stats, s.coefficients) if k != 0)
        where = f"   ({s.summed_over})" if s.summed_over else ""
        out.append(f"   {s.role} {s.name}:  {coefs or 'no term (the factor does not depend on it)'}{where}")
    out.append("   Every term is constant or a multiple of a statistic, so the conditional stays in the family.")
    out.append("")
    out.append(f"4. Natural parameters of {el} | rest (prior's plus the collected coefficients):")
    for t, eta in zip(c.stats, c.natural):
        out.append(f"   eta[{_s(t)}] = {_s(eta)}")
    out.append("")
    out.append(f"5. {el} | rest ~ {c.family.name} with")
    for k, v in c.params.items():
        out.append(f"   {k} = {_s(v)}")
    return "\n".join(out)
