"""Pointwise log-likelihoods and discrete-latent posteriors under each posterior draw.

For an observed variable x and a draw theta^(s) of the unknowns, the pointwise log-likelihood
is log p(x_i | theta^(s)) for every element i of x's plates.  When x reads a discrete local
latent z (a mixture's allocation, ``Normal(mu[z], ...)`` with z in x's first plates), z is
marginalised as the E-step does:

    log p(x_n | theta) = log sum_k p(z_n = k | theta) p(x_n | z_n = k, theta)

(the sum over k in log-sum-exp form), with the elements of x in further plates (x[n, d])
summed inside each k, so the pointwise axes are z's plates.  This is what ``az.loo`` and
``az.waic`` need: the predictive density of a new point does not know its allocation.
Continuous latents are not integrated out; the log-likelihood is then conditional on their
draws (say so when comparing such models).

The posterior of z at (new) points, p(z_n = k | x_n, theta) proportional to
p(z_n = k | theta) prod_c p(c_n | z_n = k, theta) over z's observed children c, averaged over
draws, is ``latent_probabilities``.  Both use the batched numeric lowering (draws on the
leading axis), independent of the generated sampler code.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from ..frontend.expr import ModelError
from ..graph.model_graph import references
from ..symbolic.lower import param_event_shapes
from .batched import batched_params

CHUNK = 256


def marginalised_latent(model, name: str):
    """The discrete local latent that observed ``name`` reads and that is summed out, or None.

    It must be an unknown with finitely many states whose plates are the leading plates of
    ``name``, and whose own parameters read no unknown of its own data plate."""
    v = model.variables[name]
    for r in references(v):
        u = model.variables.get(r.name)
        if u is None or u.observed or not u.is_discrete or not u.plates:
            continue
        if tuple(v.plates[:len(u.plates)]) != tuple(u.plates):
            continue
        if any(q.name in model.variables and not model.variables[q.name].observed and u.plates[0] in q.plates
               for q in references(u)):
            continue
        if n_states(u) is not None:
            return u
    return None


def n_states(u) -> int | None:
    return u.family.finite_support_size(param_event_shapes(u), None)


def _factor(v, env, sizes, batched, b, keep_axes: int) -> np.ndarray:
    """log p(v | parents) per batch member, ``(b, *first keep_axes plates)``."""
    params = batched_params(v, env, sizes, batched, b)
    x = np.asarray(env[v.name], float)
    if v.name not in batched:
        x = x[None]
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = v.family.logpdf(x, params)
    full = (b,) + tuple(sizes[p.name] for p in v.plates)
    lp = np.broadcast_to(lp, full)
    return lp.reshape(full[:1 + keep_axes] + (-1,)).sum(-1)


def state_log_weights(model, u, children: list, env: dict, sizes: dict, chunk: dict, b: int) -> np.ndarray:
    """log p(z = k | theta) + sum_c log p(c | z = k, theta) for each state k: ``(K, b, *z plates)``."""
    K = n_states(u)
    shape = (b,) + tuple(sizes[p.name] for p in u.plates)
    batched = set(chunk) | {u.name}
    out = np.empty((K,) + shape)
    for k in range(K):
        zk = np.full(shape, k, dtype=np.intp)
        envk = {**env, **chunk, u.name: zk}
        total = _factor(u, envk, sizes, batched, b, len(u.plates))
        for c in children:
            total = total + _factor(model.variables[c], envk, sizes, batched, b, len(u.plates))
        out[k] = total
    return out


def pointwise_loglik(model, env: dict, sizes: dict, flat: dict, names: list) -> dict:
    """``{name: (B, *dims)}`` for each observed ``name``, draws ``flat[name]`` shaped ``(B, ...)``.

    A discrete local latent read by ``name`` is summed out (see the module docstring);
    otherwise unknowns take their drawn values, which must then be in ``flat``."""
    B = len(next(iter(flat.values())))
    out = {}
    for name in names:
        v = model.variables[name]
        u = marginalised_latent(model, name)
        _require(model, v, flat, skip=u.name if u is not None else None)
        parts = []
        for lo in range(0, B, CHUNK):
            chunk = {k: a[lo:lo + CHUNK] for k, a in flat.items() if u is None or k != u.name}
            b = len(next(iter(chunk.values())))
            if u is None:
                parts.append(_factor(v, {**env, **chunk}, sizes, set(chunk), b, len(v.plates)))
            else:
                parts.append(logsumexp(state_log_weights(model, u, [name], env, sizes, chunk, b), axis=0))
        out[name] = np.concatenate(parts)
    return out


def pointwise_dims(model, name: str) -> list[str]:
    """The plates the pointwise log-likelihood of ``name`` runs over."""
    u = marginalised_latent(model, name)
    return [p.name for p in (u if u is not None else model.variables[name]).plates]


def local_discrete_latents(model) -> list:
    """Discrete unknowns in a plate that some observed variable marginalises (mixture allocations)."""
    out = []
    for v in model.observed:
        u = marginalised_latent(model, v.name)
        if u is not None and u not in out:
            out.append(u)
    return out


def latent_probabilities(model, u, env: dict, sizes: dict, flat: dict) -> np.ndarray:
    """p(z_n = k | x_n, theta) averaged over the draws in ``flat``: ``(*z plates, K)``.

    Every observed child of z in z's plates enters (a new point's full row of data)."""
    children = [c.name for c in model.observed if marginalised_latent(model, c.name) is u]
    missing = [c for c in children if c not in env]
    if missing:
        raise ModelError(f"the posterior of {u.name!r} at new points needs its observed children "
                         f"{', '.join(map(repr, missing))} in the new data")
    for c in children:
        _require(model, model.variables[c], flat, skip=u.name)
    B = len(next(iter(flat.values())))
    total = None
    for lo in range(0, B, CHUNK):
        chunk = {k: a[lo:lo + CHUNK] for k, a in flat.items() if k != u.name}
        b = len(next(iter(chunk.values())))
        w = state_log_weights(model, u, children, env, sizes, chunk, b)
        w = np.exp(w - logsumexp(w, axis=0)).sum(axis=1)          # (K, *plates), summed over draws
        total = w if total is None else total + w
    return np.moveaxis(total / B, 0, -1)


def _require(model, v, flat, skip=None):
    missing = sorted({r.name for r in references(v) if r.name in model.variables and r.name != skip
                      and not model.variables[r.name].observed and r.name not in flat})
    if missing:
        raise ModelError(f"the likelihood of {v.name!r} needs draws of {', '.join(missing)}, which keep= left out; "
                         "keep them to compute it")
