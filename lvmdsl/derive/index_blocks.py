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

import sympy as sp

from ..families.base import Stat
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
