"""Canonical form of an index-level log-density: a sum of products, each summed over bound indices.

``canonical(expr)`` distributes products over sums and pulls every ``Sum`` to the front of its
term, the form autoconj calls a sum of einsums:

    log p = sum_t  c_t * prod_f atom_tf      summed over the bound indices of term t

so ``(y - Sum_k X[n,k] w[k])**2`` becomes ``y**2 - 2 Sum_k y X[n,k] w[k] + Sum_{k,l} X[n,k] X[n,l]
w[k] w[l]``.  Bound indices of multiplied sums are renamed apart; a Kronecker delta on a bound
index is contracted (``Sum_j P[i,j] delta(j, a) = P[i, a]``).  Functions of a sum (``log(Sum
...)``) stay atoms: a target inside one is then reported as not conjugate, with the term.
The size of the result depends on the model, never on the length of a vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .tensor import FRESH, fresh_index


@dataclass(frozen=True)
class Term:
    """``coef`` (a product, no sums inside) summed over ``bound`` = ((index, size), ...)."""

    coef: sp.Expr
    bound: tuple = ()

    @property
    def indices(self) -> tuple:
        return tuple(b for b, _ in self.bound)

    def to_sympy(self) -> sp.Expr:
        if not self.bound:
            return self.coef
        return sp.Sum(self.coef, *[(b, 0, n - 1) for b, n in self.bound])


def _has_sum(e) -> bool:
    return bool(e.atoms(sp.Sum)) if isinstance(e, sp.Basic) else False


def _rename_apart(t: Term, avoid: set) -> Term:
    swap = {}
    bound = []
    for b, n in t.bound:
        if b in avoid:
            nb = fresh_index(b.name.rstrip("0123456789") or "i")
            swap[b] = nb
            bound.append((nb, n))
        else:
            bound.append((b, n))
    if not swap:
        return t
    return Term(t.coef.xreplace(swap), tuple(bound))


def multiply(a: list[Term], b: list[Term]) -> list[Term]:
    out = []
    for s in a:
        avoid = set(s.indices) | s.coef.free_symbols
        for t in b:
            t2 = _rename_apart(t, avoid)
            out.append(Term(s.coef * t2.coef, s.bound + t2.bound))
    return out


def _plain(e) -> list[Term]:
    """Terms of an expression without sums: logs of products split, products expanded."""
    e = sp.expand(sp.expand_log(e, force=True))
    return [Term(a) for a in sp.Add.make_args(e) if a != 0]


def _canon(e) -> list[Term]:
    if not _has_sum(e):
        return _plain(e)
    if isinstance(e, sp.Add):
        return [t for a in e.args for t in _canon(a)]
    if isinstance(e, sp.Mul):
        out = [Term(sp.Integer(1))]
        for a in e.args:
            out = multiply(out, _canon(a))
        return out
    if isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp > 0:
        part = _canon(e.base)
        out = part
        for _ in range(int(e.exp) - 1):
            out = multiply(out, part)
        return out
    if isinstance(e, sp.Sum):
        body = _canon(e.function)
        limits = [(lim[0], lim[2] - lim[1] + 1) for lim in e.limits]
        out = []
        for t in body:
            t = _rename_apart(t, set(t.indices) - {lim[0] for lim in limits})
            out.append(Term(t.coef, t.bound + tuple(limits)))
        return out
    return [Term(e)]                     # a function of a sum: an opaque atom


def contract(t: Term) -> Term | None:
    """Contract Kronecker deltas on bound indices; drop the term when it is identically zero."""
    coef, bound = t.coef, list(t.bound)
    changed = True
    while changed:
        changed = False
        for f in sp.Mul.make_args(coef):
            base = f.base if isinstance(f, sp.Pow) else f
            if isinstance(base, sp.KroneckerDelta) and isinstance(f, sp.Pow):
                coef = coef.xreplace({f: base})
                changed = True
                break
            if not isinstance(f, sp.KroneckerDelta):
                continue
            p, q = f.args
            names = [b for b, _ in bound]
            if p in names or q in names:
                gone, keep = (p, q) if p in names else (q, p)
                coef = (coef / f).xreplace({gone: keep})
                bound = [(b, n) for b, n in bound if b != gone]
                changed = True
                break
    if coef == 0:
        return None
    used = coef.free_symbols
    scale = sp.Integer(1)
    kept = []
    for b, n in bound:
        if b in used:
            kept.append((b, n))
        else:
            scale *= n                    # a sum of something free of its index
    return Term(sp.expand(scale * coef) if scale != 1 else coef, tuple(kept))


def canonical(expr) -> list[Term]:
    """The canonical terms of ``expr``; see the module docstring."""
    out = []
    for t in _canon(sp.sympify(expr)):
        for a in sp.Add.make_args(sp.expand(t.coef)):
            c = contract(Term(a, t.bound))
            if c is not None:
                out.append(c)
    return out


def _renamed_canonically(t: Term) -> Term:
    """Bound indices renamed in order of first use, with factors ordered with indices masked, so
    that two spellings of one term (``Sum_k X[n,k] w[k]`` and ``Sum_j X[n,j] w[j]``) coincide."""
    if not t.bound:
        return t
    names = [b for b, _ in t.bound if b.name in FRESH]
    if not names:
        return t
    mask = {b: sp.Symbol("_B") for b in names}
    factors = sorted(sp.Mul.make_args(t.coef), key=lambda f: sp.srepr(f.xreplace(mask)))
    order = []
    for f in factors:
        for node in sp.preorder_traversal(f):
            if node in names and node not in order:
                order.append(node)
    swap = {}
    for k, b in enumerate(order):
        name = f"_b{k}"
        FRESH.add(name)
        swap[b] = sp.Symbol(name, integer=True, nonnegative=True)
    bound = tuple((swap.get(b, b), n) for b, n in t.bound)
    return Term(t.coef.xreplace(swap), tuple(sorted(bound, key=lambda x: x[0].name)))


def merge(terms: list[Term]) -> list[Term]:
    """Like terms added: the same product over the same bound indices, numbers summed."""
    acc: dict = {}
    for t in terms:
        t = _renamed_canonically(t)
        c, rest = t.coef.as_coeff_Mul()
        key = (rest, t.bound)
        acc[key] = acc.get(key, 0) + c
    out = []
    for (rest, bound), c in acc.items():
        if c != 0:
            out.append(Term(c * rest, bound))
    return out
