"""Complete conditionals: derived once from the model (no data), evaluated on any state.

``derive_conditional`` runs the generic rule of ``lvmdsl.rules.conjugate`` on one unknown and
returns a ``Conditional`` that keeps everything a reader or a runtime needs: the factors, the
coefficients each contributes to each sufficient statistic, how they are summed over plates, the
rule that fired, and the posterior's parameters (symbolic via ``params``, numeric via
``evaluate``).  An unknown the rule cannot handle gets a ``NonConjugate`` record with the reason.
"""

from __future__ import annotations

import inspect
from functools import cached_property

import numpy as np
import sympy as sp
from scipy import special

from ..families import FAMILIES, Distribution, Family
from ..families.flat import Flat
from ..frontend.expr import ModelError
from ..frontend.model import Model, RandomVariable
from ..graph.model_graph import ModelGraph
from ..graph.validate import bind_data
from ..rules.conjugate import (Factor, NotConjugate, collect, enumerate_states, localise,
                               lower_factor)
from ..symbolic.lower import SympyBackend, param_event_shapes, plate_symbol, size_symbol, unwrap
from ..symbolic.numeric import Evaluator, PlateFrame


class ConditionalNames:
    """What every exact conditional says about itself (both engines): its name, whether its
    unknown is a ``Param`` without a prior, and the rule that produced it."""

    conjugate = True

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def flat(self) -> bool:
        """A ``Param`` without a prior: the family is the vehicle of its likelihood's statistics."""
        return isinstance(self.prior_family, Flat)

    @property
    def rule_name(self) -> str:
        """A short name for schedules and messages, e.g. ``conjugate Gamma`` or ``enumeration (3 states)``."""
        if self.rule == "enumeration":
            return f"enumeration ({self.n_states} states)"
        if self.flat:
            return f"no prior; {self.family.name} statistics"
        return f"conjugate {self.family.name}"


class Conditional(ConditionalNames):
    """The complete conditional of one unknown, found by the conjugate rule or by enumeration."""

    def __init__(self, model: Model, target: RandomVariable, rule: str, family: Family,
                 element, stats: list, factors: list[Factor], n_states: int | None = None):
        self.model, self.target, self.rule = model, target, rule
        self.family, self.prior_family = family, target.family
        self.element, self.stats, self.factors, self.n_states = element, stats, factors, n_states

    # ------------------------------------------------------------------ symbolic
    def plate_sum(self, factor: Factor, coef) -> sp.Expr:
        """A factor's coefficient summed over the plate elements that reach the target element.

        Under the indicator [lead = k] the lead may be written as k, so ``tau[z[n]]`` shows as
        ``tau[k]``: an exact rewrite that keeps the formulas readable.
        """
        own = [plate_symbol(p) for p in self.target.plates]
        if not factor.direct:
            coef = coef.xreplace(dict(zip(factor.lead, own)))
        limits = []
        for p in factor.variable.plates:
            s = plate_symbol(p)
            s = factor.renamed.get(s, s)
            if factor.direct and s in own:
                continue
            limits.append((s, 0, size_symbol(p) - 1))
        if not factor.direct:
            for l, k in zip(factor.lead, own):
                coef = coef * sp.KroneckerDelta(l, k)
        return tidy_sum(coef, limits)

    @cached_property
    def natural(self) -> list:
        """Posterior natural parameters: the sum over factors of their (plate-summed) coefficients."""
        out = []
        for i in range(len(self.stats)):
            terms = [self.plate_sum(f, f.coefficients[i]) for f in self.factors if f.coefficients[i] != 0]
            out.append(sp.Add(*terms))
        return out

    @cached_property
    def params(self) -> dict:
        """The posterior's parameters in the family's usual parameterisation (sympy)."""
        if self.rule == "enumeration":
            phi = self.natural
            if self.family.name == "Bernoulli":
                return {"p": 1 / (1 + sp.exp(phi[0] - phi[1]))}
            total = sp.Add(*[sp.exp(f) for f in phi])
            return {"p": sp.Matrix([sp.exp(f) / total for f in phi])}
        return self.family.from_natural_sym(self.natural)

    # ------------------------------------------------------------------ numeric
    def natural_numeric(self, env: dict, sizes: dict) -> list:
        """Posterior natural parameters as arrays over the target's plates."""
        target_names = tuple(p.name for p in self.target.plates)
        shape = tuple(sizes[n] for n in target_names)
        out = [np.zeros(shape) for _ in self.stats]
        for f in self.factors:
            names, fsizes = [], dict(sizes)
            for p in f.variable.plates:
                s = plate_symbol(p)
                s = f.renamed.get(s, s)
                names.append(s.name)
                fsizes[s.name] = sizes[p.name]
            frame = PlateFrame(tuple(names), fsizes)
            ev = Evaluator(env, frame)
            batch = frame.batch_shape()
            lead = None if f.direct else [np.broadcast_to(ev._index(l), batch).ravel() for l in f.lead]
            for i, c in enumerate(f.coefficients):
                if c == 0:
                    continue
                val = np.broadcast_to(ev(c), batch)
                if f.direct:
                    keep = [names.index(n) for n in target_names]
                    drop = tuple(a for a in range(len(names)) if a not in keep)
                    val = val.sum(axis=drop) if drop else val
                    order = sorted(range(len(keep)), key=lambda j: keep[j])
                    val = np.transpose(val, np.argsort(order)) if len(keep) > 1 else val
                    out[i] = out[i] + val
                else:
                    flat = np.ravel_multi_index(lead, shape) if shape else np.zeros(val.size, np.intp)
                    agg = np.bincount(flat, weights=val.ravel(), minlength=int(np.prod(shape)))
                    out[i] = out[i] + agg.reshape(shape)
        return out

    def evaluate(self, values: dict, data: dict | None = None) -> Distribution:
        """The numeric complete conditional at ``values`` (data and the other unknowns' values)."""
        merged = {**(data or {}), **values}
        env, sizes = bind_data(self.model, merged)
        self._check_state(env)
        eta = self.natural_numeric(env, sizes)
        if self.rule == "enumeration":
            phi = np.stack(eta, axis=-1)
            if self.family.name == "Bernoulli":
                return Distribution(self.family, {"p": special.expit(phi[..., 1] - phi[..., 0])})
            logp = phi - special.logsumexp(phi, axis=-1, keepdims=True)
            return Distribution(self.family, {"p": np.exp(logp)})
        fixed = getattr(self.family, "fixed_params", ())
        if fixed and not self.family.support.discrete:        # bounds, PolyaGamma's b: as the prior gives them
            from ..graph.validate import evaluate_params
            prior = evaluate_params(self.target, env, sizes)
            family = getattr(self.family, "posterior_family", None)     # joint factors condition to another family
            family = FAMILIES[family] if family else self.family
            return Distribution(family, family.from_natural(eta, fixed={k: prior[k] for k in fixed}))
        return Distribution(self.family, self.family.from_natural(eta))

    def _check_state(self, env):
        needed = {v.name for f in self.factors for v in _mentions(f)} - {self.target.name}
        missing = sorted(n for n in needed if n not in env)
        if missing:
            raise ModelError(f"the conditional of {self.name!r} needs values for {', '.join(missing)}")

    def __repr__(self):
        return f"{self.name} | rest ~ {self.family.name}  [{self.rule_name}]"

    def _repr_markdown_(self):
        from ..explain.display import conditional_markdown
        return conditional_markdown(self)


def tidy_sum(coef, limits) -> sp.Expr:
    """Sum of ``coef`` over ``limits`` with factors free of the summation indices pulled out.

    ``Sum(-tau[k]/2 * [z[n]=k])`` reads as ``-tau[k]/2 * Sum([z[n]=k])``; a sum of a constant
    becomes the constant times the plate size.  An exact rewrite, for readability only.
    """
    if not limits:
        return coef
    indices = [l[0] for l in limits]
    out = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(coef)):
        outside, inside = term.as_independent(*indices, as_Add=False)
        out += outside * (sp.Sum(inside, *limits).doit() if inside == 1 else sp.Sum(inside, *limits))
    return out


class NonConjugate:
    """An unknown with no exact conditional from the engine, with the reason."""

    conjugate = False
    rule = "not conjugate"
    family = None

    def __init__(self, target: RandomVariable, reason: NotConjugate, factors: list[Factor] | None = None,
                 linked: bool = False):
        self.target, self.reason = target, reason
        self.factors = factors      # the Markov blanket's factors, for a sampler's log-density
        self.linked = linked        # a factor touches two of its elements: update one at a time

    @property
    def name(self):
        return self.target.name

    @property
    def rule_name(self):
        return "not conjugate"

    @property
    def flat(self) -> bool:
        return isinstance(self.target.family, Flat)

    @property
    def params(self):
        raise ModelError(str(self.reason))

    def evaluate(self, *a, **k):
        raise ModelError(f"no closed-form conditional: {self.reason}")

    def __repr__(self):
        return f"{self.name} | rest: not conjugate ({self.reason})"

    def _repr_markdown_(self):
        from ..explain.display import nonconjugate_markdown
        return nonconjugate_markdown(self)


def _mentions(f: Factor):
    from ..graph.model_graph import references
    return [r for r in references(f.variable) if isinstance(r, RandomVariable)] + [f.variable]


def derive_conditional(model: Model, graph: ModelGraph, name: str):
    target = model.variables[name]
    factors = [Factor(target, lower_factor(target))]
    factors += [Factor(model.variables[c], lower_factor(model.variables[c])) for c in graph.children(name)]
    element = np.asarray(SympyBackend(target.plates, name).reference(target, []), dtype=object)
    elem = element.item() if element.ndim == 0 else element
    try:
        local = [localise(target, f) for f in factors]
    except NotConjugate as reason:
        for f in factors:                        # undo partial localisation: whole-factor densities
            f.lead, f.direct, f.renamed = (), True, {}
        return NonConjugate(target, reason, factors, linked=True)
    try:
        n_states = target.family.finite_support_size(param_event_shapes(target), _literal_params(target))
        if n_states is not None:
            if target.event_shape:
                raise NotConjugate(name, "", "", "because vector-valued discrete unknowns are not enumerated")
            for f, e in zip(factors, local):
                f.coefficients = enumerate_states(name, elem, n_states, e)
            family = target.family if target.family.name in ("Bernoulli", "Categorical") else FAMILIES["Categorical"]
            return Conditional(model, target, "enumeration", family, elem, [sp.KroneckerDelta(elem, s) for s in range(n_states)], factors, n_states)
        prior_p = {k: unwrap(SympyBackend(target.plates, name).lower(e)) for k, e in target.params.items()}
        if isinstance(target.family, Flat):       # no prior: the likelihood picks a vehicle family
            candidates = [FAMILIES[v] for v in target.family.vehicles]
            if len(target.family.shape) > max(c.event_ndim for c in candidates):
                what = ("simplices (one per row)" if target.family.constraint == "simplex"
                        else f"independent {target.family.constraint} entries")
                raise NotConjugate(name, "", "", f"because {name} is an array of {what}, which only the array-level "
                                   "engine derives (lv.derive(m)), not yet the element-level one EM uses")
        else:
            candidates = [target.family]
        failure = None
        for family in candidates:
            stats = family.sufficient_stats(elem, prior_p)
            if stats is None:
                raise NotConjugate(name, "", "", f"because its prior, {target.family.name}, has no conjugate "
                                   "exponential-family form")
            takes_p = "p" in inspect.signature(target.family.log_base_measure).parameters   # h(x) that depends on a fixed parameter (PolyaGamma's b)
            h = target.family.log_base_measure(elem, prior_p) if takes_p else target.family.log_base_measure(elem)
            base = [local[0] - h] + local[1:]
            try:
                for f, e in zip(factors, base):
                    f.coefficients = collect(name, stats, e, f.name)
            except NotConjugate as err:
                failure = err
                continue
            return Conditional(model, target, "conjugate", family, elem, stats, factors)
        raise failure
    except NotConjugate as reason:
        return NonConjugate(target, reason, factors)


def _literal_params(v: RandomVariable) -> dict:
    from ..frontend.expr import Literal
    return {k: e.value for k, e in v.params.items() if isinstance(e, Literal)}
