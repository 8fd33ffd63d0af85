"""Results as ArviZ ``InferenceData``, with every group ArviZ's functions read.

Groups: ``posterior`` (draws of the unknowns), ``log_likelihood`` (pointwise, per observed
variable, a mixture's allocation summed out: ``runtime/pointwise.py``), ``posterior_predictive``
(one replicate of each observed variable per draw, named like the observed data so that
``az.plot_ppc`` pairs them), ``prior`` and ``prior_predictive`` (``runtime/prior.py``),
``observed_data``, ``constant_data`` and ``sample_stats`` (``lp``, the log-joint per draw).

Dimensions are named after the model: a variable's plate axes by the plates' names, its event
axes ``<name>_dim_<i>``, except the event axis of a mixture's weights (``pi`` in
``z ~ Categorical(pi)``), which is named after the plate of the components it weights (``k``).
Coordinates are the labels of pandas or xarray data where given, positions otherwise.
"""

from __future__ import annotations

import numpy as np

from ..frontend.data import dim_names
from ..frontend.expr import ModelError
from .pointwise import pointwise_dims, pointwise_loglik


def component_dims(model) -> dict:
    """``{(name, axis): plate}`` for event axes that run over a mixture's components."""
    from .results import labelled_by
    out = {}
    for z, comps in labelled_by(model).items():
        plate = None
        for c, axis in comps.items():
            v = model.variables[c]
            if axis < len(v.plates):
                plate = v.plates[axis].name
        if plate is None:
            continue
        for c, axis in comps.items():
            if axis >= len(model.variables[c].plates):
                out[(c, axis)] = plate
    return out


def variable_dims(model, name: str, n_axes: int) -> list[str]:
    obj = model.variables.get(name) or model.consts.get(name)
    dims = dim_names(obj, n_axes)
    for (c, axis), plate in component_dims(model).items():
        if c == name and axis < n_axes:
            dims[axis] = plate
    return dims


def _coords(model, sizes: dict, labels: dict) -> dict:
    coords = {}
    for name in model.plates:
        if name in sizes:
            coords[name] = np.arange(sizes[name])
    for dim, lab in (labels or {}).items():
        coords[dim] = np.asarray(lab)
    return coords


def to_inference_data(model, sizes: dict, groups: dict, observed: dict, consts: dict, labels: dict | None = None,
                      sample_stats: dict | None = None, attrs: dict | None = None):
    """Assemble ``InferenceData`` from ``groups = {group: {name: (chain, draw, *shape)}}``."""
    import arviz as az

    coords = _coords(model, sizes, labels or {})
    datasets = {}
    for group, data in groups.items():
        if not data:
            continue
        if group == "log_likelihood":
            dims = {n: pointwise_dims(model, n) for n in data}
        else:
            dims = {n: variable_dims(model, n, np.ndim(a) - 2) for n, a in data.items()}
        datasets[group] = az.dict_to_dataset(data, library=None, coords=_used(coords, dims), dims=dims,
                                             attrs=attrs)
    if sample_stats:
        datasets["sample_stats"] = az.dict_to_dataset(sample_stats, attrs=attrs)
    for group, data in (("observed_data", observed), ("constant_data", consts)):
        data = {k: np.asarray(v) for k, v in data.items()}
        if data:
            dims = {n: variable_dims(model, n, a.ndim) for n, a in data.items()}
            datasets[group] = az.dict_to_dataset(data, coords=_used(coords, dims), dims=dims, default_dims=[],
                                                 attrs=attrs)
    return az.InferenceData(**datasets)


def _used(coords: dict, dims: dict) -> dict:
    wanted = {d for ds in dims.values() for d in ds}
    return {k: v for k, v in coords.items() if k in wanted}


def prior_groups(model, state: dict) -> dict:
    """Batched prior draws ``(draws, ...)`` as the ``prior`` and ``prior_predictive`` groups (one chain)."""
    prior = {v.name: state[v.name][None] for v in model.unknowns}
    pred = {v.name: state[v.name][None] for v in model.observed}
    return {"prior": prior, "prior_predictive": pred}


def gibbs_inference_data(res, log_likelihood: bool = True, posterior_predictive: bool = True, seed=None):
    """``InferenceData`` of a ``GibbsResult`` (see the module docstring)."""
    prog, model = res.program, res.model
    observed = {v.name: np.asarray(prog.env[v.name]) for v in model.observed}
    consts = {c: np.asarray(prog.env[c]) for c in model.consts}
    groups = {"posterior": dict(res.draws)}
    # a variable whose likelihood reads unknowns that keep= left out has no pointwise values or
    # replicates; it is left out of those groups (summary and the posterior are unaffected)
    if log_likelihood and res.draws:
        flat = res._flat_draws()
        ll = {}
        for name in observed:
            try:
                ll.update(pointwise_loglik(model, prog.env, prog.sizes, flat, [name]))
            except ModelError:
                continue
        groups["log_likelihood"] = {k: v.reshape((res.chains, res.n_draws) + v.shape[1:]) for k, v in ll.items()}
    if posterior_predictive and res.draws:
        names = [n for n in observed if _drawn(res, n)]
        groups["posterior_predictive"] = res.posterior_predictive(names, seed=seed) if names else {}
    if getattr(res, "prior_state", None) is not None:
        groups.update(prior_groups(model, res.prior_state))
    return to_inference_data(model, prog.sizes, groups, observed, consts, getattr(res, "coords", {}),
                             sample_stats=res.sample_stats or None, attrs={"inference_library": "lvmdsl",
                                                                           "method": "gibbs"})


def _drawn(res, name: str) -> bool:
    try:
        res._needs([name])
        return True
    except ModelError:
        return False


def em_inference_data(res, log_likelihood: bool = True):
    """``InferenceData`` of an ``EMResult``: the estimates as a posterior of one chain and one draw
    (a point, not a sample: ``az.loo`` does not apply), the pointwise log-likelihood there, the
    data, and the log-likelihood path of the best restart as ``sample_stats`` of the EM run."""
    prog, model = res.program, res.model
    observed = {v.name: np.asarray(prog.env[v.name]) for v in model.observed}
    consts = {c: np.asarray(prog.env[c]) for c in model.consts}
    point = {k: np.asarray(v)[None, None] for k, v in res.params.items()}
    groups = {"posterior": point}
    if log_likelihood:
        flat = {k: v[0] for k, v in point.items()}
        ll = {}
        for name in observed:                   # a continuous latent is not summed out: left out
            try:
                ll.update(pointwise_loglik(model, prog.env, prog.sizes, flat, [name]))
            except ModelError:
                continue
        groups["log_likelihood"] = {k: v[None] for k, v in ll.items()}
    return to_inference_data(model, prog.sizes, groups, observed, consts, getattr(res, "coords", {}),
                             attrs={"inference_library": "lvmdsl", "method": res.method})
