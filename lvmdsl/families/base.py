"""The protocol every distribution family implements, and the numeric distribution object.

A family is the single place that knows one distribution's facts: how its parameterisations
map to the canonical one, its symbolic log-density (sympy, used by the conjugacy engine),
its exponential-family form (sufficient statistics T, natural parameters eta, log-normaliser A,
expected statistics), and its numeric log-density, sampler, moments and support checks.

Conventions shared by all families
----------------------------------
* Parameters are given to numeric methods as a dict of canonical name -> numpy array.  Arrays
  broadcast over leading *batch* dimensions; the trailing ``event_ndim`` dimensions of ``x`` (and
  the trailing dimensions of vector or matrix parameters) are the event.
* Symbolic methods take ``x`` as a sympy scalar (``event_ndim == 0``) or a numpy *object* array of
  sympy scalars with the event shape, and parameters in the same form.
* ``sufficient_stats`` returns a *flat* list of sympy expressions; ``natural_params`` and
  ``from_natural`` use the same flat order, so a complete conditional's natural parameters are
  the prior's plus coefficients collected against that list.  Families with matrix statistics
  document their packing (for instance the upper triangle, row by row).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp


class FamilyError(ValueError):
    """A distribution was declared with parameters it does not accept."""


@dataclass
class Stat:
    """A sufficient statistic as a pattern over symbolic indices (index-level derivation).

    ``expr`` is written at pattern ``indices`` ((symbol, size), ...): ``w[a] * w[b]`` for a
    vector's quadratic statistic, ``log(p[a])`` for a Dirichlet, ``tau`` for a scalar.
    ``symmetric``: the pattern's atoms commute, so its coefficient is symmetrised.
    """

    expr: sp.Expr
    indices: tuple = ()
    symmetric: bool = False

    @property
    def symbols(self) -> tuple:
        return tuple(s for s, _ in self.indices)


@dataclass(frozen=True)
class Support:
    """Where a family's values live; ``kind`` is one of the names in ``SUPPORT_KINDS``."""

    kind: str
    discrete: bool = False

    def describe(self) -> str:
        return SUPPORT_KINDS[self.kind]


SUPPORT_KINDS = {
    "real": "any real number",
    "positive": "a positive real number",
    "unit": "a number strictly between 0 and 1",
    "interval": "a number between the distribution's low and high",
    "above_scale": "a number at least the distribution's scale",
    "binary": "0 or 1",
    "count": "a non-negative integer",
    "bounded_count": "an integer from 0 to n",
    "category": "an integer category 0..K-1",
    "simplex": "a vector of positive numbers summing to one",
    "count_vector": "a vector of non-negative integers summing to n",
    "real_vector": "a real vector",
    "positive_definite": "a symmetric positive-definite matrix",
}


class Family:
    """Base class: subclasses fill in the class attributes and the methods they support.

    Class attributes
    ----------------
    name: the public name, also the constructor name in ``lvmdsl``.
    params: canonical parameter names, in order.
    alternatives: for each canonical parameter, the keywords that may give it (exactly one of
        each group must be given, unless the parameter has a default in ``defaults``).
    defaults: canonical parameters that may be omitted, with their value.
    support: where the values live.
    event_ndim: 0 for scalars, 1 for vectors, 2 for matrices.
    param_event_ndim: canonical parameter -> its own event rank (a vector mean has 1).
    """

    name: str = ""
    params: tuple[str, ...] = ()
    alternatives: dict[str, tuple[str, ...]] = {}
    defaults: dict[str, float] = {}
    support: Support = Support("real")
    event_ndim: int = 0
    param_event_ndim: dict[str, int] = {}
    #: parameters that must be integers (Binomial n, Multinomial n)
    integer_params: tuple[str, ...] = ()

    # ------------------------------------------------------------ parameterisations
    def to_canonical(self, keyword: str, value):
        """Map the value given under an alternative keyword to the canonical parameter.

        Written with arithmetic operators only, so it serves numbers, arrays, sympy expressions
        and model expressions alike.  The default handles the identity case.
        """
        return value

    def canonical_keyword(self, keyword: str) -> str:
        for canon, alts in self.alternatives.items():
            if keyword in alts:
                return canon
        raise FamilyError(
            f"{self.name} has no parameter {keyword!r}; it takes "
            + ", ".join(" | ".join(a) for a in self.alternatives.values())
        )

    # ------------------------------------------------------------ shapes and checks
    def event_shape(self, param_shapes: dict[str, tuple]) -> tuple:
        """The event shape implied by the parameters' shapes (event dims only)."""
        return ()

    def param_problems(self, p: dict[str, np.ndarray]) -> list[str]:
        """Human-readable problems with numeric parameter values (empty if all are valid)."""
        return []

    def in_support(self, x: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
        """Boolean array over batch positions: is ``x`` a possible value?"""
        return np.isfinite(x) if self.event_ndim == 0 else np.all(
            np.isfinite(x), axis=tuple(range(-self.event_ndim, 0)))

    def finite_support_size(self, p_shapes: dict[str, tuple], p_values: dict | None = None):
        """Number of states if the support is finite and known before data (else None)."""
        return None

    # ------------------------------------------------------------ symbolic facts
    def log_density(self, x, p: dict):
        """Symbolic log-density (sympy), elementwise in ``x``; see the module conventions."""
        raise NotImplementedError

    def sufficient_stats(self, x, p: dict | None = None) -> list:
        """Flat list of sufficient statistics T(x) as sympy expressions (None if not an EF).

        ``p`` (symbolic parameters) is passed for families whose statistics depend on a size that
        only the parameters tell, such as the number of categories K of a Categorical."""
        return None

    def log_base_measure(self, x):
        """log h(x), so that log p(x) = eta . T(x) - A(eta) + log h(x)."""
        return sp.Integer(0)

    def natural_params(self, p: dict) -> list:
        """Natural parameters eta(p), symbolic or numeric, aligned with ``sufficient_stats``."""
        raise NotImplementedError

    def from_natural_sym(self, eta: list) -> dict:
        """Canonical parameters (sympy) from natural parameters, aligned with the statistics."""
        raise NotImplementedError

    # ------------------------------------------------------------ numeric facts
    def from_natural(self, eta: list) -> dict:
        """Canonical parameters (numpy) from a flat list of natural-parameter arrays."""
        raise NotImplementedError

    def log_normaliser(self, eta: list) -> np.ndarray:
        raise NotImplementedError

    def expected_stats(self, p: dict) -> list:
        """E[T(x)] under the canonical parameters, aligned with ``sufficient_stats``."""
        raise NotImplementedError

    def logpdf(self, x, p: dict) -> np.ndarray:
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, p: dict, size: tuple = ()) -> np.ndarray:
        """Draws with batch shape ``size`` (which must broadcast with the parameters')."""
        raise NotImplementedError

    def mean(self, p: dict):
        raise NotImplementedError

    def var(self, p: dict):
        """Elementwise variance (the diagonal of the covariance for vectors)."""
        raise NotImplementedError

    def cov(self, p: dict):
        raise NotImplementedError(f"{self.name} is not vector-valued; use var()")

    def mode(self, p: dict):
        raise NotImplementedError

    def sample_natural(self, rng: np.random.Generator, eta):
        """One draw per batch element given natural parameters (the Gibbs runtime's entry point)."""
        return self.sample(rng, self.from_natural(eta))

    def argmax_natural(self, eta):
        """argmax over x of eta . T(x) + log h(x): the M-step's solution for natural parameters eta.

        The mode of the family at eta where that exists; families whose mode convention differs
        at the boundary (Dirichlet, Beta, Gamma) override it.  NaN where no maximiser exists.
        """
        return self.mode(self.from_natural(eta))

    # ------------------------------------------------------------ index-level facts
    def index_log_density(self, x, p: dict, literals):
        """log p(x) with ``x`` and the parameters given as ``Tensor`` values (entries at symbolic
        indices, see ``symbolic.index_form``); the result may hold ``Sum``s over bound indices.
        Scalar families use their elementwise ``log_density``; vector and matrix families override."""
        return self.log_density(x.scalar(), {k: v.scalar() for k, v in p.items()})

    def index_stats(self, x, p: dict) -> list | None:
        """Sufficient statistics as ``Stat`` patterns (None if the family has no conjugate form).

        An array of a scalar family (a positive ``lv.Param`` of shape (D,)) is independent scalars:
        the statistics of its entry at pattern indices, ``log psi[a]`` and ``1/psi[a]``."""
        if x.shape and not self.event_ndim:
            from ..symbolic.tensor import fresh_index
            pattern = tuple((fresh_index("a"), n) for n in x.sizes)
            stats = self.sufficient_stats(x.entry(*[s for s, _ in pattern]), {})
            return None if stats is None else [Stat(sp.sympify(s), pattern) for s in stats]
        stats = self.sufficient_stats(x.scalar(), {k: v.scalar() for k, v in p.items() if not v.shape})
        return None if stats is None else [Stat(sp.sympify(s)) for s in stats]

    def index_log_base_measure(self, x):
        """log h(x) at the level of arrays (a constant for the vector and matrix families)."""
        return self.log_base_measure(x.scalar()) if not x.shape else sp.Integer(0)

    def index_from_natural(self, eta: list, fixed: dict | None = None) -> dict:
        """Canonical parameters from natural parameters with their event axes (``eta[s]`` has the
        batch shape followed by the axes of statistic s); ``fixed``: the parameters the natural
        ones do not determine (bounds, PolyaGamma's b), for families that have them.  Scalar
        families lay their natural parameters out as ``from_natural`` does."""
        return self.from_natural(eta) if fixed is None else self.from_natural(eta, fixed=fixed)

    def index_sample_natural(self, rng: np.random.Generator, eta: list, fixed: dict | None = None):
        """One draw per batch element at natural parameters laid out as in ``index_from_natural``."""
        return self.sample(rng, self.index_from_natural(eta) if fixed is None else self.index_from_natural(eta, fixed))

    def index_argmax_natural(self, eta: list):
        """The M-step's maximiser of eta . T(x) + log h(x) at natural parameters laid out as in
        ``index_from_natural``: scalar families share the element layout (``argmax_natural``),
        vector and matrix families take the mode of the distribution they define."""
        if self.event_ndim == 0:
            return self.argmax_natural(eta)
        return self.mode(self.index_from_natural(eta))

    def index_expected_stats(self, p: dict) -> list:
        """E[T(x)] per statistic in the array-level layout (the E-step of a continuous latent)."""
        return self.expected_stats(p)

    def index_natural_meaning(self, eta_names: list) -> list[str]:
        """How the canonical parameters follow from the natural parameters, for a reader."""
        return []

    def __repr__(self) -> str:
        return f"<family {self.name}>"


@dataclass
class Distribution:
    """A family with numeric canonical parameters: what ``Conditional.evaluate`` returns.

    The batch shape is the target's plate shape; each batch element is one complete conditional.
    """

    family: Family
    params: dict = field(default_factory=dict)

    def mean(self):
        return self.family.mean(self.params)

    def var(self):
        return self.family.var(self.params)

    def cov(self):
        return self.family.cov(self.params)

    def mode(self):
        return self.family.mode(self.params)

    def logpdf(self, value):
        return self.family.logpdf(np.asarray(value, dtype=float), self.params)

    def sample(self, rng: np.random.Generator, size: tuple = ()):
        return self.family.sample(rng, self.params, size)

    def expected_stats(self):
        return self.family.expected_stats(self.params)

    def __repr__(self) -> str:
        def short(v):
            a = np.asarray(v)
            return repr(a.item()) if a.ndim == 0 else f"array{a.shape}"
        inner = ", ".join(f"{k}={short(v)}" for k, v in self.params.items())
        return f"{self.family.name}({inner})"


def sym_array(x):
    """View ``x`` (a sympy scalar or an object array) as an object ndarray."""
    return x if isinstance(x, np.ndarray) else np.array(x, dtype=object)


def as_float(p: dict) -> dict:
    return {k: np.asarray(v, dtype=float) for k, v in p.items()}
