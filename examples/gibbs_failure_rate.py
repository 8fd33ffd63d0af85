"""A hierarchical Gamma-Poisson failure-rate model (BUGS Pumps) by Gibbs sampling.

The failure rates theta and the rate beta are conjugate; the Gamma shape alpha is not (its
terms -log Gamma(alpha) leave every family), so the schedule gives it a slice sampler and says why.
"""

from __future__ import annotations

import warnings

import common
import lvmdsl as lv
from data import failure_rate_data, failure_rate_model


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    m = failure_rate_model()
    d = lv.derive(m)
    common.show_derivation(d)
    print("not conjugate:", d.not_conjugate, end="\n\n")
    draws = 1000 if args.quick else args.draws
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = lv.infer(m, data=failure_rate_data(), draws=draws, tune=args.tune, chains=args.chains,
                       seed=args.seed, progress=not args.no_progress)
    for w in caught:
        print("warning:", w.message)
    common.show_result(res, var_names=["alpha", "beta", "theta"])
    print("BUGS reports alpha 0.70, beta 0.93, theta[0] 0.060, theta[9] 1.99")
    return res


if __name__ == "__main__":
    main()
