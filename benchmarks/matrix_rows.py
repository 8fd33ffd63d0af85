"""The update of a matrix unknown W in lv.dot(W, z): row blocks against one block of all entries.

Factor analysis x[n] ~ MVN(W z[n] + mu, diag(psi)) with W a (D, M) lv.Param: the generated Gibbs
update of W (D blocks of size M, one batched Cholesky) beside a hand-written numpy update of the
same rows, and beside the same model with a full noise precision (one block of D M entries).
Also the derivation time at D = 10 and 1000.  Run: ``OPENBLAS_NUM_THREADS=1 python
benchmarks/matrix_rows.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import lvmdsl as lv
from lvmdsl.codegen.index_gibbs import IndexGibbsCodegen


def model(D, M, noise):
    with lv.Model(f"fa_{noise}") as m:
        W = lv.Param("W", shape=(D, M))
        mu = lv.Param("mu", shape=(D,))
        if noise == "diag":
            cov = {"cov": lv.diag(lv.Param("psi", shape=(D,), constraint="positive"))}
        else:
            A = np.random.default_rng(D).normal(size=(D, D))
            cov = {"precision": A @ A.T + D * np.eye(D)}
        with lv.plate("n", "N"):
            z = lv.MultivariateNormal("z", mean=np.zeros(M), cov=np.eye(M))
            lv.MultivariateNormal("x", mean=lv.dot(W, z) + mu, observed=True, **cov)
    return m


def per_call(f, seconds=2.0, at_most=200):
    f()
    t, k = time.perf_counter(), 0
    while time.perf_counter() - t < seconds and k < at_most:
        f()
        k += 1
    return (time.perf_counter() - t) / k


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--D", type=int, default=200)
    ap.add_argument("--M", type=int, default=5)
    ap.add_argument("--N", type=int, default=2000)
    args = ap.parse_args(argv)
    D, M, N = args.D, args.M, args.N
    rng = np.random.default_rng(0)
    x, z, mu, psi = rng.normal(size=(N, D)), rng.normal(size=(N, M)), rng.normal(size=D), rng.uniform(0.5, 2, D)
    for d_size in (10, 1000):
        m = model(d_size, M, "diag")
        t = time.perf_counter()
        lv.derive(m)
        print(f"derive, factor analysis at D={d_size}, M={M}: {time.perf_counter() - t:.3f} s")
    for noise in ("diag", "full"):
        d = lv.derive(model(D, M, noise))
        ns = IndexGibbsCodegen(d).compile()
        data = {"x": x, "N": N, **d["W"].literals.arrays}
        Z = {"_chains": 1, "N": N, "n": N}
        P = ns["precompute"](data, {}, Z)
        S = {"z": z[None], "mu": mu[None], "psi": psi[None]}
        ms = 1e3 * per_call(lambda: ns["update_W"](S, data, {}, Z, P, rng))
        what = f"{D} blocks of {M}" if noise == "diag" else f"one block of {D * M}"
        print(f"generated update of W, {noise} noise ({what}): {ms:.2f} ms")

    def hand():
        P = (z.T @ z)[None] / psi[:, None, None]
        h = ((x - mu).T @ z) / psi[:, None]
        L = np.linalg.cholesky(P)
        return np.linalg.solve(P, h[..., None] + L @ rng.standard_normal((D, M, 1)))[..., 0]
    print(f"hand-written numpy update of the rows: {1e3 * per_call(hand):.2f} ms")


if __name__ == "__main__":
    main()
