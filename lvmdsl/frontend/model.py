"""The embedded model language: ``Model`` and ``plate`` contexts, and random variables.

A ``Model`` is the IR both front ends produce: an ordered collection of random variables, each a
family with parameter expressions, a tuple of plates and an observed flag or array.  Declaration
checks only what is local to one statement (names, keywords, literal parameter values); checks
that need the whole model live in ``lvmdsl.graph.validate``.
"""

from __future__ import annotations

import numpy as np

from ..families import FAMILIES, Family, FamilyError, get_family
from ..codegen.names import check_name
from .expr import Const, Expr, Literal, ModelError, as_expr

_MODEL_STACK: list["Model"] = []


def current_model(optional: bool = False) -> "Model | None":
    if _MODEL_STACK:
        return _MODEL_STACK[-1]
    if optional:
        return None
    raise ModelError("declare variables inside `with lv.Model(\"name\") as m:`")


class Plate(Expr):
    """A plate (conditionally independent replication); inside ``with`` it is also its index.

    ``size`` is an int, or a string naming a size that is read from the data (for instance "N").
    """

    def __init__(self, name: str, size, model: "Model"):
        self.name, self.size, self.model = name, size, model

    def __enter__(self):
        self.model._plate_stack.append(self)
        return self

    def __exit__(self, *exc):
        self.model._plate_stack.pop()
        return False

    def __repr__(self):
        return self.name

    def resolve_size(self, sizes: dict) -> int:
        if isinstance(self.size, (int, np.integer)):
            return int(self.size)
        if self.size in sizes:
            return int(sizes[self.size])
        raise ModelError(
            f"plate {self.name!r} has size {self.size!r}, which is taken from the data, but no data "
            f"sets it yet: pass the observed variables of plate {self.name!r} with the data")


def plate(name: str, size) -> Plate:
    """``with lv.plate("n", "N") as n:`` declares a plate; re-entering a plate by name reuses it."""
    m = current_model()
    check_name(name, "plate")
    if isinstance(size, (int, np.integer)):
        if size < 1:
            raise ModelError(f"plate {name!r}: size must be a positive integer, got {size}")
    elif isinstance(size, (float, np.floating)) and float(size).is_integer() and size >= 1:
        size = int(size)
    elif not (isinstance(size, str) and size.isidentifier()):
        raise ModelError(f"plate {name!r}: size must be a positive integer or a name such as \"N\"")
    if name in m.plates:
        p = m.plates[name]
        if p.size != size:
            raise ModelError(f"plate {name!r} was declared with size {p.size!r}, now {size!r}")
        return p
    if name in m.variables or name in m.consts:
        raise ModelError(f"plate name {name!r} is already used by a variable or constant")
    p = Plate(name, size, m)
    m.plates[name] = p
    m.declaration_order.append(("plate", name))
    return p


class RandomVariable(Expr):
    """A declared variable: family, canonical parameters (model expressions), plates, observed."""

    def __init__(self, name, family: Family, given: dict, plates: tuple, observed, model):
        self.name, self.family, self.plates, self.model = name, family, plates, model
        self.given = given                    # keyword -> Expr, as the user wrote it
        self.params = {}                      # canonical name -> Expr
        for kw, e in given.items():
            self.params[family.canonical_keyword(kw)] = family.to_canonical(kw, e) if kw != family.canonical_keyword(kw) else e
        for k, v in family.defaults.items():
            self.params.setdefault(k, as_expr(v))
        if observed is None or observed is False:
            self.observed, self.value = False, None
        elif observed is True:
            self.observed, self.value = True, None
        else:
            self.observed, self.value = True, np.asarray(observed)
        self.event_shape: tuple = ()          # set by validation (needs the whole model)

    @property
    def is_discrete(self) -> bool:
        return self.family.support.discrete

    def __repr__(self):
        return self.name

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.given.items())
        where = f" in plates ({', '.join(p.name for p in self.plates)})" if self.plates else ""
        obs = ", observed" if self.observed else ""
        return f"{self.name} ~ {self.family.name}({args}){where}{obs}"


class Model:
    """``with lv.Model("name") as m:``: the container of a model's declarations."""

    def __init__(self, name: str = "model"):
        if not isinstance(name, str) or not name or not name.isprintable():
            raise ModelError(f"model name {name!r} must be a non-empty string of printable characters, e.g. \"gmm\"")
        self.name = name
        self.variables: dict[str, RandomVariable] = {}
        self.plates: dict[str, Plate] = {}
        self.consts: dict[str, Const] = {}
        self._plate_stack: list[Plate] = []
        #: ("plate" | "const" | "variable", name) in the order declared (``to_text`` keeps it)
        self.declaration_order: list[tuple[str, str]] = []

    def __enter__(self):
        _MODEL_STACK.append(self)
        return self

    def __exit__(self, *exc):
        _MODEL_STACK.pop()
        return False

    def __getitem__(self, name) -> RandomVariable:
        try:
            return self.variables[name]
        except KeyError:
            raise ModelError(f"model {self.name!r} has no variable {name!r}; it has "
                             + ", ".join(self.variables)) from None

    def _register_const(self, c: Const):
        if c.name in self.variables or c.name in self.plates:
            raise ModelError(f"constant name {c.name!r} is already used in model {self.name!r}")
        if c.name in self.consts and self.consts[c.name] is not c:
            raise ModelError(f"duplicate constant name {c.name!r} in model {self.name!r}")
        if c.name not in self.consts:
            self.declaration_order.append(("const", c.name))
        self.consts[c.name] = c

    def _add(self, rv: RandomVariable):
        if rv.name in self.variables:
            raise ModelError(f"duplicate variable name {rv.name!r}: each variable needs its own name")
        if rv.name in self.plates or rv.name in self.consts:
            raise ModelError(f"variable name {rv.name!r} is already a plate or constant name")
        self.variables[rv.name] = rv
        self.declaration_order.append(("variable", rv.name))

    def to_text(self) -> str:
        """The model in lvmdsl's text language; ``lv.parse(m.to_text())`` declares the same model."""
        from ..text.to_text import model_to_text
        return model_to_text(self)

    @property
    def unknowns(self) -> list[RandomVariable]:
        return [v for v in self.variables.values() if not v.observed]

    @property
    def observed(self) -> list[RandomVariable]:
        return [v for v in self.variables.values() if v.observed]

    def __repr__(self):
        return f"Model({self.name!r})\n" + "\n".join("  " + v.describe() for v in self.variables.values())

    def _repr_markdown_(self):
        from ..explain.display import model_markdown
        return model_markdown(self)

    def to_graphviz(self, **kwargs):
        """The plate diagram (``lv.graph(self)``): a ``graphviz.Digraph``."""
        from ..graph.diagram import graph
        return graph(self, **kwargs)


def _declare(family_name: str, name: str, observed, given: dict) -> RandomVariable:
    m = current_model()
    fam = get_family(family_name)
    check_name(name, f"{family_name} variable")
    seen: dict[str, str] = {}
    for kw in given:
        try:
            canon = fam.canonical_keyword(kw)
        except FamilyError as err:
            raise ModelError(f"variable {name!r}: {err}") from None
        if canon in seen:
            raise ModelError(f"variable {name!r}: give only one of {' | '.join(fam.alternatives[canon])}"
                             f" (got {seen[canon]} and {kw})")
        seen[canon] = kw
    missing = [" | ".join(alts) for c, alts in fam.alternatives.items() if c not in seen and c not in fam.defaults]
    if missing:
        raise ModelError(f"variable {name!r} ({family_name}) needs {', '.join(missing)}")
    exprs = {}
    for kw, v in given.items():
        try:
            exprs[kw] = as_expr(v)
        except ModelError as err:
            raise ModelError(f"variable {name!r}, parameter {kw}: {err}") from None
    _check_literal_values(name, exprs)
    _check_literal_params(name, fam, exprs)
    rv = RandomVariable(name, fam, exprs, tuple(m._plate_stack), observed, m)
    m._add(rv)
    return rv


def Param(name: str, shape=(), constraint=None) -> RandomVariable:
    """Declare an unknown without a prior, estimated by maximum likelihood (``method="em"``).

    ``constraint`` is None (real), ``"positive"``, ``"unit"`` (between 0 and 1), ``"simplex"`` or
    ``"positive_definite"``; ``shape`` is the event shape of one element of the enclosing plates.
    """
    from ..families.flat import Flat

    m = current_model()
    check_name(name, "Param")
    try:
        fam = Flat(constraint, shape)
    except FamilyError as err:
        raise ModelError(f"Param {name!r}: {err}") from None
    rv = RandomVariable(name, fam, {}, tuple(m._plate_stack), None, m)
    m._add(rv)
    return rv


def _check_literal_values(name: str, exprs: dict):
    """Numbers written in a declaration must be finite reals: a NaN is named here, not met later."""
    for kw, e in exprs.items():
        for node in e.walk():
            if isinstance(node, Literal) and not np.all(np.isfinite(node.value)):
                raise ModelError(f"variable {name!r}: parameter {kw} contains {node.value.tolist()!r}, which is not "
                                 "a finite number; give a finite value")


def _check_literal_params(name: str, fam: Family, exprs: dict):
    """Constant parameters are checked at once: a negative variance is an error at declaration."""
    if not all(isinstance(e, Literal) for e in exprs.values()):
        return
    canon = {}
    for kw, e in exprs.items():
        value = e.value.astype(float)
        if fam.canonical_keyword(kw) != kw:
            if value.ndim >= 2:
                bad = not np.allclose(value, np.swapaxes(value, -1, -2)) or np.any(np.linalg.eigvalsh(value) <= 0)
            else:
                bad = np.any(value <= 0)
            if bad:
                what = "symmetric positive definite" if value.ndim >= 2 else "positive"
                raise ModelError(f"variable {name!r}: {kw} must be {what}, got {e.value.tolist()}")
            value = fam.to_canonical(kw, value)
        canon[fam.canonical_keyword(kw)] = value
    for k, v in fam.defaults.items():
        canon.setdefault(k, np.asarray(v, float))
    problems = fam.param_problems(canon)
    if problems:
        raise ModelError(f"variable {name!r} ({fam.name}): " + "; ".join(problems))


def _make_constructor(family_name: str):
    fam = FAMILIES[family_name]
    keywords = " | ".join(", ".join(a) if len(a) == 1 else "(" + " | ".join(a) + ")" for a in fam.alternatives.values())

    def constructor(name: str, *, observed=None, **params) -> RandomVariable:
        return _declare(family_name, name, observed, params)

    constructor.__name__ = constructor.__qualname__ = family_name
    constructor.__doc__ = (f"Declare ``name ~ {family_name}({keywords})`` in the current model and plates.\n\n"
                           "``observed=True`` marks data given later; ``observed=array`` gives it now.")
    return constructor


def distribution_constructors() -> dict:
    """``{"Normal": lv.Normal, ...}``: one constructor per registered family."""
    return {name: _make_constructor(name) for name in FAMILIES}
