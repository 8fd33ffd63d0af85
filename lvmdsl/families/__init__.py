"""One module per group of distribution families; ``FAMILIES`` maps each public name to its instance."""

from __future__ import annotations

from .base import Distribution, Family, FamilyError, Support
from .continuous import Dirichlet, Exponential, MultivariateNormal
from .discrete import Bernoulli, Categorical, Poisson
from .gamma import Gamma
from .normal import Normal

FAMILIES: dict[str, Family] = {cls.name: cls() for cls in (
    Normal, Gamma, Exponential, Dirichlet, MultivariateNormal, Bernoulli, Categorical, Poisson)}


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise FamilyError(
            f"unsupported distribution {name!r}; lvmdsl knows " + ", ".join(sorted(FAMILIES))
        ) from None


__all__ = ["Distribution", "Family", "FamilyError", "Support", "FAMILIES", "get_family"]
