"""PartlyObservedMVN(mean, precision, observed): a Gaussian vector some of whose coordinates are data.

``observed`` is the data vector with NaN where a coordinate is missing.  As a factor of the model it is
the joint density of the complete vector x and the observed coordinates, N(x | mean, P^-1) with the
observed coordinates of x fixed at their values (a point mass there): its value at the completion is
the Gaussian density, so a mean or precision above it keeps its conjugate update.  Its complete
conditional is the Gaussian of the missing coordinates m given the observed ones o,
    x_m | x_o ~ N(mean_m - P_mm^-1 P_mo (x_o - mean_o), P_mm^-1),
computed for every vector at once by one solve with P' = P on the missing block and the identity on
the observed one (the blocks decouple, so P'^-1 has P_mm^-1 on the missing block).  The statistics
are the MultivariateNormal's; ``observed`` is a fixed parameter (``fixed={"observed": ...}``).
"""

from __future__ import annotations

import numpy as np

from .base import FamilyError, as_float
from .multivariate_normal import MultivariateNormal


def _conditional(p):
    """(mean, cov, missing) of the missing coordinates given the observed ones, observed entries exact."""
    m, P = np.asarray(p["mean"], float), np.asarray(p["precision"], float)
    obs = np.asarray(p["observed"], float)
    D = P.shape[-1]
    shape = np.broadcast_shapes(m.shape[:-1], P.shape[:-2], obs.shape[:-1])
    m, obs = np.broadcast_to(m, shape + (D,)), np.broadcast_to(obs, shape + (D,))
    P = np.broadcast_to(P, shape + (D, D))
    miss = np.isnan(obs)
    xo = np.where(miss, 0.0, obs)
    block = miss[..., :, None] & miss[..., None, :]
    Pp = np.where(block, P, np.eye(D))
    h = np.einsum("...de,...e->...d", P, m - xo)                      # rows of the missing coordinates
    rhs = np.where(miss, h, 0.0)
    mean = np.where(miss, np.linalg.solve(Pp, rhs[..., None])[..., 0], obs)     # m_m + P_mm^-1 P_mo (m_o - x_o)
    cov = np.where(block, np.linalg.inv(Pp), 0.0)
    return mean, cov, miss


class PartlyObservedMVN(MultivariateNormal):
    name = "PartlyObservedMVN"
    params = ("mean", "precision", "observed")
    alternatives = {"mean": ("mean",), "precision": ("precision", "cov"), "observed": ("observed",)}
    param_event_ndim = {"mean": 1, "precision": 2, "observed": 1}
    fixed_params = ("observed",)
    posterior_family = "PartlyObservedMVNConditional"

    def event_shape(self, param_shapes):
        return super().event_shape({"mean": param_shapes["mean"], "precision": param_shapes["precision"]})

    def param_problems(self, p):
        return super().param_problems({"mean": p["mean"], "precision": p["precision"]})

    def in_support(self, x, p):
        obs = np.asarray(as_float(p)["observed"], float)
        x = np.asarray(x, float)
        return np.all(np.isfinite(x) & (np.isnan(obs) | (x == obs)), axis=-1)

    def log_density(self, x, p):
        return super().log_density(x, {"mean": p["mean"], "precision": p["precision"]})

    def natural_params(self, p):
        return super().natural_params({"mean": p["mean"], "precision": p["precision"]})

    def from_natural(self, eta, fixed=None):
        out = super().from_natural(eta)
        if fixed is None or "observed" not in fixed:
            raise FamilyError("PartlyObservedMVN needs its observed coordinates: fixed={'observed': ...}")
        return {**out, "observed": np.asarray(fixed["observed"], float)}

    def index_from_natural(self, eta, fixed=None):
        """Natural parameters with their event axes (h[..., a], J[..., a, b]), as the
        MultivariateNormal lays them out, and the observed coordinates."""
        if fixed is None or "observed" not in fixed:
            raise FamilyError("PartlyObservedMVN needs its observed coordinates: fixed={'observed': ...}")
        out = MultivariateNormal.index_from_natural(self, eta)
        return {**out, "observed": np.asarray(fixed["observed"], float)}

    def index_sample_natural(self, rng, eta, fixed=None):
        return self.sample(rng, self.index_from_natural(eta, fixed))

    def logpdf(self, x, p):
        """The joint factor: the Gaussian density of the completion (-inf if it changes an observed value)."""
        base = super().logpdf(np.asarray(x, float), {"mean": p["mean"], "precision": p["precision"]})
        return np.where(self.in_support(x, p), base, -np.inf)

    def sample(self, rng, p, size=()):
        mean, cov, miss = _conditional(as_float(p))
        shape = np.broadcast_shapes(mean.shape[:-1], tuple(size))
        mean, cov, miss = (np.broadcast_to(a, shape + a.shape[len(a.shape) - k:]) for a, k in
                           ((mean, 1), (cov, 2), (miss, 1)))
        D = mean.shape[-1]
        L = np.linalg.cholesky(np.where(miss[..., :, None] & miss[..., None, :], cov, np.eye(D)))
        draw = mean + np.einsum("...de,...e->...d", L, rng.standard_normal(shape + (D,)))
        return np.where(miss, draw, mean)

    def sample_natural(self, rng, eta, fixed=None):
        return self.sample(rng, self.from_natural(eta, fixed=fixed))

    def expected_stats(self, p):
        mean, cov, _ = _conditional(as_float(p))
        D = mean.shape[-1]
        second = mean[..., :, None] * mean[..., None, :] + cov
        return [mean[..., d] for d in range(D)] + [second[..., d, e] for d in range(D) for e in range(d, D)]

    def mean(self, p):
        return _conditional(as_float(p))[0]

    def cov(self, p):
        return _conditional(as_float(p))[1]

    def var(self, p):
        return np.diagonal(self.cov(p), axis1=-2, axis2=-1).copy()

    def mode(self, p):
        return self.mean(p)


class PartlyObservedMVNConditional(PartlyObservedMVN):
    """The complete conditional itself: its density is the Gaussian of the missing coordinates."""

    name = "PartlyObservedMVNConditional"
    posterior_family = None

    def logpdf(self, x, p):
        mean, cov, miss = _conditional(as_float(p))
        x = np.asarray(x, float)
        D = mean.shape[-1]
        S = np.where(miss[..., :, None] & miss[..., None, :], cov, np.eye(D))
        r = np.where(miss, x - mean, 0.0)
        k = miss.sum(-1)
        quad = np.einsum("...d,...d->...", r, np.linalg.solve(S, r[..., None])[..., 0])
        out = -0.5 * (quad + np.linalg.slogdet(S)[1] + k * np.log(2 * np.pi))
        return np.where(self.in_support(x, p), out, -np.inf)
