"""Lowering model expressions, with one traversal and two backends.

* ``SympyBackend`` lowers an expression for *one element* of a factor's plates: plate indices
  become integer symbols (``n``), variables become ``IndexedBase`` entries (``mu[z[n]]``), and
  vector or matrix values become numpy object arrays of sympy scalars, one per event entry.
  The conjugacy engine reads these.
* ``NumpyBackend`` lowers the same expression for *all elements at once*: arrays whose leading
  axes are the factor's plates (size 1 where the value does not vary) followed by the event axes.
  The log-joint, the verifier and the samplers' fallbacks use it; it shares no code with the
  symbolic path beyond index resolution, which keeps ``lv.verify`` an independent check.

Index resolution (shared): explicit indices consume a variable's leading dimensions, its plates
first and then its event; plates left unconsumed are aligned with the enclosing plates by name.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from ..frontend.expr import BinOp, Const, Dot, Expr, Func, Index, Literal, ModelError
from ..frontend.model import Plate, RandomVariable
from . import matrix


#: literals at least this large become floats: exact integers of that size make sympy evaluate
#: gamma functions of them exactly (a Gamma(shape=1e6) prior took minutes to derive)
EXACT_LIMIT = 2.0**16


def to_sympy_number(v):
    """An exact sympy number for a numpy scalar (0.1 becomes 1/10, 100.0 becomes 100)."""
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, (int, np.integer)) and abs(int(v)) < EXACT_LIMIT:
        return sp.Integer(int(v))
    f = float(v)
    if np.isinf(f):          # only bounds accept it (graph/validate.py checks which parameters)
        return sp.oo if f > 0 else -sp.oo
    if not np.isfinite(f):
        raise ModelError(f"a parameter is {f}; give a finite number")
    if abs(f) >= EXACT_LIMIT:       # sympy would evaluate loggamma(10**6) exactly, as log(999999!)
        return sp.Float(f)
    return sp.Rational(repr(f))


def plate_symbol(p: Plate) -> sp.Symbol:
    return sp.Symbol(p.name, integer=True, nonnegative=True)


def size_symbol(p: Plate):
    return sp.Integer(p.size) if isinstance(p.size, (int, np.integer)) else sp.Symbol(p.size, integer=True, positive=True)


def full_dims(obj) -> tuple[int, int]:
    """(number of plate dims, number of event dims) of a variable or constant."""
    if isinstance(obj, RandomVariable):
        return len(obj.plates), len(obj.event_shape)
    return len(obj.plates), len(const_shape(obj))


def const_shape(c: Const) -> tuple:
    """The event shape of a constant: its shape without the plates it was declared in."""
    if c.shape is not None:
        return c.shape
    return c.value.shape[len(c.plates):]


class Lowering:
    """Shared traversal; subclasses implement the value operations for one backend."""

    def __init__(self, plates: tuple, owner: str):
        self.plates = tuple(plates)   # the enclosing plates of the factor being lowered
        self.owner = owner            # variable whose factor is lowered (for error messages)
        self.in_dot = 0               # inside lv.dot's operands: plates may open as event axes

    def err(self, msg: str) -> ModelError:
        return ModelError(f"in the declaration of {self.owner!r}: {msg}")

    def lower(self, e: Expr):
        if isinstance(e, Literal):
            return self.literal(e.value)
        if isinstance(e, Plate):
            if e not in self.plates:
                raise self.err(f"plate index {e.name!r} is used outside `with lv.plate({e.name!r}, ...)`")
            return self.plate_index(e)
        if isinstance(e, (RandomVariable, Const)):
            return self.reference(e, [])
        if isinstance(e, Index):
            base, idx = e.base, list(e.indices)
            while isinstance(base, Index):       # x[i][d] is x[i, d]
                base, idx = base.base, list(base.indices) + idx
            if not isinstance(base, (RandomVariable, Const)):
                raise self.err(f"only variables and constants can be indexed, not {base!r}")
            return self.reference(base, [self.lower(i) for i in idx], idx)
        if isinstance(e, BinOp):
            return self.binop(e.op, self.lower(e.a), self.lower(e.b))
        if isinstance(e, Func):
            return self.func(e.fn, self.lower(e.arg))
        if isinstance(e, Dot):
            self.in_dot += 1
            try:
                a, b = self.lower(e.a), self.lower(e.b)
            finally:
                self.in_dot -= 1
            return self.dot(a, b)
        raise self.err(f"cannot use {e!r} in a model expression")

    def open_plates(self, obj, n_explicit: int) -> tuple:
        """The plates of ``obj`` that become event axes here: inside ``lv.dot``, a variable declared
        in a plate the factor is not in is the vector over that plate (``lv.dot(X, w)`` with ``w``
        in plate d sums over d).  They must be its last plates, after those the factor encloses."""
        rest = obj.plates[n_explicit:]
        k = len(rest)
        while k > 0 and rest[k - 1] not in self.plates:
            k -= 1
        for p in rest[:k]:
            if p not in self.plates:
                raise self.err(
                    f"{obj.name} varies over plate {p.name!r}, but {self.owner!r} is not inside that plate: "
                    f"index it ({obj.name}[...]) or declare {self.owner!r} inside `lv.plate({p.name!r}, ...)`")
        opened = tuple(rest[k:])
        if opened and not self.in_dot:
            p = opened[0]
            raise self.err(
                f"{obj.name} varies over plate {p.name!r}, but {self.owner!r} is not inside that plate: "
                f"index it ({obj.name}[...]), declare {self.owner!r} inside `lv.plate({p.name!r}, ...)`, or sum "
                f"over the plate with lv.dot(..., {obj.name}) (a variable declared in a plate is a vector there)")
        return opened

    def reference(self, obj, explicit: list, explicit_exprs=()):
        """Resolve ``obj[explicit...]`` into plate indices, event indices and remaining event dims;
        plates opened as event axes (see ``open_plates``) lead the remaining event dims."""
        n_plates, n_event = full_dims(obj)
        if len(explicit) > n_plates + n_event:
            raise self.err(f"{obj.name} has {n_plates + n_event} dimension(s) but is given {len(explicit)} indices")
        for ie in explicit_exprs:
            self.check_index_expr(obj, ie)
        plate_idx = list(explicit[:n_plates])
        event_idx = list(explicit[n_plates:])
        opened = self.open_plates(obj, len(plate_idx))
        for p in obj.plates[len(plate_idx):len(obj.plates) - len(opened)]:
            plate_idx.append(self.plate_index(p))
        if opened:
            return self.element(obj, plate_idx, event_idx, opened)
        return self.element(obj, plate_idx, event_idx)

    def check_index_expr(self, obj, ie):
        for node in ie.walk():
            if isinstance(node, RandomVariable) and not node.is_discrete:
                raise self.err(
                    f"{node.name} is continuous ({node.family.name}) but is used as an index of {obj.name}: "
                    "only plates, integer constants and discrete variables can index")
            if isinstance(node, Literal) and not np.issubdtype(node.value.dtype, np.integer):
                if not np.all(np.mod(node.value, 1) == 0):
                    raise self.err(f"index {node.value.tolist()} of {obj.name} is not an integer")


class SympyBackend(Lowering):
    """Element-level lowering to sympy: see the module docstring."""

    def literal(self, value):
        arr = np.asarray(value)
        out = np.empty(arr.shape, dtype=object)
        for pos in np.ndindex(arr.shape):
            out[pos] = to_sympy_number(arr[pos])
        return out

    def plate_index(self, p):
        return np.array(plate_symbol(p), dtype=object)

    def element(self, obj, plate_idx, event_idx, opened=()):
        if isinstance(obj, RandomVariable):
            event_shape, sym_matrix = obj.event_shape, obj.family.support.kind == "positive_definite"
        else:
            event_shape, sym_matrix = const_shape(obj), False
        if any(isinstance(n, str) for n in event_shape) or any(not isinstance(p.size, int) for p in opened):
            raise self.err(f"{obj.name} has an axis whose size comes from the data, which the element-level "
                           "engine (EM, and models the augmentation rewrites) cannot write out entry by entry; "
                           "derive at the level of arrays (lv.derive(m, engine=\"index\"), Gibbs), or give the "
                           "plate or the constant a fixed size")
        if opened:                     # a plate-declared vector: entries obj[lead..., d]
            lead = [sp.sympify(_scalar(i)) for i in plate_idx]
            base = sp.IndexedBase(obj.name)
            shape = tuple(p.size for p in opened) + tuple(event_shape)
            out = np.empty(shape, dtype=object)
            for pos in np.ndindex(shape):
                out[pos] = base[tuple(lead + [sp.Integer(d) for d in pos])]
            return out
        lead = [sp.sympify(_scalar(i)) for i in plate_idx + event_idx]
        rest = event_shape[len(event_idx):]
        if not lead and not event_shape:
            return np.array(sp.Symbol(obj.name), dtype=object)
        base = sp.IndexedBase(obj.name)
        out = np.empty(rest, dtype=object)
        for pos in np.ndindex(rest):
            ev = [sp.Integer(d) for d in pos]
            if sym_matrix and len(ev) == 2 and not event_idx and ev[0] > ev[1]:
                ev = [ev[1], ev[0]]          # one atom per symmetric pair
            out[pos] = base[tuple(lead + ev)]
        return out

    def binop(self, op, a, b):
        a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
        try:
            if op == "+":
                r = a + b
            elif op == "-":
                r = a - b
            elif op == "*":
                r = a * b
            elif op == "/":
                r = a / b
            else:
                r = np.vectorize(lambda x, y: x**y, otypes=[object])(a, b)
        except ValueError as err:
            raise self.err(f"shapes {a.shape} and {b.shape} do not match in '{op}': {err}") from None
        return np.asarray(r, dtype=object)

    _FUNCS = {"exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "neg": lambda x: -x,
              "sigmoid": lambda x: 1 / (1 + sp.exp(-x)), "Phi": lambda x: (1 + sp.erf(x / sp.sqrt(2))) / 2}

    def func(self, fn, a):
        a = np.asarray(a, dtype=object)
        if fn == "inv":
            if a.ndim != 2:
                raise self.err("the inverse needs a square matrix")
            return matrix.inverse(a)
        if fn == "diag":
            if a.ndim != 1:
                raise self.err(f"diag needs a vector, got a value of shape {a.shape}")
            out = np.full((len(a), len(a)), sp.Integer(0), dtype=object)
            out[np.arange(len(a)), np.arange(len(a))] = a
            return out
        return np.asarray(np.vectorize(self._FUNCS[fn], otypes=[object])(a), dtype=object)

    def dot(self, a, b):
        a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
        if b.ndim != 1 or a.ndim not in (1, 2) or a.shape[-1] != b.shape[0]:
            raise self.err(f"dot needs vector.vector or matrix.vector with matching sizes, got {a.shape} and {b.shape}")
        return np.asarray(np.dot(a, b), dtype=object)


def _scalar(v):
    arr = np.asarray(v, dtype=object)
    if arr.ndim != 0:
        raise ModelError(f"an index must be one integer per element, got an array of shape {arr.shape}: "
                         "declare the index constant inside its plate, or index it by the plate")
    return arr.item()


class NumpyBackend(Lowering):
    """Whole-plate lowering to numpy arrays; values are ``(array, event_ndim)`` pairs."""

    def __init__(self, plates, owner, env: dict, sizes: dict):
        super().__init__(plates, owner)
        self.env, self.sizes = env, sizes
        self.c = len(self.plates)

    def _value(self, name):
        if name not in self.env:
            raise ModelError(f"{self.owner!r} needs the value of {name!r}, which was not given")
        return np.asarray(self.env[name])

    def literal(self, value):
        arr = np.asarray(value, dtype=float)
        return arr.reshape((1,) * self.c + arr.shape), arr.ndim

    def plate_index(self, p):
        i = self.plates.index(p)
        shape = [1] * self.c
        shape[i] = self.sizes[p.name]
        return np.arange(shape[i]).reshape(shape), 0

    def element(self, obj, plate_idx, event_idx, opened=()):
        """Indices select the plates' elements; opened plates stay as leading event axes."""
        arr = self._value(obj.name)
        idx = [np.asarray(v[0]) for v in plate_idx + event_idx]
        for v in plate_idx + event_idx:
            if v[1] != 0:
                raise self.err(f"an index of {obj.name} is not a scalar")
        idx = [i.astype(np.intp) if np.issubdtype(i.dtype, np.floating) else i for i in idx]
        idx = self.leading_indices(obj) + idx
        if idx:
            out = arr[tuple(idx)]
            batch = np.broadcast_shapes(*[i.shape for i in idx])
            out = out.reshape(batch + out.shape[len(batch):])
        else:
            out = arr.reshape((1,) * self.c + arr.shape)
        return out, out.ndim - self.c

    def leading_indices(self, obj) -> list:
        """Indices for axes in front of a value's plates (none here; a batch axis in subclasses)."""
        return []

    def _align(self, a, b):
        (x, ex), (y, ey) = a, b
        if ex < ey:
            x = x.reshape(x.shape + (1,) * (ey - ex))
        elif ey < ex:
            y = y.reshape(y.shape + (1,) * (ex - ey))
        return x, y, max(ex, ey)

    def binop(self, op, a, b):
        x, y, ev = self._align(a, b)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            r = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power}[op](x, y)
        return r, ev

    def func(self, fn, a):
        x, ev = a
        if fn == "inv":
            return np.linalg.inv(x), ev
        if fn == "diag":
            if ev != 1:
                raise self.err("diag needs a vector")
            return x[..., :, None] * np.eye(x.shape[-1]), 2
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            f = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "neg": np.negative,
                 "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "Phi": special.ndtr}[fn]
            return f(x), ev

    def dot(self, a, b):
        (x, ex), (y, ey) = a, b
        if ey != 1 or ex not in (1, 2):
            raise self.err("dot needs vector.vector or matrix.vector")
        if ex == 1:
            return np.einsum("...d,...d->...", x, y), 0
        return np.einsum("...de,...e->...d", x, y), 1


def unwrap(a):
    """A 0-d object array as its sympy scalar; other arrays unchanged."""
    a = np.asarray(a, dtype=object)
    return a.item() if a.ndim == 0 else a


def param_event_shapes(v: RandomVariable) -> dict:
    """Event shape of each canonical parameter of ``v``, for one element of its plates."""
    from .index_form import param_shapes
    return param_shapes(v)
