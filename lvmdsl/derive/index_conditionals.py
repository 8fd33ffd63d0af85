"""Complete conditionals derived at the level of arrays (``lv.derive(m, engine="index")``).

The same derivation as ``derive.conditionals``, with every event axis and every discrete state
a symbolic index: a vector unknown's conditional is derived once for every length D, and a
discrete unknown's enumeration is one expression over its state axis, not K copies.  The
natural parameters are lists of canonical terms (``symbolic.canon.Term``): index expressions
such as ``Sum_n tau X[n,a] X[n,b]`` that ``explain.linalg`` prints as tau X'X and
``symbolic.einsum_eval`` evaluates with einsum.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import sympy as sp
from scipy import special

from ..families import FAMILIES, Distribution
from ..families.base import Stat
from ..families.flat import Flat
from ..frontend.expr import Literal, ModelError
from ..frontend.model import Model, RandomVariable
from ..graph.validate import bind_data
from .conditionals import ConditionalNames, NonConjugate
from ..rules.conjugate import NotConjugate
from ..rules.index_conjugate import IndexFactor, PlateVector, collect, linked_plates, localise, plate_sum, target_atoms
from ..symbolic.canon import Term, canonical, contract, merge
from ..symbolic.index_form import IndexBackend, LiteralTable
from ..symbolic.lower import plate_symbol
from ..symbolic.matrix import MatrixAtomError
from ..symbolic.tensor import fresh_index
from .index_blocks import ArrayNormal, block_params, with_blocks as _with_blocks
from .index_eval import evaluate_terms


def lower_index_factor(v: RandomVariable, literals: LiteralTable):
    """log p(v | parents) for one element of v's plates, with event axes as symbolic indices."""
    low = IndexBackend(v.plates, v.name, literals)
    x = low.reference(v, [])
    params = {}
    for k, e in v.params.items():
        low.param = k
        params[k] = low.lower(e)
    try:
        return sp.sympify(v.family.index_log_density(x, params, literals)), x, params
    except MatrixAtomError as err:
        raise ModelError(f"in {v.name!r}: {err}") from None


class IndexConditional(ConditionalNames):
    """The complete conditional of one unknown; natural parameters are index expressions."""

    engine = "index"
    #: leading event axes that are block axes (``derive.index_blocks``): rows updated apart
    blocks = 0

    def __init__(self, model, target, rule, family, element, stats, factors, literals, n_states=None):
        self.model, self.target, self.rule, self.family = model, target, rule, family
        self.prior_family = target.family
        self.element, self.stats, self.factors = element, stats, factors
        self.literals, self.n_states = literals, n_states

    @cached_property
    def natural(self) -> list[list[Term]]:
        """Per statistic, the canonical terms of its natural parameter (summed over factors)."""
        out = []
        for s in range(len(self.stats)):
            terms = []
            for f in self.factors:
                terms += plate_sum(self.target, f, f.coefficients[s])
            out.append(merge([_symmetric_order(t, self._symmetric_names, set(self.stats[s].symbols)) for t in terms]))
        return out

    @cached_property
    def _symmetric_names(self) -> set:
        """Variables whose values are symmetric matrices (and their inverses' atoms)."""
        from ..symbolic.matrix import INVERSE_SUFFIX
        names = {v.name for v in self.model.variables.values() if v.family.support.kind == "positive_definite"}
        names |= {k for k, a in self.literals.arrays.items() if a.ndim == 2 and a.shape[0] == a.shape[1]
                  and np.allclose(a, a.T)}
        return names | {n + INVERSE_SUFFIX for n in names}

    @cached_property
    def natural_sym(self) -> list:
        """Each natural parameter as one sympy expression (sums kept as ``Sum``), at the pattern indices."""
        return [sp.Add(*[t.to_sympy() for t in terms]) for terms in self.natural]

    @cached_property
    def params(self) -> dict:
        """The posterior's parameters as sympy expressions at the pattern indices (a vector's
        precision is its entry [a, b]); ``explain`` shows them in matrix notation."""
        eta = self.natural_sym
        if self.rule == "enumeration":
            s = self.stats[0].symbols[0]
            return {"p": sp.exp(eta[0]) / sp.Sum(sp.exp(eta[0]), (s, 0, self.n_states - 1))}
        if not any(st.indices for st in self.stats):
            return self.family.from_natural_sym(eta)
        from ..explain.index_text import params_sym
        return params_sym(self)

    def free_axes(self, s: int) -> list[tuple]:
        """(symbol, size) of the axes of natural parameter s: the target's plates, then the pattern's."""
        from ..symbolic.lower import size_symbol
        return [(plate_symbol(p), size_symbol(p)) for p in self.target.plates] + list(self.stats[s].indices)

    def natural_numeric(self, env: dict, sizes: dict) -> list[np.ndarray]:
        from ..symbolic.centring import centre_arrays, data_plate_dims, stable_natural
        natural, centred = stable_natural(self, {v.name for v in self.model.unknowns})
        if centred:                          # data far from zero: the sums that cancel, regrouped around its centre
            env = {**env, **centre_arrays(env, centred, data_plate_dims(self.model))}
        out = []
        for s, terms in enumerate(natural):
            val = evaluate_terms(terms, self.free_axes(s), env, sizes)
            if self.stats[s].symmetric:
                k = (len(self.stats[s].indices) - self.blocks) // 2
                nd = val.ndim
                perm = list(range(nd - 2 * k)) + list(range(nd - k, nd)) + list(range(nd - 2 * k, nd - k))
                val = (val + np.transpose(val, perm)) / 2
            out.append(val)
        return out

    def evaluate(self, values: dict, data: dict | None = None) -> Distribution:
        merged = {**(data or {}), **values}
        env, sizes = bind_data(self.model, merged)
        needed = {a.name for f in self.factors for a in _references(f.variable)} | {f.name for f in self.factors}
        missing = sorted(n for n in needed - {self.name} if n not in env)
        if missing:
            raise ModelError(f"the conditional of {self.name!r} needs values for {', '.join(missing)}")
        env = {**env, **self.literals.arrays}
        eta = self.natural_numeric(env, sizes)
        if self.rule == "enumeration":
            phi = eta[0]
            logp = phi - special.logsumexp(phi, axis=-1, keepdims=True)
            if self.family.name == "Bernoulli":
                return Distribution(self.family, {"p": np.exp(logp[..., 1])})
            return Distribution(self.family, {"p": np.exp(logp)})
        if getattr(self.family, "fixed_params", ()) and not self.family.support.discrete:
            return _with_fixed(self, eta, env, sizes)        # bounds, PolyaGamma's b: as the prior gives them
        shape = self.target.event_shape
        if self.family.name == "MultivariateNormal" and len(shape) - self.blocks > 1:
            return ArrayNormal(self.family, self._from_natural(eta), self.block_shape)
        return Distribution(self.family, self._from_natural(eta))

    def _from_natural(self, eta):
        shape = self.target.event_shape
        if self.family.name == "MultivariateNormal" and len(shape) > 1:
            return block_params(self.family, eta, shape, self.blocks)
        return self.family.index_from_natural(eta)

    @property
    def block_shape(self) -> tuple:
        """The shape of one block of a real array's update: its event axes after the block axes."""
        return tuple(self.target.event_shape[self.blocks:])

    def __repr__(self):
        return f"{self.name} | rest ~ {self.family.name}  [{self.rule_name}]"

    def _repr_markdown_(self):
        from ..explain.display import conditional_markdown
        return conditional_markdown(self)


def _with_fixed(cond, eta, env, sizes) -> Distribution:
    """The conditional of a family with fixed parameters (kept as the prior gives them), in the
    family the joint factors of an augmentation condition to (``posterior_family``)."""
    from ..families import conditional_family
    from ..graph.validate import evaluate_params
    prior = evaluate_params(cond.target, env, sizes)
    family = conditional_family(cond.family)
    return Distribution(family, family.index_from_natural(eta, fixed={k: prior[k] for k in cond.family.fixed_params}))


class IndexNonConjugate(NonConjugate):
    """An unknown without an exact conditional at the level of arrays, with the reason; its
    ``factors`` are canonical (a slice sampler's density comes from the element-level factors)."""

    engine = "index"


def derive_index_conditional(model: Model, graph, name: str, literals: LiteralTable):
    target = model.variables[name]
    variables = [target] + [model.variables[c] for c in graph.children(name)]
    factors = []
    lowered = {}
    for v in variables:
        expr, x, params = lower_index_factor(v, literals)
        lowered[v.name] = (x, params)
        factors.append(IndexFactor(v, canonical(expr)))
    elem_t, prior_p = lowered[name]
    try:
        opened = linked_plates(target, factors)
    except NotConjugate as reason:
        return IndexNonConjugate(target, reason, factors, linked=True)
    if opened:
        return _plate_vector(model, target, opened, factors, literals)
    try:
        for f in factors:
            localise(target, f)
    except NotConjugate as reason:
        return IndexNonConjugate(target, reason, factors, linked=True)
    try:
        n_states = _states(target, prior_p)
        if n_states is not None:
            return _enumeration(model, target, elem_t, factors, literals, n_states)
        if isinstance(target.family, Flat):
            candidates = [FAMILIES[v] for v in _vehicles(target)]
        else:
            candidates = [target.family]
        failure = None
        base = canonical(-_log_base_measure(target.family, elem_t, prior_p))
        cancels = any(target_atoms(t.coef, name) for t in base)   # h(x) of the target (PolyaGamma's)
        factors[0].terms = merge(factors[0].terms + base) if cancels else factors[0].terms + base
        for family in candidates:
            stats = family.index_stats(elem_t, prior_p)
            if stats is None:
                raise NotConjugate(name, "", "", f"because its prior, {target.family.name}, has no conjugate "
                                   "exponential-family form")
            try:
                for f in factors:
                    collect(target, stats, f)
            except NotConjugate as err:
                failure = err
                continue
            return _with_blocks(IndexConditional(model, target, "conjugate", family, elem_t, stats, factors, literals))
        raise failure
    except NotConjugate as reason:
        return IndexNonConjugate(target, reason, factors)


def _plate_vector(model, target, opened, factors, literals):
    """A target whose plates ``opened`` a factor sums over: one block update of the vector over
    those plates (``rules.index_conjugate.PlateVector``), with the statistics of a real vector
    (a multivariate normal's x[a], x[a] x[b]); the elements' own factors give its diagonal part."""
    view = PlateVector(target, opened)
    where = f"plate {', '.join(repr(p.name) for p in opened)}"
    try:
        if target.family.support.kind not in ("real", "real_vector"):     # MVN rows: a matrix's rows in plate d
            raise NotConjugate(target.name, "", "", f"because a factor sums over {where}, which links its elements, "
                               f"and a joint update of them exists only for real elements (a Normal or MultivariateNormal prior), "
                               f"not for {target.family.name} ({target.family.support.describe()})")
        for f in factors:
            localise(view, f)
        family = FAMILIES["MultivariateNormal"]
        elem = view.element()
        stats = family.index_stats(elem)
        for f in factors:
            try:
                collect(view, stats, f)
            except NotConjugate as err:
                shown = _pattern_text(stats)
                reason = err.reason.replace(", ".join(sp.sstr(st.expr) for st in stats), shown)
                raise NotConjugate(target.name, err.factor, err.term, f"{reason}; a factor sums over {where}, "
                                   f"so the elements of {target.name} are updated as one vector, and that needs "
                                   "every term to be linear or quadratic in it (a Normal prior)") from None
    except NotConjugate as reason:
        return IndexNonConjugate(view, reason, factors, linked=True)
    return _with_blocks(IndexConditional(model, view, "conjugate", family, elem, stats, factors, literals))


def _pattern_text(stats) -> str:
    """The statistics with their pattern indices named a, b, ... (for messages)."""
    names = iter("abcdefgh")
    seen: dict = {}
    out = []
    for st in stats:
        for x in st.symbols:
            if x not in seen:
                seen[x] = sp.Symbol(next(names))
        out.append(sp.sstr(st.expr.xreplace(seen)))
    return ", ".join(out)


def _log_base_measure(family, elem_t, prior_p):
    """log h(x) at array level; a family whose h depends on a fixed parameter (PolyaGamma's
    shape b) takes the prior's parameters, and its h then cancels the prior's own term."""
    import inspect
    if "p" in inspect.signature(family.index_log_base_measure).parameters:
        return family.index_log_base_measure(elem_t, prior_p)
    return family.index_log_base_measure(elem_t)


def _vehicles(target) -> tuple:
    fam = target.family
    if fam.constraint is None and len(fam.shape) >= 1:
        return ("MultivariateNormal",)
    return fam.vehicles


def _states(target: RandomVariable, prior_p: dict):
    values = {k: e.value for k, e in target.params.items() if isinstance(e, Literal)}
    shapes = {k: t.shape for k, t in prior_p.items()}
    return target.family.finite_support_size(shapes, values)


def _enumeration(model, target, elem_t, factors, literals, n_states):
    """The coefficient of [theta = s] is every factor with theta replaced by the state s."""
    if target.event_shape:
        raise NotConjugate(target.name, "", "", "because vector-valued discrete unknowns are not enumerated")
    s = fresh_index("s")
    elem = elem_t.scalar()
    for f in factors:
        coefs = []
        for t in f.terms:
            if not target_atoms(t.coef, target.name):
                continue
            c = contract(Term(t.coef.xreplace({elem: s}), t.bound))
            if c is not None:
                coefs.append(c)
        f.coefficients = [coefs]
    family = target.family if target.family.name in ("Bernoulli", "Categorical") else FAMILIES["Categorical"]
    stats = [Stat(sp.KroneckerDelta(elem, s), ((s, sp.Integer(n_states)),))]
    return IndexConditional(model, target, "enumeration", family, elem_t, stats, factors, literals, n_states)


def _symmetric_order(t: Term, names: set, pattern: set) -> Term:
    """A symmetric matrix's entry written with its pattern index first, then by name: ``L[a, j]``
    and ``L[j, a]`` are one value, so the two spellings of a term merge into one."""
    swap = {}
    for a in t.coef.atoms(sp.Indexed):
        if str(a.base.label) not in names or len(a.indices) < 2:
            continue
        p, q = a.indices[-2:]
        key = lambda x: (x not in pattern, str(x))  # noqa: E731
        if key(q) < key(p):
            swap[a] = a.base[tuple(a.indices[:-2]) + (q, p)]
    return Term(t.coef.xreplace(swap), t.bound) if swap else t


def _references(v: RandomVariable) -> list:
    from ..graph.model_graph import references
    return [r for r in references(v) if isinstance(r, RandomVariable)]
