"""``Model.to_text()``: print a model in lvmdsl's text language, so that reading it back declares it again.

Declarations come out in the order they were made (``Model.declaration_order``), each inside the
plates it was declared in: a plate block is opened when the next declaration needs it and closed
when a declaration outside it follows.  Parameters are printed as the user gave them (the keyword
and its expression, not the canonical form).  Numbers print with ``repr`` so floats read back
bit for bit; float arrays that are a positive multiple of ``eye(n)`` or ``ones(shape)`` (or all zero)
print in that short form, which the reader folds back into the same array.
"""

from __future__ import annotations

import json

import numpy as np

from ..frontend.expr import BinOp, Const, Dot, Expr, Func, Index, Literal, ModelError
from ..families.flat import Flat
from ..frontend.model import Model, Plate, RandomVariable

#: words of the language that cannot name anything
RESERVED = ("model", "let", "const", "param", "plate", "in", "observed")

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "unary": 3, "**": 4, "postfix": 5, "atom": 6}


def _name(name: str) -> str:
    if name in RESERVED:
        raise ModelError(f"{name!r} is a reserved word of the text language; rename it to print the model as text")
    return name


def number_text(x) -> str:
    v = np.asarray(x).item()
    if isinstance(v, (bool, np.bool_)):
        return str(int(v))
    if isinstance(v, int):
        return str(v)
    if not np.isfinite(v):
        raise ModelError(f"the text language has no literal for {v!r}")
    return repr(float(v))


def array_text(a: np.ndarray) -> tuple[str, int]:
    """Text of a literal and its precedence."""
    a = np.asarray(a)
    if a.ndim == 0:
        t = number_text(a)
        return t, (_PREC["unary"] if t.startswith("-") else _PREC["atom"])
    if np.issubdtype(a.dtype, np.floating) and a.size > 1 and np.all(np.isfinite(a)):
        shape = ", ".join(map(str, a.shape))
        if not a.any() and not np.signbit(a).any():
            return f"zeros({shape})", _PREC["atom"]
        c = float(a.flat[0])
        if c > 0 and np.array_equal(a, np.full(a.shape, c)):
            return (f"ones({shape})", _PREC["atom"]) if c == 1.0 else (f"{number_text(c)} * ones({shape})", _PREC["*"])
        if a.ndim == 2 and a.shape[0] == a.shape[1]:
            c = float(a[0, 0])
            if c > 0 and np.array_equal(a, c * np.eye(a.shape[0])):
                n = a.shape[0]
                return (f"eye({n})", _PREC["atom"]) if c == 1.0 else (f"{number_text(c)} * eye({n})", _PREC["*"])
    return _nested(a), _PREC["atom"]


def _nested(a: np.ndarray) -> str:
    if a.ndim == 0:
        return number_text(a)
    return "[" + ", ".join(_nested(x) for x in a) + "]"


def expr_text(e: Expr) -> str:
    return _expr(e)[0]


def _wrap(e: Expr, min_prec: int) -> str:
    text, prec = _expr(e)
    return f"({text})" if prec < min_prec else text


def _expr(e: Expr) -> tuple[str, int]:
    if isinstance(e, Literal):
        return array_text(e.value)
    if isinstance(e, (RandomVariable, Const, Plate)):
        return _name(e.name), _PREC["atom"]
    if isinstance(e, BinOp):
        p = _PREC[e.op]
        if e.op == "**":
            return f"{_wrap(e.a, p + 1)} ** {_wrap(e.b, _PREC['unary'])}", p
        return f"{_wrap(e.a, p)} {e.op} {_wrap(e.b, p + 1)}", p
    if isinstance(e, Func):
        if e.fn == "neg":
            return f"-{_wrap(e.arg, _PREC['unary'])}", _PREC["unary"]
        fn = "inverse" if e.fn == "inv" else e.fn
        return f"{fn}({expr_text(e.arg)})", _PREC["atom"]
    if isinstance(e, Dot):
        return f"dot({expr_text(e.a)}, {expr_text(e.b)})", _PREC["atom"]
    if isinstance(e, Index):
        return f"{_wrap(e.base, _PREC['postfix'])}[{', '.join(expr_text(i) for i in e.indices)}]", _PREC["postfix"]
    raise ModelError(f"cannot print {e!r} ({type(e).__name__}) as model text")


def _dims(shape) -> str:
    return "[" + ", ".join(d if isinstance(d, str) else str(int(d)) for d in shape) + "]"


def const_text(c: Const) -> str:
    out = f"const {_name(c.name)}"
    if c.shape is not None and not (c.value is None and tuple(c.shape) == ()):
        out += ": real" + (_dims(c.shape) if len(c.shape) else "")
    if c.value is not None:
        out += " = " + array_text(c.value)[0]
    return out


def variable_text(v: RandomVariable) -> str:
    if isinstance(v.family, Flat):
        kind = v.family.constraint or "real"
        shape = tuple(v.family.shape)
        return f"param {_name(v.name)}" + (f": {kind}{_dims(shape) if shape else ''}" if (kind != "real" or shape) else "")
    args = ", ".join(f"{k} = {expr_text(e)}" for k, e in v.given.items())
    out = f"{_name(v.name)} ~ {v.family.name}({args})"
    if v.observed:
        out += " observed" if v.value is None else " observed = " + _nested(np.asarray(v.value))
    return out


def model_to_text(m: Model) -> str:
    """The whole model as text (see the module docstring)."""
    name = m.name if m.name.isidentifier() and m.name not in RESERVED else json.dumps(m.name)
    lines = [f"model {name} {{"]
    open_plates: list[Plate] = []

    def goto(plates: tuple):
        while open_plates and tuple(open_plates) != tuple(plates[: len(open_plates)]):
            open_plates.pop()
            lines.append("  " * (len(open_plates) + 1) + "}")
        for p in plates[len(open_plates):]:
            size = p.size if isinstance(p.size, str) else int(p.size)
            lines.append("  " * (len(open_plates) + 1) + f"plate {_name(p.name)} in {size} {{")
            open_plates.append(p)

    order = m.declaration_order or [("variable", n) for n in m.variables]
    for kind, name in order:
        if kind == "plate":
            continue
        obj = m.consts[name] if kind == "const" else m.variables[name]
        goto(tuple(obj.plates))
        text = const_text(obj) if kind == "const" else variable_text(obj)
        lines.append("  " * (len(open_plates) + 1) + text)
    goto(())
    lines.append("}")
    return "\n".join(lines) + "\n"
