"""Ancestral sampling: draw every variable from its prior given its parents, in declaration order.

Used for initial values, for the states at which ``lv.verify`` checks conditionals, and for the
joint-distribution and calibration tests.  Every draw goes through the caller's Generator.
"""

from __future__ import annotations

import numpy as np

from ..frontend.model import Model
from ..graph.validate import evaluate_params, prepare


def plate_shape(v, sizes: dict) -> tuple:
    return tuple(sizes[p.name] for p in v.plates)


def sample_prior(model: Model, rng: np.random.Generator, sizes: dict, fixed: dict | None = None) -> dict:
    """A joint draw of all variables; names in ``fixed`` (data, constants) keep their values."""
    prepare(model)
    env = {c.name: np.asarray(c.value) for c in model.consts.values() if c.value is not None}
    env.update(fixed or {})
    full_sizes = dict(sizes)
    for p in model.plates.values():
        if isinstance(p.size, int):
            full_sizes.setdefault(p.name, p.size)
        elif p.name not in full_sizes and p.size in full_sizes:
            full_sizes[p.name] = full_sizes[p.size]
    for v in model.variables.values():
        if v.name in env:
            continue
        params = evaluate_params(v, env, full_sizes)
        env[v.name] = np.asarray(v.family.sample(rng, params, plate_shape(v, full_sizes)))
    return env
