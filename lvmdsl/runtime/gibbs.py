"""The Gibbs sampler: a sweep of generated block updates, all chains batched on a leading axis.

``GibbsProgram`` turns a derivation into the sweep: one step per unknown, local latents first and
then the global unknowns, each in declaration order, each either a generated conjugate or enumeration update of all its
elements at once, or a slice sampler for unknowns without a conjugate conditional (elements
together when no factor links two of them, otherwise one at a time).  ``run_gibbs`` initialises
the chains, runs the sweeps with a progress bar and stores the draws.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..codegen.gibbs import GibbsCodegen
from ..derive.derivation import Derivation
from ..frontend.expr import ModelError
from ..graph.validate import bind_data
from .batched import batched_log_joint, batched_params
from ..families import conditional_family
from .fixed import fixed_values, has_fixed
from .initial import initial_state, mixture_start
from .slice import slice_step

MAX_STORE_BYTES = 4 * 2**30


class InterruptedRunWarning(UserWarning):
    """A run stopped by KeyboardInterrupt returned the work completed so far."""


class FallbackWarning(UserWarning):
    """An unknown is sampled by a generic fallback (a slice sampler), not an exact conditional."""


@dataclass
class Step:
    """One update of the sweep: which variable, which method, how its elements are blocked."""

    name: str
    method: str          # "conjugate Normal", "enumeration (3 states)", "slice sampler"
    blocking: str        # "all 3 elements of plate k at once", "one element at a time", ...
    reason: str = ""     # why a fallback was needed
    run: object = field(default=None, repr=False)

    def __str__(self):
        why = f"  [{self.reason}]" if self.reason else ""
        return f"{self.name:<12} {self.method:<28} {self.blocking}{why}"


class Schedule(list):
    """The sweep in order; ``print(schedule)`` shows it as a table."""

    def __str__(self):
        head = f"{'variable':<12} {'update':<28} blocking"
        return "\n".join([head, "-" * len(head)] + [str(s) for s in self])

    def _repr_markdown_(self):
        from ..explain.display import schedule_markdown
        return schedule_markdown(self)


def _blocking(v, sizes) -> str:
    if not v.plates:
        return "one block" if v.event_shape else "single value"
    n = int(np.prod([sizes[p.name] for p in v.plates]))
    plates = " x ".join(p.name for p in v.plates)
    return f"all {n} elements of plate {plates} at once"


class GibbsProgram:
    """A compiled sampler for one model and data set: the schedule, its code and its inputs."""

    def __init__(self, derivation: Derivation, data: dict | None, chains: int, strict: bool = False,
                 only: list[str] | None = None):
        self.d, self.model, self.chains = derivation, derivation.model, chains
        self.fallback_ns = None
        self.blanket_logp: dict = {}           # fallback densities from the numpy log-joint
        if derivation.engine == "index":
            from ..codegen.index_gibbs import IndexGibbsCodegen
            from ..symbolic.centring import far_from_zero
            # data far from zero: sums that cancel are regrouped around the data's centre (issue 10);
            # near zero nothing cancels, and the plain sums make fewer, smaller features
            self.codegen = IndexGibbsCodegen(derivation, centre=far_from_zero(self.model, data))
            fallbacks = [n for n, c in derivation.items() if not c.conjugate]
            if fallbacks:                      # slice-sampler densities from the element-level factors
                from ..derive.conditionals import derive_conditional
                try:
                    old = Derivation(self.model, {n: derive_conditional(self.model, derivation.graph, n)
                                                  for n in fallbacks}, derivation.graph)
                except ModelError:             # an axis of data size: not written out entry by entry
                    self.blanket_logp = {n: self._blanket_logp(n) for n in fallbacks}
                else:
                    self.fallback_ns = GibbsCodegen(old).compile()
                    self.fallback_d = old
        else:
            self.codegen = GibbsCodegen(derivation)
        self.namespace = self.codegen.compile()
        self.set_data(data)
        self.slice_width: dict = {}
        order = self.d.graph.topological_unknowns()
        # local latents first (as an E-step before an M-step): a sweep then starts from the
        # global values the user gave, instead of overwriting them from random allocations
        order = [n for n in order if self.d.graph.is_local(n)] + [n for n in order if not self.d.graph.is_local(n)]
        if only is not None:                  # a sweep over some unknowns (Monte Carlo EM's latents)
            order = [n for n in order if n in only]
        self.schedule = Schedule(self._step(name, strict) for name in order)

    def set_data(self, data: dict | None):
        """Bind (new) data: validated, and the data-only sums recomputed; the code is reused."""
        self.env, self.sizes = bind_data(self.model, data)
        for p in self.model.plates.values():      # every plate's size known: a named error, not a KeyError
            p.resolve_size(self.sizes)
        given = sorted(n for n in (data or {}) if n in {v.name for v in self.model.unknowns})
        if given:
            raise ModelError(f"data gives values for {', '.join(map(repr, given))}, which the model declares unknown; "
                             "declare them observed=True to condition on them")
        self.D = {k: np.asarray(v, dtype=float) for k, v in self.env.items()}
        if self.d.literals is not None:
            self.D.update(self.d.literals.arrays)
        self.D.update({k: float(v) for k, v in self.sizes.items()})
        self.DI = {k: np.asarray(np.rint(v), dtype=np.intp) for k, v in self.D.items()
                   if np.all(np.isfinite(v)) and np.all(np.mod(v, 1) == 0)}
        self.Z = {**self.sizes, "_chains": self.chains}
        self.P = self.namespace["precompute"](self.D, self.DI, self.Z)
        self.P_fallback = self.fallback_ns["precompute"](self.D, self.DI, self.Z) if self.fallback_ns else self.P

    # ---------------------------------------------------------------- schedule
    def _step(self, name: str, strict: bool) -> Step:
        cond, v = self.d[name], self.model.variables[name]
        if cond.conjugate and cond.flat:
            raise ModelError(f"{name!r} is a Param without a prior, which Gibbs sampling cannot draw; "
                             "give it a prior, or estimate it with method='em'")
        if cond.conjugate and cond.rule != "enumeration" and has_fixed(cond.family):
            natural = self.namespace[f"natural_{_ident(name)}"]   # fixed parameters (bounds, PG shape) added here

            def run(S, rng, natural=natural, cond=cond, v=v):
                eta = natural(S, self.D, self.DI, self.Z, self.P)
                fixed = fixed_values(v, self.env, self.sizes, S, self.chains)
                fam = conditional_family(cond.family)     # array level: event axes kept (index_sample_natural)
                draw = fam.index_sample_natural if getattr(cond, "engine", "") == "index" else fam.sample_natural
                S[v.name] = draw(rng, eta, fixed=fixed)
            return Step(name, cond.rule_name, _blocking(v, self.sizes) + self._free_entries(v), run=run)
        if cond.conjugate:
            fn = self.namespace[f"update_{_ident(name)}"]
            blocking = _blocking(v, self.sizes)
            opened = getattr(cond.target, "opened", ())
            if opened:                         # a vector declared in a plate, summed over it (lv.dot)
                n = int(np.prod([self.sizes[p.name] for p in opened]))
                blocking = f"one block of the {n} elements of plate {' x '.join(p.name for p in opened)} (linked)"
                if cond.target.plates:
                    blocking += f" per element of plate {' x '.join(p.name for p in cond.target.plates)}"
            if getattr(cond, "blocks", 0) and cond.family.event_ndim == 1:   # rows of a matrix, apart
                shape = [self.sizes.get(str(n), n) if isinstance(n, str) else n for n in cond.target.event_shape]
                rows, size = int(np.prod(shape[:cond.blocks])), int(np.prod(shape[cond.blocks:]))
                blocking = f"{rows} independent blocks of {size} (rows of {name}), one batched draw"
            elif opened and v.event_shape:       # rows in a plate, linked by a full noise: one block
                n = int(np.prod([self.sizes[p.name] for p in opened]) * np.prod(v.event_shape))
                blocking = f"one block of the {n} entries of {name} (plate {' x '.join(p.name for p in opened)} x its event, linked)"
            return Step(name, cond.rule_name, blocking,
                        run=lambda S, rng, fn=fn: fn(S, self.D, self.DI, self.Z, self.P, rng))
        reason = str(cond.reason)
        kind = v.family.support
        ns = self.fallback_ns or self.namespace
        logp = self.blanket_logp.get(name) or ns.get(f"logp_{_ident(name)}")
        if strict:
            raise ModelError(f"{reason}; strict=True asks for exact conditionals only "
                             "(drop strict=True to let a slice sampler update it)")
        if kind.discrete or kind.kind in ("simplex", "positive_definite", "count_vector") or logp is None:
            raise ModelError(f"{reason}, and no fallback sampler handles a {v.family.name} unknown "
                             f"({kind.describe()}); give it a conjugate prior or reparameterise")
        bounded = [c for c in self.d.graph.children(name)
                   if self.model.variables[c].family.support.kind in ("interval", "above_scale")]
        if bounded:
            raise ModelError(f"{reason}, and its children {', '.join(map(repr, bounded))} have supports that depend on it; "
                             "no fallback sampler is offered for that")
        if name in self.blanket_logp:
            method = "slice sampler"
            blocking = ("one element at a time (density from the numpy log-joint)" if v.plates or v.event_shape
                        else "single value")
            run = lambda S, rng, n=name, f=logp: self._slice_linked(n, f, S, rng)
        elif (self.fallback_d[name] if self.fallback_ns else cond).linked:
            method, blocking = "slice sampler", "one element at a time (its elements share a factor)"
            run = lambda S, rng, n=name, f=logp: self._slice_linked(n, f, S, rng)
        else:
            method = "slice sampler" + (" (per coordinate)" if v.event_shape else "")
            blocking = _blocking(v, self.sizes)
            run = lambda S, rng, n=name, f=logp: self._slice_block(n, f, S, rng)
        warnings.warn(f"{name!r} has no conjugate conditional ({reason}); it is updated by a {method}",
                      FallbackWarning, stacklevel=4)
        return Step(name, method, blocking, reason=reason, run=run)

    def _free_entries(self, v) -> str:
        """For a variable on intervals (missing or censored data): how many entries are free."""
        if "lower" not in getattr(v.family, "fixed_params", ()):
            return ""
        fixed = fixed_values(v, self.env, self.sizes, {}, 1)
        lo, hi = np.broadcast_arrays(fixed["lower"], fixed["upper"])
        free = int(np.sum(lo < hi))
        return f" ({free} missing or censored, {lo.size - free} observed)" if np.any(lo == hi) else ""

    # ---------------------------------------------------------------- slice updates
    def _blanket_logp(self, name):
        """log p(name | rest) + const per chain from the numpy log-joint of its Markov blanket
        (the factors of it and its children), for one-element-at-a-time slice updates: used when
        the element-level factors cannot be written out (an axis whose size comes from the data)."""
        names = [name] + list(self.d.graph.children(name))

        def logp(X, S, D, DI, Z, P):
            env = {**self.env, **S, name: X}
            return batched_log_joint(self.model, env, self.sizes, set(S) | {name}, self.chains, names)
        return logp

    def _support_logp(self, name, f):
        """The generated log-density, with -inf outside the target's support."""
        v = self.model.variables[name]

        def logp(X, S):
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                out = f(X, S, self.D, self.DI, self.Z, self.P_fallback)
            env = {**self.env, **S, name: X}
            ok = np.isfinite(out) & _support_mask(v, X, out.shape, lambda: batched_params(
                v, env, self.sizes, set(S), self.chains))
            return np.where(ok, out, -np.inf)
        return logp

    def _slice_block(self, name, f, S, rng):
        logp = self._support_logp(name, f)
        x = S[name]
        w = self.slice_width.setdefault(name, np.ones_like(x))
        if x.ndim == len(self.model.variables[name].plates) + 1:          # scalar elements
            new, _ = slice_step(lambda y: logp(y, S), x, w, rng)
        else:                                                          # coordinates in turn
            new = x.copy()
            for pos in np.ndindex(x.shape[1 + len(self.model.variables[name].plates):]):
                def coord(y, pos=pos):
                    trial = new.copy()
                    trial[(Ellipsis, *pos)] = y
                    return logp(trial, S)
                new[(Ellipsis, *pos)], _ = slice_step(coord, new[(Ellipsis, *pos)], w[(Ellipsis, *pos)], rng)
        self._adapt(name, x, new)
        S[name] = new

    def _slice_linked(self, name, f, S, rng):
        logp = self._support_logp(name, f)
        new = S[name].copy()
        w = self.slice_width.setdefault(name, np.ones_like(new))
        for pos in np.ndindex(new.shape[1:]):
            def one(y, pos=pos):
                trial = new.copy()
                trial[(slice(None), *pos)] = y
                return logp(trial, S)
            new[(slice(None), *pos)], _ = slice_step(one, new[(slice(None), *pos)], w[(slice(None), *pos)], rng)
        self._adapt(name, S[name], new)
        S[name] = new

    def _adapt(self, name, old, new):
        """During tuning, set each slice width to twice the running mean size of its moves."""
        if getattr(self, "tuning", False):
            w = self.slice_width[name]
            self.slice_width[name] = 0.9 * w + 0.1 * np.maximum(2 * np.abs(new - old), 1e-3 * np.abs(new) + 1e-12)

    # ---------------------------------------------------------------- running
    def sweep(self, S: dict, rng: np.random.Generator, sweep_no: int):
        for step in self.schedule:
            step.run(S, rng)
            val = S[step.name]
            if val.dtype.kind == "f" and not np.all(np.isfinite(val)):
                bad = np.unique(np.nonzero(~np.isfinite(val.reshape(val.shape[0], -1)))[0])
                raise ModelError(f"the update of {step.name!r} ({step.method}) gave non-finite values in chain(s) "
                                 f"{bad.tolist()} at sweep {sweep_no}; the posterior may be improper or the data "
                                 "too extreme for the prior")

    def log_joint(self, S: dict) -> np.ndarray:
        env = {**self.env, **S}
        return batched_log_joint(self.model, env, self.sizes, set(S), self.chains)


def _support_mask(v, X, shape, params):
    """Which entries of ``X`` lie in ``v``'s support, reduced to the shape of the log-density."""
    kind = v.family.support.kind
    if kind == "positive":
        m = X > 0
    elif kind == "unit":
        m = (X > 0) & (X < 1)
    elif kind in ("interval", "above_scale"):
        m = np.asarray(v.family.in_support(X, params()), dtype=bool)
    else:
        m = np.isfinite(X)
    if m.shape != shape:            # per-coordinate entries reduce to their element
        m = m.reshape(shape + (-1,)).all(-1) if m.size != np.prod(shape) else m.reshape(shape)
    return m


def _ident(name):
    from ..codegen.printer import ident
    return ident(name)


def run_gibbs(program: GibbsProgram, draws: int, tune: int, thin: int, seed, init, keep, progress: bool,
              lp: bool = True):
    """Run ``program``; returns ``(draws, stats)`` with arrays ``(chains, draws, ...)``."""
    from tqdm.auto import trange

    rng = np.random.default_rng(seed)
    C = program.chains
    S = initial_state(program.model, program.env, program.sizes, C, rng, init)
    mixture_start(program, S, rng, init)      # mixtures: every chain in one labelling
    names = [v.name for v in program.model.unknowns]
    keep = names if keep is None else list(keep)
    for k in keep:
        if k not in names:
            raise ModelError(f"keep names {k!r}, which is not an unknown (the unknowns are {', '.join(names)})")
    need = sum(S[k].nbytes // C * C * draws for k in keep)
    if need > MAX_STORE_BYTES:
        big = max(keep, key=lambda k: S[k].nbytes)
        raise ModelError(f"storing {draws} draws of {', '.join(keep)} needs {need / 2**30:.1f} GiB ({big!r} is the "
                         f"largest); leave it out with keep=[...] or thin the chains")
    out = {k: np.empty((C, draws) + S[k].shape[1:], dtype=S[k].dtype) for k in keep}
    stats = {"lp": np.empty((C, draws))} if lp else {}
    total = tune + draws * thin
    program.tuning = True
    kept = 0
    program.interrupted = False
    bar = trange(total, disable=not progress, desc=f"gibbs {program.model.name}", unit="sweep", mininterval=0.5)
    try:
        for it in bar:
            if it == tune:
                program.tuning = False
            program.sweep(S, rng, it)
            if it >= tune and (it - tune) % thin == thin - 1:
                for k in keep:
                    out[k][:, kept] = S[k]
                if lp:
                    stats["lp"][:, kept] = program.log_joint(S)
                kept += 1
    except KeyboardInterrupt:          # keep the work: the draws stored so far
        program.interrupted = True
        bar.close()
        out = {k: v[:, :kept] for k, v in out.items()}
        stats = {k: v[:, :kept] for k, v in stats.items()}
        warnings.warn(f"interrupted after {kept} of {draws} draws; the result holds the draws completed so far "
                      "(result.interrupted is True)", InterruptedRunWarning, stacklevel=3)
    program.final_state = S
    return out, stats
