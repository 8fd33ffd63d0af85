"""Index-level lowering: a vector or matrix value is one sympy expression at symbolic indices.

The element-level backend (``lower.SympyBackend``) writes a vector of length D as D sympy
scalars, so a derivation's size grows with D.  Here an event axis is treated like a plate: a
value of event shape ``(D, E)`` is a ``Tensor``, a function that returns its entry at symbolic
indices ``(i, j)``; ``dot`` introduces a bound index, ``Sum_k a[i, k] b[k]``.  The derivation
then works on one entry for every D, exactly as it works on one plate element for every N.

Anonymous array literals become named constants (``w_precision`` for the precision given to
``w``), kept in a ``LiteralTable`` that the numeric evaluation reads; a literal that is a
constant times the identity or a constant fill stays symbolic (``c * KroneckerDelta(i, j)``,
``c``), so ``s2 * np.eye(D)`` prints as ``s2 I`` and a zero mean drops out.
"""

from __future__ import annotations

import sympy as sp

from ..frontend.expr import Const
from ..frontend.model import RandomVariable
from .lower import Lowering, const_shape, plate_symbol, size_symbol
from .matrix import MatrixAtomError
from .tensor import LiteralTable, Tensor, _broadcast, _pick, fresh_index, literal_tensor, matrix_inverse, size_of

class IndexBackend(Lowering):
    """Lowering to ``Tensor`` values; see the module docstring."""

    def __init__(self, plates, owner, literals: LiteralTable, param: str = ""):
        super().__init__(plates, owner)
        self.literals, self.param = literals, param

    def literal(self, value):
        return literal_tensor(value, self.literals, f"{self.owner}_{self.param}" if self.param else f"{self.owner}_c")

    def plate_index(self, p):
        s = plate_symbol(p)
        return Tensor((), lambda: s)

    def reference(self, obj, explicit: list, explicit_exprs=()):
        """``obj[explicit...]``: explicit indices consume its plates, then its event axes; plates left
        over must enclose the factor (they take its plate index); event axes left over stay open."""
        n_plates = len(obj.plates)
        event = obj.event_shape if isinstance(obj, RandomVariable) else const_shape(obj)
        if len(explicit) > n_plates + len(event):
            raise self.err(f"{obj.name} has {n_plates + len(event)} dimension(s) but is given {len(explicit)} indices")
        for ie in explicit_exprs:
            self.check_index_expr(obj, ie)
        lead = [t.scalar() for t in explicit[:n_plates]]
        opened = self.open_plates(obj, len(lead))
        for p in obj.plates[len(lead):n_plates - len(opened)]:
            lead.append(plate_symbol(p))
        lead += [t.scalar() for t in explicit[n_plates:]]
        rest = tuple(event[max(0, len(explicit) - n_plates):])
        sizes = tuple(size_symbol(p) for p in opened) + tuple(size_of(n) for n in rest)
        rest = tuple(p.size for p in opened) + rest
        if not lead and not rest:
            sym = sp.Symbol(obj.name)
            return Tensor((), lambda: sym)
        base = sp.IndexedBase(obj.name)
        return Tensor(rest, lambda *idx: base[tuple(lead) + tuple(idx)], sizes)

    def binop(self, op, a, b):
        shape, sizes = _broadcast(a, b)
        if op == "**":
            f = lambda x, y: x ** y  # noqa: E731
        else:
            f = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
                 "/": lambda x, y: x / y}[op]
        return Tensor(shape, lambda *i: f(_pick(a, i, shape), _pick(b, i, shape)), sizes)

    _FUNCS = {"exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "neg": lambda x: -x,
              "sigmoid": lambda x: 1 / (1 + sp.exp(-x)), "Phi": lambda x: (1 + sp.erf(x / sp.sqrt(2))) / 2}

    def func(self, fn, a):
        if fn == "inv":
            if a.ndim != 2 or a.shape[0] != a.shape[1]:
                raise self.err("the inverse needs a square matrix")
            try:
                return matrix_inverse(a, self.literals, f"{self.owner}_inv")
            except MatrixAtomError as err:
                raise self.err(str(err)) from None
        if fn == "diag":
            if a.ndim != 1:
                raise self.err(f"diag needs a vector, got a value of shape {a.shape}")
            return Tensor(a.shape * 2, lambda i, j: sp.KroneckerDelta(i, j) * a.entry(i), a.sizes * 2)
        f = self._FUNCS[fn]
        return Tensor(a.shape, lambda *i: f(a.entry(*i)), a.sizes)

    def dot(self, a, b):
        if b.ndim != 1 or a.ndim not in (1, 2):
            raise self.err(f"dot needs vector.vector or matrix.vector with matching sizes, got {a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[0]:
            named = [n for n in (a.shape[-1], b.shape[0]) if isinstance(n, str)]
            hint = (f"; a size named {named[0]!r} and a number never match: give both the same name "
                    f"(a constant's shape=(\"{named[0]}\",), a plate's size \"{named[0]}\") or the same number"
                    if named else "")
            raise self.err(f"dot needs vector.vector or matrix.vector with matching sizes, got {a.shape} and "
                           f"{b.shape}{hint}")
        n = b.sizes[0]
        if a.ndim == 1:
            def entry():
                k = fresh_index("k")
                return sp.Sum(a.entry(k) * b.entry(k), (k, 0, n - 1))
            return Tensor((), entry)

        def entry(i):
            k = fresh_index("k")
            return sp.Sum(a.entry(i, k) * b.entry(k), (k, 0, n - 1))
        return Tensor(a.shape[:1], entry, a.sizes[:1])


def param_shapes(v: RandomVariable) -> dict:
    """Event shape of each canonical parameter of ``v`` for one element of its plates, found
    without writing out any entry (a D x D precision costs the same as a scalar)."""
    low = IndexBackend(v.plates, v.name, LiteralTable())
    return {k: low.lower(e).shape for k, e in v.params.items()}


def const_entry_name(c: Const) -> str:
    return c.name
