"""Geweke's (2004) joint-distribution test of a Gibbs sampler derived by lvmdsl.

Two simulators of p(parameters, data) are compared through test functions g:
* marginal-conditional: independent ancestral draws, parameters from the prior, data given them;
* successive-conditional: a chain alternating a Gibbs sweep of the unknowns given the data with a
  fresh draw of the data given the unknowns.
If every update leaves its conditional invariant, both have the joint distribution as their
stationary law, so the means of each g agree.  The successive draws are autocorrelated: their
standard error uses ArviZ's effective sample size.  The default test functions cover each
unknown's mean and mean square over its elements, each observed variable's mean and mean square,
and products of an unknown's mean with a data mean (functions of the data, not only parameters).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from .simulate import BatchedSimulator


def default_test_functions(model, completed: dict | None = None) -> dict:
    """name -> g(state) returning one value per chain (state arrays have a leading chain axis).

    ``completed`` maps a variable with missing entries to the latent that completes it
    (``y -> y_complete``): its test functions read the completion."""
    completed = completed or {}

    def mean(name):
        name = completed.get(name, name)
        return lambda S: S[name].reshape(S[name].shape[0], -1).astype(float).mean(1)

    def square(name):
        name = completed.get(name, name)
        return lambda S: (S[name].reshape(S[name].shape[0], -1).astype(float) ** 2).mean(1)

    out = {}
    unknowns = [v.name for v in model.unknowns]
    observed = [v.name for v in model.observed]
    for n in unknowns + observed:
        out[f"mean({n})"] = mean(n)
        out[f"mean({n}^2)"] = square(n)
    for u in unknowns:
        for o in observed:
            out[f"mean({u})*mean({o})"] = (lambda a, b: lambda S: mean(a)(S) * mean(b)(S))(u, o)
    return out


@dataclass
class GewekeReport:
    """z-scores per test function, and the verdict at family-wise level ``alpha`` (Bonferroni)."""

    z: dict
    alpha: float
    ess: dict = field(default_factory=dict)

    @property
    def threshold(self) -> float:
        return float(stats.norm.ppf(1 - self.alpha / (2 * len(self.z))))

    @property
    def passed(self) -> bool:
        return all(abs(v) < self.threshold for v in self.z.values())

    @property
    def worst(self) -> tuple:
        k = max(self.z, key=lambda k: abs(self.z[k]))
        return k, self.z[k]

    def summary(self) -> str:
        k, v = self.worst
        verdict = "pass" if self.passed else "FAIL"
        return (f"Geweke test: {verdict} ({len(self.z)} test functions, |z| < {self.threshold:.2f} at family-wise "
                f"level {self.alpha}); largest |z| = {abs(v):.2f} for {k}")


def geweke_test(model, sizes: dict, consts: dict | None = None, n_marginal: int = 20000, n_iter: int = 2000,
                chains: int = 16, burn: int = 50, seed: int = 0, test_functions: dict | None = None,
                alpha: float = 0.01, hook=None, augment=True, data: dict | None = None) -> GewekeReport:
    """Run both simulators and compare the means of the test functions.

    ``sizes`` fixes the plate sizes (e.g. {"N": 5}); ``consts`` gives constants.  ``hook(name, fn)``
    may wrap a generated update (a planted bug shows the test can fail).  ``augment`` is passed to
    ``lv.derive``: the sweeps then include the augmentation latents, and the test functions read
    the variables as declared.  ``data`` with NaN entries makes those entries missing in every
    simulated data set (the rewrite pass sees it); test functions then read their completion.
    """
    rng = np.random.default_rng(seed)
    sim = BatchedSimulator(model, sizes, consts, hook, augment, data=data)
    g = test_functions or default_test_functions(model, {v.name: sim.completed(v.name) for v in model.observed})
    marginal = sim.draw_prior(rng, n_marginal)
    mc = {k: f(marginal) for k, f in g.items()}
    S = sim.draw_prior(rng, chains)
    for _ in range(burn):
        sim.sweep(S, rng)
        S = sim.draw_data(rng, S)
    sc = {k: np.empty((chains, n_iter)) for k in g}
    for t in range(n_iter):
        sim.sweep(S, rng)
        S = sim.draw_data(rng, S)
        for k, f in g.items():
            sc[k][:, t] = f(S)
    import arviz as az
    z, ess = {}, {}
    for k in g:
        e = float(az.ess(sc[k]))
        ess[k] = e
        se = np.sqrt(mc[k].var() / len(mc[k]) + sc[k].var() / max(e, 1.0))
        se = max(se, 1e-9 * max(1.0, abs(mc[k].mean())))      # a constant function (a simplex's mean)
        z[k] = float((mc[k].mean() - sc[k].mean()) / se)
    return GewekeReport(z, alpha, ess)
