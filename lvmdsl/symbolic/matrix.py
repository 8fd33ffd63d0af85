"""Matrix atoms for elementwise symbolic algebra.

Vector and matrix quantities are handled as numpy object arrays of sympy scalars, one per
entry.  Two matrix functions cannot be written entrywise without blowing up: the inverse and the
log-determinant.  When their argument is a model variable (its entries are ``M[lead..., d, e]``)
they become atoms instead: ``LogDet(M, lead...)`` and the entries of an ``M_inv`` base, which are
exactly the sufficient statistics of the Wishart and inverse-Wishart families.  Numeric
arguments are evaluated at once.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

#: label of an inverse base -> label of the matrix it inverts
INVERSE_SUFFIX = "_inv"


class LogDet(sp.Function):
    """log |M[lead...]| for the matrix-valued variable ``M``; args are (M, *lead indices)."""

    nargs = None

    def _latex(self, printer):
        base, *lead = self.args
        inner = printer._print(base) + ("_{" + ",".join(printer._print(i) for i in lead) + "}" if lead else "")
        return r"\log\left|" + inner + r"\right|"

    def _sympystr(self, printer):
        base, *lead = self.args
        idx = "[" + ", ".join(printer._print(i) for i in lead) + "]" if lead else ""
        return f"logdet({printer._print(base)}{idx})"


class Solve(sp.Function):
    """J^{-1} h, kept unevaluated: a posterior mean shown without inverting a symbolic matrix."""

    nargs = 2

    def _latex(self, printer):
        J, h = self.args
        return r"\left(" + printer._print(J) + r"\right)^{-1} " + printer._print(h)

    def _sympystr(self, printer):
        J, h = self.args
        return f"inverse({printer._print(J)}) * {printer._print(h)}"


class MatrixAtomError(ValueError):
    """A matrix function was applied to an expression that is neither numeric nor a variable."""


def _is_numeric(arr: np.ndarray) -> bool:
    return all(getattr(sp.sympify(v), "is_number", False) for v in arr.flat)


def _variable_matrix(arr: np.ndarray):
    """If ``arr`` is the full matrix of one variable element, return (base label, lead indices)."""
    arr = np.asarray(arr, dtype=object)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        return None
    first = arr[0, 0]
    if not isinstance(first, sp.Indexed):
        return None
    label = first.base.label
    lead = first.indices[:-2]
    D = arr.shape[0]
    for d in range(D):
        for e in range(D):
            v = arr[d, e]
            if not isinstance(v, sp.Indexed) or v.base.label != label or v.indices[:-2] != lead:
                return None
            if set(v.indices[-2:]) != {sp.Integer(d), sp.Integer(e)}:
                return None
    return label, tuple(lead)


def _scaled_numeric(arr: np.ndarray):
    """(c, M) when ``arr`` is a symbolic scalar c times a numeric matrix M (``alpha * I``)."""
    nonzero = [v for v in arr.flat if sp.sympify(v) != 0]
    if not nonzero:
        return None
    c = sp.sympify(nonzero[0]).as_coeff_Mul()[1]
    if c.is_number:
        return None
    M = np.vectorize(lambda v: sp.simplify(sp.sympify(v) / c), otypes=[object])(arr)
    return (c, M.astype(float)) if _is_numeric(M) else None


def _diagonal(arr: np.ndarray):
    """The diagonal entries when ``arr`` is a diagonal matrix with symbolic entries."""
    D = arr.shape[0]
    if any(sp.sympify(arr[d, e]) != 0 for d in range(D) for e in range(D) if d != e):
        return None
    return [sp.sympify(arr[d, d]) for d in range(D)]


def logdet(P):
    """log|P| for a numeric matrix, a variable's matrix (object array of its entries), a scalar
    times a numeric matrix, or a diagonal matrix."""
    arr = np.asarray(P, dtype=object)
    if _is_numeric(arr):
        sign, val = np.linalg.slogdet(arr.astype(float))
        if sign <= 0:
            raise MatrixAtomError("matrix is not positive definite")
        return sp.Float(val)
    scaled = _scaled_numeric(arr) if arr.ndim == 2 else None
    if scaled is not None:
        c, M = scaled
        return arr.shape[0] * sp.log(c) + logdet(M)
    diag = _diagonal(arr) if arr.ndim == 2 and arr.shape[0] == arr.shape[1] else None
    if diag is not None and _variable_matrix(arr) is None:
        return sp.Add(*[sp.log(v) for v in diag])
    found = _variable_matrix(arr)
    if found is None:
        raise MatrixAtomError(
            "log-determinant of a matrix expression: give the matrix as a variable or a constant")
    label, lead = found
    label = str(label)
    if label.endswith(INVERSE_SUFFIX):
        return -LogDet(sp.Symbol(label[: -len(INVERSE_SUFFIX)]), *lead)
    return LogDet(sp.Symbol(label), *lead)


def inverse(P):
    """The inverse of a numeric matrix, or the entries of ``M_inv`` for a variable's matrix."""
    arr = np.asarray(P, dtype=object)
    if _is_numeric(arr):
        inv = np.linalg.inv(arr.astype(float))
        return np.vectorize(sp.Float, otypes=[object])(inv)
    scaled = _scaled_numeric(arr) if arr.ndim == 2 else None
    if scaled is not None:
        c, M = scaled
        return np.vectorize(lambda v: sp.nsimplify(v) / c if v != 0 else sp.Integer(0),
                            otypes=[object])(np.linalg.inv(M))
    diag = _diagonal(arr) if arr.ndim == 2 and arr.shape[0] == arr.shape[1] else None
    if diag is not None and _variable_matrix(arr) is None:
        out = np.zeros(arr.shape, dtype=object)
        for d, v in enumerate(diag):
            out[d, d] = 1 / v
        return out
    found = _variable_matrix(arr)
    if found is None:
        raise MatrixAtomError("inverse of a matrix expression: give the matrix as a variable or a constant")
    label, lead = found
    label = str(label)
    if label.endswith(INVERSE_SUFFIX):
        base = sp.IndexedBase(label[: -len(INVERSE_SUFFIX)])
    else:
        base = sp.IndexedBase(label + INVERSE_SUFFIX)
    D = arr.shape[0]
    out = np.empty((D, D), dtype=object)
    for d in range(D):
        for e in range(D):
            i, j = (d, e) if d <= e else (e, d)   # symmetric: keep the upper-triangle atom
            out[d, e] = base[(*lead, i, j)]
    return out


def multigammaln_sym(a, D: int):
    """log of the multivariate gamma function Gamma_D(a), symbolic."""
    return sp.Rational(D * (D - 1), 4) * sp.log(sp.pi) + sum(
        sp.loggamma(a - sp.Rational(j, 2)) for j in range(D))


def quad_form(u, P, v):
    """sum_{d,e} u_d P_de v_e for object (or numeric) arrays."""
    u, v, P = (np.asarray(t, dtype=object) for t in (u, v, P))
    return sp.Add(*[u[d] * P[d, e] * v[e] for d in range(len(u)) for e in range(len(v))])


def trace_product(A, B):
    """tr(A B) = sum_{d,e} A_de B_ed."""
    A, B = (np.asarray(t, dtype=object) for t in (A, B))
    D = A.shape[0]
    return sp.Add(*[A[d, e] * B[e, d] for d in range(D) for e in range(D)])
