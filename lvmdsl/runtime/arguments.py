"""Checks of ``lv.infer``'s arguments, before anything is compiled or run.

Each bad argument is a ``ModelError`` that names the argument, the value given and the fix;
an argument of another method (``draws=`` under ``method="em"``) is an error too, since it
would otherwise be ignored silently.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np

from ..frontend.expr import ModelError

#: the arguments each method reads, beyond model, data, method, seed, init, progress
GIBBS_ARGS = ("draws", "tune", "chains", "thin", "keep", "strict", "lp")
EM_ARGS = {
    "em": ("latent", "params", "max_iter", "tol", "restarts", "chunk"),
    "ecm": ("latent", "params", "max_iter", "tol", "restarts", "chunk"),
    "annealed_em": ("latent", "params", "max_iter", "tol", "restarts", "chunk", "anneal"),
    "online_em": ("latent", "params", "max_iter", "restarts", "batch_size", "kappa"),
    "mcem": ("latent", "params", "max_iter", "tol", "restarts", "mc_draws", "mc_burn"),
}


def check_method_arguments(method: str, given: dict, defaults: dict) -> None:
    """Arguments that ``method`` does not read, given with a non-default value, are an error."""
    used = GIBBS_ARGS if method == "gibbs" else EM_ARGS[method]
    stray = []
    for name, value in given.items():
        if name in used or name not in defaults:
            continue
        default = defaults[name]
        same = value is default or (type(value) is type(default) and _equal(value, default))
        if not same:
            stray.append(f"{name}={_show(value)}")
    if stray:
        owners = sorted({m for m, args in [("gibbs", GIBBS_ARGS), *EM_ARGS.items()]
                         if any(s.split("=")[0] in args for s in stray)})
        raise ModelError(f"{', '.join(stray)} {'is an argument' if len(stray) == 1 else 'are arguments'} of "
                         f"method={' / '.join(map(repr, owners))}, which method={method!r} does not read; "
                         f"drop {'it' if len(stray) == 1 else 'them'} (method={method!r} reads "
                         f"{', '.join(used)})")


def _equal(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


#: at most this many chains or restarts (each is a row of every array the run holds)
MAX_BATCH = 100_000


def check_count(name: str, value, low: int, high: int = 10**15) -> int:
    """An integer argument of at least ``low`` (``draws``, ``chains``, ``batch_size``, ...)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or value != value:
        raise ModelError(f"{name}={_show(value)} must be an integer of at least {low}")
    if not np.isfinite(float(value)) or not float(value).is_integer() or value < low:
        raise ModelError(f"{name}={_show(value)} must be an integer of at least {low}")
    if value > high:
        raise ModelError(f"{name}={_show(value)} is more than {high:,}; use fewer")
    return int(value)


def check_flag(name: str, value) -> bool:
    """A yes/no argument: True, False (or 0 and 1)."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, numbers.Integral) and value in (0, 1)):
        return bool(value)
    raise ModelError(f"{name}={_show(value)} must be True or False")


def check_optional_count(name: str, value, low: int) -> int | None:
    return None if value is None else check_count(name, value, low)


def check_real(name: str, value, low: float, high: float = np.inf, low_open: bool = False,
               high_open: bool = False) -> float:
    """A real argument in an interval (``tol >= 0``, ``0.5 < kappa <= 1``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ModelError(f"{name}={_show(value)} must be a finite number")
    v = float(value)
    if v < low or (low_open and v == low) or v > high or (high_open and v == high):
        lo = f"{low} <{'' if low_open else '='} {name}"
        hi = "" if high == np.inf else f" <{'' if high_open else '='} {high}"
        raise ModelError(f"{name}={_show(value)} must satisfy {lo}{hi}")
    return v


def check_seed(seed):
    """``seed`` as ``numpy.random.default_rng`` accepts it: None, a non-negative integer, a
    sequence of them, a SeedSequence, a BitGenerator or a Generator."""
    if seed is None or isinstance(seed, (np.random.SeedSequence, np.random.BitGenerator, np.random.Generator)):
        return seed
    values = seed if isinstance(seed, (list, tuple, np.ndarray)) else [seed]
    ok = len(values) > 0 and all(isinstance(s, (numbers.Integral, np.integer)) and not isinstance(s, (bool, np.bool_))
                                 and s >= 0 for s in np.asarray(values, dtype=object).ravel())
    if not ok:
        raise ModelError(f"seed={_show(seed)} must be a non-negative integer (or None, a sequence of non-negative "
                         "integers, a numpy SeedSequence or Generator), e.g. seed=0")
    return seed


def check_init(init) -> dict | None:
    if init is None:
        return None
    if not isinstance(init, Mapping):
        raise ModelError(f"init={_show(init)} must be a dict from unknown names to initial values, "
                         "e.g. init={'mu': 0.0}")
    return dict(init)


def check_names(arg: str, value) -> list | None:
    """A list of variable names (``keep``, ``latent``, ``params``); one name alone is a list of one."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    try:
        names = list(value)
    except TypeError:
        raise ModelError(f"{arg}={_show(value)} must be a list of variable names, e.g. {arg}=['mu']") from None
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise ModelError(f"{arg}={_show(value)} must list variable names as strings; {_show(bad[0])} is not one")
    return names


def check_anneal(anneal) -> list:
    """An annealing schedule: inverse temperatures 0 < beta <= 1, non-decreasing, ending at 1."""
    try:
        betas = [float(b) for b in np.asarray(anneal, dtype=float).ravel()]
    except (TypeError, ValueError):
        raise ModelError(f"anneal={_show(anneal)} must be a list of inverse temperatures, e.g. "
                         "anneal=[0.1, 0.3, 0.6, 1.0]") from None
    if np.ndim(anneal) != 1 or not betas:
        raise ModelError(f"anneal={_show(anneal)} must be a non-empty list of inverse temperatures, e.g. "
                         "anneal=[0.1, 0.3, 0.6, 1.0]")
    bad = [b for b in betas if not (0 < b <= 1)]
    if bad:
        raise ModelError(f"anneal={_show(anneal)} has beta={bad[0]!r}; every beta must satisfy 0 < beta <= 1 "
                         "(beta = 0 makes every component identical)")
    if any(b2 < b1 for b1, b2 in zip(betas, betas[1:])):
        raise ModelError(f"anneal={_show(anneal)} decreases; the inverse temperatures must be non-decreasing")
    if betas[-1] != 1.0:
        raise ModelError(f"anneal={_show(anneal)} ends at {betas[-1]!r}; it must end at 1 (the untempered "
                         "posterior), e.g. append 1.0")
    return betas


def init_array(name: str, value) -> np.ndarray:
    """An initial value given in ``init=``, as a float array: real numbers only."""
    try:
        arr = np.asarray(value)
        if np.iscomplexobj(arr) or arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)
                                                               or arr.dtype == bool):
            raise TypeError
        arr = arr.astype(float)
    except (TypeError, ValueError):
        raise ModelError(f"the initial value of {name!r} ({_show(value)}) must be a real number or array, "
                         f"e.g. init={{{name!r}: 0.0}}") from None
    if not np.all(np.isfinite(arr)):
        raise ModelError(f"the initial value of {name!r} has NaN or infinite entries; give finite values")
    return arr
