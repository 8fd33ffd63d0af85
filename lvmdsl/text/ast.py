"""The syntax tree of a model text: plain dataclasses, each carrying its source position.

The parser (``lvmdsl.text.parser``) builds these from the lark parse tree; ``lvmdsl.text.to_model``
turns them into a ``Model`` by calling the embedded language.  Nothing here is evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pos:
    """Where a construct starts in the source: 1-based line and column."""

    line: int
    column: int


# ----------------------------------------------------------------------------- expressions

@dataclass
class Number:
    text: str                 # as written, so that 10 stays an integer and 10.0 a float
    pos: Pos


@dataclass
class Name:
    name: str
    pos: Pos


@dataclass
class ArrayLit:
    items: list
    pos: Pos


@dataclass
class Call:
    fn: str
    args: list
    pos: Pos


@dataclass
class IndexExpr:
    base: object
    indices: list
    pos: Pos


@dataclass
class BinOpExpr:
    op: str                   # one of + - * / **
    left: object
    right: object
    pos: Pos


@dataclass
class Neg:
    arg: object
    pos: Pos


# ----------------------------------------------------------------------------- statements

@dataclass
class TypeSpec:
    """``: positive[3]``: a constraint (or ``real``) and an event shape."""

    kind: str
    dims: tuple | None
    pos: Pos


@dataclass
class Let:
    name: str
    value: object
    pos: Pos


@dataclass
class ConstDecl:
    name: str
    type: TypeSpec | None
    value: object | None
    pos: Pos


@dataclass
class ParamDecl:
    name: str
    type: TypeSpec | None
    pos: Pos


@dataclass
class Arg:
    keyword: str | None       # None for a positional argument (an error the meaning pass reports)
    value: object
    pos: Pos


@dataclass
class VarDecl:
    name: str
    family: str
    args: list
    observed: bool
    observed_value: object | None
    pos: Pos
    family_pos: Pos


@dataclass
class PlateBlock:
    name: str
    size: int | str
    body: list
    pos: Pos
    size_pos: Pos


@dataclass
class Program:
    name: str
    body: list = field(default_factory=list)
    pos: Pos = Pos(1, 1)
