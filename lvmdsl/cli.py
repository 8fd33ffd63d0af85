"""The ``lvmdsl`` command: ``lvmdsl demo`` declares a Gaussian mixture and shows its derivation."""

from __future__ import annotations

import argparse
import sys


def demo(args) -> int:
    from .demo import run_demo
    run_demo(explain=args.explain, seed=args.seed)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="lvmdsl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="declare a Gaussian mixture, print its derived conditionals")
    d.add_argument("--explain", default="mu", help="unknown whose derivation is shown step by step")
    d.add_argument("--seed", type=int, default=0)
    d.set_defaults(func=demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
