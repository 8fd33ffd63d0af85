"""Which engine derives a model's complete conditionals when none is named.

The array-level engine (``derive.index_conditionals``) is the default.  A model the rewrite pass
changed (augmentation, missing data) derives there too, since the families the rewrites add
(PolyaGamma, IntervalNormal, GeneralizedInverseGaussian, ...) have array-level hooks; the
element-level engine is used instead only with a named reason (``Derivation.engine_reason``):
the array-level derivation raised, or left an unknown without a conjugate conditional that the
element-level rule finds.
"""

from __future__ import annotations

from ..families.base import FamilyError
from ..frontend.expr import ModelError


def index_or_reason(model, graph, records, original, data=None):
    """(array-level derivation, "") or (None, why the element-level engine must derive it)."""
    from .derivation import _index_derivation
    if not records:
        return _index_derivation(model, graph, records, original, data), ""
    try:
        d = _index_derivation(model, graph, records, original, data)
    except (ModelError, FamilyError, NotImplementedError) as err:
        return None, f"the array-level engine cannot derive the augmented model: {err}"
    from .conditionals import derive_conditional
    for name, cond in d.items():
        if cond.conjugate:
            continue
        element = derive_conditional(model, graph, name)
        if element.conjugate:
            return None, (f"{name!r} has a conjugate conditional at element level only "
                          f"(at array level: {cond.reason})")
    return d, ""
