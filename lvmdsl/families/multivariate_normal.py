"""MultivariateNormal(mean, precision | cov): real vectors of length D.

log p(x) = log|P|/2 - D/2 log(2 pi) - (x - m)^T P (x - m)/2, with P the precision (inverse cov).
Exponential-family form: T(x) = (x_1..x_D, then x_d x_e for d <= e, upper triangle row by row),
eta = (P m, then -P_dd/2 for d = e and -P_de for d < e), A(eta) = m^T P m/2 - log|P|/2,
h(x) = (2 pi)^(-D/2).  Symbolically log|P| is ``logdet`` so a precision variable is an atom.
"""

from __future__ import annotations

import numbers

import numpy as np
import sympy as sp

from ..frontend.expr import ModelError
from ..symbolic import matrix
from ..symbolic.tensor import fresh_index, matrix_logdet
from . import _util as u
from .base import Family, Stat, Support, as_float


class MultivariateNormal(Family):
    name = "MultivariateNormal"
    params = ("mean", "precision")
    alternatives = {"mean": ("mean",), "precision": ("precision", "cov")}
    support = Support("real_vector")
    event_ndim = 1
    param_event_ndim = {"mean": 1, "precision": 2}

    def to_canonical(self, keyword, value):
        """precision = cov^-1: numbers -> numpy inverse, object arrays -> ``matrix.inverse``,
        sympy matrices -> their inverse, model expressions -> ``value.inverse()``."""
        if keyword != "cov":
            return value
        if isinstance(value, np.ndarray) and value.dtype == object:
            return matrix.inverse(value)
        if isinstance(value, sp.MatrixBase):
            return matrix.inverse(np.array(value.tolist(), dtype=object))
        if isinstance(value, (np.ndarray, list, tuple, numbers.Number)):
            arr = np.asarray(value, dtype=float)
            if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
                raise ModelError(f"cov must be a square D x D matrix, got shape {arr.shape}; for the same variance "
                                 "in every coordinate write cov=v * np.eye(D)")
            return np.linalg.inv(arr)
        return value.inverse()

    def event_shape(self, param_shapes):
        m, P = tuple(param_shapes["mean"]), tuple(param_shapes["precision"])
        if len(m) < 1 or len(P) < 2 or P[-2:] != (m[-1], m[-1]):
            raise ValueError("mean must be a vector of length D and precision (or cov) a D x D matrix")
        return m[-1:]

    def param_problems(self, p):
        m, P = np.asarray(p["mean"], float), np.asarray(p["precision"], float)
        bad = u.safe_problem(lambda: m.ndim >= 1 and P.ndim >= 2 and P.shape[-2:] == (m.shape[-1],) * 2,
                             "mean must be a vector of length D and precision (or cov) a D x D matrix")
        return bad or u.safe_problem(lambda: np.all(u.is_pos_def(P)),
                                     "precision (or cov) must be symmetric positive definite")

    def in_support(self, x, p):
        return np.all(np.isfinite(x), axis=-1)

    # symbolic
    def log_density(self, x, p):
        x, m = u.sym_vector(x), u.sym_vector(p["mean"])
        P = np.asarray(p["precision"], dtype=object)
        D = len(x)
        return (matrix.logdet(P) / 2 - sp.Rational(D, 2) * sp.log(2 * sp.pi)
                - matrix.quad_form(x - m, P, x - m) / 2)

    def sufficient_stats(self, x, p=None):
        x = u.sym_vector(x)
        return list(x) + [x[d] * x[e] for d, e in u.triu_pairs(len(x))]

    def log_base_measure(self, x, p=None):
        return -sp.Rational(len(u.sym_vector(x)), 2) * sp.log(2 * sp.pi)

    def natural_params(self, p):
        m, P = p["mean"], u.as_array(p["precision"])
        m = u.sym_vector(m) if isinstance(m, sp.MatrixBase) else u.as_array(m)
        h = (P * m[..., None, :]).sum(-1)
        return [u.take(h, d) for d in range(h.shape[-1])] + u.pack_quadratic(P)

    def from_natural_sym(self, eta):
        """precision P from the quadratic coefficients; mean = P^-1 (P m), kept as an unevaluated
        ``matrix.Solve`` so a symbolic P is not inverted entrywise."""
        eta = [sp.sympify(e) for e in eta]
        D = _dim(len(eta))
        P = sp.ImmutableMatrix(u.unpack_quadratic(eta[D:], D).tolist())
        return {"mean": matrix.Solve(P, sp.ImmutableMatrix(eta[:D])), "precision": P}

    # index level: x is one vector (or any real array: a matrix Param is a normal on its entries)
    def index_log_density(self, x, p, literals):
        """log|P|/2 - D/2 log(2 pi) - 1/2 Sum_{i,j} (x_i - m_i) P_ij (x_j - m_j)."""
        m, P = p["mean"], p["precision"]
        i, j = fresh_index("i"), fresh_index("j")
        D = x.sizes[0]
        quad = (x.entry(i) - m.entry(i)) * P.entry(i, j) * (x.entry(j) - m.entry(j))
        return (matrix_logdet(P, literals) / 2 - D / 2 * sp.log(2 * sp.pi)
                - sp.Sum(quad, (i, 0, D - 1), (j, 0, D - 1)) / 2)

    def index_stats(self, x, p=None):
        return real_array_stats(x)

    def index_from_natural(self, eta):
        """h = P m (the coefficient of x[a]); J = -P/2 (of x[a] x[b]): P = -(J + J'), m = P^-1 h."""
        h, J = (np.asarray(e, float) for e in eta)
        P = -(J + np.swapaxes(J, -1, -2))
        return {"mean": np.linalg.solve(P, h[..., None])[..., 0], "precision": P}

    def index_sample_natural(self, rng, eta):
        """x = P^-1 (h + L z) with P = L L': mean P^-1 h, covariance P^-1 (one Cholesky, one solve)."""
        h, J = (np.asarray(e, float) for e in eta)
        P = -(J + np.swapaxes(J, -1, -2))
        shape = np.broadcast_shapes(h.shape[:-1], P.shape[:-2])
        L = np.linalg.cholesky(np.broadcast_to(P, shape + P.shape[-2:]))
        z = rng.standard_normal(shape + h.shape[-1:] + (1,))
        return np.linalg.solve(P, (h[..., None] + L @ z))[..., 0]

    def index_expected_stats(self, p):
        """E[x] = m and E[x x'] = Sigma + m m', with the event axes kept."""
        m, S = self.mean(p), self.cov(p)
        return [m, S + m[..., :, None] * m[..., None, :]]

    def index_argmax_natural(self, eta):
        """The mean P^-1 h: Q = h'x - x'Px/2 is maximised where P x = h.  A singular P (an EM
        component with no responsibility) gives NaN there, which EM holds at its previous value."""
        try:
            return self.index_from_natural(eta)["mean"]
        except np.linalg.LinAlgError:
            h, J = (np.asarray(e, float) for e in eta)
            P = -(J + np.swapaxes(J, -1, -2))
            Pf, hf = P.reshape((-1,) + P.shape[-2:]), np.broadcast_to(h, P.shape[:-1]).reshape(-1, P.shape[-1])
            out = np.full(hf.shape, np.nan)
            ok = np.linalg.matrix_rank(Pf) == P.shape[-1]       # the blocks with a unique maximiser
            if ok.any():
                out[ok] = np.linalg.solve(Pf[ok], hf[ok][..., None])[..., 0]
            return out.reshape(P.shape[:-1])

    def index_natural_meaning(self, names):
        h, J = names
        return [f"precision = -2 {J} (symmetrised)", f"mean = precision^-1 {h}"]

    # numeric
    def from_natural(self, eta):
        D = _dim(len(eta))
        P = u.unpack_quadratic(eta[D:], D)
        if isinstance(eta, np.ndarray):          # stacked natural parameters (stats, *batch)
            h = np.moveaxis(eta[:D], 0, -1)
        else:
            h = np.stack(np.broadcast_arrays(*[np.asarray(e, float) for e in eta[:D]]), axis=-1)
        shape = np.broadcast_shapes(h.shape[:-1], P.shape[:-2])
        P = np.broadcast_to(P, shape + (D, D))
        return {"mean": np.linalg.solve(P, np.broadcast_to(h, shape + (D,))[..., None])[..., 0],
                "precision": P.copy()}

    def log_normaliser(self, eta):
        p = self.from_natural(eta)
        m, P = p["mean"], p["precision"]
        return np.einsum("...d,...de,...e->...", m, P, m) / 2 - u.logdet(P) / 2

    def expected_stats(self, p):
        m, S = self.mean(p), self.cov(p)
        return [m[..., d] for d in range(m.shape[-1])] + [
            S[..., d, e] + m[..., d] * m[..., e] for d, e in u.triu_pairs(m.shape[-1])]

    def logpdf(self, x, p):
        p = as_float(p)
        m, P = p["mean"], p["precision"]
        r = np.asarray(x, float) - m
        D = m.shape[-1]
        return (u.logdet(P) / 2 - D / 2 * np.log(2 * np.pi)
                - np.einsum("...d,...de,...e->...", r, P, r) / 2)

    def sample_natural(self, rng, eta):
        """With P = L L' (Cholesky), x = P^-1 (h + L z) has mean P^-1 h and covariance P^-1:
        one factorisation and one solve, no inverse."""
        D = _dim(len(eta))
        P = u.unpack_quadratic(eta[D:], D)
        h = np.moveaxis(np.asarray(eta[:D], float), 0, -1) if isinstance(eta, np.ndarray) else \
            np.stack(np.broadcast_arrays(*[np.asarray(e, float) for e in eta[:D]]), axis=-1)
        shape = np.broadcast_shapes(h.shape[:-1], P.shape[:-2])
        P = np.broadcast_to(P, shape + (D, D))
        L = np.linalg.cholesky(P)
        z = rng.standard_normal(shape + (D, 1))
        return np.linalg.solve(P, np.broadcast_to(h, shape + (D,))[..., None] + L @ z)[..., 0]

    def sample(self, rng, p, size=()):
        p = as_float(p)
        m, P = p["mean"], p["precision"]
        shape = np.broadcast_shapes(m.shape[:-1], P.shape[:-2], tuple(size))
        L = np.linalg.cholesky(np.linalg.inv(P))
        z = rng.standard_normal(shape + m.shape[-1:])
        return m + np.einsum("...de,...e->...d", L, z)

    def mean(self, p):
        p = as_float(p)
        m, P = p["mean"], p["precision"]
        return np.broadcast_to(m, np.broadcast_shapes(m.shape, P.shape[:-1])).copy()

    def cov(self, p):
        """The covariance matrix P^-1 (batch ok)."""
        p = as_float(p)
        m, P = p["mean"], p["precision"]
        S = np.linalg.inv(P)
        return np.broadcast_to(S, np.broadcast_shapes(m.shape[:-1], P.shape[:-2]) + S.shape[-2:]).copy()

    def var(self, p):
        return np.diagonal(self.cov(p), axis1=-2, axis2=-1).copy()

    def mode(self, p):
        return self.mean(p)


def _dim(n_eta: int) -> int:
    """D from the number of natural parameters D + D(D+1)/2."""
    D = int(round((np.sqrt(9 + 8 * n_eta) - 3) / 2))
    if D + D * (D + 1) // 2 != n_eta:
        raise ValueError(f"{n_eta} natural parameters do not fit a MultivariateNormal")
    return D


def real_array_stats(x) -> list:
    """x[a...] and x[a...] x[b...] for a real array of any shape (a vector: x[a], x[a] x[b])."""
    first = tuple((fresh_index("a"), n) for n in x.sizes)
    second = tuple((fresh_index("b"), n) for n in x.sizes)
    xa = x.entry(*[s for s, _ in first])
    xb = x.entry(*[s for s, _ in second])
    return [Stat(xa, first), Stat(xa * xb, first + second, symmetric=True)]
