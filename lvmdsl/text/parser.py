"""Parse lvmdsl's model language (``grammar/lvmdsl.lark``) into the syntax tree of ``lvmdsl.text.ast``.

The grammar is LALR(1) and read with lark; the parse tree is transformed into dataclasses that keep
the line and column of every construct.  Syntax errors become ``TextError``s that show the line, a
caret and the tokens that could have come there.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import lark

from . import ast
from .errors import SourceText, TextError

_DESCRIBE = {"NAME": "a name", "NUMBER": "a number", "INT": "an integer", "STRING": "a quoted name", "$END": "the end of the text"}


@lru_cache(maxsize=None)
def grammar_parser(grammar_file: str) -> lark.Lark:
    text = resources.files("lvmdsl.text").joinpath("grammars").joinpath(grammar_file).read_text()
    return lark.Lark(text, parser="lalr", lexer="contextual", propagate_positions=True, maybe_placeholders=False)


def describe_expected(parser: lark.Lark, names) -> str:
    """``{'NAME', 'RBRACE'}`` -> "a name or '}'": lark's terminal names in the reader's words."""
    words = []
    for n in sorted(names):
        if n in _DESCRIBE:
            words.append(_DESCRIBE[n])
            continue
        try:
            term = parser.get_terminal(n)
        except KeyError:
            words.append(n.lower())
            continue
        pat = term.pattern
        words.append(f"'{pat.value}'" if pat.type == "str" else n.lower())
    words = sorted(set(words), key=lambda w: (not w.startswith("'"), w))
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else (words[0] if words else "")


def syntax_error(err: lark.exceptions.UnexpectedInput, src: SourceText, parser: lark.Lark) -> TextError:
    """A lark syntax error as a ``TextError`` at its position."""
    if isinstance(err, lark.exceptions.UnexpectedCharacters):
        ch = src.text[err.pos_in_stream] if err.pos_in_stream < len(src.text) else ""
        return TextError(f"unexpected character {ch!r}", src.text, err.line, err.column, src.filename,
                         describe_expected(parser, err.allowed) if err.allowed else None)
    if isinstance(err, lark.exceptions.UnexpectedEOF) or getattr(err, "token", None) is not None and err.token.type == "$END":
        lines = src.text.splitlines() or [""]
        return TextError("the text ends too early", src.text, len(lines), len(lines[-1]) + 1, src.filename,
                         describe_expected(parser, err.expected))
    tok = err.token
    what = f"'{tok}'" if tok.type not in _DESCRIBE else f"{_DESCRIBE[tok.type].split(' ', 1)[1]} '{tok}'"
    return TextError(f"unexpected {what}", src.text, tok.line, tok.column, src.filename,
                     describe_expected(parser, err.expected))


def _pos(meta_or_token) -> ast.Pos:
    return ast.Pos(meta_or_token.line, meta_or_token.column)


class _ToAst(lark.Transformer):
    """lark tree -> ``lvmdsl.text.ast`` dataclasses (positions from lark's metadata)."""

    def __default_token__(self, tok):
        return tok

    # expressions
    @lark.v_args(meta=True)
    def number(self, meta, c):
        return ast.Number(str(c[0]), _pos(c[0]))

    @lark.v_args(meta=True)
    def name(self, meta, c):
        return ast.Name(str(c[0]), _pos(c[0]))

    @lark.v_args(meta=True)
    def call(self, meta, c):
        return ast.Call(str(c[0]), list(c[1:]), _pos(c[0]))

    @lark.v_args(meta=True)
    def array(self, meta, c):
        return ast.ArrayLit(list(c), _pos(meta))

    @lark.v_args(meta=True)
    def index(self, meta, c):
        return ast.IndexExpr(c[0], list(c[1:]), _pos(meta))

    def _bin(op):
        @lark.v_args(meta=True)
        def f(self, meta, c):
            return ast.BinOpExpr(op, c[0], c[1], _pos(meta))
        return f

    add, sub, mul, div, pow = _bin("+"), _bin("-"), _bin("*"), _bin("/"), _bin("**")

    @lark.v_args(meta=True)
    def neg(self, meta, c):
        return ast.Neg(c[0], _pos(meta))

    # statements
    @lark.v_args(meta=True)
    def let_stmt(self, meta, c):
        return ast.Let(str(c[0]), c[1], _pos(meta))

    @lark.v_args(meta=True)
    def dims(self, meta, c):
        return tuple(int(t) if t.type == "INT" else str(t) for t in c if t is not None)

    @lark.v_args(meta=True)
    def type(self, meta, c):
        return ast.TypeSpec(str(c[0]), c[1] if len(c) > 1 else None, _pos(c[0]))

    @lark.v_args(meta=True)
    def const_stmt(self, meta, c):
        typ = next((x for x in c[1:] if isinstance(x, ast.TypeSpec)), None)
        rest = [x for x in c[1:] if not isinstance(x, ast.TypeSpec)]
        return ast.ConstDecl(str(c[0]), typ, rest[0] if rest else None, _pos(meta))

    @lark.v_args(meta=True)
    def param_stmt(self, meta, c):
        return ast.ParamDecl(str(c[0]), c[1] if len(c) > 1 else None, _pos(meta))

    @lark.v_args(meta=True)
    def size(self, meta, c):
        tok = c[0]
        return (int(tok) if tok.type == "INT" else str(tok)), _pos(tok)

    @lark.v_args(meta=True)
    def plate_stmt(self, meta, c):
        (size, size_pos) = c[1]
        return ast.PlateBlock(str(c[0]), size, list(c[2:]), _pos(meta), size_pos)

    @lark.v_args(meta=True)
    def keyword_arg(self, meta, c):
        return ast.Arg(str(c[0]), c[1], _pos(c[0]))

    @lark.v_args(meta=True)
    def positional_arg(self, meta, c):
        return ast.Arg(None, c[0], _pos(meta))

    @lark.v_args(meta=True)
    def observed(self, meta, c):
        return ("observed", c[0] if c else None)

    @lark.v_args(meta=True)
    def var_stmt(self, meta, c):
        obs = c[-1] if c and isinstance(c[-1], tuple) else None
        args = [a for a in c[2:] if isinstance(a, ast.Arg)]
        return ast.VarDecl(str(c[0]), str(c[1]), args, obs is not None, obs[1] if obs else None,
                           _pos(meta), _pos(c[1]))

    @lark.v_args(meta=True)
    def start(self, meta, c):
        name = json.loads(c[0]) if c[0].type == "STRING" else str(c[0])
        return ast.Program(name, list(c[1:]), _pos(meta))


def parse_program(text: str, filename: str = "<text>") -> ast.Program:
    """The syntax tree of one ``model name { ... }`` text; a ``TextError`` if it is not well formed."""
    parser = grammar_parser("lvmdsl.lark")
    src = SourceText(text, filename)
    try:
        tree = parser.parse(text)
    except lark.exceptions.UnexpectedInput as err:
        raise syntax_error(err, src, parser) from None
    return _ToAst().transform(tree)
