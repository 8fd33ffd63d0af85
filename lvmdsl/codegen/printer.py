"""Printing the engine's element-level sympy expressions as numpy source over whole plates.

An expression written for one element (``tau[z[n]] * x[n]``) becomes numpy source whose value
broadcasts over a *frame*: a leading chain axis followed by the plates of the factor.  Data
arrays have no chain axis and state arrays (the unknowns) have one, so ``x[n]`` prints as
``D['x'][None, :]`` and ``tau[z[n]]`` as a fancy index ``S['tau'][CH, z_n]``, named once in a
preamble line.  The generated code names the arrays it reads:

* ``S``: the state, unknown name -> array ``(chains, *plates, *event)``;
* ``D``: data and constants as floats, ``DI``: the same as integers, for indexing;
* ``Z``: plate sizes; ``C``: the number of chains (a local of every generated function).
"""

from __future__ import annotations


import sympy as sp

from ..symbolic.matrix import INVERSE_SUFFIX, LogDet

_FUNCS = {sp.log: "np.log", sp.exp: "np.exp", sp.loggamma: "gammaln", sp.digamma: "digamma",
          sp.sqrt: "np.sqrt", sp.Abs: "np.abs", sp.erf: "erf"}


from .names import ident, is_reserved  # noqa: E402,F401  (ident: injective on names; re-exported)


class FramePrinter:
    """Prints sympy expressions as numpy source broadcasting over (chain, *plates).

    ``axes`` are the plate-symbol names of the frame, in axis order after the chain axis;
    ``sizes`` maps each to its source (``Z['n']``).  ``state`` names the unknowns; ``override``
    reads some of them from another array (a slice sampler's proposal).  ``chain=False`` prints
    data-only expressions for a precomputation, where the chain axis has length one.
    """

    def __init__(self, axes: list[str], sizes: dict[str, str], state: set[str],
                 override: dict[str, str] | None = None, chain: bool = True):
        self.axes, self.sizes, self.state = list(axes), sizes, set(state)
        self.override = override or {}
        self.chain = chain
        self.lines: list[str] = []          # preamble: named views, in dependency order
        self._named: dict[str, str] = {}

    # ----------------------------------------------------------------- shape helpers
    @property
    def ndim(self) -> int:
        return 1 + len(self.axes)

    def shape_source(self) -> str:
        dims = ["C" if self.chain else "1"] + [self.sizes[a] for a in self.axes]
        return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"

    def name(self, source: str, hint: str) -> str:
        """Bind ``source`` to a readable local name once; later uses share it."""
        if source not in self._named:
            base, k = ident(hint), 1
            used = set(self._named.values())
            name = base
            while name in used or is_reserved(name):
                k += 1
                name = f"{base}_{k}"
            self._named[source] = name
            self.lines.append(f"{name} = {source}")
        return self._named[source]

    def axis(self, sym: str) -> str:
        q = 1 + self.axes.index(sym)
        shape = ["1"] * self.ndim
        shape[q] = self.sizes[sym]
        return self.name(f"np.arange({self.sizes[sym]}).reshape({', '.join(shape)})", f"i_{sym}")

    def chains(self) -> str:
        return self.name(f"np.arange(C).reshape(C{', 1' * (self.ndim - 1)})", "CH")

    # ----------------------------------------------------------------- dependence
    def mentions_state(self, e) -> bool:
        """Whether ``e`` reads an unknown (directly, through an index, inverse or log-det)."""
        for a in sp.sympify(e).atoms(sp.Indexed, sp.Symbol, LogDet):
            if self.base_name(a) in self.state:
                return True
        return False

    def base_name(self, a) -> str:
        if isinstance(a, sp.Indexed):
            label = str(a.base.label)
        elif isinstance(a, LogDet):
            label = str(a.args[0])
        else:
            label = a.name
        if label.endswith(INVERSE_SUFFIX) and label[: -len(INVERSE_SUFFIX)] in self.state:
            return label[: -len(INVERSE_SUFFIX)]
        return label

    # ----------------------------------------------------------------- arrays
    def array(self, label: str, integer: bool = False) -> tuple[str, bool]:
        """Source of the array behind ``label`` and whether it has a chain axis."""
        if label.endswith(INVERSE_SUFFIX):
            base, is_state = self.array(label[: -len(INVERSE_SUFFIX)])
            return self.name(f"spd_inv({base})", f"{label}"), is_state
        if label in self.override:
            return self.override[label], True
        if label in self.state:
            return f"S[{label!r}]", True
        if "~" in label:                     # centred data and centres (symbolic/centring.py), made by precompute
            return f"P[{label!r}]", False
        return (f"DI[{label!r}]" if integer else f"D[{label!r}]"), False

    def indexed(self, label: str, indices, integer=False, source=None, has_chain=None) -> str:
        if source is None:
            source, has_chain = self.array(label, integer)
        basic = self._basic(source, indices, has_chain)
        if basic is not None:
            return basic
        parts = ([self.chains()] if has_chain else []) + [self.index(i) for i in indices]
        hint = f"{label}[{','.join(map(str, indices))}]"
        return self.name(f"{source}[{', '.join(parts)}]", hint)

    def _basic(self, source: str, indices, has_chain: bool) -> str | None:
        """A view by basic slicing when every index is a frame axis (in order) or an integer."""
        parts, pos = [], 0
        if has_chain:
            if not self.chain:
                return None
            parts, pos = [":"], 1
        for i in indices:
            i = sp.sympify(i)
            if i.is_Integer:
                parts.append(str(int(i)))
            elif isinstance(i, sp.Symbol) and i.name in self.axes:
                q = 1 + self.axes.index(i.name)
                if q < pos:
                    return None
                parts += ["None"] * (q - pos) + [":"]
                pos = q + 1
            else:
                return None
        parts += ["None"] * (self.ndim - pos)
        while parts and parts[-1] == ":":
            parts.pop()
        return f"{source}[{', '.join(parts)}]" if parts else source

    def index(self, i) -> str:
        """Source of an integer index array over the frame (or an integer)."""
        i = sp.sympify(i)
        if i.is_Integer:
            return str(int(i))
        if isinstance(i, sp.Symbol) and i.name in self.axes:
            return self.axis(i.name)
        if isinstance(i, sp.Indexed):
            return self.indexed(str(i.base.label), i.indices, integer=True)
        if isinstance(i, sp.Symbol):
            source, has_chain = self.array(i.name, integer=True)
            if has_chain and self.ndim > 1:      # an unknown outside every plate: one value per chain
                return self.name(f"{source}.reshape(C{', 1' * (self.ndim - 1)})", f"{i.name}_per_chain")
            return source
        return f"np.asarray(np.rint({self(i)}), dtype=np.intp)"

    # ----------------------------------------------------------------- expressions
    def __call__(self, e) -> str:
        return self.print(sp.sympify(e))

    def print(self, e) -> str:
        if e.is_Integer:
            return str(int(e))
        if e.is_Rational:
            return repr(float(e))
        if e.is_Number:
            return repr(float(e))
        if e == sp.pi:
            return "np.pi"
        if isinstance(e, sp.Symbol):
            if e.name in self.axes:
                return self.axis(e.name)
            source, has_chain = self.array(e.name)
            if has_chain:
                return self._basic(source, [], True)
            return source
        if isinstance(e, sp.Indexed):
            return self.indexed(str(e.base.label), e.indices)
        if isinstance(e, LogDet):
            label, *lead = e.args
            base, has_chain = self.array(str(label))
            logdet = self.name(f"logdet({base})", f"logdet_{label}")
            return self.indexed(f"logdet_{label}", lead, source=logdet, has_chain=has_chain)
        if isinstance(e, sp.KroneckerDelta):
            a, b = e.args
            return f"({self.index(a)} == {self.index(b)})"
        if isinstance(e, sp.Add):
            terms = [self.print(a) for a in e.args]
            out = terms[0]
            for t in terms[1:]:
                out += f" - {t[1:]}" if t.startswith("-") and not t.startswith("-(") else f" + {t}"
            return f"({out})"
        if isinstance(e, sp.Mul):
            coeff, rest = e.as_coeff_Mul()
            factors = [self._factor(a) for a in sp.Mul.make_args(rest)]
            if coeff == -1:
                return "-" + "*".join(factors)
            if coeff != 1:
                factors.insert(0, self._factor(coeff))
            return "*".join(factors)
        if isinstance(e, sp.Pow):
            base, ex = e.args
            if ex == -1:
                return f"1/{self._factor(base)}"
            if ex == sp.Rational(1, 2):
                return f"np.sqrt({self.print(base)})"
            if ex.is_Integer and ex < 0:
                return f"1/{self._factor(base)}**{-int(ex)}"
            return f"{self._factor(base)}**{self._factor(ex)}"
        if isinstance(e, sp.polygamma):
            order, arg = e.args
            return f"polygamma({int(order)}, {self.print(arg)})"
        fn = _FUNCS.get(type(e))
        if fn is not None:
            return f"{fn}({self.print(e.args[0])})"
        if isinstance(e, sp.Sum):
            return self._sum(e)
        raise NotImplementedError(f"cannot generate numpy code for {e} ({type(e).__name__})")

    def _sum(self, e) -> str:
        """A sum over an index inside a factor (``(m - Sum_k m_X[k] w[k])**2``): the body printed
        over the frame with the index as a last axis, then summed over it."""
        body, limits = e.function, list(e.limits)
        k, lo, hi = limits.pop()
        if lo != 0:
            raise NotImplementedError(f"cannot generate numpy code for a sum from {lo}")
        inner = sp.Sum(body, *limits) if limits else body
        size = f"int({self.print(hi + 1)})"
        sub = FramePrinter(self.axes + [k.name], {**self.sizes, k.name: size}, self.state, self.override, self.chain)
        sub.lines, sub._named = self.lines, self._named          # one preamble, names shared
        src = sub.print(inner)
        if k not in inner.free_symbols:
            return f"({size} * {src})"
        return f"np.sum(np.broadcast_to({src}, {sub.shape_source()}), axis=-1)"

    def _factor(self, e) -> str:
        s = self.print(e)
        if isinstance(e, sp.Number) and e < 0:
            return f"({s})"
        return s
