"""lvmdsl's derived Gibbs sampler against JAGS: same model, data, initial values, chains and iterations.

``python benchmarks/gibbs_vs_jags.py [--models mixture,mixture_small,regression,growth_curve,failure_rate]
[--iters 2000] [--tune 500] [--quick] [--timeout 600] [--engines lvmdsl,jags] [--lvmdsl-model embedded|bugs]``

Both engines can run the same file: JAGS always reads the BUGS text of ``examples/bugs/``, and with
``--lvmdsl-model bugs`` lvmdsl reads it too (``lv.read_bugs``) instead of the embedded declaration.

Reports iterations/s and min-ESS/s (ArviZ bulk ESS, the minimum over every scalar component of the
monitored unknowns, median alongside) of the sampling phase only, and the ratio lvmdsl / JAGS.
JAGS's phases are timed from its progress lines (see ``jags.py``); lvmdsl's sampling time is a
full run's minus a run with the same warm-up and one draw.  Install JAGS with ``setup_jags.sh``.
"""

from __future__ import annotations

import argparse
import inspect
import os
import shlex
import subprocess
import sys
import time
import warnings
from pathlib import Path

import arviz as az
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lvmdsl as lv  # noqa: E402
from jags import run_jags  # noqa: E402
from jags_models import BENCHMARKS  # noqa: E402


def ess(draws: dict, names: list) -> tuple:
    """(min, median) bulk ESS over all scalar components of ``names``: the min is the binding one."""
    ds = az.convert_to_dataset({k: draws[k] for k in names})
    vals = np.concatenate([np.ravel(v) for v in az.ess(ds, method="bulk").data_vars.values()])
    return float(np.min(vals)), float(np.median(vals))


def run_lvmdsl(bench, data, inits, args, extra_data=None) -> dict:
    """Time lv.infer on the model: full run, and warm-up plus one draw to subtract the fixed costs.

    With ``--lvmdsl-model bugs`` the model is read from the bench's BUGS file with JAGS's data
    (sizes and constants included), and the data is the reader's translation of it."""
    make_model = bench.lv_model
    if getattr(args, "lvmdsl_model", "embedded") == "bugs":
        full = {**data, **(extra_data or {})}
        make_model = lambda: lv.read_bugs(bench.bugs, full, f"{bench.name}.bug")  # noqa: E731
        data = make_model().data
    if not hasattr(lv, "infer"):
        return {"error": "lv.infer is not available in this lvmdsl (the Gibbs runtime has not landed)"}
    init = {k: np.stack([np.asarray(i[k]) for i in inits]) for k in inits[0]}
    extra = {}
    params = inspect.signature(lv.infer).parameters
    if "keep" in params:                     # store only the compared unknowns (not 100,000 allocations)
        extra["keep"] = bench.monitor
    if "lp" in params:                       # JAGS does not compute the log joint either
        extra["lp"] = False
    kw = dict(data=data, method="gibbs", tune=args.tune, chains=args.chains, thin=1, seed=args.seed,
              init=init, progress=False, **extra)
    warnings.filterwarnings("ignore", message=".*updated by a slice sampler")  # Pumps' alpha: expected
    try:
        t0 = time.perf_counter()
        lv.infer(make_model(), draws=1, **kw)
        t1 = time.perf_counter()
        res = lv.infer(make_model(), draws=args.iters, **kw)
        t2 = time.perf_counter()
    except Exception as e:                   # report and go on with the other models
        return {"error": f"{type(e).__name__}: {e}"}
    return {"draws": res.draws, "sampling": max((t2 - t1) - (t1 - t0), 1e-9), "setup": t1 - t0, "total": t2 - t1}


def run_jags_side(bench, data, inits, args) -> dict:
    """Run JAGS with warm-up = adaptation of ``--tune`` iterations, then ``--iters`` monitored ones."""
    seeds = [1000 * args.seed + c + 1 for c in range(args.chains)]
    r = run_jags(bench.bugs, data, [bench.jags_inits(i) for i in inits], bench.monitor, n_iter=args.iters,
                 n_adapt=args.tune, seeds=seeds, timeout=args.timeout)
    if r.status == "timeout":
        return {"error": f"did not finish in {args.timeout:g} s (last step: {r.last_line})"}
    return {"draws": r.draws, "sampling": r.times["sampling"], "setup": r.times["compile_init"] + r.times["burnin"],
            "compile": r.times["compile_init"], "total": r.times["total"]}


BATCHED = {"regression", "growth_curve", "failure_rate"}


def fmt(x, spec=".1f"):
    return "-" if x is None else format(x, spec)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=",".join(BENCHMARKS), help="comma-separated: " + ", ".join(BENCHMARKS))
    ap.add_argument("--iters", type=int, default=2000, help="monitored iterations per chain")
    ap.add_argument("--tune", type=int, default=500, help="warm-up iterations (lvmdsl tune, JAGS adapt)")
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--lv-chains", type=int, default=128,
                    help="also run lvmdsl with this many chains batched in one sweep (0: skip); "
                         "ESS/s then counts every chain, which is what batching buys")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="small N for the mixture (2,000) and regression (1,000)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds before a JAGS run is abandoned")
    ap.add_argument("--engines", default="lvmdsl,jags", help="which engines to run")
    ap.add_argument("--lvmdsl-model", choices=["embedded", "bugs"], default="embedded",
                    help="lvmdsl runs the embedded declaration, or reads the same BUGS file JAGS runs")
    args = ap.parse_args(argv)
    engines = args.engines.split(",")

    print("$ python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *(sys.argv[1:] if argv is None else argv)]))
    try:
        jv = subprocess.run(["jags"], input="exit\n", capture_output=True, text=True).stdout.split("\n")[0]
    except FileNotFoundError:
        jv, engines = "JAGS not installed (run benchmarks/setup_jags.sh)", [e for e in engines if e != "jags"]
    print(f"# lvmdsl {lv.__version__}, {jv.replace('Welcome to ', '').split(' on ')[0]}, numpy {np.__version__}, "
          f"arviz {az.__version__}, {os.cpu_count()} CPUs; chains={args.chains} tune={args.tune} iters={args.iters}")

    rows, checks = [], []
    for name in args.models.split(","):
        bench = BENCHMARKS[name]
        data, extra = bench.data(args.quick)
        inits = [bench.inits(np.random.default_rng([args.seed, c]), data) for c in range(args.chains)]
        out = {}
        if "lvmdsl" in engines:
            out["lvmdsl"] = run_lvmdsl(bench, data, inits, args, extra)
            # batching pays where a sweep is cheap (small models, or regression whose sweeps cost
            # O(D^2) whatever N); the large mixture's sweeps grow with the chains, so it gets a
            # one-chain row instead: the rate of a single chain's sweeps
            width = (args.lv_chains if name in BATCHED else 1) if args.lv_chains else 0
            if width and width != args.chains:
                many = [bench.inits(np.random.default_rng([args.seed, c]), data) for c in range(width)]
                wide = argparse.Namespace(**{**vars(args), "chains": width})
                out[f"lvmdsl x{width}"] = run_lvmdsl(bench, data, many, wide, extra)
        if "jags" in engines:
            out["jags"] = run_jags_side(bench, {**data, **extra}, inits, args)
        for eng, r in out.items():
            if "draws" in r:
                r["ess_min"], r["ess_med"] = ess(r["draws"], bench.monitor)
                r["it_s"] = args.iters / r["sampling"]
                r["ess_s"] = r["ess_min"] / r["sampling"]
                checks.append((name, eng, bench.summaries(r["draws"])))
        rows.append((name, extra.get("N", ""), out))

    hdr = (f"{'model':<13} {'N':>7} | {'it/s lvmdsl':>11} {'it/s JAGS':>10} {'ratio':>6} | {'minESS/s lvmdsl':>15} "
           f"{'minESS/s JAGS':>13} {'ratio':>6} | {'minESS lv/JAGS':>14} {'medESS lv/JAGS':>15} | "
           f"{'setup+warm-up s lv/JAGS':>24}")
    print("\n" + hdr + "\n" + "-" * len(hdr))
    for name, n, out in rows:
        lvr, jr = out.get("lvmdsl", {}), out.get("jags", {})
        ratio = lambda k: lvr[k] / jr[k] if k in lvr and k in jr else None  # noqa: E731
        print(f"{name:<13} {n:>7} | {fmt(lvr.get('it_s')):>11} {fmt(jr.get('it_s')):>10} {fmt(ratio('it_s'), '.2f'):>6}"
              f" | {fmt(lvr.get('ess_s')):>15} {fmt(jr.get('ess_s')):>13} {fmt(ratio('ess_s'), '.2f'):>6} | "
              f"{fmt(lvr.get('ess_min'), '.0f') + '/' + fmt(jr.get('ess_min'), '.0f'):>14} "
              f"{fmt(lvr.get('ess_med'), '.0f') + '/' + fmt(jr.get('ess_med'), '.0f'):>15} | "
              f"{fmt(lvr.get('setup'), '.2f') + '/' + fmt(jr.get('setup'), '.2f'):>24}")
        for eng, r in out.items():
            if "error" in r:
                print(f"    {eng}: {r['error']}")
            elif eng.startswith("lvmdsl x"):
                vs = f", {r['ess_s'] / jr['ess_s']:.2f}x JAGS's min-ESS/s" if "ess_s" in jr else ""
                what = "one chain" if eng == "lvmdsl x1" else "chains batched"
                print(f"    {eng} {what}: {r['it_s']:.1f} sweeps/s, min-ESS/s {r['ess_s']:.1f}{vs}")
    if checks:
        print("\nposterior means (the engines should agree within Monte Carlo error):")
        for name, eng, s in checks:
            print(f"  {name:<13} {eng:<7} " + "  ".join(f"{k}={v:.4g}" for k, v in s.items()))


if __name__ == "__main__":
    main()
