"""The generic conjugacy rule at the level of arrays: statistics are tensor patterns.

The same rule as ``rules.conjugate``, for one *entry* of every axis: a vector target ``w`` of
length D has the statistics ``w[a]`` and ``w[a] w[b]`` for symbolic a, b (the family says which,
``Family.index_stats``), and each factor's log-density is in canonical form (``symbolic.canon``),
a sum of terms ``c * prod(atoms)`` summed over bound indices.  A term whose target atoms form a
statistic is matched to it by mapping the atoms' event indices to the pattern's: a bound index
becomes the pattern index (``Sum_k X[n,k] w[k]`` gives ``X[n,a]`` for ``w[a]``), any other index
becomes a Kronecker delta (``w[0]`` gives ``delta(a, 0)``).  The coefficient of every statistic is
therefore itself an index expression, derived once for every D.  A term that matches no
statistic makes the target not conjugate, and is the reason given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..families.base import Stat
from ..frontend.model import RandomVariable
from ..symbolic.canon import Term, contract
from ..symbolic.lower import plate_symbol, size_symbol
from ..symbolic.matrix import INVERSE_SUFFIX, LogDet
from .conjugate import NotConjugate


@dataclass
class IndexFactor:
    """One factor of the Markov blanket in canonical form, localised to the target element."""

    variable: RandomVariable
    terms: list
    lead: tuple = ()
    direct: bool = True
    renamed: dict = field(default_factory=dict)
    coefficients: list = field(default_factory=list)   # per statistic: list[Term]

    @property
    def name(self) -> str:
        return self.variable.name


def target_atoms(expr, name: str) -> list:
    """Occurrences of ``name`` in ``expr``: entries, inverse entries, log-determinants, the symbol."""
    inv = name + INVERSE_SUFFIX
    out = [a for a in expr.atoms(sp.Indexed) if str(a.base.label) in (name, inv)]
    logdets = [a for a in expr.atoms(LogDet) if str(a.args[0]) == name]
    out += logdets
    if not any(isinstance(a, sp.Indexed) for a in out):
        rest = expr.xreplace({a: sp.Symbol("_logdet") for a in logdets}) if logdets else expr
        if sp.Symbol(name) in rest.free_symbols:
            out.append(sp.Symbol(name))
    return out


def _lead(atom, m: int) -> tuple:
    if isinstance(atom, sp.Indexed):
        return tuple(atom.indices[:m])
    if isinstance(atom, LogDet):
        return tuple(atom.args[1:1 + m])
    return ()


def _with_lead(atom, lead: tuple, m: int):
    if isinstance(atom, sp.Indexed):
        return atom.base[tuple(lead) + tuple(atom.indices[m:])]
    if isinstance(atom, LogDet):
        return LogDet(atom.args[0], *lead, *atom.args[1 + m:])
    return atom


# ---------------------------------------------------------------- plates promoted to event axes
class PlateVector:
    """A target declared in plates, seen as one vector over the plates a factor sums over.

    ``lv.dot(X[n], w)`` with ``w`` in plate d sums over d, so the elements ``w[d]`` share the
    factor and have no elementwise update.  Read as one value whose event axes are those plates
    (``w[a]`` for a pattern index a), the factor is a quadratic form in the vector and the
    elements' own factors, summed over d, contribute through deltas: ``Sum_d alpha[d] w[d]^2``
    matched to ``w[a] w[b]`` is ``delta(a, b) alpha[a]``.  The rest of the rule is unchanged.
    """

    def __init__(self, variable: RandomVariable, opened: tuple):
        self.variable, self.opened = variable, tuple(opened)
        self.plates = variable.plates[:len(variable.plates) - len(self.opened)]
        self.event_shape = tuple(p.size for p in self.opened) + tuple(variable.event_shape)

    def __getattr__(self, key):
        return getattr(self.variable, key)

    def __repr__(self):
        return self.variable.name

    def element(self):
        """The target's value as a tensor over its opened plates (and its own event axes)."""
        from ..symbolic.tensor import Tensor, size_of
        lead = tuple(plate_symbol(p) for p in self.plates)
        sizes = tuple(size_symbol(p) for p in self.opened) + tuple(size_of(n) for n in self.variable.event_shape)
        base = sp.IndexedBase(self.variable.name)
        return Tensor(self.event_shape, lambda *idx: base[lead + tuple(idx)], sizes)


def linked_plates(target: RandomVariable, factors: list) -> tuple:
    """The target's plates that some factor sums over (an index bound in a term that holds the
    target there): those elements are linked.  They must be its last plates."""
    name, m = target.name, len(target.plates)
    linked, where = set(), {}
    for f in factors:
        for t in f.terms:
            bound = set(t.indices)
            for a in target_atoms(t.coef, name):
                for pos, x in enumerate(_lead(a, m)):
                    if bound & sp.sympify(x).free_symbols:
                        linked.add(pos)
                        where.setdefault(pos, f.name)
    if not linked:
        return ()
    first = min(linked)
    if linked != set(range(first, m)):
        p = target.plates[first]
        raise NotConjugate(name, where[first], "", f"because it sums over plate {p.name!r} of {name}, which links "
                           f"its elements, and that plate is not among the last plates of {name} (declare "
                           f"{name} with plate {p.name!r} innermost to update it as one vector over that plate)")
    return tuple(target.plates[first:])


def localise(target: RandomVariable, factor: IndexFactor) -> None:
    """Write every term with the target's generic element; record the lead (which element).

    One factor that touches two elements of the target (different leads) links them: no
    elementwise update exists, and the reason names the leads.
    """
    name, m = target.name, len(target.plates)
    own = tuple(plate_symbol(p) for p in target.plates)
    leads = set()
    for t in factor.terms:
        for a in target_atoms(t.coef, name):
            lead = _lead(a, m)
            if any(s in t.indices for x in lead for s in sp.sympify(x).free_symbols):
                raise NotConjugate(name, factor.name, sp.sstr(t.to_sympy()),
                                   f"because it sums over elements of {name}, which links them (no elementwise update)")
            leads.add(lead)
    if len(leads) > 1:
        raise NotConjugate(name, factor.name, "", "because it links different elements of "
                           f"{name} ({', '.join(str(list(l)) for l in leads)}), so its elements are not conditionally "
                           "independent and have no joint block update")
    lead = leads.pop() if leads else own
    factor.lead, factor.direct = lead, lead == own
    if not factor.direct:
        fplates = {plate_symbol(p) for p in factor.variable.plates}
        factor.renamed = {s: sp.Symbol(s.name + "_", integer=True, nonnegative=True) for s in own if s in fplates}
        factor.lead = tuple(sp.sympify(x).xreplace(factor.renamed) for x in lead)
    terms = []
    for t in factor.terms:
        coef = t.coef.xreplace(factor.renamed) if factor.renamed else t.coef
        swap = {a: _with_lead(a, own, m) for a in target_atoms(coef, name)}
        terms.append(Term(coef.xreplace(swap), t.bound))
    factor.terms = terms


def _pieces(form, name: str, m: int):
    """The target-dependent factors of ``form``, each as (key, event indices); None if one factor
    holds the target twice in a non-product way (``exp(w[i] * w[j])``)."""
    out = []
    for f in sp.Mul.make_args(form):
        base, ex = f.as_base_exp()
        atoms = target_atoms(f, name)
        if len(atoms) == 1 and base == atoms[0] and ex.is_Integer and ex > 0:
            out += [base] * int(ex)
        elif len(atoms) == 1:
            out.append(f)
        elif atoms:
            return None
    keyed = []
    for f in out:
        atom = target_atoms(f, name)[0]
        ev = _event(atom, m)
        holes = tuple(sp.Symbol(f"_e{k}") for k in range(len(ev)))
        keyed.append((f.xreplace({atom: _with_event(atom, holes, m)}), ev))
    return keyed


def _event(atom, m: int) -> tuple:
    if isinstance(atom, sp.Indexed):
        return tuple(atom.indices[m:])
    if isinstance(atom, LogDet):
        return tuple(atom.args[1 + m:])
    return ()


def _with_event(atom, ev: tuple, m: int):
    if isinstance(atom, sp.Indexed):
        return atom.base[tuple(atom.indices[:m]) + tuple(ev)]
    if isinstance(atom, LogDet):
        return LogDet(*atom.args[:1 + m], *ev)
    return atom


def match(term: Term, stats: list[Stat], name: str, m: int):
    """(statistic number, coefficient Term) for one canonical term, or None if it matches none."""
    atoms = target_atoms(term.coef, name)
    outside, form = term.coef.as_independent(*atoms, as_Add=False)
    mine = _pieces(form, name, m)
    if mine is None:
        return None
    for s_no, stat in enumerate(stats):
        theirs = _pieces(stat.expr, name, m)
        if theirs is None or sorted(str(k) for k, _ in mine) != sorted(str(k) for k, _ in theirs):
            continue
        coef, bound = outside, list(term.bound)
        used: dict = {}
        pool = list(theirs)
        ok = True
        for key, ev in mine:
            j = next((q for q, (k2, _) in enumerate(pool) if k2 == key), None)
            if j is None:
                ok = False
                break
            _, pat = pool.pop(j)
            for e, p in zip(ev, pat):
                e = used.get(e, e)
                bound_names = [b for b, _ in bound]
                if e in bound_names:
                    coef = coef.xreplace({e: p})
                    used[e] = p
                    bound = [(b, n) for b, n in bound if b != e]
                elif e != p:
                    coef = coef * sp.KroneckerDelta(p, e)
        if not ok:
            continue
        c = contract(Term(coef, tuple(bound)))
        return s_no, c
    return None


def collect(target: RandomVariable, stats: list[Stat], factor: IndexFactor) -> None:
    """Coefficients of each statistic in the factor (lists of Terms); NotConjugate otherwise."""
    name, m = target.name, len(target.plates)
    coefs: list[list] = [[] for _ in stats]
    for t in factor.terms:
        if not target_atoms(t.coef, name):
            continue
        hit = match(t, stats, name, m)
        if hit is None:
            raise NotConjugate(name, factor.name, sp.sstr(t.to_sympy()),
                               "is not a multiple of a sufficient statistic of the prior "
                               f"({', '.join(sp.sstr(s.expr) for s in stats)}), so the conditional leaves the family")
        s_no, c = hit
        if c is not None:
            coefs[s_no].append(c)
    factor.coefficients = coefs


def plate_sum(target: RandomVariable, factor: IndexFactor, terms: list[Term]) -> list[Term]:
    """A factor's coefficient summed over the plate elements that reach the target element:
    its plates become bound indices, and a scattered factor carries [lead = own]."""
    own = [plate_symbol(p) for p in target.plates]
    out = []
    for t in terms:
        coef, bound = t.coef, list(t.bound)
        for p in factor.variable.plates:
            s = plate_symbol(p)
            s = factor.renamed.get(s, s)
            if factor.direct and s in own:
                continue
            bound.append((s, size_symbol(p)))
        if not factor.direct:               # under [lead = own], tau[z[n]] is tau[k]: exact, and cheaper
            coef = coef.xreplace(dict(zip(factor.lead, own)))
            for l, k in zip(factor.lead, own):
                coef = coef * sp.KroneckerDelta(l, k)
        c = contract(Term(coef, tuple(bound)))
        if c is not None:
            out.append(c)
    return out
