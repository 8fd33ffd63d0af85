"""The EM runtime: generated E- and M-steps, restarts batched on a leading axis.

Each iteration computes every latent's posterior given the parameters (E-step), records the
observed-data log-likelihood of the current parameters (plus the log-prior under MAP), then
maximises Q parameter by parameter (M-step).  ``method="em"`` repeats those conditional
maximisations until they settle, which is the exact joint maximiser of Q when it exists (for a
mixture one pass already is); ``method="ecm"`` does one pass per iteration.

The log-likelihood is exact for both kinds of latent: a discrete latent's E-step logits are the
full log-densities of its factors at each state, so their log-sum-exp is log p(x_n | theta); a
continuous latent uses Bayes' rule at its posterior mean z*, log p(x | theta) =
log p(x, z* | theta) - log q(z*), which is exact because q is the exact posterior.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..codegen.em import EMCodegen
from ..derive.conditionals import Conditional
from ..frontend.expr import ModelError
from .arguments import init_array
from ..graph.validate import bind_data, require_nonempty
from ..families import conditional_family
from .batched import batched_params
from .fixed import fixed_values, has_fixed

INNER_MAX, INNER_TOL = 100, 1e-12

#: size of the random log-weight perturbation of tempered responsibilities (beta < 1).  At a low
#: beta every component is pulled onto one (the tempered posterior is nearly uniform); without a
#: perturbation they can become numerically identical and then stay so for ever.  The
#: perturbation is absent at beta = 1, so the final iterations are exact EM.
ANNEAL_JITTER = 0.05


class EMWarning(UserWarning):
    """Something in an EM run needs attention: a decrease of the log-likelihood, a collapse."""


def element_level(derivation):
    """An element-level derivation of the same model (an array-level one is redone)."""
    if getattr(derivation, "engine", "element") == "index":
        from ..derive.derivation import derive
        return derive(derivation.model, engine="element")
    return derivation


def em_level(derivation, latent=None, params=None):
    """(derivation, at array level?) for an EM program: an array-level derivation is used as it is
    when every latent and parameter has an array-level conditional the EM steps can be generated
    from (``codegen.index_em.index_em_problem``); otherwise the model is derived at element level,
    whose code generation also offers numerical M-steps."""
    if getattr(derivation, "engine", "element") != "index":
        return derivation, False
    from ..codegen.index_em import index_em_problem
    lat, par = split_unknowns(derivation, latent, params)
    if index_em_problem(derivation, lat, par) is None:
        return derivation, True
    return element_level(derivation), False


class ConvergenceWarning(UserWarning):
    """EM reached ``max_iter`` before the log-likelihood settled: the estimates are not a fixed point."""


class EMProgram:
    """A compiled EM program for one model, split into latents and parameters, and one data set."""

    def __new__(cls, derivation=None, *args, **kwargs):
        """A mixture whose vector observations miss coordinates has its own exact E-step
        (``runtime.em_missing``): the program is then that subclass."""
        if cls is EMProgram and derivation is not None:
            from .em_missing import program_class
            cls = program_class(derivation) or cls
        return super().__new__(cls)

    centre_data = True        # data far from zero: sums regrouped around the whole data's centre (set_data)

    def __init__(self, derivation, data: dict | None, restarts: int, latent=None, params=None):
        derivation, self.index = em_level(derivation, latent, params)
        self.d, self.model, self.R = derivation, derivation.model, restarts
        self.graph = derivation.graph
        self.latent, self.params = split_unknowns(derivation, latent, params)
        self.numeric = []                 # parameters maximised numerically (generalised EM)
        if not self.index:
            for name in self.latent:
                cond = derivation[name]
                if not isinstance(cond, Conditional):
                    raise ModelError(f"EM needs the posterior of latent {name!r} in closed form, but {cond.reason}; "
                                     "use method='mcem', or make it a parameter with params=[...]")
            for name in self.params:
                cond = derivation[name]
                if not isinstance(cond, Conditional):
                    kind = cond.target.family.support.kind
                    if cond.factors is None or cond.linked or kind not in ("real", "positive", "real_vector"):
                        raise ModelError(f"EM: the M-step of {name!r} has no closed form ({cond.reason}), and a "
                                         f"numerical M-step is offered only for real or positive parameters")
                    self.numeric.append(name)
        self._check_structure()
        self.collapses: dict = {}
        self.anneal_rng = None                 # set by run_em while the E-step is tempered
        self.centred: set = set()             # data arrays read centred where sums cancel (symbolic/centring.py)
        if self.index:                        # centred only for data far from zero, as below
            from ..codegen.index_em import IndexEMCodegen
            from ..symbolic.centring import far_from_zero
            centre = self.centre_data and far_from_zero(self.model, data)
            self.codegen = IndexEMCodegen(derivation, self.latent, self.params, centre=centre)
            self.centred = self.codegen.centred
        else:
            from ..symbolic.centring import far_from_zero
            if self.centre_data and (hasattr(derivation, "centred_names") or far_from_zero(self.model, data)):
                from ..symbolic.centring import centre_element_derivation
                moments = {n for n in self.latent if derivation[n].rule != "enumeration"}   # E[w w'] != E[w] E[w]'
                derivation, self.centred = centre_element_derivation(derivation, set(self.latent) | set(self.params),
                                                                     keep=moments)
                self.d = derivation
            self.codegen = EMCodegen(derivation, self.latent, self.params)
            self.codegen.centred = self.centred
        self.namespace = self.codegen.compile()
        self.set_data(data)

    def _check_structure(self):
        owner: dict = {}
        for l in self.latent:
            for c in self.graph.children(l):
                if c in self.latent:
                    raise ModelError(f"EM: latent {c!r} depends on latent {l!r}; a hierarchy of latents has no "
                                     "exact E-step here (make one of them a parameter)")
                if c in owner:
                    raise ModelError(f"EM: {c!r} depends on two latents, {owner[c]!r} and {l!r}; their joint "
                                     "posterior is not derived (make one of them a parameter)")
                owner[c] = l
        self.touching = set(owner) | set(self.latent)

    def set_data(self, data):
        env, sizes = bind_data(self.model, data)
        require_nonempty(self.model, sizes, "EM")
        given = sorted(n for n in (data or {}) if n in {v.name for v in self.model.unknowns})
        if given:
            raise ModelError(f"data gives values for {', '.join(map(repr, given))}, which the model declares unknown; "
                             "declare them observed=True to condition on them")
        if self.centred:                          # one centre per data set, shared by every chunk
            from ..symbolic.centring import CENTRE, centre_of, data_plate_dims
            dims = data_plate_dims(self.model)
            env = {**env, **{n + CENTRE: centre_of(env[n], dims[n]) for n in self.centred}}
        self.env, self.sizes = env, sizes
        self._full = None
        self._chunk_ws: dict = {}               # one chunk's feature matrix, reused across chunks
        self.integral = {k for k, v in env.items() if _is_integral(v)} | set(sizes)
        self.data_plate = self._data_plate()
        D, DI, Z = self._arrays(env, sizes)          # the M-steps' view: whole-data sums, no features
        self.light = Batch(env, sizes, D, DI, Z, self.namespace["precompute_sums"](D, DI, Z))

    @property
    def full(self) -> "Batch":
        """The whole data set, bound on first use (online EM never needs it whole)."""
        if self._full is None:
            self._full = self.bind(self.env, self.sizes)
        return self._full

    def _arrays(self, env: dict, sizes: dict):
        D = {k: np.asarray(v, dtype=float) for k, v in env.items()}
        D.update({k: float(v) for k, v in sizes.items()})
        if self.index:                           # literal arrays of the declarations are data
            D.update(self.d.literals.arrays)
        DI = {k: np.asarray(np.rint(v), dtype=np.intp) for k, v in D.items() if k in self.integral}
        return D, DI, {**sizes, "_chains": self.R}

    def bind(self, env: dict, sizes: dict, ws: dict | None = None) -> "Batch":
        """Arrays in the form the generated code reads, with the data-only sums precomputed
        (feature matrices taken from the workspace ``ws`` when one is given)."""
        D, DI, Z = self._arrays(env, sizes)
        return Batch(env, sizes, D, DI, Z, self.namespace["precompute"](D, DI, Z, ws))

    def start(self, init, rng) -> dict:
        """Starting parameters (``initial_parameters``; streaming data start from a sample)."""
        return initial_parameters(self, init, rng)

    def minibatch(self, rng, size: int) -> np.ndarray:
        """Sorted indices of ``size`` data points drawn uniformly with replacement (online EM)."""
        return np.sort(rng.integers(0, self.sizes[self.data_plate.name], size))

    def auto_chunk(self, budget: int = 6 * 2**20) -> int | None:
        """Data points per chunk that keep the per-point arrays (features, logits, posteriors)
        within ``budget`` bytes; None when the whole data fits or the statistics do not add up.
        A few MB keeps one chunk's arrays in cache between the E-step's passes over them: for a
        D = 10, K = 10 mixture 6 MB measured about 12% faster per iteration than 16 MB, at 60% of
        the peak memory."""
        if not self.can_split:
            return None
        if self.index:
            return self._index_chunk()
        width = sum(len(reg["cols"]) for reg in self.codegen.features.values())
        width += sum(4 * (self.d[l].n_states or 4) for l in self.latent) + 8
        chunk = max(1024, int(budget / (8 * width * self.R)))
        return chunk if chunk < self.sizes[self.data_plate.name] else None

    def _index_chunk(self, whole: int = 2**30, part: int = 64 * 2**20) -> int | None:
        """Array level: the data's precomputed products are held whole for the run (faster per
        iteration) unless they would pass ``whole`` bytes (a full-covariance mixture's x x' pairs
        grow as N D^2: 4 GB at N = 100k, D = 100); then chunks of about ``part`` bytes, whose
        products are rebuilt at each iteration.  The bytes per data point are measured on the
        products of the first few points."""
        n = self.sizes[self.data_plate.name]
        probe = min(n, 64)
        P = self.subset(slice(0, probe)).P
        per_point = sum(np.asarray(v).nbytes for v in P.values() if np.ndim(v)) / probe
        per_point += 8 * self.R * sum(3 * (self.d[l].n_states or 4) for l in self.latent)   # logits, posteriors
        if per_point * n <= whole:
            return None
        return max(256, int(part / per_point))

    def _data_plate(self):
        """The plate all latents live in (their first), if any: the axis minibatches cut."""
        plates = {self.model.variables[l].plates[0] if self.model.variables[l].plates else None for l in self.latent}
        if len(plates) != 1 or None in plates:
            return None
        plate = plates.pop()
        for name in self.params:
            if plate in self.model.variables[name].plates:
                return None
        return plate

    @property
    def can_split(self) -> bool:
        """Statistics add over data points and the updates read nothing but them (online EM, chunks)."""
        return (self.data_plate is not None and not self.numeric and all(self.codegen.pure.values())
                and all("E['" not in self.codegen.functions["mstep_" + p].split("def solve_")[1] for p in self.params))

    def subset(self, index, ws: dict | None = None) -> "Batch":
        """The data points ``index`` (an index array, or a slice: views, no copies) of the data
        plate, bound like the full data (``ws`` as in ``bind``)."""
        plate = self.data_plate
        env = {}
        for name, val in self.env.items():
            obj = self.model.variables.get(name) or self.model.consts.get(name)
            env[name] = val[index] if obj is not None and obj.plates[:1] == (plate,) else val
        n = len(range(self.sizes[plate.name])[index]) if isinstance(index, slice) else len(index)
        sizes = dict(self.sizes)
        sizes[plate.name] = n
        if isinstance(plate.size, str):
            sizes[plate.size] = n
        return self.bind(env, sizes, ws)

    # ---------------------------------------------------------------- E-step
    def estep(self, S: dict, beta: float = 1.0, batch: "Batch | None" = None, others: bool = True,
              weights: dict | None = None):
        """Posteriors of the latents; returns (E, posteriors, log-likelihood per restart).

        ``beta`` < 1 tempers the posteriors (deterministic annealing); the log-likelihood is
        always the untempered one.  ``others=False`` leaves out the factors that touch no latent
        (added once when the data come in chunks).
        """
        b = batch or self.full
        E, post = {}, {}
        ll = np.zeros(self.R)
        for name in self.latent:
            cond = self.d[name]
            with np.errstate(divide="ignore", invalid="ignore"):   # empty components: checked below
                eta = self.namespace[f"estep_{_ident(name)}"](S, b.D, b.DI, b.Z, b.P, weights)
            if cond.rule == "enumeration":
                if beta == 1.0:
                    lse = normalise_states(eta)          # eta becomes the responsibilities
                    ll += lse.reshape(self.R, -1).sum(-1)
                else:
                    ll += log_sum_exp_states(eta).reshape(self.R, -1).sum(-1)
                    eta = beta * eta
                    if self.anneal_rng is not None:        # break the symmetry of identical components
                        eta += ANNEAL_JITTER * self.anneal_rng.uniform(-1.0, 1.0, eta.shape)
                    eta -= log_sum_exp_states(eta)
                    np.exp(eta, out=eta)
                E[name] = np.moveaxis(eta, 0, -1)
                post[name] = {"p": E[name]}
            elif self.index:                             # array level: event axes kept
                fam = cond.family
                p = fam.index_from_natural(eta)
                ll += self._bayes_rule_term(name, cond, p, S, b)
                if beta != 1.0:
                    p = fam.index_from_natural([beta * e for e in eta])
                post[name] = p
                E[name] = [np.asarray(e, float) for e in fam.index_expected_stats(p)]
            else:
                fixed, fam = None, conditional_family(cond.family)
                if has_fixed(cond.family):             # bounds, PG shape: not in the natural parameters
                    fixed = fixed_values(cond.target, b.env, b.sizes, S, self.R)
                    p = fam.from_natural(eta, fixed=fixed)
                else:
                    p = fam.from_natural(eta)
                ll += self._bayes_rule_term(name, cond, p, S, b)
                if beta != 1.0:
                    p = fam.from_natural(beta * eta, **({"fixed": fixed} if fixed is not None else {}))
                post[name] = p
                stats = fam.expected_stats(p)
                E[name] = np.stack(np.broadcast_arrays(*stats), -1)
        if others:
            ll += self._other_terms(S)
        return E, post, ll

    def _bayes_rule_term(self, name, cond, p, S, b):
        """log p(z*, children | theta) - log q(z*) at the posterior mean z*, per restart."""
        family = conditional_family(cond.family)
        # any point of positive density will do; a count needs an integer (the mode), not the mean
        zstar = np.asarray(family.mode(p) if family.support.discrete else family.mean(p), float)
        env = {**b.env, **S, name: zstar}
        batched = set(S) | {name}
        total = np.zeros(self.R)
        for vname in [name] + self.graph.children(name):
            total += self._factor(vname, env, batched, b.sizes)
        q = np.asarray(family.logpdf(zstar, p), float)
        return total - q.reshape(self.R, -1).sum(-1)

    def _factor(self, vname, env, batched, sizes):
        v = self.model.variables[vname]
        params = batched_params(v, env, sizes, batched, self.R)
        x = np.asarray(env[vname], float)
        if vname not in batched:
            x = x[None]
        lp = v.family.logpdf(x, params)
        return np.broadcast_to(lp, (self.R,) + lp.shape[1:]).reshape(self.R, -1).sum(-1)

    def _other_terms(self, S):
        env, batched = {**self.env, **S}, set(S)
        total = np.zeros(self.R)
        for v in self.model.variables.values():
            if v.name not in self.touching and v.name not in self.latent:
                total += self._factor(v.name, env, batched, self.sizes)
        return total

    def stats(self, S: dict, E: dict, batch: "Batch | None" = None) -> dict:
        """The M-steps' expected statistics that read only the E-step (a batch's, when split)."""
        b = batch or self.full
        return self.namespace["stats_all"](S, E, b.D, b.DI, b.Z, b.P)

    def estep_stats(self, S: dict, beta: float = 1.0, chunk: int | None = None):
        """E-step and statistics over the whole data, in chunks of ``chunk`` data points when the
        statistics add up (memory then holds one chunk's arrays); returns (T, ll, E, post), where
        E and post are None when chunked."""
        if not chunk or not self.can_split or self.sizes[self.data_plate.name] <= chunk:
            E, post, ll = self.estep(S, beta)
            return self.stats(S, E), ll, E, post
        self._full = None                        # chunked: never hold the whole data's arrays
        n = self.sizes[self.data_plate.name]
        T, ll = None, self._other_terms(S)
        weights: dict = {}                       # parameter weights shared by the chunks
        for lo in range(0, n, chunk):
            b = self.subset(slice(lo, min(lo + chunk, n)), self._chunk_ws)
            E, _, part = self.estep(S, beta, b, others=False, weights=weights)
            ll = ll + part
            T = add_stats(T, self.stats(S, E, b))
        return T, ll, None, None

    # ---------------------------------------------------------------- M-step
    def mstep(self, S: dict, E: dict | None, T: dict | None = None, exact: bool = True, iteration: int = 0,
              batch: "Batch | None" = None):
        """Maximise Q over the parameters in turn (until they settle when ``exact``).

        Statistics that read only the E-step are computed once (or given as ``T``); the others
        are recomputed at every pass, since they depend on parameters updated in between.
        """
        T = dict(T) if T is not None else self.stats(S, E)
        b = self.light if all(self.codegen.pure.values()) else (batch or self.full)
        for sweep in range(INNER_MAX if exact else 1):
            change = 0.0
            for name in self.params:
                old = S[name]
                if name in self.numeric:
                    self._numeric_step(name, S, E, batch or self.full)
                else:
                    if not self.codegen.pure[name]:
                        T.update(self.namespace[f"stats_{_ident(name)}"](S, E, b.D, b.DI, b.Z, b.P))
                    with np.errstate(divide="ignore", invalid="ignore"):   # held by _hold_collapsed
                        self.namespace[f"solve_{_ident(name)}"](S, E, T, b.D, b.DI, b.Z, b.P)
                self._hold_collapsed(name, old, S, iteration)
                scale = np.max(np.abs(old)) if old.size else 0.0
                change = max(change, float(np.max(np.abs(S[name] - old)) / (scale + 1e-300)) if old.size else 0.0)
            if change < INNER_TOL:
                break

    def _numeric_step(self, name, S, E, b):
        """Generalised EM: increase Q in one parameter with L-BFGS from its current value, using
        the generated Q and symbolic gradient (log scale for a positive parameter)."""
        from scipy.optimize import minimize
        fn = self.namespace[f"q_{_ident(name)}"]
        positive = self.model.variables[name].family.support.kind == "positive"
        shape = S[name].shape

        def negative_q(y):
            X = np.exp(y).reshape(shape) if positive else y.reshape(shape)
            with np.errstate(all="ignore"):
                q, g = fn(X, S, E, b.D, b.DI, b.Z, b.P)
            if positive:
                g = g * X
            total = float(np.sum(q))
            if not np.isfinite(total):
                return np.inf, np.zeros(y.size)
            return -total, -np.asarray(g, float).ravel()

        y0 = np.log(S[name]).ravel() if positive else S[name].ravel()
        res = minimize(negative_q, y0, jac=True, method="L-BFGS-B", options={"maxiter": 200})
        if np.isfinite(res.fun) and res.fun <= negative_q(y0)[0]:
            S[name] = (np.exp(res.x) if positive else res.x).reshape(shape)

    def _hold_collapsed(self, name, old, S, iteration):
        new = np.asarray(S[name], float)
        v = self.model.variables[name]
        bad = ~np.isfinite(new)
        kind = v.family.support.kind
        if kind == "positive":
            bad |= new <= 0
        if kind == "unit":                       # p = 0 or 1 makes log p or log(1 - p) infinite
            bad |= (new <= 0) | (new >= 1)
        if kind == "positive_definite" and np.all(np.isfinite(new)):
            eig = np.linalg.eigvalsh(new)
            bad |= np.broadcast_to((eig <= 0).any(-1)[..., None, None], new.shape)
        if bad.any():
            where = set(np.nonzero(bad.reshape(self.R, -1).any(-1))[0].tolist())
            first, count, restarts = self.collapses.get(name, (iteration, 0, set()))
            self.collapses[name] = (first, count + 1, restarts | where)
            S[name] = np.where(bad, old, new)

    def report_collapses(self):
        """One warning per parameter whose M-step left its domain during the run."""
        for name, (first, count, restarts) in self.collapses.items():
            warnings.warn(f"EM: the M-step of {name!r} gave values on or outside the boundary of its domain "
                          f"(an empty or collapsing component) first at iteration {first}, {count} time(s) in all, "
                          f"in restart(s) {sorted(restarts)}; those entries kept their previous values. "
                          "A prior on it (MAP) or fewer components avoids this.", EMWarning, stacklevel=4)
        self.collapses = {}


def _is_integral(v, block: int = 1 << 16) -> bool:
    """Whether every value is a whole number, checked block by block (no data-sized temporaries)."""
    a = np.asarray(v)
    if a.dtype.kind in "iub":
        return True
    flat = a.reshape(-1)
    if not np.all(np.isfinite(flat)):        # infinite bounds (a truncation) are not indices
        return False
    return all(np.all(np.mod(flat[i:i + block], 1) == 0) for i in range(0, flat.size, block))


def final_posteriors(program: EMProgram, S: dict, chunk: int | None):
    """The E-step at the estimates for the whole data, chunk by chunk when the data are split."""
    n = program.sizes[program.data_plate.name] if program.data_plate is not None else 0
    if not getattr(program, "keeps_posteriors", True):         # streamed data: the log-likelihood only
        _, ll, _, _ = program.estep_stats(S, 1.0, chunk)
        return {}, {}, ll
    if not chunk or not program.can_split or n <= chunk:
        return program.estep(S)
    parts, ll = [], program._other_terms(S)
    for lo in range(0, n, chunk):
        E, post, part = program.estep(S, batch=program.subset(slice(lo, min(lo + chunk, n))), others=False)
        parts.append((E, post))
        ll = ll + part
    axis = 1                                     # restarts first, then the data plate
    E = {k: _concatenate([p[0][k] for p in parts], axis) for k in parts[0][0]}
    post = {k: {q: np.concatenate([p[1][k][q] for p in parts], axis) for q in parts[0][1][k]} for k in parts[0][1]}
    return E, post, ll


def _concatenate(parts: list, axis: int):
    """Chunks of an expectation joined on the data axis (a list: per expected statistic)."""
    if isinstance(parts[0], list):
        return [np.concatenate([p[j] for p in parts], axis) for j in range(len(parts[0]))]
    return np.concatenate(parts, axis)


def normalise_states(eta: np.ndarray) -> np.ndarray:
    """Turn log-weights ``eta[state, ...]`` into probabilities in place; return log sum_s exp(eta[s]).

    One pass of ``exp``: the shifted weights are exponentiated once, summed for the normaliser
    and divided by it (log-sum-exp then a second exp would take two)."""
    top = eta.max(axis=0)
    eta -= top
    np.exp(eta, out=eta)
    total = eta.sum(axis=0)
    eta /= total
    with np.errstate(divide="ignore"):
        return top + np.log(total)


def log_sum_exp_states(eta: np.ndarray) -> np.ndarray:
    """log sum_s exp(eta[s]) over the leading (state) axis, state by state on whole arrays."""
    top = eta.max(axis=0)
    acc = np.zeros_like(top)
    for e in eta:
        acc += np.exp(e - top)
    with np.errstate(divide="ignore"):
        return top + np.log(acc)


class Batch:
    """One data set (or minibatch) as the generated code reads it."""

    def __init__(self, env, sizes, D, DI, Z, P):
        self.env, self.sizes, self.D, self.DI, self.Z, self.P = env, sizes, D, DI, Z, P


def add_stats(total: dict | None, part: dict) -> dict:
    """Sum two sets of M-step statistics ({name: array})."""
    if total is None:
        return dict(part)
    return {k: total[k] + v for k, v in part.items()}


def split_unknowns(derivation, latent=None, params=None) -> tuple[list, list]:
    """Latents (E-step) and parameters (M-step): unknowns in a data plate, discrete unknowns, and
    the latent variables a rewrite added (augmentation scales), are latent by default."""
    names = [v.name for v in derivation.model.unknowns]
    for given in (latent or []), (params or []):
        for n in given:
            if n not in names:
                raise ModelError(f"{n!r} is not an unknown of model {derivation.model.name!r} "
                                 f"(the unknowns are {', '.join(names)})")
    both = set(latent or []) & set(params or [])
    if both:
        raise ModelError(f"{', '.join(sorted(both))} cannot be both latent and a parameter")
    # latent by default: unknowns in a data plate, discrete unknowns anywhere (a change point
    # outside every plate has an E-step, its posterior over states, but no stationary point of Q),
    # and the latent variables a rewrite added
    added = {n for r in getattr(derivation, "rewrites", []) for n in r.new}    # augmentation latents
    lat = [n for n in names if (derivation.graph.is_local(n) or n in (latent or []) or n in added
                                or derivation.model.variables[n].is_discrete) and n not in (params or [])]
    par = [n for n in names if n not in lat]
    if not par:
        raise ModelError("EM needs at least one parameter to estimate; pass params=[...]")
    return lat, par


def _ident(name):
    from ..codegen.printer import ident
    return ident(name)


# ---------------------------------------------------------------------------- initial values

def neutral_value(v, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """A starting value from the parameter's domain: small random reals, ones, uniform weights."""
    kind = v.family.support.kind
    ev = tuple(v.event_shape)
    if kind in ("real", "real_vector"):
        return 0.1 * rng.standard_normal(shape + ev)
    if kind == "positive":
        return np.ones(shape + ev)
    if kind == "unit":
        return rng.uniform(0.25, 0.75, shape + ev)
    if kind == "simplex":
        return np.full(shape + ev, 1.0 / ev[-1])
    if kind == "positive_definite":
        return np.broadcast_to(np.eye(ev[-1]), shape + ev).copy()
    raise ModelError(f"no default starting value for parameter {v.name!r} ({v.family.name}); give init=")


def kmeans_pp_responsibilities(program: EMProgram, name: str, rng: np.random.Generator) -> np.ndarray:
    """One-hot responsibilities from k-means++ centres on the latent's observed children, per restart.

    Data point n is the row of every observed child of ``name`` at n; centres are chosen by
    scikit-learn's greedy k-means++ (``runtime/initial.py``) and each point goes to its nearest centre.
    """
    v = program.model.variables[name]
    if len(v.plates) != 1:
        raise ModelError(f"k-means++ initialisation needs latent {name!r} in one plate; give init=")
    K = program.d[name].n_states
    rows = []
    for c in program.graph.children(name):
        child = program.model.variables[c]
        if child.observed and child.plates[:1] == v.plates:
            arr = np.asarray(program.env[c], float)
            rows.append(arr.reshape(arr.shape[0], -1))
    if not rows:
        raise ModelError(f"k-means++ initialisation of {name!r} needs observed children in its plate; give init=")
    X = np.concatenate(rows, axis=1)
    from .initial import kmeans_plusplus_centres, nearest_centre
    out = np.zeros((program.R, X.shape[0], K))
    for r in range(program.R):
        out[r, np.arange(X.shape[0]), nearest_centre(X, kmeans_plusplus_centres(X, K, rng))] = 1.0
    return out


def initial_parameters(program: EMProgram, init: dict | None, rng: np.random.Generator) -> dict:
    """Starting values of the parameters, ``{name: (restarts, *plates, *event)}``.

    Given values are used as they are (one for all restarts, or one per restart).  Otherwise
    parameters start from neutral values and, when a discrete latent is present, the first M-step
    is taken from k-means++ allocations, which puts mixture components where the data are.
    """
    init = dict(init or {})
    for n in init:
        if n not in program.params:
            raise ModelError(f"init gives {n!r}, which is not a parameter of this EM program "
                             f"(the parameters are {', '.join(program.params)})")
    S = {}
    for name in program.params:
        v = program.model.variables[name]
        shape = tuple(program.sizes[p.name] for p in v.plates)
        want = shape + tuple(v.event_shape)
        if name in init:
            arr = init_array(name, init[name])
            if arr.shape == (program.R,) + want:
                S[name] = arr.copy()
            else:
                try:
                    S[name] = np.broadcast_to(arr, (program.R,) + want).copy()
                except ValueError:
                    raise ModelError(f"the initial value of {name!r} has shape {arr.shape}; it needs {want} "
                                     f"(or {(program.R,) + want} for one value per restart)") from None
            from .initial import in_support
            if not in_support(v, S[name]):
                raise ModelError(f"the initial value of {name!r} is outside its domain: each value must be "
                                 f"{v.family.support.describe()}")
        else:
            S[name] = np.stack([neutral_value(v, shape, rng) for _ in range(program.R)])
    missing = [n for n in program.params if n not in init]
    discrete = [l for l in program.latent if program.d[l].rule == "enumeration"
                and len(program.model.variables[l].plates) == 1]      # k-means++ needs data points
    if missing and discrete:
        E = {}
        for l in program.latent:
            if l in discrete:
                E[l] = kmeans_pp_responsibilities(program, l, rng)
        if len(E) == len(program.latent):
            fixed = {n: S[n].copy() for n in init}
            program.mstep(S, E, exact=True)
            S.update(fixed)
    return S


# ---------------------------------------------------------------------------- the loop

def run_em(program: EMProgram, init, max_iter: int, tol: float, seed, progress: bool, exact: bool = True,
           anneal=None, chunk: int | None = None) -> dict:
    """Iterate E- and M-steps until every restart's relative log-likelihood change is below ``tol``.

    Returns the final parameters, the log-likelihood trajectories (restarts x iterations), the
    iteration counts and convergence flags per restart.  ``anneal`` is a schedule of inverse
    temperatures for deterministic annealing (the E-step uses posterior^beta until beta = 1).
    """
    from tqdm.auto import trange

    rng = np.random.default_rng(seed)
    chunk = program.auto_chunk() if chunk is None else (chunk or None)
    S = program.start(init, rng)
    R = program.R
    history = []
    frozen = {k: v.copy() for k, v in S.items()}
    active = np.ones(R, dtype=bool)
    n_iter = np.zeros(R, dtype=int)
    converged = np.zeros(R, dtype=bool)
    betas = list(anneal or [])
    level, prev_beta = 0, None                     # annealing: which beta
    interrupted = False
    bar = trange(max_iter, disable=not progress, desc=f"em {program.model.name}", unit="iter", mininterval=0.5)
    try:
        for it in bar:
            frozen = {k: v.copy() for k, v in S.items()}
            beta = betas[level] if level < len(betas) else 1.0
            program.anneal_rng = rng if beta < 1.0 else None
            T, ll, E, post = program.estep_stats(S, beta, chunk)
            history.append(ll)
            scale = np.maximum(np.abs(ll), 1.0)
            if it > 0 and beta == 1.0 and prev_beta == 1.0:
                prev = history[-2]
                drop = prev - ll
                bad = active & (drop > 1e-9 * scale)
                if bad.any():
                    r = int(np.argmax(np.where(bad, drop / scale, -np.inf)))
                    warnings.warn(f"EM iteration {it}: the log-likelihood decreased by {drop[r]:.3g} "
                                  f"(relative {drop[r] / scale[r]:.2g}) in restart {r}; EM should never decrease "
                                  "it, so an update is not a maximiser of Q", EMWarning, stacklevel=3)
                if tol > 0:                            # tol = 0: run max_iter iterations
                    done = active & (np.abs(ll - prev) <= tol * scale)
                    converged |= done
                    active &= ~done
            elif beta < 1.0:                           # one iteration per temperature
                level += 1
            prev_beta = beta
            bad_ll = active & ~np.isfinite(ll)
            if bad_ll.any():
                warnings.warn(f"EM iteration {it}: the log-likelihood is not finite in restart(s) "
                              f"{np.nonzero(bad_ll)[0].tolist()} (a collapsed component); they stop there",
                              EMWarning, stacklevel=3)
                active &= ~bad_ll
            n_iter[active] = it + 1
            if not active.any():
                break
            program.mstep(S, E, T, exact=exact, iteration=it)
            for k in S:                                   # finished restarts keep their parameters
                S[k] = np.where(active.reshape((R,) + (1,) * (S[k].ndim - 1)), S[k], frozen[k])
    except KeyboardInterrupt:              # keep the work: the parameters after the last complete iteration
        interrupted = True
        S = frozen
        bar.close()
        warnings.warn(f"EM interrupted after {len(history)} iteration(s); the result holds the estimates after the "
                      "last complete iteration (result.interrupted is True)", EMWarning, stacklevel=3)
    program.anneal_rng = None
    if not interrupted and tol > 0 and active.any():
        warnings.warn(f"EM stopped at max_iter={max_iter} before converging in restart(s) "
                      f"{np.nonzero(active)[0].tolist()} (relative change of the log-likelihood above tol={tol:g}); "
                      "raise max_iter, or loosen tol", ConvergenceWarning, stacklevel=3)
    bar.close()
    program.report_collapses()
    E, post, ll = final_posteriors(program, S, chunk)
    if len(history) == 0 or not np.array_equal(history[-1], ll):
        history.append(ll)
    return {"params": S, "loglik": np.array(history).T, "n_iter": n_iter, "converged": converged,
            "posterior": post, "expectations": E, "interrupted": interrupted}


def run_online_em(program: EMProgram, init, steps: int, batch_size: int, kappa: float, seed, progress: bool,
                  chunk: int | None = None) -> dict:
    """Online EM (Cappe and Moulines 2009): a running average of the expected statistics.

    At step t a minibatch's statistics, scaled to the whole data, move the running average by
    rho_t = (1 + t)^-kappa (0.5 < kappa <= 1); the parameters are the M-step of the average.
    Only minibatch-sized arrays are built; the final log-likelihood is a pass over chunks.
    """
    from tqdm.auto import trange

    if not program.can_split:
        raise ModelError("online EM needs latents in one data plate and M-step statistics that are sums over "
                         "it of the data and the E-step alone; this model's are not")
    if not (0.5 < kappa <= 1):
        raise ModelError(f"kappa={kappa} must satisfy 0.5 < kappa <= 1 for online EM to converge")
    rng = np.random.default_rng(seed)
    n = program.sizes[program.data_plate.name]
    batch_size = min(int(batch_size), n)
    # minibatches are drawn uniformly (with replacement), so no array of the data's length is made
    first = program.minibatch(rng, batch_size)
    S = initial_parameters_on(program, program.subset(first), init, rng)
    avg = None
    trace = []
    interrupted, done = False, {k: v.copy() for k, v in S.items()}
    try:
        for t in trange(steps, disable=not progress, desc=f"online em {program.model.name}", unit="batch",
                        mininterval=0.5):
            idx = program.minibatch(rng, batch_size)
            b = program.subset(idx)
            E, _, ll = program.estep(S, batch=b, others=False)
            scale = n / len(idx)
            stats = {k: v * scale for k, v in program.stats(S, E, b).items()}
            rho = (1.0 + t) ** -kappa
            avg = stats if avg is None else {k: (1 - rho) * avg[k] + rho * v for k, v in stats.items()}
            program.mstep(S, None, avg, exact=True, iteration=t, batch=b)
            trace.append(ll * scale)
            done = {k: v.copy() for k, v in S.items()}
    except KeyboardInterrupt:                  # keep the work: the estimates after the last complete step
        interrupted, S = True, done
        warnings.warn(f"online EM interrupted after {len(trace)} step(s); the result holds the estimates after "
                      "the last complete step (result.interrupted is True)", EMWarning, stacklevel=3)
    program.report_collapses()
    _, ll, _, _ = program.estep_stats(S, 1.0, chunk or 2 * batch_size)
    return {"params": S, "loglik": np.array(trace + [ll]).T, "n_iter": np.full(program.R, len(trace)),
            "converged": np.zeros(program.R, dtype=bool), "posterior": {}, "expectations": {},
            "interrupted": interrupted}


def initial_parameters_on(program: EMProgram, batch: "Batch", init, rng) -> dict:
    """``initial_parameters`` computed from one minibatch instead of the whole data."""
    saved = program._full, program.env, program.sizes
    program._full, program.env, program.sizes = batch, batch.env, batch.sizes
    try:
        return initial_parameters(program, init, rng)
    finally:
        program._full, program.env, program.sizes = saved
