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
                          "Summarise label-invariant quantities (sorted means, the log-likelihood), or start "
                          "every chain from one ordering with init=.", LabelSwitchingWarning, stacklevel=3)


class GibbsResult:
    """Posterior draws ``draws[name]`` shaped ``(chains, draws, *shape)``, with the schedule that made them."""

    def __init__(self, program, draws: dict, stats: dict, seed):
        self.program, self.draws, self.sample_stats, self.seed = program, draws, stats, seed
        self.model, self.schedule = program.model, program.schedule
        self.derivation = program.d
        self.interrupted = bool(getattr(program, "interrupted", False))   # stopped by Ctrl-C: draws so far

    @property
    def chains(self) -> int:
        return self.program.chains

    @property
    def n_draws(self) -> int:
        return next(iter(self.draws.values())).shape[1] if self.draws else 0

    def _dims(self, names):
        dims, coords = {}, {}
        for name in names:
            v = self.model.variables[name]
            dims[name] = [p.name for p in v.plates] + [f"{name}_dim_{i}" for i in range(len(v.event_shape))]
            for p in v.plates:
                coords[p.name] = np.arange(self.program.sizes[p.name])
        return dims, coords

    def to_arviz(self):
        """An ArviZ InferenceData: posterior, observed data, constant data and sample stats."""
        import arviz as az

        observed = {v.name: np.asarray(self.program.env[v.name]) for v in self.model.observed}
        consts = {c: np.asarray(self.program.env[c]) for c in self.model.consts}
        dims, coords = self._dims(list(self.draws) + list(observed))
        for c in self.model.consts.values():
            dims[c.name] = [p.name for p in c.plates] + [f"{c.name}_dim_{i}" for i in
                                                         range(consts[c.name].ndim - len(c.plates))]
        return az.from_dict(posterior=self.draws, observed_data=observed, constant_data=consts,
                            sample_stats=self.sample_stats or None, dims=dims, coords=coords)

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
        table = az.summary(self.to_arviz(), var_names=names, hdi_prob=hdi_prob, **kwargs)
        _warn_label_switching(self.model, self.draws, table)
        from .stranded import warn_stranded
        components = {c for comps in labelled_by(self.model).values() for c in comps}
        warn_stranded(self.model, {n: self.draws[n] for n in names}, skip=components)
        return table

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

    def predict(self, new_data: dict, var_names=None) -> dict:
        """Posterior predictive mean and variance of observed variables at new inputs.

        ``new_data`` gives constants (and plate sizes through them) for the new points, e.g. the
        ``row``/``col`` of held-out matrix entries.  Returns ``{name: {"mean": ..., "var": ...}}``
        by the laws of total expectation and variance over the draws.
        """
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


def _mentions(v, name: str) -> bool:
    from ..graph.model_graph import references
    return any(r.name == name for r in references(v))
