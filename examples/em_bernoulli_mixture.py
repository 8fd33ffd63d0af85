"""A mixture of Bernoullis on binary vectors by EM (MAP: each probability has a Beta(2, 2) prior).

The prior keeps the estimates off 0 and 1, where maximum likelihood puts them for a component
whose members all agree on a coordinate (lv.Param instead of lv.Beta shows that: a warning).
"""

from __future__ import annotations

import numpy as np

import common  # noqa: F401
import em_models as em
import lvmdsl as lv


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    N, D, K = (300, 8, 3) if args.quick else (3000, 20, 4)
    X, labels = em.binary_data(N, D, K, seed=args.seed)
    m = em.bernoulli_mixture(K, D)
    e = lv.derive(m, method="em")
    print(e, end="\n\n")
    res = lv.infer(m, data={"x": X}, method="em", restarts=4, seed=args.seed, progress=not args.no_progress)
    print(res)
    r = res.posterior("z").params["p"]
    found = r.argmax(1)
    agree = max(np.mean(found == np.array(perm)[labels]) for perm in __import__("itertools").permutations(range(K)))
    print(f"  weights {np.round(res.params['pi'], 3)}; clusters agree with the truth on {agree:.1%} of points")
    return res


if __name__ == "__main__":
    main()
