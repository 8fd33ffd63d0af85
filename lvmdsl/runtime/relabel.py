"""Post-hoc relabelling of a mixture's draws: every draw's components matched to one pivot.

A mixture's posterior is invariant under permutations of its components, so a draw's labels
carry no meaning of their own.  To summarise component k we put every draw in one labelling:

1. each draw s is described per component j by a feature vector f_s(j): the values of every
   unknown the latent selects (``mu[j]``, ``tau[j]``, ``pi[j]``), each coordinate divided by its
   standard deviation over all draws and components (so no unit dominates);
2. the pivot starts as the draw of highest log-joint (``lp``) and is then the mean of the
   relabelled features, repeated until no draw changes its permutation (at most ``ROUNDS``
   rounds), the k-means-like fixed point of Stephens' (2000) relabelling with squared distance;
3. each draw takes the permutation sigma_s minimising sum_j ||f_s(j) - pivot(sigma_s(j))||^2
   (an assignment problem: all K! permutations at once for K <= 6, otherwise the Hungarian
   algorithm, ``scipy.optimize.linear_sum_assignment``);
4. the labels are then numbered in the order of the pivot's locations (the first coordinate of
   the first component array on a plate, e.g. ``mu``), as the Gibbs mixture start numbers them.

Component arrays are permuted on their component axis; the latent's draws are mapped z -> sigma(z).
"""

from __future__ import annotations

import copy
import itertools

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..frontend.expr import ModelError

ROUNDS = 20
ENUMERATE_UP_TO = 6


def _raw_features(draws: dict, comps: dict, K: int) -> np.ndarray:
    """``(B, K, f)``: per flattened draw and component, the values of every component array."""
    cols = []
    for c, axis in sorted(comps.items()):
        if c not in draws:
            continue
        x = np.asarray(draws[c], float)
        x = np.moveaxis(x.reshape((-1,) + x.shape[2:]), 1 + axis, 1)
        cols.append(x.reshape(x.shape[0], K, -1))
    if not cols:
        raise ModelError("relabelling needs draws of the components; keep= left them all out")
    return np.concatenate(cols, axis=2)


def _scale(F: np.ndarray) -> np.ndarray:
    sd = F.reshape(-1, F.shape[2]).std(0)
    return np.where(sd > 0, sd, 1.0)


def best_permutations(F: np.ndarray, pivot: np.ndarray) -> np.ndarray:
    """``perm[s, j]``: the label of draw s's component j that brings it closest to ``pivot``."""
    B, K, _ = F.shape
    cost = ((F[:, :, None, :] - pivot[None, None]) ** 2).sum(-1)          # (B, j, k)
    if K <= ENUMERATE_UP_TO:
        perms = np.array(list(itertools.permutations(range(K))))          # (P, K)
        total = cost[:, np.arange(K)[None], perms].sum(-1)                # (B, P)
        return perms[total.argmin(1)]
    out = np.empty((B, K), dtype=np.intp)
    for s in range(B):
        rows, cols = linear_sum_assignment(cost[s])
        out[s, rows] = cols
    return out


def _apply(F: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """Features with draw s's component j moved to position perm[s, j]."""
    out = np.empty_like(F)
    np.put_along_axis(out, perm[:, :, None], F, axis=1)
    return out


def relabelling(draws: dict, comps: dict, K: int, lp: np.ndarray | None = None, pivot=None,
                location: str | None = None):
    """The permutation of each draw, ``(chains, draws, K)`` (see the module docstring).

    ``pivot``: a ``{component name: values}`` reference labelling (e.g. the truth, or one chain's
    mean); by default the draw of highest ``lp``, refined to the mean as described above, with
    the labels then numbered in the order of the pivot's ``location`` component (its first
    coordinate), as the Gibbs mixture start numbers them."""
    raw = _raw_features(draws, comps, K)
    sd = _scale(raw)
    F = raw / sd
    shape = next(iter(draws[c] for c in comps if c in draws)).shape[:2]
    if pivot is not None:
        used = [c for c in sorted(comps) if c in draws]
        if set(used) - set(pivot):
            raise ModelError(f"the pivot needs values of {', '.join(sorted(set(used) - set(pivot)))}")
        P = np.concatenate([np.moveaxis(np.asarray(pivot[c], float), comps[c], 0).reshape(K, -1)
                            for c in used], axis=1) / sd
        return best_permutations(F, P).reshape(shape + (K,))
    start = int(np.argmax(lp.reshape(-1))) if lp is not None else 0
    P = F[start]
    perm = None
    for _ in range(ROUNDS):
        new = best_permutations(F, P)
        if perm is not None and np.array_equal(new, perm):
            break
        perm = new
        P = _apply(F, perm).mean(0)
    rank = np.empty(K, dtype=np.intp)               # labels in the order of the pivot's locations
    rank[np.argsort(P[:, _location_column(draws, comps, K, location)], kind="stable")] = np.arange(K)
    return rank[perm].reshape(shape + (K,))


def _location_column(draws: dict, comps: dict, K: int, location: str | None) -> int:
    """The feature column holding the first coordinate of component array ``location``."""
    col = 0
    for c in sorted(comps):
        if c not in draws:
            continue
        if c == location:
            return col
        col += int(np.prod(np.shape(draws[c])[2:])) // K
    return 0


def permute_draws(draws: dict, comps: dict, z: str, perm: np.ndarray) -> dict:
    """The draws with each draw's components moved to their new labels and z mapped through perm."""
    out = dict(draws)
    for c, axis in comps.items():
        if c not in draws:
            continue
        x = np.moveaxis(np.asarray(draws[c]), 2 + axis, 2)
        idx = perm.reshape(perm.shape + (1,) * (x.ndim - 3))
        new = np.empty_like(x)
        np.put_along_axis(new, np.broadcast_to(idx, x.shape), x, axis=2)
        out[c] = np.moveaxis(new, 2, 2 + axis)
    if z in draws:
        zz = np.asarray(draws[z])
        flat_perm = perm.reshape((-1, perm.shape[-1]))
        flat_z = zz.reshape((zz.shape[0] * zz.shape[1], -1))
        out[z] = np.take_along_axis(flat_perm, flat_z, axis=1).reshape(zz.shape).astype(zz.dtype)
    return out


def ordering(draws: dict, comps: dict, name: str, K: int) -> np.ndarray:
    """The permutation that sorts each draw's components by the first coordinate of ``name``
    (an ordering constraint such as mu_1 < mu_2 < ... imposed after sampling), ``(chains, draws, K)``."""
    x = np.moveaxis(np.asarray(draws[name], float), 2 + comps[name], 2)
    key = x.reshape(x.shape[:2] + (K, -1))[..., 0]
    perm = np.empty(key.shape, dtype=np.intp)
    np.put_along_axis(perm, np.argsort(key, axis=2, kind="stable"), np.arange(K), axis=2)
    return perm


def relabel_result(res, pivot=None, order: str | None = None):
    """A copy of a ``GibbsResult`` whose draws are in one labelling per mixture latent: by
    assignment to a pivot (default), or sorted by the component ``order`` names."""
    from .pointwise import n_states
    from .results import labelled_by

    comps_by_latent = labelled_by(res.model)
    if not comps_by_latent:
        raise ModelError(f"model {res.model.name!r} has no discrete latent that selects components; "
                         "there is nothing to relabel")
    draws = dict(res.draws)
    lp = res.sample_stats.get("lp") if res.sample_stats else None
    for z, comps in comps_by_latent.items():
        K = n_states(res.model.variables[z])
        if order is not None:
            if order not in comps or order not in draws:
                raise ModelError(f"order={order!r} must name a component that {z!r} selects and whose draws were "
                                 f"kept (those are {', '.join(c for c in sorted(comps) if c in draws)})")
            perm = ordering(draws, comps, order, K)
        else:
            located = [c for c in res.model.variables if c in comps and comps[c] < len(res.model.variables[c].plates)]
            perm = relabelling(draws, comps, K, lp, pivot, located[0] if located else None)
        draws = permute_draws(draws, comps, z, perm)
    out = copy.copy(res)
    out.draws = draws
    out.prior_state = res.prior_state
    return out
