"""The four benchmark models, each as BUGS text (a file in examples/bugs/) and as an lvmdsl declaration, with shared data.

Both engines get the same data, the same initial values and monitor the same unknowns under the
same names, so their draws and effective sample sizes can be compared node for node.  Index-valued
initial values (the mixture's allocations) are 0-based for lvmdsl and shifted to 1-based for JAGS.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
#: the BUGS text JAGS runs (and lvmdsl with --lvmdsl-model bugs) is read from these files
BUGS_DIR = Path(__file__).resolve().parents[1] / "examples" / "bugs"

from data import failure_rate_data, failure_rate_model, growth_curve_data, growth_curve_model  # noqa: E402
from models import gmm, linear_regression  # noqa: E402

from lvmdsl.demo import synthetic_gmm  # noqa: E402


@dataclass
class Bench:
    """One benchmark model: BUGS text, lvmdsl model, data, per-chain initial values and what to compare."""

    name: str
    bugs: str
    lv_model: Callable                 # () -> lv.Model
    data: Callable                     # (quick: bool) -> (lvmdsl data, JAGS-only extras: sizes, constants)
    inits: Callable                    # (rng, lvmdsl data) -> initial values of one chain (lvmdsl convention)
    monitor: list                      # unknowns whose draws are kept and compared (continuous ones)
    summaries: Callable                # draws -> {label: posterior mean}, a sanity check across engines
    index_vars: tuple = ()             # initial values that are 0-based indices in lvmdsl

    def jags_inits(self, init: dict) -> dict:
        """One chain's initial values with indices shifted to JAGS's 1-based convention."""
        return {k: (np.asarray(v) + 1 if k in self.index_vars else v) for k, v in init.items()}


GMM_BUGS = (BUGS_DIR / "mixture.bug").read_text()


def gmm_data(quick: bool, n: int | None = None):
    """Three well separated 1-D components (lvmdsl.demo's generator), N = 100,000 (2,000 with --quick)."""
    n = n or (2_000 if quick else 100_000)
    return _gmm_sample(n)


def gmm_small_data(quick: bool):
    """The mixture at N = 5,000 (2,000 with --quick): a size JAGS compiles in seconds, for the ratio."""
    return _gmm_sample(2_000 if quick else 5_000)


def _gmm_sample(n: int):
    x, _ = synthetic_gmm(n, seed=0)
    return {"x": x}, {"N": n, "K": 3, "ones": np.ones(3)}


def gmm_inits(rng, data):
    """Means near the data's 20/50/80 % quantiles (sorted, so all chains share one labelling), z nearest mean."""
    mu = np.sort(np.quantile(data["x"], [0.2, 0.5, 0.8]) + rng.normal(0, 0.5, 3))
    z = np.argmin(np.abs(data["x"][:, None] - mu), axis=1)
    return {"mu": mu, "tau": np.ones(3), "pi": np.ones(3) / 3, "z": z}


REG_BUGS = (BUGS_DIR / "regression.bug").read_text()


def reg_data(quick: bool, D: int = 20):
    """X ~ N(0, 1) with N = 10,000 (1,000 with --quick), D = 20, w ~ N(0, 1), noise sd 0.5."""
    rng = np.random.default_rng(1)
    n = 1_000 if quick else 10_000
    X = rng.normal(size=(n, D))
    y = X @ rng.normal(size=D) + 0.5 * rng.normal(size=n)
    return {"X": X, "y": y}, {"N": n, "D": D, "w0": np.zeros(D), "W0": 0.1 * np.eye(D)}


RATS_BUGS = (BUGS_DIR / "growth_curve.bug").read_text()


def rats_data(quick: bool):
    """The 30 x 5 Rats weights (the same with --quick: the data set is small)."""
    d = growth_curve_data()
    return d, {"N": d["y"].shape[0], "T": d["y"].shape[1]}


PUMPS_BUGS = (BUGS_DIR / "pumps.bug").read_text()     # the names match the embedded declaration


def pumps_data(quick: bool):
    """The 10 Pumps failure counts and operating times."""
    d = failure_rate_data()
    return d, {"N": len(d["x"])}


def _mean(draws, name, idx=()):
    return float(np.mean(draws[name][(slice(None), slice(None)) + idx]))


BENCHMARKS = {
    "mixture": Bench(
        "mixture", GMM_BUGS, gmm, gmm_data, gmm_inits, ["pi", "mu", "tau"],
        lambda d: {f"mu[{k}]": _mean(d, "mu", (k,)) for k in range(3)}, index_vars=("z",)),
    "mixture_small": Bench(
        "mixture_small", GMM_BUGS, gmm, gmm_small_data, gmm_inits, ["pi", "mu", "tau"],
        lambda d: {f"mu[{k}]": _mean(d, "mu", (k,)) for k in range(3)}, index_vars=("z",)),
    "regression": Bench(
        "regression", REG_BUGS, lambda: linear_regression(20), reg_data,
        lambda rng, data: {"w": rng.normal(size=20), "tau": 1.0}, ["w", "tau"],
        lambda d: {"w[0]": _mean(d, "w", (0,)), "sigma": float(np.mean(d["tau"] ** -0.5))}),
    "growth_curve": Bench(
        "growth_curve", RATS_BUGS, growth_curve_model, rats_data,
        lambda rng, data: {"alpha_c": rng.normal(240, 10), "beta_c": rng.normal(6, 1), "tau_c": 1.0,
                           "tau_alpha": 1.0, "tau_beta": 1.0},
        ["alpha_c", "beta_c", "tau_c", "tau_alpha", "tau_beta", "alpha", "beta"],
        lambda d: {"alpha0": float(np.mean(d["alpha_c"] - 22.0 * d["beta_c"])), "beta_c": _mean(d, "beta_c"),
                   "sigma": float(np.mean(d["tau_c"] ** -0.5))}),
    "failure_rate": Bench(
        "failure_rate", PUMPS_BUGS, failure_rate_model, pumps_data,
        lambda rng, data: {"alpha": rng.uniform(0.5, 1.5), "beta": rng.uniform(0.5, 1.5)},
        ["alpha", "beta", "theta"],
        lambda d: {"alpha": _mean(d, "alpha"), "beta": _mean(d, "beta"), "theta[0]": _mean(d, "theta", (0,)),
                   "theta[9]": _mean(d, "theta", (9,))}),
}
