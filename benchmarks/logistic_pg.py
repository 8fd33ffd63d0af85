"""Polya-gamma Gibbs against the slice-sampler fallback on Bayesian logistic regression.

``OPENBLAS_NUM_THREADS=1 python benchmarks/logistic_pg.py [--N 5000] [--D 10] [--draws 1000] [--slice-draws 300] [--chains 4]``

The same model and data: ``lv.infer(augment=True)`` (Polya-gamma latents, a Gaussian block update of
w, derived at array level: the precision's sum of omega_n x_n x_n' is one batched matrix product
per sweep) and ``lv.infer(augment=False)`` (w updated coordinate by coordinate by the slice
sampler).  Reports the sampling time (a full run minus a run with the same warm-up and one draw),
the minimum bulk ESS over the D weights (ArviZ) and min-ESS per second, the ratio, and where a
Polya-gamma sweep spends its time (each update of the schedule timed over 200 sweeps).
"""

from __future__ import annotations

import argparse
import time
import warnings

import arviz as az
import numpy as np
from scipy import special

import lvmdsl as lv


def model(D):
    with lv.Model("logistic") as m:
        w = lv.MultivariateNormal("w", mean=np.zeros(D), cov=4.0 * np.eye(D))
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=(D,))
            lv.Bernoulli("y", p=lv.sigmoid(lv.dot(X, w)), observed=True)
    return m


def timed(m, data, draws, tune, chains, augment):
    def go(n):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = time.perf_counter()
            res = lv.infer(m, data=data, draws=n, tune=tune, chains=chains, seed=1, progress=False, keep=["w"],
                           lp=False, augment=augment)
            return res, time.perf_counter() - t
    res, full = go(draws)
    _, fixed = go(1)
    seconds = max(full - fixed, 1e-9)
    ess = float(np.min(az.ess(az.convert_to_dataset({"w": res.draws["w"]}), method="bulk")["w"].values))
    return {"seconds": seconds, "min_ess": ess, "min_ess_per_s": ess / seconds}


def sweep_profile(m, data, chains, sweeps=200):
    """Seconds per sweep spent in each update of the Polya-gamma sampler's schedule."""
    from lvmdsl.runtime.gibbs import GibbsProgram
    from lvmdsl.runtime.initial import initial_state
    prog = GibbsProgram(lv.derive(m, data=data), data, chains)
    rng = np.random.default_rng(2)
    S = initial_state(prog.model, prog.env, prog.sizes, chains, rng, None)
    spent = {step.name: 0.0 for step in prog.schedule}
    for _ in range(sweeps):
        for step in prog.schedule:
            t = time.perf_counter()
            step.run(S, rng)
            spent[step.name] += time.perf_counter() - t
    return {k: v / sweeps for k, v in spent.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--N", type=int, default=5000)
    p.add_argument("--D", type=int, default=10)
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--slice-draws", type=int, default=300)
    p.add_argument("--tune", type=int, default=100)
    p.add_argument("--chains", type=int, default=4)
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.N, args.D)) / np.sqrt(args.D)
    w = rng.normal(size=args.D)
    data = {"X": X, "y": (rng.random(args.N) < special.expit(X @ w)).astype(int)}
    m = model(args.D)
    pg = timed(m, data, args.draws, args.tune, args.chains, True)
    sl = timed(m, data, args.slice_draws, args.tune, args.chains, False)
    print(f"N={args.N} D={args.D} chains={args.chains}")
    for name, r, n in (("polya-gamma", pg, args.draws), ("slice fallback", sl, args.slice_draws)):
        print(f"{name:<15} {n:>5} draws  {r['seconds']:8.2f} s  min ESS {r['min_ess']:8.1f}  "
              f"min-ESS/s {r['min_ess_per_s']:8.2f}")
    print(f"ratio (polya-gamma / slice) of min-ESS/s: {pg['min_ess_per_s'] / sl['min_ess_per_s']:.1f}x")
    prof = sweep_profile(m, data, args.chains)
    total = sum(prof.values())
    print(f"polya-gamma sweep {1e3 * total:.2f} ms: " + ", ".join(
        f"{k} {1e3 * v:.2f} ms ({100 * v / total:.0f}%)" for k, v in prof.items()))
    return pg, sl


if __name__ == "__main__":
    main()
