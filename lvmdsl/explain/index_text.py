"""Presentations of array-level conditionals (``lv.derive(m, engine="index")``).

The same five steps as the element-level explanation, with every natural parameter shown once
for all entries, in matrix notation where its terms form products (``explain.linalg``): the
regression weights read ``precision = 0.5 I + tau XᵀX``, ``mean = precision⁻¹ (tau Xᵀy)``.
"""

from __future__ import annotations

import sympy as sp

from ..symbolic.canon import Term, merge
from .linalg import terms_linalg
from .notation import show, show_latex
from .steps import summed_over

#: how a reader writes a family's parameters from its natural parameters: (parameter,
#: template, [(natural parameter, scale)]); ``{0}`` is the first scaled natural parameter in
#: matrix notation.  Families not listed are shown through ``from_natural_sym``.
_RECIPES = {
    "MultivariateNormal": [("precision", "{0}", [(1, -2)]), ("mean", "precision⁻¹ ({0})", [(0, 1)])],
    "Wishart": [("scale⁻¹", "{0}", [(0, -2)]), ("df", "{0} + D + 1", [(1, 2)])],
    "InverseWishart": [("scale", "{0}", [(0, -2)]), ("df", "{0} - D - 1", [(1, -2)])],
    "Dirichlet": [("alpha", "{0} + 1", [(0, 1)])],
    "Gamma": [("shape", "{0} + 1", [(0, 1)]), ("rate", "{0}", [(1, -1)])],
    "InverseGamma": [("shape", "{0} - 1", [(0, -1)]), ("scale", "{0}", [(1, -1)])],
    "Normal": [("precision", "{0}", [(1, -2)]), ("mean", "({0}) / precision", [(0, 1)])],
    "Beta": [("a", "{0} + 1", [(0, 1)]), ("b", "{0} + 1", [(1, 1)])],
}
_LATEX = {"precision⁻¹ ({0})": r"\mathrm{{precision}}^{{-1}} \left({0}\right)",
          "({0}) / precision": r"\left({0}\right) / \mathrm{{precision}}"}


def _scaled(terms, k):
    return merge([Term(t.coef * k, t.bound) for t in terms])


def display_terms(c, s: int):
    """Statistic s's terms with its pattern indices named a, b (s for a state) and the bound
    indices i, j, k, ...: the names a reader expects, not the engine's fresh symbols."""
    from ..symbolic.tensor import is_fresh
    taken = {x.name for t in c.natural[s] for x in t.coef.free_symbols if not is_fresh(x)}
    pats = list(c.stats[s].symbols)
    pool = iter(n for n in (["s"] if c.rule == "enumeration" else []) + list("abcdef") if n not in taken)
    swap = {p: sp.Symbol(next(pool), integer=True, nonnegative=True) for p in pats}
    taken |= {v.name for v in swap.values()}
    out = []
    for t in c.natural[s]:
        names = iter(n for n in "ijklmpqr" if n not in taken)
        bswap = {b: sp.Symbol(next(names), integer=True, nonnegative=True) for b, _ in t.bound if is_fresh(b)}
        out.append(Term(t.coef.xreplace({**swap, **bswap}), tuple((bswap.get(b, b), n) for b, n in t.bound)))
    blocks = getattr(c, "blocks", 0)        # block axes read like plates: W[a] is one row
    free = [] if c.rule == "enumeration" else [swap[p] for p in pats[blocks:]]
    return out, free


def params_sym(c) -> dict:
    """Vector and matrix posteriors' parameters as sympy entries at the pattern indices."""
    eta = [sp.Add(*[t.to_sympy() for t in terms]) for terms in c.natural]
    D = sp.Symbol("D", integer=True, positive=True)
    fam = c.family.name
    if fam == "MultivariateNormal":
        P = -2 * eta[1]
        return {"precision": P, "mean": sp.Function("solve")(sp.Symbol("precision"), eta[0])}
    if fam == "Wishart":
        return {"scale_inv": -2 * eta[0], "df": 2 * eta[1] + D + 1}
    if fam == "InverseWishart":
        return {"scale": -2 * eta[0], "df": -2 * eta[1] - D - 1}
    if fam == "Dirichlet":
        return {"alpha": eta[0] + 1}
    return {f"eta{k}": e for k, e in enumerate(eta)}


def element_text(c) -> str:
    """``mu[k]``; a real array updated by row blocks shows its block index: ``W[a]``."""
    names = [p.name for p in c.target.plates]
    if getattr(c, "blocks", 0):
        names += _block_names(c)
    plates = ", ".join(names)
    return f"{c.name}[{plates}]" if plates else c.name


def _block_names(c) -> list[str]:
    """The reader's names of the block axes (as ``display_terms`` names the pattern indices)."""
    from ..symbolic.tensor import is_fresh
    taken = {x.name for t in c.natural[0] for x in t.coef.free_symbols if not is_fresh(x)}
    pool = [n for n in "abcdef" if n not in taken]
    return pool[: c.blocks]


def natural_texts(c, latex: bool = False) -> list[str]:
    return [_linalg(c, s, *display_terms(c, s), latex) for s in range(len(c.natural))]


def _linalg(c, s: int, terms, free, latex: bool = False) -> str:
    """``terms_linalg``, except that the quadratic coefficient of a real matrix updated as one
    block reads as Kronecker products: Σ_n L[a, c] z[n, b] z[n, e] is L ⊗ zᵀz (row-major entries)."""
    st = c.stats[s]
    if not (c.family.name == "MultivariateNormal" and st.symmetric and len(free) == 4):
        return terms_linalg(terms, free, latex)
    rows, cols = [free[0], free[2]], [free[1], free[3]]
    parts = []
    for t in terms:
        k = _kron(t, rows, cols, latex)
        if k is None:
            return terms_linalg(terms, free, latex)
        parts.append(k)
    out = parts[0]
    for p in parts[1:]:
        out += f" - {p[1:]}" if p.startswith("-") else f" + {p}"
    return out


def _kron(t, rows: list, cols: list, latex: bool):
    """One term as A ⊗ B (A over the row indices, B over the column indices), or None."""
    from .linalg import term_linalg
    num, rest = sp.sympify(t.coef).as_coeff_Mul()
    groups = {"r": [], "c": []}
    loose = []
    for f in sp.Mul.make_args(rest):
        syms = f.free_symbols
        side = ("r" if syms & set(rows) else "") + ("c" if syms & set(cols) else "")
        if side == "rc":
            return None
        (groups[side] if side else loose).append(f)
    for f in loose:                     # no pattern index: with the factors sharing its sums, else first
        near = [g for g in "cr" if any(f.free_symbols & h.free_symbols for h in groups[g])]
        groups[near[0] if near else "r"].append(f)
    bound = {"r": [], "c": []}
    for b, n in t.bound:
        where = [g for g in "rc" if any(b in f.free_symbols for f in groups[g])]
        if len(where) != 1:
            return None
        bound[where[0]].append((b, n))
    if not any(f.free_symbols & set(rows) for f in groups["r"]) or not groups["c"]:
        return None
    A = Term(num * sp.Mul(*groups["r"]), tuple(bound["r"]))    # the number leads: -1/2 L ⊗ zᵀ z
    B = Term(sp.Mul(*groups["c"]), tuple(bound["c"]))
    a, b = term_linalg(A, rows, latex), term_linalg(B, cols, latex)
    if b == "I" and (a == "I" or a.endswith(" I")):          # c I ⊗ I is c I
        return a
    kron = r" \otimes " if latex else " ⊗ "
    return f"{a}{kron}{b}"


def params_texts(c, latex: bool = False) -> list[tuple[str, str]]:
    """(parameter, expression) for the posterior, in matrix notation where possible."""
    fam = c.family.name
    if c.rule == "enumeration":
        return [("p[s]", ("\\propto \\exp " if latex else "∝ exp ") + "(" + natural_texts(c, latex)[0] + ")")]
    if fam in _RECIPES and (c.family.event_ndim or getattr(c, "blocks", 0) or not any(st.indices for st in c.stats)):
        out = []
        for name, template, parts in _RECIPES[fam]:
            texts = []
            shift = {"{0} + 1": 1, "{0} - 1": -1}.get(template)
            for s, k in parts:
                terms, free = display_terms(c, s)
                scaled = _scaled(terms, k)
                if shift is not None:               # fold the +1 into the constant terms
                    scaled = merge(scaled + [Term(sp.Integer(shift))])
                texts.append(_linalg(c, s, scaled, free, latex))
            if shift is not None:
                template = "{0}"
            out.append((name, (_LATEX.get(template, template) if latex else template).format(*texts)))
        return out
    natural = [sp.Add(*[t.to_sympy() for t in terms]) for terms in c.natural]
    params = c.family.from_natural_sym(natural)
    shw = show_latex if latex else show
    return [(k, shw(v)) for k, v in params.items()]


def _pretty(e, fixed: dict | None = None):
    """``e`` with the engine's fresh index symbols renamed i, j, k, ... (pattern ones by ``fixed``)."""
    from ..symbolic.tensor import is_fresh
    e = sp.sympify(e).xreplace(fixed or {})
    taken = {x.name for x in e.free_symbols}
    order = []
    for node in sp.preorder_traversal(e):
        if is_fresh(node) and node not in order:
            order.append(node)
    pool = (n for n in "ijlmpqruvw" if n not in taken)
    return e.xreplace({x: sp.Symbol(next(pool), integer=True, nonnegative=True) for x in order})


def _pattern_names(c) -> dict:
    names, pool = {}, iter("abcdef")
    for st in c.stats:
        for x in st.symbols:
            if x in names:                      # one pattern index shared by two statistics: one name
                continue
            names[x] = sp.Symbol("s" if c.rule == "enumeration" else next(pool), integer=True, nonnegative=True)
    return names


def index_summary(c) -> str:
    if not c.conjugate:
        return f"{c.name} | rest: NOT CONJUGATE: {c.reason}"
    params = ", ".join(f"{k} = {v}" for k, v in params_texts(c))
    return f"{element_text(c)} | rest ~ {c.family.name}({params})   [{c.rule_name}]"


def index_explain(c) -> str:
    el = element_text(c)
    if not c.conjugate:
        return (f"{c.name}: no conjugate complete conditional.\n  {c.reason}\n"
                "  The Gibbs sampler updates it with a named fallback (slice sampling); strict mode makes this an error.")
    out = [f"Complete conditional of {el}   (rule: {c.rule_name}; derived once for every size of its axes)", ""]
    out.append("1. Prior times likelihood: keep the factors of the joint that contain " + el + ":")
    out.append(f"   p({el} | rest) ∝ p({el} | parents)" + "".join(f" × Π p({f.name} | ...)" for f in c.factors[1:]))
    out.append("")
    out.append("2. Log form, canonical: each factor's log-density as a sum of products over its indices:")
    for i, f in enumerate(c.factors):
        body = " + ".join(show(_pretty(t.to_sympy())) for t in f.terms[:6]) + (" + ..." if len(f.terms) > 6 else "")
        out.append(f"   log p({f.name} | ...) = {body or '0'}")
    out.append("")
    pn = _pattern_names(c)
    stats = ", ".join(show(_pretty(s.expr, pn)) for s in c.stats)
    if c.rule == "enumeration":
        out.append(f"3. {el} takes {c.n_states} values s: the coefficient of [{el} = s] is every factor at s.")
    else:
        opened = getattr(c.target, "opened", ())
        if opened:
            plates = ", ".join(p.name for p in opened)
            out.append(f"3. A factor sums over plate {plates} of {c.name}, which links its elements: {c.name} is one "
                       f"vector over plate {plates},")
            out.append(f"   with the statistics of a real vector T = ({stats}); each element's "
                       f"{c.prior_family.name} prior, summed over {plates}, gives a diagonal part.")
        else:
            out.append(f"3. The {c.prior_family.name} prior has sufficient statistics T = ({stats}), for symbolic indices.")
        out.append("   Each term is matched to a statistic; the coefficients, collected from each factor:")
        for f in c.factors:
            own = opened and all(p in f.variable.plates for p in opened)   # summed over the opened plates first
            parts = [f"{show(_pretty(st.expr, pn))}: "
                     f"{_linalg(c, s, merge(_opened_sum(c, f, k) if own else k), list(st.symbols[getattr(c, 'blocks', 0):]))}"
                     for s, (st, k) in enumerate(zip(c.stats, f.coefficients)) if k]
            where = summed_over(c, f)
            out.append(f"   {f.name}: " + ("; ".join(parts) or "no term") + (f"   ({where})" if where else ""))
    out.append("")
    out.append(f"4. Natural parameters of {el} | rest, summed over the plates:")
    for st, text in zip(c.stats, natural_texts(c)):
        out.append(f"   eta[{show(_pretty(st.expr, pn))}] = {text}")
    out.append("")
    out.append(f"5. {el} | rest ~ {c.family.name} with")
    for k, v in params_texts(c):
        out.append(f"   {k} = {v}")
    return "\n".join(out)


def _opened_sum(c, f, terms):
    """A factor's coefficients summed over the target's opened plates (its deltas contracted)."""
    from ..symbolic.canon import contract
    from ..symbolic.lower import plate_symbol, size_symbol
    out = []
    for t in terms:
        bound = tuple(t.bound) + tuple((plate_symbol(p), size_symbol(p)) for p in c.target.opened)
        k = contract(Term(t.coef, bound))
        if k is not None:
            out.append(k)
    return out


def index_explain_latex(c) -> str:
    """The derivation as an aligned LaTeX block: natural parameters, then the posterior."""
    if not c.conjugate:
        return index_latex(c)
    rows = [rf"\eta\left[{show_latex(st.expr)}\right] &= {text}" for st, text in zip(c.stats, natural_texts(c, True))]
    rows += [rf"\mathrm{{{k}}} &= {v}" for k, v in params_texts(c, latex=True)]
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


def index_latex(c) -> str:
    if not c.conjugate:
        return r"\text{%s: not conjugate}" % c.name
    params = r",\; ".join(f"\\mathrm{{{k}}} = {v}" for k, v in params_texts(c, latex=True))
    from ..symbolic.lower import plate_symbol
    plates = [plate_symbol(p) for p in c.target.plates]
    if getattr(c, "blocks", 0):                 # W_a: one row block
        plates += [sp.Symbol(n, integer=True, nonnegative=True) for n in _block_names(c)]
    label = show_latex(sp.IndexedBase(c.name)[tuple(plates)] if plates else sp.Symbol(c.name))
    return rf"{label} \mid \text{{rest}} \sim \mathrm{{{c.family.name}}}\left({params}\right)"
