"""``lv.derive(model)``: every unknown's complete conditional, derived without data.

The ``Derivation`` is a read-only mapping from unknown names to ``Conditional`` (or
``NonConjugate``) objects, with the presentations a reader needs: ``print(d)``, ``d.explain``,
``d.to_latex`` and the notebook reprs, all produced by ``lvmdsl.explain`` from these objects.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..frontend.model import Model
from ..graph.validate import prepare
from .conditionals import Conditional, NonConjugate, derive_conditional


class Derivation(Mapping):
    """The complete conditionals of a model's unknowns, in declaration order."""

    engine = "element"

    def __init__(self, model: Model, conditionals: dict, graph):
        self.model, self.graph = model, graph
        self._c = conditionals
        self.literals = None

    def __reduce_ex__(self, protocol):
        """An array-level derivation holds entry functions, which pickle cannot store: it is
        stored as its model and derived again on load (a pure function of the model)."""
        if self.engine == "index":
            return (derive, (self.model,))
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
        """The step-by-step derivation of one conditional, as plain text."""
        from ..explain.text import explain_conditional
        return explain_conditional(self[name])

    def to_latex(self, name: str | None = None) -> str:
        from ..explain.latex import derivation_latex
        return derivation_latex(self, name)

    def _repr_latex_(self):
        return self.to_latex_document()

    def to_latex_document(self) -> str:
        from ..explain.latex import derivation_latex_display
        return derivation_latex_display(self)

    def _repr_markdown_(self):
        from ..explain.markdown import derivation_markdown
        return derivation_markdown(self)

    def source(self, method: str = "gibbs") -> str:
        """The generated numpy code of the algorithm (``"gibbs"``): readable, and what runs."""
        if method != "gibbs":
            raise ValueError(f"no generated source for method {method!r}; use 'gibbs'")
        if self.engine == "index":
            from ..codegen.index_gibbs import IndexGibbsCodegen
            return IndexGibbsCodegen(self).source
        from ..codegen.gibbs import GibbsCodegen
        return GibbsCodegen(self).source

    def __str__(self):
        from ..explain.text import derivation_text
        return derivation_text(self)

    def __repr__(self):
        return f"<Derivation of {self.model.name!r}: {', '.join(self._c)}>"


def derive(model: Model, method: str = "gibbs", latent=None, params=None, engine: str | None = None):
    """Derive the complete conditional of every unknown of ``model`` (no data needed).

    ``method="em"`` returns the EM derivation instead: Q, the expectations it needs, the E-step
    and each parameter's M-step (``latent=``/``params=`` override which unknowns are which).

    ``engine``: ``"index"`` (the default for complete conditionals) derives at the level of
    arrays, event axes and discrete states as symbolic indices (``derive.index_conditionals``), so
    its cost, its printout and its generated code do not grow with the length of a vector or the
    number of states.  ``"element"`` writes every entry and state out (``derive.conditionals``);
    the EM derivation still uses it (the default for ``method="em"``).
    """
    if engine is None:
        engine = "index" if method == "gibbs" else "element"
    if engine not in ("element", "index"):
        raise ValueError(f"engine must be 'element' or 'index', got {engine!r}")
    graph = prepare(model)
    if engine == "index":
        if method != "gibbs":
            raise ValueError("engine='index' derives complete conditionals only (method='gibbs') for now")
        from ..symbolic.index_form import LiteralTable
        from .index_conditionals import derive_index_conditional
        literals = LiteralTable()
        out = {v.name: derive_index_conditional(model, graph, v.name, literals) for v in model.unknowns}
        d = Derivation(model, out, graph)
        d.engine, d.literals = "index", literals
        return d
    out = {v.name: derive_conditional(model, graph, v.name) for v in model.unknowns}
    d = Derivation(model, out, graph)
    if method == "gibbs":
        return d
    if method in ("em", "ecm", "online_em", "annealed_em"):
        from .em import EMDerivation
        return EMDerivation(d, latent, params)
    raise ValueError(f"no derivation for method {method!r}; use 'gibbs' or 'em'")
