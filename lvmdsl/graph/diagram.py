"""``lv.graph(m)`` / ``m.to_graphviz()``: the plate diagram of a model, drawn with graphviz.

Nodes are the model's variables and constants: unknowns as ellipses, observed variables shaded,
parameters without a prior (``lv.Param``) as diamonds, constants as plain boxes.  A plate is a
box (a graphviz cluster) around what is declared inside it, labelled with its name and size;
nested plates nest.  An edge ``a -> b`` is labelled by how ``b``'s distribution uses ``a``: the
keyword of the parameter it appears in as the user wrote it (``mean``, ``precision``, ``p``), or
``index`` where it selects elements (``z`` in ``mu[z]``, ``row`` in ``u[row]``).

Building the DOT source needs only the ``graphviz`` Python package; rendering it (``render``,
``pipe``, the notebook's SVG) needs the ``dot`` program (Debian/Ubuntu: ``apt-get install
graphviz``).  Without it the notebook shows the DOT source instead of failing.
"""

from __future__ import annotations

import shutil

import graphviz

from ..frontend.expr import Const, Expr, Index
from ..frontend.model import Model, RandomVariable

OBSERVED_FILL = "#c8c8c8"


def dot_available() -> bool:
    """True when graphviz's ``dot`` program is on the PATH (needed to render, not to build)."""
    return shutil.which("dot") is not None


class PlateDiagram(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose notebook display falls back to the DOT source without ``dot``."""

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        if dot_available():
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        return {"text/plain": self.source}

    def _repr_svg_(self):
        return self.pipe(format="svg", encoding="utf-8") if dot_available() else None


def uses(expr: Expr, role: str, out: dict, in_index: bool = False) -> None:
    """Add ``{name: {roles}}`` for every variable or constant in ``expr``: ``role`` where it
    enters the value, ``"index"`` where it appears inside the brackets of an indexing."""
    if isinstance(expr, (RandomVariable, Const)):
        out.setdefault(expr.name, set()).add("index" if in_index else role)
        return
    if isinstance(expr, Index):
        uses(expr.base, role, out, in_index)
        for i in expr.indices:
            uses(i, role, out, True)
        return
    children = getattr(expr, "children", None)
    for child in (children() if callable(children) else ()):
        uses(child, role, out, in_index)


def edge_roles(v: RandomVariable) -> dict[str, list[str]]:
    """``{parent: [roles]}``: how ``v``'s distribution uses each parent (user's keywords)."""
    out: dict[str, set] = {}
    for keyword, e in v.given.items():
        uses(e, keyword, out)
    order = list(v.given) + ["index"]
    return {p: sorted(r, key=order.index) for p, r in out.items()}


def _plate_label(p) -> str:
    return f"{p.name} = 1..{p.size}" if isinstance(p.size, str) else f"{p.name} ({p.size})"


def graph(model: Model, edge_labels: bool = True, families: bool = True, rankdir: str = "TB") -> PlateDiagram:
    """The plate diagram of ``model`` as a ``graphviz.Digraph`` (``.source`` is the DOT text;
    ``.render(path, format="png")`` draws it; a notebook shows it as SVG)."""
    g = PlateDiagram(name=model.name, graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
                     node_attr={"fontname": "Helvetica"}, edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    members: dict[tuple, list] = {}
    for c in model.consts.values():
        members.setdefault(tuple(c.plates), []).append(("const", c))
    for v in model.variables.values():
        members.setdefault(tuple(v.plates), []).append(("var", v))

    def node(sub, kind, obj):
        if kind == "const":
            sub.node(obj.name, obj.name, shape="box", style="rounded", color="gray40")
            return
        label = f"{obj.name}\n{obj.family.name}" if families and obj.family.name != "Param" else obj.name
        attrs = {"shape": "ellipse"}
        if obj.observed:
            attrs.update(style="filled", fillcolor=OBSERVED_FILL)
        elif obj.family.name == "Param":
            attrs.update(shape="diamond")
        sub.node(obj.name, label, **attrs)

    def fill(sub, path):
        for kind, obj in members.get(path, []):
            node(sub, kind, obj)
        inner = sorted({p[len(path)] for p in members if len(p) > len(path) and p[:len(path)] == path},
                       key=lambda p: list(model.plates).index(p.name) if p.name in model.plates else 0)
        for p in inner:
            key = path + (p,)
            with sub.subgraph(name="cluster_" + "_".join(q.name for q in key)) as c:
                c.attr(label=_plate_label(p), labeljust="r", labelloc="b", style="rounded")
                fill(c, key)

    fill(g, ())
    for v in model.variables.values():
        for parent, roles in edge_roles(v).items():
            g.edge(parent, v.name, label=", ".join(roles) if edge_labels else None)
    return g
