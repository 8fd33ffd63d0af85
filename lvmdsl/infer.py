"""``lv.infer``: derive, compile and run the inference algorithm for a model and its data."""

from __future__ import annotations

import numpy as np

from .derive.derivation import derive
from .frontend.expr import ModelError
from .frontend.model import Model

METHODS = ("gibbs", "em", "ecm", "annealed_em", "online_em", "mcem")


def infer(model: Model, data: dict | None = None, method: str = "gibbs", draws: int = 2000, tune: int = 500,
          chains: int = 4, thin: int = 1, seed=0, init: dict | None = None, progress: bool = True,
          keep=None, strict: bool = False, lp: bool = True, latent=None, params=None, max_iter: int = 500,
          tol: float = 1e-8, restarts: int = 1, anneal=None, batch_size: int = 1000, kappa: float = 0.6,
          chunk: int | None = None, mc_draws: int = 20, mc_burn: int = 5, augment=True):
    """Run inference on ``model`` given ``data``.

    ``method="gibbs"``: a Gibbs sampler assembled from the derived complete conditionals, with
    ``chains`` chains batched in one vectorised sweep; returns a ``GibbsResult``.  ``keep`` lists
    the unknowns whose draws are stored (default: all); ``strict=True`` refuses fallback
    samplers; ``lp=False`` skips the per-draw log-joint in the sample stats.
    ``augment`` chooses the rewrites run before deriving (as in ``lv.derive``): the latent variables
    they add are sampled (or, in EM, averaged over) like any other unknown.
    """
    if method not in METHODS:
        raise ModelError(f"unknown inference method {method!r}; choose one of {', '.join(METHODS)}")
    if method != "gibbs":
        return _infer_em(model, data, method, latent, params, init, max_iter, tol, restarts, seed, progress, anneal,
                         batch_size, kappa, chunk, mc_draws, mc_burn, augment)
    for key, val, low in (("draws", draws, 1), ("chains", chains, 1), ("thin", thin, 1), ("tune", tune, 0)):
        if int(val) != val or val < low:
            raise ModelError(f"{key}={val!r} must be an integer of at least {low}")
    from .runtime.gibbs import GibbsProgram, run_gibbs
    from .runtime.results import GibbsResult

    program = GibbsProgram(derive(model, augment=augment, data=data), data, int(chains), strict=strict)
    out, stats = run_gibbs(program, int(draws), int(tune), int(thin), seed, init, keep, progress, lp=lp)
    return GibbsResult(program, out, stats, seed)


def _infer_em(model, data, method, latent, params, init, max_iter, tol, restarts, seed, progress, anneal,
              batch_size, kappa, chunk, mc_draws=20, mc_burn=5, augment=True):
    """EM and its variants: ``em`` (exact M-step), ``ecm`` (one conditional pass per iteration),
    ``annealed_em`` (tempered E-steps, beta rising to 1), ``online_em`` (minibatches; ``max_iter``
    minibatch steps of ``batch_size`` points, step size (1 + t)^-kappa), ``mcem`` (expectations from
    ``mc_draws`` Gibbs draws of the latents after ``mc_burn`` sweeps, for latents without closed forms)."""
    for key, val, low in (("max_iter", max_iter, 1), ("restarts", restarts, 1)):
        if int(val) != val or val < low:
            raise ModelError(f"{key}={val!r} must be an integer of at least {low}")
    if not (tol > 0):
        raise ModelError(f"tol={tol!r} must be positive")
    from .runtime.em import EMProgram, run_em, run_online_em
    from .runtime.em_results import EMResult

    if method == "mcem":
        from .runtime.mcem import MCEMResult, run_mcem
        d = derive(model, augment=augment, data=data)
        out = run_mcem(d, data, int(restarts), latent, params, init, int(max_iter), float(tol), seed, progress,
                       int(mc_draws), int(mc_burn))
        return MCEMResult(d, out)
    program = EMProgram(derive(model, augment=augment, data=data), data, int(restarts), latent=latent, params=params)
    if method == "online_em":
        out = run_online_em(program, init, int(max_iter), batch_size, kappa, seed, progress)
        return EMResult(program, out, method)
    if method == "annealed_em" and anneal is None:
        anneal = list(np.geomspace(0.05, 1.0, 30)[:-1])
    out = run_em(program, init, int(max_iter), float(tol), seed, progress, exact=(method != "ecm"),
                 anneal=anneal if method == "annealed_em" else None, chunk=chunk)
    return EMResult(program, out, method)
