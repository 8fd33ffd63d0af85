"""EM code generation at the level of arrays: E-steps and M-steps as einsum terms.

The E-step of a latent is its array-level complete conditional given the parameters: the same
generated natural parameters as its Gibbs update (``codegen.index_gibbs``), returned instead of
drawn.  A discrete latent's log-weights also carry the terms of its factors that do not depend on
it (-1/2 log 2 pi, ...), so that their log-sum-exp is log p(x_n | theta), the observed-data
log-likelihood.

The M-step of a parameter maximises Q, which in the parameter's statistics T has the
coefficients E[eta]: the parameter's natural-parameter terms with every function of a latent
replaced by its expectation (``derive.index_expect``: ``[z[n] = k]`` becomes r_z[n, k], ``z[a]
z[b]`` becomes E[z z'][a, b]).  Each expected term is split by what it reads:

* the **statistics** ``T``: the data and expectation factors of the term, contracted over every
  index the parameters do not use (``Sum_n r_z[n, k] x[n, a] x[n, b]``, one einsum, a BLAS product
  over the data points).  They read the E-step and the data only, so they add over data points
  (chunks, online EM) and are computed once per E-step;
* the **solve**: T times the parameter factors of the term (``mu[k]``, ``W[a, b]``), summed into
  E[eta], and the family's maximiser ``argmax_natural``.  The inner passes of an exact M-step
  repeat only this part.

The generated source has one line per term, so its length does not depend on D or K.
"""

from __future__ import annotations

import copy

import sympy as sp

from ..derive.index_conditionals import IndexConditional
from ..families.base import Stat
from ..derive.index_expect import LatentExpectations
from ..rules.index_conjugate import plate_sum, target_atoms
from ..symbolic.canon import merge
from ..symbolic.centring import centre_terms, data_plate_dims, precompute_source
from .index_gibbs import _LETTERS, IndexGibbsCodegen, _axes_in_order, _Fn, size_source
from .names import join_key
from .printer import FramePrinter, ident

EM_HEADER_EXTRA = ("from lvmdsl.runtime.kernels import argmax_index_natural  # noqa: F401\n"
                   "# E: the E-step's expectations, latent -> responsibilities (chains, *plates, states) or a list of\n"
                   "#    expected statistics; T: data x expectation contractions (statistics of the M-steps)\n")


def index_em_problem(derivation, latent: list[str], params: list[str]) -> str | None:
    """Why the EM steps of this split cannot be generated at array level (None if they can)."""
    for name in list(latent) + list(params):
        cond = derivation[name]
        if not isinstance(cond, IndexConditional):
            return f"{name!r} has no array-level conditional ({getattr(cond, 'reason', 'not conjugate')})"
    for name in latent:
        cond = derivation[name]
        if cond.rule != "enumeration" and not hasattr(cond.family, "index_expected_stats"):
            return f"latent {name!r} ({cond.family.name}) has no array-level expected statistics"
        from ..runtime.fixed import has_fixed
        if has_fixed(cond.family):
            return f"latent {name!r} ({cond.family.name}) has fixed parameters outside its natural parameters"
    return None


class IndexEMCodegen(IndexGibbsCodegen):
    """The generated module of an array-level EM program: ``estep_<latent>``, and per parameter
    ``stats_<p>`` (T), ``solve_<p>`` (E[eta] from T, then the maximiser) and ``mstep_<p>``."""

    kind = "EM steps (restarts on the chain axis Z)"

    def __init__(self, derivation, latent: list[str], params: list[str], centre: bool = True):
        self.latent_names, self.param_names = list(latent), list(params)
        self.ex = LatentExpectations(derivation, latent)
        self.pure: dict[str, bool] = {}
        self.features: dict = {}
        self.expected: dict = {}                  # parameter -> its E[eta] terms, per statistic
        self._stats: dict[str, list[str]] = {}    # parameter -> lines computing its T entries
        self._T: dict[str, str] = {}              # einsum body -> T key (shared between parameters)
        self._current: str | None = None
        state = {v.name for v in derivation.model.unknowns} | set(self.ex.source)
        super().__init__(derivation, state, centre)

    def build(self):
        self.override = dict(self.ex.source)
        for name in self.latent_names:
            self.functions["estep_" + name] = self.estep(self.d[name])
        for name in self.param_names:
            self.functions["mstep_" + name] = self.mstep(self.d[name])
        self.functions["stats_all"] = self.stats_all()

    @property
    def source(self) -> str:
        text = super().source
        return text.replace("from lvmdsl.runtime.kernels import draw_enumerated",
                            EM_HEADER_EXTRA + "from lvmdsl.runtime.kernels import draw_enumerated", 1)

    # ------------------------------------------------------------------ E-step
    def estep(self, cond: IndexConditional) -> str:
        n = ident(cond.name)
        parts = [self.natural(cond, signature=f"natural_{n}(S, D, DI, Z, P)")]
        fn = _Fn(f"estep_{n}(S, D, DI, Z, P, Wc=None)",
                 f"E-step: natural parameters of {cond.name} | data, parameters ({cond.rule_name}).")
        if cond.rule == "enumeration":
            rest = [merge([t for f in cond.factors for t in plate_sum(cond.target, f, [
                u for u in f.terms if not target_atoms(u.coef, cond.name)])])]
            if self.centre:                    # -y^2/2 + y c - c^2/2 cancels for data far from zero
                rest, used = centre_terms(rest[0], data_plate_dims(self.model), self.state)
                rest = [rest]
                self.centred |= used
            flat = copy.copy(cond)             # no state axis: the same value at every state
            flat.rule, flat.stats = "constant", [Stat(sp.Integer(1))]
            parts.append(self.natural(flat, natural=rest, signature=f"constant_{n}(S, D, DI, Z, P)",
                                      doc=f"The terms of the factors of {cond.name} free of it, one value for "
                                          "every state (log-weights are then full log-densities)."))
            fn.add(f"eta = natural_{n}(S, D, DI, Z, P)[0]", f"eta += constant_{n}(S, D, DI, Z, P)[0]",
                   "return eta")
        else:
            fn.add(f"return natural_{n}(S, D, DI, Z, P)")
        return "\n\n\n".join(parts + [fn.text()])

    # ------------------------------------------------------------------ M-step
    def mstep(self, cond: IndexConditional) -> str:
        name, n = cond.name, ident(cond.name)
        expected = [self.ex.expect_terms(terms, name) for terms in cond.natural]
        self.expected[name] = expected
        # sums that cancel (data far from zero) regrouped around the data's centre; a continuous
        # latent's expected products stay apart (E[z z'] is not E[z] E[z]')
        dims = data_plate_dims(self.model)
        moments = {label for (l, _), label in self.ex.labels.items() if self.d[l].rule != "enumeration"}
        if self.centre:
            centred = []
            for terms in expected:
                new, used = centre_terms(terms, dims, self.state, keep=moments)
                centred.append(new)
                self.centred |= used
            expected = centred
        self._current = name
        self._stats[name] = []
        solve = self.natural(cond, natural=expected, signature=f"solve_{n}(S, E, T, D, DI, Z, P)",
                             doc=f"M-step of {name}: E[eta] from the statistics T and the parameters; {name} = "
                                 f"argmax eta . T({name}) ({cond.family.name}).")
        self._current = None
        solve = solve.replace("    return eta", f"    S[{name!r}] = argmax_index_natural({cond.family.name!r}, eta)")
        stats = _Fn(f"stats_{n}(S, E, D, DI, Z, P)",
                    f"The statistics the M-step of {name} needs: data contracted with the E-step's expectations.")
        stats.add("T = {}", *self._stats[name], "return T")
        self.pure[name] = True
        both = _Fn(f"mstep_{n}(S, E, D, DI, Z, P)", f"M-step of {name}: statistics, then the maximiser of Q.")
        both.add(f"solve_{n}(S, E, stats_{n}(S, E, D, DI, Z, P), D, DI, Z, P)")
        return "\n\n\n".join([stats.text(), solve, both.text()])

    def extra_precompute(self) -> list[str]:
        """``precompute_sums``: only the contractions the solves read, none of the per-point arrays
        of the E-step (online EM binds the whole data through it)."""
        solves = "\n".join(v for k, v in self.functions.items() if k.startswith("mstep_"))
        solves = "\n".join(part.split("def mstep_")[0] for part in solves.split("def solve_")[1:])
        fn = ["def precompute_sums(D, DI, Z):",
              '    """The data contractions the M-steps read (no per-point arrays)."""', "    C, P = 1, {}"]
        body = "\n".join(line for name, block in self.pre_blocks if name in solves for line in block)
        fn += ["    " + line for line in precompute_source(self.centred, data_plate_dims(self.model), body + solves)]
        fn += ["    " + line for name, block in self.pre_blocks if name in solves for line in block]
        return ["\n".join(fn + ["    return P"])]

    def _paired(self, key: str, spec: str, pair: tuple) -> tuple[str, str]:
        """The precomputed product ``key`` (letters ``spec``) on its pairs c <= d of the symmetric
        letters ``pair``, named once in precompute; its spec with the pair as the letter PAIR."""
        i, j = sorted((spec.index(pair[0]), spec.index(pair[1])))     # the pairs' axis stands at i
        return self.paired_block(key, i, j), spec[:i] + PAIR + spec[i + 1:j] + spec[j + 1:]

    def stats_all(self) -> str:
        fn = _Fn("stats_all(S, E, D, DI, Z, P)", "Every M-step's statistics, each computed once.")
        fn.add("T = {}")
        seen = set()
        for lines in self._stats.values():
            block = []
            for line in lines:
                block.append(line)
                if line.startswith("T["):
                    if line not in seen:
                        fn.add(*block)
                    seen.add(line)
                    block = []
        fn.add("return T")
        return fn.text()

    # ------------------------------------------------------------------ one term
    def _reads_expectation(self, expr) -> bool:
        labels = set(self.ex.source)
        return any(str(a.base.label) in labels for a in sp.sympify(expr).atoms(sp.Indexed)) or \
            any(a.name in labels for a in sp.sympify(expr).atoms(sp.Symbol))

    def term_lines(self, cond, s: int, t, axes, out_spec: str):
        if self._current is None or not self._reads_expectation(t.coef):
            return super().term_lines(cond, s, t, axes, out_spec)
        symbols = [sym for sym, _ in axes] + [b for b, _ in t.bound]
        sizes = {sym.name: size_source(sz) for sym, sz in list(axes) + list(t.bound)}
        letter = {sym: _LETTERS[k] for k, sym in enumerate(symbols)}
        c, rest = sp.sympify(t.coef).as_coeff_Mul()
        factors = [f for f in sp.Mul.make_args(rest) if f != 1]
        out = "".join(letter[sym] for sym, _ in axes)
        params = self.state - set(self.ex.source)
        probe = FramePrinter([], {}, params)
        data, expect, state = [], [], []
        for f in factors:
            own = _axes_in_order(f, symbols)
            if probe.mentions_state(f):
                state.append((f, own))
            elif self._reads_expectation(f):
                expect.append((f, own))
            else:
                data.append((f, own))
        comment = f"# {sp.sstr(t.to_sympy())}"[:160]
        keep = set(out) | {letter[x] for _, own in state for x in own}
        lines, ops, specs = [], [], []
        pair = None
        if data:
            e_letters = {letter[x] for _, own in expect for x in own}
            key, spec = self._precompute(data, letter, sizes, keep | e_letters, cond.name)
            pair = self.last_symmetric
            if pair and all(ch in keep for ch in pair):      # x_c x_d: its pairs c <= d only
                key, spec = self._paired(key, spec, pair)
            else:
                pair = None
            ops.append(key)
            specs.append(spec)
        more_ops, more_specs, more_lines = self.state_operands(expect, sizes, letter, prefix="e")
        ops, specs, lines = ops + more_ops, specs + more_specs, lines + more_lines
        present = {ch for sp_ in specs for ch in sp_}
        kept = "".join(ch for ch in _LETTERS if (ch in present or (pair and ch == pair[0])) and ch in keep)
        if pair:                                   # the statistic is computed on the pairs, then unfolded
            kept = kept.replace(pair[0], PAIR)
        # letters renamed in order, so one statistic reached from two terms is computed once
        rn = {ch: _LETTERS[k] for k, ch in enumerate(sorted(present - {"Z", PAIR}, key=_LETTERS.index))}
        rn["Z"], rn[PAIR] = "Z", PAIR
        spec = ",".join("".join(rn[ch] for ch in sp_) for sp_ in specs) + "->Z" + "".join(rn[ch] for ch in kept)
        einsum = f"np.einsum({spec!r}, {', '.join(ops)}, optimize=True)"
        if pair:
            size = next(sizes[x.name] for x in letter if letter[x] == pair[0])
            einsum = f"unpair_axis({einsum}, {1 + kept.index(PAIR)}, {size})"
            kept = kept.replace(PAIR, pair[0] + pair[1])
        body = "\n".join(lines + [einsum])
        key = self._T.get(body)
        if key is None:
            key = f"T[{join_key('T', len(self._T))!r}]"
            self._T[body] = key
        block = [comment, *lines, f"{key} = {einsum}"]
        if block[-1] not in self._stats[self._current]:
            self._stats[self._current] += block
        sops, sspecs, slines = self.state_operands(state, sizes, letter)
        spec = ",".join(["Z" + kept] + sspecs) + "->" + out_spec
        return [comment] + slines + [f"acc += term({float(c)!r}, {spec!r}, acc.shape, {key}{''.join(', ' + o for o in sops)})"]


PAIR = "Y"          # the einsum letter of the pairs c <= d of a symmetric product (never an index)


def proxy(cond, natural):
    """A copy of ``cond`` whose natural parameters are ``natural`` (EM's expected terms)."""
    out = copy.copy(cond)
    out.natural = natural
    return out
