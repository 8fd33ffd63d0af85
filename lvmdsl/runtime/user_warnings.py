"""Warnings that point at the user's line, however deep in the library they were raised.

A fixed ``stacklevel`` is right for one call path only (``lv.infer`` directly, or through the
scikit-learn estimator, or ``Pipeline.fit``).  ``at_user_line()`` runs a block, records the
warnings raised in it and re-issues them: the library's own warning classes at the first frame
outside the ``lvmdsl`` package (the user's call), others unchanged (their file and line).  The
user's warning filters apply to the re-issued warnings, so ``simplefilter("error", ...)`` and
``pytest.warns`` behave as usual.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_INTERNAL = (PACKAGE, os.path.abspath(contextlib.__file__))
_REGISTRIES: dict = {}          # "already shown" records of re-issued foreign warnings, by file


def user_stacklevel() -> int:
    """The ``stacklevel`` that names the innermost caller outside the package (and the
    ``contextlib`` machinery), for a ``warnings.warn`` made in the function calling this one."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_INTERNAL):
        frame, level = frame.f_back, level + 1
    return level


def _ours(category) -> bool:
    return getattr(category, "__module__", "").startswith("lvmdsl")


@contextlib.contextmanager
def at_user_line():
    """Record the warnings of the block, then re-issue them at the user's line (see above)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    seen = set()
    for w in caught:
        key = (w.category, str(w.message), w.filename, w.lineno)
        if key in seen:                     # a warning repeated in a loop is re-issued once
            continue
        seen.add(key)
        if _ours(w.category):
            warnings.warn(w.message, w.category, stacklevel=user_stacklevel())
        else:                               # where it was raised, once per place as by default
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno,
                                   registry=_REGISTRIES.setdefault(w.filename, {}), source=w.source)
