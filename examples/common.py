"""What every example prints: the derived updates, the sampler's schedule and a summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))     # run from anywhere: python examples/x.py


def parser(doc: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    p.add_argument("--draws", type=int, default=2000)
    p.add_argument("--tune", type=int, default=500)
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="small data and few draws (for tests)")
    p.add_argument("--no-progress", action="store_true")
    return p


def show_derivation(d, source: bool = False):
    """The complete conditionals (and, on request, the generated numpy source)."""
    print(d, end="\n\n")
    if source:
        print(d.source("gibbs"))


def show_result(res, var_names=None):
    print(res.schedule, end="\n\n")
    print(res.summary(var_names=var_names).to_string(), end="\n\n")
