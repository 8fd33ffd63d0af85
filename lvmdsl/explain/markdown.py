"""Markdown presentation for notebooks: a table of conditionals with the rule that produced each."""

from __future__ import annotations

from .latex import conditional_latex


def derivation_markdown(d) -> str:
    lines = [f"**Complete conditionals of `{d.model.name}`**", "", "| unknown | rule | conditional |", "|---|---|---|"]
    for c in d.values():
        body = f"${conditional_latex(c)}$" if c.conjugate else str(c.reason).replace("|", "\\|")
        lines.append(f"| `{c.name}` | {c.rule_name} | {body} |")
    return "\n".join(lines)
