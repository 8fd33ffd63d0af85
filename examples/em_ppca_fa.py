"""Probabilistic PCA and factor analysis by EM: continuous latents z[n], with E[z] and E[z z^T].

The E-step is each z[n]'s Gaussian posterior; the M-steps for the loadings W and the noise use
its first and second moments, which the derivation names.
"""

from __future__ import annotations

import numpy as np

import common  # noqa: F401
import em_models as em
import lvmdsl as lv


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    N, D, L = (300, 6, 2) if args.quick else (2000, 10, 3)
    noise = np.linspace(0.1, 0.6, D)
    for fa in (False, True):
        X = em.low_rank_data(N, D, L, 0.3 if not fa else noise, seed=args.seed)
        m = em.ppca(D, L, factor_analysis=fa)
        e = lv.derive(m, method="em")
        print(e, end="\n\n")
        res = lv.infer(m, data={"x": X}, method="em", max_iter=2000, seed=args.seed, progress=not args.no_progress)
        print(res)
        if fa:
            print("  noise sd per dimension:", np.round(np.sqrt(res.params["psi"]), 3), "(truth", np.round(noise, 3), ")")
        else:
            print(f"  noise sd {np.sqrt(res.params['s2']):.4f} (truth 0.3)")
        print()
    return res


if __name__ == "__main__":
    main()
