"""Whole-plate numeric evaluation with a leading batch axis (chains, or draws).

``BatchedBackend`` is the numpy lowering of ``lvmdsl.symbolic.lower`` with one extra leading
axis: unknowns carry it (one value per chain or per posterior draw), data does not.  It gives
the log-joint per chain (``lp`` in the sample stats), the parameters of observed variables under
each draw (posterior predictive) and draws of them.  It is independent of the generated code.
"""

from __future__ import annotations

import numpy as np

from ..frontend.model import Model, RandomVariable
from ..symbolic.lower import NumpyBackend


class BatchedBackend(NumpyBackend):
    """NumpyBackend whose values have a leading batch axis when their name is in ``batched``."""

    def __init__(self, plates, owner, env: dict, sizes: dict, batched: set[str], B: int):
        super().__init__(plates, owner, env, sizes)
        self.batched, self.B = set(batched), B
        self.c = len(self.plates) + 1

    def plate_index(self, p):
        i = self.plates.index(p) + 1
        shape = [1] * self.c
        shape[i] = self.sizes[p.name]
        return np.arange(shape[i]).reshape(shape), 0

    def leading_indices(self, obj) -> list:
        if obj.name in self.batched:
            return [np.arange(self.B).reshape((self.B,) + (1,) * (self.c - 1))]
        return []


def batched_params(v: RandomVariable, env: dict, sizes: dict, batched: set[str], B: int) -> dict:
    """Canonical parameters of ``v`` for every batch member: arrays ``(B or 1, *plates, *event)``."""
    low = BatchedBackend(v.plates, v.name, env, sizes, batched, B)
    return {k: low.lower(e)[0] for k, e in v.params.items()}


def batched_log_joint(model: Model, env: dict, sizes: dict, batched: set[str], B: int,
                      names: list | None = None) -> np.ndarray:
    """The log-joint density for each batch member, shape ``(B,)`` (only the factors of the
    variables ``names`` when given: a Markov blanket)."""
    total = np.zeros(B)
    for v in model.variables.values():
        if names is not None and v.name not in names:
            continue
        params = batched_params(v, env, sizes, batched, B)
        x = np.asarray(env[v.name], dtype=float)
        if v.name not in batched:
            x = x[None]
        lp = v.family.logpdf(x, params)
        total = total + np.broadcast_to(lp, (B,) + lp.shape[1:]).reshape(B, -1).sum(axis=1)
    return total
