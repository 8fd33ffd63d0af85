"""Gaussian mixture (1-D, K=3) by Gibbs sampling.

Declares the model, prints each derived complete conditional and the generated numpy update of
the means, samples four chains batched together and prints the ArviZ summary next to the truth.
"""

from __future__ import annotations

import common
import lvmdsl as lv
from models import gmm
from lvmdsl.demo import synthetic_gmm


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    n = 500 if args.quick else 5000
    x, _ = synthetic_gmm(n, args.seed)
    m = gmm()
    d = lv.derive(m)
    common.show_derivation(d)
    src = d.source("gibbs")
    print(src[src.index("def update_mu"):src.index("def update_tau")])
    # by default the chains start from k-means++ allocations numbered by location, so the three
    # components keep one labelling (res.relabel() would repair draws in different labellings)
    res = lv.infer(m, data={"x": x}, draws=args.draws, tune=args.tune, chains=args.chains, seed=args.seed,
                   keep=["pi", "mu", "tau"], progress=not args.no_progress)
    common.show_result(res)
    print("truth: pi = (0.3, 0.5, 0.2), mu = (-5, 0, 5), sd = (1, 0.5, 1.5)")
    return res


if __name__ == "__main__":
    main()
