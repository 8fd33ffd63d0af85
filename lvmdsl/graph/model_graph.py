"""The model graph (networkx): parents, children, Markov blankets, plates, local and global.

Nodes are variable and constant names; an edge ``a -> b`` means ``a`` appears in a parameter of
``b`` (directly, inside arithmetic, or as an index).  A child reached through several paths or
several occurrences is one edge, so each factor enters a Markov blanket once.
"""

from __future__ import annotations

import networkx as nx

from ..frontend.expr import Const, ModelError
from ..frontend.model import Model, RandomVariable


def references(rv: RandomVariable) -> list:
    """Variables and constants that ``rv``'s parameters mention, in first-seen order."""
    seen: dict[int, object] = {}
    for e in rv.params.values():
        for node in e.walk():
            if isinstance(node, (RandomVariable, Const)) and id(node) not in seen:
                seen[id(node)] = node
    return list(seen.values())


class ModelGraph:
    """Directed acyclic graph of a model, with the queries the derivation passes need."""

    def __init__(self, model: Model):
        self.model = model
        g = nx.DiGraph()
        for c in model.consts.values():
            g.add_node(c.name, kind="const", plates=())
        for v in model.variables.values():
            g.add_node(v.name, kind="observed" if v.observed else "unknown",
                       plates=tuple(p.name for p in v.plates), family=v.family.name)
        for v in model.variables.values():
            for ref in references(v):
                if ref.model is not None and ref.model is not model:
                    raise ModelError(f"{v.name!r} uses {ref.name!r}, which belongs to model {ref.model.name!r}")
                if isinstance(ref, Const) and ref.name not in g:
                    raise ModelError(f"{v.name!r} uses constant {ref.name!r}, declared outside any model; "
                                     "declare it inside the `with lv.Model(...)` block")
                if isinstance(ref, RandomVariable) and ref.name not in model.variables:
                    raise ModelError(f"{v.name!r} uses {ref.name!r}, which is not declared in model {model.name!r}")
                g.add_edge(ref.name, v.name)
        if not nx.is_directed_acyclic_graph(g):
            loop = nx.find_cycle(g)
            cycle = " -> ".join([a for a, _ in loop] + [loop[0][0]])
            raise ModelError(f"the model has a cycle ({cycle}); a variable cannot depend on itself")
        self.g = g

    def parents(self, name: str) -> list[str]:
        return [p for p in self.g.predecessors(name) if self.g.nodes[p]["kind"] != "const"]

    def children(self, name: str) -> list[str]:
        order = list(self.model.variables)
        return sorted(self.g.successors(name), key=order.index)

    def markov_blanket(self, name: str) -> set[str]:
        """Parents, children and the children's other parents (constants left out)."""
        mb = set(self.parents(name)) | set(self.children(name))
        for c in self.children(name):
            mb |= set(self.parents(c))
        mb.discard(name)
        return mb

    def data_plates(self) -> set[str]:
        """The outermost plate of each observed variable: the replication of data points.

        Inner plates (the d of ``x[n, d]``) index coordinates of one data point, so a parameter
        over them (a loading per dimension) stays global.
        """
        out = {v.plates[0].name for v in self.model.observed if v.plates}
        # constants that a rewrite made of observations (probit's y and its intervals) count too
        return out | {c.plates[0].name for c in self.model.consts.values() if getattr(c, "observation", False) and c.plates}

    def is_local(self, name: str) -> bool:
        """An unknown inside a data plate is local (one per data point); otherwise global."""
        v = self.model.variables[name]
        return any(p.name in self.data_plates() for p in v.plates)

    def topological_unknowns(self) -> list[str]:
        order = [n for n in nx.topological_sort(self.g) if self.g.nodes[n]["kind"] == "unknown"]
        declared = list(self.model.variables)
        return sorted(order, key=declared.index)
