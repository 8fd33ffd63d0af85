"""Numeric evaluation of canonical index terms with einsum.

A term ``c * f_1 * ... * f_m`` summed over its bound indices is one ``np.einsum``: each factor
is evaluated as an array over its own indices (plates and event axes laid on axes, ``Indexed``
atoms by fancy indexing, functions elementwise: ``symbolic.numeric.Evaluator``), then contracted
over the bound indices onto the free ones.  Nothing here loops over entries or states.
"""

from __future__ import annotations

import string

import numpy as np
import sympy as sp

from ..symbolic.numeric import Evaluator, PlateFrame

_LETTERS = string.ascii_letters


def _size(n, sizes: dict) -> int:
    n = sp.sympify(n)
    if n.is_Integer:
        return int(n)
    return int(n.xreplace({s: sp.Integer(sizes[s.name]) for s in n.free_symbols}))


def evaluate_terms(terms, free: list, env: dict, sizes: dict) -> np.ndarray:
    """Sum of ``terms`` as an array over the ``free`` axes ((symbol, size), ...)."""
    out_shape = tuple(_size(n, sizes) for _, n in free)
    out = np.zeros(out_shape)
    for t in terms:
        out = out + evaluate_term(t, free, env, sizes, out_shape)
    return out


def evaluate_term(t, free: list, env: dict, sizes: dict, out_shape: tuple) -> np.ndarray:
    axes = {s: _size(n, sizes) for s, n in free}
    axes.update({b: _size(n, sizes) for b, n in t.bound})
    letters = {s: _LETTERS[k] for k, s in enumerate(axes)}
    c, rest = sp.sympify(t.coef).as_coeff_Mul()
    operands, specs = [], []
    for f in sp.Mul.make_args(rest):
        if f == 1:
            continue
        own = [s for s in axes if s in f.free_symbols]
        frame_sizes = {s.name: axes[s] for s in own}
        frame = PlateFrame(tuple(s.name for s in own), {**sizes, **frame_sizes})
        val = Evaluator(env, frame)(f)
        val = np.broadcast_to(val, tuple(axes[s] for s in own))
        operands.append(val)
        specs.append("".join(letters[s] for s in own))
    present = set("".join(specs))
    target = "".join(letters[s] for s, _ in free if letters[s] in present)
    if not operands:
        specs.append("")
        operands.append(np.ones(()))
    res = np.einsum(",".join(specs) + "->" + target, *operands, optimize=len(operands) > 2)
    res = res.reshape(tuple(n if letters[s] in present else 1 for (s, _), n in zip(free, out_shape)))
    return float(c) * np.broadcast_to(res, out_shape)
