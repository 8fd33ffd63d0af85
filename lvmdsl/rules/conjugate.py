"""The one generic conjugacy rule, over sufficient statistics.

For a target element theta with prior family F and sufficient statistics T(theta) (from F's
module), each factor of theta's Markov blanket is lowered to sympy, canonicalised (logs split,
products expanded) and split term by term: a term is either free of theta (a constant, dropped),
or a multiple c * T_i(theta) with c free of theta (collected as a coefficient of T_i), or neither,
in which case the factor is *not conjugate* and that term is reported.  When every term splits,
the complete conditional is F with natural parameters equal to the sum of the coefficients over
all factors and plate elements.  There is no table of prior/likelihood pairs.

Finite discrete targets use the same rule with one-hot statistics [theta = s]: any function of a
finite variable is linear in them, with coefficient f(s), so the rule reduces to enumeration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..frontend.expr import ModelError
from ..frontend.model import RandomVariable
from ..symbolic.lower import SympyBackend, plate_symbol, unwrap
from ..symbolic.matrix import INVERSE_SUFFIX, LogDet, MatrixAtomError


@dataclass
class Factor:
    """One factor of the target's Markov blanket, lowered for one element of its plates."""

    variable: RandomVariable
    logdensity: sp.Expr            # as written, for one element of the factor's plates
    lead: tuple = ()               # which target element it touches, over the factor's plates
    direct: bool = True            # lead is the target's own plate index: no scatter needed
    coefficients: list = field(default_factory=list)   # one per sufficient statistic
    renamed: dict = field(default_factory=dict)        # factor plate symbol -> fresh symbol (clashes)

    @property
    def name(self) -> str:
        return self.variable.name

    def factors_lead_latent(self, latents: dict) -> bool:
        """Whether this factor reaches its target through one of ``latents`` (names)."""
        return not self.direct and any(target_atoms(sp.sympify(l), n) for l in self.lead for n in latents)


@dataclass
class NotConjugate(Exception):
    """The reason a target has no conjugate complete conditional: which factor, which term, why."""

    target: str
    factor: str
    term: str
    reason: str

    def __str__(self):
        where = f" in the factor of {self.factor!r}" if self.factor else ""
        term = f": the term {self.term}" if self.term else ""
        return f"{self.target!r} is not conjugate{where}{term} {self.reason}"


def target_atoms(expr, name: str) -> list:
    """Occurrences of variable ``name`` in ``expr``: its entries, inverse entries and log-dets."""
    out = []
    inv = name + INVERSE_SUFFIX
    for a in expr.atoms(sp.Indexed):
        if str(a.base.label) in (name, inv):
            out.append(a)
    for a in expr.atoms(LogDet):
        if str(a.args[0]) == name:
            out.append(a)
    indexed = any(isinstance(a, sp.Indexed) for a in out)
    if not indexed and sp.Symbol(name) in expr.free_symbols:   # a scalar variable is a plain symbol
        out.append(sp.Symbol(name))
    return out


def depends_on(expr, name: str) -> bool:
    return bool(target_atoms(expr, name))


def atom_lead(atom, n_plates: int) -> tuple:
    if isinstance(atom, sp.Indexed):
        return tuple(atom.indices[:n_plates])
    if isinstance(atom, LogDet):
        return tuple(atom.args[1:1 + n_plates])
    return ()


def lower_factor(v: RandomVariable) -> sp.Expr:
    """log p(v | parents) for one element of ``v``'s plates, as sympy."""
    low = SympyBackend(v.plates, v.name)
    x = low.reference(v, [])
    params = {k: unwrap(low.lower(e)) for k, e in v.params.items()}
    try:
        return sp.sympify(v.family.log_density(unwrap(x), params))
    except MatrixAtomError as err:
        raise ModelError(f"in {v.name!r}: {err}") from None


def localise(target: RandomVariable, factor: Factor) -> sp.Expr:
    """Rewrite the factor so the target appears as its generic element (``mu[z[n]]`` -> ``mu[k]``).

    Records the factor's lead (the index expression that picks the element).  Fails when one
    factor touches two different elements of the target: they are not conditionally independent,
    so no update of all of them at once exists.
    """
    expr, name = factor.logdensity, target.name
    m = len(target.plates)
    atoms = target_atoms(expr, name)
    leads = {atom_lead(a, m) for a in atoms}
    if len(leads) > 1:
        raise NotConjugate(name, factor.name, "", "because it links different elements of "
                           f"{name} ({', '.join(str(list(l)) for l in leads)}), so its elements are not conditionally "
                           "independent and have no joint block update")
    own = tuple(plate_symbol(p) for p in target.plates)
    lead = leads.pop() if leads else own
    factor.lead, factor.direct = lead, lead == own
    if not factor.direct:
        clash = {s for s in own if s in {plate_symbol(p) for p in factor.variable.plates}}
        for s in clash:
            fresh = sp.Symbol(s.name + "_", integer=True, nonnegative=True)
            factor.renamed[s] = fresh
        if factor.renamed:
            expr = expr.xreplace(factor.renamed)
            atoms = target_atoms(expr, name)
            factor.lead = tuple(sp.sympify(i).xreplace(factor.renamed) for i in lead)
    swap = {}
    for a in atoms:
        if isinstance(a, sp.Indexed):
            swap[a] = a.base[tuple(own) + tuple(a.indices[m:])]
        elif isinstance(a, LogDet):
            swap[a] = LogDet(a.args[0], *own, *a.args[1 + m:])
    return expr.xreplace(swap)


def canonical_terms(expr) -> list:
    """Split a log-density into additive terms after expanding logs and products."""
    e = sp.expand(sp.expand_log(expr, force=True))
    return list(sp.Add.make_args(e))


def collect(target: str, stats: list, expr, factor_name: str) -> list:
    """Coefficients of ``stats`` in ``expr`` (constants dropped); raise NotConjugate otherwise."""
    coef = [sp.Integer(0)] * len(stats)
    by_form = {s: i for i, s in enumerate(stats)}
    for term in canonical_terms(expr):
        atoms = target_atoms(term, target)
        if not atoms:
            continue
        outside, form = term.as_independent(*atoms, as_Add=False)
        if form in by_form:                     # the usual case: one dictionary look-up
            coef[by_form[form]] += outside
            continue
        for i, s in enumerate(stats):           # forms that differ only by a factor
            ratio = term / s
            if not depends_on(ratio, target):
                coef[i] += ratio
                break
        else:
            raise NotConjugate(target, factor_name, sp.sstr(term),
                               "is not a multiple of a sufficient statistic of the prior "
                               f"({', '.join(map(sp.sstr, stats))}), so the conditional leaves the family")
    return coef


def enumerate_states(target: str, element, n_states: int, expr) -> list:
    """Coefficients of the one-hot statistics [theta = s]: the factor evaluated at each state."""
    return [expr.xreplace({element: sp.Integer(s)}) for s in range(n_states)]
