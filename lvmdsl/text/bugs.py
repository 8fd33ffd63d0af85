"""Translate a BUGS/JAGS model (the conjugate subset) into an lvmdsl ``Model``.

The mapping, in the order the translation does it:

* names: ``tau.c`` becomes ``tau_c`` (a dot cannot be in an identifier); Python keywords such as
  ``lambda`` get a trailing underscore.  ``model.bugs.names`` maps the BUGS names to lvmdsl's.
* ``for (i in 1:N)`` becomes the plate ``i`` of size N (an integer when the data gives N, else
  the name "N", set by the data later); loops start at 1.
* a stochastic node ``Y[i, j] ~ d...`` inside loops over i and j is a variable in plates (i, j);
  its left side is indexed by its enclosing loops in order, then by ranges or empty slots for a
  vector or matrix value (``w[1:D] ~ dmnorm(...)``).  Nodes are declared parents first.
* a node is observed when the data names it (as in JAGS); data names that are not nodes are
  constants (``lv.Const``), declared in the plates their indices name (``x[j]`` in loop j).
* ``<-`` deterministic nodes are inlined where they are used (the loop indices of their
  definition replaced by the indices of the use); ``logit(p[i]) <- e`` defines ``p[i]`` as
  ``ilogit(e)`` and ``log(m[i]) <- e`` as ``exp(e)``.
* BUGS counts from 1 and lvmdsl from 0: integer constants used as indices and the values of
  observed ``dcat`` nodes are shifted down by one in ``model.data``; a ``dcat`` latent used in
  arithmetic is read as ``z + 1``; its draws are 0-based.

``model.data`` holds the translated data (ready for ``lv.infer``).  Whatever lvmdsl cannot
translate is a ``TextError`` naming the construct at its line and column.
"""

from __future__ import annotations

import keyword
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..frontend import expr as E
from ..frontend.model import Model, distribution_constructors, plate
from . import ast
from .bugs_expr import FUNCTIONS, BugsExpressions, Ctx, text_of as _text
from .bugs_parse import For, NodeRef, Stochastic, parse_bugs
from .errors import SourceText, TextError
from .rdump import read_data

#: BUGS distribution -> (lvmdsl family, lvmdsl keyword of each BUGS argument in order)
DISTRIBUTIONS = {
    "dnorm": ("Normal", ("mean", "precision")),
    "dgamma": ("Gamma", ("shape", "rate")),
    "dbeta": ("Beta", ("a", "b")),
    "dbin": ("Binomial", ("p", "n")),
    "dbern": ("Bernoulli", ("p",)),
    "dpois": ("Poisson", ("rate",)),
    "dcat": ("Categorical", ("p",)),
    "ddirch": ("Dirichlet", ("alpha",)),
    "ddirich": ("Dirichlet", ("alpha",)),
    "dmnorm": ("MultivariateNormal", ("mean", "precision")),
    "dwish": ("Wishart", ("scale", "df")),          # dwish(R, k): E[X] = k R^-1, so scale = inverse(R)
    "dunif": ("Uniform", ("low", "high")),
    "dexp": ("Exponential", ("rate",)),
    "dt": ("StudentT", ("loc", "scale", "df")),      # dt(mu, tau, k): scale = 1 / sqrt(tau)
    "ddexp": ("Laplace", ("loc", "scale")),          # ddexp(mu, tau): scale = 1 / tau
    "dlnorm": ("LogNormal", ("mean", "precision")),
    "dmulti": ("Multinomial", ("p", "n")),
    "dnegbin": ("NegativeBinomial", ("p", "r")),
}
#: BUGS functions -> how they are built (see ``_call``)


@dataclass
class BugsInfo:
    """What the translation did: names, nodes, constants and the data shifts it applied."""

    names: dict = field(default_factory=dict)          # BUGS name -> lvmdsl name
    observed: list = field(default_factory=list)       # BUGS names of observed nodes
    unknowns: list = field(default_factory=list)       # BUGS names of unknown stochastic nodes
    deterministic: dict = field(default_factory=dict)  # BUGS name -> line of its definition (inlined)
    constants: list = field(default_factory=list)      # BUGS names of data used as constants
    sizes: dict = field(default_factory=dict)          # loop bound name -> value (from the data)
    shifted: list = field(default_factory=list)        # data shifted from 1-based to 0-based
    unused_data: list = field(default_factory=list)
    categorical: list = field(default_factory=list)    # BUGS names of dcat nodes (1-based values)

    def values(self, raw) -> dict:
        """BUGS-named values (initial values, say: a dict or an R dump / JSON file) in lvmdsl's names,
        dcat values shifted to 0-based."""
        out = {}
        for k, v in read_data(raw).items():
            if k not in self.names:
                raise E.ModelError(f"{k!r} is not a name of the BUGS model; it has {', '.join(self.names)}")
            v = np.asarray(v)
            out[self.names[k]] = v.astype(np.int64) - 1 if k in self.categorical else v
        return out


@dataclass
class _Def:
    stmt: object
    loops: tuple            # ((var, For), ...) enclosing the statement, outermost first


class BugsTranslator(BugsExpressions):
    def __init__(self, stmts: list, data: dict, src: SourceText, name: str):
        self.src, self.raw_data, self.name = src, data, name
        self.info = BugsInfo()
        self.stoch: dict[str, _Def] = {}
        self.determ: dict[str, _Def] = {}
        self._collect(stmts, ())
        self._map_names()

    def error(self, msg, pos, expected=None) -> TextError:
        return self.src.error(msg, pos, expected)

    # ------------------------------------------------------------------ pass 1: statements
    def _collect(self, stmts, loops):
        for s in stmts:
            if isinstance(s, For):
                if s.var in {v for v, _ in loops}:
                    raise self.error(f"loop index {s.var!r} is already the index of an enclosing loop", s.pos,
                                     "a new index name")
                self._collect(s.body, loops + ((s.var, s),))
                continue
            name = s.node.name
            if name in self.stoch or name in self.determ:
                first = (self.stoch.get(name) or self.determ.get(name)).stmt.pos
                raise self.error(f"node {name!r} is defined again (first on line {first.line}); lvmdsl needs one "
                                 "statement per node (no element-by-element definitions)", s.pos,
                                 "one statement defining the whole node, inside loops")
            (self.stoch if isinstance(s, Stochastic) else self.determ)[name] = _Def(s, loops)

    def _map_names(self):
        taken = set()
        bugs_names = [*self.stoch, *self.determ, *self.raw_data]
        for n in bugs_names:
            if n in self.info.names:
                continue
            base = n.replace(".", "_")
            if keyword.iskeyword(base) or base in ("model",):
                base += "_"
            new = base
            while new in taken:
                new += "_"
            taken.add(new)
            self.info.names[n] = new

    def lv_name(self, n: str) -> str:
        return self.info.names.get(n) or n.replace(".", "_")

    # ------------------------------------------------------------------ pass 2: plates and data
    def _plate_of(self, loop: For) -> tuple[str, int | str]:
        key = (loop.var, _text(loop.high))
        if key in self.plate_names:
            return self.plate_names[key]
        if not (isinstance(loop.low, ast.Number) and loop.low.text == "1"):
            raise self.error(f"loop over {loop.var!r} starts at {_text(loop.low)}; lvmdsl's plates start at 1 in BUGS",
                             getattr(loop.low, "pos", loop.pos), "for (i in 1:N)")
        hi = loop.high
        if isinstance(hi, ast.Number) and hi.text.isdigit():
            size = int(hi.text)
        elif isinstance(hi, NodeRef) and hi.slots is None and hi.name not in self.stoch and hi.name not in self.determ:
            if hi.name in self.raw_data:
                v = np.asarray(self.raw_data[hi.name])
                if v.ndim != 0 or v != int(v) or v < 1:
                    raise self.error(f"loop bound {hi.name} = {v.tolist()} in the data is not a positive integer",
                                     hi.pos, "a positive integer")
                size = int(v)
                self.info.sizes[hi.name] = size
            else:
                size = self.lv_name(hi.name)
        else:
            raise self.error(f"loop bound {_text(hi)} is not supported: lvmdsl needs a number or a data name",
                             getattr(hi, "pos", loop.pos), "for (i in 1:N) with N in the data")
        name = loop.var.replace(".", "_")
        used = {p for p, _ in self.plate_names.values()}
        while name in used or name in self.info.names.values():
            name += "_"
        self.plate_names[key] = (name, size)
        return name, size

    # ------------------------------------------------------------------ translation
    def translate(self) -> Model:
        self.plate_names: dict = {}
        for d in [*self.stoch.values(), *self.determ.values()]:
            for _, loop in d.loops:
                self._plate_of(loop)
        for n in self.determ:
            if n in self.raw_data:
                raise self.error(f"{n!r} is defined by <- and also given as data", self.determ[n].stmt.pos,
                                 f"drop {n} from the data")
        self.info.deterministic = {n: d.stmt.pos.line for n, d in self.determ.items()}
        self.consts = self._const_patterns()
        order = self._order()
        self.index_consts: set = set()
        self.model = Model(self.name)
        self.ctors = distribution_constructors()
        with self.model:
            for cname, (plates, shape) in self.consts.items():
                with ExitStack() as stack:
                    for p in plates:
                        stack.enter_context(plate(*p))
                    E.Const(self.lv_name(cname), shape=shape)
            for n in order:
                self._declare(n, self.stoch[n])
        self._validate()
        self.model.data = self._data()
        self.model.bugs = self.info
        return self.model

    def _validate(self):
        """Whole-model checks (shapes, supports, index ranges), reported at the node's statement."""
        import re

        from ..graph.validate import prepare
        try:
            prepare(self.model)
        except E.ModelError as err:
            lv_to_bugs = {v: k for k, v in self.info.names.items()}
            names = [lv_to_bugs.get(n, n) for n in re.findall(r"'([A-Za-z_]\w*)'", str(err))]
            n = next((n for n in names if n in self.stoch), next(iter(self.stoch)))
            s = self.stoch[n].stmt
            raise self.error(str(err), s.pos, f"{s.dist}(...) with arguments of the shapes and supports it needs") \
                from None

    def _node_plates(self, n: str, d: _Def, what="node") -> list:
        """The plate keys of a node from its left side: its loops, in order, then event slots."""
        s = d.stmt.node
        slots = s.slots or []
        lead = [sl for sl in slots if sl.kind == "expr"]
        loop_vars = [v for v, _ in d.loops]
        for sl in slots[len(loop_vars):]:
            if sl.kind == "expr":
                raise self.error(f"{what} {n!r}: index {_text(sl.expr)} on the left side is not supported; lvmdsl "
                                 "defines whole nodes: index by the enclosing loops, then ranges", sl.pos,
                                 f"{n}[{', '.join(loop_vars + ['1:D'])}]")
        got = [sl.expr.name if isinstance(sl.expr, NodeRef) and sl.expr.slots is None else _text(sl.expr)
               for sl in slots[: len(loop_vars)] if sl.kind == "expr"]
        if got != loop_vars or len(lead) != len(loop_vars):
            want = f"{n}[{', '.join(loop_vars)}]" if loop_vars else n
            raise self.error(f"{what} {n!r} is defined inside loops over ({', '.join(loop_vars)}) but indexed "
                             f"[{', '.join(got)}]; lvmdsl needs the left side indexed by its loops in order",
                             s.pos, want)
        return [self._plate_of(loop) for _, loop in d.loops]

    def _const_patterns(self) -> dict:
        """Each data name used as a constant -> (plate keys, event shape), from how it is indexed."""
        uses: dict[str, list] = {}

        def visit(e, loops):
            if isinstance(e, NodeRef):
                if e.name in self.determ:
                    d = self.determ[e.name]
                    visit(d.stmt.expr, d.loops)
                elif e.name not in self.stoch and e.name not in {v for v, _ in loops}:
                    uses.setdefault(e.name, []).append((e, loops))
                for sl in e.slots or []:
                    for x in (sl.expr, sl.end):
                        if x is not None:
                            visit(x, loops)
            elif isinstance(e, ast.Call):
                if e.fn not in FUNCTIONS:
                    raise self.error(f"function {e.fn!r} is not in lvmdsl's BUGS subset", e.pos,
                                     "one of " + ", ".join(FUNCTIONS))
                for a in e.args:
                    visit(a, loops)
            elif isinstance(e, ast.BinOpExpr):
                visit(e.left, loops), visit(e.right, loops)
            elif isinstance(e, ast.Neg):
                visit(e.arg, loops)

        for d in self.stoch.values():
            for a in d.stmt.args:
                visit(a, d.loops)
            for sl in d.stmt.node.slots or []:
                if sl.kind == "range":
                    visit(sl.end, d.loops)
        out = {}
        for name, refs in uses.items():
            pats = set()
            for ref, loops in refs:
                loop_of = dict(loops)
                slots = ref.slots or []
                k = 0
                while k < len(slots) and slots[k].kind == "expr" and isinstance(slots[k].expr, NodeRef) \
                        and slots[k].expr.slots is None and slots[k].expr.name in loop_of:
                    k += 1
                if any(sl.kind == "expr" for sl in slots[k:]):
                    k = None
                pats.add(None if k is None else tuple(self._plate_of(loop_of[slots[i].expr.name]) for i in range(k)))
            if len(pats) == 1 and None not in pats:
                keys = list(next(iter(pats)))
            else:
                keys = []
            if name in self.raw_data:
                shape = np.asarray(self.raw_data[name]).shape[len(keys):]
            elif self.raw_data:
                raise self.error(f"{name!r} is neither a node of the model nor in the data", refs[0][0].pos,
                                 f"a node defined by ~ or <-, or {name} in the data")
            else:
                shape = self._shape_without_data(name, refs, len(keys))
            out[name] = (keys, shape)
            self.info.constants.append(name)
        return out

    def _shape_without_data(self, name, refs, n_plates) -> tuple:
        """Without data, a constant's event shape comes from ranges with numbers (``X[n, 1:3]``)."""
        ref = refs[0][0]
        shape = []
        for sl in (ref.slots or [])[n_plates:]:
            if sl.kind == "range" and isinstance(sl.end, ast.Number) and sl.end.text.isdigit():
                shape.append(int(sl.end.text))
            else:
                raise self.error(f"{name!r} is not a node of the model, so it is data, but no data gives it "
                                 "(its shape is needed)", ref.pos, f"data with {name}, or a node defining {name}")
        return tuple(shape)

    def _order(self) -> list:
        """Stochastic nodes, parents before children (ties in text order)."""
        def deps(e, seen=()):
            found = set()
            if isinstance(e, NodeRef):
                if e.name in self.stoch:
                    found.add(e.name)
                elif e.name in self.determ and e.name not in seen:
                    found |= deps(self.determ[e.name].stmt.expr, seen + (e.name,))
                for sl in e.slots or []:
                    for x in (sl.expr, sl.end):
                        if x is not None:
                            found |= deps(x, seen)
            elif isinstance(e, ast.Call):
                for a in e.args:
                    found |= deps(a, seen)
            elif isinstance(e, ast.BinOpExpr):
                found |= deps(e.left, seen) | deps(e.right, seen)
            elif isinstance(e, ast.Neg):
                found |= deps(e.arg, seen)
            return found

        parents = {n: set().union(*(deps(a) for a in d.stmt.args)) - {n} if d.stmt.args else set()
                   for n, d in self.stoch.items()}
        for n, d in self.stoch.items():
            if any(n in deps(a) for a in d.stmt.args):
                raise self.error(f"node {n!r} depends on itself", d.stmt.pos, "a directed acyclic graph")
        order, done = [], set()
        while len(order) < len(self.stoch):
            ready = [n for n in self.stoch if n not in done and parents[n] <= done]
            if not ready:
                n = next(n for n in self.stoch if n not in done)
                raise self.error(f"the nodes {', '.join(sorted(set(self.stoch) - done))} depend on each other in a cycle",
                                 self.stoch[n].stmt.pos, "a directed acyclic graph")
            order.append(ready[0])
            done.add(ready[0])
        return order

    def _declare(self, n: str, d: _Def):
        s: Stochastic = d.stmt
        if s.truncation is not None:
            raise self.error("truncation T(,) / censoring I(,) is not supported: it leaves the conjugate families",
                             s.truncation, "the distribution without T(...) or I(...)")
        if s.dist not in DISTRIBUTIONS:
            raise self.error(f"distribution {s.dist!r} is not in lvmdsl's BUGS subset", s.dist_pos,
                             "one of " + ", ".join(sorted(DISTRIBUTIONS)))
        family, keywords = DISTRIBUTIONS[s.dist]
        if len(s.args) != len(keywords):
            raise self.error(f"{s.dist} takes {len(keywords)} argument(s), got {len(s.args)}", s.dist_pos,
                             f"{s.dist}({', '.join(keywords)})")
        plates = self._node_plates(n, d)
        with ExitStack() as stack:
            open_plates = [stack.enter_context(plate(*p)) for p in plates]
            ctx = Ctx({v: pl for (v, _), pl in zip(d.loops, open_plates)}, tuple(p.name for p in open_plates))
            params = {kw: self.expr(a, ctx) for kw, a in zip(keywords, s.args)}
            if s.dist == "dwish":
                params["scale"] = E.as_expr(params["scale"]).inverse() if isinstance(params["scale"], E.Expr) \
                    else np.linalg.inv(params["scale"])
            elif s.dist == "dt":
                tau = params["scale"]
                params["scale"] = 1.0 / (E.sqrt(tau) if isinstance(tau, E.Expr) else np.sqrt(np.asarray(tau, float)))
            elif s.dist == "ddexp":
                params["scale"] = 1.0 / params["scale"]
            observed = True if n in self.raw_data else None
            if s.dist == "dcat":
                self.info.categorical.append(n)
            (self.info.observed if observed else self.info.unknowns).append(n)
            try:
                self.ctors[family](self.lv_name(n), observed=observed, **params)
            except E.ModelError as err:
                raise self.error(f"{n}: {err}", s.pos, f"{s.dist}({', '.join(keywords)}) with valid arguments") from None

    # ------------------------------------------------------------------ data
    def _data(self) -> dict:
        out = {}
        for n in self.info.observed:
            v = np.asarray(self.raw_data[n])
            if self.stoch[n].stmt.dist == "dcat":
                v = self._shift(n, v)
            out[self.lv_name(n)] = v
        for n in self.consts:
            if n not in self.raw_data:
                continue
            v = np.asarray(self.raw_data[n])
            out[self.lv_name(n)] = self._shift(n, v) if n in self.index_consts else v
        used = set(self.info.observed) | set(self.consts) | set(self.info.sizes)
        self.info.unused_data = [k for k in self.raw_data if k not in used]
        return out

    def _shift(self, n, v):
        if not np.all(v == np.round(v)) or np.any(v < 1):
            raise ModelDataError(f"{n} holds 1-based categories or indices in BUGS, so its values must be integers "
                                 f"from 1; got {np.unique(v)[:6].tolist()}")
        self.info.shifted.append(n)
        return v.astype(np.int64) - 1


class ModelDataError(E.ModelError):
    """Data that do not fit the BUGS model (for instance a category 0 where BUGS counts from 1)."""


def read_bugs_model(text: str, data=None, filename: str = "<text>") -> Model:
    """Parse and translate a BUGS model; ``data`` is a dict or the path of an R dump / JSON file."""
    stmts, data_blocks = parse_bugs(text, filename)
    src = SourceText(text, filename)
    if data_blocks:
        raise src.error("data { } blocks are not supported: compute derived data before passing it",
                        data_blocks[0].pos, "model { ... } only")
    raw = read_data(data)
    name = Path(filename).stem if filename not in ("<text>", None) else "bugs"
    name = name if name.isidentifier() else "bugs"
    return BugsTranslator(stmts, raw, src, name).translate()
