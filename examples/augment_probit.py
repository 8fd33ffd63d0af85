"""Probit regression: Gibbs with Albert and Chib's truncated-normal latents, and the MLE by EM.

The rewrite turns y ~ Bernoulli(Phi(x . w)) into z ~ Normal(x . w, 1) restricted by y; the weights
then get a Gaussian block update and EM's M-step is a least-squares solve on E[z].
"""

from __future__ import annotations

import numpy as np

import common
import lvmdsl as lv
from augment_models import PHI, binary_data, probit


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    N = 300 if args.quick else 2000
    data = binary_data(N, [0.8, -0.5, 0.3], PHI, args.seed)
    d = lv.derive(probit(3))
    common.show_derivation(d)
    res = lv.infer(probit(3), data=data, draws=args.draws, tune=args.tune, chains=args.chains, seed=args.seed,
                   progress=not args.no_progress, keep=["w"])
    common.show_result(res)
    fit = lv.infer(probit(3, mle=True), data=data, method="em", max_iter=2000, tol=1e-12, progress=False)
    print("probit MLE by EM:", np.round(fit.params["w"].ravel(), 4))
    return res, fit


if __name__ == "__main__":
    main()
