"""Exact EM for a mixture whose vector observations miss coordinates.

After the ``interval_data`` rewrite, ``x[n] ~ MultivariateNormal(mean(z[n]), precision(z[n]))``
with NaN coordinates becomes a latent completion ``x_complete[n]`` under the latent allocation
``z[n]``: two latents, one below the other, whose joint posterior the generic E-step does not
derive.  It is exact in closed form all the same.  With o the observed and m the missing
coordinates of x_n, and (mu_k, S_k) the mean and covariance of x_n given z_n = k,

    p(z_n = k | x_o) = r_nk ∝ p(z_n = k) N(x_o | mu_k,o, S_k,oo)          (the observed-coordinate marginal),
    x_m | z_n = k, x_o ~ N(m_nk, C_nk),  m_nk = mu_k,m + S_k,mo S_k,oo^-1 (x_o - mu_k,o),
                                          C_nk = S_k,mm - S_k,mo S_k,oo^-1 S_k,om
(computed in precision form by ``families.partly_observed_mvn``), and the observed-data
log-likelihood is sum_n log sum_k p(z_n = k) N(x_o | mu_k,o, S_k,oo), exactly.

The M-step needs, per component, sum_n r_nk E[x_n | k] and sum_n r_nk E[x_n x_n' | k]
(E[x x' | k] = m m' + C).  These are delivered to the M-steps lvmdsl derives for the *complete*
model (the declared mixture without the rewrite; its M-steps read the data only through sums of
E[z_nk] times functions of x_n of degree at most two) as weighted points: for each (n, k) the 2D
points m_nk ± sqrt(D) l_j (l_j the columns of a factor L L' = C_nk) with weight r_nk / (2D) on
component k have exactly the first moment m_nk and second moment m_nk m_nk' + C_nk.  So the derived
M-steps run unchanged (covariance or precision, shared or per component, MAP priors) on statistics
that are the exact expectations.  Restarts are stacked along the points (each restart's points
carry weight only in its own row of the responsibilities).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..frontend.expr import ModelError
from .batched import batched_params
from .em import EMProgram


def missing_mixture_pattern(derivation):
    """(allocation name, completion name, record) when ``derivation`` is a mixture whose vector
    observations miss coordinates (the pattern this module handles), else None."""
    records = [r for r in getattr(derivation, "rewrites", []) if r.rule == "interval_data"]
    model = derivation.model
    for r in records:
        full = r.new[0]
        v = model.variables.get(full)
        if v is None or v.family.name != "PartlyObservedMVN" or derivation.graph.children(full):
            continue
        parents = [p for p in derivation.graph.parents(full) if p in model.variables and not model.variables[p].observed]
        discrete = [p for p in parents if model.variables[p].is_discrete]
        if len(discrete) != 1:
            continue
        z = discrete[0]
        if derivation.graph.children(z) != [full] or model.variables[z].plates != v.plates:
            continue
        return z, full, r
    return None


def pattern_note(derivation) -> str:
    """For a printed EM derivation: how EM runs when the pattern applies (else "")."""
    found = missing_mixture_pattern(derivation)
    if found is None:
        return ""
    z, full, r = found
    x = r.variable
    return (f"EM runs the joint E-step of ({z}, {full}) exactly (lvmdsl/runtime/em_missing.py), not the factorised one below:\n"
            f"  p({z}[n] = k | data) ∝ p({z}[n] = k) N({x}[n]_obs | mean_k,obs, cov_k,obs,obs)   (the observed coordinates' marginal)\n"
            f"  {full}[n]_mis | {z}[n] = k, data ~ N(mean_k,mis + cov_k,mis,obs cov_k,obs,obs^-1 ({x}[n]_obs - mean_k,obs),\n"
            f"                                     cov_k,mis,mis - cov_k,mis,obs cov_k,obs,obs^-1 cov_k,obs,mis)\n"
            f"  and the M-steps (those of the mixture without missing data) read sum_n r_nk E[{x}[n] | k] and sum_n r_nk E[{x}[n] {x}[n]' | k]\n\n")


def program_class(derivation):
    """The EM program class for ``derivation``: ``MissingMixtureEM`` for the pattern, else None."""
    if missing_mixture_pattern(derivation) is None:
        return None
    return MissingMixtureEM


def _complete_derivation(derivation, record):
    """The declared model derived without the missing-data rewrite (its other rewrites kept)."""
    from ..derive.derivation import derive
    others = [r.rule for r in derivation.rewrites if r is not record and r.rule != "interval_data"]
    return derive(derivation.original, augment=others or False, engine="element")


def _observed_marginal(xo, miss, mean, cov):
    """log N(x_o | mean_o, cov_oo) per row (missing coordinates dropped), batched."""
    D = mean.shape[-1]
    obs = ~miss
    block = obs[..., :, None] & obs[..., None, :]
    S = np.where(block, cov, np.eye(D))
    r = np.where(obs, xo - mean, 0.0)
    L = np.linalg.cholesky(S)
    sol = np.linalg.solve(L, r[..., None])[..., 0]
    logdet = 2 * np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(-1)
    return -0.5 * ((sol**2).sum(-1) + logdet + obs.sum(-1) * np.log(2 * np.pi))


class MissingMixtureEM(EMProgram):
    """EM for the pattern in the module docstring: the exact E-step here, the derived M-steps of
    the complete model on the weighted points of the conditional moments."""

    def __init__(self, derivation, data, restarts, latent=None, params=None):
        z, full, record = missing_mixture_pattern(derivation)
        self.allocation, self.completion, self.record = z, full, record
        self.observed_name = record.variable
        self.augmented = derivation
        inner = _complete_derivation(derivation, record)
        plate = inner.model.variables[self.observed_name].plates
        others = [n for n, v in {**inner.model.variables, **inner.model.consts}.items()
                  if getattr(v, "plates", ())[:1] == plate[:1] and n not in (z, self.observed_name)]
        if others:
            raise ModelError(f"exact EM with missing coordinates of {self.observed_name!r} handles a mixture whose "
                             f"data plate holds only {z!r} and {self.observed_name!r}; it also holds "
                             f"{', '.join(others)} (use method='mcem')")
        if latent is not None and set(latent) - {z, full}:
            raise ModelError(f"with missing coordinates, the latents are {z!r} and {full!r}")
        lat = [z] if latent is None else [n for n in latent if n != full]
        super().__init__(inner, data, restarts, latent=lat, params=params)
        if self.latent != [z]:
            raise ModelError(f"exact EM with missing coordinates needs {z!r} as the only latent of the complete "
                             f"model; it has {', '.join(self.latent)}")

    # ---------------------------------------------------------------- data
    def set_data(self, data):
        data = dict(data or {})
        value = data.get(self.observed_name)
        if value is None:
            raise ModelError(f"{self.observed_name!r} is observed but no data was given")
        arr = np.asarray(value.filled(np.nan) if isinstance(value, np.ma.MaskedArray) else value, float)
        miss = np.isnan(arr)
        self.x_nan, self.miss = arr, miss
        filled = np.where(miss, np.nanmean(np.where(miss, np.nan, arr), axis=0), arr)   # for starts only
        filled = np.where(np.isnan(filled), 0.0, filled)
        super().set_data({**data, self.observed_name: filled})
        self._pseudo = None

    def auto_chunk(self, budget: int = 6 * 2**20):
        return None

    @property
    def can_split(self) -> bool:
        return False

    # ---------------------------------------------------------------- E-step
    def _component_terms(self, S):
        """Per component k: log p(z = k), the observed-coordinate log-marginals, the conditional
        mean and covariance of the completion; arrays (R, N, K[, D[, D]])."""
        from ..families.partly_observed_mvn import _conditional
        zv = self.model.variables[self.allocation]
        xv = self.model.variables[self.observed_name]
        N = self.x_nan.shape[0]
        K = self.d[self.allocation].n_states
        env = {**self.env, **S}
        logp = np.log(np.broadcast_to(np.asarray(batched_params(zv, env, self.sizes, set(S), self.R)["p"], float),
                                      (self.R, N, K)))
        marg, means, covs = [], [], []
        for k in range(K):
            at = {**env, self.allocation: np.full((self.R, N), k, dtype=np.intp)}
            p = batched_params(xv, at, self.sizes, set(S) | {self.allocation}, self.R)
            D = self.x_nan.shape[-1]
            mean = np.broadcast_to(np.asarray(p["mean"], float), (self.R, N, D))
            prec = np.broadcast_to(np.asarray(p["precision"], float), (self.R, N, D, D))
            cov = np.linalg.inv(prec)
            marg.append(_observed_marginal(np.where(self.miss, 0.0, self.x_nan), self.miss, mean, cov))
            m, c, _ = _conditional({"mean": mean, "precision": prec, "observed": self.x_nan})
            means.append(m)
            covs.append(c)
        return logp, np.stack(marg, -1), np.stack(means, 2), np.stack(covs, 2)

    def estep(self, S, beta=1.0, batch=None, others=True, weights=None):
        logp, marg, _, _ = self._component_terms(S)
        logits = logp + marg
        lse = special.logsumexp(logits, axis=-1)
        ll = lse.sum(-1) + (self._other_terms(S) if others else 0.0)
        resp = np.exp(beta * logits - special.logsumexp(beta * logits, axis=-1, keepdims=True))
        return {self.allocation: resp}, {self.allocation: {"p": resp}}, ll

    def estep_stats(self, S, beta=1.0, chunk=None):
        """The exact E-step, and the M-step statistics from the weighted points of its moments."""
        logp, marg, means, covs = self._component_terms(S)
        logits = logp + marg
        ll = special.logsumexp(logits, axis=-1).sum(-1) + self._other_terms(S)
        resp = np.exp(beta * logits - special.logsumexp(beta * logits, axis=-1, keepdims=True))
        batch, E = self._weighted_points(resp, means, covs)
        T = self.stats(S, E, batch)
        self._pseudo = (batch, E)
        return T, ll, {self.allocation: resp}, {self.allocation: {"p": resp}}

    def _weighted_points(self, resp, means, covs):
        """2D points per (restart, n, k) with the conditional moments, their responsibilities, bound
        as the complete model's data (restarts stacked along the points)."""
        R, N, K, D = means.shape
        miss = np.broadcast_to(self.miss[None, :, None, :], means.shape)
        block = miss[..., :, None] & miss[..., None, :]
        L = np.linalg.cholesky(np.where(block, covs, np.eye(D))) * miss[..., None, :]   # L L' = C (missing block)
        cols = np.sqrt(D) * np.swapaxes(L, -1, -2)                                     # (R, N, K, D columns, D)
        points = np.concatenate([means[..., None, :] + cols, means[..., None, :] - cols], axis=-2)   # (R, N, K, 2D, D)
        w = np.broadcast_to((resp / (2 * D))[..., None], (R, N, K, 2 * D))
        E = np.einsum("rs,rnkj,kl->rsnkjl", np.eye(R), w, np.eye(K)).reshape(R, R * N * K * 2 * D, K)
        plate = self.model.variables[self.observed_name].plates[0]
        M = R * N * K * 2 * D
        sizes = dict(self.sizes)
        sizes[plate.name] = M
        if isinstance(plate.size, str):
            sizes[plate.size] = M
        env = {**self.env, self.observed_name: points.reshape(M, D)}
        return self.bind(env, sizes), {self.allocation: E}

    # ---------------------------------------------------------------- M-step
    def mstep(self, S, E, T=None, exact=True, iteration=0, batch=None):
        if T is None or self._pseudo is None:            # the start: k-means++ responsibilities on filled data
            return super().mstep(S, E, T, exact, iteration, batch)
        pseudo, E_points = self._pseudo
        light = self.light
        self.light = pseudo                               # the M-steps read the points' sums
        try:
            return super().mstep(S, E_points, T, exact, iteration, pseudo)
        finally:
            self.light = light
