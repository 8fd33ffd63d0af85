"""Numeric evaluation of the engine's sympy expressions over whole plates.

An expression written for one element (``tau[z[n]] * x[n]``) is evaluated for every element at
once: each plate symbol becomes an ``arange`` laid along its own axis, ``Indexed`` atoms become
fancy indexing into the data and state arrays, and the result broadcasts over the plates' axes.
Matrix atoms (``M_inv`` entries, ``LogDet``) are computed from the matrix they stand for.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special

from .matrix import INVERSE_SUFFIX, LogDet

_UNARY = {sp.log: np.log, sp.exp: np.exp, sp.loggamma: special.gammaln, sp.Abs: np.abs,
          sp.digamma: special.digamma, sp.sqrt: np.sqrt}


class PlateFrame:
    """The plates an expression is evaluated over: names, axis order and sizes."""

    def __init__(self, plate_names: tuple, sizes: dict):
        self.names = tuple(plate_names)
        self.sizes = sizes

    def axis_range(self, name: str) -> np.ndarray:
        i = self.names.index(name)
        shape = [1] * len(self.names)
        shape[i] = self.sizes[name]
        return np.arange(self.sizes[name]).reshape(shape)

    def batch_shape(self) -> tuple:
        return tuple(self.sizes[n] for n in self.names)


class Evaluator:
    """Evaluates sympy expressions against ``env`` (name -> array) over a ``PlateFrame``."""

    def __init__(self, env: dict, frame: PlateFrame):
        self.env, self.frame = env, frame
        self._derived: dict = {}

    def array(self, name: str) -> np.ndarray:
        if name in self.env:
            return np.asarray(self.env[name], dtype=float)
        if name.endswith(INVERSE_SUFFIX) and name[: -len(INVERSE_SUFFIX)] in self.env:
            if name not in self._derived:
                self._derived[name] = np.linalg.inv(np.asarray(self.env[name[: -len(INVERSE_SUFFIX)]], float))
            return self._derived[name]
        raise KeyError(name)

    def __call__(self, expr) -> np.ndarray:
        out = np.asarray(self.eval(sp.sympify(expr)), dtype=float)
        c = len(self.frame.names)
        if out.ndim < c:
            out = out.reshape((1,) * (c - out.ndim) + out.shape)
        return out

    def eval(self, e):
        if e.is_Number or e in (sp.pi, sp.E):
            return float(e)
        if isinstance(e, sp.Symbol):
            if e.name in self.frame.names:
                return self.frame.axis_range(e.name)
            if e.name in self.frame.sizes:
                return float(self.frame.sizes[e.name])
            return self.array(e.name)
        if isinstance(e, sp.Indexed):
            arr = self.array(str(e.base.label))
            idx = tuple(self._index(i) for i in e.indices)
            return arr[idx]
        if isinstance(e, LogDet):
            name, *lead = e.args
            sign, val = np.linalg.slogdet(self.array(str(name)))
            val = np.where(sign > 0, val, np.nan)
            return val[tuple(self._index(i) for i in lead)] if lead else val
        if isinstance(e, sp.KroneckerDelta):
            a, b = (self.eval(x) for x in e.args)
            return (np.asarray(a) == np.asarray(b)).astype(float)
        if isinstance(e, sp.Add):
            out = 0.0
            for a in e.args:
                out = out + self.eval(a)
            return out
        if isinstance(e, sp.Mul):
            out = 1.0
            for a in e.args:
                out = out * self.eval(a)
            return out
        if isinstance(e, sp.Pow):
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.power(np.asarray(self.eval(e.base), float), self.eval(e.exp))
        fn = _UNARY.get(type(e))
        if fn is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                return fn(self.eval(e.args[0]))
        if isinstance(e, sp.Sum):              # a sum inside a factor (symbolic/centring.py): a last axis, summed
            body, limits = e.function, list(e.limits)
            k, lo, hi = limits.pop()
            inner = sp.Sum(body, *limits) if limits else body
            size = int(self.eval(hi)) - int(self.eval(lo)) + 1
            frame = PlateFrame(self.frame.names + (k.name,), {**self.frame.sizes, k.name: size})
            val = Evaluator(self.env, frame)(inner.xreplace({k: k + lo}) if lo != 0 else inner)
            return np.broadcast_to(val, frame.batch_shape()).sum(-1)
        raise NotImplementedError(f"cannot evaluate {e} ({type(e).__name__}) numerically")

    def _index(self, i):
        v = self.eval(sp.sympify(i))
        return np.asarray(np.rint(v), dtype=np.intp)
