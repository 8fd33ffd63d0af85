"""Centred data for natural parameters that cancel: the expanded sums regrouped around the data's mean.

The array-level engine expands a log-density into canonical terms, so a precision's rate reads

    -1/2 Sum_n x[n]**2 + mu Sum_n x[n] - 1/2 N mu**2

with the data sums precomputed once.  For data at 1e8 with unit spread each term is ~1e16 N and
their sum is ~N: the digits cancel.  This module rewrites such a natural parameter around the
centre m of every data array (the mean over its plates, computed in two passes): with
x = x~c + m, every term is expanded in the centred atoms x~c (small) and grouped by the monomial of
data it multiplies; each group's coefficient, a polynomial in m and the state, is factored
(``sympy.factor``), so the degree-0 part reads ``-1/2 N (m - mu)**2``: evaluated unexpanded, it
loses no digits.  Degree >= 1 parts multiply sums of centred data, which are small; their
coefficients are factored the same way (``(mu - m) Sum_n x~c[n]``).

A routed sum (a mixture, ``Sum_{n: z[n] = k}``) keeps its delta in the data part, so the count
n_k takes N's place.  A contraction of state with centres over an event index
(``Sum_k m_X[k] w[k]``, a regression's fitted value at the mean covariates) is a symbol while
factoring and a ``Sum`` inside the factored coefficient: ``-1/2 N (m_y - Sum_k m_X[k] w[k])**2``.
A group's state summed over its plate (``alpha[i]``) and constants without plates (``xbar``) join
the coefficient, so a hierarchy's precision reads ``-T/2 Sum_i (alpha[i] + ... - m_y)**2`` + ....

``centre_terms`` is one step on a list of canonical terms (one natural parameter, or any sum the
EM code generators evaluate); it checks symbolically that the regrouped terms expand to the
given ones and returns the given terms unchanged when they do not, or when nothing cancels.
``centre_arrays`` computes the centred arrays and centres for the names it used (``x~c``, ``x~m``:
``~`` cannot occur in a user's name).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .canon import Term, _renamed_canonically, canonical, contract, merge
from .tensor import FRESH, fresh_index

CENTRED, CENTRE = "~c", "~m"
MAX_TERMS = 24          # larger sums (element-level multivariate quadratic forms) are left expanded


# ---------------------------------------------------------------------------- which arrays
def data_plate_dims(model) -> dict[str, int]:
    """Name -> number of plate axes, for every observed variable and constant of the model."""
    from .lower import full_dims
    out = {}
    for v in model.variables.values():
        if getattr(v, "observed", False):
            out[v.name] = len(v.plates)
    for c in model.consts.values():
        out[c.name] = full_dims(c)[0]
    return out


def _value_atoms(e) -> set:
    """Indexed atoms and symbols of ``e`` that are read as values, not as an index."""
    out = set()

    def walk(x):
        if isinstance(x, sp.Indexed):
            out.add(x)
            return
        if isinstance(x, sp.KroneckerDelta):
            return
        if isinstance(x, sp.Symbol):
            out.add(x)
            return
        for a in x.args:
            walk(a)
    walk(sp.sympify(e))
    return out


def _index_names(e) -> set:
    """Names read inside an index or a Kronecker delta (index arrays): never centred."""
    out = set()
    for a in sp.sympify(e).atoms(sp.Indexed):
        for i in a.indices:
            out |= {str(b.base.label) for b in sp.sympify(i).atoms(sp.Indexed)} | {s.name for s in sp.sympify(i).free_symbols}
    for d in sp.sympify(e).atoms(sp.KroneckerDelta):
        out |= {str(b.base.label) for b in d.atoms(sp.Indexed)} | {s.name for s in d.free_symbols}
    return out


def _label(a) -> str:
    return str(a.base.label) if isinstance(a, sp.Indexed) else a.name


def centrable(terms: list[Term], data: dict[str, int]) -> set[str]:
    """Data names read as values, when at least two terms read data (a single product cannot
    cancel) and one of them is of degree two in the data (the square a precision's rate expands)."""
    barred = set()
    count: dict[str, int] = {}
    for t in terms:
        barred |= _index_names(t.coef)
        names = {_label(a) for a in _value_atoms(t.coef)} & {n for n, p in data.items() if p > 0}
        for n in names:
            count[n] = count.get(n, 0) + 1
    if sum(1 for t in terms if {_label(a) for a in _value_atoms(t.coef)} & set(count)) < 2:
        return set()
    if max(_data_degree(t.coef, set(count)) for t in terms) < 2:
        return set()           # linear in the data: Sum x - N mu is as large as its terms, nothing to save
    return {n for n in count if n not in barred}


def _data_degree(coef, names: set) -> int:
    """Degree of a product in the data atoms named ``names`` (x[n]**2 and x[n] X[n, k]: 2)."""
    deg = 0
    for f in sp.Mul.make_args(coef):
        base, ex = f.as_base_exp()
        if any(_label(a) in names for a in _value_atoms(base)):
            deg += int(ex) if ex.is_Integer and ex > 0 else 2
    return deg


# ---------------------------------------------------------------------------- substitution
def _centred_atom(a, data: dict[str, int]):
    """x[i.., e..] -> x~c[i.., e..] + x~m[e..] (the centre has the array's event axes only)."""
    name = _label(a)
    p = data[name]
    if isinstance(a, sp.Indexed):
        ev = a.indices[p:]
        centre = sp.IndexedBase(name + CENTRE)[ev] if ev else sp.Symbol(name + CENTRE)
        return sp.IndexedBase(name + CENTRED)[a.indices] + centre
    return sp.Symbol(name + CENTRED) + sp.Symbol(name + CENTRE)


def _substitute(coef, names: set, data: dict):
    swap = {a: _centred_atom(a, data) for a in _value_atoms(coef) if _label(a) in names}
    return coef.xreplace(swap)


def _uncentre(e, names: set, data: dict) -> dict:
    """The inverse substitution, for the check: x~c[i.., e..] -> x[i.., e..] - x~m[e..]."""
    swap = {}
    for a in _value_atoms(e):
        lab = _label(a)
        if not lab.endswith(CENTRED) or lab[: -len(CENTRED)] not in names:
            continue
        base = lab[: -len(CENTRED)]
        if isinstance(a, sp.Indexed):
            ev = a.indices[data[base]:]
            centre = sp.IndexedBase(base + CENTRE)[ev] if ev else sp.Symbol(base + CENTRE)
            swap[a] = sp.IndexedBase(base)[a.indices] - centre
        else:
            swap[a] = sp.Symbol(base) - sp.Symbol(base + CENTRE)
    return swap


# ---------------------------------------------------------------------------- grouping
def _is_centred(f) -> bool:
    return any(_label(a).endswith(CENTRED) for a in _value_atoms(f))


def _is_centre(f) -> bool:
    return any(_label(a).endswith(CENTRE) for a in _value_atoms(f))


def _reads_state(f, varying: set) -> bool:
    return any(_label(a) in varying for a in sp.sympify(f).atoms(sp.Indexed, sp.Symbol)) or \
        any(str(a.base.label) in varying for a in sp.sympify(f).atoms(sp.Indexed))


def _split(t: Term, varying: set, sums: dict, scalars: set = frozenset()):
    """(key Term, polynomial part) of one expanded term: the key is the product of data (centred
    atoms, deltas, sizes) it multiplies, summed over its plates; the polynomial part is read by
    the state and the centres.  ``sums`` collects the symbols that stand for contractions of state
    and centres over one event index; ``scalars`` names constants without plates."""
    c, rest = t.coef.as_coeff_Mul()
    factors = [f for f in sp.Mul.make_args(rest) if f != 1]
    bound = {b for b, _ in t.bound}
    sizes = dict(t.bound)
    # a group's state (alpha[i], summed over plate i): part of the coefficient, its plate kept bound
    own = [f for f in factors if _reads_state(f, varying) and not _is_centred(f) and not _is_centre(f)
           and not f.atoms(sp.KroneckerDelta) and not any(b.name in FRESH for b in f.free_symbols & bound)
           and f.free_symbols & bound]
    factors = [f for f in factors if f not in own]
    comps: list[list] = []
    for f in factors:
        idx = f.free_symbols & bound
        joined = [cp for cp in comps if cp[1] & idx]
        new = [[f], set(idx)]
        for cp in joined:
            new[0] += cp[0]
            new[1] |= cp[1]
            comps.remove(cp)
        comps.append(new)
    key, poly, key_bound, moved = [], [sp.sympify(c), *own], [], set()
    key_bound += [(b, sizes[b]) for f in own for b in f.free_symbols & bound]
    for fs, idx in comps:
        prod = sp.Mul(*fs)
        data_like = any(_is_centred(f) or f.atoms(sp.KroneckerDelta) for f in fs) or not _reads_state(prod, varying)
        if not idx:
            vals = _value_atoms(prod)
            scalar = bool(vals) and all(isinstance(a, sp.Symbol) and a.name in scalars for a in vals)
            if data_like and not (_is_centre(prod) and not _is_centred(prod)) and not scalar:
                key.append(prod)
            else:
                poly.append(prod)
            continue
        if not data_like and not _is_centre(prod):      # state summed over a plate (alpha[i]): a per-element
            poly.append(prod)                           # coefficient, its plate kept as a bound index
            key_bound += [(b, sizes[b]) for b in idx]
            continue
        if data_like or len(idx) != 1:
            key.append(prod)
            key_bound += [(b, sizes[b]) for b in idx]
            continue
        (b,) = idx
        moved.add(b)
        canon = _renamed_canonically(Term(prod, ((b, sizes[b]),)))
        if canon not in sums:
            sums[canon] = (sp.Symbol(f"_sum{len(sums)}"), prod, (b, sizes[b]))
        poly.append(sums[canon][0])
    used = {b for b, _ in key_bound} | moved
    key_bound += [(b, n) for b, n in t.bound if b not in used]     # a plate no factor reads: a count
    kt = _renamed_canonically(Term(sp.Mul(*key), tuple(sorted(set(key_bound), key=lambda x: x[0].name))))
    return kt, sp.Mul(*poly)


def _polynomial(t) -> bool:
    if t.atoms(sp.Function) - t.atoms(sp.KroneckerDelta):
        return False
    return all(p.exp.is_Integer and p.exp != 0 for p in t.atoms(sp.Pow))   # 1/var: a rational function factors too


def _compact(poly, centre_symbols: set, keep: set = frozenset()) -> list:
    """The terms reading a centre, with the state terms they complete, factored; the others as
    they are (and those reading a name in ``keep``).  A list of summands."""
    parts = sp.Add.make_args(sp.expand(poly))
    kept = [p for p in parts if _reads_state(p, keep)]
    parts = [p for p in parts if p not in kept]
    with_c = [p for p in parts if p.free_symbols & centre_symbols or _is_centre(p)]
    if not with_c:
        return [p for p in parts + kept if p != 0]
    fs = set().union(*(p.free_symbols for p in with_c))
    candidates = [p for p in parts if p not in with_c and _polynomial(p) and not p.is_Number]
    f, chosen = sp.factor(sp.Add(*with_c, *candidates)), candidates
    if isinstance(f, sp.Add):          # not a product: try the terms over the same atoms only
        sub = [p for p in candidates if p.free_symbols <= fs]
        g = sp.factor(sp.Add(*with_c, *sub))
        if sub and not isinstance(g, sp.Add):
            f, chosen = g, sub
    rest = [p for p in parts if p not in with_c and p not in chosen]
    return [f] + rest + kept


def _plates(terms: list[Term]) -> dict:
    """Size -> the one plate index summed over it in ``terms`` (sizes of two plates left out)."""
    seen: dict = {}
    for t in terms:
        for b, n in t.bound:
            if isinstance(n, sp.Symbol) or (isinstance(n, sp.Integer) and n > 1):   # a plate of fixed size too
                seen.setdefault(n, set()).add(b)
    return {n: bs.pop() for n, bs in seen.items() if len(bs) == 1}


def _uncontract(t: Term, plates: dict) -> Term:
    """N * c summed over nothing as c summed over the plate of size N, so that a term whose plate
    sum was contracted into a count groups with the terms that still sum over it."""
    coef, bound = t.coef, list(t.bound)
    for n, b in plates.items():
        if b in {x for x, _ in bound}:
            continue
        rest = coef / n
        if n.is_Integer:                # a fixed size: when it divides the numerical factor (5 N x~m**2 / 2)
            c = coef.as_coeff_Mul()[0]
            if c.is_Rational and c != 0 and sp.Rational(c).p % int(n) == 0:
                coef, bound = rest, bound + [(b, n)]
        elif not rest.has(n) and sp.Mul.make_args(coef).count(n) == 1:
            coef, bound = rest, bound + [(b, n)]
    return Term(coef, tuple(bound))


def _recontract(t: Term) -> Term:
    """Bound indices no factor reads become their sizes again (without expanding the coefficient)."""
    used = t.coef.free_symbols
    scale = sp.Mul(*[n for b, n in t.bound if b not in used])
    return Term(scale * t.coef, tuple((b, n) for b, n in t.bound if b in used))


def centre_terms(terms: list[Term], data: dict[str, int], varying: set,
                 keep: set = frozenset(), force: set = frozenset()) -> tuple[list[Term], set]:
    """``terms`` regrouped around the centres of the data they read, and the names centred.

    ``data``: name -> number of plate axes of every data array (``data_plate_dims``);
    ``varying``: names whose values change between calls (the state); ``keep``: names whose
    products must stay expanded (EM's continuous latents, whose moments replace them); ``force``:
    names centred whenever read (EM's features shared by every update).  Returns (terms, set())
    unchanged when nothing can cancel or the regrouping does not check."""
    if len(terms) > MAX_TERMS:        # an element-level quadratic form written out entry by entry: the
        return terms, set()           # factoring would cost seconds and not find a product
    data = {n: p for n, p in data.items() if n not in varying}     # observed values drawn as state (Geweke)
    names = centrable(terms, data) | {n for n in force if n in data and any(
        n in {_label(a) for a in _value_atoms(t.coef)} for t in terms)}
    if not names:
        return terms, set()
    plates = _plates(terms)
    expanded = []
    for t in terms:
        for a in sp.Add.make_args(sp.expand(_substitute(t.coef, names, data))):
            c = contract(Term(a, t.bound))
            if c is not None:
                expanded.append(_uncontract(c, plates))
    sums: dict = {}
    groups: dict = {}
    order = []
    for t in expanded:
        k, p = _split(t, varying, sums, {n for n, q in data.items() if q == 0})
        if k not in groups:
            groups[k] = sp.Integer(0)
            order.append(k)
        groups[k] += p
    symbols = {s for s, _, _ in sums.values()}
    back = {}
    for s, prod, (b, n) in sums.values():
        nb = fresh_index("u")
        back[s] = sp.Sum(prod.xreplace({b: nb}), (nb, 0, n - 1))
    out = []
    for k in order:
        for coef in _compact(groups[k], symbols, keep):
            if coef != 0:
                out.append(_recontract(Term(k.coef * coef.xreplace(back), k.bound)))
    if not _same(terms, out, names, data):
        return terms, set()
    return out, names


def _same(old: list[Term], new: list[Term], names: set, data: dict) -> bool:
    """Whether ``new`` (centred) expands to ``old`` once x~c = x - x~m is put back."""
    def key(ts):
        acc = {}
        for t in merge(canonical(sp.Add(*[x.to_sympy() for x in ts]))):
            c, r = t.coef.as_coeff_Mul()
            b = tuple(sorted(t.bound, key=str))          # the order of the summed indices is no difference
            acc[(r, b)] = acc.get((r, b), 0) + c
        return {k: v for k, v in acc.items() if v != 0}
    back = []
    for t in new:
        swap = {}
        for f in [t.coef] + [a for a in sp.preorder_traversal(t.coef) if isinstance(a, sp.Sum)]:
            swap.update(_uncentre(f, names, data))
        back.append(Term(t.coef.xreplace(swap), t.bound))
    try:
        return key(old) == key(back)
    except Exception:            # a form canonical() cannot expand: keep the expanded terms
        return False


# ---------------------------------------------------------------------------- numbers
def centre_array(x, plate_dims: int) -> tuple[np.ndarray, np.ndarray]:
    """(x - m, m) with m the two-pass mean over the plate axes (``centre_of``)."""
    m = centre_of(x, plate_dims)
    return np.asarray(x, dtype=float) - m, m


def centre_of(x, plate_dims: int, block: int = 1 << 16) -> np.ndarray:
    """The two-pass mean over the plate axes, read in blocks of rows (no full-size temporary)."""
    x = np.asarray(x)
    if plate_dims == 0 or x.size == 0:
        return np.zeros(x.shape[plate_dims:])
    rows = x.reshape((-1,) + x.shape[plate_dims:])
    n = rows.shape[0]
    m = sum(np.sum(rows[i:i + block], axis=0, dtype=float) for i in range(0, n, block)) / n
    return m + sum(np.sum(rows[i:i + block] - m, axis=0) for i in range(0, n, block)) / n


def far_from_zero(model, data: dict | None, ratio: float = 3.0) -> bool:
    """Whether some data array of ``data`` has a column whose mean is more than ``ratio`` standard
    deviations from zero (or a column with no spread away from zero): the data for which
    centring changes digits.  Arrays that are not numeric here (lazy, missing) do not count."""
    dims = data_plate_dims(model)
    for name, value in (data or {}).items():
        p = dims.get(name, 0)
        if p == 0:
            continue
        try:
            x = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            continue
        if x.ndim < p or x.size == 0 or not np.all(np.isfinite(x)):
            continue
        m = centre_of(x, p)
        rows = x.reshape((-1,) + x.shape[p:])
        block = 1 << 16                 # no full-size temporary (online EM's memory stays minibatch-sized)
        sd = np.sqrt(sum(np.sum((rows[i:i + block] - m) ** 2, axis=0) for i in range(0, len(rows), block)) / len(rows))
        if np.any(np.abs(m) > ratio * sd):
            return True
    return False


def centre_arrays(env: dict, names, data: dict[str, int]) -> dict:
    """``{x~c: x - m, x~m: m}`` for every name in ``names`` (arrays read from ``env``)."""
    out = {}
    for n in sorted(names):
        out[n + CENTRED], out[n + CENTRE] = centre_array(env[n], data[n])
    return out


def precompute_source(names, data: dict[str, int], body: str | None = None, source: str = "D") -> list[str]:
    """Generated lines putting the centres (``P['x~m']``: ``D['x~m']`` when the data come with it,
    as EM's chunks do) and the centred arrays ``P['x~c']`` into ``P``; a centred array only when
    ``body`` (the rest of the function's source) reads it, so no full-size copy is made for nothing."""
    lines = []
    for n in sorted(names):
        c, m = n + CENTRED, n + CENTRE
        lines.append(f"P[{m!r}] = {source}[{m!r}] if {m!r} in {source} else centre_of({source}[{n!r}], {data[n]})")
        if body is None or f"P[{c!r}]" in body:
            lines.append(f"P[{c!r}] = {source}[{n!r}] - P[{m!r}]   # centred data: sums that cancel lose no digits")
    return lines


def stable_natural(cond, varying: set) -> tuple[list[list[Term]], set]:
    """An ``IndexConditional``'s natural parameters with ``centre_terms`` applied to each, and the
    names of the data arrays they centre (cached on the conditional)."""
    key = ("_stable_natural", frozenset(varying))
    cache = cond.__dict__.setdefault("_centring_cache", {})
    if key not in cache:
        data = data_plate_dims(cond.model)
        out, names = [], set()
        for terms in cond.natural:
            new, used = centre_terms(terms, data, varying)
            out.append(new)
            names |= used
        cache[key] = (out, names)
    return cache[key]


def expand_uncentred(coef):
    """``sympy.expand`` for a coefficient the element-level code generators split into terms,
    except a centred one, whose factored coefficients must stay as they are."""
    coef = sp.sympify(coef)
    if any(_label(a).endswith(CENTRED) for a in _value_atoms(coef)):
        return coef
    return sp.expand(coef)


def centre_element_derivation(derivation, varying: set, keep: set = frozenset()):
    """An element-level derivation (EM's) whose conditionals' coefficients are centred where
    they cancel, and the names centred.  The derivation given is not changed."""
    import copy
    import dataclasses

    from ..derive.conditionals import Conditional
    if hasattr(derivation, "centred_names"):       # centred already (a program made from another's)
        return derivation, set(derivation.centred_names)
    data = data_plate_dims(derivation.model)
    exact = [c for c in derivation.values() if isinstance(c, Conditional) and c.factors is not None]
    force: set = set()            # a name centred anywhere is centred everywhere: one set of features
    for cond in exact:
        for f in cond.factors:
            for c in f.coefficients:
                terms = [Term(a) for a in sp.Add.make_args(sp.expand(sp.sympify(c)))] if c != 0 else []
                force |= centre_terms(terms, data, varying, keep)[1]
    conds, names = {}, set()
    for name, cond in derivation.items():
        if cond not in exact:
            conds[name] = cond
            continue
        factors, changed = [], False
        for f in cond.factors:
            coefs = []
            for c in f.coefficients:
                c = sp.sympify(c)
                terms = [Term(a) for a in sp.Add.make_args(sp.expand(c))] if c != 0 else []
                out, used = centre_terms(terms, data, varying, keep, force)
                coefs.append(sp.Add(*[t.coef for t in out]) if used else c)
                names |= used
                changed |= bool(used)
            factors.append(dataclasses.replace(f, coefficients=coefs))
        if changed:
            cond = copy.copy(cond)
            cond.__dict__ = {k: v for k, v in cond.__dict__.items() if k not in ("natural", "params")}
            cond.factors = factors
        conds[name] = cond
    if not names:
        return derivation, set()
    out = copy.copy(derivation)
    out._c = conds
    out.centred_names = frozenset(names)
    return out, names
