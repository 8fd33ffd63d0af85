"""Model expressions: the small language in which parameters of distributions are written.

Expressions are trees built by Python operators on model objects (random variables, constants,
plate indices).  Nothing is evaluated when they are built: later passes lower the same tree to
sympy (for derivation) or to numpy over whole plates (for evaluation), see ``lvmdsl.symbolic.lower``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class ModelError(ValueError):
    """A model that cannot be built or used as written; the message names the variable and the fix."""


class Expr:
    """Base of every node; operators build new nodes."""

    def _wrap(self, other) -> "Expr":
        return as_expr(other)

    def __add__(self, o):
        return BinOp("+", self, as_expr(o))

    def __radd__(self, o):
        return BinOp("+", as_expr(o), self)

    def __sub__(self, o):
        return BinOp("-", self, as_expr(o))

    def __rsub__(self, o):
        return BinOp("-", as_expr(o), self)

    def __mul__(self, o):
        return BinOp("*", self, as_expr(o))

    def __rmul__(self, o):
        return BinOp("*", as_expr(o), self)

    def __truediv__(self, o):
        return BinOp("/", self, as_expr(o))

    def __rtruediv__(self, o):
        return BinOp("/", as_expr(o), self)

    def __pow__(self, o):
        return BinOp("**", self, as_expr(o))

    def __rpow__(self, o):
        return BinOp("**", as_expr(o), self)

    def __neg__(self):
        return Func("neg", self)

    def __getitem__(self, idx):
        idx = idx if isinstance(idx, tuple) else (idx,)
        return Index(self, tuple(as_expr(i) for i in idx))

    def inverse(self) -> "Expr":
        """The matrix inverse (used when a covariance is given where a precision is canonical)."""
        return Func("inv", self)

    __array_priority__ = 1000  # numpy arrays on the left defer to our operators

    def children(self) -> tuple["Expr", ...]:
        return ()

    def walk(self):
        """Every node of the tree, parents before children."""
        yield self
        for c in self.children():
            yield from c.walk()


def as_expr(value) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise ModelError(f"a boolean ({value!r}) cannot be a parameter; use 0 or 1")
    try:
        arr = np.asarray(value)
    except ValueError:
        raise ModelError(f"cannot use {value!r} in a model expression: a ragged list is not an array") from None
    if np.iscomplexobj(arr):
        raise ModelError(f"cannot use {value!r} in a model expression: complex numbers are not supported")
    if arr.size == 0:
        raise ModelError(f"cannot use {value!r} in a model expression: the array is empty")
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise ModelError(f"cannot use {value!r} in a model expression: give a number, an array or a model variable")
    return Literal(arr)


class Literal(Expr):
    """A number or an anonymous array; an array literal is an event value (it does not vary over plates)."""

    def __init__(self, value: np.ndarray):
        self.value = np.asarray(value)

    def __repr__(self):
        return repr(self.value.item()) if self.value.ndim == 0 else f"array{self.value.shape}"


class Const(Expr):
    """A named constant array (covariates, index arrays) that can be indexed by plates: ``lv.Const("t", t)``.

    A constant declared inside plates varies over them, like a variable: its leading axes are
    those plates (declared inside ``lv.plate("o", "O")``, ``row[o]`` is implicit in ``u[row]``).
    Give ``value=None`` and ``shape=`` to supply the array later with the data.
    """

    def __init__(self, name: str, value=None, shape=None):
        from .model import current_model

        from ..codegen.names import check_name
        check_name(name, "constant")
        self.name = name
        self.value = None if value is None else np.asarray(value)
        if self.value is not None and (self.value.dtype == object or np.iscomplexobj(self.value)
                                       or not np.issubdtype(self.value.dtype, np.number)):
            raise ModelError(f"constant {name!r}: give a real numeric array, not {self.value.dtype}")
        self.model = current_model(optional=True)
        self.plates = tuple(self.model._plate_stack) if self.model is not None else ()
        self.shape = None if shape is None else _const_shape(name, shape)
        if self.value is None and self.shape is None:
            raise ModelError(f"constant {name!r}: give its value, or its shape (without the plates) to take it from the data")
        if self.model is not None:
            self.model._register_const(self)

    def __repr__(self):
        return self.name


def _const_shape(name: str, shape) -> tuple:
    """A constant's declared shape: each entry a positive whole number, or a name (``"D"``) for a
    size read from the data, the size of a plate declared with that name (``lv.plate("d", "D")``)."""
    if isinstance(shape, (str, int, np.integer)):
        shape = (shape,)
    try:
        entries = tuple(shape)
    except TypeError:
        raise ModelError(f"constant {name!r}: shape must be a tuple such as (3,) or (\"D\",), got {shape!r}") from None
    out = []
    for n in entries:
        if isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_)) and n >= 1:
            out.append(int(n))
        elif isinstance(n, str) and n.isidentifier():
            out.append(n)
        else:
            raise ModelError(f"constant {name!r}: shape entry {n!r} is neither a positive whole number nor a size name "
                             "such as \"D\" (the size of a plate declared lv.plate(\"d\", \"D\"), read from the data)")
    return tuple(out)


class BinOp(Expr):
    def __init__(self, op: str, a: Expr, b: Expr):
        self.op, self.a, self.b = op, a, b

    def children(self):
        return (self.a, self.b)

    def __repr__(self):
        return f"({self.a!r} {self.op} {self.b!r})"


FUNCTIONS = ("neg", "exp", "log", "sqrt", "sigmoid", "Phi", "inv", "diag")


class Func(Expr):
    """An elementwise function (exp, log, sqrt, sigmoid, Phi, neg), the matrix inverse (inv), or
    the diagonal matrix of a vector (diag)."""

    def __init__(self, fn: str, arg: Expr):
        if fn not in FUNCTIONS:
            raise ModelError(f"unknown function {fn!r}; lvmdsl has {', '.join(FUNCTIONS)}")
        self.fn, self.arg = fn, arg

    def children(self):
        return (self.arg,)

    def __repr__(self):
        return f"-{self.arg!r}" if self.fn == "neg" else f"{self.fn}({self.arg!r})"


class Dot(Expr):
    """Inner product of two vectors, or a matrix times a vector."""

    def __init__(self, a: Expr, b: Expr):
        self.a, self.b = a, b

    def children(self):
        return (self.a, self.b)

    def __repr__(self):
        return f"dot({self.a!r}, {self.b!r})"


class Index(Expr):
    """``base[i, ...]``: indices consume the leading dimensions of ``base`` (its plates first)."""

    def __init__(self, base: Expr, indices: tuple[Expr, ...]):
        self.base, self.indices = base, indices

    def children(self):
        return (self.base, *self.indices)

    def __repr__(self):
        return f"{self.base!r}[{', '.join(map(repr, self.indices))}]"


@dataclass(eq=False)
class PlateIndexRef:
    """Marker type so that type checks can name plate indices without importing the model."""


def exp(x):
    """Elementwise exponential of a model expression."""
    return Func("exp", as_expr(x))


def log(x):
    """Elementwise natural logarithm of a model expression."""
    return Func("log", as_expr(x))


def sqrt(x):
    return Func("sqrt", as_expr(x))


def sigmoid(x):
    """The logistic function 1 / (1 + exp(-x))."""
    return Func("sigmoid", as_expr(x))


def Phi(x):
    """The standard normal distribution function Phi(x) = (1 + erf(x / sqrt 2)) / 2 (the probit link)."""
    return Func("Phi", as_expr(x))


def diag(v):
    """``lv.diag(v)``: the diagonal matrix with the vector v on its diagonal (factor analysis's
    noise covariance ``cov=lv.diag(psi)``; the same as ``psi * np.eye(D)``)."""
    return Func("diag", as_expr(v))


def dot(a, b):
    """``lv.dot(a, b)``: inner product of vectors, or matrix times vector."""
    return Dot(as_expr(a), as_expr(b))
