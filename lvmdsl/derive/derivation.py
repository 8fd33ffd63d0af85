"""``lv.derive(model)``: every unknown's complete conditional, derived without data.

The ``Derivation`` is a read-only mapping from unknown names to ``Conditional`` (or
``NonConjugate``) objects, with the presentations a reader needs: ``print(d)``, ``d.explain``,
``d.to_latex`` and the notebook reprs, all produced by ``lvmdsl.explain`` from these objects.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..frontend.expr import ModelError
from ..frontend.model import Model
from ..graph.validate import prepare
from .conditionals import Conditional, NonConjugate, derive_conditional


class Derivation(Mapping):
    """The complete conditionals of a model's unknowns, in declaration order."""

    engine = "element"
    #: why an augmented model derived at element level although the array level is the default
    engine_reason = ""
    #: the data the rewrite pass read (missing values), kept so that a pickle can derive again
    rewrite_data = None

    def __init__(self, model: Model, conditionals: dict, graph, rewrites: list | None = None,
                 original: Model | None = None):
        self.model, self.graph = model, graph
        self._c = conditionals
        self.literals = None
        #: the augmentations applied before deriving (``lvmdsl.rewrites.Record``), in model order
        self.rewrites = list(rewrites or [])
        #: the model as the user declared it (``model`` is the augmented one when rewrites ran)
        self.original = original if original is not None else model

    def __reduce_ex__(self, protocol):
        """An array-level derivation holds entry functions, which pickle cannot store: it is
        stored as its model and derived again on load (a pure function of the model)."""
        if self.engine == "index":           # the user's model, with the rewrites that ran (and the data they read)
            if self.rewrites:
                return (derive, (self.original, "gibbs", None, None, [r.rule for r in self.rewrites],
                                 self.rewrite_data, "index"))
            return (derive, (self.model, "gibbs", None, None, False, None, "index"))
        return super().__reduce_ex__(protocol)

    def __getitem__(self, name) -> Conditional | NonConjugate:
        if name not in self._c:
            observed = name in self.model.variables
            hint = " (it is observed, so it has no conditional)" if observed else ""
            raise KeyError(f"{name!r} is not an unknown of model {self.model.name!r}{hint}; "
                           f"the unknowns are {', '.join(self._c)}")
        return self._c[name]

    def __iter__(self):
        return iter(self._c)

    def __len__(self):
        return len(self._c)

    @property
    def not_conjugate(self) -> dict:
        """Unknowns without an exact conditional, with the reason for each."""
        return {k: c.reason for k, c in self._c.items() if not c.conjugate}

    def explain(self, name: str) -> str:
        """The step-by-step derivation of one conditional, as plain text (after the rewrites that
        introduced or changed the variables of its factors, when there are any)."""
        from ..explain.text import explain_conditional
        c = self._named(name)
        text = explain_conditional(c)
        touched = {name} | {f.name for f in (c.factors or [])}
        steps = [r for r in self.rewrites if touched & ({r.variable} | set(r.new))]
        if steps:
            text = "\n".join(["step 0: data augmentation"] + ["  " + line for r in steps for line in str(r).splitlines()]
                             + ["", text])
        return text

    def _named(self, name):
        """``self[name]``, with a ModelError (naming the unknowns) instead of a KeyError."""
        try:
            return self[name]
        except (KeyError, TypeError) as err:
            msg = err.args[0] if isinstance(err, KeyError) and err.args else (
                f"{name!r} is not an unknown of model {self.model.name!r}; the unknowns are {', '.join(self._c)}")
            raise ModelError(msg) from None

    def to_latex(self, name: str | None = None) -> str:
        """LaTeX of the conditionals, after the identities of the rewrites that were applied."""
        from ..explain.latex import derivation_latex
        body = derivation_latex(self, None if name is None else self._named(name).name)
        return "".join(rewrites_latex(self.rewrites)) + body

    def _repr_latex_(self):
        return self.to_latex_document()

    def to_latex_document(self) -> str:
        from ..explain.latex import derivation_latex_display
        return derivation_latex_display(self)

    def _repr_markdown_(self):
        from ..explain.markdown import derivation_markdown
        return derivation_markdown(self)

    def source(self, method: str = "gibbs", centre: bool = False) -> str:
        """The generated numpy code of the algorithm (``"gibbs"``): readable, and what runs.
        ``centre=True`` shows the code that runs for data far from zero (sums that would cancel
        regrouped around the data's centre: docs/gibbs.md, "Data far from zero")."""
        if method != "gibbs":
            raise ModelError(f"no generated source for method {method!r}; use 'gibbs' (the EM steps: "
                             "lv.derive(m, method='em').source())")
        if self.engine == "index":
            from ..codegen.index_gibbs import IndexGibbsCodegen
            return IndexGibbsCodegen(self, centre=centre).source
        from ..codegen.gibbs import GibbsCodegen
        return GibbsCodegen(self).source

    def __str__(self):
        from ..explain.text import derivation_text
        why = f"Derived at element level: {self.engine_reason}\n\n" if self.engine_reason else ""
        return rewrites_text(self.rewrites) + why + derivation_text(self)

    def __repr__(self):
        return f"<Derivation of {self.model.name!r}: {', '.join(self._c)}>"


def rewrites_latex(records) -> list:
    """One LaTeX line per rewrite: what it replaced, the identity it uses, the reference."""
    return [f"\\text{{augmentation {r.rule} of {r.variable} ({r.reference}):}}\\quad {r.latex}\\\\\n" for r in records]


def rewrites_text(records) -> str:
    if not records:
        return ""
    head = ["Data augmentation (the model is rewritten before deriving):"]
    head += ["  " + line for r in records for line in str(r).splitlines()]
    return "\n".join(head) + "\n\n"


def _index_derivation(model, graph, records, original, data=None):
    """The array-level derivation of an (augmented) model's complete conditionals."""
    from ..symbolic.index_form import LiteralTable
    from ..symbolic.tensor import reset_fresh
    from .index_conditionals import derive_index_conditional
    reset_fresh()
    literals = LiteralTable()
    out = {v.name: derive_index_conditional(model, graph, v.name, literals) for v in model.unknowns}
    d = Derivation(model, out, graph, records, original)
    d.engine, d.literals = "index", literals
    d.rewrite_data = _read_by_rules(records, data)
    return d


def _read_by_rules(records, data):
    """The data entries the rules that ran read (missing values), or None."""
    from ..rewrites import REGISTRY
    if not records or not data:
        return None
    read = {r.variable: data[r.variable] for r in records
            if getattr(REGISTRY.get(r.rule), "needs_data", False) and r.variable in data}
    return read or None


def derive(model: Model, method: str = "gibbs", latent=None, params=None, augment=True, data: dict | None = None,
           engine: str | None = None):
    """Derive the complete conditional of every unknown of ``model`` (no data needed).

    ``method="em"`` returns the EM derivation instead: Q, the expectations it needs, the E-step
    and each parameter's M-step (``latent=``/``params=`` override which unknowns are which).
    ``augment`` runs the rewrite pass first (``lvmdsl.rewrites``): True for every default rule,
    False for none, or a list of rule names; ``d.rewrites`` records what it did.  ``data`` lets the
    rules that depend on it (missing values) see it.

    ``engine``: ``"index"`` (the default for complete conditionals) derives at the level of
    arrays, event axes and discrete states as symbolic indices (``derive.index_conditionals``), so
    its cost, its printout and its generated code do not grow with the length of a vector or the
    number of states; models the rewrite pass changed derive there too, unless a conditional is
    exact only at element level (``d.engine_reason`` then says why).  ``"element"`` writes every
    entry and state out (``derive.conditionals``); the EM derivation still uses it.
    """
    if not isinstance(model, Model):
        raise ModelError(f"lv.derive needs an lv.Model, got {type(model).__name__}")
    if method not in ("gibbs", "em", "ecm", "online_em", "annealed_em"):
        raise ModelError(f"no derivation for method {method!r}; use 'gibbs' or 'em'")
    if engine not in (None, "element", "index"):
        raise ModelError(f"engine must be 'element' or 'index', got {engine!r}")
    from ..rewrites import apply_rewrites
    engine_given = engine is not None
    original = model
    graph = prepare(model)
    model, records = apply_rewrites(model, augment, data)
    if records:
        graph = prepare(model)
    fallback_reason = ""
    d = None
    if engine is None:
        from .augmented_engine import index_or_reason
        d, fallback_reason = index_or_reason(model, graph, records, original, data)
    elif engine == "index":
        d = _index_derivation(model, graph, records, original, data)
    if d is not None:
        if method == "gibbs":
            return d
        from ..codegen.index_em import index_em_problem
        from ..runtime.em import split_unknowns
        from .index_em import IndexEMDerivation
        lat, par = split_unknowns(d, latent, params)
        problem = index_em_problem(d, lat, par)
        if records and not engine_given:
            problem = "the model was rewritten (augmentation or missing data): its EM steps are derived at element level"
        if problem is None:
            return IndexEMDerivation(d, latent, params)
        if engine_given:
            raise ModelError(f"engine='index': the EM steps cannot be derived at array level: {problem}; "
                             "use engine='element'")
        fallback_reason = problem      # numerical M-steps, rewritten models: element level
    out = {v.name: derive_conditional(model, graph, v.name) for v in model.unknowns}
    d = Derivation(model, out, graph, records, original)
    d.engine_reason = fallback_reason
    if method == "gibbs":
        return d
    if method in ("em", "ecm", "online_em", "annealed_em"):
        from .em import EMDerivation

        class AugmentedEMDerivation(EMDerivation):
            """The EM derivation, printed after the rewrites it starts from."""

            def __str__(self):
                from ..runtime.em_missing import pattern_note
                return rewrites_text(self.d.rewrites) + pattern_note(self.d) + super().__str__()
        return (AugmentedEMDerivation if records else EMDerivation)(d, latent, params)
    raise ValueError(f"no derivation for method {method!r}; use 'gibbs' or 'em'")
