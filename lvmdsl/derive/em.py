"""``lv.derive(model, method="em")``: Q, the E-step and the M-steps, derived symbolically.

Built on the complete conditionals: the E-step of a latent is its conditional given the
parameters; the M-step of a parameter maximises Q, which as a function of that parameter is
E[eta] . T(theta) (+ log h), where E[eta] is its conditional's natural parameters with every
function of a latent replaced by its expectation under the E-step posterior.  The maximiser
solves dQ/dtheta = 0: for scalar families sympy solves that equation here, for the simplex a
Lagrange multiplier enforces sum = 1, and for vectors and matrices the family's formula
(a linear solve, a matrix inverse) is the solution.
"""

from __future__ import annotations

import sympy as sp

from ..explain.notation import show, show_latex
from ..frontend.expr import ModelError
from ..rules.conjugate import lower_factor, target_atoms
from ..symbolic.lower import plate_symbol, size_symbol
from .conditionals import Conditional


class EMDerivation:
    """Q, E-step and M-step of one model for a split into latents and parameters."""

    def __init__(self, derivation, latent=None, params=None):
        from ..runtime.em import split_unknowns
        self.d, self.model = derivation, derivation.model
        self.latent, self.params = split_unknowns(derivation, latent, params)
        self.r = {l: sp.IndexedBase(f"r_{l}") for l in self.latent}

    def __str__(self):
        return em_text(self)

    def __repr__(self):
        return f"<EM derivation of {self.model.name!r}: latent {', '.join(self.latent) or '-'}; params {', '.join(self.params)}>"

    def explain(self, name: str) -> str:
        """A latent's E-step derivation, or a parameter's M-step."""
        if name in self.latent:
            return "E-step of " + name + ": its complete conditional given the parameters.\n" + self.d.explain(name)
        if name not in self.params:
            raise ModelError(f"{name!r} is neither a latent ({', '.join(self.latent) or 'none'}) nor a parameter "
                             f"({', '.join(self.params)}) of this EM derivation")
        ms = self.m_step(name)
        lines = [f"M-step of {name}: maximise Q over {name}; the terms of Q that contain it are linear in "
                 f"T = ({', '.join(show(t) for t in ms['stats'])}):"]
        etas = ms.get("eta_text") or [show(e) for e in ms["eta"]]
        lines += [f"  eta{i} = E[coefficient of {show(t)}] = {e}" for i, (t, e) in enumerate(zip(ms["stats"], etas))]
        lines += [f"  {line}" for line in ms["solution"]]
        return "\n".join(lines)

    def to_latex(self) -> str:
        return em_latex(self)

    def _repr_latex_(self):
        from ..explain.display import em_latex as full      # Q, E-step, M-step E[eta] and solutions
        return "$$" + full(self) + "$$"

    def _repr_markdown_(self):
        from ..explain.display import em_markdown
        return em_markdown(self)

    def source(self) -> str:
        """The generated numpy E- and M-steps."""
        from ..codegen.em import EMCodegen
        return EMCodegen(self.d, self.latent, self.params).source

    def _numeric_m_step(self, name, c) -> dict:
        """No closed form: the terms of Q with the parameter, and dQ/dtheta, which the runtime
        hands to scipy.optimize (generalised EM)."""
        elem = c.factors[0].logdensity if c.factors else None
        terms = [(v, t) for v, t in self.q_terms() if target_atoms(t, name)]
        atoms = sorted({a for _, t in terms for a in target_atoms(t, name)}, key=sp.default_sort_key)
        lines = [f"no closed form ({c.reason})",
                 "generalised EM: Q is increased numerically (scipy.optimize L-BFGS, log scale for a positive "
                 "parameter) with the symbolic gradient"]
        for v, t in terms:
            lines.append(f"Q contains  {show(t)}   [{v}]")
            for a in atoms[:2]:
                lines.append(f"dQ/d{show(a)} = {show(sp.diff(t, a))}")
        return {"family": c.target.family.name, "stats": [], "eta": [], "element": elem, "flat": True,
                "solution": lines}

    # ------------------------------------------------------------------ expectations
    def expect(self, expr):
        """E[expr] under the E-step posteriors, for display (``r_z[n, k]``, ``E[z[n, 0]*z[n, 1]]``)."""
        expr = sp.sympify(expr)
        if isinstance(expr, sp.Sum):
            return sp.Sum(self.expect(expr.function), *expr.limits)
        if isinstance(expr, sp.Add):
            return sp.Add(*[self.expect(a) for a in expr.args])
        for l in self.latent:
            c = self.d[l]
            atoms = target_atoms(expr, l)
            if not atoms:
                continue
            if c.rule == "enumeration":
                expr = self._expect_discrete(expr, l, atoms)
            else:
                expr = self._expect_continuous(expr, l, atoms)
        return expr

    def _expect_discrete(self, expr, l, atoms):
        deltas = [a for a in expr.atoms(sp.KroneckerDelta) if target_atoms(a, l)]
        swap = {}
        for dlt in deltas:
            a, b = dlt.args
            atom, other = (a, b) if target_atoms(a, l) else (b, a)
            lead = atom.indices if isinstance(atom, sp.Indexed) else ()
            swap[dlt] = self.r[l][tuple(lead) + (other,)]
        expr = expr.xreplace(swap)
        left = target_atoms(expr, l)
        if not left:
            return expr
        atom = left[0]
        lead = tuple(atom.indices) if isinstance(atom, sp.Indexed) else ()
        s = sp.Symbol("s", integer=True, nonnegative=True)
        n_states = self.d[l].n_states
        return sp.Sum(self.r[l][lead + (s,)] * expr.xreplace({atom: s}), (s, 0, n_states - 1))

    def _expect_continuous(self, expr, l, atoms):
        out = sp.Integer(0)
        for term in sp.Add.make_args(sp.expand(expr)):
            ta = target_atoms(term, l)
            if not ta:
                out += term
                continue
            outside, form = term.as_independent(*ta, as_Add=False)
            out += outside * sp.Function("E")(form)
        return out

    # ------------------------------------------------------------------ pieces
    def q_terms(self) -> list[tuple[str, sp.Expr]]:
        """(variable, E[log p(variable | parents)] for one element, summed over its plates)."""
        out = []
        for v in self.model.variables.values():
            if v.name in self.params and getattr(self.d[v.name], "flat", False):
                continue
            logf = lower_factor(v)
            limits = [(plate_symbol(p), 0, size_symbol(p) - 1) for p in v.plates]
            body = self.expect(logf)
            out.append((v.name, sp.Sum(body, *limits) if limits else body))
        return out

    def q_texts(self) -> list[tuple[str, str]]:
        return [(v, show(t)) for v, t in self.q_terms()]

    def latent_summary(self, name: str) -> str:
        from ..explain.text import conditional_summary
        return conditional_summary(self.d[name])

    def expectations(self) -> list[str]:
        """The expectations Q needs, named: responsibilities and moments of the latents."""
        lines = []
        for l in self.latent:
            c, v = self.d[l], self.model.variables[l]
            idx = ", ".join(str(plate_symbol(p)) for p in v.plates)
            lines.append(self.expectation_line(l, c, f"{l}[{idx}]" if idx else l, idx))
        return lines

    def expectation_line(self, l: str, c, el: str, idx: str) -> str:
        if c.rule == "enumeration":
            return f"r_{l}[{idx + ', ' if idx else ''}k] = E[[{el} = k]] = p({el} = k | data, theta_old)"
        stats = c.family.sufficient_stats(c.element, None)
        return f"E[T({el})] for T = ({', '.join(show(t) for t in stats)}) under {el} | data, theta_old"

    def m_step(self, name: str) -> dict:
        """The M-step of one parameter: statistics, expected natural parameters, the solution."""
        c = self.d[name]
        if not isinstance(c, Conditional):
            return self._numeric_m_step(name, c)
        eta = [self.expect(e) for e in c.natural]
        sym = [sp.Symbol(f"eta{i}") for i in range(len(eta))]
        return {"family": c.family.name, "stats": c.stats, "eta": eta, "element": c.element,
                "flat": c.flat, "solution": argmax_steps(c, sym)}


def argmax_steps(c: Conditional, eta: list) -> list[str]:
    """How dQ/dtheta = 0 is solved for natural parameters ``eta`` (symbols), as text lines."""
    name = c.family.name
    x = c.element
    if c.family.event_ndim == 0:
        theta = sp.Symbol("theta", positive=c.family.support.kind in ("positive", "unit"))
        stats = [t.xreplace({x: theta}) for t in c.stats]
        Q = sp.Add(*[e * t for e, t in zip(eta, stats)]) + c.family.log_base_measure(theta)
        dQ = sp.diff(Q, theta)
        sol = sp.solve(sp.Eq(dQ, 0), theta)
        return [f"Q(theta) = {show(Q)}", f"dQ/dtheta = {show(sp.simplify(dQ))} = 0",
                f"theta = {', '.join(show(s) for s in sol) or 'no stationary point'}"]
    if name == "Dirichlet":
        st = c.stats[0]
        K = st.indices[0][1] if len(c.stats) == 1 and getattr(st, "indices", None) else len(c.stats)
        return [f"Q(pi) = sum_k eta_k log pi_k with sum_k pi_k = 1 (K = {K})",
                "Lagrangian L = sum_k eta_k log pi_k + lambda (1 - sum_k pi_k)",
                "dL/dpi_k = eta_k / pi_k - lambda = 0  =>  pi_k = eta_k / lambda",
                "sum_k pi_k = 1  =>  lambda = sum_j eta_j,  so  pi_k = eta_k / sum_j eta_j"]
    if name == "MultivariateNormal":
        return ["Q(m) = h . m - m' P m / 2, with h the linear and P = -2 x (quadratic) coefficients",
                "dQ/dm = h - P m = 0  =>  m = P^-1 h  (a linear solve; P is positive definite)"]
    if name == "Wishart":
        return ["Q(L) = a log|L| + tr(B L), a the log-det and B the linear coefficients (symmetric)",
                "dQ/dL = a L^-1 + B = 0  =>  L = -a B^-1  (a symmetric positive-definite matrix)"]
    if name == "InverseWishart":
        return ["Q(S) = a log|S| + tr(B S^-1), a the log-det and B the coefficients of S^-1 (symmetric)",
                "dQ/dS = a S^-1 - S^-1 B S^-1 = 0  =>  S = B / a  (a symmetric positive-definite matrix)"]
    return [f"theta = the mode of {name} at the natural parameters eta"]


def em_text(e) -> str:
    """The EM derivation as plain text: split, Q, expectations, E-step, M-steps (for either
    engine: ``e.q_texts()``, ``e.latent_summary(l)`` and ``e.m_step(p)`` say it in its notation)."""
    out = [f"EM for model {e.model.name!r}{getattr(e, 'title_note', '')}",
           f"  latent (E-step): {', '.join(e.latent) or 'none'}",
           f"  parameters (M-step): {', '.join(e.params)}"
           + "".join(f"\n    {p}: {'maximum likelihood (no prior)' if e.d[p].flat else 'MAP (its prior enters Q)'}"
                     for p in e.params), ""]
    out.append("Q(theta, theta_old) = E[log p(data, latents, theta)] under p(latents | data, theta_old):")
    for v, text in e.q_texts():
        out.append(f"  + {text}        [{v}]")
    out += ["", "Expectations Q needs:"] + [f"  {line}" for line in e.expectations()]
    out += ["", "E-step: each latent's posterior given the data and the current parameters:"]
    for l in e.latent:
        out.append("  " + e.latent_summary(l))
    out += ["", "M-step: each parameter maximises Q, which is E[eta] . T(theta) in its statistics T:"]
    for p in e.params:
        ms = e.m_step(p)
        kind = ("numerical M-step" if not ms["stats"] else
                f"{'statistics of ' if ms['flat'] else 'conjugate '}{ms['family']}")
        out.append(f"  {p} ({kind}):")
        etas = ms.get("eta_text") or [show(x) for x in ms["eta"]]
        for i, (t, eta) in enumerate(zip(ms["stats"], etas)):
            out.append(f"    eta{i} = E[coefficient of {show(t)}] = {eta}")
        for line in ms["solution"]:
            out.append(f"    {line}")
    return "\n".join(out)


def em_latex(e: EMDerivation) -> str:
    """The same as aligned LaTeX."""
    rows = [r"Q(\theta, \theta^{\mathrm{old}}) &= " + " + ".join(show_latex(t) for _, t in e.q_terms())]
    for p in e.params:
        ms = e.m_step(p)
        for i, eta in enumerate(ms["eta"]):
            rows.append(rf"\eta_{{{i}}}^{{\mathrm{{{p}}}}} &= {show_latex(eta)}")
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"
