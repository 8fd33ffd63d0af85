"""One module per distribution family; ``FAMILIES`` maps each public name to its instance."""

from __future__ import annotations

from .base import Distribution, Family, FamilyError, Support
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .dirichlet import Dirichlet
from .exponential import Exponential
from .gamma import Gamma
from .gig import GeneralizedInverseGaussian
from .geometric import Geometric
from .inverse_gamma import InverseGamma
from .inverse_wishart import InverseWishart
from .laplace import Laplace
from .lognormal import LogNormal
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .negative_binomial import NegativeBinomial
from .normal import Normal
from .pareto import Pareto
from .partly_observed_mvn import PartlyObservedMVN, PartlyObservedMVNConditional
from .poisson import Poisson
from .polya_gamma import PolyaGamma, PolyaGammaJoint
from .polya_gamma_likelihood import PolyaGammaBernoulli, PolyaGammaBinomial
from .student_t import StudentT
from .truncated_normal import IntervalNormal, TruncatedNormal
from .truncated_poisson import IntervalPoisson, TruncatedPoisson
from .uniform import Uniform
from .wishart import Wishart

FAMILIES: dict[str, Family] = {cls.name: cls() for cls in (
    Normal, Gamma, InverseGamma, Beta, Exponential, Dirichlet, MultivariateNormal, Bernoulli,
    Categorical, Poisson, Binomial, Geometric, NegativeBinomial, Multinomial, Wishart,
    InverseWishart, LogNormal, Pareto, Uniform, Laplace, StudentT, TruncatedNormal, IntervalNormal, PolyaGamma,
    PolyaGammaBernoulli, PolyaGammaBinomial, GeneralizedInverseGaussian, PolyaGammaJoint,
    TruncatedPoisson, IntervalPoisson, PartlyObservedMVN, PartlyObservedMVNConditional)}


def conditional_family(family: Family) -> Family:
    """The family of a complete conditional whose prior is ``family``: itself, or, for the joint
    factors of an augmentation (IntervalNormal, PolyaGammaJoint), the distribution they condition to."""
    name = getattr(family, "posterior_family", None)
    return FAMILIES[name] if name else family


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise FamilyError(
            f"unsupported distribution {name!r}; lvmdsl knows " + ", ".join(sorted(FAMILIES))
        ) from None


__all__ = ["conditional_family", "Distribution", "Family", "FamilyError", "Support", "FAMILIES", "get_family"]
