"""The ``lvmdsl`` command: check, derive and run models written as text, from a shell.

    lvmdsl check MODEL [--data FILE] [--print]      validate; --print shows it in lvmdsl's language
    lvmdsl derive MODEL [--explain VAR] [--latex] [--em]
    lvmdsl infer MODEL --data FILE [--method gibbs|em|...] [--draws N] [--chains C] [--seed S]
                 [--init FILE] [--out results.nc|results.csv]
    lvmdsl table                                    the conjugacy table, derived by the engine
    lvmdsl demo                                     a Gaussian mixture, derived and sampled

MODEL is a ``.lvm`` file (lvmdsl's language) or a ``.bug``/``.jags`` file (BUGS; its data file
decides which nodes are observed).  Data files are JSON or R dump.  Exit codes: 0 success, 1 a
model or data error (the message, no traceback), 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def _load(args):
    """(model, data) from the command's MODEL and --data."""
    import lvmdsl as lv
    from .text.load import BUGS_EXTENSIONS
    from .text.rdump import read_data

    data_file = getattr(args, "data", None)
    if Path(args.model).suffix.lower() in BUGS_EXTENSIONS:
        m = lv.load(args.model, data=data_file)
        if data_file is None:
            print("note: no --data, so every stochastic node is an unknown (as in JAGS, the data decide "
                  "which nodes are observed)", file=sys.stderr)
        return m, m.data
    m = lv.load(args.model)
    return m, (read_data(data_file) if data_file else None)


def _values(model, path):
    from .text.rdump import read_data
    if path is None:
        return None
    bugs = getattr(model, "bugs", None)
    return bugs.values(path) if bugs is not None else read_data(path)


def check(args) -> int:
    from .graph.validate import bind_data, prepare

    m, data = _load(args)
    prepare(m)
    if data:
        bind_data(m, data)
    unknowns = ", ".join(v.name for v in m.unknowns) or "none"
    observed = ", ".join(v.name for v in m.observed) or "none"
    print(f"{args.model}: model {m.name!r} is valid ({len(m.variables)} variables; unknowns: {unknowns}; "
          f"observed: {observed})" + ("; the data fit it" if data else ""))
    if args.print:
        print(m.to_text(), end="")
    return 0


def derive_cmd(args) -> int:
    import lvmdsl as lv

    m, _ = _load(args)
    d = lv.derive(m, method="em" if args.em else "gibbs")
    if args.latex:
        print(d.to_latex(args.explain))
    elif args.explain:
        print(d.explain(args.explain))
    else:
        print(d)
    return 0


def infer_cmd(args) -> int:
    import lvmdsl as lv

    if args.out and Path(args.out).suffix.lower() not in (".nc", ".csv"):
        raise SystemExit(_usage_error(f"--out {args.out}: give a .nc (ArviZ netCDF) or .csv (summary) file"))
    m, data = _load(args)
    init = _values(m, args.init)
    progress = not args.no_progress
    if args.method == "gibbs":
        res = lv.infer(m, data=data, draws=args.draws, tune=args.tune, chains=args.chains, seed=args.seed,
                       init=init, progress=progress)
        table = res.summary()
        print(table.to_string())
        if args.out:
            if args.out.lower().endswith(".nc"):
                res.to_arviz().to_netcdf(args.out)
            else:
                table.to_csv(args.out)
            print(f"wrote {args.out}")
        return 0
    res = lv.infer(m, data=data, method=args.method, seed=args.seed, init=init, progress=progress,
                   restarts=args.restarts, max_iter=args.max_iter)
    rows = _param_rows(res.params)
    state = "converged" if res.converged else "did not converge"
    print(f"{args.method} {state} after {res.n_iter} iterations")
    width = max(len(k) for k, _ in rows) if rows else 0
    for k, v in rows:
        print(f"{k:<{width}}  {v:.6g}")
    if args.out:
        if not args.out.lower().endswith(".csv"):
            raise SystemExit(_usage_error("EM results are written as .csv (name, value)"))
        Path(args.out).write_text("name,value\n" + "".join(f"{k},{v!r}\n" for k, v in rows))
        print(f"wrote {args.out}")
    return 0


def _param_rows(params: dict) -> list:
    rows = []
    for k, v in params.items():
        a = np.asarray(v, dtype=float)
        if a.ndim == 0:
            rows.append((k, float(a)))
        else:
            rows += [(f"{k}[{', '.join(map(str, i))}]", float(a[i])) for i in np.ndindex(a.shape)]
    return rows


def table(args) -> int:
    import lvmdsl as lv

    t = lv.conjugacy_table()
    print(t.to_markdown() if args.markdown else t)
    return 0


def demo(args) -> int:
    from .demo import run_demo
    run_demo(explain=args.explain, seed=args.seed)
    return 0


def _usage_error(msg: str) -> int:
    print(f"lvmdsl: usage error: {msg}", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    from .infer import METHODS

    parser = argparse.ArgumentParser(prog="lvmdsl", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check", help="validate a model file (and its data)")
    c.add_argument("model", help="a .lvm, .bug or .jags file")
    c.add_argument("--data", help="data file (JSON or R dump); for BUGS models it decides what is observed")
    c.add_argument("--print", action="store_true", help="print the model in lvmdsl's text language")
    c.set_defaults(func=check)

    d = sub.add_parser("derive", help="print the complete conditionals, one explained, or the EM derivation")
    d.add_argument("model")
    d.add_argument("--data", help="data file (BUGS models: decides which nodes are observed)")
    d.add_argument("--explain", metavar="VAR", help="show the step-by-step derivation of one unknown")
    d.add_argument("--latex", action="store_true", help="print LaTeX instead of text")
    d.add_argument("--em", action="store_true", help="derive EM (Q, E-step, M-steps) instead of Gibbs")
    d.set_defaults(func=derive_cmd)

    i = sub.add_parser("infer", help="run Gibbs or EM on a model and its data; print the summary")
    i.add_argument("model")
    i.add_argument("--data", required=True, help="data file: JSON or R dump")
    i.add_argument("--method", default="gibbs", choices=METHODS)
    i.add_argument("--draws", type=int, default=2000)
    i.add_argument("--tune", type=int, default=500)
    i.add_argument("--chains", type=int, default=4)
    i.add_argument("--seed", type=int, default=0)
    i.add_argument("--init", help="initial values file (JSON or R dump; BUGS names for BUGS models)")
    i.add_argument("--restarts", type=int, default=1, help="EM restarts")
    i.add_argument("--max-iter", type=int, default=500, help="EM iterations")
    i.add_argument("--out", help="results.nc (ArviZ netCDF) or results.csv (summary table)")
    i.add_argument("--no-progress", action="store_true", help="no progress bar")
    i.set_defaults(func=infer_cmd)

    t = sub.add_parser("table", help="the conjugate pairs the engine recognises, derived by the engine")
    t.add_argument("--markdown", action="store_true")
    t.set_defaults(func=table)

    dm = sub.add_parser("demo", help="declare a Gaussian mixture, print its derived conditionals")
    dm.add_argument("--explain", default="mu", help="unknown whose derivation is shown step by step")
    dm.add_argument("--seed", type=int, default=0)
    dm.set_defaults(func=demo)
    return parser


def main(argv=None) -> int:
    from .frontend.expr import ModelError

    args = build_parser().parse_args(argv)        # bad usage: argparse prints it and exits with 2
    try:
        return args.func(args)
    except BrokenPipeError:                       # output piped into head and cut short
        return 0
    except ModelError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyError as err:                       # a name that the model does not have (--explain)
        print(f"error: {err.args[0] if err.args else err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
