"""Automatic relevance determination with the weights declared in a plate, beside a hand-written
numpy sampler: ``python benchmarks/ard_block.py [--D 300] [--N 5000] [--sweeps 200]``.

The model declares w[d] ~ Normal(0, 1/alpha[d]) in plate d and y[n] ~ Normal(dot(X[n], w), 1/tau);
the engine reads plate d as an axis of one vector and updates w as one multivariate normal block
(precision diag(alpha) + tau X'X).  Both samplers alternate alpha[d] ~ Gamma(3/2, 1 + w[d]^2/2),
tau ~ Gamma(1 + N/2, 1 + |y - X w|^2/2) and the w block (one D x D Cholesky per sweep), one chain,
X'X and X'y computed once.  Printed: the derivation time, the public ``lv.infer`` call (derivation,
code generation and compilation included), lvmdsl's sweep alone and the hand-written sweep.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import lvmdsl as lv
from sweep_timing import sweep_seconds


def model():
    with lv.Model("ard") as m:
        with lv.plate("d", "D"):
            alpha = lv.Gamma("alpha", shape=1.0, rate=1.0)
            w = lv.Normal("w", mean=0.0, precision=alpha)
        tau = lv.Gamma("tau", shape=1.0, rate=1.0)
        with lv.plate("n", "N"):
            X = lv.Const("X", shape=("D",))
            lv.Normal("y", mean=lv.dot(X, w), precision=tau, observed=True)
    return m


def hand_written(X, y, sweeps, rng):
    N, D = X.shape
    XtX, Xty, yty = X.T @ X, X.T @ y, y @ y
    w, out = np.zeros(D), np.empty((sweeps, D))
    for s in range(sweeps):
        alpha = rng.gamma(1.5, 1 / (1 + w**2 / 2))
        rss = yty - 2 * w @ Xty + w @ XtX @ w
        tau = rng.gamma(1 + N / 2, 1 / (1 + rss / 2))
        P = np.diag(alpha) + tau * XtX
        L = np.linalg.cholesky(P)
        w = np.linalg.solve(P, tau * Xty) + np.linalg.solve(L.T, rng.standard_normal(D))
        out[s] = w
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--D", type=int, default=300)
    ap.add_argument("--N", type=int, default=5000)
    ap.add_argument("--sweeps", type=int, default=200)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((a.N, a.D))
    y = X @ (rng.standard_normal(a.D) * (rng.random(a.D) < 0.2)) + rng.standard_normal(a.N)
    data = {"X": X, "y": y}

    t0 = time.perf_counter()
    d = lv.derive(model())
    derive_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = lv.infer(model(), data=data, draws=a.sweeps, tune=0, chains=1, progress=False)
    public = time.perf_counter() - t0

    ours = sweep_seconds(d, data, a.sweeps)

    t0 = time.perf_counter()
    hand_written(X, y, a.sweeps, np.random.default_rng(3))
    theirs = (time.perf_counter() - t0) / a.sweeps
    print(f"D={a.D}, N={a.N}, {a.sweeps} sweeps, one chain; schedule:")
    print(res.schedule)
    print(f"  lv.derive:                             {derive_s:.3f} s")
    print(f"  lv.infer (derive + compile + run):     {public:.2f} s")
    print(f"  lvmdsl sweep:                          {ours * 1e3:.2f} ms")
    print(f"  hand-written numpy sweep:              {theirs * 1e3:.2f} ms")
    print(f"  ratio lvmdsl / hand-written:           {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
