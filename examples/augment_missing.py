"""Regression with 20% of y missing: NaN entries become latent, drawn by Gibbs and averaged by EM.

The rewrite 'interval_data' declares y_complete ~ IntervalNormal with point intervals at the observed
values and (-inf, inf) where y is NaN; ``res.draws["y_complete"]`` holds the completed y.
"""

from __future__ import annotations

import numpy as np

import common
import lvmdsl as lv
from augment_models import missing_data, regression_missing


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    data = missing_data(100 if args.quick else 1000, seed=args.seed)
    res = lv.infer(regression_missing(), data=data, draws=args.draws, tune=args.tune, chains=args.chains,
                   seed=args.seed, progress=not args.no_progress)
    common.show_result(res, var_names=["a", "b", "tau"])
    miss = np.isnan(data["y"])
    print(f"{miss.sum()} missing; imputed mean of the first: {res.draws['y_complete'][..., np.argmax(miss)].mean():.3f}")
    fit = lv.infer(regression_missing(prior=False), data=data, method="em", max_iter=2000, tol=1e-12, progress=False)
    print("MLE from the observed entries by EM:", {k: round(float(np.ravel(fit.params[k])[0]), 4) for k in ("a", "b", "tau")})
    return res, fit


if __name__ == "__main__":
    main()
