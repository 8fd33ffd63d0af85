"""Block structure of a real array's conditional: rows that are conditionally independent.

A real array unknown W of shape (D, M) (a multivariate normal on its entries: the statistics
W[a, b] and W[a, b] W[c, e]) has a conditional precision Λ[(a, b), (c, e)], the coefficient of
W[a, b] W[c, e] times -2.  When every term of that coefficient carries the factor [a = c], as
it does when W z meets a diagonal noise (s2 I, diag(psi)):

    -1/2 Σ_n Σ_{i,k,l} W[i, k] W[i, l] z[n, k] z[n, l] / psi[i]   gives   [a = c] Σ_n z[n, b] z[n, e] / (2 psi[a])

then Λ is block diagonal over a: the rows W[a] are independent given the rest, each a
multivariate normal of size M with precision Σ_n z_n z_nᵀ / psi_a.  The update is then D blocks
of size M (one batched Cholesky) instead of one block of size DM.

``row_blocks`` finds the leading event axes along which the coefficient is diagonal (read off
the Kronecker deltas of the terms: no model is named) and rewrites the statistics as their
restriction to the diagonal, W[a, b] W[a, e]; the block axes then behave like plates.  A vector
keeps its one block: an axis is only a block axis while at least one axis stays in the block.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..families.base import Distribution, Stat
from ..symbolic.canon import Term, merge


def _has_delta(coef, p, q) -> bool:
    return any(isinstance(f, sp.KroneckerDelta) and set(f.args) == {p, q} for f in sp.Mul.make_args(coef))


def diagonal_axes(quadratic: Stat, terms: list[Term]) -> int:
    """How many leading axes of the quadratic statistic x[a1..ar] x[b1..br] have the factor
    [a_k = b_k] in every term of its coefficient (at most r - 1)."""
    r = len(quadratic.indices) // 2
    first, second = quadratic.symbols[:r], quadratic.symbols[r:]
    k = 0
    while k < r - 1 and terms and all(_has_delta(t.coef, first[k], second[k]) for t in terms):
        k += 1
    return k


def is_real_array(stats: list[Stat]) -> bool:
    """The statistics x[a...] and x[a...] x[b...] of a real array of rank at least 2."""
    return (len(stats) == 2 and stats[1].symmetric and len(stats[0].indices) >= 2
            and len(stats[1].indices) == 2 * len(stats[0].indices))


def on_diagonal(terms: list[Term], onto: dict) -> list[Term]:
    """Terms carrying [b = a] for every (b -> a) of ``onto``, restricted to b = a: the delta
    dropped and b written a."""
    out = []
    for t in terms:
        coef = sp.Mul(*[f for f in sp.Mul.make_args(t.coef)
                        if not (isinstance(f, sp.KroneckerDelta) and any(set(f.args) == {b, a} for b, a in onto.items()))])
        out.append(Term(coef.xreplace(onto), t.bound))
    return merge(out)


def row_blocks(stats: list[Stat], natural: list[list[Term]]):
    """(stats, natural, onto): the first k event axes made block axes (see the module
    docstring), ``onto`` mapping the quadratic statistic's second indices of those axes to its
    first; an empty ``onto`` returns the arguments unchanged."""
    if not is_real_array(stats):
        return stats, natural, {}
    k = diagonal_axes(stats[1], natural[1])
    if not k:
        return stats, natural, {}
    r = len(stats[0].indices)
    first, second = stats[1].indices[:r], stats[1].indices[r:]
    onto = {second[j][0]: first[j][0] for j in range(k)}
    quad = Stat(stats[1].expr.xreplace(onto), tuple(first) + tuple(second[k:]), symmetric=True)
    return [stats[0], quad], [natural[0], on_diagonal(natural[1], onto)], onto


def with_blocks(cond):
    """An ``IndexConditional`` of an array unknown with its block axes set: the leading axes of
    an array of a scalar family or of simplices (each entry or row its own block), or the row
    blocks of a real array found by ``row_blocks`` (statistics and natural parameters rewritten
    to the diagonal, the factors' coefficients too, for the explanation)."""
    extra = len(cond.target.event_shape) - cond.family.event_ndim
    if extra > 0 and cond.family.name != "MultivariateNormal":   # independent scalars, or simplex rows
        cond.blocks = extra
        return cond
    stats, natural, onto = row_blocks(cond.stats, cond.natural)
    if onto:
        cond.stats, cond.blocks = stats, len(onto)
        cond.__dict__["natural"] = natural
        for f in cond.factors:
            f.coefficients = [f.coefficients[0], on_diagonal(f.coefficients[1], onto)]
    return cond


def block_params(family, eta, shape: tuple, blocks: int) -> dict:
    """Canonical parameters of a real array's blocks: block axes join the batch, the entries of
    one block are flattened into one vector (mean keeps the array's own layout)."""
    batch = eta[0].shape[: eta[0].ndim - len(shape)] + tuple(shape[:blocks])
    rest = tuple(shape[blocks:])
    n = int(np.prod(rest))
    p = family.index_from_natural([eta[0].reshape(batch + (n,)), eta[1].reshape(batch + (n, n))])
    return {"mean": p["mean"].reshape(batch + rest), "precision": p["precision"]}


class ArrayNormal(Distribution):
    """A multivariate normal on the entries of an array block (of shape ``block``): the
    precision is over the flattened entries; values, draws and means keep the array's layout."""

    def __init__(self, family, params, block: tuple):
        super().__init__(family, params)
        self.block = tuple(block)

    def _flat(self):
        m = self.params["mean"]
        n = int(np.prod(self.block))
        return {"mean": m.reshape(m.shape[: m.ndim - len(self.block)] + (n,)), "precision": self.params["precision"]}

    def _shaped(self, a, extra=()):
        return a.reshape(a.shape[: a.ndim - 1 - len(extra)] + self.block + tuple(extra))

    def mean(self):
        return np.array(self.params["mean"])

    def cov(self):
        """The covariance over the flattened entries of a block (row-major order)."""
        return self.family.cov(self._flat())

    def var(self):
        return self._shaped(self.family.var(self._flat()))

    def mode(self):
        return self.mean()

    def logpdf(self, value):
        v = np.asarray(value, dtype=float)
        v = v.reshape(v.shape[: v.ndim - len(self.block)] + (-1,))
        return self.family.logpdf(v, self._flat())

    def sample(self, rng, size: tuple = ()):
        return self._shaped(self.family.sample(rng, self._flat(), size))
