"""A Beta-Bernoulli A/B test by Gibbs sampling: which variant converts better, and by how much?

Both conversion rates have conjugate Beta posteriors; the draws answer questions about their
difference directly (the probability that B beats A, an interval for the lift).
"""

from __future__ import annotations

import numpy as np

import common
import lvmdsl as lv
from data import ab_test_data, ab_test_model


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    m = ab_test_model()
    d = lv.derive(m)
    common.show_derivation(d)
    print(d.explain("p_b"), end="\n\n")
    data = ab_test_data(seed=args.seed)
    res = lv.infer(m, data=data, draws=args.draws, tune=args.tune, chains=args.chains, seed=args.seed,
                   progress=not args.no_progress)
    common.show_result(res)
    lift = (res.draws["p_b"] - res.draws["p_a"]).ravel()
    lo, hi = np.quantile(lift, [0.025, 0.975])
    print(f"P(p_b > p_a) = {np.mean(lift > 0):.3f}; lift p_b - p_a: mean {lift.mean():.4f}, 95% interval [{lo:.4f}, {hi:.4f}]")
    print(f"observed rates: A {data['conv_a'].mean():.4f}, B {data['conv_b'].mean():.4f}")
    return res


if __name__ == "__main__":
    main()
