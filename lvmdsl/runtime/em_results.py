"""What ``lv.infer(method="em")`` returns: point estimates, the log-likelihood path, posteriors."""

from __future__ import annotations

import numpy as np

from ..families import Distribution
from ..frontend.expr import ModelError
from ..graph.validate import bind_data


class EMResult:
    """Estimates of the best restart, with its log-likelihood per iteration and latent posteriors.

    ``params[name]``: the estimate; ``loglik``: observed-data log-likelihood (plus log-prior under
    MAP) per iteration; ``converged`` (a fixed point reached at beta = 1 within ``tol``), ``n_iter``,
    ``interrupted`` (a KeyboardInterrupt stopped the run: the estimates after the last complete iteration); ``posterior(name)``: a latent's E-step posterior
    as a distribution object; ``all_loglik``: every restart's path; ``best``: its index.
    """

    def __init__(self, program, out: dict, method: str):
        self.program, self.method = program, method
        self.model = program.model
        final = out["loglik"][:, -1]
        self.best = int(np.nanargmax(np.where(np.isfinite(final), final, -np.inf)))
        b = self.best
        self.all_params = out["params"]
        self.params = {k: v[b] for k, v in out["params"].items()}
        self.all_loglik = out["loglik"]
        self.n_iter = int(out["n_iter"][b])
        self.loglik = out["loglik"][b, : self.n_iter + 1]
        self.converged = bool(out["converged"][b])
        self.interrupted = bool(out.get("interrupted", False))    # stopped by Ctrl-C: the work so far
        self._post = out["posterior"]
        self.latent, self.param_names = program.latent, program.params
        self.coords: dict = {}           # labels of pandas or xarray data, by dimension

    def __getstate__(self):
        """Pickled without the compiled program (generated functions); it is rebuilt on load."""
        from .persist import program_record
        state = dict(self.__dict__)
        state["program"] = program_record(self.program)
        return state

    def __setstate__(self, state):
        from .persist import rebuild_program
        self.__dict__.update(state)
        self.program = rebuild_program(state["program"])

    def to_arviz(self, log_likelihood: bool = True):
        """ArviZ InferenceData: the estimates (one chain, one draw), the pointwise
        log-likelihood at them (a mixture's allocation summed out), observed and constant data."""
        from .arviz_export import em_inference_data
        return em_inference_data(self, log_likelihood)

    def predict_proba(self, new_data, latent: str | None = None) -> np.ndarray:
        """Responsibilities p(z_n = k | x_n, estimates) of a discrete latent at new points, ``(N, K)``."""
        from ..frontend.data import as_data_dict
        post = self.predict(as_data_dict(new_data))
        discrete = [n for n in post if self.program.d[n].rule == "enumeration"]
        if latent is None:
            if len(discrete) != 1:
                raise ModelError(f"give latent=... (the discrete latents are {', '.join(discrete) or 'none'})")
            latent = discrete[0]
        if latent not in discrete:
            raise ModelError(f"{latent!r} is not a discrete latent of this EM run (those are "
                             f"{', '.join(discrete) or 'none'})")
        return np.asarray(post[latent].params["p"])

    def posterior(self, name: str) -> Distribution:
        """The E-step posterior of latent ``name`` at the estimates (responsibilities are ``.params['p']``)."""
        if name not in self._post:
            raise ModelError(f"{name!r} is not a latent of this EM run (the latents are {', '.join(self.latent) or 'none'})")
        cond = self.program.d[name]
        p = {k: np.asarray(v)[self.best] for k, v in self._post[name].items()}
        return Distribution(cond.family, p)

    def predict(self, new_data: dict) -> dict:
        """At new data: the latents' posteriors if every observed variable is given (e.g. cluster
        responsibilities of new points), otherwise the predictive mean and variance of the observed
        variables that are missing, with global latents averaged over their posterior."""
        from ..frontend.data import as_data_dict
        from .em import EMProgram
        new_data = as_data_dict(new_data)
        observed = [v.name for v in self.model.observed]
        data = {k: v for k, v in self.program.env.items() if k in self.model.consts}
        data.update(new_data)
        if all(o in new_data for o in observed):
            prog = EMProgram(self.program.d, data, 1, latent=self.latent, params=self.param_names)
            S = {k: v[None] for k, v in self.params.items()}
            _, post, _ = prog.estep(S)
            return {n: Distribution(self.program.d[n].family, {k: np.asarray(v)[0] for k, v in p.items()})
                    for n, p in post.items()}
        missing = [o for o in observed if o not in new_data]
        env, sizes = bind_data(self.model, data, require_observed=False)
        return self._predict_observed(missing, env, sizes)

    def _predict_observed(self, names, env, sizes, draws: int = 2000, seed: int = 0):
        from .batched import batched_params
        rng = np.random.default_rng(seed)
        state = {k: np.broadcast_to(v, (draws,) + np.shape(v)) for k, v in self.params.items()}
        for l in self.latent:
            v = self.model.variables[l]
            if any(p.name in sizes and p.size == "N" for p in v.plates) or self.program.graph.is_local(l):
                raise ModelError(f"predicting at new inputs needs the local latent {l!r} there; give the "
                                 "observed values to get its posterior instead")
            state[l] = self.posterior(l).sample(rng, (draws,))
        out = {}
        for name in names:
            v = self.model.variables[name]
            params = batched_params(v, {**env, **state}, sizes, set(state), draws)
            mean = np.asarray(v.family.mean(params), float)
            var = np.asarray(v.family.var(params), float)
            m = mean.mean(0)
            out[name] = {"mean": m, "var": var.mean(0) + mean.var(0)}
        return out

    def __repr__(self):
        state = "interrupted" if self.interrupted else "converged" if self.converged else "not converged"
        return (f"<EMResult {self.model.name!r} ({self.method}): {state} after {self.n_iter} iterations, "
                f"log-likelihood {self.loglik[-1]:.6g}; params {', '.join(self.params)}>")

    def _repr_markdown_(self):
        from ..explain.display import em_result_markdown
        return em_result_markdown(self)
