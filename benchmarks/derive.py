"""Time ``lv.derive()``: ``python benchmarks/derive.py [--em-limit SECONDS]``.

Two tables:

1. every example model, the default derivation (array level), best of 3;
2. issue 9's sizes: Bayesian linear regression at D = 10, 100, 1000 and a full-covariance
   Gaussian mixture (K = 10) at D = 2, 10, 50, 100, each timed for the Gibbs derivation
   (``lv.derive(m)``, array level: its cost should not depend on D) and for the EM derivation
   (``lv.derive(m, method="em")`` and the expectation E[eta] of every parameter's natural
   parameters, the symbolic work of the M-steps; array level too).  ``--element`` adds the
   element-level EM derivation for comparison, skipping sizes predicted (as D^3.5) to take longer
   than ``--em-limit`` seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

import lvmdsl as lv  # noqa: E402
from models import MODELS, bayes_full_mixture, linear_regression  # noqa: E402


def timed(build, fn, repeats=3):
    """Best time of ``fn(model)`` over fresh models from ``build()`` (declaring the model, which
    checks its literal arrays, is not derivation and is not timed)."""
    best = float("inf")
    for _ in range(repeats):
        m = build()
        t0 = time.perf_counter()
        fn(m)
        best = min(best, time.perf_counter() - t0)
    return best


def examples() -> None:
    print(f"{'model':<28} {'derive (ms, best of 3)':>24}  not conjugate")
    for name, build in MODELS.items():
        best = timed(build, lv.derive)
        print(f"{name:<28} {best * 1e3:>24.1f}  {', '.join(lv.derive(build()).not_conjugate) or '-'}")


def em_derivation(m):
    """The EM derivation with every parameter's E[eta] derived (what the M-steps are built from)."""
    e = lv.derive(m, method="em")
    for p in e.params:
        e.expected(p) if hasattr(e, "expected") else e.m_step(p)
    return e


def sizes(em_limit: float, element: bool) -> None:
    print(f"\n{'model':<34} {'Gibbs derive (s)':>17} {'EM derive (s)':>15}" + (f" {'EM, element (s)':>17}" if element else ""))
    for label, build, dims in [("regression", linear_regression, (10, 100, 1000)),
                               ("full-covariance mixture, K=10", lambda D: bayes_full_mixture(10, D), (2, 10, 50, 100))]:
        em_seen: list[tuple[int, float]] = []
        for D in dims:
            gibbs = timed(lambda: build(D), lv.derive)
            em = timed(lambda: build(D), em_derivation)
            line = f"{label + f', D={D}':<34} {gibbs:>17.3f} {em:>15.3f}"
            if element:
                guess = max((t * (D / d) ** 3.5 for d, t in em_seen), default=0.0)
                if guess > em_limit:
                    line += f" {f'skipped (~{guess:.0f})':>17}"
                else:
                    t_el = timed(lambda: build(D), lambda m: lv.derive(m, method="em", engine="element"), repeats=1)
                    em_seen.append((D, t_el))
                    line += f" {t_el:>17.3f}"
            print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--element", action="store_true", help="also time the element-level EM derivation")
    ap.add_argument("--em-limit", type=float, default=60.0, help="skip element-level EM derivations predicted to take longer")
    args = ap.parse_args()
    examples()
    sizes(args.em_limit, args.element)


if __name__ == "__main__":
    main()
