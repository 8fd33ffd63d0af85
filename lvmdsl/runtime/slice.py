"""Univariate slice sampling (stepping out, then shrinkage), vectorised over elements and chains.

Each entry of ``x`` has its own slice and interval; all entries move at once, which is valid
when their conditionals are independent given the rest (``logp`` returns one log-density per
entry).  Stepping out and shrinkage follow Neal (2003, sections 4.1 and 4.2): the interval is
placed at random around the current point, extended by ``w`` until both ends leave the slice
(at most ``max_steps`` times), and shrunk towards the current point after each rejection.
"""

from __future__ import annotations

import numpy as np


def slice_step(logp, x: np.ndarray, w: np.ndarray, rng: np.random.Generator, max_steps: int = 50,
               max_shrink: int = 200) -> tuple[np.ndarray, int]:
    """One slice update of every entry of ``x``; returns the new values and log-density calls."""
    x = np.asarray(x, dtype=float)
    w = np.broadcast_to(w, x.shape)
    calls = 1
    level = logp(x) - rng.exponential(size=x.shape)
    left = x - w * rng.random(x.shape)
    right = left + w
    j = np.floor(max_steps * rng.random(x.shape))
    k = max_steps - 1 - j
    for _ in range(max_steps):
        grow = (j > 0) & (logp(left) > level)
        calls += 1
        if not grow.any():
            break
        left = np.where(grow, left - w, left)
        j = j - grow
    for _ in range(max_steps):
        grow = (k > 0) & (logp(right) > level)
        calls += 1
        if not grow.any():
            break
        right = np.where(grow, right + w, right)
        k = k - grow
    new = x.copy()
    todo = np.ones(x.shape, dtype=bool)
    for _ in range(max_shrink):
        prop = np.where(todo, left + (right - left) * rng.random(x.shape), x)
        ok = todo & (logp(prop) > level)
        calls += 1
        new = np.where(ok, prop, new)
        todo = todo & ~ok
        if not todo.any():
            break
        left = np.where(todo & (prop < x), prop, left)
        right = np.where(todo & (prop >= x), prop, right)
    return new, calls
