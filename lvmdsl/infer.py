"""``lv.infer``: derive, compile and run the inference algorithm for a model and its data."""

from __future__ import annotations

from .derive.derivation import derive
from .frontend.expr import ModelError
from .frontend.model import Model

METHODS = ("gibbs",)


def infer(model: Model, data: dict | None = None, method: str = "gibbs", draws: int = 2000, tune: int = 500,
          chains: int = 4, thin: int = 1, seed=0, init: dict | None = None, progress: bool = True,
          keep=None, strict: bool = False, lp: bool = True):
    """Run inference on ``model`` given ``data``.

    ``method="gibbs"``: a Gibbs sampler assembled from the derived complete conditionals, with
    ``chains`` chains batched in one vectorised sweep; returns a ``GibbsResult``.  ``keep`` lists
    the unknowns whose draws are stored (default: all); ``strict=True`` refuses fallback
    samplers; ``lp=False`` skips the per-draw log-joint in the sample stats.
    """
    if method not in METHODS:
        raise ModelError(f"unknown inference method {method!r}; choose one of {', '.join(METHODS)}")
    for key, val, low in (("draws", draws, 1), ("chains", chains, 1), ("thin", thin, 1), ("tune", tune, 0)):
        if int(val) != val or val < low:
            raise ModelError(f"{key}={val!r} must be an integer of at least {low}")
    from .runtime.gibbs import GibbsProgram, run_gibbs
    from .runtime.results import GibbsResult

    program = GibbsProgram(derive(model), data, int(chains), strict=strict)
    out, stats = run_gibbs(program, int(draws), int(tune), int(thin), seed, init, keep, progress, lp=lp)
    return GibbsResult(program, out, stats, seed)
