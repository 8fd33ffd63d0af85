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
    """Whether draws from this family's conditional need parameters beyond the natural ones (and
    its sampler takes them: families such as Binomial or Pareto are never drawn this way)."""
    import inspect
    return bool(getattr(family, "fixed_params", ())) and \
        "fixed" in inspect.signature(family.sample_natural).parameters


def fixed_values(v, env: dict, sizes: dict, state: dict, B: int) -> dict:
    """{name: array (B or 1, *plates)} of ``v``'s fixed parameters at the state ``state``."""
    low = BatchedBackend(v.plates, v.name, {**env, **state}, sizes, set(state), B)
    return {k: np.asarray(low.lower(v.params[k])[0], float) for k in v.family.fixed_params}
