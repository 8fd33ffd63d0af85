"""An independent Q function for the EM tests: E_q[log p(data, latents, params)] computed with the
numeric log-densities of ``lvmdsl.graph.validate`` (not the generated code).

Discrete latents are enumerated, weighting each state by its responsibility.  Continuous
latents use symmetric sigma points m +- sqrt(L) * chol(S)[:, j], which reproduce the mean and
covariance exactly and therefore give the exact expectation of any log-density that is at most
quadratic in the latent (all the linear-Gaussian models tested).
"""

from __future__ import annotations

import numpy as np

from lvmdsl.graph.validate import bind_data, factor_logpdf


def _plate_sum_to_first(v, lp: np.ndarray, first: str | None) -> np.ndarray:
    """Sum a factor's elementwise log-density over every plate but ``first`` (kept as axis 0)."""
    names = [p.name for p in v.plates]
    if first is not None and names[:1] == [first]:
        return lp.reshape(lp.shape[0], -1).sum(1) if lp.ndim > 1 else lp
    return np.asarray(lp.sum())


def q_value(model, data: dict, params: dict, latent: str, post: dict, kind: str) -> float:
    """Q at ``params`` for one latent with E-step posterior ``post`` (``p`` or ``mean``/``precision``)."""
    env, sizes = bind_data(model, data)
    env.update({k: np.asarray(v, float) for k, v in params.items()})
    lv_ = model.variables[latent]
    first = lv_.plates[0].name if lv_.plates else None
    touching = [latent] + [v.name for v in model.variables.values()
                           if any(r.name == latent for r in _refs(v))]
    total = 0.0
    for v in model.variables.values():
        if v.name not in touching:
            total += float(np.sum(factor_logpdf(v, env, sizes)))
    if kind == "discrete":
        r = np.asarray(post["p"], float)                       # (*plates, K)
        for k in range(r.shape[-1]):
            e = dict(env)
            e[latent] = np.full(r.shape[:-1], k)
            part = sum(_plate_sum_to_first(model.variables[t], factor_logpdf(model.variables[t], e, sizes), first)
                       for t in touching)
            total += float(np.sum(r[..., k] * part))
        return total
    mean = np.asarray(post["mean"], float)
    cov = np.linalg.inv(np.asarray(post["precision"], float))
    L = mean.shape[-1]
    chol = np.linalg.cholesky(cov)
    for j in range(L):
        for sign in (1.0, -1.0):
            e = dict(env)
            e[latent] = mean + sign * np.sqrt(L) * chol[..., :, j]
            part = sum(np.sum(factor_logpdf(model.variables[t], e, sizes)) for t in touching)
            total += float(part) / (2 * L)
    return total


def _refs(v):
    from lvmdsl.graph.model_graph import references
    return [r for r in references(v) if hasattr(r, "family")]


def feasible_directions(value: np.ndarray, kind: str, rng, n: int = 6) -> list[np.ndarray]:
    """Random unit-size directions that keep ``value`` in its domain to first order."""
    out = []
    for _ in range(n):
        d = rng.standard_normal(value.shape)
        if kind == "simplex":
            d = d - d.mean(-1, keepdims=True)
        elif kind == "positive_definite":
            d = (d + np.swapaxes(d, -1, -2)) / 2
        elif kind in ("positive", "unit"):
            d = d * value            # relative moves
        out.append(d / np.max(np.abs(d)))
    return out
