"""How user names reach generated source: injectively, and never as code.

Every name a user gives (variables, constants, plates, the model) is either printed inside a
string literal by ``repr`` (``S['mu']``), or becomes part of a Python identifier.  For the latter:

* ``ident(name)`` is the identity on Python identifiers, so distinct names give distinct
  identifiers (the old rule stripped underscores, so ``mu``, ``_mu`` and ``mu_`` all became
  ``mu`` and shared one generated function).  Callers put a fixed prefix before it
  (``update_mu``), which also keeps keywords and dunders out of the namespace's own names.
  Other text (a readable hint such as ``tau[z[n]]``) becomes ``tau_z_n``; those are local
  names that ``FramePrinter.name`` de-duplicates and keeps off ``RESERVED``.
* ``join_key(*parts)`` joins several names into one dictionary key with ``.``, which no identifier
  contains, so ``join_key("a_b", "c") != join_key("a", "b_c")``.
* ``doc_text(text)`` renders any string for a docstring or comment: ASCII escapes only, with
  quotes escaped, so a model name cannot close the docstring and run as code.
* ``check_name(name, what)`` is the declaration-time rule: a string that is a Python identifier,
  in NFKC normal form (Python folds ``ﬁ`` to ``fi`` in source, so two such names would meet in
  one identifier), and not a dunder.
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata

#: names the generated code defines or reads itself; a printer-chosen local never takes one
RESERVED = (set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins))
            | {"np", "C", "CH", "D", "DI", "E", "F", "K0", "P", "S", "SEL0", "T", "W", "Wc", "X", "Z", "eta",
               "rng", "ws", "q", "g", "out", "digamma", "draw_enumerated", "draw_natural", "gammaln", "logdet",
               "polygamma", "reduce_to", "scatter", "scatter_index", "spd_inv", "workspace", "argmax_natural",
               "soft_sum", "acc", "inner", "scat", "route", "term", "features_times", "scatter_to",
               "draw_index_natural"} | {f"{p}{k}" for p in ("op", "opk", "w") for k in range(64)})


def ident(text) -> str:
    """An identifier for ``text``: ``text`` itself when it is an identifier (injective on names),
    otherwise a readable one (``tau[z[n]]`` -> ``tau_z_n``) for local names that are de-duplicated."""
    s = str(text)
    if s.isidentifier():
        return s
    s = re.sub(r"\W+", "_", s).strip("_")
    return s if s and not s[0].isdigit() else "v_" + s


def is_reserved(name: str) -> bool:
    """Whether a local name would shadow something generated code uses (or is a keyword)."""
    return name in RESERVED or name.startswith(("sum_", "__")) or keyword.iskeyword(name)


def join_key(*parts) -> str:
    """One dictionary key from several names (injective: names never contain '.')."""
    return ".".join(str(p) for p in parts)


def doc_text(text) -> str:
    """``text`` as it may appear inside a triple-quoted docstring or a comment of generated source."""
    return ascii(str(text)).replace('"', "\\x22").replace("'", "\\x27")


def check_name(name, what: str) -> str:
    """Return ``name`` if it can name a ``what``; otherwise a ModelError naming it and the fix."""
    from ..frontend.expr import ModelError

    if not isinstance(name, str) or not name.isidentifier():
        raise ModelError(f"{what} name {name!r} must be a Python identifier (letters, digits and '_', not "
                         "starting with a digit), e.g. 'mu' or 'x_obs'")
    if unicodedata.normalize("NFKC", name) != name:
        raise ModelError(f"{what} name {name!r} is not in Unicode NFKC form; Python reads it as "
                         f"{unicodedata.normalize('NFKC', name)!r}: use that spelling")
    if name.startswith("__") and name.endswith("__"):
        raise ModelError(f"{what} name {name!r} is a dunder name (reserved by Python); drop the double underscores")
    return name
