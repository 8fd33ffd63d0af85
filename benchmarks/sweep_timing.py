"""Seconds per Gibbs sweep of a compiled program, one chain: shared by the Gibbs benchmarks."""

from __future__ import annotations

import time

import numpy as np


def sweep_seconds(derivation, data: dict, sweeps: int) -> float:
    """Mean time of one sweep of the generated sampler (compiled and bound outside the timing)."""
    from lvmdsl.runtime.gibbs import GibbsProgram
    from lvmdsl.runtime.initial import initial_state
    prog = GibbsProgram(derivation, data, 1)
    S = initial_state(prog.model, prog.env, prog.sizes, 1, np.random.default_rng(1), None)
    g = np.random.default_rng(2)
    t0 = time.perf_counter()
    for i in range(sweeps):
        prog.sweep(S, g, i)
    return (time.perf_counter() - t0) / sweeps
