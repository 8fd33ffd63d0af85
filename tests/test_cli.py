"""The ``lvmdsl`` command on the files in examples/: output and exit code.

Each command runs once in a subprocess (``python -m lvmdsl``, as a shell would run it); variants of
options and error paths call ``lvmdsl.cli.main`` in-process, which is what the subprocess runs.
Exit codes: 0 success, 1 a model or data error (message on stderr, no traceback), 2 bad usage.
Results written with --out are read back independently (pandas for the CSV, ArviZ for netCDF).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytest

import lvmdsl as lv
from lvmdsl.cli import main

ROOT = Path(__file__).resolve().parents[1]
BUGS = ROOT / "examples" / "bugs"
TEXT = ROOT / "examples" / "text"


def run(*args, cwd=ROOT):
    p = subprocess.run([sys.executable, "-m", "lvmdsl", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                       timeout=300)
    return p.returncode, p.stdout, p.stderr


def test_check_bugs_model_with_data_and_print():
    rc, out, err = run("check", BUGS / "rats.bug", "--data", BUGS / "rats-data.R", "--print")
    assert rc == 0, err
    assert "model 'rats' is valid" in out and "observed: Y" in out and "the data fit it" in out
    text = out[out.index("model rats {"):]
    assert lv.parse(text).to_text() == text      # what --print shows reads back as the same model


def inproc(capsys, *args):
    """``lvmdsl.cli.main`` in this process: (exit code, stdout, stderr); argparse's exits give their code."""
    try:
        rc = main([str(a) for a in args])
    except SystemExit as e:
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def test_check_own_language(capsys):
    rc, out, err = inproc(capsys, "check", TEXT / "gmm.lvm", "--data", TEXT / "gmm-data.json")
    assert rc == 0 and "unknowns: pi, mu, tau, z" in out, err


def test_derive_prints_conditionals():
    rc, out, err = run("derive", BUGS / "line.bug", "--data", BUGS / "line-data.json")
    assert rc == 0 and "alpha | rest ~ Normal" in out and "tau | rest ~ Gamma" in out, err


def test_derive_explain_and_latex(capsys):
    rc, out, _ = inproc(capsys, "derive", BUGS / "line.bug", "--data", BUGS / "line-data.json", "--explain", "beta")
    assert rc == 0 and "Complete conditional of beta" in out
    rc, out, _ = inproc(capsys, "derive", TEXT / "gmm.lvm", "--latex")
    assert rc == 0 and r"\sim" in out and r"\mathrm{Normal}" in out


def test_derive_em():
    rc, out, err = run("derive", TEXT / "gmm_em.lvm", "--em")
    assert rc == 0 and "EM for model 'gmm_1d'" in out and "latent (E-step): z" in out, err


def test_derive_bugs_without_data_notes_that_every_node_is_unknown(capsys):
    rc, out, err = inproc(capsys, "derive", BUGS / "surgical.bug")
    assert rc == 0 and "r | rest" in out and "every stochastic node is an unknown" in err


def test_infer_gibbs_writes_csv_summary(tmp_path):
    out_file = tmp_path / "surgical.csv"
    rc, out, err = run("infer", BUGS / "surgical.bug", "--data", BUGS / "surgical-data.R", "--draws", "400",
                       "--chains", "2", "--seed", "1", "--out", out_file)
    assert rc == 0, err
    assert "r_hat" in out and f"wrote {out_file}" in out
    table = pd.read_csv(out_file, index_col=0)
    assert list(table.index) == [f"p[{i}]" for i in range(12)]
    n = np.array([47, 148, 119, 810, 211, 196, 148, 215, 207, 97, 256, 360])
    r = np.array([0, 18, 8, 46, 8, 13, 9, 31, 14, 8, 29, 24])
    exact = (1 + r) / (2 + n)                                  # Beta(1 + r, 1 + n - r) posterior mean
    assert np.all(np.abs(table["mean"].to_numpy() - exact) < 5 * table["mcse_mean"].to_numpy() + 2e-3)
    assert "gibbs surgical" in err                             # the progress bar


def test_infer_gibbs_writes_netcdf(tmp_path):
    out_file = tmp_path / "rats.nc"
    rc, out, err = run("infer", TEXT / "rats.lvm", "--data", ROOT / "examples" / "bugs_data" / "rats.json",
                       "--draws", "200", "--tune", "100", "--chains", "2", "--no-progress", "--out", out_file)
    assert rc == 0, err
    idata = az.from_netcdf(out_file)
    assert idata.posterior["alpha"].shape == (2, 200, 30)
    assert 230 < float(idata.posterior["alpha_c"].mean()) < 255 and "alpha_c" in out


def test_infer_em(tmp_path):
    out_file = tmp_path / "em.csv"
    rc, out, err = run("infer", TEXT / "gmm_em.lvm", "--data", TEXT / "gmm-data.json", "--method", "em",
                       "--restarts", "3", "--no-progress", "--out", out_file)
    assert rc == 0 and "em converged" in out, err
    est = pd.read_csv(out_file, index_col=0)["value"]
    assert np.allclose(np.sort([est["mu[0]"], est["mu[1]"], est["mu[2]"]]), [-5, 0, 5], atol=0.4)


def test_infer_with_bugs_initial_values(capsys):
    rc, out, err = inproc(capsys, "infer", BUGS / "dyes.bug", "--data", BUGS / "dyes-data.R", "--init",
                          BUGS / "dyes-inits.R", "--draws", "300", "--chains", "2", "--no-progress")
    assert rc == 0 and "theta" in out and "tau_with" in out, err
    theta = float(out.split("theta", 1)[1].split()[0])
    assert 1450 < theta < 1600                        # the batch means' grand mean is 1527.5
    rc, _, err = inproc(capsys, "infer", BUGS / "dyes.bug", "--data", BUGS / "dyes-data.R", "--init",
                        BUGS / "surgical-data.R", "--draws", "10", "--no-progress")
    assert rc == 1 and "'n' is not a name of the BUGS model" in err


def test_table():
    rc, out, _ = run("table")
    assert rc == 0 and "Beta x Bernoulli" in out and "Wishart" in out


@pytest.mark.slow
def test_demo():
    rc, out, _ = run("demo")
    assert rc == 0 and "mu | rest" in out


def test_model_error_exit_1_with_position_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.lvm"
    bad.write_text("model m {\n  x ~ Normal(mean = 0, sd = -1)\n}\n")
    rc, out, err = run("check", bad)
    assert rc == 1 and "Traceback" not in err
    assert f"{bad}:2:24:" in err and "sd must be positive" in err and "^" in err      # at the argument


def test_bugs_error_exit_1(tmp_path, capsys):
    bad = tmp_path / "bad.bug"
    bad.write_text("model {\n  for (i in 1:N) {\n    y[i] ~ dweib(1, 2)\n  }\n}\n")
    rc, _, err = inproc(capsys, "derive", bad)
    assert rc == 1 and f"{bad}:3:12:" in err and "dweib" in err


def test_data_error_exit_1(tmp_path, capsys):
    data = tmp_path / "d.json"
    data.write_text('{"x": [1.0, 2.0], "extra": [1]}')
    rc, _, err = inproc(capsys, "infer", TEXT / "gmm.lvm", "--data", data, "--draws", "10", "--no-progress")
    assert rc == 1 and "extra" in err
    data.write_text('{"x": [1.0, 2.0')
    rc, _, err = inproc(capsys, "infer", TEXT / "gmm.lvm", "--data", data, "--draws", "10", "--no-progress")
    assert rc == 1 and "not valid JSON" in err


def test_missing_file_and_unknown_variable_exit_1(capsys):
    rc, _, err = inproc(capsys, "check", "no/such/model.lvm")
    assert rc == 1 and "no model file" in err
    rc, _, err = inproc(capsys, "derive", TEXT / "gmm.lvm", "--explain", "nope")
    assert rc == 1 and "'nope' is not an unknown" in err


def test_bad_usage_exit_2():
    rc, _, err = run("infer", "examples/text/gmm.lvm")
    assert rc == 2 and "usage" in err and "--data" in err


@pytest.mark.parametrize("args", [(), ("frobnicate",),
                                  ("infer", "examples/text/gmm.lvm", "--data", "x.json", "--draws", "many"),
                                  ("infer", "examples/text/gmm.lvm", "--data", "examples/text/gmm-data.json",
                                   "--out", "results.txt")])
def test_bad_usage_variants_exit_2(args, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    rc, _, err = inproc(capsys, *args)
    assert rc == 2 and "usage" in err


def test_unreadable_data_and_a_missing_plate_size_are_errors_not_tracebacks(tmp_path, capsys):
    from lvmdsl.cli import main
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe")
    root = Path(__file__).resolve().parents[1] / "examples" / "bugs"
    assert main(["infer", str(root / "line.bug"), "--data", str(bad)]) == 1
    assert "is not UTF-8 text" in capsys.readouterr().err
    assert main(["infer", str(root / "dyes.bug"), "--data", str(root / "line-data.json"), "--draws", "5"]) == 1
    assert "plate 'i' has size 'BATCHES'" in capsys.readouterr().err
