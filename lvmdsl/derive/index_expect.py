"""Expectations of array-level terms under the E-step posteriors: the E[.] of EM at index level.

Q(theta) = E[log p(x, z, theta)] under the latents' posteriors q(z) = p(z | x, theta_old).  Every
parameter's conditional natural parameters are canonical terms ``c * f_1 ... f_m`` summed over
bound indices; Q's coefficients are their expectations, which stay canonical terms:

* a **discrete** latent z (its states enumerated): a term holding the element z[l] is f(z[l]);
  its expectation is ``Sum_s r_z[l, s] f(s)``, a new bound state index s with the responsibility
  r_z[l, s] = q(z[l] = s) as a factor.  A routing indicator [z[l] = k] then contracts to
  r_z[l, k], so ``Sum_n [z[n] = k] x[n]`` becomes ``Sum_n r_z[n, k] x[n]``;
* a **continuous** latent z with sufficient statistics T_j (patterns such as z[a], z[a] z[b]):
  a term whose z-factors are T_j at the pattern indices is ``c[a, b] T_j[a, b]`` summed over a and
  b, and its expectation replaces T_j by E[T_j] (``E[z]``, ``E[z z']``), the expected statistics
  the E-step computes.  A term in z that is no statistic has no closed-form expectation.

Terms multiplying two different elements of one latent (z[n] z[m]) are refused: the posteriors
factorise over elements only when those are distinct, which a bound index cannot promise.
"""

from __future__ import annotations

import sympy as sp

from ..families.base import Stat
from ..frontend.expr import ModelError
from ..rules.index_conjugate import _lead, match, target_atoms
from ..symbolic.canon import Term, contract, merge
from ..symbolic.lower import plate_symbol
from ..symbolic.tensor import FRESH


class LatentExpectations:
    """The names and shapes of the E-step's expectations for a set of latents, and E[.] of terms.

    ``labels[(name, j)]`` is the array label of expectation j of latent ``name`` (j = 0 for the
    responsibilities of a discrete latent); ``source`` maps each label to where the generated code
    reads it (``E['z']`` or ``E['z'][j]``).
    """

    def __init__(self, derivation, latent: list[str]):
        self.d = derivation
        self.latent = list(latent)
        taken = {v for v in derivation.model.variables} | set(getattr(derivation.model, "consts", {}))
        self.labels: dict = {}
        self.source: dict = {}
        self.display: dict = {}
        for name in self.latent:
            cond = derivation[name]
            if cond.rule == "enumeration":
                label = _free_label(f"r_{name}", taken)
                self.labels[(name, 0)] = label
                self.source[label] = f"E[{name!r}]"
                self.display[label] = f"r_{name}"
            else:
                for j, st in enumerate(cond.stats):
                    label = _free_label(f"E{j}_{name}", taken)
                    self.labels[(name, j)] = label
                    self.source[label] = f"E[{name!r}][{j}]"
                    self.display[label] = "E[" + _stat_text(st, name) + "]"
        self._counter = 0

    def _index(self, hint: str) -> sp.Symbol:
        self._counter += 1
        name = f"{hint}_q{self._counter}"
        FRESH.add(name)
        return sp.Symbol(name, integer=True, nonnegative=True)

    def expect_terms(self, terms: list[Term], where: str) -> list[Term]:
        """E[sum of terms] as canonical terms in the expectation arrays (``where`` names the factor
        for error messages)."""
        out = []
        for t in terms:
            parts = [t]
            for name in self.latent:
                parts = [q for p in parts for q in self._expect_one(p, name, where)]
            out += parts
        return merge(out)

    def _expect_one(self, t: Term, name: str, where: str) -> list[Term]:
        atoms = target_atoms(t.coef, name)
        if not atoms:
            return [t]
        cond = self.d[name]
        m = len(cond.target.plates)
        if cond.rule == "enumeration":
            coef, bound = t.coef, list(t.bound)
            swap = {}
            for a in atoms:
                if a in swap:
                    continue
                s = self._index("s")
                lead = _lead(a, m)
                swap[a] = s
                bound.append((s, sp.Integer(cond.n_states)))
                coef = coef * sp.IndexedBase(self.labels[(name, 0)])[tuple(lead) + (s,)]
            c = contract(Term(coef.xreplace(swap), tuple(bound)))   # also as indices: mu[z[n]] -> mu[s]
            return [] if c is None else [c]
        leads = {_lead(a, m) for a in atoms}
        if len(leads) > 1:
            raise ModelError(f"EM: a term of {where!r} multiplies different elements of latent {name!r} "
                             f"({sp.sstr(t.to_sympy())}); their joint expectation is not derived (use method='mcem')")
        lead = leads.pop()
        own = [plate_symbol(p) for p in cond.target.plates]
        at = dict(zip(own, lead))
        stats = [Stat(st.expr.xreplace(at), st.indices, st.symmetric) for st in cond.stats]
        hold = sp.IndexedBase("_hold")[tuple(lead)] if lead else sp.Symbol("_hold")
        hit = match(Term(t.coef * hold, t.bound), stats, name, m)      # keeps the lead's indices bound
        if hit is None:
            raise ModelError(f"EM: E[{sp.sstr(t.to_sympy())}] in {where!r} has no closed form under the posterior of "
                             f"latent {name!r} ({cond.family.name}: its expected statistics are "
                             f"{', '.join(sp.sstr(s.expr) for s in cond.stats)}); use method='mcem'")
        j, c = hit
        if c is None:
            return []
        rename = {i: self._index(i.name.rstrip("0123456789") or "e") for i, _ in cond.stats[j].indices}
        pattern = [rename[i] for i, _ in cond.stats[j].indices]
        E = sp.IndexedBase(self.labels[(name, j)])
        entry = E[tuple(lead) + tuple(pattern)] if (lead or pattern) else sp.Symbol(self.labels[(name, j)])
        bound = tuple(c.bound) + tuple((rename[i], n) for i, n in cond.stats[j].indices)
        out = contract(Term(c.coef.xreplace(rename).xreplace({hold: entry}), bound))
        return [] if out is None else [out]


def _free_label(base: str, taken: set) -> str:
    label = base
    while label in taken:
        label = "_" + label
    taken.add(label)
    return label


def _stat_text(st: Stat, name: str) -> str:
    """How a statistic reads inside E[.]: z, z z', log w."""
    atoms = [a for a in st.expr.atoms(sp.Indexed) if str(a.base.label) == name]
    if len(st.indices) == 2 and len(atoms) == 2 and st.expr.is_Mul:
        return f"{name} {name}ᵀ"
    if st.symmetric and len(atoms) == 2:
        return f"{name} {name}ᵀ"
    swap = {a: sp.Symbol(name) for a in atoms}
    text = sp.sstr(st.expr.xreplace(swap))
    return text
