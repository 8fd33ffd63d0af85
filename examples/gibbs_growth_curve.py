"""A hierarchical growth-curve model (BUGS Rats) by Gibbs sampling: 30 rats x 5 weighings.

Every complete conditional is conjugate: the per-rat intercepts and slopes are each drawn for all
rats at once, the population means and the three precisions as single draws.
"""

from __future__ import annotations

import common
import lvmdsl as lv
from data import growth_curve_data, growth_curve_model


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    m = growth_curve_model()
    d = lv.derive(m)
    common.show_derivation(d)
    print(d.explain("beta_c"), end="\n\n")
    draws = 500 if args.quick else args.draws
    res = lv.infer(m, data=growth_curve_data(), draws=draws, tune=args.tune, chains=args.chains, seed=args.seed,
                   progress=not args.no_progress)
    common.show_result(res, var_names=["alpha_c", "beta_c", "tau_c", "tau_alpha", "tau_beta"])
    print("BUGS reports alpha_c 242.5, beta_c 6.19, sigma_c = 1/sqrt(tau_c) 6.09")
    return res


if __name__ == "__main__":
    main()
