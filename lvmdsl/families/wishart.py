"""Wishart(df, scale): D x D symmetric positive-definite matrices with mean df * scale.

Density |X|^((n-D-1)/2) exp(-tr(V^-1 X)/2) / (2^(nD/2) |V|^(n/2) Gamma_D(n/2)), n = df, V = scale.
Exponential-family form: T(X) = (X_de for d <= e, upper triangle row by row; then log|X|),
eta = (-(V^-1)_dd/2 for d = e, -(V^-1)_de for d < e; then (n - D - 1)/2),
A(eta) = n/2 log|V| + nD/2 log 2 + log Gamma_D(n/2), h(X) = 1.
Symbolically log|X| and V^-1 are ``logdet`` and ``inverse`` atoms when X, V are variables.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..symbolic import matrix
from ..symbolic.tensor import fresh_index, matrix_inverse, matrix_logdet
from . import _util as u
from .base import Family, Stat, Support, as_float


class MatrixFamily(Family):
    """What Wishart and InverseWishart share: parameters (df, scale), a D x D positive-definite
    support, df > D - 1 and the event shape of the scale matrix."""

    params = ("df", "scale")
    alternatives = {"df": ("df",), "scale": ("scale",)}
    support = Support("positive_definite")
    event_ndim = 2
    param_event_ndim = {"df": 0, "scale": 2}

    def event_shape(self, param_shapes):
        return _matrix_event(param_shapes["scale"])

    def param_problems(self, p):
        return _matrix_problems(p, "df must be greater than D - 1 (the dimension minus one)",
                                lambda df, D: df > D - 1)

    def in_support(self, x, p):
        return u.is_pos_def(x)


class Wishart(MatrixFamily):
    name = "Wishart"

    # symbolic
    def log_density(self, x, p):
        X, V, n = np.asarray(x, dtype=object), np.asarray(p["scale"], dtype=object), p["df"]
        D = X.shape[-1]
        return ((n - D - 1) / 2 * matrix.logdet(X) - matrix.trace_product(matrix.inverse(V), X) / 2
                - sp.Rational(D, 2) * n * sp.log(2) - n / 2 * matrix.logdet(V)
                - matrix.multigammaln_sym(n / 2, D))

    def sufficient_stats(self, x, p=None):
        X = np.asarray(x, dtype=object)
        return [X[d, e] for d, e in u.triu_pairs(X.shape[-1])] + [matrix.logdet(X)]

    def natural_params(self, p):
        V, n = u.as_array(p["scale"]), p["df"]
        Vinv = matrix.inverse(V) if u.is_symbolic(V) else np.linalg.inv(V)
        return u.pack_quadratic(Vinv) + [(n - V.shape[-1] - 1) / 2]

    def from_natural_sym(self, eta):
        eta = [sp.sympify(e) for e in eta]
        D = u.dim_from_pairs(len(eta) - 1)
        Vinv = sp.ImmutableMatrix(u.unpack_quadratic(eta[:-1], D).tolist())
        return {"df": 2 * eta[-1] + D + 1, "scale": sp.Inverse(Vinv)}   # unevaluated: (V^-1)^-1

    # index level
    def index_log_density(self, x, p, literals):
        """(n-D-1)/2 log|X| - 1/2 Sum_{i,j} (V^-1)_ij X_ji - nD/2 log 2 - n/2 log|V| - log Gamma_D(n/2)."""
        V, n = p["scale"], p["df"].scalar()
        i, j = fresh_index("i"), fresh_index("j")
        D = x.sizes[0]
        Vinv = matrix_inverse(V, literals, "scale_inv")
        return ((n - D - 1) / 2 * matrix_logdet(x, literals)
                - sp.Sum(Vinv.entry(i, j) * x.entry(j, i), (i, 0, D - 1), (j, 0, D - 1)) / 2
                - D * n / 2 * sp.log(2) - n / 2 * matrix_logdet(V, literals) - multigammaln_index(n / 2, D))

    def index_stats(self, x, p=None):
        a, b = fresh_index("a"), fresh_index("b")
        D = x.sizes[0]
        return [Stat(x.entry(a, b), ((a, D), (b, D)), symmetric=True), Stat(matrix_logdet(x, None))]

    def index_from_natural(self, eta):
        """J = -V^-1/2 (coefficient of X[a,b]), g = (n - D - 1)/2 (of log|X|)."""
        J, g = (np.asarray(e, float) for e in eta)
        D = J.shape[-1]
        Vinv = -(J + np.swapaxes(J, -1, -2))
        return {"df": 2 * g + D + 1, "scale": np.linalg.inv(Vinv)}

    def index_natural_meaning(self, names):
        J, g = names
        return [f"scale^-1 = -2 {J} (symmetrised)", f"df = 2 {g} + D + 1"]

    # numeric
    def from_natural(self, eta):
        D = u.dim_from_pairs(len(eta) - 1)
        return {"df": 2 * np.asarray(eta[-1], float) + D + 1,
                "scale": np.linalg.inv(u.unpack_quadratic(eta[:-1], D))}

    def log_normaliser(self, eta):
        p = self.from_natural(eta)
        n, V = p["df"], p["scale"]
        D = V.shape[-1]
        return n / 2 * u.logdet(V) + n * D / 2 * np.log(2) + u.multigammaln(n / 2, D)

    def expected_stats(self, p):
        p = as_float(p)
        n, V = p["df"], p["scale"]
        D = V.shape[-1]
        EX = n[..., None, None] * V
        return [EX[..., d, e] for d, e in u.triu_pairs(D)] + [
            u.multidigamma(n / 2, D) + D * np.log(2) + u.logdet(V)]

    def logpdf(self, x, p):
        p = as_float(p)
        n, V = p["df"], p["scale"]
        x = np.asarray(x, float)
        D = V.shape[-1]
        ok = u.is_pos_def(x)
        X = np.where(ok[..., None, None], x, np.eye(D))
        out = ((n - D - 1) / 2 * u.logdet(X) - u.trace_prod(np.linalg.inv(V), X) / 2
               - n * D / 2 * np.log(2) - n / 2 * u.logdet(V) - u.multigammaln(n / 2, D))
        return np.where(ok, out, -np.inf)

    def sample(self, rng, p, size=()):
        p = as_float(p)
        return bartlett(rng, p["df"], p["scale"], size)

    def mean(self, p):
        p = as_float(p)
        return p["df"][..., None, None] * p["scale"]

    def var(self, p):
        """Var(X_de) = n (V_de^2 + V_dd V_ee), elementwise."""
        p = as_float(p)
        V = p["scale"]
        d = np.diagonal(V, axis1=-2, axis2=-1)
        return p["df"][..., None, None] * (V**2 + d[..., :, None] * d[..., None, :])

    def mode(self, p):
        """(n - D - 1) V, defined for n >= D + 1 (nan otherwise)."""
        p = as_float(p)
        n, V = p["df"][..., None, None], p["scale"]
        return np.where(n >= V.shape[-1] + 1, (n - V.shape[-1] - 1) * V, np.nan)


def bartlett(rng, df, scale, size=()):
    """Wishart draws by the Bartlett decomposition X = L A A^T L^T, V = L L^T, with A lower
    triangular, A_ii^2 ~ chi^2(n - i) and A_ij ~ N(0, 1) below the diagonal."""
    D = scale.shape[-1]
    shape = np.broadcast_shapes(np.shape(df), scale.shape[:-2], tuple(size))
    A = rng.standard_normal(shape + (D, D)) * np.tri(D, k=-1)
    n = np.broadcast_to(df, shape)
    for i in range(D):
        A[..., i, i] = np.sqrt(rng.chisquare(n - i))
    LA = np.linalg.cholesky(scale) @ A
    return LA @ np.swapaxes(LA, -1, -2)


def _matrix_event(shape):
    shape = tuple(shape)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError("scale must be a square D x D matrix")
    return shape[-2:]


def _matrix_problems(p, df_message, df_ok):
    V = np.asarray(p["scale"], float)
    bad = u.safe_problem(lambda: V.ndim >= 2 and V.shape[-1] == V.shape[-2], "scale must be a square matrix")
    if bad:
        return bad
    out = u.safe_problem(lambda: np.all(u.is_pos_def(V)), "scale must be symmetric positive definite")
    return out + u.safe_problem(lambda: np.all(df_ok(np.asarray(p["df"], float), V.shape[-1])), df_message)


def multigammaln_index(a, D):
    """log Gamma_D(a) = D(D-1)/4 log pi + Sum_{j<D} log Gamma(a - j/2), kept as one sum."""
    j = fresh_index("j")
    return D * (D - 1) / 4 * sp.log(sp.pi) + sp.Sum(sp.loggamma(a - j / 2), (j, 0, D - 1))
