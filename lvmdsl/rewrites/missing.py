"""Missing and censored observations of a Normal: the data decide which entries become latent.

``lv.interval(lower, upper)`` is data that says only lower <= y <= upper for each entry (one
bound infinite: right or left censoring, like JAGS's ``dinterval``); NaN in ordinary data (or a
masked entry of a ``numpy.ma`` array) means "not observed", the interval (-inf, inf).  An entry
with lower = upper is an ordinary observation.

The rule ``interval_data`` replaces ``y ~ Normal(mean, var)`` (observed, with such data) by
``y_complete ~ IntervalNormal(mean, var, y_lower, y_upper)``: the joint density of the complete
value and the event that it lies in its interval.  Observed entries are point intervals (their
factor is the Normal density at the value, so they count as before); missing and censored ones
are latent, drawn by Gibbs from the truncated normal and replaced in EM by its moments.  The
results show the completed values as ``y_complete`` (observed entries equal to the data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..frontend.expr import ModelError
from .base import Match, Rule


@dataclass
class Interval:
    """Data known only up to an interval per entry: ``lv.interval(lower, upper)``."""

    lower: np.ndarray
    upper: np.ndarray

    def __post_init__(self):
        try:
            self.lower, self.upper = np.broadcast_arrays(np.asarray(self.lower, float), np.asarray(self.upper, float))
        except (ValueError, TypeError) as err:
            raise ModelError(f"lv.interval: give numeric lower and upper bounds of one shape ({err})") from None
        if np.any(np.isnan(self.lower)) or np.any(np.isnan(self.upper)):
            raise ModelError("lv.interval: the bounds must not be NaN (use -inf / inf for an open side)")
        if np.any(self.lower > self.upper):
            raise ModelError("lv.interval: a lower bound exceeds its upper bound")

    @property
    def shape(self):
        return self.lower.shape


def interval(lower, upper) -> Interval:
    """Censored or interval data: each entry is known only to lie in [lower, upper]."""
    return Interval(lower, upper)


def bounds_of(value):
    """(lower, upper) arrays for data: an Interval, a masked array, or numbers with NaN."""
    if isinstance(value, Interval):
        return value.lower, value.upper
    if isinstance(value, np.ma.MaskedArray):
        arr = np.asarray(value.filled(np.nan), float)
    else:
        arr = np.asarray(value, float)
    missing = np.isnan(arr)
    return np.where(missing, -np.inf, arr), np.where(missing, np.inf, arr)


def _needs_rewrite(value) -> bool:
    if isinstance(value, Interval):
        return True
    if isinstance(value, np.ma.MaskedArray):
        return bool(np.any(np.ma.getmaskarray(value)))
    try:
        arr = np.asarray(value, float)
    except (TypeError, ValueError):
        return False
    return bool(np.any(np.isnan(arr)))


class IntervalData(Rule):
    name = "interval_data"
    reference = "Tobin (1958); Little and Rubin (2002), ch. 11"
    summary = ("y ~ Normal | Poisson | MultivariateNormal observed with NaN / masked / lv.interval entries -> "
               "y_complete ~ IntervalNormal | IntervalPoisson | PartlyObservedMVN")
    identity = ("P(lower <= y <= upper) = int N(y | mean, var) 1[lower <= y <= upper] dy (a sum over counts for "
                "a Poisson); an observed entry is the point interval lower = upper = y, whose factor is p(y | ...)")
    latex = (r"P(l \le y \le u) = \int \mathcal{N}(y \mid \mu, \sigma^2)\,\mathbb{1}[l \le y \le u]\,dy")
    needs_data = True

    def match(self, model, v, data=None):
        if v.family.name not in ("Normal", "Poisson", "MultivariateNormal") or not v.observed:
            return None
        value = (data or {}).get(v.name, v.value)
        if value is None or not _needs_rewrite(value):
            return None
        if v.family.name == "MultivariateNormal" and isinstance(value, Interval):
            raise ModelError(f"{v.name!r}: interval (censored) data is not supported for a MultivariateNormal; "
                             "NaN marks missing coordinates")
        return Match(self, v, {"value": value})

    def apply(self, b, m):
        if m.variable.family.name == "MultivariateNormal":
            return self._apply_vector(b, m)
        v = m.variable
        y = v.name
        full = b.fresh(f"{y}_complete")
        lower, upper = bounds_of(m.parts["value"])
        free = int(np.sum(lower < upper))

        def side(data, which):
            val = data.get(y, v.value)
            lo, hi = bounds_of(val)
            return lo if which == 0 else hi

        def observed_entries(data):
            lo, hi = bounds_of(data.get(y, v.value))
            return np.where(lo == hi, lo, np.nan)

        b.add_const(y, v.plates, shape=(), compute=observed_entries, observation=True,
                    describe="the observed entries (NaN elsewhere)")
        lo = b.add_const(f"{y}_lower", v.plates, compute=lambda d: side(d, 0), observation=True,
                         describe=f"the observed value, the censoring bound, or -inf where {y} is missing")
        hi = b.add_const(f"{y}_upper", v.plates, compute=lambda d: side(d, 1), observation=True,
                         describe=f"the observed value, the censoring bound, or +inf where {y} is missing")
        if v.family.name == "Normal":
            given = {"mean": b.expr(v.params["mean"]), "var": b.expr(v.params["var"])}
        else:
            given = {"rate": b.expr(v.params["rate"])}
        latent = b.declare(f"Interval{v.family.name}", full, {**given, "lower": lo, "upper": hi}, v.plates)
        b.refs[y] = latent
        return self.record(m, [full], [latent], notes=[
            f"{free} of {lower.size} entries of {y} are missing or censored (latent); the others are point intervals",
            f"the draws of {full} complete {y}: observed entries equal the data"])

    def observe(self, record, S: dict, given: dict) -> dict:
        """What the data show of a complete draw of ``record.variable``, for simulators: NaN where
        the data ``given`` miss entries (every simulated data set misses the same ones)."""
        y = record.variable
        if y not in given:
            raise ModelError(f"simulating {y!r} with missing entries needs its data (which entries are missing): "
                             f"pass data={{'{y}': array with NaN}}")
        value = given[y]
        lo, hi = bounds_of(value)
        if np.any((lo < hi) & (np.isfinite(lo) | np.isfinite(hi))):
            raise ModelError(f"simulating censored data of {y!r} is not supported (only missing entries, NaN)")
        full = np.asarray(S[y], float)
        return {y: np.where(lo < hi, np.nan, full), record.new[0]: full}

    def redraw(self, record, S: dict, rng, params) -> dict:
        """The data and its missing entries given the parameters, for simulators: the complete value
        from the declared family (without its interval), then NaN where the data are missing."""
        from ..families import FAMILIES
        y, full_name = record.variable, record.new[0]
        p = params(full_name)
        declared = "MultivariateNormal" if "observed" in p else "Poisson" if "rate" in p else "Normal"
        family = FAMILIES[declared]
        data = np.asarray(S[y], float)                      # (chains, *plates, *event), NaN where missing
        batch = data.shape[: data.ndim - family.event_ndim]
        full = np.asarray(family.sample(rng, {k: p[k] for k in family.params}, batch), float)
        return {y: np.where(np.isnan(data), np.nan, full), full_name: full}

    def _apply_vector(self, b, m):
        """Missing coordinates of a vector observation: the complete vector is latent, with the data
        (NaN where missing) as the fixed observed coordinates; its conditional is the Gaussian of the
        missing coordinates given the observed ones."""
        v = m.variable
        y = v.name
        full = b.fresh(f"{y}_complete")

        def with_nan(data):
            val = data.get(y, v.value)
            if isinstance(val, np.ma.MaskedArray):
                return np.asarray(val.filled(np.nan), float)
            return np.asarray(val, float)

        yc = b.add_const(y, v.plates, shape=tuple(v.event_shape), compute=with_nan, observation=True,
                         describe="the data, NaN at missing coordinates")
        latent = b.declare("PartlyObservedMVN", full, {"mean": b.expr(v.params["mean"]),
                                                      "precision": b.expr(v.params["precision"]), "observed": yc},
                           v.plates)
        arr = with_nan({y: m.parts["value"]})
        miss = np.isnan(arr)
        return self.record(m, [full], [latent], notes=[
            f"{int(miss.sum())} of {arr.size} coordinates of {y} are missing, in {int(miss.any(-1).sum())} vectors",
            f"the draws of {full} complete {y}: observed coordinates equal the data"])
