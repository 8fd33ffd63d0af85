"""The Bayesian lasso: Laplace priors as Gaussian scale mixtures (Park and Casella 2008).

Each w_j ~ Laplace(0, s) becomes w_j ~ Normal(0, tau_j) with tau_j ~ Exponential(1/(2 s^2)); the
scales' conditional is a generalised inverse Gaussian.  Gibbs gives the posterior; EM gives the MAP,
which is the lasso estimate at alpha = sigma^2 / (N s).
"""

from __future__ import annotations

import numpy as np

import common
import lvmdsl as lv
from augment_models import lasso, lasso_data


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    N, s = (50 if args.quick else 200), 0.1
    data = lasso_data(N, args.seed)
    common.show_derivation(lv.derive(lasso(s)))
    res = lv.infer(lasso(s), data=data, draws=args.draws, tune=args.tune, chains=args.chains, seed=args.seed,
                   progress=not args.no_progress)
    common.show_result(res, var_names=["w0", "w1"])
    fit = lv.infer(lasso(s), data=data, method="em", params=["w0", "w1"], max_iter=5000, tol=1e-14, progress=False)
    print("MAP (the lasso estimate):", [round(float(np.ravel(fit.params[k])[0]), 4) for k in ("w0", "w1")])
    return res, fit


if __name__ == "__main__":
    main()
