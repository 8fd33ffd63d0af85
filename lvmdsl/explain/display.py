"""Notebook displays: the rich reprs (markdown with LaTeX) of every user-facing object.

Each class has a one-line ``_repr_markdown_`` (or ``_repr_latex_``) that calls a function here, so
the rendering lives in one module and reads the objects only through their public attributes.
Jupyter prefers markdown to LaTeX, so an object with both shows its markdown; the markdown
carries its mathematics as ``$...$`` and ``$$...$$``.

The EM derivation's LaTeX has four parts: Q, the E-step (each latent's conditional given the
parameters), the expected natural parameters E[eta] of each M-step, and the M-step's solution
of dQ/dtheta = 0.  For a scalar parameter that solution is solved here by sympy from
Q(theta) = sum_i eta_i T_i(theta) + log h(theta); for the simplex, vector and matrix families it
is the family's closed form (Lagrange multiplier, linear solve, matrix inverse).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .latex import conditional_latex, explain_latex
from .notation import ReadableLatexPrinter, show_latex

MAX_ELEMENTS = 12       # values shown per array in result tables


def _code(s) -> str:
    return "`" + str(s).replace("`", "'") + "`"


def _text(s) -> str:
    """Plain words inside LaTeX: ``\\text{...}`` with LaTeX's special characters escaped."""
    out = str(s).replace("\\", "\x00")
    for ch, rep in (("_", r"\_"), ("^", r"\^{}"), ("{", r"\{"), ("}", r"\}"), ("#", r"\#"), ("%", r"\%"),
                    ("&", r"\&"), ("$", r"\$")):
        out = out.replace(ch, rep)
    return r"\text{" + out.replace("\x00", r"\textbackslash{}") + "}"


def _cell(s) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


# ------------------------------------------------------------------------------ model
def model_markdown(m) -> str:
    """The declarations as a table: variable, distribution, plates, observed or unknown."""
    lines = [f"**Model `{m.name}`**", "", "| variable | distribution | plates | role |", "|---|---|---|---|"]
    for v in m.variables.values():
        args = ", ".join(f"{k}={e!r}" for k, e in v.given.items())
        plates = ", ".join(f"{p.name} ({p.size})" for p in v.plates) or "-"
        role = "observed" if v.observed else ("parameter (no prior)" if v.family.name == "Param" else "unknown")
        lines.append(f"| {_code(v.name)} | {_cell(_code(f'{v.family.name}({args})'))} | {_cell(plates)} | {role} |")
    if m.consts:
        lines += ["", "Constants: " + ", ".join(_code(c) for c in m.consts)]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ conditionals
def conditional_markdown(c) -> str:
    """One conditional: the result, then its step-by-step derivation, as display maths."""
    if not c.conjugate:
        return nonconjugate_markdown(c)
    return (f"**Complete conditional of `{c.name}`** ({c.rule_name})\n\n$${conditional_latex(c)}$$\n\n"
            f"$${explain_latex(c)}$$")


def nonconjugate_markdown(c) -> str:
    return (f"**`{c.name}`: not conjugate.** {_cell(c.reason)}\n\n"
            "Gibbs sampling updates it with a slice sampler (a `FallbackWarning` says so); "
            "`lv.infer(..., strict=True)` refuses that instead.")


# ------------------------------------------------------------------------------ EM derivation
def _symbol_latex(name: str) -> str:
    return show_latex(sp.Symbol(name))


def _eta_latex(i, p: str) -> str:
    return rf"\eta_{{{i}}}^{{({_symbol_latex(p)})}}"


def scalar_m_step(c, etas: list) -> list:
    """Stationary points of Q(theta) = sum_i eta_i T_i(theta) + log h(theta) for a scalar family
    with statistics T and base measure h (the conditional's), in the symbols ``etas``."""
    if getattr(c, "engine", "element") == "index":
        from ..derive.index_em import ScalarView
        c = ScalarView(c)
    fam = c.family
    theta = sp.Symbol("theta", positive=fam.support.kind in ("positive", "unit"))
    stats = [t.xreplace({c.element: theta}) for t in c.stats]
    Q = sp.Add(*[a * t for a, t in zip(etas, stats)]) + fam.log_base_measure(theta)
    return sp.solve(sp.Eq(sp.diff(Q, theta), 0), theta)


def m_step_solution_latex(e, p: str, ms: dict) -> str:
    """The maximiser of Q over parameter ``p``, in terms of its expected natural parameters."""
    c = e.d[p]
    if not ms.get("stats"):
        return r"&" + _text("; ".join(ms.get("solution", ["numerical maximisation of Q"])[:2]))
    etas = [sp.Symbol(f"eta{i}") for i in range(len(ms["eta"]))]
    names = {s: _eta_latex(i, p) for i, s in enumerate(etas)}
    printer = ReadableLatexPrinter({"symbol_names": names})
    fam = c.family
    if fam.event_ndim == 0:
        sol = scalar_m_step(c, etas)
        rhs = r",\; ".join(printer.doprint(s) for s in sol) or r"\text{no stationary point}"
        element = c.element.scalar() if hasattr(c.element, "scalar") else c.element
        return rf"\hat{{{show_latex(element)}}} &= {rhs}"
    who = _symbol_latex(p)
    eta = rf"\eta^{{({who})}}"
    closed = {
        "Dirichlet": rf"\hat{{{who}}}_k &= \frac{{{eta}_k}}{{\sum_j {eta}_j}}",
        "MultivariateNormal": rf"\hat{{{who}}} &= P^{{-1}} h,\quad h = {eta}_{{\mathrm{{lin}}}},\; "
                              rf"P = -2\, {eta}_{{\mathrm{{quad}}}}",
        "Wishart": rf"\hat{{{who}}} &= -a B^{{-1}},\quad a = {eta}_{{\log|\cdot|}},\; B = {eta}_{{\mathrm{{lin}}}}",
        "InverseWishart": rf"\hat{{{who}}} &= B / a,\quad a = {eta}_{{\log|\cdot|}},\; B = {eta}_{{\mathrm{{inv}}}}",
    }
    return closed.get(fam.name, rf"\hat{{{who}}} &= \text{{the mode of {fam.name} at }} {eta}")


def em_latex(e) -> str:
    """Q, the E-step, each M-step's E[eta] and its solution, as one aligned block."""
    rows = [r"&\textbf{Q}",
            r"Q(\theta, \theta^{\mathrm{old}}) &= " + " + ".join(show_latex(t) for _, t in e.q_terms()),
            r"&\textbf{E-step}"]
    for l in e.latent:
        rows.append(conditional_latex(e.d[l]).replace(r"\sim", r"&\sim", 1))
    rows.append(r"&\textbf{M-step}")
    for p in e.params:
        ms = e.m_step(p)
        for i, eta in enumerate(ms.get("eta", [])):
            rows.append(rf"{_eta_latex(i, p)} &= {show_latex(eta)}")
        rows.append(m_step_solution_latex(e, p, ms))
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


def em_markdown(e) -> str:
    """The EM derivation in sections, each with its display maths."""
    kinds = {p: "maximum likelihood" if e.d[p].flat else "MAP" for p in e.params}
    out = [f"**EM for `{e.model.name}`**: latent {', '.join(_code(l) for l in e.latent) or 'none'}; "
           f"parameters {', '.join(f'{_code(p)} ({k})' for p, k in kinds.items())}", "",
           "*Q, the expected complete-data log-density:*", "",
           "$$Q(\\theta, \\theta^{\\mathrm{old}}) = " + " + ".join(show_latex(t) for _, t in e.q_terms()) + "$$"]
    if e.latent:
        out += ["", "*E-step, each latent given the data and the parameters:*", "",
                "$$\\begin{aligned}" + r" \\ ".join(conditional_latex(e.d[l]).replace(r"\sim", r"&\sim", 1)
                                                    for l in e.latent) + "\\end{aligned}$$"]
    out += ["", "*M-step, each parameter maximises Q = E[eta] . T(theta):*"]
    for p in e.params:
        ms = e.m_step(p)
        rows = [rf"{_eta_latex(i, p)} &= {show_latex(eta)}" for i, eta in enumerate(ms.get("eta", []))]
        rows.append(m_step_solution_latex(e, p, ms))
        out += ["", "$$\\begin{aligned}" + r" \\ ".join(rows) + "\\end{aligned}$$"]
    return "\n".join(out)


# ------------------------------------------------------------------------------ Gibbs
def schedule_markdown(schedule) -> str:
    lines = ["| variable | update | blocking | why |", "|---|---|---|---|"]
    for s in schedule:
        lines.append(f"| {_code(s.name)} | {_cell(s.method)} | {_cell(s.blocking)} | {_cell(s.reason) or '-'} |")
    return "**Gibbs sweep** (in this order)\n\n" + "\n".join(lines)


def _fmt(a) -> str:
    a = np.asarray(a, float)
    flat = a.ravel()
    shown = np.array2string(flat[:MAX_ELEMENTS], precision=4, separator=", ", suppress_small=True,
                            max_line_width=10**6)
    if flat.size > MAX_ELEMENTS:
        shown = shown[:-1] + ", ...]"
    return shown if a.ndim else f"{a.item():.6g}"


def _convergence(d: np.ndarray) -> tuple[str, str]:
    """(max R-hat, min bulk ESS) over the elements of one unknown's draws (ArviZ's estimators)."""
    import arviz as az

    if d.shape[1] < 4:
        return "-", "-"
    ds = az.convert_to_dataset({"v": d})
    rhat = float(np.nanmax(az.rhat(ds)["v"].values)) if d.shape[0] > 1 else float("nan")
    ess = float(np.nanmin(az.ess(ds, method="bulk")["v"].values))
    return ("-" if not np.isfinite(rhat) else f"{rhat:.3f}"), f"{ess:.0f}"


def gibbs_result_markdown(res) -> str:
    """Shape, posterior mean and sd of every stored unknown (flattened), with the largest R-hat
    and the smallest bulk ESS over its elements (continuous unknowns); ``res.summary()`` gives
    them per element."""
    lines = [f"**Gibbs draws of `{res.model.name}`**: {res.chains} chains x {res.n_draws} draws",
             "", "| unknown | shape | mean | sd | max R-hat | min bulk ESS |", "|---|---|---|---|---|---|"]
    for name, d in res.draws.items():
        d = np.asarray(d, float)
        rhat, ess = ("-", "-") if res.model.variables[name].is_discrete else _convergence(d)
        lines.append(f"| {_code(name)} | {d.shape[2:]} | {_fmt(d.mean((0, 1)))} | {_fmt(d.std((0, 1)))} "
                     f"| {rhat} | {ess} |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ EM results
def em_result_markdown(res) -> str:
    state = "converged" if res.converged else "**not converged**"
    ll = np.asarray(res.loglik, float)
    last = f"; log-likelihood {ll[-1]:.6g}" if ll.size and np.isfinite(ll[-1]) else ""
    lines = [f"**{res.method} estimates of `{res.model.name}`**: {state} after {res.n_iter} iterations{last}",
             "", "| parameter | shape | estimate |", "|---|---|---|"]
    for name, v in res.params.items():
        lines.append(f"| {_code(name)} | {np.shape(v)} | {_fmt(v)} |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ others
def conjugacy_table_markdown(table) -> str:
    return "**Conjugate pairs the engine recognises** (each derived by the engine)\n\n" + table.to_markdown()
