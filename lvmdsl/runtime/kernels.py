"""The few numeric helpers that generated code calls: reductions over plates and family draws.

Generated update functions compute natural parameters as arrays ``(chains, *plates)`` and hand
them to ``draw_natural`` (the family's own natural-to-usual map and sampler) or
``draw_enumerated`` (categorical draws from log-weights).  ``reduce_to`` and ``scatter`` sum a
factor's per-element values onto the target's elements: along axes when the factor reaches
the target through its own plates, by ``bincount`` when it reaches it through an index.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, erf, gammaln, polygamma  # noqa: F401  (used by generated code)

from ..families import FAMILIES


def _cholesky(a):
    """Batched Cholesky factors; NaN matrices where A is not positive definite (no exception)."""
    a = np.asarray(a, dtype=float)
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        flat = a.reshape((-1,) + a.shape[-2:])
        out = np.full(flat.shape, np.nan)
        for i, m in enumerate(flat):             # only on failure: find which ones are not PD
            try:
                out[i] = np.linalg.cholesky(m)
            except np.linalg.LinAlgError:
                pass
        return out.reshape(a.shape)


def logdet(a) -> np.ndarray:
    """log|A| of symmetric positive-definite matrices by Cholesky (2 sum log diag L); NaN if not PD."""
    L = _cholesky(a)
    return 2 * np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(-1)


def spd_inv(a) -> np.ndarray:
    """Inverse of symmetric positive-definite matrices through their Cholesky factors."""
    L = _cholesky(a)
    eye = np.broadcast_to(np.eye(L.shape[-1]), L.shape)
    Linv = np.linalg.solve(L, eye)
    return np.swapaxes(Linv, -1, -2) @ Linv


def reduce_to(val, frame_shape: tuple, keep: tuple) -> np.ndarray:
    """Sum ``val`` (broadcast to ``frame_shape``) over every axis but the chain and ``keep``.

    ``keep`` lists frame axes in the order the result should have them.
    """
    full = np.broadcast_to(val, frame_shape)
    drop = tuple(a for a in range(1, len(frame_shape)) if a not in keep)
    out = full.sum(axis=drop) if drop else np.array(full)
    remaining = [0] + [a for a in range(1, len(frame_shape)) if a in keep]
    order = [remaining.index(a) for a in (0, *keep)]
    return np.transpose(out, order) if order != sorted(order) else out


def draw_natural(family_name: str, eta, rng: np.random.Generator) -> np.ndarray:
    """One draw per element from the family with natural parameters ``eta`` (stacked on axis 0),
    kept inside the support (see ``into_support``)."""
    fam = FAMILIES[family_name]
    return into_support(fam.support.kind, fam.sample_natural(rng, eta))


TINY = np.finfo(float).tiny
BELOW_ONE = np.nextafter(1.0, 0.0)


def into_support(kind: str, x):
    """A draw that underflowed onto the boundary of an open support, moved to the nearest
    interior value that keeps its reciprocal and logarithm finite.

    Gamma(a, b) with a = 1e-3 puts mass ~ a * t^a on (0, t): about 4% of draws fall below 1e-300
    and many of them round to exactly 0.0, which is outside (0, inf) and would be stored as a
    zero precision (an infinite variance).  A positive draw becomes at least the smallest normal
    double (2.2e-308, whose reciprocal is finite); a unit-interval draw lies in [tiny, 1 - 2^-53];
    a simplex draw's zero entries become tiny (its sum moves by less than 1e-300).
    """
    if kind == "positive" or kind == "simplex":
        x = np.asarray(x)
        if x.dtype.kind == "f" and np.any(x < TINY):
            x = np.maximum(x, TINY)
    elif kind == "unit":
        x = np.asarray(x)
        if np.any(x < TINY) or np.any(x > BELOW_ONE):
            x = np.clip(x, TINY, BELOW_ONE)
    return x


def draw_enumerated(logw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One state per element from unnormalised log-weights ``logw[state, ...]``, by inverse CDF.

    Overwrites ``logw`` with the running sums of the weights (the generated caller builds it
    fresh for this draw), so the only new arrays are the maximum, the uniforms and the states:
    fresh large arrays cost page faults that, at N = 100,000, outweigh the arithmetic.  Works
    state by state on whole rows (no small trailing axis, which numpy reduces slowly).
    """
    cum = np.asarray(logw, dtype=float)
    if not cum.flags.writeable:             # a broadcast view: work on a copy
        cum = cum.copy()
    top = np.maximum(cum[0], cum[1]) if len(cum) > 1 else cum[0].copy()
    for w in cum[2:]:
        np.maximum(top, w, out=top)
    for k in range(len(cum)):
        np.subtract(cum[k], top, out=cum[k])
        np.exp(cum[k], out=cum[k])
        if k:
            cum[k] += cum[k - 1]
    u = rng.random(top.shape, out=top)      # the maximum is no longer needed: draw into it
    u *= cum[-1]
    z = np.zeros(top.shape, dtype=np.intp)
    for k in range(len(cum) - 1):
        z += cum[k] < u
    return z


def scatter_index(frame_shape: tuple, lead: list, target_shape: tuple) -> np.ndarray:
    """Flat position, over chains x target elements, that each frame entry is summed onto."""
    C = frame_shape[0]
    size = int(np.prod(target_shape)) if target_shape else 1
    chain = np.arange(C).reshape((C,) + (1,) * (len(frame_shape) - 1)) * size
    if target_shape:
        idx = [np.broadcast_to(i, frame_shape) for i in lead]
        chain = chain + np.ravel_multi_index(idx, target_shape)
    return np.broadcast_to(chain, frame_shape).ravel()


def scatter(val, at: np.ndarray, frame_shape: tuple, target_shape: tuple) -> np.ndarray:
    """Sum ``val`` (broadcast over the frame) onto chains x target elements at positions ``at``.

    One ``bincount`` for all chains and elements; a constant 1 is a plain count.
    """
    C = frame_shape[0]
    n = C * (int(np.prod(target_shape)) if target_shape else 1)
    if np.ndim(val) == 0:
        out = np.bincount(at, minlength=n) * float(val)
    else:
        out = np.bincount(at, weights=np.broadcast_to(val, frame_shape).ravel(), minlength=n)
    return out.reshape((C,) + tuple(target_shape))


def workspace(ws: dict | None, key: str, shape: tuple) -> np.ndarray:
    """An uninitialised float array of ``shape``: kept in ``ws`` and handed out again for the same
    key and shape, or new when there is no workspace.  Chunked E-steps rebuild their features in
    one matrix instead of allocating (and page-faulting) a fresh one per chunk."""
    if ws is None:
        return np.empty(shape)
    buf = ws.get((key, shape))
    if buf is None:
        buf = ws[(key, shape)] = np.empty(shape)
    return buf


def argmax_natural(family_name: str, eta) -> np.ndarray:
    """The M-step solution: the maximiser of eta . T(x) (+ log h) in the family's domain."""
    return FAMILIES[family_name].argmax_natural(eta)


def argmax_index_natural(family_name: str, eta: list) -> np.ndarray:
    """The M-step solution at natural parameters in the array-level layout (event axes kept)."""
    return FAMILIES[family_name].index_argmax_natural(eta)


def soft_sum(spec: str, resp: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """Responsibility-weighted sums of a stack of terms: ``einsum(spec)``, one BLAS call when it can."""
    return np.einsum(spec, resp, terms, optimize=True)


_PLANS: dict = {}


def term(c: float, spec: str, shape: tuple, *operands) -> np.ndarray:
    """``c * einsum(spec, *operands)`` laid out as ``shape``: output axes no operand has (a term
    constant along them) broadcast.  One canonical term of an array-level natural parameter.

    The contraction order (``np.einsum_path``) is found once per spec and operand shapes."""
    operands = [o.astype(float) if o.dtype == bool else o for o in map(np.asarray, operands)]   # einsum ORs booleans
    key = (spec, shape, tuple(o.shape for o in operands))
    plan = _PLANS.get(key)
    if plan is None:
        ins, out = spec.split("->")
        present = set(ins.replace(",", ""))
        kept = "".join(ch for ch in out if ch in present)
        dims = {}
        for spec_o, o in zip(ins.split(","), operands):
            dims.update({ch: n if dims.get(ch, 1) == 1 else dims[ch] for ch, n in zip(spec_o, o.shape)})
        reshape = None if kept == out else tuple(dims[ch] if ch in present else 1 for ch in out)
        work = float(np.prod(list(dims.values()))) if dims else 1.0
        # the contraction order is planned once per key (planning costs ~1 ms, so it is kept as
        # a list of pairs); terms too small to gain from it loop in C
        path = False
        if len(operands) > 1 and work > 2e4:
            path = np.einsum_path(f"{ins}->{kept}", *operands, optimize="greedy")[0]
        plan = _PLANS[key] = (f"{ins}->{kept}", reshape, path)
    sub, reshape, path = plan
    val = np.einsum(sub, *operands, optimize=path)
    if reshape is not None:
        val = val.reshape(reshape)
    return c * val if c != 1.0 else val


def planned_term(c: float, spec: str, shape: tuple, *operands) -> np.ndarray:
    """``term`` with the contraction order planned once (``np.einsum_path``, greedy) and kept:
    for terms whose data factors are kept apart, so that each state factor meets its data
    factor first (``(X w)^2`` as two matrix-vector products, not a sum over an N x D x D array)."""
    operands = [np.asarray(o, dtype=float) for o in operands]
    ins, out = spec.split("->")
    present = set(ins.replace(",", ""))
    kept = "".join(ch for ch in out if ch in present)
    key = ("planned", spec, shape, tuple(o.shape for o in operands))
    plan = _PLANS.get(key)
    if plan is None:
        path = np.einsum_path(f"{ins}->{kept}", *operands, optimize="greedy")[0]
        plan = _PLANS[key] = (path, None if kept == out else tuple(n if ch in present else 1 for ch, n in zip(out, shape)))
    path, reshape = plan
    val = np.einsum(f"{ins}->{kept}", *operands, optimize=path)
    if reshape is not None:
        val = val.reshape(reshape)
    return c * val if c != 1.0 else val


def weighted_gram(A: np.ndarray, w: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``out[c] = (A * w[c][:, None])' B``, i.e. sum_n w[c, n] A[n, a] B[n, b], for every chain c:
    one batched matrix product (the Polya-gamma or Student-t weighted X'X).  A (N, Da), w (C, N),
    B (N, Db)."""
    A, B, w = np.asarray(A, float), np.asarray(B, float), np.asarray(w, float)
    return np.matmul(np.swapaxes(A[None] * w[..., None], -1, -2), B)


def draw_index_natural(family_name: str, eta: list, rng: np.random.Generator, block_ndim: int = 1) -> np.ndarray:
    """One draw per element at natural parameters with their event axes (array-level layout),
    kept inside the support (see ``into_support``).

    ``block_ndim`` > 1: a multivariate normal on the entries of an array block (eta[0] ends in
    the block's axes, eta[1] in them twice): the entries are flattened into one vector for the
    draw, which keeps the block's layout."""
    fam = FAMILIES[family_name]
    if block_ndim > 1:
        h, J = (np.asarray(e, float) for e in eta)
        block = h.shape[h.ndim - block_ndim:]
        n = int(np.prod(block))
        flat = [h.reshape(h.shape[: h.ndim - block_ndim] + (n,)), J.reshape(J.shape[: J.ndim - 2 * block_ndim] + (n, n))]
        return fam.index_sample_natural(rng, flat).reshape(h.shape)
    return into_support(fam.support.kind, fam.index_sample_natural(rng, eta))


def scatter_to(inner: np.ndarray, route: np.ndarray, K: int) -> np.ndarray:
    """Segment sums: ``out[c, k, ...] = sum over positions p with route[c, p] = k of inner[c, p, ...]``.

    ``inner`` is (C, *positions, *rest) and ``route`` (C, *positions) integer; one ``bincount``
    over chains x elements per trailing column."""
    C = route.shape[0]
    npos = route[0].size
    flat = (np.arange(C)[:, None] * K + route.reshape(C, npos)).ravel()
    if inner is None:                       # a count per element
        return np.bincount(flat, minlength=C * K).reshape(C, K).astype(float)
    rest = inner.shape[route.ndim:]
    inner = np.broadcast_to(inner, route.shape + rest)
    vals = np.asarray(inner, dtype=float).reshape(C * npos, int(np.prod(rest, dtype=int)))
    out = np.empty((C * K, vals.shape[1]))
    for j in range(vals.shape[1]):
        out[:, j] = np.bincount(flat, weights=vals[:, j], minlength=C * K)
    return out.reshape((C, K) + rest)


def pair_axes(a: np.ndarray, i: int, j: int) -> np.ndarray:
    """``a`` (symmetric in its axes i < j, both of length D) with those two axes replaced, at
    position i, by one axis of the D(D+1)/2 pairs c <= d: a product x_c x_d of the data is
    symmetric, so half of it is all there is to multiply (``fold_pairs``, ``unpair_axis``)."""
    a = np.asarray(a)
    i, j = min(i, j), max(i, j)
    D = a.shape[i]
    iu = np.triu_indices(D)
    if j == i + 1:                       # adjacent axes: one gather on their flattened pair
        flat = a.reshape(a.shape[:i] + (D * D,) + a.shape[j + 1:])
        return np.take(flat, iu[0] * D + iu[1], axis=i)
    a = np.moveaxis(a, (i, j), (0, 1))
    return np.moveaxis(a[iu], 0, i)


def fold_pairs(w: np.ndarray) -> np.ndarray:
    """Weights on the last two axes (c, d) folded onto the pairs c <= d of ``pair_axes``:
    w[c, d] + w[d, c] off the diagonal, w[c, c] on it, so that sum_{c,d} F[c,d] w[c,d] =
    sum_{c<=d} F[c,d] fold(w)[c,d] for a symmetric F."""
    w = np.asarray(w, dtype=float)
    iu = np.triu_indices(w.shape[-1])
    both = w + np.swapaxes(w, -1, -2)
    return np.where(iu[0] == iu[1], 0.5, 1.0) * both[..., iu[0], iu[1]]


def unpair_axis(t: np.ndarray, i: int, D: int) -> np.ndarray:
    """The inverse of ``pair_axes`` for a symmetric result: axis i of pairs becomes axes i, i+1."""
    t = np.moveaxis(np.asarray(t), i, -1)
    out = np.empty(t.shape[:-1] + (D, D))
    iu = np.triu_indices(D)
    out[..., iu[0], iu[1]] = t
    out[..., iu[1], iu[0]] = t
    return np.moveaxis(out, (-2, -1), (i, i + 1))


def feature_stack(parts: list) -> np.ndarray:
    """Data features stacked feature-major: ``parts`` are (array, nY) with the array's first nY axes
    contracted ones (each of their entries a feature) and the rest the data axes; nY = 0 is one
    feature.  Returns (features, *data axes), broadcast to the common data shape."""
    shape = np.broadcast_shapes(*[np.shape(a)[k:] for a, k in parts])
    rows = [np.broadcast_to(a, np.shape(a)[:k] + shape).reshape((int(np.prod(np.shape(a)[:k])),) + shape)
            for a, k in parts]
    return np.ascontiguousarray(np.concatenate(rows, 0))


def weight_stack(parts: list, nB: int) -> np.ndarray:
    """State weights matching ``feature_stack``: ``parts`` are (array (Z, B..., Y...), nY); returns
    (Z, B..., features) with each part's Y axes flattened in the same order as its features."""
    lead = np.broadcast_shapes(*[np.shape(w)[:1 + nB] for w, _ in parts])
    cols = [np.broadcast_to(w, lead + np.shape(w)[1 + nB:]).reshape(lead + (int(np.prod(np.shape(w)[1 + nB:])),)) if k else
            np.broadcast_to(w, lead)[..., None] for w, k in parts]
    return np.concatenate(cols, -1)


def features_times(spec: str, F: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``einsum(spec, F, W)`` for ``spec = 'YA,ZBY->out'``: data features F[Y, A...] (stored
    feature-major, so each feature is contiguous over the data) times state weights W[Z, B..., Y],
    summed over the features Y, as one matrix product."""
    ins, out = spec.split("->")
    fa, wa = ins.split(",")
    A, B = fa[1:], wa[:-1]
    Y = F.shape[0]
    prod = (W.reshape(-1, Y) @ F.reshape(Y, -1)).reshape(W.shape[:-1] + F.shape[1:])   # axes Z, B..., A...
    have = B + A
    order = [have.index(ch) for ch in out]
    return prod if order == sorted(order) else np.transpose(prod, order)
