"""One module per distribution family; ``FAMILIES`` maps each public name to its instance."""

from __future__ import annotations

from .base import Distribution, Family, FamilyError, Support
from .gamma import Gamma
from .normal import Normal

FAMILIES: dict[str, Family] = {cls.name: cls() for cls in (Normal, Gamma)}


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise FamilyError(
            f"unsupported distribution {name!r}; lvmdsl knows " + ", ".join(sorted(FAMILIES))
        ) from None


__all__ = ["Distribution", "Family", "FamilyError", "Support", "FAMILIES", "get_family"]
