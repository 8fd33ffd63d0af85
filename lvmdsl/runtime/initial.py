"""Initial values for the chains: the user's, or the prior's centre jittered per chain.

As in JAGS, a continuous unknown starts at the mean of its prior given its parents' starting
values, moved by a random amount per chain and element so that chains start apart (as R-hat
needs): real values by u * sd (u uniform on (-1, 1), the sd capped at BOUND), positive ones by a
factor exp(u / 2), unit-interval ones by u on the logit scale, simplex and positive-definite ones
by factors exp(u / 2) (renormalised).  Starting from prior *draws* instead can strand a chain:
under a vague ``Gamma(0.001, 0.001)`` a precision draw is below 1e-100 with probability about
0.2, and a growth-curve chain started at such a value stayed at sigma = 1600 against the
posterior's 6.1 (R-hat did not notice).  Discrete unknowns (whose mean is not a state), and
priors without a finite mean, start from a prior draw, clipped for reals to
``[-BOUND, BOUND]`` and for positive values to ``[1/BOUND, BOUND]``.
A user's value outside the support is an error naming the variable.
"""

from __future__ import annotations

import numpy as np

from ..frontend.expr import ModelError
from .arguments import init_array
from ..frontend.model import Model
from ..graph.validate import _SUPPORT_CHECKS, evaluate_params

BOUND = 1e8


def _clip(v, x: np.ndarray) -> np.ndarray:
    kind = v.family.support.kind
    if kind == "positive":
        return np.clip(x, 1 / BOUND, BOUND)
    if kind in ("real", "real_vector"):
        return np.clip(x, -BOUND, BOUND)
    if kind == "unit":
        return np.clip(x, 1e-12, 1 - 1e-12)
    return x


def _centre(v, params: dict, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """The prior's mean jittered per element (see the module docstring), or a clipped prior draw."""
    kind = v.family.support.kind
    full = shape + tuple(v.event_shape)
    draw = _clip(v, np.asarray(v.family.sample(rng, params, shape), dtype=float if not v.is_discrete else None))
    if v.is_discrete or kind not in ("real", "real_vector", "positive", "unit", "simplex", "positive_definite"):
        return draw
    with np.errstate(all="ignore"):
        mean = np.asarray(v.family.mean(params), dtype=float)
    if mean.shape != full:
        try:
            mean = np.broadcast_to(mean, full)
        except ValueError:
            return draw
    if not np.all(np.isfinite(mean)) or not in_support(v, mean):
        return draw
    if kind in ("positive_definite",):
        u = rng.uniform(-1, 1, shape + (1, 1))
    elif kind == "simplex":
        u = rng.uniform(-1, 1, full)
    else:
        u = rng.uniform(-1, 1, full)
    if kind in ("real", "real_vector"):
        with np.errstate(all="ignore"):
            sd = np.sqrt(np.asarray(v.family.var(params), dtype=float))
        if sd.shape != full:
            sd = np.broadcast_to(sd, full) if sd.ndim <= len(full) else np.ones(full)
        sd = np.where(np.isfinite(sd), np.minimum(sd, 1.0), 1.0)
        return np.clip(mean + u * sd, -BOUND, BOUND)
    if kind == "positive":
        return np.clip(mean * np.exp(u / 2), 1 / BOUND, BOUND)
    if kind == "unit":
        logit = np.log(mean) - np.log1p(-mean) + u
        return np.clip(1 / (1 + np.exp(-logit)), 1e-12, 1 - 1e-12)
    if kind == "simplex":
        w = mean * np.exp(u / 2)
        return w / w.sum(-1, keepdims=True)
    return mean * np.exp(u / 2)                      # positive definite: a positive multiple of the mean


def in_support(v, x: np.ndarray, params: dict | None = None) -> bool:
    """Whether every entry of ``x`` lies in ``v``'s support (parameter-dependent supports too)."""
    kind = v.family.support.kind
    if not np.all(np.isfinite(x)):
        return False
    if kind in _SUPPORT_CHECKS:
        return bool(np.all(_SUPPORT_CHECKS[kind](x)))
    if kind == "simplex":
        return bool(np.all(x > 0) and np.allclose(x.sum(-1), 1))
    if kind == "positive_definite":
        return bool(np.allclose(x, np.swapaxes(x, -1, -2)) and np.all(np.linalg.eigvalsh(x) > 0))
    if params is not None and kind in ("interval", "above_scale"):
        return bool(np.all(v.family.in_support(x, params)))
    return True


def initial_state(model: Model, env: dict, sizes: dict, chains: int, rng: np.random.Generator,
                  init: dict | None) -> dict:
    """Values of every unknown with a leading chain axis, ``{name: (chains, *plates, *event)}``."""
    init = dict(init or {})
    unknown = {v.name for v in model.unknowns}
    for name in init:
        if name not in unknown:
            raise ModelError(f"init gives {name!r}, which is not an unknown of model {model.name!r} "
                             f"(the unknowns are {', '.join(sorted(unknown))})")
    per_chain = []
    for c in range(chains):
        state = dict(env)
        for v in model.variables.values():
            if v.name in env:
                continue
            params = evaluate_params(v, state, sizes)
            shape = tuple(sizes[p.name] for p in v.plates)
            if v.name in init:
                x = _user_value(v, init[v.name], chains, c, shape)
                if not in_support(v, x, params):
                    raise ModelError(f"the initial value of {v.name!r} is outside the support of "
                                     f"{v.family.name}: each value must be {v.family.support.describe()}")
            else:
                x = _centre(v, params, shape, rng)
            state[v.name] = x
        per_chain.append(state)
    out = {}
    for v in model.unknowns:
        vals = np.stack([np.asarray(s[v.name]) for s in per_chain])
        out[v.name] = vals.astype(np.intp) if v.is_discrete else vals.astype(float)
    return out


def _user_value(v, value, chains: int, c: int, plate_shape: tuple) -> np.ndarray:
    arr = init_array(v.name, value)
    want = plate_shape + tuple(v.event_shape)
    if arr.shape == (chains,) + want:
        return arr[c]
    try:
        return np.broadcast_to(arr, want).copy()
    except ValueError:
        raise ModelError(f"the initial value of {v.name!r} has shape {arr.shape}; it needs {want} "
                         f"(or {(chains,) + want} for one value per chain)") from None


# ---------------------------------------------------------------------------- mixtures: k-means++ starts

def kmeans_plusplus_centres(X: np.ndarray, K: int, rng: np.random.Generator) -> np.ndarray:
    """K centres chosen by scikit-learn's greedy k-means++ (``kmeans_plusplus``: each new centre
    is the best of 2 + log K candidates drawn with probability proportional to D^2, the squared
    distance to the nearest centre chosen so far), seeded from ``rng``."""
    from sklearn.cluster import kmeans_plusplus

    X = np.asarray(X, float)
    if len(X) < K:
        raise ModelError(f"k-means++ needs at least as many data points as components ({K}), got {len(X)}")
    centres, _ = kmeans_plusplus(X, K, random_state=int(rng.integers(2**31 - 1)))
    return centres


def nearest_centre(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for every row of X (squared Euclidean distance): from the
    differences when they fit in memory, else from the expansion |x|^2 - 2 x.c + |c|^2."""
    if X.shape[0] * C.shape[0] * X.shape[1] < 5e7:
        return ((X[:, None, :] - C[None]) ** 2).sum(-1).argmin(1)
    d2 = (X ** 2).sum(1)[:, None] - 2 * X @ C.T + (C ** 2).sum(1)[None]
    return d2.argmin(1)


def mixture_rows(model: Model, env: dict, name: str) -> np.ndarray | None:
    """The data a discrete latent allocates: the observed children of ``name`` that share its
    (single) plate, one row per element; None when there are none."""
    from ..graph.model_graph import ModelGraph
    v = model.variables[name]
    if len(v.plates) != 1:
        return None
    rows = []
    for c in ModelGraph(model).children(name):
        child = model.variables[c]
        if child.observed and child.plates[:1] == v.plates and c in env:
            arr = np.asarray(env[c], float)
            if arr.shape[0] == 0:                # no data points: nothing to allocate
                return None
            rows.append(arr.reshape(arr.shape[0], -1))
    return np.concatenate(rows, axis=1) if rows else None


def mixture_start(program, S: dict, rng: np.random.Generator, init: dict | None) -> list[str]:
    """Start every chain of a mixture in one labelling: allocations from k-means++ centres
    (drawn afresh per chain, so chains still start apart) sorted by their coordinates, then one
    draw of the global unknowns given them.  Components are thus numbered in the order of their
    locations in every chain, which keeps chains from settling on different labellings.

    Applies to each discrete latent that selects components (``labelled_by``) and has observed
    children in its plate, unless ``init`` sets it or one of its components.  Returns the
    latents so started."""
    from .pointwise import n_states
    from .results import labelled_by

    init = init or {}
    started = []
    for z, comps in labelled_by(program.model).items():
        if z in init or any(c in init for c in comps) or not program.d.graph.is_local(z):
            continue
        X = mixture_rows(program.model, program.env, z)
        K = n_states(program.model.variables[z])
        if X is None or not K or len(X) < K:
            continue
        for c in range(S[z].shape[0]):
            C = kmeans_plusplus_centres(X, K, rng)
            C = C[np.lexsort(C.T[::-1])]                 # components in the order of their locations
            S[z][c] = nearest_centre(X, C)
        started.append(z)
    if started:
        for step in program.schedule:                    # the global unknowns given those allocations
            if not program.d.graph.is_local(step.name):
                step.run(S, rng)
    return started
