"""Index expressions read back as linear algebra, as a textbook writes them.

A canonical term ``c * f_1 * ... * f_m`` summed over bound indices is a chain of matrix and
vector products when every index joins exactly two factors: ``Sum_n X[n,a] X[n,b]`` is X'X,
``Sum_n X[n,a] y[n]`` is X'y, ``Sum_{i,j} w[i] P[i,j] w[j]`` is w'Pw.  An index that a factor
fixes (the target's plate ``k`` in ``lam[k,a,j]``, or a data point routed by ``[z[n] = k]``)
becomes a subscript, so a mixture's statistic reads ``Σ_{n: z[n]=k} x_n x_n'``.  A term that is
no such chain is shown in index notation: the printout is always exact, never a guess.
"""

from __future__ import annotations

import sympy as sp

from .notation import show, show_latex


class _Fail(Exception):
    pass


def _label(f, sub: list, latex: bool) -> str:
    name = show_latex(f.base.label) if latex else str(f.base.label)
    if not sub:
        return name
    idx = ",".join(show_latex(s) if latex else show(s) for s in sub)
    return f"{name}_{{{idx}}}" if latex else f"{name}_{idx}"


def _pieces(t, free: list, latex: bool):
    """(coefficient text, [(label, axes)], routing condition text, sample indices)."""
    c, rest = sp.sympify(t.coef).as_coeff_Mul()
    bound = [b for b, _ in t.bound]
    letters = set(free) | set(bound)
    scalars, mats, cond, sample = [], [], [], set()
    factors = list(sp.Mul.make_args(rest))
    for f in factors:                                   # routing indicators first: [z[n] = k]
        if isinstance(f, sp.KroneckerDelta):
            a, b = f.args
            for side, other in ((a, b), (b, a)):
                if isinstance(side, sp.Indexed) and not (other.free_symbols & set(bound)):
                    sample |= side.free_symbols & set(bound)
                    cond.append((side, other))
                    break
    for f in factors:                                   # indices used only inside an index: sample indices
        for x in f.atoms(sp.Indexed):
            for i in x.indices:
                if not isinstance(i, sp.Symbol):
                    sample |= i.free_symbols & set(bound)
    uses: dict = {}                                      # a bound index on one factor only: a plain sum
    for f in factors:
        if not isinstance(f, sp.KroneckerDelta):
            for x in f.atoms(sp.Indexed):
                for i in x.indices:
                    if i in bound:
                        uses[i] = uses.get(i, 0) + 1
    sample |= {b for b, n in uses.items() if n == 1}
    inner = []
    for f in factors:
        if isinstance(f, sp.KroneckerDelta):
            if any(f == sp.KroneckerDelta(s, o) for s, o in cond):
                continue
            a, b = f.args
            if a in letters and b in letters:
                mats.append(("I", [a, b]))
                continue
            raise _Fail
        if not (f.free_symbols & (letters - sample)):
            (inner if f.free_symbols & sample else scalars).append(f)
            continue
        base, ex = f.as_base_exp()
        if not (isinstance(base, sp.Indexed) and ex.is_Integer and ex > 0):
            raise _Fail
        for _ in range(int(ex)):
            axes = [i for i in base.indices if i in letters and i not in sample]
            sub = [i for i in base.indices if i not in axes]
            if len(axes) > 2 or any(not isinstance(i, sp.Symbol) for i in axes):
                raise _Fail
            mats.append((_label(base, sub, latex), axes))
    coef = c * sp.Mul(*scalars)
    return coef, sp.Mul(*inner), mats, cond, sample


def _chain(mats: list, free: list, latex: bool) -> str:
    """The product along the chain from the first free index to the second (or between vectors)."""
    T = "^{\\top}" if latex else "ᵀ"
    left = list(mats)
    out: list[str] = []

    def take(letter):
        for q, (name, axes) in enumerate(left):
            if letter in axes:
                return left.pop(q)
        return None

    def walk(letter):
        """Follow factors from ``letter``; a vector ends the walk."""
        while True:
            m = take(letter)
            if m is None:
                return letter
            name, axes = m
            if len(axes) == 1:                  # a vector ends the walk as a column
                out.append(name)
                return None
            other = axes[1] if axes[0] == letter else axes[0]
            out.append(name if axes[0] == letter or name == "I" else name + T)
            letter = other

    if len(free) == 2:
        end = walk(free[0])
        if end is None:                         # an outer product: u v'
            end2 = walk(free[1])
            if end2 is not None:
                raise _Fail
            a = out.pop()
            out.append(a[: -len(T)] if a.endswith(T) else a + T)
        elif end != free[1]:
            raise _Fail
    elif len(free) == 1:
        if walk(free[0]) is not None:
            raise _Fail
    else:
        while left:
            name, axes = left[0]
            if len(axes) == 0:
                left.pop(0)
                out.append(name)
                continue
            vec = next((m for m in left if len(m[1]) == 1), None)
            if vec is None:
                raise _Fail
            left.remove(vec)
            out.append(vec[0] + T)
            if walk(vec[1][0]) is not None:
                raise _Fail
    if left:
        raise _Fail
    return " ".join(out)


def _diagonal(t, free: list, latex: bool):
    """``c [a = b] v[a]`` (no sum) as ``c diag(v)``: the precision the elements of a vector
    declared in a plate get from their own priors (ARD's diag(alpha)); None for other terms."""
    if len(free) != 2 or t.bound:
        return None
    a, b = free
    c, rest = sp.sympify(t.coef).as_coeff_Mul()
    factors = list(sp.Mul.make_args(rest))
    delta = sp.KroneckerDelta(a, b)
    if delta not in factors:
        return None
    others = [f for f in factors if f != delta]
    vectors = []
    for f in others:
        f, ex = f.xreplace({b: a}).as_base_exp()
        if not (isinstance(f, sp.Indexed) and f.indices[-1] == a and ex.is_Integer
                and not any(a in sp.sympify(i).free_symbols for i in f.indices[:-1])):
            return None
        label = _label(f, list(f.indices[:-1]), latex)
        if ex == -1:
            label = (r"1 / " if latex else "1/") + label
        elif ex != 1:
            label = f"{label}^{{{ex}}}" if latex else f"{label}^{ex}"
        vectors.append(label)
    if not vectors:
        return None
    body = (r"\operatorname{diag}" if latex else "diag") + "(" + (r" \odot " if latex else " * ").join(vectors) + ")"
    shw = show_latex if latex else show
    return body if c == 1 else ("-" + body if c == -1 else f"{shw(c)} {body}")


def term_linalg(t, free: list, latex: bool = False) -> str:
    """One canonical term in matrix notation over the ``free`` pattern indices (index notation
    when it is not a chain of products)."""
    diag = _diagonal(t, free, latex)
    if diag is not None:
        return diag
    try:
        coef, inner, mats, cond, sample = _pieces(t, free, latex)
        body = _chain(mats, list(free), latex) if mats else ""
    except _Fail:
        return show_latex(t.to_sympy()) if latex else show(t.to_sympy())
    shw = show_latex if latex else show
    c = shw(coef)
    head = "" if coef == 1 else ("-" if coef == -1 else c + " ")
    if inner != 1:
        body = (shw(inner) + " " + body).strip()
    text = (head + body).strip() or "1"
    if not sample:
        return text if body else shw(coef * inner)
    names = ",".join(shw(s) for s in sorted(sample, key=str))
    if cond:
        cond_text = ", ".join(f"{shw(a)} = {shw(b)}" if latex else f"{show(a)}={show(b)}" for a, b in cond)
        under = names + (r":\, " if latex else ": ") + cond_text
    else:
        under = names
    if not body:                                # a count: #{n: z[n]=k}
        count = (r"\#\{" + under + r"\}") if latex else "#{" + under + "}"
        return count if coef == 1 else ("-" + count if coef == -1 else f"{c} {count}")
    return (rf"{head}\sum_{{{under}}} {body}" if latex else f"{head}Σ_{{{under}}} {body}")


def terms_linalg(terms, free: list, latex: bool = False) -> str:
    if not terms:
        return "0"
    parts = [term_linalg(t, free, latex) for t in terms]
    out = parts[0]
    for p in parts[1:]:
        out += f" - {p[1:]}" if p.startswith("-") else f" + {p}"
    return out
