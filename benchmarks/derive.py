"""Time ``lv.derive()`` for each example model: ``python benchmarks/derive.py``.

Targets (issue 2): under 1 s per model, a few hundred ms for the Gaussian mixture.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

import lvmdsl as lv  # noqa: E402
from models import MODELS  # noqa: E402


def main(repeats: int = 3) -> None:
    print(f"{'model':<28} {'derive (ms, best of %d)' % repeats:>24}  not conjugate")
    for name, build in MODELS.items():
        best = float("inf")
        for _ in range(repeats):
            m = build()
            t0 = time.perf_counter()
            d = lv.derive(m)
            best = min(best, time.perf_counter() - t0)
        print(f"{name:<28} {best * 1e3:>24.1f}  {', '.join(d.not_conjugate) or '-'}")


if __name__ == "__main__":
    main()
