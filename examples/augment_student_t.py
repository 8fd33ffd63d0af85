"""Robust regression with Student-t errors, by EM: each point's Gamma(df/2, df/2) precision scale.

The rewrite makes y ~ Normal(x . w, s2 / lambda) with lambda ~ Gamma(df/2, df/2); the E-step's
E[lambda] = (df + 1) / (df + r^2 / s2) downweights outliers and the M-steps are weighted least squares.
"""

from __future__ import annotations

import numpy as np

import common
import lvmdsl as lv
from augment_models import t_data, t_regression


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    N = 200 if args.quick else 2000
    data = t_data(N, [1.0, -2.0], seed=args.seed)
    print(lv.derive(t_regression(2), method="em"), end="\n\n")
    fit = lv.infer(t_regression(2), data=data, method="em", max_iter=3000, tol=1e-12, progress=False)
    print("w:", np.round(fit.params["w"].ravel(), 4), " s2:", round(float(np.ravel(fit.params["s2"])[0]), 4))
    return fit


if __name__ == "__main__":
    main()
