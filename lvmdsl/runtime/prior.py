"""Draws from the prior and the prior predictive, many at once (the draw axis leads).

Ancestral sampling in declaration order (a variable can only read variables declared before
it): each variable's parameters are lowered with the batched numeric backend under the draws of
its parents, then one value per draw is drawn from its family.  Unknowns form the ``prior``
group, observed variables the ``prior_predictive`` group; constants keep their values.
Every draw goes through the caller's Generator.
"""

from __future__ import annotations

import numpy as np

from ..frontend.expr import ModelError
from ..graph.validate import bind_data, prepare
from .batched import batched_params


def sample_prior_batched(model, env: dict, sizes: dict, draws: int, rng: np.random.Generator) -> dict:
    """``{name: (draws, *plates, *event)}`` for every variable of ``model`` (observed ones too)."""
    consts = {k: v for k, v in env.items() if k in model.consts}
    from ..families.flat import Flat
    flat = [v.name for v in model.unknowns if isinstance(v.family, Flat)]
    if flat:
        raise ModelError(f"{', '.join(map(repr, flat))} {'is a Param' if len(flat) == 1 else 'are Params'} without "
                         "a prior, so there is no prior to draw from; declare a prior to sample the prior predictive")
    state: dict = {}
    for v in model.variables.values():
        missing = [p.name for p in v.plates if p.name not in sizes]
        if missing:
            size = v.plates[[p.name for p in v.plates].index(missing[0])].size
            raise ModelError(f"the size of plate {missing[0]!r} of {v.name!r} is unknown: give data for a variable "
                             f"in it, or sizes={{{size!r}: ...}}")
        with np.errstate(all="ignore"):
            params = batched_params(v, {**consts, **state}, sizes, set(state), draws)
            shape = (draws,) + tuple(sizes[p.name] for p in v.plates)
            x = np.asarray(v.family.sample(rng, params, shape))
        state[v.name] = x.astype(np.intp) if v.is_discrete else x.astype(float)
    return state


def resolve_sizes(model, data, sizes: dict | None):
    """Bound data (constants, observed values if given) and plate sizes, ``sizes`` filling the rest."""
    prepare(model)
    env, found = bind_data(model, data, require_observed=False)
    found = dict(found)
    for key, n in (sizes or {}).items():
        if int(n) != n or n < 1:
            raise ModelError(f"sizes[{key!r}]={n!r} must be a positive integer")
        for p in model.plates.values():
            if p.size == key or p.name == key:
                if p.name in found and found[p.name] != n:
                    raise ModelError(f"sizes[{key!r}]={n} disagrees with the data, which make plate {p.name!r} "
                                     f"{found[p.name]} long")
                found[p.name] = int(n)
                if isinstance(p.size, str):
                    found[p.size] = int(n)
    return env, found


def prior_predictive(model, data=None, draws: int = 500, seed=0, sizes: dict | None = None):
    """Draws of every unknown from its prior and of the observed variables given them, as ArviZ
    ``InferenceData`` with groups ``prior``, ``prior_predictive`` (and ``observed_data`` and
    ``constant_data`` when ``data`` gives them).

    ``data`` supplies constants and fixes plate sizes (observed values only set sizes here);
    ``sizes={"N": 100}`` sets a plate size that no data gives.
    """
    from .arviz_export import prior_groups, to_inference_data

    if int(draws) != draws or draws < 1:
        raise ModelError(f"draws={draws!r} must be a positive integer")
    env, found = resolve_sizes(model, data, sizes)
    rng = np.random.default_rng(seed)
    state = sample_prior_batched(model, env, found, int(draws), rng)
    groups = prior_groups(model, state)
    observed = {v.name: env[v.name] for v in model.observed if v.name in env}
    consts = {c: env[c] for c in model.consts}
    from ..frontend.data import data_labels
    return to_inference_data(model, found, groups, observed, consts, data_labels(model, data))
