"""Helpers shared by the family modules: symbolic/numeric dispatch, shapes, symmetric packing.

Matrix families (MultivariateNormal's quadratic statistics, Wishart, InverseWishart) pack a
symmetric matrix coefficient M into natural parameters over the upper triangle, row by row:
eta_(d,d) = -M_dd / 2 and eta_(d,e) = -M_de for d < e, so that sum_{d<=e} eta_de X_de = -tr(M X)/2.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp
from scipy import special


def is_symbolic(v) -> bool:
    """True for sympy expressions and numpy object arrays (of sympy scalars)."""
    if type(v) is np.ndarray:                      # the numeric fast path of the samplers
        return v.dtype == object
    if isinstance(v, (sp.Basic, sp.MatrixBase)):
        return True
    return isinstance(v, np.ndarray) and v.dtype == object


def log(v):
    """Natural log of a sympy expression, an object array (entrywise) or numbers."""
    if isinstance(v, sp.Basic):
        return sp.log(v)
    if isinstance(v, np.ndarray) and v.dtype == object:
        return np.vectorize(sp.log, otypes=[object])(v)
    return np.log(np.asarray(v, dtype=float))


def sym_vector(v) -> np.ndarray:
    """A 1-D object array from a sympy Matrix, a list or an object array."""
    if isinstance(v, sp.MatrixBase):
        return np.array(list(v), dtype=object)
    return np.asarray(v, dtype=object).reshape(-1)


def as_array(v):
    """Keep object arrays (symbolic) as they are; make everything else a float array."""
    if isinstance(v, sp.MatrixBase):
        return np.array(v.tolist(), dtype=object)
    if isinstance(v, np.ndarray) and v.dtype == object:
        return v
    return np.asarray(v, dtype=float)


def take(a, *idx):
    """a[..., idx]: trailing-axis indexing that returns a sympy scalar (not a 0-d array) for
    object arrays, and an array over the batch for numeric ones."""
    v = a[(Ellipsis, *idx)]
    return v.item() if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype == object else v


def batch_shape(*shapes, size=()) -> tuple:
    return np.broadcast_shapes(*shapes, tuple(size))


def safe_problem(check, message: str) -> list[str]:
    """[message] unless ``check()`` is true; a check that cannot run also reports the message."""
    try:
        ok = bool(check())
    except (ValueError, IndexError, TypeError, np.linalg.LinAlgError):
        ok = False
    return [] if ok else [message]


# ------------------------------------------------------------------ symmetric matrices
@lru_cache(maxsize=64)
def triu_pairs(D: int) -> list[tuple[int, int]]:
    """(d, e) with d <= e, row by row: the packing order of symmetric-matrix statistics."""
    return [(d, e) for d in range(D) for e in range(d, D)]


@lru_cache(maxsize=64)
def _triu_arrays(D: int):
    rows, cols = np.array(triu_pairs(D)).T
    return rows, cols, np.where(rows == cols, -2.0, -1.0)


def dim_from_pairs(n: int) -> int:
    D = int(round((np.sqrt(8 * n + 1) - 1) / 2))
    if D * (D + 1) // 2 != n:
        raise ValueError(f"{n} natural parameters do not pack a symmetric matrix")
    return D


def pack_quadratic(M) -> list:
    """[-M_dd/2 if d == e else -M_de for d <= e]; M numeric (batch ok) or an object array."""
    M = as_array(M)
    return [-take(M, d, e) / 2 if d == e else -take(M, d, e) for d, e in triu_pairs(M.shape[-1])]


def unpack_quadratic(eta: list, D: int):
    """Inverse of ``pack_quadratic``: the symmetric M (object (D, D) or numeric (..., D, D))."""
    pairs = triu_pairs(D)
    if isinstance(eta, np.ndarray) and eta.dtype != object:     # stacked (pairs, *batch): samplers
        vals = np.moveaxis(eta, 0, -1)
    elif any(is_symbolic(e) for e in eta):
        M = np.empty((D, D), dtype=object)
        for (d, e), v in zip(pairs, eta):
            M[d, e] = M[e, d] = -2 * v if d == e else -v
        return M
    else:
        vals = np.stack(np.broadcast_arrays(*[np.asarray(e, dtype=float) for e in eta]), axis=-1)
    rows, cols, scale = _triu_arrays(D)
    vals = scale * vals
    M = np.zeros(vals.shape[:-1] + (D, D))
    M[..., rows, cols] = vals
    M[..., cols, rows] = vals
    return M


def is_pos_def(M) -> np.ndarray:
    """Symmetric and positive definite, per batch element."""
    M = np.asarray(M, dtype=float)
    sym = np.all(np.isclose(M, np.swapaxes(M, -1, -2)), axis=(-2, -1))
    if np.all(sym) and np.all(np.isfinite(M)):
        try:                                  # one Cholesky is far cheaper than the eigenvalues
            np.linalg.cholesky(M)
            return np.ones(M.shape[:-2], dtype=bool)
        except np.linalg.LinAlgError:
            pass
    with np.errstate(invalid="ignore"):
        eig = np.linalg.eigvalsh(np.where(np.isfinite(M), M, 0.0))
    return sym & np.all(np.isfinite(M), axis=(-2, -1)) & np.all(eig > 0, axis=-1)


def logdet(M) -> np.ndarray:
    return np.linalg.slogdet(np.asarray(M, dtype=float))[1]


def multigammaln(a, D: int) -> np.ndarray:
    """log Gamma_D(a) = D(D-1)/4 log(pi) + sum_j log Gamma(a - j/2), elementwise in a."""
    a = np.asarray(a, dtype=float)
    return D * (D - 1) / 4 * np.log(np.pi) + sum(special.gammaln(a - j / 2) for j in range(D))


def multidigamma(a, D: int) -> np.ndarray:
    """d/da log Gamma_D(a) = sum_j psi(a - j/2)."""
    a = np.asarray(a, dtype=float)
    return sum(special.digamma(a - j / 2) for j in range(D))


def trace_prod(A, B) -> np.ndarray:
    """tr(A B) over batches of matrices."""
    return np.einsum("...de,...ed->...", A, B)


def is_count(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return np.isfinite(x) & (x >= 0) & (np.mod(x, 1) == 0)


# ------------------------------------------------------------------ shared natural-parameter maps
def simplex_natural_params(p) -> list:
    """eta_k = log p_k: Categorical and Multinomial alike."""
    q = as_array(p["p"])
    return [log(take(q, k)) for k in range(q.shape[-1])]


def simplex_from_natural_sym(eta) -> dict:
    total = sp.Add(*[sp.exp(e) for e in eta])
    return {"p": np.array([sp.exp(e) / total for e in eta], dtype=object)}


def simplex_from_natural(eta) -> dict:
    phi = np.stack(np.broadcast_arrays(*[np.asarray(e, float) for e in eta]), axis=-1)
    return {"p": np.exp(phi - special.logsumexp(phi, axis=-1, keepdims=True))}


def logit_natural_params(p) -> list:
    """eta = logit p: Bernoulli and Binomial alike."""
    return [log(p["p"]) - log(1 - p["p"])]


def logit_from_natural_sym(eta) -> dict:
    return {"p": 1 / (1 + sp.exp(-eta[0]))}


def logit_from_natural(eta) -> dict:
    return {"p": special.expit(np.asarray(eta[0], float))}
