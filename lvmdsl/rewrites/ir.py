"""Building an augmented model from an original one: the IR -> IR half of a rewrite.

``ModelBuilder`` copies a ``Model`` declaration by declaration into a new ``Model`` (plates are
shared, constants and variables are re-created so that they belong to the new model), rebuilding
each parameter expression with references to the copies.  A rewrite rule replaces one variable by
several declarations through ``declare``; every later expression that mentions the replaced
variable refers to whatever the rule says stands for it (``substitute``).
"""

from __future__ import annotations

import numpy as np

from ..families import get_family
from ..frontend.expr import BinOp, Const, Dot, Expr, Func, Index, Literal, ModelError, as_expr
from ..frontend.model import Model, Plate, RandomVariable


def rebuild(e: Expr, refs: dict) -> Expr:
    """``e`` with every variable and constant replaced by ``refs[name]`` (plates and literals kept)."""
    if isinstance(e, (Literal, Plate)):
        return e
    if isinstance(e, (RandomVariable, Const)):
        if e.name not in refs:
            raise ModelError(f"the rewrite of the model lost {e.name!r}, which a later declaration uses")
        return refs[e.name]
    if isinstance(e, BinOp):
        return BinOp(e.op, rebuild(e.a, refs), rebuild(e.b, refs))
    if isinstance(e, Func):
        return Func(e.fn, rebuild(e.arg, refs))
    if isinstance(e, Dot):
        return Dot(rebuild(e.a, refs), rebuild(e.b, refs))
    if isinstance(e, Index):
        return Index(rebuild(e.base, refs), tuple(rebuild(i, refs) for i in e.indices))
    raise ModelError(f"cannot rewrite the expression {e!r}")


class ModelBuilder:
    """A new ``Model`` assembled from an original one; see the module docstring."""

    def __init__(self, original: Model, name: str | None = None):
        self.original = original
        self.model = Model(name or original.name)
        self.model.plates = dict(original.plates)
        self.refs: dict = {}
        for c in original.consts.values():
            self.add_const(c.name, c.plates, value=c.value, shape=c.shape)

    def add_const(self, name: str, plates: tuple, value=None, shape=None, compute=None, describe: str = "",
                  observation: bool = False) -> Const:
        """A constant of the new model; ``compute(data) -> array`` derives its value from the data
        when none is given (``graph.validate.bind_data`` calls it), ``describe`` says how, for readers;
        ``observation`` marks it as standing for observed data (its plate is a data plate)."""
        if name in self.model.consts or name in self.model.variables or name in self.model.plates:
            raise ModelError(f"the rewrite needs the name {name!r}, which the model already uses; rename it")
        c = Const.__new__(Const)
        c.name, c.model, c.plates = name, self.model, tuple(plates)
        c.value = None if value is None else np.asarray(value)
        c.shape = tuple(shape) if shape is not None else (() if value is None else None)
        c.compute, c.describe, c.observation = compute, describe, observation
        self.model.consts[name] = c
        self.refs[name] = c
        return c

    def expr(self, e) -> Expr:
        return rebuild(as_expr(e), self.refs)

    def declare(self, family: str, name: str, given: dict, plates: tuple, observed=None, value=None) -> RandomVariable:
        """A variable of the new model; ``given`` expressions are already in the new model's terms."""
        if name in self.model.variables or name in self.model.consts:
            raise ModelError(f"the rewrite needs the name {name!r}, which the model already uses; rename it")
        fam = get_family(family) if isinstance(family, str) else family
        obs = value if value is not None else (True if observed else None)
        rv = RandomVariable(name, fam, {k: as_expr(v) for k, v in given.items()}, tuple(plates), obs, self.model)
        self.model._add(rv)
        return rv

    def copy(self, v: RandomVariable) -> RandomVariable:
        """The declaration of ``v`` unchanged, in the new model."""
        given = {k: self.expr(e) for k, e in v.given.items()}
        rv = RandomVariable(v.name, v.family, given, v.plates, v.value if v.value is not None else (True if v.observed else None),
                            self.model)
        self.model._add(rv)
        self.refs[v.name] = rv
        return rv

    def substitute(self, name: str, standing_for: Expr):
        """Later mentions of the original ``name`` refer to ``standing_for``."""
        self.refs[name] = standing_for

    def fresh(self, base: str) -> str:
        """``base``, or ``base_1``, ... : a name neither model uses yet."""
        taken = set(self.original.variables) | set(self.original.consts) | set(self.original.plates) \
            | set(self.model.variables) | set(self.model.consts)
        name, k = base, 1
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        return name
