"""Expressions of a BUGS model in the embedded language: the part of the translation that reads
right-hand sides (see ``lvmdsl.text.bugs`` for the whole mapping).

A reference ``mu[i, j]`` becomes the variable itself when its indices are its own plates (the
embedded language aligns it implicitly), else an ``Index`` with plate objects, discrete latents,
index constants or 0-based integers.  A deterministic node is inlined: its defining expression
with the loop indices of its definition replaced by the indices of the use.  Arithmetic on
numbers only is folded; functions map as ``FUNCTIONS`` lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..frontend import expr as E
from . import ast
from .bugs_parse import NodeRef, Slot

#: the BUGS functions the reader translates
FUNCTIONS = ("inprod", "pow", "sqrt", "exp", "log", "ilogit", "logit", "inverse")
#: link functions on a left side and the inverse that defines the node
LINKS = {"logit": "ilogit", "log": "exp"}


class BugsExpressions:
    """Mixin of ``BugsTranslator``: needs ``error``, ``model``, ``stoch``, ``determ``, ``consts``,
    ``lv_name``, ``_node_plates`` and ``index_consts``."""

    def expr(self, e, ctx: "Ctx", index_position: bool = False):
        if isinstance(e, ast.Number):
            t = e.text
            return np.asarray(int(t) if t.isdigit() else float(t))
        if isinstance(e, ast.Neg):
            return -self.expr(e.arg, ctx)
        if isinstance(e, ast.BinOpExpr):
            a, b = self.expr(e.left, ctx), self.expr(e.right, ctx)
            if not isinstance(a, E.Expr) and not isinstance(b, E.Expr):
                a = a.astype(float) if e.op in ("/", "**") else a
                return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "**": np.power}[e.op](a, b)
            a = a if isinstance(a, E.Expr) else E.as_expr(a)
            return {"+": a.__add__, "-": a.__sub__, "*": a.__mul__, "/": a.__truediv__, "**": a.__pow__}[e.op](b)
        if isinstance(e, ast.Call):
            return self._call(e, ctx)
        if isinstance(e, NodeRef):
            return self._ref(e, ctx, index_position)
        raise self.error(f"cannot translate {type(e).__name__}", getattr(e, "pos", None), "an expression")

    def _call(self, e: ast.Call, ctx):
        if e.fn not in FUNCTIONS:
            raise self.error(f"function {e.fn!r} is not in lvmdsl's BUGS subset", e.pos,
                             "one of " + ", ".join(FUNCTIONS))
        want = 2 if e.fn in ("inprod", "pow") else 1
        if len(e.args) != want:
            raise self.error(f"{e.fn} takes {want} argument(s), got {len(e.args)}", e.pos, f"{e.fn}(...)")
        args = [self.expr(a, ctx) for a in e.args]
        numeric = not any(isinstance(a, E.Expr) for a in args)
        if e.fn == "inprod":
            return np.dot(*args) if numeric else E.dot(*args)
        if e.fn == "pow":
            return np.power(np.asarray(args[0], float), args[1]) if numeric else E.as_expr(args[0]) ** args[1]
        if e.fn == "logit":
            x = args[0]
            return np.log(x / (1 - x)) if numeric else E.log(x / (1 - x))
        if e.fn == "inverse":
            return np.linalg.inv(args[0]) if numeric else E.as_expr(args[0]).inverse()
        fn = {"ilogit": "sigmoid"}.get(e.fn, e.fn)
        if numeric:
            return {"sqrt": np.sqrt, "exp": np.exp, "log": np.log, "sigmoid": lambda x: 1 / (1 + np.exp(-x))}[fn](
                np.asarray(args[0], float))
        return getattr(E, fn)(args[0])

    def _ref(self, e: NodeRef, ctx, index_position):
        if e.name in ctx.loops:
            if e.slots is not None:
                raise self.error(f"loop index {e.name!r} cannot be indexed", e.pos, e.name)
            if not index_position:
                raise self.error(f"loop index {e.name!r} used as a number is not supported (lvmdsl's plates are "
                                 "not values); put the values in the data", e.pos, f"a data vector indexed by {e.name}")
            return ctx.loops[e.name]
        if e.name in self.determ:
            return self._inline(e, ctx, index_position)
        if e.name in self.stoch:
            d = self.stoch[e.name]
            var = self.model.variables.get(self.lv_name(e.name))
            plates = [p[0] for p in self._node_plates(e.name, d)]
            out = self._indexed(var, plates, e, ctx)
            if var.family.name == "Categorical" and not index_position:
                return out + 1
            return out
        c = self.model.consts[self.lv_name(e.name)]
        if index_position:
            self.index_consts.add(e.name)
        plates = [p[0] for p in self.consts[e.name][0]]
        return self._indexed(c, plates, e, ctx)

    def _indexed(self, base, plates: list, e: NodeRef, ctx):
        """``base`` indexed as the BUGS reference ``e`` says: implicit when its indices are its own plates."""
        slots = list(e.slots or [])
        while slots and slots[-1].kind in ("all", "range"):
            slots.pop()
        k = len(plates)
        own = len(slots) <= k and all(
            isinstance(sl.expr, NodeRef) and sl.expr.slots is None and sl.expr.name in ctx.loops
            and ctx.loops[sl.expr.name].name == plates[i] for i, sl in enumerate(slots))
        if own and (len(slots) == k or not slots) and all(p in ctx.open for p in plates[: len(slots)]):
            return base
        idx = []
        for sl in slots:
            if sl.kind != "expr":
                raise self.error(f"{e.name}: a range or empty slot before an index is not supported", e.pos,
                                 "indices first, then ranges or empty slots")
            i = self.expr(sl.expr, ctx, index_position=True)
            if not isinstance(i, E.Expr):
                if i.ndim != 0 or not np.issubdtype(i.dtype, np.integer) or i < 1:
                    raise self.error(f"index {text_of(sl.expr)} of {e.name} is not a positive integer", sl.pos,
                                     "an integer from 1")
                i = np.asarray(int(i) - 1)
            idx.append(i)
        return base[tuple(idx)] if idx else base

    def _inline(self, e: NodeRef, ctx, index_position):
        d = self.determ[e.name]
        self._node_plates(e.name, d, "deterministic node")
        slots = e.slots or []
        if any(sl.kind != "expr" for sl in slots) or len(slots) != len(d.loops):
            raise self.error(f"deterministic node {e.name!r} is defined element by element (in loops over "
                             f"{', '.join(v for v, _ in d.loops) or 'nothing'}) and must be used one element at a "
                             "time here", e.pos, f"{e.name}[{', '.join(v for v, _ in d.loops)}]" if d.loops else e.name)
        if getattr(ctx, "depth", 0) > 50:
            raise self.error(f"deterministic node {e.name!r} is defined in terms of itself", e.pos, "no cycles")
        subst = {v: sl.expr for (v, _), sl in zip(d.loops, slots)}
        body = _substitute(d.stmt.expr, subst)
        if d.stmt.link is not None:
            if d.stmt.link not in LINKS:
                raise self.error(f"link function {d.stmt.link!r} is not supported", d.stmt.link_pos,
                                 " or ".join(LINKS))
            body = ast.Call(LINKS[d.stmt.link], [body], d.stmt.link_pos)
        inner = Ctx(ctx.loops, ctx.open, getattr(ctx, "depth", 0) + 1)
        return self.expr(body, inner, index_position)


@dataclass
class Ctx:
    """Where an expression is read: the loop indices in scope (BUGS name -> Plate), the open plates."""

    loops: dict             # BUGS loop variable -> Plate
    open: tuple             # names of the plates open at the statement
    depth: int = 0


def _substitute(e, subst: dict):
    if isinstance(e, NodeRef):
        if e.slots is None and e.name in subst:
            return subst[e.name]
        if e.slots is None:
            return e
        return NodeRef(e.name, [Slot(sl.kind, _substitute(sl.expr, subst) if sl.expr is not None else None,
                                     _substitute(sl.end, subst) if sl.end is not None else None, sl.pos)
                                for sl in e.slots], e.pos)
    if isinstance(e, ast.Call):
        return ast.Call(e.fn, [_substitute(a, subst) for a in e.args], e.pos)
    if isinstance(e, ast.BinOpExpr):
        return ast.BinOpExpr(e.op, _substitute(e.left, subst), _substitute(e.right, subst), e.pos)
    if isinstance(e, ast.Neg):
        return ast.Neg(_substitute(e.arg, subst), e.pos)
    return e


def text_of(e) -> str:
    if isinstance(e, ast.Number):
        return e.text
    if isinstance(e, NodeRef):
        return e.name + ("" if e.slots is None else "[...]")
    if isinstance(e, ast.Call):
        return f"{e.fn}(...)"
    return "expression"
