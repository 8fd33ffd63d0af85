"""``lv.infer``: derive, compile and run the inference algorithm for a model and its data."""

from __future__ import annotations

import inspect
from collections.abc import Mapping

import numpy as np

from .derive.derivation import derive
from .frontend.expr import ModelError
from .frontend.model import Model
from .runtime import arguments as args

METHODS = ("gibbs", "em", "ecm", "annealed_em", "online_em", "mcem")


def infer(model: Model, data: dict | None = None, method: str = "gibbs", draws: int = 2000, tune: int = 500,
          chains: int = 4, thin: int = 1, seed=0, init: dict | None = None, progress: bool = True,
          keep=None, strict: bool = False, lp: bool = False, latent=None, params=None, max_iter: int = 500,
          tol: float = 1e-8, restarts: int = 1, anneal=None, batch_size: int = 1000, kappa: float = 0.6,
          chunk: int | None = None, mc_draws: int = 20, mc_burn: int = 5, augment=True):
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
    - ``augment`` (True): the rewrites run before deriving (as in ``lv.derive``: True for every
      default rule, False for none, or a list of rule names); the latent variables they add are
      sampled (or, in EM, averaged over) like any other unknown.

    Gibbs sampling (``method="gibbs"``; returns a ``GibbsResult``): a sampler assembled from the
    derived complete conditionals, all chains batched in one vectorised sweep.

    - ``draws`` (2000): kept draws per chain; ``tune`` (500): warm-up sweeps, discarded (the
      slice-sampler widths adapt during them); ``chains`` (4); ``thin`` (1): keep every
      ``thin``-th sweep.
    - ``keep``: names of the unknowns whose draws are stored (default: all).
    - ``strict``: ``True`` refuses slice-sampler fallbacks (an error instead of a ``FallbackWarning``).
    - ``lp`` (False): ``True`` adds the log-joint of every stored draw to the sample stats (off by
      default: for a small model it costs more than a sweep).

    EM and its variants (returns an ``EMResult``, or an ``MCEMResult`` for ``"mcem"``):

    - ``latent`` / ``params``: names that override the default split (unknowns inside a data
      plate are latent, the others parameters).
    - ``max_iter`` (500): iterations (minibatch steps for ``"online_em"``); ``tol`` (1e-8): stop
      when the relative change of the log-likelihood falls below it.
    - ``restarts`` (1): starts run together on a batch axis; the best final log-likelihood wins.
    - ``chunk``: E-step chunk size over the data plate (``None``: from a 6 MB budget; ``0``: off).
    - ``batch_size`` (1000), ``kappa`` (0.6): minibatch size and step size (1 + t)^-kappa of
      ``"online_em"``.
    - ``anneal``: inverse temperatures beta for ``"annealed_em"``, each in (0, 1], non-decreasing and
      ending at 1 (default 20 steps rising geometrically from 0.5).
    - ``mc_draws`` (20), ``mc_burn`` (5): Gibbs draws of the latents per E-step, and the sweeps
      discarded before them, for ``"mcem"``.

    Arguments of the other method are an error that names them.  docs/gibbs.md and docs/em.md give
    the details; docs/errors.md the errors.
    """
    from .runtime.user_warnings import at_user_line
    with at_user_line():                      # the library's warnings name the caller's line
        return _infer_gibbs_or_em(model, data, method, draws, tune, chains, thin, seed, init, progress, keep, strict,
                                  lp, latent, params, max_iter, tol, restarts, anneal, batch_size, kappa, chunk,
                                  mc_draws, mc_burn, augment)


def _infer_gibbs_or_em(model, data, method, draws, tune, chains, thin, seed, init, progress, keep, strict, lp, latent,
                       params, max_iter, tol, restarts, anneal, batch_size, kappa, chunk, mc_draws, mc_burn, augment):
    if not isinstance(method, str) or method not in METHODS:
        raise ModelError(f"unknown inference method {method!r}; choose one of {', '.join(METHODS)}")
    if not isinstance(model, Model):
        raise ModelError(f"lv.infer needs an lv.Model as its first argument, got {type(model).__name__}")
    given = {k: v for k, v in locals().items() if k in _DEFAULTS}
    from .frontend.data import as_data_dict, data_labels
    labels = data_labels(model, data)
    data = as_data_dict(data)
    if data is not None and not isinstance(data, Mapping):
        raise ModelError(f"data must be a dict from variable or constant names to arrays (or a pandas DataFrame), "
                         f"got {type(data).__name__}")
    args.check_method_arguments(method, given, _DEFAULTS)
    seed = args.check_seed(seed)
    init = args.check_init(init)
    progress = args.check_flag("progress", progress)
    if method != "gibbs":
        res = _infer_em(model, data, method, args.check_names("latent", latent), args.check_names("params", params),
                        init, max_iter, tol, restarts, seed, progress, anneal, batch_size, kappa, chunk, mc_draws,
                        mc_burn, augment)
        res.coords = labels
        return res
    draws, thin = args.check_count("draws", draws, 1), args.check_count("thin", thin, 1)
    chains = args.check_count("chains", chains, 1, high=args.MAX_BATCH)
    strict, lp = args.check_flag("strict", strict), args.check_flag("lp", lp)
    tune = args.check_count("tune", tune, 0)
    keep = args.check_names("keep", keep)
    from .runtime.gibbs import GibbsProgram, run_gibbs
    from .runtime.results import GibbsResult

    program = GibbsProgram(derive(model, augment=augment, data=data), data, int(chains), strict=strict)
    out, stats = run_gibbs(program, int(draws), int(tune), int(thin), seed, init, keep, progress, lp=lp)
    res = GibbsResult(program, out, stats, seed)
    res.coords = labels
    return res


#: each keyword's default, to tell which arguments the caller gave
_DEFAULTS = {k: p.default for k, p in inspect.signature(infer).parameters.items()
             if k not in ("model", "data", "method", "seed", "init", "progress", "augment")}

#: the default annealing schedule: 20 inverse temperatures rising geometrically from 0.5 to 1, one
#: iteration each.  Starting hotter collapses mixtures whose variances are estimated: with every
#: responsibility near uniform, each component's variance grows to the data's, the tempered
#: posterior stays uniform up to beta near 1, and the components come out identical (the old
#: default, 0.05 to 1, gave -1119 against EM's -971 on a three-cluster 1-D mixture, every seed).
ANNEAL_DEFAULT = [float(b) for b in np.geomspace(0.5, 1.0, 20)]


def _infer_em(model, data, method, latent, params, init, max_iter, tol, restarts, seed, progress, anneal,
              batch_size, kappa, chunk, mc_draws=20, mc_burn=5, augment=True):
    """EM and its variants: ``em`` (exact M-step), ``ecm`` (one conditional pass per iteration),
    ``annealed_em`` (tempered E-steps, beta rising to 1), ``online_em`` (minibatches; ``max_iter``
    minibatch steps of ``batch_size`` points, step size (1 + t)^-kappa), ``mcem`` (expectations from
    ``mc_draws`` Gibbs draws of the latents after ``mc_burn`` sweeps, for latents without closed forms)."""
    max_iter, restarts = args.check_count("max_iter", max_iter, 1), args.check_count("restarts", restarts, 1, high=args.MAX_BATCH)
    tol = args.check_real("tol", tol, 0.0)
    chunk = args.check_optional_count("chunk", chunk, 0)
    mc_draws, mc_burn = args.check_count("mc_draws", mc_draws, 1), args.check_count("mc_burn", mc_burn, 0)
    batch_size = args.check_count("batch_size", batch_size, 1)
    kappa = args.check_real("kappa", kappa, 0.5, 1.0, low_open=True)
    if method == "annealed_em":
        anneal = args.check_anneal(ANNEAL_DEFAULT if anneal is None else anneal)
    from .runtime.em import EMProgram, run_em, run_online_em
    from .runtime.em_results import EMResult

    if method == "mcem":
        from .runtime.mcem import MCEMResult, run_mcem
        d = derive(model, augment=augment, data=data, engine="element")
        out = run_mcem(d, data, int(restarts), latent, params, init, int(max_iter), float(tol), seed, progress,
                       int(mc_draws), int(mc_burn))
        return MCEMResult(d, out)
    from .runtime.streaming import StreamingEMProgram, has_lazy_data
    lazy = has_lazy_data(data)
    kind = StreamingEMProgram if lazy else EMProgram     # Dask data: streamed by chunks
    # the missing-data rule reads the data for NaN; Dask data is never read whole, so it is not scanned
    program = kind(derive(model, augment=augment, data=None if lazy else data, engine=None), data,
                   int(restarts), latent=latent, params=params)
    if method == "online_em":
        out = run_online_em(program, init, int(max_iter), batch_size, kappa, seed, progress)
        return EMResult(program, out, method)
    out = run_em(program, init, int(max_iter), float(tol), seed, progress, exact=(method != "ecm"),
                 anneal=anneal if method == "annealed_em" else None, chunk=chunk)
    return EMResult(program, out, method)
