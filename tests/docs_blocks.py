"""Fenced code blocks of the project's markdown pages, for the docs test.

A block is a fence of three backticks with a language tag.  The rules, stated once (and in
docs/contributing.md):

- ``python`` blocks run, in order, in one fresh namespace per page, so a page may build on its
  earlier blocks;
- ``bash``/``sh``/``console`` blocks are shell commands; the test checks their shape and runs the
  ones it can run safely;
- ``text`` blocks are output or diagrams and are not run;
- a block preceded by the line ``<!-- norun -->`` is not run (used sparingly: say why beside it);
- a fence without a language tag is an error, so nothing is skipped by accident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NORUN = "<!-- norun -->"
LANGUAGES = {"python", "bash", "sh", "console", "text"}
_FENCE = re.compile(r"^```(\S*)\s*$")


@dataclass
class Block:
    page: Path
    line: int          # 1-based line of the opening fence
    language: str
    source: str
    norun: bool

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    """README.md and every markdown page under docs/ (generated pages included)."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m.group(1)
        j = i + 1
        while j < len(lines) and lines[j].rstrip() != "```":
            j += 1
        if j == len(lines):
            raise ValueError(f"{page}:{start + 1}: fence never closed")
        prev = next((lines[k].strip() for k in range(start - 1, -1, -1) if lines[k].strip()), "")
        out.append(Block(page, start + 1, lang, "\n".join(lines[start + 1:j]) + "\n", prev == NORUN))
        i = j + 1
    return out
