"""Online EM on a Gaussian mixture with 10^6 points, in minibatches, beside batch EM.

Each step draws a minibatch, computes its expected statistics (scaled to the whole data) and
moves their running average by (1 + t)^-kappa; the parameters are the M-step of the average.
"""

from __future__ import annotations

import time

import numpy as np

import common  # noqa: F401
import em_models as em
import lvmdsl as lv


def main(argv=None):
    p = common.parser(__doc__)
    p.add_argument("--batch-size", type=int, default=2000)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--kappa", type=float, default=0.6)
    args = p.parse_args(argv)
    N = 100_000 if args.quick else 1_000_000
    rng = np.random.default_rng(args.seed)
    z = rng.choice(3, N, p=[0.3, 0.5, 0.2])
    x = np.array([-4.0, 0.0, 4.0])[z] + rng.standard_normal(N) * np.array([1.0, 0.5, 1.5])[z]
    m = em.gmm_1d(3)
    t0 = time.perf_counter()
    online = lv.infer(m, data={"x": x}, method="online_em", max_iter=args.steps, batch_size=args.batch_size,
                      kappa=args.kappa, seed=args.seed, progress=not args.no_progress)
    t1 = time.perf_counter()
    batch = lv.infer(m, data={"x": x}, method="em", tol=1e-10, seed=args.seed, progress=not args.no_progress)
    t2 = time.perf_counter()
    print(f"online EM: {args.steps} minibatches of {args.batch_size} in {t1 - t0:.2f} s; "
          f"log-likelihood {online.loglik[-1]:.1f}")
    print(f"batch EM:  {batch.n_iter} iterations over {N} points in {t2 - t1:.2f} s; "
          f"log-likelihood {batch.loglik[-1]:.1f}")
    gap = abs(online.loglik[-1] - batch.loglik[-1]) / abs(batch.loglik[-1])
    print(f"relative gap {gap:.2e}")
    for k in online.params:
        print(f"  {k}: online {np.round(online.params[k], 4)}  batch {np.round(batch.params[k], 4)}")
    return online, batch, gap


if __name__ == "__main__":
    main()
