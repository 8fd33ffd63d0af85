"""Code generation for EM: E-steps from the latents' conditionals, M-steps from the parameters'.

The E-step of a latent is its complete conditional given the parameters (the same generated
computation of natural parameters as a Gibbs update, returned instead of drawn).  The M-step of
a parameter maximises Q, the expected complete-data log-density; Q is linear in the parameter's
sufficient statistics with coefficients E[eta], the expectation of its conditional's natural
parameters under the E-step posteriors, so the M-step is ``argmax_natural(E[eta])``.  Taking that
expectation is a rewrite of each coefficient term:

* a discrete latent read as an index (``mu[z[n]]``) weights term n by the responsibility
  ``r[n, k]`` of the element k it selects, and the weighted sums over n of a whole stack of
  data terms are one matrix product (``einsum`` over responsibilities and features);
* elsewhere, a discrete latent's indicator ``[z[n] = s]`` becomes ``r[n, s]`` and any other
  function f(z[n]) becomes sum_s r[n, s] f(s);
* a continuous latent enters through its sufficient statistics (``z_i``, ``z_i z_j``), whose
  expectations the E-step provides; anything else has no closed form (use Monte Carlo EM).
"""

from __future__ import annotations

import string

import sympy as sp

from ..derive.conditionals import Conditional
from ..frontend.expr import ModelError
from ..rules.conjugate import Factor, NotConjugate, collect, target_atoms
from ..symbolic.centring import expand_uncentred
from ..symbolic.lower import plate_symbol
from .gibbs import GibbsCodegen, Piece, _Block, _frame
from .names import join_key
from .printer import FramePrinter, ident


def expectation_name(latent: str) -> str:
    return f"E_{latent}"


class LatentInfo:
    """What the M-step rewrite needs to know about one latent."""

    def __init__(self, cond: Conditional):
        self.cond, self.name = cond, cond.name
        self.var = cond.target
        self.discrete = cond.rule == "enumeration"
        self.n_states = cond.n_states
        self.E = sp.IndexedBase(expectation_name(self.name))

    def atoms(self, expr) -> list:
        return target_atoms(expr, self.name)

    def lead_of(self, atom) -> tuple:
        m = len(self.var.plates)
        if isinstance(atom, sp.Indexed):
            return tuple(atom.indices[:m])
        return ()

    def element(self, lead: tuple):
        """The latent's element at ``lead`` as the family's statistics expect it (scalar or array)."""
        import numpy as np
        shape = tuple(self.var.event_shape)
        if not shape and not lead:
            return sp.Symbol(self.name)
        base = sp.IndexedBase(self.name)
        if not shape:
            return base[lead]
        out = np.empty(shape, dtype=object)
        for pos in np.ndindex(shape):
            out[pos] = base[tuple(lead) + tuple(sp.Integer(i) for i in pos)]
        return out

    def expected(self, lead: tuple, j: int):
        return self.E[tuple(lead) + (sp.Integer(j),)]


class EMCodegen(GibbsCodegen):
    """The generated module of an EM program: ``estep_<latent>`` and ``mstep_<param>`` functions."""

    kind = "EM steps (restarts on the leading axis, called chains C)"
    cache_weights = True

    def __init__(self, derivation, latent: list[str], params: list[str]):
        self.latent_names, self.param_names = list(latent), list(params)
        self.info = {n: LatentInfo(derivation[n]) for n in latent}
        self.pure: dict[str, bool] = {}
        super().__init__(derivation)

    @property
    def override(self) -> dict:
        return {expectation_name(n): f"E[{n!r}]" for n in self.latent_names}

    def build(self):
        for name in self.latent_names:
            cond = self.d[name]
            fn = self.natural_block(cond, f"estep_{ident(name)}(S, D, DI, Z, P, Wc=None)",
                                    f"E-step: natural parameters of {name} | data, parameters ({cond.rule_name}).")
            fn.add("return eta")
            self.functions["estep_" + name] = fn.text()
        self._stats_parts: dict = {}
        for name in self.param_names:
            if isinstance(self.d[name], Conditional):
                self.functions["mstep_" + name] = self.mstep(self.d[name])
            else:
                self.pure[name] = False
                self.functions["q_" + name] = self.q_function(self.d[name])
        self.functions["stats_all"] = self.stats_all()

    def q_function(self, cond) -> str:
        """Generalised EM for a parameter with no closed-form M-step: Q and its symbolic gradient.

        ``q_<p>(X, S, E, ...)`` returns (Q, dQ/dX) per element of the parameter at candidate values
        X; the runtime maximises it with scipy.optimize.  A factor that reaches the parameter through
        a discrete latent contributes sum_n r[n, s] log f(x_n | z_n = s) to element s.
        """
        t = cond.target
        taxes, tsizes = _frame(t)
        nid = ident(t.name)
        fn = _Block(f"q_{nid}(X, S, E, D, DI, Z, P)",
                    f"Q and dQ/d{t.name} at X, per element (generalised EM: no closed-form maximiser).")
        shape = "(C" + "".join(f", {tsizes[a]}" for a in taxes) + ")"
        fn.add(f"q = np.zeros({shape})", "g = np.zeros(X.shape)")
        override = {t.name: "X", **self.override}
        state = self.state | set(self.override)
        for f in cond.factors:
            faxes, fsizes = _frame(f.variable, f.renamed)
            expr = f.logdensity.xreplace(f.renamed) if f.renamed else f.logdensity
            soft = self._soft_lead(f) if f.factors_lead_latent(self.info) else None
            p = FramePrinter(faxes, fsizes, state, override=override)
            if soft is None:
                expr = self.expect(sp.expand(expr), f)
                atoms = sorted(set(target_atoms(expr, t.name)), key=sp.default_sort_key)
                val = p(expr)
                fn.add(f"# factor {f.name}", *p.lines, f"q = q + {self._reduce(p, f, val, faxes, taxes, t)}")
                for a in atoms:
                    idx = self._element_index(a, t, f)
                    dv = p(sp.diff(expr, a))
                    fn.add(f"g[{idx}] += {self._reduce(p, f, dv, faxes, taxes, t)}")
                continue
            info, lead_atom = soft
            for s_ in range(info.n_states):
                e_s = expr.xreplace({lead_atom: sp.Integer(s_)})
                w = info.expected(info.lead_of(lead_atom), s_)
                atoms = sorted(set(target_atoms(e_s, t.name)), key=sp.default_sort_key)
                val = p(w * e_s)
                fn.add(f"# factor {f.name}, state {s_} of {info.name}", *p.lines)
                fn.add(f"q[:, {s_}] += reduce_to({val}, {p.shape_source()}, ())")
                for a in atoms:
                    dv = p(w * sp.diff(e_s, a))
                    fn.add(f"g[(slice(None),) + {tuple(int(i) for i in a.indices)!r}] += reduce_to({dv}, {p.shape_source()}, ())")
        fn.add("return q, g")
        return fn.text()

    @staticmethod
    def _element_index(atom, t, f) -> str:
        """Index into X (chains, *plates, *event) of the target entry ``atom`` for a direct factor."""
        if isinstance(atom, sp.Symbol):
            return "..."
        m = len(t.plates)
        event = [int(i) for i in atom.indices[m:]]
        return "(Ellipsis" + "".join(f", {e}" for e in event) + ")" if event else "..."

    def stats_all(self) -> str:
        """All statistics that read only the E-step and the data, each computed once (the mean
        and covariance updates of a mixture share their responsibility-weighted sums)."""
        fn = _Block("stats_all(S, E, D, DI, Z, P)",
                    "Every parameter's expected statistics that depend on the E-step only, shared.")
        fn.add("T = {}")
        seen: dict = {}
        for name, lines in self._stats_parts.items():
            if not self.pure[name]:
                continue
            for line in lines:
                if line.startswith("#"):
                    fn.add(line)
                    continue
                target, _, rhs = line.partition(" = ")
                if rhs in seen and target.startswith("T["):
                    if target != seen[rhs]:
                        fn.add(f"{target} = {seen[rhs]}")
                elif line not in seen.get("__lines__", set()):
                    fn.add(line)
                    seen[rhs] = target
                    seen.setdefault("__lines__", set()).add(line)
        fn.add("return T")
        return fn.text()

    def mstep(self, cond) -> str:
        """Three functions: ``stats_<p>`` (the expected statistics the update needs),
        ``solve_<p>`` (eta from them, then the argmax) and ``mstep_<p>`` (both)."""
        name, nid = cond.name, ident(cond.name)
        t = cond.target
        taxes, tsizes = _frame(t)
        n = len(cond.stats)
        shape = f"({n}, C" + "".join(f", {tsizes[a]}" for a in taxes) + ")"
        stats = _Block(f"stats_{nid}(S, E, D, DI, Z, P)",
                       f"The M-step of {name} needs these expected statistics: data sums weighted by E-step posteriors.")
        solve = _Block(f"solve_{nid}(S, E, T, D, DI, Z, P)",
                       f"M-step of {name}: eta = E[natural parameters] from the statistics T; {name} = argmax eta . T({name}).")
        stats.add("T = {}")
        solve.add(f"eta = np.zeros({shape})   # " + ", ".join(map(sp.sstr, cond.stats))[:200])
        parts = self._stats_parts.setdefault(name, [])
        for f in cond.factors:
            piece = self._expected_terms(cond, f, taxes, tsizes, n)
            if piece is None:
                continue
            if piece.sums:
                stats.add(piece.header, *piece.views_b, *piece.sums)
                parts += [piece.header, *piece.views_b, *piece.sums]
            solve.add(piece.header, *piece.views_a, *(piece.views_b if not piece.sums else []), *piece.etas)
        stats.add("return T")
        self.pure[name] = "S[" not in stats.text()      # statistics of data and E-step posteriors only
        reshape = ".reshape(S[{!r}].shape)".format(name) if len(cond.target.event_shape) > 1 and \
            cond.family.event_ndim == 1 else ""          # a real matrix Param: its entries solved as one vector
        solve.add(f"S[{name!r}] = argmax_natural({cond.family.name!r}, eta){reshape}")
        both = _Block(f"mstep_{nid}(S, E, D, DI, Z, P)", f"M-step of {name}: statistics, then the maximiser of Q.")
        both.add(f"solve_{nid}(S, E, stats_{nid}(S, E, D, DI, Z, P), D, DI, Z, P)")
        return "\n\n\n".join([stats.text(), solve.text(), both.text()])

    @property
    def source(self) -> str:
        return super().source.replace("from lvmdsl.runtime.kernels import (",
                                      "from lvmdsl.runtime.kernels import (argmax_natural, soft_sum, ", 1)

    # ----------------------------------------------------------------- expectations
    def _expected_terms(self, cond, f: Factor, taxes, tsizes, n: int):
        soft = self._soft_lead(f)
        if soft is not None:
            return self._soft_terms(cond, f, taxes, tsizes, n, soft)
        coefs = [self.expect(expand_uncentred(c), f) if c != 0 else c for c in f.coefficients]
        return self._factor_terms(cond, f, taxes, tsizes, n, coefficients=coefs, override=self.override)

    def sum_ref(self, cond, f: Factor, k: int) -> str:
        if cond.name in self.latent_names:          # E-step: a local sum
            return super().sum_ref(cond, f, k)
        return f"T[{join_key(cond.name, f.name, k)!r}]"

    def _soft_lead(self, f: Factor):
        """The discrete latent through which the factor's lead selects the target, if any."""
        if f.direct:
            return None
        found = None
        for l in f.lead:
            for info in self.info.values():
                if info.atoms(sp.sympify(l)):
                    if not info.discrete or not isinstance(l, (sp.Indexed, sp.Symbol)) or found is not None:
                        raise ModelError(f"EM: the factor of {f.name!r} selects its parameter through "
                                         f"{sp.sstr(l)}, which is not a single discrete latent")
                    found = (info, l)
        return found

    def expect(self, expr, f: Factor):
        """E[expr] over the E-step posteriors, as an expression in expectation atoms."""
        out = sp.Integer(0)
        for term in sp.Add.make_args(expr):
            for info in self.info.values():
                term = self._expect_one(term, info, f)
            out += term
        return out

    def _expect_one(self, term, info: LatentInfo, f: Factor):
        atoms = info.atoms(term)
        if not atoms:
            return term
        leads = {info.lead_of(a) for a in atoms}
        if len(leads) > 1:
            raise ModelError(f"EM: a term of the factor of {f.name!r} multiplies different elements of latent "
                             f"{info.name!r} ({sp.sstr(term)}); their joint expectation is not derived")
        lead = leads.pop()
        if info.discrete:
            elem = info.element(lead)
            out = sp.Integer(0)
            for s in range(info.n_states):
                val = term.xreplace({elem: sp.Integer(s)}).doit()
                if val != 0:
                    out += info.expected(lead, s) * val
            return out
        stats = info.var.family.sufficient_stats(info.element(lead), None)
        try:
            coefs = collect(info.name, stats, term, f.name)
        except NotConjugate as err:
            raise ModelError(f"EM: E[{sp.sstr(term)}] has no closed form under the posterior of {info.name!r} "
                             f"({info.var.family.name}): {err.reason}; use method='mcem'") from None
        return sp.Add(*[c * info.expected(lead, j) for j, c in enumerate(coefs) if c != 0])

    def _soft_terms(self, cond, f: Factor, taxes, tsizes, n: int, soft) -> Piece | None:
        """Terms of a factor whose lead is a discrete latent: responsibility-weighted sums.

        Under [z[n] = k] every z[n] reads as k; each term splits into A(k) * B(n); all the B of
        the factor are stacked and summed against the responsibilities in one ``einsum``.
        """
        info, lead_atom = soft
        faxes, fsizes = _frame(f.variable, f.renamed)
        own = [plate_symbol(q) for q in cond.target.plates]
        state = self.state | set(self.override)
        p = FramePrinter(faxes, fsizes, state, override=self.override)
        tp = FramePrinter(taxes, tsizes, state, override=self.override)
        k_sym = own[list(f.lead).index(lead_atom)]
        # under [z[n] = k], z[n] reads as k; plate components of the lead (d_ for d) are renamed
        # in the A part only, which lives on the target's plates, while B keeps the factor's
        plates_to_target = {l: q for l, q in zip(f.lead, own) if isinstance(l, sp.Symbol)}
        shared = {l.name for l in plates_to_target}
        summed = [sp.Symbol(a, integer=True, nonnegative=True) for a in faxes if a not in shared]
        triples, bs = [], {}
        for i, coef in enumerate(f.coefficients):
            if coef == 0:
                continue
            for term in sp.Add.make_args(expand_uncentred(coef)):   # centred: factored, kept
                term = self.expect(term.xreplace({lead_atom: k_sym}), f)
                A, B = term.as_independent(*summed, as_Add=False)
                A = A.xreplace(plates_to_target)
                src = p(B)
                j = bs.setdefault(src, (len(bs), B))[0]
                triples.append((i, A, j))
        if not triples:
            return None
        # einsum letters: chain, the factor's plates, the target's plates, the stack
        letters = iter(string.ascii_lowercase.replace("c", "").replace("m", ""))
        fl = {a: next(letters) for a in faxes}
        tl = {}
        for q, l in zip(own, f.lead):
            tl[q.name] = fl[l.name] if isinstance(l, sp.Symbol) and l.name in fl else next(letters)
        lat = [fl[str(i)] for i in lead_atom.indices[: len(info.var.plates)]] if isinstance(lead_atom, sp.Indexed) else []
        state_letter = tl[own[list(f.lead).index(lead_atom)].name]
        r_spec = "c" + "".join(lat) + state_letter
        data_only = all(not p.mentions_state(B) for _, B in bs.values())
        stack = f"np.stack(np.broadcast_arrays({', '.join(bs)}), -1)"
        if data_only:            # columns of the factor's shared feature matrix
            cols = {j: self.feature(f, faxes, fsizes, B) for j, B in bs.values()}
            triples = [(i, A, cols[j]) for i, A, j in triples]
            b_spec, b_src = "".join(fl[a] for a in faxes) + "m", self.feature_name(f, faxes)
        else:
            b_spec, b_src = "c" + "".join(fl[a] for a in faxes) + "m", f"np.broadcast_to({stack}, {p.shape_source()[:-1]}, {len(bs)}))"
        out_spec = "c" + "".join(tl[q.name] for q in own) + "m"
        sb = f"T[{join_key(f.name, 'weighted_by', info.name) if data_only else join_key(cond.name, f.name, 'weighted')!r}]"
        sums = [f"{sb} = soft_sum('{r_spec},{b_spec}->{out_spec}', E[{info.name!r}], {b_src})"]
        keyed = [(i, A, f"{sb}[..., {j}]") for i, A, j in triples]
        header = f"# factor {f.name} over {', '.join(faxes)}, weighted by the responsibilities of {info.name}"
        return Piece(header, tp.lines, [] if data_only else p.lines, sums, self._emit(keyed, tp, n))
