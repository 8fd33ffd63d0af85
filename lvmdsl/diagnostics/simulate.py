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


class BatchedSimulator:
    """Prior draws, Gibbs sweeps and data draws for ``C`` independent (parameters, data) pairs."""

    def __init__(self, model, sizes: dict, consts: dict | None = None, hook=None, engine: str = "index"):
        self.model, self.d = model, derive(model, engine=engine)
        self.unknowns = [v.name for v in model.unknowns]
        self.observed = [v.name for v in model.observed]
        for n in self.unknowns:
            if not self.d[n].conjugate:
                raise ModelError(f"{n!r} has no exact conditional ({self.d[n].reason}); these checks need one")
        gen = IndexGibbsCodegen if engine == "index" else GibbsCodegen
        self.codegen = gen(self.d, state=set(self.unknowns) | set(self.observed))
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
            fn = ns[f"update_{ident(n)}"]
            self.steps.append((n, hook(n, fn) if hook else fn))

    def draw_prior(self, rng: np.random.Generator, C: int, names=None) -> dict:
        """Ancestral draws of every variable (or of ``names`` given the others in the state)."""
        S: dict = {}
        return self._ancestral(rng, C, S, names or list(self.model.variables))

    def _ancestral(self, rng, C, S, names):
        for v in self.model.variables.values():
            if v.name not in names:
                continue
            env = {**self.consts, **S}
            params = batched_params(v, env, self.sizes, set(S), C)
            shape = (C,) + tuple(self.sizes[p.name] for p in v.plates)
            x = np.asarray(v.family.sample(rng, params, shape))
            S[v.name] = x.astype(np.intp) if v.is_discrete else x.astype(float)
        return S

    def draw_data(self, rng, S: dict) -> dict:
        """Fresh observed data given the unknowns in ``S`` (one data set per chain)."""
        C = next(iter(S.values())).shape[0]
        return self._ancestral(rng, C, S, self.observed)

    def sweep(self, S: dict, rng) -> None:
        C = next(iter(S.values())).shape[0]
        Z = {**self.sizes, "_chains": C}
        for _, fn in self.steps:
            fn(S, self.D, self.DI, Z, self.P, rng)
