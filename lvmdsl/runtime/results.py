"""What ``lv.infer(method="gibbs")`` returns: the draws, their ArviZ views and predictions.

Diagnostics are ArviZ's own (``summary`` and ``to_arviz``); predictions are Monte Carlo
averages over the stored draws, computed with the batched numeric lowering (draws on the
leading axis), so nothing loops over data points.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..frontend.expr import Index, ModelError
from ..graph.validate import bind_data
from .batched import batched_params

CHUNK = 512


class LabelSwitchingWarning(UserWarning):
    """Chains of a mixture disagree on which component is which."""


def labelled_by(model) -> dict:
    """Unknowns whose elements a discrete latent selects (``mu`` in ``mu[z]``, and the weights
    ``pi`` of ``z ~ Categorical(pi)``), by latent, each with its component axis (within the
    variable's shape: plates, then event): the components of a mixture, whose labels the
    posterior does not fix."""
    out: dict = {}
    unknown = {v.name for v in model.unknowns}
    for v in model.variables.values():
        for e in v.params.values():
            for node in e.walk():
                if isinstance(node, Index) and getattr(node.base, "name", None) in unknown:
                    for pos, idx in enumerate(node.indices):
                        if getattr(idx, "name", None) in unknown and model.variables[idx.name].is_discrete:
                            out.setdefault(idx.name, {})[node.base.name] = pos
    for z, comps in out.items():
        for e in model.variables[z].params.values():       # the weights: their first event axis
            for n in e.walk():
                name = getattr(n, "name", None)
                if name in unknown and name not in comps:
                    comps[name] = len(model.variables[name].plates)
    return out


RHAT_LIMIT = 1.1


def _relabelled(draws: np.ndarray, axis: int) -> np.ndarray:
    """Draws ``(chains, draws, ...)`` with the components on ``axis`` put in one order in every
    draw (by their first coordinate): what a label-invariant summary of each component sees."""
    x = np.moveaxis(draws, axis, 2)
    key = x.reshape(x.shape[:3] + (-1,))[..., 0]
    order = np.argsort(key, axis=2).reshape(key.shape + (1,) * (x.ndim - 3))
    return np.moveaxis(np.take_along_axis(x, order, axis=2), 2, axis)


def _warn_label_switching(model, draws: dict, table) -> None:
    """A mixture's component summaries average over labellings when chains settled on different
    ones: say so, naming the components, instead of showing them silently.  The test: R-hat above
    1.1 that ordering the components within each draw brings back below it (so a chain that has
    merely not converged is left to R-hat itself)."""
    import arviz as az

    if "r_hat" not in table:
        return
    for z, comps in labelled_by(model).items():
        bad = []
        for c, axis in sorted(comps.items()):
            rows = [r for row, r in table["r_hat"].items() if str(row).split("[")[0] == c]
            if c not in draws or draws[c].ndim < 3 + axis or not any(r > RHAT_LIMIT for r in rows):
                continue
            fixed = az.rhat(az.convert_to_dataset({c: _relabelled(np.asarray(draws[c], float), 2 + axis)}))[c]
            if float(np.max(fixed)) <= RHAT_LIMIT:
                bad.append(c)
        if bad:
            warnings.warn(f"the mixture components that {z!r} selects ({', '.join(bad)}) have R-hat above "
                          f"{RHAT_LIMIT} that ordering the components within each draw removes: the chains "
                          "settled on different labellings (label switching), so their summaries mix components. "
                          "res.relabel() puts every draw in one labelling; or leave init= out of the "
                          "components, so that every chain starts from location-ordered k-means++ allocations.",
                          LabelSwitchingWarning, stacklevel=3)


class GibbsResult:
    """Posterior draws ``draws[name]`` shaped ``(chains, draws, *shape)``, with the schedule that made them."""

    def __init__(self, program, draws: dict, stats: dict, seed):
        self.program, self.draws, self.sample_stats, self.seed = program, draws, stats, seed
        self.model, self.schedule = program.model, program.schedule
        self.derivation = program.d
        self.prior_state = None          # set by sample_prior_predictive()
        self.coords: dict = {}           # labels of pandas or xarray data, by dimension
        self.interrupted = bool(getattr(program, "interrupted", False))   # stopped by Ctrl-C: draws so far

    def __getstate__(self):
        """Pickled without the compiled program (generated functions); it is rebuilt on load."""
        from .persist import program_record
        state = dict(self.__dict__)
        state["program"] = program_record(self.program)
        state["schedule"] = None
        return state

    def __setstate__(self, state):
        from .persist import rebuild_program
        self.__dict__.update(state)
        self.program = rebuild_program(state["program"])
        self.schedule = self.program.schedule

    @property
    def chains(self) -> int:
        return self.program.chains

    @property
    def n_draws(self) -> int:
        return next(iter(self.draws.values())).shape[1] if self.draws else 0

    def to_arviz(self, log_likelihood: bool = True, posterior_predictive: bool = True, seed=None):
        """An ArviZ InferenceData with the groups ArviZ's functions read: posterior,
        log_likelihood (pointwise; a mixture's allocation summed out), posterior_predictive,
        prior and prior_predictive (after ``sample_prior_predictive()``), observed_data,
        constant_data and sample_stats.  ``az.loo``, ``az.waic``, ``az.compare``,
        ``az.plot_ppc``, ``az.plot_trace`` and ``az.plot_pair`` take it as it is.  Dimensions
        are named after plates; coordinates come from pandas or xarray labels in the data."""
        from .arviz_export import gibbs_inference_data
        return gibbs_inference_data(self, log_likelihood, posterior_predictive, seed)

    def sample_prior_predictive(self, draws: int = 500, seed=None):
        """Draws from the prior and the prior predictive at this data's constants and plate sizes;
        kept for ``to_arviz()`` (groups ``prior`` and ``prior_predictive``) and returned as
        ``InferenceData`` with those groups."""
        from .arviz_export import prior_groups, to_inference_data
        from .prior import sample_prior_batched
        if int(draws) != draws or draws < 1:
            raise ModelError(f"draws={draws!r} must be a positive integer")
        rng = np.random.default_rng(self.seed if seed is None else seed)
        self.prior_state = sample_prior_batched(self.model, self.program.env, self.program.sizes, int(draws), rng)
        return to_inference_data(self.model, self.program.sizes, prior_groups(self.model, self.prior_state), {}, {},
                                 getattr(self, "coords", {}))

    def _posterior_idata(self):
        return self.to_arviz(log_likelihood=False, posterior_predictive=False)

    def summary(self, var_names=None, hdi_prob: float = 0.94, **kwargs):
        """ArviZ's summary table: mean, sd, HDI, MCSE, bulk and tail ESS, R-hat."""
        import arviz as az

        names = var_names or [n for n in self.draws if not self.model.variables[n].is_discrete]
        if not self.draws or self.n_draws == 0:
            raise ModelError("summary() has no draws to summarise: this run stored none (keep=[] or an interrupt "
                             "before the first draw); run lv.infer again with keep=None or the names to store")
        if isinstance(var_names, str):
            names = [var_names]
        missing = [n for n in names if n not in self.draws]
        if missing:
            raise ModelError(f"summary() was asked for {', '.join(map(repr, missing))}, which this run did not store "
                             f"(it stored {', '.join(self.draws) or 'nothing'}); pass keep=[...] to lv.infer")
        table = az.summary(self._posterior_idata(), var_names=names, hdi_prob=hdi_prob, **kwargs)
        _warn_label_switching(self.model, self.draws, table)
        from .stranded import warn_stranded
        components = {c for comps in labelled_by(self.model).values() for c in comps}
        warn_stranded(self.model, {n: self.draws[n] for n in names}, skip=components)
        return table

    def relabel(self, pivot=None, order: str | None = None):
        """The draws with a mixture's components put in one labelling: each draw's components
        assigned to a pivot's (default), or ``order="mu"``: sorted by ``mu`` within each draw (an
        ordering constraint imposed after sampling); see ``lvmdsl.runtime.relabel``."""
        from .relabel import relabel_result
        return relabel_result(self, pivot, order)

    # ----------------------------------------------------------------- prediction
    def _flat_draws(self):
        return {k: v.reshape((-1,) + v.shape[2:]) for k, v in self.draws.items()}

    def _needs(self, names):
        missing = set()
        for name in names:
            for v in self.model.unknowns:
                if v.name not in self.draws and _mentions(self.model.variables[name], v.name):
                    missing.add(v.name)
        if missing:
            raise ModelError(f"prediction needs draws of {', '.join(sorted(missing))}, which keep= left out")

    def posterior_predictive(self, var_names=None, seed=None) -> dict:
        """Replicated data: one draw of each observed variable per posterior draw, ``(chains, draws, *shape)``."""
        names = list(var_names or [v.name for v in self.model.observed])
        self._needs(names)
        rng = np.random.default_rng(self.seed if seed is None else seed)
        flat = self._flat_draws()
        B = self.chains * self.n_draws
        out = {}
        for name in names:
            v = self.model.variables[name]
            parts = []
            for lo in range(0, B, CHUNK):
                chunk = {k: a[lo:lo + CHUNK] for k, a in flat.items()}
                b = len(next(iter(chunk.values())))
                env = {**self.program.env, **chunk}
                params = batched_params(v, env, self.program.sizes, set(chunk), b)
                shape = (b,) + tuple(self.program.sizes[p.name] for p in v.plates)
                parts.append(v.family.sample(rng, params, shape))
            out[name] = np.concatenate(parts).reshape((self.chains, self.n_draws) + parts[0].shape[1:])
        return out

    def predict_proba(self, new_data, latent: str | None = None) -> np.ndarray:
        """p(z_n = k | x_n) at new points for a discrete local latent z (a mixture's allocation):
        p(z_n = k | x_n, theta) averaged over the posterior draws of theta, ``(*z plates, K)``.

        ``new_data`` gives the observed children of z at the new points (a dict or a DataFrame);
        ``latent`` names z when the model has several."""
        from ..frontend.data import as_data_dict
        from .pointwise import latent_probabilities
        u = self._discrete_latent(latent)
        data = {k: v for k, v in self.program.env.items() if k in self.model.consts}
        data.update(as_data_dict(new_data))
        env, sizes = bind_data(self.model, data, require_observed=False)
        return latent_probabilities(self.model, u, env, sizes, self._flat_draws())

    def _discrete_latent(self, latent):
        from .pointwise import local_discrete_latents
        found = local_discrete_latents(self.model)
        names = [u.name for u in found]
        if latent is None:
            if len(found) != 1:
                raise ModelError(f"give latent=... (the discrete latents a new point's data inform are "
                                 f"{', '.join(names) or 'none'})")
            return found[0]
        if latent not in names:
            raise ModelError(f"{latent!r} is not a discrete latent that observed data select (those are "
                             f"{', '.join(names) or 'none'})")
        return found[names.index(latent)]

    def predict(self, new_data, var_names=None) -> dict:
        """Predictions at new points.

        When ``new_data`` gives every observed variable (new data points), the posteriors of the
        discrete local latents there: ``{z: Distribution}`` (Categorical with ``params["p"]``
        from ``predict_proba``; ``.mode()`` gives the labels), as ``EMResult.predict`` does.
        Otherwise the posterior predictive mean and variance of observed variables at new inputs:
        ``new_data`` gives constants (and plate sizes through them) for the new points, e.g. the
        ``row``/``col`` of held-out matrix entries.  Returns ``{name: {"mean": ..., "var": ...}}``
        by the laws of total expectation and variance over the draws.
        """
        from ..families import Distribution, get_family
        from ..frontend.data import as_data_dict
        from .pointwise import local_discrete_latents
        new_data = as_data_dict(new_data)
        latents = local_discrete_latents(self.model)
        if var_names is None and latents and all(v.name in new_data for v in self.model.observed):
            return {u.name: Distribution(get_family("Categorical"), {"p": self.predict_proba(new_data, u.name)}) for u in latents}
        names = list(var_names or [v.name for v in self.model.observed])
        self._needs(names)
        data = {k: v for k, v in self.program.env.items() if k in self.model.consts}
        data.update(new_data)
        env, sizes = bind_data(self.model, data, require_observed=False)
        flat = self._flat_draws()
        B = self.chains * self.n_draws
        out = {}
        for name in names:
            v = self.model.variables[name]
            local = [u.name for u in self.model.unknowns if u.name in flat and _mentions(v, u.name)
                     and any(p in v.plates for p in u.plates)]
            if local:
                raise ModelError(f"predicting {name!r} at new inputs needs its local latent(s) {', '.join(local)} "
                                 "there; predict observed variables whose unknown parents are global")
            s1, s2 = 0.0, 0.0
            for lo in range(0, B, CHUNK):
                chunk = {k: a[lo:lo + CHUNK] for k, a in flat.items()}
                b = len(next(iter(chunk.values())))
                params = batched_params(v, {**env, **chunk}, sizes, set(chunk), b)
                mean = np.asarray(v.family.mean(params), float)
                var = np.asarray(v.family.var(params), float)
                shape = (b,) + tuple(sizes[p.name] for p in v.plates) + tuple(v.event_shape)
                mean, var = np.broadcast_to(mean, shape), np.broadcast_to(var, shape)
                s1 = s1 + mean.sum(0)
                s2 = s2 + (var + mean**2).sum(0)
            m = s1 / B
            out[name] = {"mean": m, "var": s2 / B - m**2}
        return out

    def __repr__(self):
        return (f"<GibbsResult {self.model.name!r}: {self.chains} chains x {self.n_draws} draws of "
                f"{', '.join(self.draws)}>")

    def _repr_markdown_(self):
        from ..explain.display import gibbs_result_markdown
        return gibbs_result_markdown(self)


def _mentions(v, name: str) -> bool:
    from ..graph.model_graph import references
    return any(r.name == name for r in references(v))
