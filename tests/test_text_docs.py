"""The code blocks of docs/text-language.md and the shell lines of README.md that call ``lvmdsl`` run
as written, from the repository root."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def blocks(path: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", path.read_text(), re.S)


def test_python_blocks_of_the_text_language_page_run(monkeypatch):
    monkeypatch.chdir(ROOT)
    for code in blocks(ROOT / "docs" / "text-language.md", "python"):
        exec(compile(code, "docs/text-language.md", "exec"), {})      # the docs' own code, not model text


def shell_lines():
    lines = []
    for path in (ROOT / "docs" / "text-language.md", ROOT / "README.md"):
        for block in blocks(path, "bash"):
            lines += [(path.name, ln) for ln in block.splitlines() if ln.startswith("lvmdsl ")]
    return lines


@pytest.mark.parametrize("where, line", shell_lines())
def test_shell_lines_run(where, line):
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    before = set(ROOT.iterdir())
    try:
        p = subprocess.run(line, shell=True, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    finally:
        for new in set(ROOT.iterdir()) - before:          # results the line wrote (--out rats.csv)
            new.unlink()
    assert p.returncode == 0, (where, line, p.stderr[-2000:])
