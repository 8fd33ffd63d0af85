"""Checks of the data that need the values: constants' shapes, index values, constant parameters
and counts.  ``bind_data`` runs them once the plate sizes are known; each error names the
variable or constant, the offending value and the fix.

* A constant declared in plates has those plates as its leading axes and its declared shape
  (or the shape of its declared value) after them.
* Every index that reads no unknown (``mu[g]`` with ``g`` a constant, ``x[t - 1]``) is evaluated:
  its values must be whole numbers in ``0 .. L-1``, where L is the length of the indexed axis
  (a negative index would silently wrap to the last element, 1.7 would silently become 1).
  A plate indexing a constant (``x[j]``) needs that axis to have the plate's length.
* A parameter that reads no unknown is evaluated and checked against its domain (a variance
  must be positive, a Binomial ``n`` a whole number); in a product or quotient with unknowns
  (``rate = lam * exposure``) the factors that read no unknown must be positive when the
  parameter must be positive.
* Binomial data may not exceed ``n``; Multinomial rows must sum to ``n``.
"""

from __future__ import annotations

import numpy as np

from ..frontend.expr import BinOp, Const, Expr, Func, Index, Literal, ModelError
from ..frontend.model import Model, Plate, RandomVariable
from ..symbolic.lower import NumpyBackend


def check_values(model: Model, env: dict, sizes: dict) -> None:
    """All checks, in an order where each one may rely on the previous."""
    for c in model.consts.values():
        _check_const_shape(model, c, env, sizes)
    unknown = {v.name for v in model.variables.values() if v.name not in env}
    for v in model.variables.values():
        if not all(p.name in sizes for p in v.plates):
            continue
        for k, e in v.params.items():
            _check_indices(model, v, k, e, env, sizes, unknown)
    for v in model.variables.values():
        if not all(p.name in sizes for p in v.plates):
            continue
        for k, e in v.params.items():
            _check_param_values(v, k, e, env, sizes, unknown)
        if v.name in env and v.family.name in ("Binomial", "Multinomial"):
            _check_counts(v, env, sizes, unknown)


def reads_unknown(e: Expr, unknown: set) -> bool:
    return any(isinstance(n, RandomVariable) and n.name in unknown for n in e.walk())


def _evaluate(v: RandomVariable, e: Expr, env: dict, sizes: dict, what: str) -> np.ndarray:
    try:
        with np.errstate(all="ignore"):
            return np.asarray(NumpyBackend(v.plates, v.name, env, sizes).lower(e)[0], dtype=float)
    except ModelError:
        raise
    except (IndexError, ValueError, TypeError) as err:
        raise ModelError(f"variable {v.name!r}: {what} {e!r} cannot be evaluated on the data ({err}); "
                         "check the shapes of the constants it reads") from None


# ----------------------------------------------------------------------------- constants

def _check_const_shape(model: Model, c: Const, env: dict, sizes: dict) -> None:
    arr = env[c.name]
    if not all(p.name in sizes for p in c.plates):
        return
    lead = tuple(sizes[p.name] for p in c.plates)
    if c.shape is not None:
        event = tuple(sizes.get(n, n) if isinstance(n, str) else n for n in c.shape)
    elif c.value is not None:
        event = tuple(c.value.shape[len(c.plates):])
    else:
        return
    if not c.plates and c.shape is None:           # a free-standing constant: only its rank is fixed
        if arr.ndim != len(event):
            raise ModelError(f"constant {c.name!r} has {arr.ndim} dimension(s) (shape {arr.shape}), but it was "
                             f"declared with {len(event)} (shape {event}); give an array of that rank")
        return
    want = lead + event
    if arr.shape != want:
        plates = " x ".join(f"{p.name}={sizes[p.name]}" for p in c.plates) or "no plates"
        raise ModelError(f"constant {c.name!r} has shape {arr.shape}, but its plates ({plates}) and its shape "
                         f"{event} need {want}; give one value per element of its plates")


# ----------------------------------------------------------------------------- indices

def _flatten(node: Index):
    base, idx = node.base, list(node.indices)
    while isinstance(base, Index):
        base, idx = base.base, list(base.indices) + idx
    return base, idx


def _base_shape(base, env: dict, sizes: dict):
    if isinstance(base, Const):
        return np.shape(env[base.name]), True
    if isinstance(base, RandomVariable):
        if not all(p.name in sizes for p in base.plates):
            return None, False
        return tuple(sizes[p.name] for p in base.plates) + tuple(base.event_shape), False
    return None, False


def _check_indices(model, v, param, e, env, sizes, unknown) -> None:
    for node in e.walk():
        if not isinstance(node, Index):
            continue
        base, idx = _flatten(node)
        shape, is_const = _base_shape(base, env, sizes)
        if shape is None:
            continue
        for pos, ie in enumerate(idx):
            if pos >= len(shape):
                break
            length = shape[pos]
            if isinstance(ie, Plate):
                if is_const and ie.name in sizes and length != sizes[ie.name]:
                    raise ModelError(f"constant {base.name!r} is indexed by plate {ie.name!r} (size "
                                     f"{sizes[ie.name]}) in {v.name!r}, but its axis {pos} has length {length}; "
                                     f"give it {sizes[ie.name]} entries there")
                continue
            if isinstance(ie, RandomVariable) and ie.name in unknown:
                n = ie.family.finite_support_size(_shapes(ie), None)
                if n is not None and n != length:
                    raise ModelError(f"{ie.name!r} takes {n} values but indexes {base.name!r} over an axis of "
                                     f"length {length} in {v.name!r}; make them equal")
                continue
            if reads_unknown(ie, unknown):
                continue
            values = _evaluate(v, ie, env, sizes, f"the index {pos} of {base.name!r},")
            _check_index_values(v, base, pos, ie, values, length)


def _shapes(rv):
    from ..symbolic.lower import param_event_shapes
    return param_event_shapes(rv)


def _check_index_values(v, base, pos, ie, values, length) -> None:
    where = f"in {v.name!r}, index {ie!r} of {base.name!r} (axis {pos}, length {length})"
    if not np.all(np.isfinite(values)) or not np.all(np.mod(values, 1) == 0):
        bad = values[~(np.isfinite(values) & (np.mod(values, 1) == 0))]
        raise ModelError(f"{where} has value {bad.flat[0]:g}, which is not a whole number; indices must be "
                         f"integers 0 .. {length - 1}")
    if values.size and (values.min() < 0 or values.max() >= length):
        bad = values[(values < 0) | (values >= length)]
        raise ModelError(f"{where} has value {int(bad.flat[0])}, outside 0 .. {length - 1}; indices count from 0 "
                         "(negative indices are not allowed: they would wrap around silently)")


# ----------------------------------------------------------------------------- parameters

def _factors(e: Expr) -> list:
    """The factors of a product or quotient (``lam * exposure`` -> [lam, exposure])."""
    if isinstance(e, BinOp) and e.op in ("*", "/"):
        return _factors(e.a) + _factors(e.b)
    return [e]


def _check_param_values(v, param, e, env, sizes, unknown) -> None:
    from .validate import param_domain

    domain = param_domain(v.family.name, param)
    if domain == "real":
        return
    if not reads_unknown(e, unknown):
        if all(isinstance(n, Literal) for n in e.walk()) and domain != "count":
            return                                    # checked at declaration
        value = _evaluate(v, e, env, sizes, f"parameter {param} =")
        problem = _domain_problem(domain, value)
        if problem:
            raise ModelError(f"variable {v.name!r} ({v.family.name}): parameter {param} = {e!r} must be {problem}; "
                             "fix the constants it reads")
        return
    if domain != "positive":
        return
    for f in _factors(e):
        if reads_unknown(f, unknown) or isinstance(f, Literal) and np.all(f.value > 0):
            continue
        value = _evaluate(v, f, env, sizes, f"the factor {f!r} of parameter {param},")
        if np.any(~(value > 0)):
            bad = value[~(value > 0)].flat[0]
            raise ModelError(f"variable {v.name!r} ({v.family.name}): parameter {param} = {e!r} must be positive, "
                             f"but its factor {f!r} has the value {bad:g}; every such value must be positive "
                             "(e.g. an exposure or a variance), so fix or drop those data points")


def _domain_problem(domain: str, x: np.ndarray) -> str:
    """What is wrong with ``x`` as a value of ``domain`` (empty when nothing is)."""
    if not np.all(np.isfinite(x)):
        return "finite (it has NaN or infinite values)"
    if domain == "positive" and np.any(x <= 0):
        return f"positive (it has the value {x[x <= 0].flat[0]:g})"
    if domain == "unit" and np.any((x < 0) | (x > 1)):
        return f"a probability in [0, 1] (it has the value {x[(x < 0) | (x > 1)].flat[0]:g})"
    if domain == "count" and np.any((x < 0) | (np.mod(x, 1) != 0)):
        return f"a whole number of at least 0 (it has the value {x[(x < 0) | (np.mod(x, 1) != 0)].flat[0]:g})"
    if domain == "simplex" and (np.any(x < 0) or not np.allclose(x.sum(-1), 1)):
        return "a probability vector (non-negative entries summing to 1)"
    if domain == "positive_definite":
        if x.ndim < 2 or not np.allclose(x, np.swapaxes(x, -1, -2)) or np.any(np.linalg.eigvalsh(x) <= 0):
            return "a symmetric positive-definite matrix"
    return ""


def _check_counts(v, env, sizes, unknown) -> None:
    e = v.params["n"]
    if reads_unknown(e, unknown):
        return
    n = _evaluate(v, e, env, sizes, "parameter n =")
    y = np.asarray(env[v.name], dtype=float)
    if v.family.name == "Binomial":
        n = np.broadcast_to(n, y.shape)
        if np.any(y > n):
            i = np.argwhere(y > n)[0]
            raise ModelError(f"data for {v.name!r} (Binomial) has {y[tuple(i)]:g} successes at {tuple(i.tolist())}, "
                             f"more than its n = {n[tuple(i)]:g} trials; each count must lie in 0 .. n")
    else:
        total = y.sum(-1)
        n = np.broadcast_to(n, total.shape)
        if np.any(total != n):
            i = np.argwhere(total != n)[0]
            raise ModelError(f"data for {v.name!r} (Multinomial): the row at {tuple(i.tolist())} sums to "
                             f"{total[tuple(i)]:g}, but n = {n[tuple(i)]:g}; each row's counts must sum to n")
