"""EM for the prior precision alpha and noise precision beta of Bayesian linear regression.

The weights w are the latent (latent=["w"]): the E-step is their Gaussian posterior and the
M-steps are alpha = D / E[w'w] and beta = N / E[||y - Xw||^2], which maximise the evidence
p(y | alpha, beta); scikit-learn's BayesianRidge reaches the same values by another route.
"""

from __future__ import annotations

import numpy as np

import common  # noqa: F401
import em_models as em
import lvmdsl as lv


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    N, D = (100, 4) if args.quick else (1000, 10)
    X, y = em.regression_data(N, D, seed=args.seed)
    m = em.regression_evidence(D)
    e = lv.derive(m, method="em", latent=["w"])
    print(e.explain("alpha"), end="\n\n")
    print(e.explain("beta"), end="\n\n")
    res = lv.infer(m, data={"X": X, "y": y}, method="em", latent=["w"], tol=1e-12, progress=not args.no_progress)
    print(res)
    print(f"  alpha = {res.params['alpha']:.6f}, beta = {res.params['beta']:.6f} (noise sd 0.5: beta = 4)")
    try:
        from sklearn.linear_model import BayesianRidge
        br = BayesianRidge(fit_intercept=False, tol=1e-12, max_iter=100000, alpha_1=0, alpha_2=0,
                           lambda_1=0, lambda_2=0).fit(X, y)
        print(f"  scikit-learn BayesianRidge: alpha = {br.lambda_:.6f}, beta = {br.alpha_:.6f}")
    except ImportError:
        pass
    return res


if __name__ == "__main__":
    main()
