"""Bayesian linear regression by Gibbs sampling: weights in one multivariate-normal block.

The weights' conditional needs only X^T X and X^T y, which the generated code sums once before
sampling; each sweep then costs O(D^2) whatever the number of rows.
"""

from __future__ import annotations

import numpy as np

import common
import lvmdsl as lv
from models import linear_regression


def synthetic(N: int, D: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    w = rng.normal(size=D)
    return X, X @ w + rng.normal(size=N) / np.sqrt(4.0), w


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    N, D = (200, 3) if args.quick else (10_000, 5)
    X, y, w = synthetic(N, D, args.seed)
    m = linear_regression(D)
    d = lv.derive(m)
    common.show_derivation(d)
    print(d.explain("tau"), end="\n\n")
    res = lv.infer(m, data={"X": X, "y": y}, draws=args.draws, tune=args.tune, chains=args.chains,
                   seed=args.seed, progress=not args.no_progress)
    common.show_result(res)
    print("truth: w =", np.round(w, 3), " noise precision tau = 4")
    return res


if __name__ == "__main__":
    main()
