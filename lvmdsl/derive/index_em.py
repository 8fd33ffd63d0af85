"""``lv.derive(model, method="em")`` at the level of arrays: Q, the E-step and the M-steps.

The same derivation as ``derive.em``, read from the array-level conditionals: the E-step of a
latent is its conditional given the parameters, and the M-step of a parameter maximises
Q = E[eta] . T(theta) + log h(theta), where E[eta] are its conditional's natural-parameter terms with
every function of a latent replaced by its expectation (``derive.index_expect``).  Those terms are
index expressions, printed as linear algebra where they form products: a mixture's mean update
reads ``Σ_n r_z[n,k] x_n``, PPCA's loading update reads ``Σ_n x_n E[z]_nᵀ`` against
``Σ_n E[z zᵀ]_n``.  Nothing here grows with a vector's length or the number of states.
"""

from __future__ import annotations

import sympy as sp

from ..explain.index_text import index_summary, natural_texts
from ..explain.linalg import terms_linalg
from ..symbolic.canon import Term, canonical, contract
from ..symbolic.lower import plate_symbol, size_symbol
from .em import EMDerivation, argmax_steps, em_text
from .index_expect import LatentExpectations


class IndexEMDerivation(EMDerivation):
    """Q, E-step and M-steps of one model for a split into latents and parameters (array level)."""

    engine = "index"

    def __init__(self, derivation, latent=None, params=None):
        from ..runtime.em import split_unknowns
        self.d, self.model = derivation, derivation.model
        self.latent, self.params = split_unknowns(derivation, latent, params)
        self.ex = LatentExpectations(derivation, self.latent)
        self._display = {sp.IndexedBase(k): sp.IndexedBase(v) for k, v in self.ex.display.items()}

    title_note = " (derived at array level)"

    def __str__(self):
        return em_text(self)

    def q_texts(self) -> list[tuple[str, str]]:
        return [(v, terms_linalg(terms, [])) for v, terms in self.q_canonical()]

    def latent_summary(self, name: str) -> str:
        return index_summary(self.d[name])

    def __repr__(self):
        return (f"<EM derivation of {self.model.name!r} (array level): latent {', '.join(self.latent) or '-'}; "
                f"params {', '.join(self.params)}>")

    # ------------------------------------------------------------------ pieces
    def expected(self, name: str) -> list[list[Term]]:
        """E[eta] of parameter ``name``, per statistic, as canonical terms in the expectations."""
        cond = self.d[name]
        return [self.ex.expect_terms(terms, name) for terms in cond.natural]

    def shown(self, cond, natural):
        """A copy of ``cond`` with natural parameters ``natural`` and expectation arrays given their
        reading names (r_z, E[z], E[z zᵀ])."""
        from ..codegen.index_em import proxy
        return proxy(cond, [[Term(t.coef.xreplace(self._display), t.bound) for t in terms] for terms in natural])

    def q_terms(self) -> list[tuple[str, sp.Expr]]:
        """(variable, E[log p(variable | parents)] summed over its plates) as one sympy expression."""
        return [(v, sp.Add(*[t.to_sympy() for t in terms])) for v, terms in self.q_canonical()]

    def q_canonical(self) -> list[tuple[str, list[Term]]]:
        """(variable, E[log p(variable | parents)] summed over its plates) as canonical terms."""
        from .index_conditionals import lower_index_factor
        out = []
        for v in self.model.variables.values():
            if v.name in self.params and self.d[v.name].flat:
                continue
            expr, _, _ = lower_index_factor(v, self.d.literals)
            bound = tuple((plate_symbol(p), size_symbol(p)) for p in v.plates)
            terms = [c for t in canonical(expr) for c in [contract(Term(t.coef, t.bound + bound))] if c is not None]
            terms = self.ex.expect_terms(terms, v.name)
            out.append((v.name, [Term(t.coef.xreplace(self._display), t.bound) for t in terms]))
        return out

    def expectation_line(self, l: str, c, el: str, idx: str) -> str:
        if c.rule == "enumeration":
            return (f"r_{l}[{idx + ', ' if idx else ''}s] = q({el} = s) = p({el} = s | data, theta_old), "
                    f"for each of the {c.n_states} states s")
        names = [self.ex.display[self.ex.labels[(l, j)]] for j in range(len(c.stats))]
        return f"{', '.join(names)} under {el} | data, theta_old ({c.family.name})"

    def m_step(self, name: str) -> dict:
        cond = self.d[name]
        shown = self.shown(cond, self.expected(name))
        return {"family": cond.family.name, "stats": [st.expr for st in cond.stats],
                "eta": [sp.Add(*[t.to_sympy() for t in terms]) for terms in shown.natural],
                "eta_text": natural_texts(shown), "flat": cond.flat, "solution": solution_lines(cond)}

    def to_latex(self) -> str:
        rows = []
        for p in self.params:
            cond = self.d[p]
            for i, text in enumerate(natural_texts(self.shown(cond, self.expected(p)), latex=True)):
                rows.append(rf"\mathbb{{E}}[\eta_{{{i}}}^{{\mathrm{{{p}}}}}] &= {text}")
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def source(self, centre: bool = False) -> str:
        """The generated numpy E- and M-steps (``centre=True``: as they run for data far from zero)."""
        from ..codegen.index_em import IndexEMCodegen
        return IndexEMCodegen(self.d, self.latent, self.params, centre=centre).source


class ScalarView:
    """What ``argmax_steps`` reads of a conditional, for a scalar family at array level."""

    def __init__(self, cond):
        from ..rules.index_conjugate import target_atoms
        self.family = cond.family
        self.stats = [st.expr for st in cond.stats]
        atoms = [a for st in self.stats for a in target_atoms(st, cond.name) if isinstance(a, (sp.Indexed, sp.Symbol))]
        self.element = atoms[0] if atoms else cond.element.scalar()   # one entry (psi[a]) of an elementwise family


def solution_lines(cond) -> list[str]:
    """How dQ/dtheta = 0 is solved, as text lines (the family's maximiser)."""
    eta = [sp.Symbol(f"eta{i}") for i in range(len(cond.stats))]
    if cond.family.event_ndim == 0:
        return argmax_steps(ScalarView(cond), eta)
    return argmax_steps(cond, eta)
