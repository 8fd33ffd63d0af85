"""EM for Gaussian mixtures: lvmdsl's derived, generated EM beside scikit-learn's GaussianMixture.

Same data, same initial values, same number of iterations, in one run; prints the time per
iteration and the peak memory (tracemalloc) of each, and their ratios (lvmdsl / scikit-learn);
then the whole public calls: ``lv.infer(model, method="em", ...)`` with its derivation, code
generation and compilation, beside ``GaussianMixture(...).fit(X)``.

    python benchmarks/em_vs_sklearn.py            # full covariance: N=100k D=10 K=10, N=1M D=2 K=5
    python benchmarks/em_vs_sklearn.py --quick    # smaller sizes
    python benchmarks/em_vs_sklearn.py --engine element   # per iteration: the element-level EM steps
    python benchmarks/em_vs_sklearn.py --defaults  # both public calls with their default arguments only
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import em_models as em  # noqa: E402
import lvmdsl as lv  # noqa: E402
from lvmdsl.runtime.em import EMProgram, run_em  # noqa: E402


def data(N, D, K, seed=0):
    X, _ = em.mixture_data(N, D, K, seed=seed)
    rng = np.random.default_rng(seed + 1)
    init = {"pi": np.full(K, 1.0 / K), "mu": X[rng.choice(N, K, replace=False)],
            "cov": np.broadcast_to(np.cov(X.T), (K, D, D)).copy()}
    return X, init


def time_lvmdsl(X, init, K, iters, chunk, engine=None):
    model = em.gmm_full(K, X.shape[1])
    program = EMProgram(lv.derive(model, engine=engine), {"x": X}, 1)   # compile once, outside the timing
    program.full                                                 # bind the data (features) once
    t0 = time.perf_counter()
    out = run_em(program, init, iters, 1e-300, 0, False, chunk=chunk)
    elapsed = time.perf_counter() - t0
    program = EMProgram(lv.derive(model, engine=engine), {"x": X}, 1)
    tracemalloc.start()                  # memory in a second run: tracing slows allocation down
    run_em(program, init, 2, 1e-300, 0, False, chunk=chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed / iters, peak, out["loglik"][0, -1]


def whole_lvmdsl(X, init, K, iters):
    """The public call a user makes, derivation and compilation included (tol=0: every iteration)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        lv.infer(em.gmm_full(K, X.shape[1]), data={"x": X}, method="em", init=init, max_iter=iters, tol=0,
                 progress=False)
        return time.perf_counter() - t0


def whole_sklearn(X, init, K, iters):
    from sklearn.mixture import GaussianMixture
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        GaussianMixture(K, covariance_type="full", reg_covar=0, tol=0, max_iter=iters, weights_init=init["pi"],
                        means_init=init["mu"], precisions_init=np.linalg.inv(init["cov"])).fit(X)
        return time.perf_counter() - t0


def time_sklearn(X, init, K, iters):
    from sklearn.mixture import GaussianMixture
    g = GaussianMixture(K, covariance_type="full", reg_covar=0, tol=0, max_iter=iters,
                        weights_init=init["pi"], means_init=init["mu"], precisions_init=np.linalg.inv(init["cov"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        g.fit(X)
        elapsed = time.perf_counter() - t0
        score = g.score(X) * len(X)
        g.set_params(max_iter=2)
        tracemalloc.start()
        g.fit(X)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return elapsed / iters, peak, score


def defaults_only(cases) -> None:
    """``lv.infer(m, data, method="em")`` and ``GaussianMixture(K, covariance_type="full").fit(X)`` as
    a user calls them: default starts, tolerances and iteration limits (they stop at different
    points: lvmdsl at a relative log-likelihood change of 1e-8, scikit-learn at a per-point change
    of 1e-3), with the iterations and final log-likelihood per point of each."""
    from sklearn.mixture import GaussianMixture
    print("default arguments (derivation, compilation and starts included)")
    for N, D, K in cases:
        X, _ = em.mixture_data(N, D, K, seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            fit = lv.infer(em.gmm_full(K, D), data={"x": X}, method="em", progress=False)
            t_l = time.perf_counter() - t0
            t0 = time.perf_counter()
            g = GaussianMixture(K, covariance_type="full").fit(X)
            t_s = time.perf_counter() - t0
        print(f"N={N} D={D} K={K}: lv.infer {t_l:.2f} s, {int(np.max(fit.n_iter))} iterations, log-lik/N "
              f"{fit.loglik[-1] / N:.4f}; GaussianMixture {t_s:.2f} s, {g.n_iter_} iterations, log-lik/N "
              f"{g.score(X):.4f}; time ratio {t_l / t_s:.2f}", flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--chunk", type=int, default=None, help="E-step chunk size (bounds lvmdsl's memory)")
    p.add_argument("--engine", choices=["index", "element"], default=None,
                   help="the derivation the per-iteration rows time (default: lv.derive's, array level)")
    p.add_argument("--defaults", action="store_true", help="only the public calls with default arguments")
    args = p.parse_args(argv)
    cases = [(10_000, 10, 10), (100_000, 2, 5)] if args.quick else [(100_000, 10, 10), (1_000_000, 2, 5)]
    if args.defaults:
        defaults_only(cases[:1] + [(20_000, 50, 5)])
        return
    print("command: python benchmarks/em_vs_sklearn.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    print(f"{'case':<22}{'lvmdsl s/iter':>14}{'sklearn s/iter':>16}{'time ratio':>12}"
          f"{'lvmdsl MB':>11}{'sklearn MB':>12}{'mem ratio':>11}{'|dLL|/N':>10}")
    for N, D, K in cases:
        X, init = data(N, D, K)
        t_l, m_l, ll_l = time_lvmdsl(X, init, K, args.iters, args.chunk, args.engine)
        t_s, m_s, ll_s = time_sklearn(X, init, K, args.iters)
        print(f"{f'N={N} D={D} K={K}':<22}{t_l:>14.4f}{t_s:>16.4f}{t_l / t_s:>12.2f}"
              f"{m_l / 2**20:>11.1f}{m_s / 2**20:>12.1f}{m_l / m_s:>11.2f}{abs(ll_l - ll_s) / N:>10.1e}")
    print(f"\nwhole calls, {args.iters} iterations (lvmdsl: lv.infer with derivation and compilation)")
    print(f"{'case':<22}{'lv.infer s':>14}{'sklearn fit s':>16}{'time ratio':>12}")
    for N, D, K in cases:
        X, init = data(N, D, K)
        w_l, w_s = whole_lvmdsl(X, init, K, args.iters), whole_sklearn(X, init, K, args.iters)
        print(f"{f'N={N} D={D} K={K}':<22}{w_l:>14.2f}{w_s:>16.2f}{w_l / w_s:>12.2f}")


if __name__ == "__main__":
    main()
