"""Brute-force complete conditionals, for checking the engine by independent means."""

from __future__ import annotations

import numpy as np
from scipy import integrate

from lvmdsl.graph.validate import bind_data, log_joint


def quadrature_moments(model, env: dict, name: str, index: tuple, lo: float, hi: float, points=None):
    """Mean and variance of one scalar element of ``name`` under prior x likelihood, by quadrature.

    The unnormalised density is the model's numeric log-joint with that element varied and the
    rest of ``env`` fixed: no derived formula is involved.  ``lo``/``hi`` may be infinite; the
    integral is split at ``points`` (a point of high density), which also sets the scale.
    """
    env, sizes = bind_data(model, env)
    base = np.array(env[name], dtype=float, copy=True)

    def logp(t):
        vals = dict(env)
        arr = base.copy()
        arr[index] = t
        vals[name] = arr
        with np.errstate(all="ignore"):
            v = log_joint(model, vals, sizes)
        return v if np.isfinite(v) else -np.inf      # boundary points (0 * log 0) carry no mass

    centre = points[0] if points else 0.5 * (lo + hi)
    shift = logp(centre)
    f = lambda t: np.exp(logp(t) - shift)  # noqa: E731

    def integral(g):
        parts = [(lo, centre), (centre, hi)]
        return sum(integrate.quad(g, a, b, limit=400, epsabs=0, epsrel=1e-11)[0] for a, b in parts)

    z = integral(f)
    m1 = integral(lambda t: t * f(t)) / z
    m2 = integral(lambda t: (t - m1) ** 2 * f(t)) / z
    return m1, m2
