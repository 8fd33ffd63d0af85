"""How expressions are shown to a reader: plate sums as Σ, allocation indicators as conditions.

sympy prints a sum over a plate as ``Sum(KroneckerDelta(k, z[n])*x[n], (n, 0, N - 1))``; a
person writes ``Σ_{n: z[n]=k} x[n]``.  The printers here change only how sums and indicators look
(the limits of a plate sum always run over the whole plate, so the plate symbol names them);
every other node prints as sympy prints it.  ``show`` is plain text, ``show_latex`` LaTeX.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter


def split_indicator(s: sp.Sum):
    """``(delta, rest)`` when the summand is ``[a = b] * rest`` with one indicator over a summed index."""
    summed = {lim[0] for lim in s.limits}
    deltas = [f for f in sp.Mul.make_args(s.function)
              if isinstance(f, sp.KroneckerDelta) and f.free_symbols & summed]
    if len(deltas) != 1:
        return None, s.function
    return deltas[0], s.function / deltas[0]


def _ordered(delta: sp.KroneckerDelta, summed: set):
    """The indicator's sides with the one that reads a summed index first: ``z[n] = k``."""
    a, b = delta.args
    return (a, b) if a.free_symbols & summed else (b, a)


def _variable_first(delta: sp.KroneckerDelta):
    """An indicator's sides as a person writes them: ``[z[n] = 0]``, the indexed variable first."""
    a, b = delta.args
    return (b, a) if isinstance(b, sp.Indexed) and not isinstance(a, sp.Indexed) else (a, b)


class ReadableStrPrinter(StrPrinter):
    """Σ_{n: z[n]=k} body; a Σ inside a larger expression is parenthesised, so nothing after it
    reads as part of its summand."""

    def _print_Sum(self, expr):
        summed = {lim[0] for lim in expr.limits}
        delta, body = split_indicator(expr)
        under = ",".join(self._print(lim[0]) for lim in expr.limits)
        if delta is not None:
            lhs, rhs = _ordered(delta, summed)
            under += f": {self._print(lhs)}={self._print(rhs)}"
        sub = under if len(under) == 1 else "{" + under + "}"
        out = f"Σ_{sub} {self.parenthesize(body, PRECEDENCE['Mul'], strict=True)}"
        return out if self._print_level == 1 else f"({out})"      # 1: the whole expression

    def _print_KroneckerDelta(self, expr):
        a, b = _variable_first(expr)
        return f"[{self._print(a)} = {self._print(b)}]"


# Constants whose LaTeX a user's name could take: a variable named ``pi`` would print as
# ``\pi``, the same glyph as the constant in ``\log(2\pi)``.  ``E`` and ``I`` read as the
# expectation and the identity.  Such names print in bold (``\boldsymbol{\pi}``), everywhere.
# (The imaginary unit is left out: derivations never contain it, and ``i`` is a common plate index.)
_CONSTANTS = (sp.pi, sp.E, sp.EulerGamma, sp.GoldenRatio, sp.Catalan, sp.oo)
CLASHING_NAMES = frozenset({"E", "I"})


def _clashes(name: str) -> bool:
    from sympy.printing.conventions import split_super_sub
    base = split_super_sub(name)[0]
    shown = LatexPrinter()._print_Symbol(sp.Symbol(base))
    return base in CLASHING_NAMES or shown in {sp.latex(c) for c in _CONSTANTS}


class ReadableLatexPrinter(LatexPrinter):
    """\\sum_{n:\\, z_n = k} body: the condition under the sum instead of a Kronecker delta
    (sums without one keep sympy's limits); a user's name that would print as a constant
    (``pi``, ``e``, ``gamma``, ``phi``, ``E``, ``I``) in bold, so it cannot be read as one."""

    def _print_Symbol(self, expr, style="plain"):
        if expr.name.startswith("_") or expr.name.endswith("_") or "__" in expr.name:
            # sympy would read the underscores as subscripts (``mu_`` as ``mu`` with an empty one,
            # ``_mu`` as a dangling subscript): such a name prints as itself, so it stays distinct
            return r"\mathrm{" + expr.name.replace("_", r"\_") + "}"
        out = super()._print_Symbol(expr, style)
        if expr in self._settings["symbol_names"] or not _clashes(expr.name):
            return out
        from sympy.printing.conventions import split_super_sub
        base = split_super_sub(expr.name)[0]
        head = LatexPrinter()._print_Symbol(sp.Symbol(base))
        return r"\boldsymbol{" + head + "}" + out[len(head):] if out.startswith(head) else out

    def _print_Sum(self, expr):
        summed = {lim[0] for lim in expr.limits}
        delta, body = split_indicator(expr)
        if delta is None:                   # a whole plate: sympy's limits say its range
            return super()._print_Sum(expr)
        lhs, rhs = _ordered(delta, summed)
        under = ", ".join(self._print(lim[0]) for lim in expr.limits)
        under += rf":\, {self._print(lhs)} = {self._print(rhs)}"
        return rf"\sum_{{{under}}} {self.parenthesize(body, PRECEDENCE['Mul'], strict=True)}"

    def _print_KroneckerDelta(self, expr, exp=None):
        a, b = _variable_first(expr)
        out = rf"\left[{self._print(a)} = {self._print(b)}\right]"
        return out if exp is None else rf"{out}^{{{exp}}}"


def show(e) -> str:
    """Plain text for a reader (Σ for plate sums)."""
    return ReadableStrPrinter().doprint(e)


def show_latex(e) -> str:
    """LaTeX for a reader (\\sum over the plate, conditions under the sum)."""
    return ReadableLatexPrinter().doprint(e)
