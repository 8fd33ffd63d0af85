"""Monte Carlo EM: expectations from Gibbs draws of the latents, for latents without closed forms.

Each iteration runs the generated Gibbs updates of the latents only (conjugate draws, enumeration,
or the slice sampler for a latent whose conditional is not conjugate), parameters held fixed, and
keeps ``draws`` states after ``burn`` sweeps.  A parameter's M-step needs E[eta], the expectation
of its conditional's natural parameters over the latents; here that is the average of eta over
the kept states, so any function of a latent (exp(u), a sigmoid) is allowed.  The parameters then
take ``argmax_natural`` of the average, one conditional maximisation each (ECM style).

The observed-data log-likelihood has no closed form in general, so it is not reported (NaN);
convergence is on the relative change of the parameters, which Monte Carlo noise keeps from
reaching zero: use enough ``draws`` and a ``tol`` above the noise.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..derive.conditionals import Conditional
from ..frontend.expr import ModelError
from .arguments import init_array
from ..graph.validate import bind_data
from .batched import batched_params
from .em import ConvergenceWarning, EMWarning, neutral_value, split_unknowns
from .gibbs import FallbackWarning, GibbsProgram


def run_mcem(derivation, data, restarts: int, latent, params, init, max_iter: int, tol: float, seed, progress: bool,
             draws: int = 20, burn: int = 5) -> dict:
    """Monte Carlo EM; returns the same record as ``run_em`` (log-likelihood NaN)."""
    from tqdm.auto import trange

    from .em import element_level
    derivation = element_level(derivation)
    lat, par = split_unknowns(derivation, latent, params)
    for p in par:
        if not isinstance(derivation[p], Conditional):
            raise ModelError(f"Monte Carlo EM: the M-step of {p!r} has no closed form ({derivation[p].reason})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FallbackWarning)      # the schedule names the fallback anyway
        gibbs = GibbsProgram(derivation, data, restarts, only=lat)
    rng = np.random.default_rng(seed)
    model = derivation.model
    env, sizes = bind_data(model, data)
    S = _initial(model, par, init, restarts, sizes, rng)
    for name in lat:                                          # latents from their priors given S
        v = model.variables[name]
        p = batched_params(v, {**env, **S}, sizes, set(S), restarts)
        shape = (restarts,) + tuple(sizes[q.name] for q in v.plates)
        S[name] = np.asarray(v.family.sample(rng, p, shape))
        if v.is_discrete:
            S[name] = S[name].astype(np.intp)
    history, n_iter, converged, interrupted = [], 0, False, False
    kept, done_params, done_kept = [], {k: S[k].copy() for k in par}, []
    try:
        for it in trange(max_iter, disable=not progress, desc=f"mcem {model.name}", unit="iter", mininterval=0.5):
            for b in range(burn):
                gibbs.sweep(S, rng, it)
            kept = []
            for _ in range(draws):
                gibbs.sweep(S, rng, it)
                kept.append({k: S[k].copy() for k in lat})
            change = 0.0
            for name in par:
                cond = derivation[name]
                fn = gibbs.namespace[f"natural_{_ident(name)}"]
                eta = sum(fn({**S, **z}, gibbs.D, gibbs.DI, gibbs.Z, gibbs.P) for z in kept) / len(kept)
                old = S[name]
                new = np.asarray(cond.family.argmax_natural(eta), float)
                bad = ~np.isfinite(new)
                S[name] = np.where(bad, old, new)
                change = max(change, float(np.max(np.abs(S[name] - old)) / (np.max(np.abs(old)) + 1e-300)))
            history.append(np.full(restarts, np.nan))
            n_iter = it + 1
            done_params, done_kept = {k: S[k].copy() for k in par}, kept
            if change < tol:
                converged = True
                break
    except KeyboardInterrupt:             # keep the work: the estimates of the last complete iteration
        interrupted = True
        S.update(done_params)
        kept = done_kept
        warnings.warn(f"Monte Carlo EM interrupted after {n_iter} complete iteration(s); the result holds their "
                      "estimates (result.interrupted is True)", EMWarning, stacklevel=3)
    if not interrupted and not converged and tol > 0:
        warnings.warn(f"Monte Carlo EM stopped at max_iter={max_iter} before the relative change of the "
                      f"parameters fell below tol={tol:g}; raise max_iter or mc_draws, or loosen tol",
                      ConvergenceWarning, stacklevel=3)
    if not kept:                          # interrupted before one iteration completed: nothing to keep
        raise KeyboardInterrupt
    out_params = {k: S[k] for k in par}
    return {"params": out_params, "loglik": np.array(history).T, "n_iter": np.full(restarts, n_iter),
            "converged": np.full(restarts, converged), "posterior": {}, "expectations": {},
            "latent_draws": {k: np.stack([z[k] for z in kept], 1) for k in lat}, "interrupted": interrupted}


def _initial(model, params, init, R, sizes, rng) -> dict:
    init = dict(init or {})
    for name in init:
        if name not in params:
            raise ModelError(f"init gives {name!r}, which is not a parameter of this Monte Carlo EM run "
                             f"(the parameters are {', '.join(params)})")
    S = {}
    for name in params:
        v = model.variables[name]
        shape = tuple(sizes[q.name] for q in v.plates)
        if name in init:
            want = shape + tuple(v.event_shape)
            try:
                S[name] = np.broadcast_to(init_array(name, init[name]), (R,) + want).copy()
            except ValueError:
                raise ModelError(f"the initial value of {name!r} has shape {np.shape(init[name])}; it needs "
                                 f"{want}") from None
            from .initial import in_support
            if not in_support(v, S[name]):
                raise ModelError(f"the initial value of {name!r} is outside its domain: each value must be "
                                 f"{v.family.support.describe()}")
        else:
            S[name] = np.stack([neutral_value(v, shape, rng) for _ in range(R)])
    return S


def _ident(name):
    from ..codegen.printer import ident
    return ident(name)


class MCEMResult:
    """Monte Carlo EM estimates (best restart = the first: no log-likelihood to compare) and the
    last kept draws of the latents, ``latent_draws[name]`` shaped (restarts, draws, *shape)."""

    method = "mcem"

    def __init__(self, derivation, out: dict):
        self.model = derivation.model
        self.params = {k: v[0] for k, v in out["params"].items()}
        self.all_params = out["params"]
        self.n_iter = int(out["n_iter"][0])
        self.converged = bool(out["converged"][0])
        self.loglik = out["loglik"][0]
        self.latent_draws = out["latent_draws"]
        self.interrupted = bool(out.get("interrupted", False))

    def __repr__(self):
        state = "interrupted" if self.interrupted else "converged" if self.converged else "not converged"
        return f"<MCEMResult {self.model.name!r}: {state} after {self.n_iter} iterations; params {', '.join(self.params)}>"

    def _repr_markdown_(self):
        from ..explain.display import em_result_markdown
        return em_result_markdown(self)
