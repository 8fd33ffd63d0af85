"""The docs site builds with ``mkdocs build --strict`` (a warning fails), every page is in its
navigation, every example has a gallery page, and the API reference carries the docstrings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def nav_pages() -> set[str]:
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    out: set[str] = set()

    def walk(node):
        if isinstance(node, str):
            out.add(node)
        elif isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            for n in node.values():
                walk(n)
    walk(config["nav"])
    return out


def test_every_page_is_in_the_navigation():
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert pages == nav_pages()


def test_every_example_has_a_gallery_page():
    examples = {p.stem for p in (ROOT / "examples").glob("*.py") if p.stem.startswith(("gibbs_", "em_"))}
    examples.discard("em_models")
    pages = {p.stem for p in (DOCS / "gallery").glob("*.md")} - {"index"}
    assert examples == pages, "run python docs/make_gallery.py"
    for page in pages:
        text = (DOCS / "gallery" / f"{page}.md").read_text()
        for image in [line.split("](")[1].rstrip(")") for line in text.splitlines() if line.startswith("![")]:
            assert (DOCS / "gallery" / image).exists(), (page, image)


def test_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                          "-d", str(site)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "WARNING" not in run.stderr
    api = (site / "api" / "index.html").read_text()
    for name in ("lvmdsl.infer.infer", "lvmdsl.derive.derivation.derive", "lvmdsl.graph.diagram.graph",
                 "lvmdsl.plot.trace"):
        assert f'id="{name}"' in api, name
    assert "mc_burn" in api and "Gibbs draws of the latents per E-step" in api
    for page in ("conjugacy_table", "derivations", "gallery/gibbs_gmm", "notebooks"):
        assert (site / page / "index.html").exists(), page


def test_generated_pages_are_up_to_date():
    """docs/conjugacy_table.md and docs/derivations.md are what the engine derives today."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_docs", DOCS / "make_docs.py")
    make_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_docs)
    hint = "regenerate with: python docs/make_docs.py"
    assert (DOCS / "conjugacy_table.md").read_text() == make_docs.conjugacy_page(), hint
    assert (DOCS / "derivations.md").read_text() == make_docs.derivations_page(), hint
