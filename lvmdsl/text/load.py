"""``lv.parse``, ``lv.load`` and ``lv.read_bugs``: models from text and files.

``lv.load(path)`` dispatches on the extension: ``.lvm`` is lvmdsl's own language, ``.bug``,
``.bugs`` and ``.jags`` are BUGS/JAGS models (their data, if any, given with ``data=``: a dict,
or the path of an R dump (``.R``, ``.r``, ``.dump``) or JSON file).
"""

from __future__ import annotations

from pathlib import Path

from ..frontend.expr import ModelError
from ..frontend.model import Model
from .errors import SourceText
from .parser import parse_program
from .to_model import build_model

OWN_EXTENSIONS = (".lvm",)
BUGS_EXTENSIONS = (".bug", ".bugs", ".jags")


def parse(text: str, filename: str = "<text>") -> Model:
    """Read a model written in lvmdsl's text language; a ``TextError`` (a ``ModelError``) if it is wrong."""
    if not isinstance(text, str):
        raise ModelError(f"lv.parse takes the model text as a string, got {type(text).__name__}")
    return build_model(parse_program(text, filename), SourceText(text, filename))


def read_bugs(text: str, data=None, filename: str = "<text>") -> Model:
    """Read a BUGS/JAGS model (the conjugate subset, see docs/text-language.md).

    ``data`` (a dict, or the path of an R dump or JSON file) says which nodes are observed, as in
    JAGS, and fixes loop bounds; the translated data, ready for ``lv.infer``, is ``model.data``.
    """
    from .bugs import read_bugs_model
    return read_bugs_model(text, data, filename)


def load(path, data=None) -> Model:
    """Read a model file: ``.lvm`` (lvmdsl's language) or ``.bug``/``.bugs``/``.jags`` (BUGS)."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"no model file {str(path)!r}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ModelError(f"model file {str(path)!r} is not UTF-8 text ({err.reason} at byte {err.start})") from None
    ext = path.suffix.lower()
    if ext in OWN_EXTENSIONS:
        if data is not None:
            raise ModelError("lv.load: data= is for BUGS models; pass lvmdsl models' data to lv.infer")
        return parse(text, str(path))
    if ext in BUGS_EXTENSIONS:
        return read_bugs(text, data, str(path))
    raise ModelError(f"lv.load: cannot tell the language of {str(path)!r} from its extension {ext!r}; "
                     f"use {', '.join(OWN_EXTENSIONS)} for lvmdsl's language or {', '.join(BUGS_EXTENSIONS)} for BUGS")
