"""InverseWishart(df, scale): D x D symmetric positive-definite matrices, mean scale / (df - D - 1).

X ~ InverseWishart(nu, Psi) exactly when X^-1 ~ Wishart(nu, Psi^-1).  Density
|Psi|^(nu/2) |X|^(-(nu+D+1)/2) exp(-tr(Psi X^-1)/2) / (2^(nu D/2) Gamma_D(nu/2)).
Exponential-family form: T(X) = ((X^-1)_de for d <= e, upper triangle row by row; then log|X|),
eta = (-Psi_dd/2 for d = e, -Psi_de for d < e; then -(nu + D + 1)/2),
A(eta) = -nu/2 log|Psi| + nu D/2 log 2 + log Gamma_D(nu/2), h(X) = 1.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..symbolic import matrix
from ..symbolic.tensor import fresh_index, matrix_inverse, matrix_logdet
from . import _util as u
from .base import Stat, as_float
from .wishart import MatrixFamily, bartlett, multigammaln_index


class InverseWishart(MatrixFamily):
    name = "InverseWishart"

    # symbolic
    def log_density(self, x, p):
        X, Psi, nu = np.asarray(x, dtype=object), np.asarray(p["scale"], dtype=object), p["df"]
        D = X.shape[-1]
        return (nu / 2 * matrix.logdet(Psi) - sp.Rational(D, 2) * nu * sp.log(2)
                - matrix.multigammaln_sym(nu / 2, D) - (nu + D + 1) / 2 * matrix.logdet(X)
                - matrix.trace_product(Psi, matrix.inverse(X)) / 2)

    def sufficient_stats(self, x, p=None):
        X = np.asarray(x, dtype=object)
        Xi = matrix.inverse(X)
        return [Xi[d, e] for d, e in u.triu_pairs(X.shape[-1])] + [matrix.logdet(X)]

    def natural_params(self, p):
        Psi, nu = u.as_array(p["scale"]), p["df"]
        return u.pack_quadratic(Psi) + [-(nu + Psi.shape[-1] + 1) / 2]

    def from_natural_sym(self, eta):
        eta = [sp.sympify(e) for e in eta]
        D = u.dim_from_pairs(len(eta) - 1)
        return {"df": -2 * eta[-1] - D - 1, "scale": sp.ImmutableMatrix(u.unpack_quadratic(eta[:-1], D).tolist())}

    # index level
    def index_log_density(self, x, p, literals):
        """nu/2 log|Psi| - nu D/2 log 2 - log Gamma_D(nu/2) - (nu+D+1)/2 log|X| - 1/2 Sum_{i,j} Psi_ij (X^-1)_ji."""
        Psi, nu = p["scale"], p["df"].scalar()
        i, j = fresh_index("i"), fresh_index("j")
        D = x.sizes[0]
        Xinv = matrix_inverse(x, literals, "x_inv")
        return (nu / 2 * matrix_logdet(Psi, literals) - D * nu / 2 * sp.log(2) - multigammaln_index(nu / 2, D)
                - (nu + D + 1) / 2 * matrix_logdet(x, literals)
                - sp.Sum(Psi.entry(i, j) * Xinv.entry(j, i), (i, 0, D - 1), (j, 0, D - 1)) / 2)

    def index_stats(self, x, p=None):
        a, b = fresh_index("a"), fresh_index("b")
        D = x.sizes[0]
        Xinv = matrix_inverse(x, None, "x_inv")
        return [Stat(Xinv.entry(a, b), ((a, D), (b, D)), symmetric=True), Stat(matrix_logdet(x, None))]

    def index_from_natural(self, eta):
        """J = -Psi/2 (coefficient of (X^-1)[a,b]), g = -(nu + D + 1)/2 (of log|X|)."""
        J, g = (np.asarray(e, float) for e in eta)
        D = J.shape[-1]
        return {"df": -2 * g - D - 1, "scale": -(J + np.swapaxes(J, -1, -2))}

    def index_natural_meaning(self, names):
        J, g = names
        return [f"scale = -2 {J} (symmetrised)", f"df = -2 {g} - D - 1"]

    # numeric
    def from_natural(self, eta):
        D = u.dim_from_pairs(len(eta) - 1)
        return {"df": -2 * np.asarray(eta[-1], float) - D - 1, "scale": u.unpack_quadratic(eta[:-1], D)}

    def log_normaliser(self, eta):
        p = self.from_natural(eta)
        nu, Psi = p["df"], p["scale"]
        D = Psi.shape[-1]
        return -nu / 2 * u.logdet(Psi) + nu * D / 2 * np.log(2) + u.multigammaln(nu / 2, D)

    def expected_stats(self, p):
        p = as_float(p)
        nu, Psi = p["df"], p["scale"]
        D = Psi.shape[-1]
        EXi = nu[..., None, None] * np.linalg.inv(Psi)
        return [EXi[..., d, e] for d, e in u.triu_pairs(D)] + [
            u.logdet(Psi) - D * np.log(2) - u.multidigamma(nu / 2, D)]

    def logpdf(self, x, p):
        p = as_float(p)
        nu, Psi = p["df"], p["scale"]
        x = np.asarray(x, float)
        D = Psi.shape[-1]
        ok = u.is_pos_def(x)
        X = np.where(ok[..., None, None], x, np.eye(D))
        out = (nu / 2 * u.logdet(Psi) - nu * D / 2 * np.log(2) - u.multigammaln(nu / 2, D)
               - (nu + D + 1) / 2 * u.logdet(X) - u.trace_prod(Psi, np.linalg.inv(X)) / 2)
        return np.where(ok, out, -np.inf)

    def sample(self, rng, p, size=()):
        """The inverse of a Wishart(df, scale^-1) draw."""
        p = as_float(p)
        return np.linalg.inv(bartlett(rng, p["df"], np.linalg.inv(p["scale"]), size))

    def mean(self, p):
        """Psi / (nu - D - 1), infinite for nu <= D + 1."""
        p = as_float(p)
        nu, Psi = p["df"][..., None, None], p["scale"]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(nu > Psi.shape[-1] + 1, Psi / (nu - Psi.shape[-1] - 1), np.inf)

    def var(self, p):
        """Var(X_de) = ((nu-D+1) Psi_de^2 + (nu-D-1) Psi_dd Psi_ee) / ((nu-D)(nu-D-1)^2(nu-D-3))."""
        p = as_float(p)
        nu, Psi = p["df"][..., None, None], p["scale"]
        D = Psi.shape[-1]
        d = np.diagonal(Psi, axis1=-2, axis2=-1)
        num = (nu - D + 1) * Psi**2 + (nu - D - 1) * d[..., :, None] * d[..., None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(nu > D + 3, num / ((nu - D) * (nu - D - 1) ** 2 * (nu - D - 3)), np.inf)

    def mode(self, p):
        p = as_float(p)
        return p["scale"] / (p["df"][..., None, None] + p["scale"].shape[-1] + 1)
