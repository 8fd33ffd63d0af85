"""The classic BUGS examples run from their BUGS text (examples/bugs/) and agree with independent
hand-written embedded declarations of the same models (examples/bugs_embedded.py).

Checks, from cheap to expensive:
* the R dump data files (column-major) hold the same numbers as the row-major JSON copies;
* Dyes, Surgical and Line read from BUGS derive exactly what their embedded declarations derive;
* Surgical's posterior means from the BUGS file match the closed form Beta(1 + r, 1 + n - r);
* (slow) all six examples: posterior means from the BUGS file and from the embedded declaration
  agree within Monte Carlo error (5 combined standard errors, ArviZ's mcse of the mean).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import lvmdsl as lv

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

import bugs_embedded as be  # noqa: E402

#: BUGS-model name (lvmdsl spelling) -> the embedded declaration's name for the same unknown
COMPARED = {
    "rats": {"alpha_c": "alpha_c", "beta_c": "beta_c", "tau_c": "tau_c", "alpha": "alpha", "beta": "beta"},
    "pumps": {"alpha": "alpha", "beta": "beta", "theta": "theta"},
    "dyes": {"theta": "theta", "tau_with": "tau_with", "mu": "mu"},
    "surgical": {"p": "p"},
    "line": {"alpha": "alpha", "beta": "beta", "tau": "tau"},
    "birats": {"mu_beta": "mu_beta", "tauC": "tauC", "beta": "beta"},
}


def test_rdump_files_match_the_json_copies():
    rats = json.loads((EXAMPLES / "bugs_data" / "rats.json").read_text())
    m = be.load_bugs("rats")
    assert np.array_equal(m.data["Y"], np.asarray(rats["y"])) and np.array_equal(m.data["x"], rats["x"])
    assert m.bugs.sizes == {"N": 30, "T": 5} and m.bugs.observed == ["Y"]
    dyes = json.loads((EXAMPLES / "bugs_data" / "dyes.json").read_text())
    assert np.array_equal(be.load_bugs("dyes").data["y"], np.asarray(dyes["y"]))


@pytest.mark.parametrize("name", ["dyes", "surgical", "line"])
def test_bugs_text_derives_what_the_embedded_declaration_derives(name):
    m = be.load_bugs(name)
    e, data = be.embedded(name)
    assert str(lv.derive(m)) == str(lv.derive(e))
    for k, v in data.items():
        assert np.array_equal(np.asarray(m.data[k], float), np.asarray(v, float)), k


def test_surgical_from_bugs_matches_the_closed_form():
    m = be.load_bugs("surgical")
    res = lv.infer(m, data=m.data, draws=2000, tune=100, chains=4, seed=3, progress=False)
    n, r = m.data["n"], m.data["r"]
    a, b = 1 + r, 1 + n - r
    exact_mean, exact_sd = a / (a + b), np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    got = res.draws["p"].reshape(-1, 12)
    se = exact_sd / np.sqrt(got.shape[0])          # conjugate draws of independent p are independent
    assert np.all(np.abs(got.mean(0) - exact_mean) < 5 * se)
    assert np.allclose(got.std(0), exact_sd, rtol=0.1)


def _inits(name, model):
    inits = be.FILES[name][2]
    return None if inits is None else model.bugs.values(be.BUGS_DIR / inits)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(be.FILES))
def test_bugs_posteriors_agree_with_the_embedded_declarations(name):
    m = be.load_bugs(name)
    e, data = be.embedded(name)
    init = _inits(name, m)
    kw = dict(draws=3000, tune=1000, chains=4, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s1 = lv.infer(m, data=m.data, seed=1, init=init, **kw).summary(round_to="none")
        s2 = lv.infer(e, data=data, seed=2, init=init and {COMPARED[name].get(k, k): v for k, v in init.items()},
                      **kw).summary(round_to="none")
    for ours, theirs in COMPARED[name].items():
        rows = [r for r in s1.index if r == ours or r.startswith(ours + "[")]
        assert rows, ours
        for r in rows:
            r2 = theirs + r[len(ours):]
            tol = 5 * np.hypot(s1.loc[r, "mcse_mean"], s2.loc[r2, "mcse_mean"]) + 1e-3 * abs(s2.loc[r2, "mean"])
            assert abs(s1.loc[r, "mean"] - s2.loc[r2, "mean"]) < tol, (r, s1.loc[r, "mean"], s2.loc[r2, "mean"], tol)


def test_benchmark_models_read_from_their_bugs_files_match_the_embedded_ones():
    """benchmarks/gibbs_vs_jags.py feeds JAGS (and lvmdsl with --lvmdsl-model bugs) the files of examples/bugs/."""
    sys.path.insert(0, str(EXAMPLES.parent / "benchmarks"))
    from jags_models import BENCHMARKS

    for name in ("mixture_small", "regression", "growth_curve", "failure_rate"):
        bench = BENCHMARKS[name]
        data, extra = bench.data(True)
        m, e = lv.read_bugs(bench.bugs, {**data, **extra}), bench.lv_model()
        assert set(m.observed and [v.name for v in m.observed]) == {v.name for v in e.observed}, name
        d1, d2 = lv.derive(m), lv.derive(e)
        assert {k: (c.family.name if c.conjugate else None) for k, c in d1.items()} == \
               {k: (c.family.name if c.conjugate else None) for k, c in d2.items()}, name
