"""Logistic regression with Polya-gamma latents: a Gaussian block update for the weights, and EM.

y ~ Bernoulli(sigmoid(x . w)) becomes omega ~ PolyaGamma(1, 0) and a factor quadratic in x . w;
omega | w ~ PolyaGamma(1, |x . w|) and w | omega is Gaussian, both from the one conjugate rule.
EM uses E[omega] = tanh(|eta|/2) / (2|eta|): iteratively reweighted least squares, derived.
"""

from __future__ import annotations

import numpy as np

import common
import lvmdsl as lv
from augment_models import SIGMOID, binary_data, logistic


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    N = 300 if args.quick else 5000
    data = binary_data(N, [1.0, -0.7, 0.3], SIGMOID, args.seed)
    common.show_derivation(lv.derive(logistic(3)))
    res = lv.infer(logistic(3), data=data, draws=args.draws, tune=args.tune, chains=args.chains, seed=args.seed,
                   progress=not args.no_progress, keep=["w"])
    common.show_result(res)
    fit = lv.infer(logistic(3, prior_var=None), data=data, method="em", max_iter=2000, tol=1e-12, progress=False)
    print("logistic MLE by EM:", np.round(fit.params["w"].ravel(), 4))
    return res, fit


if __name__ == "__main__":
    main()
