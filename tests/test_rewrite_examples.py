"""The augmentation examples run from main() (small settings) and give the answers they promise."""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))
QUICK = ["--quick", "--no-progress", "--draws", "200", "--tune", "100", "--chains", "2"]


def run(name):
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return module.main(QUICK)


def test_augment_probit():
    res, fit = run("augment_probit")
    post = res.draws["w"].reshape(-1, 3)
    assert np.all(np.abs(post.mean(0) - fit.params["w"].ravel()) < 4 * post.std(0))   # posterior near the MLE
    assert [s.method for s in res.schedule][0].startswith("conjugate")


def test_augment_logistic():
    res, fit = run("augment_logistic")
    assert np.allclose(fit.params["w"].ravel(), [1.0, -0.7, 0.3], atol=0.3)
    assert "conjugate PolyaGamma" in str(res.schedule)


def test_augment_lasso():
    res, fit = run("augment_lasso")
    assert abs(float(np.ravel(fit.params["w1"])[0])) < 1e-3 and float(np.ravel(fit.params["w0"])[0]) > 1.0


def test_augment_student_t():
    fit = run("augment_student_t")
    assert np.allclose(fit.params["w"].ravel(), [1.0, -2.0], atol=0.15)


def test_augment_missing(capsys):
    res, fit = run("augment_missing")
    assert "missing or censored" in str(res.schedule) and "y_complete" in res.draws
    assert abs(float(np.ravel(fit.params["b"])[0]) - 2.0) < 0.3


def test_augmentation_doc_is_generated_from_the_registry_and_its_code_runs():
    import re
    docs = EXAMPLES.parent / "docs"
    sys.path.insert(0, str(docs))
    import make_docs
    text = (docs / "augmentation.md").read_text()
    assert text == make_docs.augmentation_page(), "docs/augmentation.md is stale: run python docs/make_docs.py"
    import lvmdsl as lv
    for rule in lv.rewrites():
        assert f"### `{rule.name}`" in text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in re.findall(r"```python\n(.*?)```", text, re.S):
            exec(compile(block, "augmentation.md", "exec"), {})
