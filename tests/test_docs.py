"""Every fenced code block of README.md and docs/*.md runs as written (rules in tests/docs_blocks.py).

Python blocks of one page run in order in one fresh namespace, with the working directory at the
repository root and matplotlib on its file-only backend.  Shell blocks are not run (they install
packages or regenerate files); the test checks that every script or file they name exists and
that the README's set-up commands keep their documented shape.
"""

from __future__ import annotations

import re
import shlex
import warnings

import pytest

from docs_blocks import LANGUAGES, ROOT, blocks, pages

PAGES = pages()


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_block_is_tagged(page):
    for b in blocks(page):
        assert b.language in LANGUAGES, (
            f"{b.where}: fence language {b.language!r}; tag it as one of {sorted(LANGUAGES)}")


PY_PAGES = [p for p in PAGES if any(b.language == "python" for b in blocks(p))]


@pytest.mark.parametrize("page", PY_PAGES, ids=[str(p.relative_to(ROOT)) for p in PY_PAGES])
def test_python_blocks_run(page, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)        # figures a page saves land in a temporary directory
    (tmp_path / "examples").symlink_to(ROOT / "examples")     # pages read examples/... as from the repository
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    namespace = {"__name__": "__docs__"}
    for b in blocks(page):
        if b.language != "python" or b.norun:
            continue
        code = compile(b.source, b.where, "exec")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                exec(code, namespace)  # noqa: S102 - the project's own documentation
            except Exception as err:   # pragma: no cover - the message is the point
                pytest.fail(f"{b.where}: {type(err).__name__}: {err}")


SETUP = [
    'python3 -m venv .venv && . .venv/bin/activate && pip install -e . && lvmdsl demo',
    'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" && python -m pytest',
]


def test_readme_setup_commands_keep_their_shape():
    first = blocks(ROOT / "README.md")[0]
    assert first.line == 3 and first.language == "bash"
    assert first.source.strip().splitlines() == SETUP


_FILE = re.compile(r"^[\w./-]+\.(py|sh|yml|toml|md)$")


def test_shell_blocks_name_existing_files():
    for page in PAGES:
        for b in blocks(page):
            if b.language not in ("bash", "sh", "console"):
                continue
            for line in b.source.splitlines():
                line = line.removeprefix("$ ").strip()
                if not line or line.startswith("#"):
                    continue
                for token in shlex.split(line, comments=True):
                    if _FILE.match(token) and "/" in token:
                        assert (ROOT / token).exists(), f"{b.where}: {token} does not exist"


def test_norun_marker_is_rare():
    norun = [b.where for p in PAGES for b in blocks(p) if b.norun]
    assert len(norun) <= 3, f"too many blocks skipped: {norun}"


def test_block_parser_sees_the_rules(tmp_path):
    """The parser on a small page: tags, order, the norun marker, an untagged fence."""
    page = tmp_path / "sample.md"
    page.write_text("x\n```python\na = 1\n```\n<!-- norun -->\n\n```bash\nrm -rf /\n```\n```\nplain\n```\n")
    got = [(b.line, b.language, b.source, b.norun) for b in blocks(page)]
    assert got == [(2, "python", "a = 1\n", False), (7, "bash", "rm -rf /\n", True), (10, "", "plain\n", False)]


def test_every_infer_argument_is_documented():
    """Each parameter of lv.infer is described in its docstring and in the argument table of
    docs/gibbs.md or docs/em.md."""
    import inspect

    import lvmdsl as lv

    params = list(inspect.signature(lv.infer).parameters)
    assert len(params) >= 24
    doc = inspect.getdoc(lv.infer)
    tables = (ROOT / "docs" / "gibbs.md").read_text() + (ROOT / "docs" / "em.md").read_text()
    rows = set(re.findall(r"^\| `(\w+)` \|", tables, flags=re.M))
    prose = set(re.findall(r"`(\w+)`", tables))
    for p in params:
        assert f"``{p}``" in doc, f"lv.infer docstring does not describe {p!r}"
        assert p in rows or p in prose, f"docs/gibbs.md and docs/em.md do not describe {p!r}"
    assert {"draws", "tune", "chains", "thin", "keep", "strict", "lp"} <= rows
    assert {"latent", "params", "max_iter", "tol", "restarts", "chunk", "batch_size", "kappa", "anneal",
            "mc_draws", "mc_burn"} <= rows
