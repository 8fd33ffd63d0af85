"""Checks that need the whole model, run before anything is derived or sampled.

``prepare`` infers every variable's event shape and checks parameter shapes, domains and index
ranges; ``bind_data`` checks data against the model (names, shapes, NaN, support) and returns the
numeric environment and plate sizes.  Every error names the variable and says what to do.
"""

from __future__ import annotations

import numpy as np

from ..frontend.data import as_data_dict, is_lazy
from ..frontend.expr import Index, ModelError
from ..frontend.model import Model, RandomVariable
from ..symbolic.lower import NumpyBackend, param_event_shapes
from .data_checks import check_values
from .model_graph import ModelGraph

#: the domain a parameter needs, by family and canonical parameter (default "real")
PARAM_DOMAINS = {
    "positive": {"Normal": ("var",), "LogNormal": ("var",), "Gamma": ("shape", "rate"),
                 "InverseGamma": ("shape", "scale"), "Beta": ("a", "b"), "Poisson": ("rate",),
                 "Exponential": ("rate",), "Dirichlet": ("alpha",), "Pareto": ("scale", "shape"),
                 "Laplace": ("scale",), "StudentT": ("df", "scale"), "NegativeBinomial": ("r",),
                 "Wishart": ("df",), "InverseWishart": ("df",), "TruncatedNormal": ("var",),
                 "IntervalNormal": ("var",), "PolyaGamma": ("b",), "PolyaGammaJoint": ("b",),
                 "TruncatedPoisson": ("rate",), "IntervalPoisson": ("rate",),
                 "PolyaGammaBernoulli": ("omega",), "PolyaGammaBinomial": ("omega",)},
    "unit": {"Bernoulli": ("p",), "Binomial": ("p",), "Geometric": ("p",), "NegativeBinomial": ("p",)},
    "simplex": {"Categorical": ("p",), "Multinomial": ("p",)},
    "positive_definite": {"MultivariateNormal": ("precision",), "PartlyObservedMVN": ("precision",),
                          "PartlyObservedMVNConditional": ("precision",), "Wishart": ("scale",),
                          "InverseWishart": ("scale",)},
    "count": {"Binomial": ("n",), "Multinomial": ("n",), "PolyaGammaBinomial": ("n",)},
}

#: supports whose values always lie in a domain
_FITS = {
    "real": {"real", "positive", "unit", "interval", "above_scale", "binary", "count", "bounded_count", "category", "real_vector", "simplex"},
    "positive": {"positive", "unit", "above_scale"},
    "unit": {"unit"},
    "simplex": {"simplex"},
    "positive_definite": {"positive_definite"},
    "count": {"count", "bounded_count", "binary", "category"},
}


def param_domain(family: str, param: str) -> str:
    for domain, table in PARAM_DOMAINS.items():
        if param in table.get(family, ()):
            return domain
    return "real"


def prepare(model: Model) -> ModelGraph:
    """Infer event shapes in declaration order and run the static checks; return the graph."""
    graph = ModelGraph(model)
    for v in model.variables.values():
        shapes = param_event_shapes(v)
        _check_named_sizes(v, shapes)
        for k, e in v.params.items():
            _check_domain(v, k, e)
            _check_finite_literal(v, k, e)
        try:
            v.event_shape = tuple(v.family.event_shape(shapes))
        except (ValueError, IndexError) as err:
            raise ModelError(f"variable {v.name!r} ({v.family.name}): parameter shapes {shapes} do not fit: {err}") from None
        _check_param_event_shapes(v, shapes)
        for e in v.params.values():
            _check_index_ranges(v, e)
    return graph


def _check_named_sizes(v: RandomVariable, shapes: dict):
    """A size read from the data (``"D"``) may only be summed over (``lv.dot``) in a parameter:
    an element's event shape is a fixed number of entries."""
    for k, s in shapes.items():
        named = [n for n in s if isinstance(n, str)]
        if named:
            raise ModelError(f"variable {v.name!r} ({v.family.name}): parameter {k} has shape {s}, with the size "
                             f"{named[0]!r} read from the data; sum that axis with lv.dot, or give it a fixed size")


def _check_finite_literal(v: RandomVariable, param: str, e):
    """Infinite numbers are allowed only where a family says so (truncation bounds)."""
    from ..frontend.expr import Literal
    for node in e.walk():
        if isinstance(node, Literal) and np.issubdtype(node.value.dtype, np.floating) and np.any(np.isinf(node.value)):
            if param not in getattr(v.family, "infinite_params", ()):
                raise ModelError(f"variable {v.name!r}: parameter {param} is infinite; give a finite number")


def _check_param_event_shapes(v: RandomVariable, shapes: dict):
    for k, s in shapes.items():
        want = v.family.param_event_ndim.get(k, 0)
        if len(s) != want:
            kind = {0: "a scalar", 1: "a vector", 2: "a matrix"}[want]
            raise ModelError(f"variable {v.name!r} ({v.family.name}): {k} must be {kind} for each element, "
                             f"got shape {s}; index it by a plate or use a scalar")


def _check_domain(v: RandomVariable, param: str, e):
    domain = param_domain(v.family.name, param)
    ref = e.base if isinstance(e, Index) else e
    if not isinstance(ref, RandomVariable):
        return
    kind = ref.family.support.kind
    if kind not in _FITS[domain]:
        what = "discrete" if ref.is_discrete else "continuous"
        raise ModelError(
            f"variable {v.name!r}: parameter {param} needs {domain.replace('_', '-')} values, but {ref.name!r} "
            f"is {what} ({ref.family.name}, {ref.family.support.describe()}); give {param} a variable with that support")


def _check_index_ranges(v: RandomVariable, e):
    """A discrete index must not reach past the plate it indexes (z in 0..K-1 for mu in plate k)."""
    for node in e.walk():
        if not isinstance(node, Index) or not isinstance(node.base, RandomVariable):
            continue
        base = node.base
        for pos, idx in enumerate(node.indices):
            if pos < len(base.plates):
                _check_plate_or_literal_index(v, base, base.plates[pos], idx)
            if pos >= len(base.plates) or not isinstance(idx, RandomVariable):
                continue
            plate = base.plates[pos]
            n_states = idx.family.finite_support_size(param_event_shapes(idx), None)
            if n_states is None:
                raise ModelError(f"{idx.name!r} indexes {base.name!r} in {v.name!r}, but its values are unbounded; "
                                 "index with a Categorical, Bernoulli or an integer constant")
            if isinstance(plate.size, int) and n_states != plate.size:
                raise ModelError(f"{idx.name!r} takes {n_states} values but indexes {base.name!r} over plate "
                                 f"{plate.name!r} of size {plate.size}; make them equal")


def _check_plate_or_literal_index(v: RandomVariable, base, plate, idx):
    """``mu[n]`` needs plate n to run over plate k of mu (same size); ``mu[5]`` needs 5 < size."""
    from ..frontend.expr import Literal
    from ..frontend.model import Plate
    if isinstance(idx, Plate) and idx is not plate and idx.size != plate.size:
        raise ModelError(f"{base.name!r} is indexed by plate {idx.name!r} (size {idx.size!r}) in {v.name!r}, but it varies "
                         f"over plate {plate.name!r} (size {plate.size!r}); index it by a plate of the same size")
    if isinstance(idx, Literal) and isinstance(plate.size, int):
        value = np.asarray(idx.value)
        if value.ndim == 0 and not (0 <= value < plate.size):
            raise ModelError(f"{base.name!r}[{value.item()!r}] in {v.name!r} is outside plate {plate.name!r} "
                             f"(indices 0..{plate.size - 1})")


# ----------------------------------------------------------------------------- data

def bind_data(model: Model, data: dict | None, require_observed: bool = True, lazy: bool = False):
    """Check ``data`` and return ``(env, sizes)``: arrays by name and plate sizes by size name.

    ``data`` holds observed values and constants given late; unknowns may be given too (as the
    state at which a conditional is evaluated).  ``require_observed=False`` lets observed
    variables be missing, for prediction at new inputs.  Dask arrays are loaded into memory,
    unless ``lazy=True`` (the streaming EM runtime), which keeps them lazy and checks them by
    reductions computed chunk by chunk.
    """
    data = as_data_dict(data)
    known = set(model.variables) | set(model.consts)
    for name in data:
        if name not in known:
            raise ModelError(f"data names {name!r}, which is not a variable or constant of model {model.name!r} "
                             f"(it has {', '.join(sorted(known))})")
    env: dict = {}
    for c in model.consts.values():
        val = data.get(c.name, c.value)
        if getattr(c, "compute", None) is not None:    # derived by a rewrite from the data
            val = c.compute(data)
        if val is None:
            raise ModelError(f"constant {c.name!r} has no value: pass data={{'{c.name}': ...}}")
        derived = getattr(c, "compute", None) is not None
        env[c.name] = _numeric(c.name, val, lazy, allow_inf=derived,
                               allow_nan=derived and getattr(c, "observation", False))
    for v in model.variables.values():
        val = data.get(v.name, v.value if v.observed else None)
        if val is not None:
            env[v.name] = _numeric(v.name, val, lazy)
        elif v.observed and require_observed:
            raise ModelError(f"{v.name!r} is observed but no data was given: pass data={{'{v.name}': array}}")
    sizes = _plate_sizes(model, env)
    for name, val in env.items():
        if name in model.variables:
            _check_shape(model.variables[name], val, sizes)
            _check_support(model.variables[name], val)
        elif getattr(model.consts.get(name), "observation", False):     # data a rewrite turned into a constant
            c = model.consts[name]
            want = tuple(sizes.get(p.name, -1) for p in c.plates) + tuple(c.shape or ())
            if val.shape != want:
                raise ModelError(f"data for {name!r} has shape {val.shape}, but its plates and event shape need {want}")
    check_values(model, env, sizes)
    return env, sizes


def _numeric(name, val, lazy: bool = False, allow_inf: bool = False, allow_nan: bool = False) -> np.ndarray:
    if is_lazy(val):
        if lazy:
            return _lazy_numeric(name, val)
        val = val.compute()
    try:
        arr = np.asarray(val)
    except ValueError:
        raise ModelError(f"data for {name!r} is ragged (rows of different lengths); give a rectangular array") from None
    if np.iscomplexobj(arr):
        raise ModelError(f"data for {name!r} is complex ({arr.dtype}); give real numbers (the imaginary part would be "
                         "dropped)")
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ModelError(f"data for {name!r} must be numeric, got {arr.dtype}")
    if arr.dtype == bool:
        arr = arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr) | (allow_inf & np.isinf(arr))
                                                           | (allow_nan & np.isnan(arr))):
        bad = int(np.sum(~np.isfinite(arr)))
        raise ModelError(f"data for {name!r} has {bad} NaN or infinite value(s); NaN marks missing entries only "
                         "for a Normal observation (other families: remove or impute them)")
    return arr


def _lazy_numeric(name, arr):
    """A Dask array checked like ``_numeric`` by reductions that stream its chunks."""
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ModelError(f"data for {name!r} must be numeric, got {arr.dtype}")
    if arr.dtype == bool:
        arr = arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.floating):
        bad = int((~np.isfinite(arr)).sum().compute())
        if bad:
            raise ModelError(f"data for {name!r} has {bad} NaN or infinite value(s); remove or impute them")
    return arr


def _plate_sizes(model: Model, env: dict) -> dict:
    sizes: dict = {}
    for p in model.plates.values():
        if isinstance(p.size, int):
            sizes[p.name] = p.size
    found: dict = {}
    for v in model.variables.values():
        if v.name not in env:
            continue
        shape = env[v.name].shape
        for pos, p in enumerate(v.plates):
            if isinstance(p.size, str) and pos < len(shape):
                if p.size in found and found[p.size][0] != shape[pos]:
                    other = found[p.size][1]
                    raise ModelError(f"plate size {p.size!r} is {found[p.size][0]} from {other!r} but {shape[pos]} "
                                     f"from {v.name!r}; the data of one plate must have one length")
                found[p.size] = (shape[pos], v.name)
    for c in model.consts.values():
        shape = env[c.name].shape
        for pos, p in enumerate(c.plates):
            if isinstance(p.size, str) and pos < len(shape):
                found.setdefault(p.size, (shape[pos], c.name))
    for c in model.consts.values():            # sizes named in a constant's shape, shape=("D",)
        shape = env[c.name].shape
        for pos, n in enumerate(c.shape or ()):
            at = len(c.plates) + pos
            if not isinstance(n, str) or at >= len(shape):
                continue
            if n in found and found[n][0] != shape[at]:
                raise ModelError(f"size {n!r} is {found[n][0]} from {found[n][1]!r} but {shape[at]} from constant "
                                 f"{c.name!r} (its axis {at}); the data must agree on one length")
            found[n] = (shape[at], c.name)
    for p in model.plates.values():
        if isinstance(p.size, str):
            if p.size in found:
                sizes[p.name] = found[p.size][0]
                sizes[p.size] = found[p.size][0]
            elif p.size in env:
                sizes[p.name] = sizes[p.size] = _size_value(p, env[p.size])
    for n, (length, _) in found.items():       # a size no plate takes (a constant's axis only)
        sizes.setdefault(n, length)
    return sizes


def require_nonempty(model: Model, sizes: dict, who: str) -> None:
    """``who`` (an inference method) needs at least one element in every plate."""
    for p in model.plates.values():
        if sizes.get(p.name, 1) == 0:
            raise ModelError(f"plate {p.name!r} has size {p.size} = 0 in the data; {who} needs at least one data "
                             "point: give data for it")


def _size_value(p, value) -> int:
    """A plate size read from a constant: a positive whole number."""
    arr = np.asarray(value)
    if arr.ndim != 0 or not np.isfinite(arr) or arr % 1 != 0 or arr < 1:
        raise ModelError(f"plate {p.name!r} takes its size from constant {p.size!r}, which is "
                         f"{arr.tolist()!r}; a plate size must be a whole number of at least 1")
    return int(arr)


def _check_shape(v: RandomVariable, arr: np.ndarray, sizes: dict):
    want = []
    for p in v.plates:
        if p.name not in sizes:
            raise ModelError(f"the size of plate {p.name!r} is unknown: give data for a variable in it")
        want.append(sizes[p.name])
    want = tuple(want) + tuple(v.event_shape)
    if arr.shape != want:
        plates = " x ".join(f"{p.name}={sizes[p.name]}" for p in v.plates) or "no plates"
        raise ModelError(f"data for {v.name!r} has shape {arr.shape}, but its plates ({plates}) and event shape "
                         f"{tuple(v.event_shape)} need {want}")


_SUPPORT_CHECKS = {
    "positive": lambda x: x > 0,
    "unit": lambda x: (x > 0) & (x < 1),
    "binary": lambda x: (x == 0) | (x == 1),
    "count": lambda x: (x >= 0) & (np.mod(x, 1) == 0),
    "bounded_count": lambda x: (x >= 0) & (np.mod(x, 1) == 0),
    "category": lambda x: (x >= 0) & (np.mod(x, 1) == 0),
    "count_vector": lambda x: (x >= 0) & (np.mod(x, 1) == 0),
}


def _check_support(v: RandomVariable, arr: np.ndarray):
    kind = v.family.support.kind
    ok = True
    if kind in _SUPPORT_CHECKS:
        ok = bool(np.all(_SUPPORT_CHECKS[kind](arr)))
    elif kind == "simplex":
        ok = bool(np.all(arr > 0) and np.allclose(arr.sum(-1), 1))
    elif kind == "positive_definite":
        ok = bool(np.allclose(arr, np.swapaxes(arr, -1, -2)) and np.all(np.linalg.eigvalsh(arr) > 0))
    if kind == "category":
        n = v.family.finite_support_size(param_event_shapes(v), None)
        ok = ok and (n is None or bool(np.all(arr < n)))
    if not ok:
        raise ModelError(f"data for {v.name!r} has values outside the support of {v.family.name}: "
                         f"each value must be {v.family.support.describe()}")


def evaluate_params(v: RandomVariable, env: dict, sizes: dict) -> dict:
    """Numeric canonical parameters of ``v`` over its plates (batch axes, then the event)."""
    low = NumpyBackend(v.plates, v.name, env, sizes)
    return {k: low.lower(e)[0] for k, e in v.params.items()}


def factor_logpdf(v: RandomVariable, env: dict, sizes: dict) -> np.ndarray:
    """log p(v | parents) for every element of ``v`` (array over its plates)."""
    params = evaluate_params(v, env, sizes)
    return v.family.logpdf(np.asarray(env[v.name], dtype=float), params)


def log_joint(model: Model, env: dict, sizes: dict) -> float:
    """The model's log-joint density at a complete state (independent of the symbolic path)."""
    return float(sum(np.sum(factor_logpdf(v, env, sizes)) for v in model.variables.values()))

