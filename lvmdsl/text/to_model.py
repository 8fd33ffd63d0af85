"""Meaning of a model text: walk the syntax tree and declare the model through the embedded language.

Nothing is evaluated as code: each statement becomes one call of the embedded language
(``lv.Model``, ``lv.plate``, ``lv.Const``, ``lv.Param``, ``lv.<Family>``), and each expression is
built from the same ``Expr`` nodes Python operators build.  Arithmetic on numbers and arrays only
(``10.0 * eye(3)``, ``ones(K)``, ``-2``) is folded into an array at once, as numpy would fold it in
Python, so a text and its embedded declaration give the same model.

An error raised by the embedded language is re-raised as a ``TextError`` at the statement (or the
argument) that caused it; whole-model checks (``lvmdsl.graph.validate.prepare``) run last and
point at the declaration of the variable their message names.
"""

from __future__ import annotations

import re

import numpy as np

from ..families import FAMILIES
from ..frontend import expr as E
from ..frontend.model import Model, Param, Plate, distribution_constructors, plate
from . import ast
from .errors import SourceText, TextError

#: elementwise functions of the language and the matrix inverse, with their arity
FUNCTIONS = {"exp": 1, "log": 1, "sqrt": 1, "sigmoid": 1, "dot": 2, "inverse": 1, "diag": 1}
#: array constructors, folded at read time
ARRAY_FUNCTIONS = ("ones", "zeros", "eye")
CONSTRAINTS = {"real": None, "positive": "positive", "unit": "unit", "simplex": "simplex",
               "positive_definite": "positive_definite"}
CONST_TYPES = ("real", "int")


class ModelBuilder:
    """One pass over a ``Program``: declares everything inside ``with Model(name)``."""

    def __init__(self, program: ast.Program, src: SourceText):
        self.program, self.src = program, src
        self.lets: dict[str, np.ndarray] = {}
        self.declared_at: dict[str, ast.Pos] = {}     # every declared name -> where
        self.later: dict[str, ast.Pos] = {}           # names declared anywhere in the text
        self.constructors = distribution_constructors()
        self._scan(program.body)

    def _scan(self, body):
        for s in body:
            if isinstance(s, ast.PlateBlock):
                self._scan(s.body)
            elif hasattr(s, "name"):
                self.later.setdefault(s.name, s.pos)

    def error(self, message, pos, expected=None) -> TextError:
        return self.src.error(message, pos, expected)

    # ------------------------------------------------------------------ statements
    def build(self) -> Model:
        self.model = Model(self.program.name)
        with self.model:
            self._block(self.program.body)
        self._validate()
        return self.model

    def _block(self, body):
        for s in body:
            getattr(self, "_" + type(s).__name__)(s)

    def _claim(self, name: str, pos):
        if name in self.declared_at:
            first = self.declared_at[name]
            raise self.error(f"{name!r} is declared twice (first on line {first.line})", pos,
                             "a new name for this declaration")
        self.declared_at[name] = pos

    def _Let(self, s: ast.Let):
        self._claim(s.name, s.pos)
        value = self.expr(s.value)
        if isinstance(value, E.Expr):
            raise self.error(f"let {s.name}: the value must be numbers only (it is substituted when the text is read)",
                             _pos_of(s.value), "a number, an array literal, ones(n), zeros(n) or eye(n)")
        self.lets[s.name] = value

    def _ConstDecl(self, s: ast.ConstDecl):
        self._claim(s.name, s.pos)
        shape = None
        if s.type is not None:
            if s.type.kind not in CONST_TYPES:
                raise self.error(f"const {s.name}: unknown type {s.type.kind!r}", s.type.pos,
                                 " or ".join(CONST_TYPES) + ", for instance const X: real[3]")
            shape = s.type.dims or ()
        value = None
        if s.value is not None:
            value = self.expr(s.value)
            if isinstance(value, E.Expr):
                raise self.error(f"const {s.name}: the value must be numbers only", _pos_of(s.value),
                                 "a number or an array literal; leave the value out to give it with the data")
        elif shape is None:
            shape = ()
        self._embedded(lambda: E.Const(s.name, value, shape), s.pos, expected="const NAME, const NAME: real[3], const NAME = 2.5")

    def _ParamDecl(self, s: ast.ParamDecl):
        self._claim(s.name, s.pos)
        constraint, shape = None, ()
        if s.type is not None:
            if s.type.kind not in CONSTRAINTS:
                raise self.error(f"param {s.name}: unknown constraint {s.type.kind!r}", s.type.pos,
                                 ", ".join(CONSTRAINTS))
            constraint, shape = CONSTRAINTS[s.type.kind], s.type.dims or ()
        self._embedded(lambda: Param(s.name, shape=shape, constraint=constraint), s.pos,
                       expected="param NAME: " + " | ".join(CONSTRAINTS) + "[dims]")

    def _PlateBlock(self, s: ast.PlateBlock):
        size = s.size
        if isinstance(size, str) and size in self.lets:
            v = self.lets[size]
            if v.ndim != 0 or not np.issubdtype(v.dtype, np.integer):
                raise self.error(f"plate {s.name}: size {size} is not an integer", s.size_pos, "a positive integer")
            size = int(v)
        elif isinstance(size, str) and size in self.declared_at:
            raise self.error(f"plate {s.name}: size {size!r} is already the name of a declaration", s.size_pos,
                             "an integer, a let-bound integer, or a new name whose value comes with the data")
        if s.name in self.declared_at and s.name not in self.model.plates:
            raise self.error(f"plate name {s.name!r} is already used (line {self.declared_at[s.name].line})", s.pos,
                             "another plate name")
        self.declared_at.setdefault(s.name, s.pos)
        p = self._embedded(lambda: plate(s.name, size), s.pos, expected="plate NAME in SIZE { ... } with SIZE a positive integer or a data name")
        with p:
            self._block(s.body)

    def _VarDecl(self, s: ast.VarDecl):
        self._claim(s.name, s.pos)
        if s.family not in FAMILIES:
            raise self.error(f"unknown distribution {s.family!r}", s.family_pos,
                             "one of " + ", ".join(sorted(FAMILIES)))
        fam = FAMILIES[s.family]
        keywords = ", ".join(" | ".join(a) for a in fam.alternatives.values())
        params = {}
        for a in s.args:
            if a.keyword is None:
                raise self.error(f"{s.family} parameters are given by keyword", a.pos, f"{s.family}({keywords})")
            if a.keyword in params:
                raise self.error(f"parameter {a.keyword} is given twice", a.pos, "each parameter once")
            try:
                fam.canonical_keyword(a.keyword)
            except Exception:
                raise self.error(f"{s.family} has no parameter {a.keyword!r}", a.pos, keywords) from None
            params[a.keyword] = (self.expr(a.value), a.pos)
        observed = None
        if s.observed:
            observed = True
            if s.observed_value is not None:
                observed = self.expr(s.observed_value)
                if isinstance(observed, E.Expr):
                    raise self.error(f"{s.name}: observed values must be numbers", _pos_of(s.observed_value),
                                     "an array literal, or `observed` alone to give the values with the data")
        ctor = self.constructors[s.family]
        self._embedded(lambda: ctor(s.name, observed=observed, **{k: v for k, (v, _) in params.items()}), s.pos,
                       {k: p for k, (_, p) in params.items()}, expected=f"{s.family}({keywords})")

    def _embedded(self, call, pos, arg_pos=None, expected=None):
        """Run one embedded-language call; its ``ModelError`` becomes a ``TextError`` at ``pos``."""
        try:
            return call()
        except TextError:
            raise
        except E.ModelError as err:
            msg = str(err)
            for kw, p in (arg_pos or {}).items():
                if re.search(rf"\b{kw}\b", msg):
                    pos = p
                    break
            raise self.error(msg, pos, expected or "a declaration as docs/text-language.md describes") from None

    def _validate(self):
        from ..graph.validate import prepare
        try:
            prepare(self.model)
        except E.ModelError as err:
            msg = str(err)
            names = re.findall(r"'([A-Za-z_]\w*)'", msg)
            name = next((n for n in names if n in self.model.variables), None)
            pos = self.declared_at[name] if name else self.program.pos
            expected = None
            if name:
                fam = self.model.variables[name].family
                expected = (f"{fam.name}(" + ", ".join(" | ".join(a) for a in fam.alternatives.values()) + ")"
                            + " with parameters of the shapes and supports it needs") if fam.alternatives else None
            raise self.error(msg, pos, expected or "a model whose declarations fit together") from None

    # ------------------------------------------------------------------ expressions
    def expr(self, node):
        """A numpy array (numbers only: folded) or an embedded-language ``Expr``."""
        method = getattr(self, "_e_" + type(node).__name__)
        return method(node)

    def _e_Number(self, n: ast.Number):
        t = n.text
        return np.asarray(int(t) if re.fullmatch(r"\d+", t) else float(t))

    def _e_Name(self, n: ast.Name):
        m = self.model
        if n.name in self.lets:
            return self.lets[n.name]
        for table in (m.variables, m.consts, m.plates):
            if n.name in table:
                return table[n.name]
        if n.name in self.later:
            raise self.error(f"{n.name!r} is used before its declaration on line {self.later[n.name].line}", n.pos,
                             f"declare {n.name} above this line")
        known = sorted([*self.lets, *m.variables, *m.consts, *m.plates])
        raise self.error(f"unknown name {n.name!r}", n.pos,
                         "one of " + ", ".join(known) if known else "a declared name or a number")

    def _e_ArrayLit(self, n: ast.ArrayLit):
        items = [self.expr(i) for i in n.items]
        for i, node in zip(items, n.items):
            if isinstance(i, E.Expr):
                raise self.error("array literals hold numbers only", _pos_of(node),
                                 "numbers; a vector that depends on variables is a variable of a vector family")
        try:
            return np.array(items)
        except ValueError:
            raise self.error("the rows of this array literal have different lengths", n.pos,
                             "rows of equal length") from None

    def _e_Call(self, n: ast.Call):
        args = [self.expr(a) for a in n.args]
        if n.fn in ARRAY_FUNCTIONS:
            dims = []
            for a, node in zip(args, n.args):
                if isinstance(a, E.Expr) or a.ndim != 0 or not np.issubdtype(a.dtype, np.integer) or a < 1:
                    raise self.error(f"{n.fn}() takes positive integer sizes", _pos_of(node),
                                     f"{n.fn}(3) or {n.fn}(K) with let K = 3")
                dims.append(int(a))
            want = (1,) if n.fn == "eye" else (1, 2)
            if len(dims) not in want:
                raise self.error(f"{n.fn}() takes {' or '.join(map(str, want))} size(s), got {len(dims)}", n.pos,
                                 f"{n.fn}(n)")
            return np.eye(dims[0]) if n.fn == "eye" else getattr(np, n.fn)(tuple(dims))
        if n.fn not in FUNCTIONS:
            raise self.error(f"unknown function {n.fn!r}", n.pos,
                             "one of " + ", ".join([*FUNCTIONS, *ARRAY_FUNCTIONS]))
        if len(args) != FUNCTIONS[n.fn]:
            raise self.error(f"{n.fn}() takes {FUNCTIONS[n.fn]} argument(s), got {len(args)}", n.pos,
                             f"{n.fn}({', '.join('xy'[:FUNCTIONS[n.fn]])})")
        try:
            if n.fn == "dot":
                return E.dot(*args)
            if n.fn == "inverse":
                return E.as_expr(args[0]).inverse()
            return getattr(E, n.fn)(args[0])
        except E.ModelError as err:
            raise self.error(str(err), n.pos, f"{n.fn}(model expression)") from None

    def _e_IndexExpr(self, n: ast.IndexExpr):
        base = self.expr(n.base)
        idx = []
        for node in n.indices:
            i = self.expr(node)
            if not isinstance(i, E.Expr) and (i.ndim != 0 or not np.issubdtype(i.dtype, np.integer)):
                raise self.error("an index must be an integer, a plate, a discrete variable or an integer constant",
                                 _pos_of(node), "for instance mu[z], c[j] or w[0]")
            if isinstance(i, E.Expr) and not isinstance(i, (Plate, E.Const, E.Index)) and not _is_rv(i):
                raise self.error("an index must be an integer, a plate, a discrete variable or an integer constant",
                                 _pos_of(node), "for instance mu[z], c[j] or w[0]")
            idx.append(i)
        if not isinstance(base, E.Expr):
            base = E.as_expr(base)
        return base[tuple(idx)]

    def _e_BinOpExpr(self, n: ast.BinOpExpr):
        a, b = self.expr(n.left), self.expr(n.right)
        if not isinstance(a, E.Expr) and not isinstance(b, E.Expr):
            with np.errstate(all="ignore"):
                if n.op == "**" and np.issubdtype(b.dtype, np.integer) and np.any(b < 0):
                    a = a.astype(float)
                try:
                    return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide,
                            "**": np.power}[n.op](a, b)
                except ValueError as err:
                    raise self.error(f"cannot combine arrays of shapes {a.shape} and {b.shape} with {n.op}: {err}",
                                     n.pos) from None
        a = a if isinstance(a, E.Expr) else E.as_expr(a)
        return {"+": a.__add__, "-": a.__sub__, "*": a.__mul__, "/": a.__truediv__, "**": a.__pow__}[n.op](b)

    def _e_Neg(self, n: ast.Neg):
        a = self.expr(n.arg)
        return -a


def _is_rv(e) -> bool:
    from ..frontend.model import RandomVariable
    return isinstance(e, RandomVariable)


def _pos_of(node) -> ast.Pos:
    return getattr(node, "pos", None)


def build_model(program: ast.Program, src: SourceText) -> Model:
    return ModelBuilder(program, src).build()
