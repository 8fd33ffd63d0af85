"""Brute-force complete conditionals, for checking the engine by independent means."""

from __future__ import annotations

import numpy as np
from scipy import integrate

from lvmdsl.graph.validate import bind_data, log_joint


def quadrature_moments(model, env: dict, name: str, index: tuple, lo: float, hi: float, points=None):
    """Mean and variance of one scalar element of ``name`` under prior x likelihood, by quadrature.

    The unnormalised density is the model's numeric log-joint with that element varied and the
    rest of ``env`` fixed: no derived formula is involved.
    """
    env, sizes = bind_data(model, env)
    base = np.array(env[name], dtype=float, copy=True)

    def logp(t):
        vals = dict(env)
        arr = base.copy()
        arr[index] = t
        vals[name] = arr
        return log_joint(model, vals, sizes)

    grid = np.linspace(lo, hi, 4001)
    lp = np.array([logp(t) for t in grid])
    shift = lp.max()
    f = lambda t: np.exp(logp(t) - shift)  # noqa: E731
    z = integrate.quad(f, lo, hi, points=points, limit=200, epsabs=0, epsrel=1e-10)[0]
    m1 = integrate.quad(lambda t: t * f(t), lo, hi, points=points, limit=200, epsabs=0, epsrel=1e-10)[0] / z
    m2 = integrate.quad(lambda t: (t - m1) ** 2 * f(t), lo, hi, points=points, limit=200, epsabs=0, epsrel=1e-10)[0] / z
    return m1, m2
