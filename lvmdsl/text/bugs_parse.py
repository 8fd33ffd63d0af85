"""Parse BUGS/JAGS model text (``grammar/bugs.lark``) into a small syntax tree with positions.

Expressions reuse the nodes of ``lvmdsl.text.ast`` (``Number``, ``Call``, ``BinOpExpr``, ``Neg``);
a reference to a node, ``Y[i, j]`` or ``mu.beta[]`` or ``R[1:2, 1:2]``, is a ``NodeRef`` whose
slots say, per index, an expression, a range ``a:b``, or the whole axis (an empty slot).
"""

from __future__ import annotations

from dataclasses import dataclass

import lark

from . import ast
from .errors import SourceText
from .parser import _pos, grammar_parser, syntax_error


@dataclass
class Slot:
    kind: str                 # "expr" | "range" | "all"
    expr: object = None       # the index (kind "expr") or the range's start
    end: object = None        # the range's end
    pos: ast.Pos | None = None


@dataclass
class NodeRef:
    name: str
    slots: list | None        # None when written without brackets
    pos: ast.Pos


@dataclass
class For:
    var: str
    low: object
    high: object
    body: list
    pos: ast.Pos


@dataclass
class Stochastic:
    node: NodeRef
    dist: str
    args: list
    truncation: ast.Pos | None
    pos: ast.Pos
    dist_pos: ast.Pos


@dataclass
class Deterministic:
    node: NodeRef
    expr: object
    link: str | None          # "logit" in logit(p[i]) <- ..., "log" in log(mu[i]) <- ...
    link_pos: ast.Pos | None
    pos: ast.Pos


@dataclass
class DataBlock:
    pos: ast.Pos


class _ToBugsAst(lark.Transformer):
    def __default_token__(self, tok):
        return tok

    def number(self, c):
        return ast.Number(str(c[0]), _pos(c[0]))

    @lark.v_args(meta=True)
    def call(self, meta, c):
        return ast.Call(str(c[0]), [x for x in c[1:] if x is not None], _pos(c[0]))

    def _bin(op):
        @lark.v_args(meta=True)
        def f(self, meta, c):
            return ast.BinOpExpr(op, c[0], c[1], _pos(meta))
        return f

    add, sub, mul, div, pow = _bin("+"), _bin("-"), _bin("*"), _bin("/"), _bin("**")

    @lark.v_args(meta=True)
    def neg(self, meta, c):
        return ast.Neg(c[0], _pos(meta))

    @lark.v_args(meta=True)
    def slot_expr(self, meta, c):
        return Slot("expr", c[0], pos=_pos_of(c[0]))

    @lark.v_args(meta=True)
    def slot_range(self, meta, c):
        return Slot("range", c[0], c[1], pos=_pos_of(c[0]))

    @lark.v_args(meta=True)
    def slot_all(self, meta, c):
        return Slot("all", pos=None)

    def slots(self, c):
        return list(c)

    @lark.v_args(meta=True)
    def node(self, meta, c):
        return NodeRef(str(c[0]), c[1] if len(c) > 1 else None, _pos(c[0]))

    @lark.v_args(meta=True)
    def for_stmt(self, meta, c):
        return For(str(c[0]), c[1], c[2], list(c[3:]), _pos(meta))

    @lark.v_args(meta=True)
    def truncation(self, meta, c):
        return ("truncation", _pos(c[0]))

    @lark.v_args(meta=True)
    def stochastic(self, meta, c):
        trunc = c[-1][1] if c and isinstance(c[-1], tuple) else None
        args = [x for x in c[2:] if not isinstance(x, tuple) and x is not None]
        return Stochastic(c[0], str(c[1]), args, trunc, _pos(meta), _pos(c[1]))

    @lark.v_args(meta=True)
    def deterministic(self, meta, c):
        return Deterministic(c[0], c[1], None, None, _pos(meta))

    @lark.v_args(meta=True)
    def link_stmt(self, meta, c):
        return Deterministic(c[1], c[2], str(c[0]), _pos(c[0]), _pos(meta))

    @lark.v_args(meta=True)
    def model_block(self, meta, c):
        return list(c)

    @lark.v_args(meta=True)
    def data_block(self, meta, c):
        return DataBlock(_pos(c[0]))

    def start(self, c):
        return list(c)


def _pos_of(node):
    return getattr(node, "pos", None)


def parse_bugs(text: str, filename: str = "<text>") -> tuple[list, list]:
    """(statements of the model block, data blocks) of a BUGS text; a ``TextError`` if malformed."""
    parser = grammar_parser("bugs.lark")
    src = SourceText(text, filename)
    try:
        tree = parser.parse(text)
    except lark.exceptions.UnexpectedInput as err:
        raise syntax_error(err, src, parser) from None
    blocks = _ToBugsAst().transform(tree)
    models = [b for b in blocks if isinstance(b, list)]
    data_blocks = [b for b in blocks if isinstance(b, DataBlock)]
    if len(models) != 1:
        pos = ast.Pos(1, 1)
        raise src.error(f"a BUGS file holds one model {{ ... }} block, this one has {len(models)}", pos,
                        "model { ... }")
    return models[0], data_blocks
