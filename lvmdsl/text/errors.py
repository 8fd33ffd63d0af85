"""Errors in model text: where (file:line:column), the offending line with a caret, and what was expected.

Every syntax or meaning error of the text front ends is a ``TextError``, a ``lvmdsl.ModelError``,
so code that catches model errors catches these too.  The message reads::

    rats.bug:4:17: unknown distribution 'dnrom'
        Y[i, j] ~ dnrom(mu[i, j], tau.c)
                  ^
    expected: one of dbern, dbeta, ...
"""

from __future__ import annotations

from ..frontend.expr import ModelError


class TextError(ModelError):
    """A model text that cannot be read; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, source: str, line: int, column: int, filename: str = "<text>",
                 expected: str | None = None):
        self.message, self.source, self.filename = message, source, filename
        self.line, self.column, self.expected = int(line), int(column), expected
        super().__init__(self.render())

    def render(self) -> str:
        lines = self.source.splitlines() or [""]
        text = lines[self.line - 1] if 1 <= self.line <= len(lines) else ""
        shown = text.replace("\t", " ")              # one column per character, so the caret lines up
        out = [f"{self.filename}:{self.line}:{self.column}: {self.message}", "    " + shown,
               "    " + " " * (self.column - 1) + "^"]
        if self.expected:
            out.append(f"expected: {self.expected}")
        return "\n".join(out)


class SourceText:
    """The text being read and its file name: makes ``TextError``s at positions."""

    def __init__(self, text: str, filename: str = "<text>"):
        self.text, self.filename = text, filename

    def error(self, message: str, pos, expected: str | None = None) -> TextError:
        line, column = (pos.line, pos.column) if pos is not None else (1, 1)
        return TextError(message, self.text, line, column, self.filename, expected)
