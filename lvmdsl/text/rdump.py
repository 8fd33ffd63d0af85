"""Data files for BUGS models: R dump format (``list(...)``, ``structure(...)``) and JSON.

R fills an array with ``.Dim`` in column-major order (the first index varies fastest), so
``structure(.Data = c(1, 2, 3, 4, 5, 6), .Dim = c(2, 3))`` is ``[[1, 3, 5], [2, 4, 6]]``; this
reader follows R (as JAGS does).  A file written by OpenBUGS's row-major convention needs its
arrays transposed first, or JSON.  Numbers without a decimal point or exponent are integers.
Missing values (``NA``) are not supported: lvmdsl needs every observed value.
"""

from __future__ import annotations

import json
from pathlib import Path

import lark
import numpy as np

from ..frontend.expr import ModelError
from .errors import SourceText, TextError
from .parser import grammar_parser, syntax_error


class _ToData(lark.Transformer):
    def __init__(self, src: SourceText):
        super().__init__()
        self.src = src

    def number(self, c):
        t = str(c[0]).rstrip("L")
        return [int(t)] if t.isdigit() else [float(t)]

    def negative(self, c):
        return [-self.number(c)[0]]

    def missing(self, c):
        raise self.src.error("missing value NA: lvmdsl needs every observed value (drop the element, or model it)",
                             c[0], "a number")

    def vector(self, c):
        return [x for v in c for x in (v.ravel().tolist() if isinstance(v, np.ndarray) else v)]

    def range(self, c):
        a, b = int(str(c[0]).rstrip("L")), int(str(c[1]).rstrip("L"))
        return list(range(a, b + 1)) if b >= a else list(range(a, b - 1, -1))

    def neg_range(self, c):
        a, b = -int(str(c[0]).rstrip("L")), int(str(c[1]).rstrip("L"))
        return list(range(a, b + 1)) if b >= a else list(range(a, b - 1, -1))

    def sarg_data(self, c):
        return ("data", c[0])

    def sarg_named(self, c):
        return (str(c[0]), c[1])

    @lark.v_args(meta=True)
    def structure(self, meta, c):
        named = dict(c)
        data = named.get("data", named.get(".Data"))
        dims = named.get(".Dim", named.get("dim"))
        if data is None:
            raise self.src.error("structure(...) without its data", meta, "structure(.Data = c(...), .Dim = c(...))")
        values = np.asarray(data)
        if dims is None:
            return values
        dims = [int(d) for d in np.asarray(dims).ravel()]
        if int(np.prod(dims)) != values.size:
            raise self.src.error(f"structure(...): .Dim = {dims} needs {int(np.prod(dims))} values, got {values.size}",
                                 meta, f"{int(np.prod(dims))} values")
        return values.reshape(dims, order="F")

    def key(self, c):
        t = str(c[0])
        return t[1:-1] if t[0] in "\"'" else t

    def item(self, c):
        return (c[0], c[1])

    assignment = item

    def as_list(self, c):
        return c

    as_assignments = as_list


def _array(v):
    a = v if isinstance(v, np.ndarray) else np.asarray(v)
    if a.ndim == 1 and a.size == 1 and isinstance(v, list):
        a = a.reshape(())
    return a


def parse_rdump(text: str, filename: str = "<data>") -> dict:
    """``{name: numpy array}`` from R dump text; a length-one vector becomes a scalar."""
    parser = grammar_parser("rdump.lark")
    src = SourceText(text, filename)
    try:
        tree = parser.parse(text)
    except lark.exceptions.UnexpectedInput as err:
        raise syntax_error(err, src, parser) from None
    try:
        items = _ToData(src).transform(tree)
    except lark.exceptions.VisitError as err:
        if isinstance(err.orig_exc, TextError):
            raise err.orig_exc from None
        raise
    out = {}
    for name, value in items:
        if name in out:
            raise ModelError(f"{filename}: {name!r} is given twice")
        out[name] = _array(value)
    return out


def parse_json_data(text: str, filename: str = "<data>") -> dict:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise TextError(f"not valid JSON: {err.msg}", text, err.lineno, err.colno, filename) from None
    if not isinstance(raw, dict):
        raise ModelError(f"{filename}: JSON data must be an object mapping names to numbers or arrays")
    out = {}
    for k, v in raw.items():
        try:
            a = np.asarray(v)
        except ValueError:
            raise ModelError(f"{filename}: {k!r} is a ragged array; give rows of equal length") from None
        if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
            raise ModelError(f"{filename}: {k!r} must hold numbers only (no null or text), got {str(v)[:60]}")
        out[k] = a
    return out


def read_data(source) -> dict:
    """Data from a dict (returned as arrays), or a file: ``.json`` is JSON, anything else R dump."""
    if source is None:
        return {}
    if isinstance(source, dict):
        return {k: np.asarray(v) for k, v in source.items()}
    path = Path(source)
    if not path.exists():
        raise ModelError(f"no data file {str(path)!r}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ModelError(f"data file {str(path)!r} is not UTF-8 text ({err.reason} at byte {err.start})") from None
    if path.suffix.lower() == ".json":
        return parse_json_data(text, str(path))
    return parse_rdump(text, str(path))
