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
          chunk: int | None = None, mc_draws: int = 20, mc_burn: int = 5):
    """Run inference on ``model`` given ``data``: derive, compile and run the chosen algorithm.

    Common arguments:

    - ``model``: the ``lv.Model``.
    - ``data``: ``{name: array}`` for the observed variables and constants, or a pandas DataFrame
      whose columns are named after them (pandas and xarray labels become ArviZ coordinates); a
      plate whose size is a name (``"N"``) takes it from the data.
    - ``method``: ``"gibbs"`` (default) or one of the EM methods ``"em"``, ``"ecm"``,
      ``"online_em"``, ``"mcem"``, ``"annealed_em"``.
    - ``seed``: seed of the ``numpy.random.Generator`` behind every random draw.
    - ``init``: ``{name: value}`` starting values, one for every chain (or restart), or one per
      chain (restart) on a leading axis; by default Gibbs starts each chain from a prior draw (a
      mixture's chains from k-means++ allocations) and EM from k-means++ or neutral values.
    - ``progress``: show a tqdm progress bar.

    Gibbs sampling (``method="gibbs"``; returns a ``GibbsResult``): a sampler assembled from the
    derived complete conditionals, all chains batched in one vectorised sweep.

    - ``draws`` (2000): kept draws per chain; ``tune`` (500): warm-up sweeps, discarded (the
      slice-sampler widths adapt during them); ``chains`` (4); ``thin`` (1): keep every
      ``thin``-th sweep.
    - ``keep``: names of the unknowns whose draws are stored (default: all).
    - ``strict``: ``True`` refuses slice-sampler fallbacks (an error instead of a ``FallbackWarning``).
    - ``lp``: ``False`` skips the per-draw log-joint in the sample stats.

    EM and its variants (returns an ``EMResult``, or an ``MCEMResult`` for ``"mcem"``):

    - ``latent`` / ``params``: names that override the default split (unknowns inside a data
      plate are latent, the others parameters).
    - ``max_iter`` (500): iterations (minibatch steps for ``"online_em"``); ``tol`` (1e-8): stop
      when the relative change of the log-likelihood falls below it.
    - ``restarts`` (1): starts run together on a batch axis; the best final log-likelihood wins.
    - ``chunk``: E-step chunk size over the data plate (``None``: from a 6 MB budget; ``0``: off).
    - ``batch_size`` (1000), ``kappa`` (0.6): minibatch size and step size (1 + t)^-kappa of
      ``"online_em"``.
    - ``anneal``: inverse temperatures beta before beta = 1 for ``"annealed_em"`` (default 29
      steps rising geometrically from 0.05).
    - ``mc_draws`` (20), ``mc_burn`` (5): Gibbs draws of the latents per E-step, and the sweeps
      discarded before them, for ``"mcem"``.

    Arguments of the other method are ignored.  docs/gibbs.md and docs/em.md give the details.
    """
    from .runtime.user_warnings import at_user_line
    with at_user_line():                      # the library's warnings name the caller's line
        return _infer_gibbs_or_em(model, data, method, draws, tune, chains, thin, seed, init, progress, keep, strict,
                                  lp, latent, params, max_iter, tol, restarts, anneal, batch_size, kappa, chunk,
                                  mc_draws, mc_burn)


def _infer_gibbs_or_em(model, data, method, draws, tune, chains, thin, seed, init, progress, keep, strict, lp, latent,
                       params, max_iter, tol, restarts, anneal, batch_size, kappa, chunk, mc_draws, mc_burn):
    if method not in METHODS:
        raise ModelError(f"unknown inference method {method!r}; choose one of {', '.join(METHODS)}")
    from .frontend.data import as_data_dict, data_labels
    labels = data_labels(model, data)
    data = as_data_dict(data)
    if method != "gibbs":
        res = _infer_em(model, data, method, latent, params, init, max_iter, tol, restarts, seed, progress, anneal,
                        batch_size, kappa, chunk, mc_draws, mc_burn)
        res.coords = labels
        return res
    for key, val, low in (("draws", draws, 1), ("chains", chains, 1), ("thin", thin, 1), ("tune", tune, 0)):
        if int(val) != val or val < low:
            raise ModelError(f"{key}={val!r} must be an integer of at least {low}")
    from .runtime.gibbs import GibbsProgram, run_gibbs
    from .runtime.results import GibbsResult

    program = GibbsProgram(derive(model, engine="index"), data, int(chains), strict=strict)
    out, stats = run_gibbs(program, int(draws), int(tune), int(thin), seed, init, keep, progress, lp=lp)
    res = GibbsResult(program, out, stats, seed)
    res.coords = labels
    return res


def _infer_em(model, data, method, latent, params, init, max_iter, tol, restarts, seed, progress, anneal,
              batch_size, kappa, chunk, mc_draws=20, mc_burn=5):
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
        d = derive(model, engine="element")
        out = run_mcem(d, data, int(restarts), latent, params, init, int(max_iter), float(tol), seed, progress,
                       int(mc_draws), int(mc_burn))
        return MCEMResult(d, out)
    from .runtime.streaming import StreamingEMProgram, has_lazy_data
    kind = StreamingEMProgram if has_lazy_data(data) else EMProgram     # Dask data: streamed by chunks
    program = kind(derive(model, engine="element"), data, int(restarts), latent=latent, params=params)
    if method == "online_em":
        out = run_online_em(program, init, int(max_iter), batch_size, kappa, seed, progress)
        return EMResult(program, out, method)
    if method == "annealed_em" and anneal is None:
        anneal = list(np.geomspace(0.05, 1.0, 30)[:-1])
    out = run_em(program, init, int(max_iter), float(tol), seed, progress, exact=(method != "ecm"),
                 anneal=anneal if method == "annealed_em" else None, chunk=chunk)
    return EMResult(program, out, method)
