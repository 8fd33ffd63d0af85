"""Online EM on a lazily built 10^7 x 10 Dask array: peak memory against the array's size.

The array (800 MB of float64 if it were built) is a Gaussian mixture generated block by block
by ``dask.array.map_blocks`` from a seed per block, so it never exists whole anywhere.  Online
EM fits a diagonal Gaussian mixture to it (minibatches read from one chunk each, then one
chunked pass for the log-likelihood).  Peak memory is measured by ``tracemalloc`` (numpy
reports its buffers to it) over the fit alone, and the process's peak RSS is printed as well
(it includes the interpreter and the imported libraries).

    python benchmarks/dask_online_em.py [--rows 10000000] [--chunk 25000] [--steps 200]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np


def lazy_mixture(rows: int, cols: int, chunk: int, K: int = 5, seed: int = 0):
    import dask.array as da

    centres = np.random.default_rng(seed).normal(scale=4.0, size=(K, cols))
    blocks = [chunk] * (rows // chunk) + ([rows % chunk] if rows % chunk else [])

    def make(block_info=None):
        loc = block_info[None]["chunk-location"][0]
        n = block_info[None]["chunk-shape"][0]
        rng = np.random.default_rng([seed, loc])
        return centres[rng.integers(K, size=n)] + rng.normal(size=(n, cols))

    return da.map_blocks(make, chunks=(tuple(blocks), (cols,)), dtype=float), centres


def main():
    import lvmdsl as lv
    from lvmdsl.sklearn import diagonal_gaussian_mixture

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--cols", type=int, default=10)
    ap.add_argument("--chunk", type=int, default=25_000)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=2_000)
    args = ap.parse_args()

    X, centres = lazy_mixture(args.rows, args.cols, args.chunk)
    size = args.rows * args.cols * 8
    model = diagonal_gaussian_mixture(5)
    lv.derive(model)                                    # the symbolic work is not data memory
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    tracemalloc.start()
    t = time.perf_counter()
    fit = lv.infer(model, data={"x": X}, method="online_em", batch_size=args.batch, max_iter=args.steps,
                   seed=0, progress=False)
    elapsed = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mu = fit.params["mu"]
    err = max(np.min(np.abs(mu - c).max(1)) for c in centres)
    print(f"array {args.rows:,} x {args.cols} (chunks of {args.chunk:,} rows): {size / 2**20:,.0f} MiB if built")
    print(f"online EM, {args.steps} minibatches of {args.batch:,} + one chunked pass: {elapsed:.1f} s")
    print(f"peak traced memory during the fit: {peak / 2**20:.1f} MiB = {100 * peak / size:.2f}% of the array")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"peak RSS of the process: {rss:.0f} MiB ({rss_before:.0f} MiB before the fit: interpreter and libraries)")
    print(f"log-likelihood {fit.loglik[-1]:.6g}; largest distance of a true centre to its nearest estimate {err:.3f}")


if __name__ == "__main__":
    main()
