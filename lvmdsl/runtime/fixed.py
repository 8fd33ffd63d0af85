"""Fixed parameters of a complete conditional: what its natural parameters do not determine.

A family such as PolyaGamma (shape b) or TruncatedNormal (bounds) has parameters that stay as
the prior gives them in every conditional; the generic rule computes only the natural
parameters.  ``fixed_values`` evaluates the fixed ones over the target's plates for the Gibbs
draws and the EM E-steps (with a leading chain axis when they read an unknown).
"""

from __future__ import annotations

import numpy as np

from .batched import BatchedBackend


def has_fixed(family) -> bool:
    """Whether draws from this family's conditional need parameters beyond the natural ones."""
    return bool(getattr(family, "fixed_params", ())) and family.support.kind not in ("binary", "category") \
        and not family.support.discrete


def fixed_values(v, env: dict, sizes: dict, state: dict, B: int) -> dict:
    """{name: array (B or 1, *plates)} of ``v``'s fixed parameters at the state ``state``."""
    low = BatchedBackend(v.plates, v.name, {**env, **state}, sizes, set(state), B)
    return {k: np.asarray(low.lower(v.params[k])[0], float) for k in v.family.fixed_params}
