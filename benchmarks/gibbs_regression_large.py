"""Gibbs for Bayesian linear regression at D=500, N=20,000 beside a hand-written numpy sampler:
``python benchmarks/gibbs_regression_large.py [--D 500] [--N 20000] [--sweeps 200]``.

Both samplers alternate w | tau ~ N(P^-1 tau X'y, P^-1), P = 0.1 I + tau X'X (one D x D Cholesky per
sweep) and tau | w ~ Gamma(1 + N/2, 1 + |y - X w|^2 / 2), one chain, with X'X and X'y computed
once.  Three times are printed: the public call ``lv.infer`` with default arguments except the
draw counts (derivation, code generation and compilation included), lvmdsl's sweep alone, and
the hand-written sweep, timed in the same process.  The posterior mean of w is compared with the
closed form at the posterior mean of tau.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

import lvmdsl as lv
from sweep_timing import sweep_seconds  # noqa: E402
from models import linear_regression as model  # noqa: E402  (w ~ N(0, 10 I), tau ~ Gamma(1, 1))


def hand_written(X, y, sweeps, rng):
    """The sampler a person writes in numpy: precomputed X'X, X'y; one Cholesky per sweep."""
    N, D = X.shape
    XtX, Xty, yty = X.T @ X, X.T @ y, y @ y
    tau, out = 1.0, np.empty((sweeps, D))
    for s in range(sweeps):
        P = 0.1 * np.eye(D) + tau * XtX
        L = np.linalg.cholesky(P)
        mean = np.linalg.solve(P, tau * Xty)
        w = mean + np.linalg.solve(L.T, rng.standard_normal(D))
        rss = yty - 2 * w @ Xty + w @ XtX @ w
        tau = rng.gamma(1 + N / 2, 1 / (1 + rss / 2))
        out[s] = w
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--D", type=int, default=500)
    ap.add_argument("--N", type=int, default=20000)
    ap.add_argument("--sweeps", type=int, default=200)
    ap.add_argument("--defaults", action="store_true",
                    help="also time lv.infer with its default arguments (4 chains, 500 + 2000 sweeps)")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((a.N, a.D))
    y = X @ rng.standard_normal(a.D) + rng.standard_normal(a.N)
    data = {"X": X, "y": y}

    t0 = time.perf_counter()
    res = lv.infer(model(a.D), data=data, draws=a.sweeps, tune=0, chains=1, progress=False)
    public = time.perf_counter() - t0

    ours = sweep_seconds(lv.derive(model(a.D)), data, a.sweeps)

    t0 = time.perf_counter()
    hand_written(X, y, a.sweeps, np.random.default_rng(3))
    theirs = (time.perf_counter() - t0) / a.sweeps

    tau = res.draws["tau"].mean()
    P = 0.1 * np.eye(a.D) + tau * X.T @ X
    exact = np.linalg.solve(P, tau * X.T @ y)
    err = np.abs(res.draws["w"][0, a.sweeps // 2:].mean(0) - exact).max()
    print(f"D={a.D}, N={a.N}, {a.sweeps} sweeps, one chain")
    print(f"  lv.infer (derive + compile + run):   {public:.2f} s")
    print(f"  lvmdsl sweep:                          {ours * 1e3:.2f} ms")
    print(f"  hand-written numpy sweep:              {theirs * 1e3:.2f} ms")
    print(f"  ratio lvmdsl / hand-written:           {ours / theirs:.2f}")
    print(f"  max |posterior mean of w - closed form at E[tau]|: {err:.2e} (posterior sd ~ {1 / np.sqrt(P[0, 0]):.1e})")
    if a.defaults:
        t0 = time.perf_counter()
        lv.infer(model(a.D), data=data, progress=False)
        whole = time.perf_counter() - t0
        t0 = time.perf_counter()
        for chain in range(4):
            hand_written(X, y, 2500, np.random.default_rng(10 + chain))
        hand = time.perf_counter() - t0
        print(f"  lv.infer with default arguments (4 chains x 2,500 sweeps, all included): {whole:.1f} s")
        print(f"  hand-written numpy, 4 chains x 2,500 sweeps one after another:          {hand:.1f} s")


if __name__ == "__main__":
    main()
