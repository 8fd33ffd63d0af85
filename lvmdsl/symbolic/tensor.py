"""Tensors at symbolic indices, and the matrix facts derivations need (inverse, log-determinant).

A value of event shape ``(D, E)`` is a ``Tensor``: a function returning its sympy entry at
symbolic indices ``(i, j)``.  ``matrix_form`` recognises c I, c V (a variable's matrix), a named
literal and a diagonal, which is all ``matrix_inverse`` and ``matrix_logdet`` need.  No import of
the model layer: the families use this module.
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from ..frontend.expr import ModelError
from .matrix import INVERSE_SUFFIX, LogDet, MatrixAtomError


def to_sympy_number(v):
    """An exact sympy number for a numpy scalar (0.1 becomes 1/10, 100.0 becomes 100)."""
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, (int, np.integer)):
        return sp.Integer(int(v))
    f = float(v)
    if not np.isfinite(f):
        raise MatrixAtomError(f"a parameter is {f}; give a finite number")
    return sp.Rational(repr(f))


_COUNTER = itertools.count()


#: names of the index symbols made by ``fresh_index`` (dummy names, renamed freely)
FRESH: set = set()


def reset_fresh() -> None:
    """Start numbering fresh indices again: a derivation run twice then names its dummy and
    pattern indices the same way (the round trip through text compares them).  Called once per
    derivation; the indices of one derivation are still distinct."""
    global _COUNTER
    _COUNTER = itertools.count()


def fresh_index(hint: str = "i") -> sp.Symbol:
    """A new index symbol (integer, non-negative) that no other expression uses."""
    name = f"{hint}{next(_COUNTER)}"
    FRESH.add(name)
    return sp.Symbol(name, integer=True, nonnegative=True)


def is_fresh(s) -> bool:
    return isinstance(s, sp.Symbol) and s.name in FRESH


def is_index_symbol(s) -> bool:
    return isinstance(s, sp.Symbol) and s.is_integer is True and s.is_nonnegative is True


class Tensor:
    """A value of event shape ``shape``; ``entry(*indices)`` is its (sympy) entry there.

    ``sizes`` are sympy sizes of the axes (integers, or symbols for sizes read from the data).
    """

    def __init__(self, shape: tuple, entry, sizes: tuple | None = None):
        self.shape = tuple(shape)
        self.entry = entry
        self.sizes = tuple(sizes) if sizes is not None else tuple(size_of(s) for s in self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def scalar(self):
        if self.shape:
            raise ModelError(f"expected a scalar, got a value of shape {self.shape}")
        return self.entry()

    def at_fresh(self, hint: str = "i"):
        """(entry, indices) at fresh symbolic indices."""
        idx = tuple(fresh_index(hint) for _ in self.shape)
        return self.entry(*idx), idx

    def __repr__(self):
        e, idx = self.at_fresh()
        return f"Tensor{self.shape}[{', '.join(map(str, idx))}] = {e}"


def size_of(n):
    """The sympy size of an axis: an integer, or the symbol of a size named in the data ("D")."""
    if isinstance(n, str):
        return sp.Symbol(n, integer=True, positive=True)
    return sp.Integer(n)


def broadcast_shapes(*shapes) -> tuple:
    """numpy's broadcasting rule for shapes whose entries may be size names: a named axis matches
    the same name or length 1 (a name and a number never match: the data could disagree)."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for k in range(ndim):
        here = {s[k - ndim + len(s)] for s in shapes if k - ndim + len(s) >= 0} - {1}
        if len(here) > 1:
            raise ValueError(f"shapes {', '.join(map(str, shapes))} do not broadcast")
        out.append(here.pop() if here else 1)
    return tuple(out)


def scalar_tensor(expr) -> Tensor:
    expr = sp.sympify(expr)
    return Tensor((), lambda: expr)


class LiteralTable:
    """Named constants standing for array literals: name -> numpy array."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def add(self, hint: str, value: np.ndarray) -> str:
        for name, arr in self.arrays.items():
            if arr.shape == value.shape and np.array_equal(arr, value):
                return name
        name, k = hint, 1
        while name in self.arrays:
            k += 1
            name = f"{hint}{k}"
        self.arrays[name] = np.asarray(value, dtype=float)
        return name


def literal_tensor(value, table: LiteralTable, hint: str) -> Tensor:
    """A literal array as a tensor: constant fills and multiples of the identity stay symbolic."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        return scalar_tensor(to_sympy_number(arr))
    flat = arr.ravel()
    if arr.ndim == 2 and arr.shape[0] == arr.shape[1]:
        diag = np.diagonal(arr)
        if np.all(arr == np.diag(diag)) and np.all(diag == diag[0]):
            c = to_sympy_number(diag[0])
            return Tensor(arr.shape, lambda i, j: c * sp.KroneckerDelta(i, j))
    elif np.all(flat == flat[0]):
        c = to_sympy_number(flat[0])
        return Tensor(arr.shape, lambda *i: c)
    name = table.add(hint, arr)
    base = sp.IndexedBase(name)
    return Tensor(arr.shape, lambda *i: base[i])


def _broadcast(a: Tensor, b: Tensor) -> tuple[tuple, tuple]:
    try:
        shape = broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ModelError(f"shapes {a.shape} and {b.shape} do not match") from None
    sizes = []
    for k in range(len(shape)):
        for t in (a, b):
            j = k - (len(shape) - t.ndim)
            if j >= 0 and t.shape[j] == shape[k]:
                sizes.append(t.sizes[j])
                break
    return shape, tuple(sizes)


def _pick(t: Tensor, idx: tuple, shape: tuple):
    """``t``'s entry at the trailing indices of ``idx``: index 0 on an axis of length one that the
    result (of shape ``shape``) broadcasts to a longer one."""
    own = idx[len(idx) - t.ndim:] if t.ndim else ()
    full = shape[len(shape) - t.ndim:] if t.ndim else ()
    own = tuple(sp.Integer(0) if n == 1 and m != 1 else i for n, m, i in zip(t.shape, full, own))
    return t.entry(*own)


# ---------------------------------------------------------------------- matrix analysis
def matrix_form(M: Tensor):
    """Classify a square matrix tensor as ``(kind, c, detail)`` with M = c * (...):

    * ``("identity", c, None)``: c I;
    * ``("variable", c, (label, lead))``: c times one variable's matrix (label may end in _inv);
    * ``("literal", c, name)``: c times a named literal matrix;
    * ``("diagonal", 1, d)``: a diagonal matrix with entries d(i);
    * None otherwise.
    """
    i, j = fresh_index("a"), fresh_index("b")
    e = sp.sympify(M.entry(i, j))
    if e == 0:
        raise MatrixAtomError("a covariance or precision matrix is identically zero (multiplied by 0?): "
                              "the factor (kappa0 in kappa0 * Lam or Sigma / kappa0) must be > 0")
    c, rest = e.as_independent(i, j, as_Add=False)
    if rest == sp.KroneckerDelta(i, j):
        return ("identity", c, None)
    if isinstance(rest, sp.Indexed) and tuple(rest.indices[-2:]) == (i, j):
        lead = tuple(rest.indices[:-2])
        if not any(s in (i, j) for x in lead for s in sp.sympify(x).free_symbols):
            return ("variable", c, (str(rest.base.label), lead))
    if isinstance(rest, sp.Mul):
        deltas = [f for f in rest.args if f == sp.KroneckerDelta(i, j)]
        if deltas:
            d = (rest / deltas[0]).xreplace({j: i})
            if j not in d.free_symbols:
                return ("diagonal", c, (d, i))
    return None


def _positive_factor(c):
    """A number multiplying a precision or covariance matrix must be positive (kappa0 * Lam)."""
    if c.is_number and not c.is_positive:
        raise MatrixAtomError(f"a covariance or precision matrix is multiplied by {c}, which is not positive: "
                              "the factor (kappa0 in kappa0 * Lam or Sigma / kappa0) must be > 0")


def matrix_inverse(M: Tensor, literals: LiteralTable, hint: str) -> Tensor:
    """M^-1 for c I, c V (a variable's matrix: the ``V_inv`` atoms) and literals."""
    form = matrix_form(M)
    if form is None:
        raise MatrixAtomError("inverse of a matrix expression: give the matrix as a variable, a constant, "
                              "or a number times one")
    kind, c, detail = form
    _positive_factor(c)
    if kind == "identity":
        return Tensor(M.shape, lambda i, j: sp.KroneckerDelta(i, j) / c, M.sizes)
    if kind == "diagonal":
        d, at = detail
        return Tensor(M.shape, lambda i, j: sp.KroneckerDelta(i, j) / d.xreplace({at: i}), M.sizes)
    label, lead = detail
    if literals is not None and label in literals.arrays:
        name = literals.add(label + "_inv", np.linalg.inv(literals.arrays[label]))
        base = sp.IndexedBase(name)
        return Tensor(M.shape, lambda i, j: base[lead + (i, j)] / c, M.sizes)
    inv = label[: -len(INVERSE_SUFFIX)] if label.endswith(INVERSE_SUFFIX) else label + INVERSE_SUFFIX
    base = sp.IndexedBase(inv)
    return Tensor(M.shape, lambda i, j: base[lead + (i, j)] / c, M.sizes)


def matrix_logdet(M: Tensor, literals: LiteralTable):
    """log|M| as a sympy expression: D log c (+ LogDet atom of a variable or a literal's value)."""
    form = matrix_form(M)
    if form is None:
        raise MatrixAtomError("log-determinant of a matrix expression: give the matrix as a variable, a "
                              "constant, or a number times one")
    kind, c, detail = form
    _positive_factor(c)
    D = M.sizes[0]
    scale = D * sp.log(c) if c != 1 else sp.Integer(0)
    if kind == "identity":
        return scale
    if kind == "diagonal":
        d, at = detail
        return scale + sp.Sum(sp.log(d), (at, 0, D - 1))
    label, lead = detail
    if literals is not None and label in literals.arrays:
        sign, val = np.linalg.slogdet(literals.arrays[label])
        if sign <= 0:
            raise MatrixAtomError(f"{label} is not positive definite")
        return scale + sp.Float(val)
    if label.endswith(INVERSE_SUFFIX):
        return scale - LogDet(sp.Symbol(label[: -len(INVERSE_SUFFIX)]), *lead)
    return scale + LogDet(sp.Symbol(label), *lead)
