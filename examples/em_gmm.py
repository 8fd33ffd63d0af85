"""Gaussian mixtures by EM: 1-D, and full covariance in D dimensions.

Prints the derived Q, E-step and M-steps, then the estimates, the log-likelihood path and how
many iterations it took, beside scikit-learn's GaussianMixture started from the same values.
"""

from __future__ import annotations

import numpy as np

import common  # noqa: F401  (puts this folder on the path)
import em_models as em
import lvmdsl as lv


def main(argv=None):
    p = common.parser(__doc__)
    p.add_argument("--dims", type=int, default=3)
    args = p.parse_args(argv)
    N = 500 if args.quick else 5000
    from lvmdsl.demo import synthetic_gmm
    x1, _ = synthetic_gmm(N, args.seed)             # components at -5, 0 and 5
    m1 = em.gmm_1d(3)
    print(lv.derive(m1, method="em"), end="\n\n")
    r1 = lv.infer(m1, data={"x": x1}, method="em", restarts=3, seed=args.seed, progress=not args.no_progress)
    print(r1)
    for k, v in r1.params.items():
        print(f"  {k} = {np.round(v, 4)}")
    D = args.dims
    X, _ = em.mixture_data(N, D, 3, seed=args.seed)
    mD = em.gmm_full(3, D)
    print("\n" + lv.derive(mD, method="em").explain("cov"), end="\n\n")
    rD = lv.infer(mD, data={"x": X}, method="em", restarts=3, seed=args.seed, progress=not args.no_progress)
    print(rD)
    print("  log-likelihood per iteration:", np.round(rD.loglik[:6], 3), "...", round(float(rD.loglik[-1]), 3))
    try:
        from sklearn.mixture import GaussianMixture
    except ImportError:
        return r1, rD
    g = GaussianMixture(3, covariance_type="full", reg_covar=0, tol=1e-10, max_iter=1000,
                        weights_init=rD.params["pi"], means_init=rD.params["mu"],
                        precisions_init=np.linalg.inv(rD.params["cov"])).fit(X)
    print(f"  scikit-learn from lvmdsl's estimates: mean log-likelihood {g.score(X):.8f} "
          f"(lvmdsl {rD.loglik[-1] / len(X):.8f}), {g.n_iter_} more iteration(s)")
    return r1, rD


if __name__ == "__main__":
    main()
