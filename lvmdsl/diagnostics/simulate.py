"""Many simulated data sets at once: the observed variables become state with a chain axis.

Geweke's successive-conditional simulator and simulation-based calibration both need a Gibbs
sampler whose data differ from chain to chain.  Generating the update code with the observed
variables counted as state gives exactly that (``x[n]`` prints as ``S['x'][:, :]``), so every
chain carries its own data set through the same vectorised sweep.
"""

from __future__ import annotations

import numpy as np

from ..codegen.gibbs import GibbsCodegen
from ..codegen.index_gibbs import IndexGibbsCodegen
from ..codegen.printer import ident
from ..derive.derivation import derive
from ..frontend.expr import ModelError
from ..runtime.batched import batched_params
from ..families import conditional_family
from ..rewrites import REGISTRY
from ..runtime.fixed import fixed_values, has_fixed


class BatchedSimulator:
    """Prior draws, Gibbs sweeps and data draws for ``C`` independent (parameters, data) pairs."""

    def __init__(self, model, sizes: dict, consts: dict | None = None, hook=None, augment=True,
                 engine: str | None = None, data: dict | None = None):
        # sweeps run on the augmented model (its latents join the state); marginal draws of the
        # user's variables come from the model as declared, whose law the augmentation keeps.
        # ``data`` shows the rewrite pass which entries are missing (NaN): every simulated data set
        # misses the same entries
        self.original, self.d = model, derive(model, augment=augment, engine=engine, data=data)
        self.given = dict(data or {})
        model = self.model = self.d.model
        self.unknowns = [v.name for v in model.unknowns]
        self.observed = [v.name for v in model.observed]
        lost = [v.name for v in self.original.observed if v.name not in self.observed]
        # data a rewrite turned into constants (probit's y, a negative binomial's counts, data with
        # missing entries) is redrawn by the rule given the state, with the latents it augments
        self.redraws = [r for r in self.d.rewrites if r.variable in lost and hasattr(REGISTRY.get(r.rule), "redraw")]
        missing = sorted(set(lost) - {r.variable for r in self.redraws})
        if missing:
            raise ModelError(f"a rewrite turned {', '.join(missing)} into data for its intervals; these checks need "
                             "observed variables to redraw (pass augment=False, or check with lv.infer directly)")
        self.derived = [c for c in model.consts.values() if getattr(c, "compute", None) is not None]
        self.data_names = [v.name for v in self.original.observed]
        for n in self.unknowns:
            if not self.d[n].conjugate:
                raise ModelError(f"{n!r} has no exact conditional ({self.d[n].reason}); these checks need one")
        gen = IndexGibbsCodegen if self.d.engine == "index" else GibbsCodegen
        # data a rewrite turned into constants differs from chain to chain too: state for the code
        per_chain = set(lost) | {c.name for c in self.derived}
        self.codegen = gen(self.d, state=set(self.unknowns) | set(self.observed) | per_chain)
        ns = self.codegen.compile()
        self.consts = {k: np.asarray(v) for k, v in (consts or {}).items()}
        for c in model.consts.values():
            if c.value is not None:
                self.consts.setdefault(c.name, np.asarray(c.value))
        self.sizes = dict(sizes)
        for p in model.plates.values():
            if isinstance(p.size, int):
                self.sizes.setdefault(p.name, p.size)
            elif p.name not in self.sizes and p.size in self.sizes:
                self.sizes[p.name] = self.sizes[p.size]
            elif p.name in self.sizes:
                self.sizes.setdefault(p.size, self.sizes[p.name])
        D = {k: np.asarray(v, float) for k, v in self.consts.items()}
        if self.d.literals is not None:
            D.update(self.d.literals.arrays)
        D.update({k: float(v) for k, v in self.sizes.items()})
        self.D, self.DI = D, {k: np.asarray(np.rint(v), np.intp) for k, v in D.items() if np.all(np.mod(v, 1) == 0)}
        self.P = ns["precompute"](self.D, self.DI, {**self.sizes, "_chains": 1})
        graph = self.d.graph
        order = graph.topological_unknowns()
        order = [n for n in order if graph.is_local(n)] + [n for n in order if not graph.is_local(n)]
        self.steps = []
        for n in order:
            cond = self.d[n]
            if cond.rule != "enumeration" and has_fixed(cond.family):
                fn = self._fixed_update(n, cond, ns[f"natural_{ident(n)}"])
            else:
                fn = ns[f"update_{ident(n)}"]
            self.steps.append((n, hook(n, fn) if hook else fn))

    def _fixed_update(self, name, cond, natural):
        """A draw whose family needs fixed parameters (PolyaGamma's b, bounds) besides eta."""
        v = self.model.variables[name]

        def update(S, D, DI, Z, P, rng):
            C = Z["_chains"]
            fixed = fixed_values(v, self.consts, self.sizes, {k: S[k] for k in S}, C)
            fam = conditional_family(cond.family)
            draw = fam.index_sample_natural if self.d.engine == "index" else fam.sample_natural
            S[name] = draw(rng, natural(S, D, DI, Z, P), fixed=fixed)
        return update

    def draw_prior(self, rng: np.random.Generator, C: int, names=None) -> dict:
        """Ancestral draws of every variable (or of ``names`` given the others in the state): the
        declared model's, then any augmentation latent from its declaration given those (a start)."""
        S: dict = {}
        S = self._ancestral(rng, C, S, names or list(self.original.variables), self.original)
        if names is not None:
            return S
        for r in self.redraws:            # what the data shows of the complete draw (missing entries: NaN)
            hide = getattr(REGISTRY[r.rule], "observe", None)
            if hide is not None:
                S.update(hide(r, S, self.given))
        self._derive_consts(S)
        extra = [n for n in self.model.variables if n not in S]
        return self._ancestral(rng, C, S, extra) if extra else S

    def _derive_consts(self, S: dict) -> None:
        """Constants a rewrite computes from the data (interval bounds), per chain."""
        data = {k: S[k] for k in self.data_names if k in S}
        for c in self.derived:
            S[c.name] = np.asarray(c.compute(data), float)

    def _ancestral(self, rng, C, S, names, model=None):
        for v in (model or self.model).variables.values():
            if v.name not in names:
                continue
            env = {**self.consts, **S}
            params = batched_params(v, env, self.sizes, set(S), C)
            shape = (C,) + tuple(self.sizes[p.name] for p in v.plates)
            x = np.asarray(v.family.sample(rng, params, shape))
            S[v.name] = x.astype(np.intp) if v.is_discrete else x.astype(float)
        return S

    def _params(self, name: str, S: dict) -> dict:
        """The parameters of the augmented model's ``name`` at the state ``S`` (chain axis first)."""
        C = next(iter(S.values())).shape[0]
        return batched_params(self.model.variables[name], {**self.consts, **S}, self.sizes, set(S), C)

    def completed(self, name: str) -> str:
        """The variable whose draws complete ``name`` (its rewrite's latent for missing data), or ``name``."""
        for r in self.redraws:
            if r.variable == name and getattr(REGISTRY[r.rule], "observe", None) is not None:
                return r.new[0]
        return name

    def draw_data(self, rng, S: dict) -> dict:
        """Fresh observed data given the unknowns in ``S`` (one data set per chain)."""
        C = next(iter(S.values())).shape[0]
        S = self._ancestral(rng, C, S, self.observed)
        for r in self.redraws:
            S.update(REGISTRY[r.rule].redraw(r, S, rng, lambda name: self._params(name, S)))
        if self.redraws:
            self._derive_consts(S)
        return S

    def sweep(self, S: dict, rng) -> None:
        C = next(iter(S.values())).shape[0]
        Z = {**self.sizes, "_chains": C}
        for _, fn in self.steps:
            fn(S, self.D, self.DI, Z, self.P, rng)
