"""Data as users hold it: a dict of arrays, a pandas DataFrame, pandas or xarray objects, Dask arrays.

``as_data_dict`` turns what the user passed as ``data=`` into ``{name: array-like}``:

* a dict (or any mapping) is taken as it is, with pandas Series/DataFrames and xarray
  DataArrays inside it turned into numpy arrays;
* a pandas DataFrame gives one entry per column, the column name being the variable or
  constant it fills (``data=df`` with columns ``"x"`` and ``"row"``);
* Dask arrays are left lazy (the EM runtime streams them chunk by chunk).

``data_labels`` keeps the labels those objects carry, as ArviZ coordinates: the index of a
Series or DataFrame labels the first plate of its variable, the columns of a DataFrame given
for one variable label its second axis (a plate or the first event axis), and an xarray
DataArray gives its own coordinates per axis.  Dimension names follow the model: plates by
their names, event axes as ``<name>_dim_<i>``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .expr import ModelError


def is_dataframe(obj) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "columns") and hasattr(obj, "index")


def is_lazy(obj) -> bool:
    """A Dask array (chunked, computed on demand), detected without importing dask."""
    return hasattr(obj, "chunks") and hasattr(obj, "compute") and hasattr(obj, "dask")


def _plain(value):
    """pandas and xarray containers as numpy arrays; Dask arrays and everything else unchanged."""
    if is_lazy(value):
        return value
    if hasattr(value, "to_numpy") and (hasattr(value, "index") or hasattr(value, "dims")):
        return value.to_numpy()
    return value


def as_data_dict(data) -> dict:
    """``{name: value}`` from a dict, a mapping or a pandas DataFrame (columns by name)."""
    if data is None:
        return {}
    if is_dataframe(data):
        names = [str(c) for c in data.columns]
        return {name: data[col].to_numpy() for name, col in zip(names, data.columns)}
    if isinstance(data, Mapping):
        return {name: _plain(value) for name, value in data.items()}
    raise ModelError(f"data must be a dict of arrays by name or a pandas DataFrame whose columns are named "
                     f"after the model's variables, got {type(data).__name__}")


def dim_names(obj, n_axes: int) -> list[str]:
    """ArviZ dimension names of a variable or constant's axes: plates, then ``<name>_dim_<i>``."""
    plates = [p.name for p in obj.plates]
    return plates[:n_axes] + [f"{obj.name}_dim_{i}" for i in range(n_axes - len(plates))]


def data_labels(model, data) -> dict:
    """Coordinates ``{dim name: labels}`` read from pandas and xarray objects in ``data``."""
    if data is None:
        return {}
    items = [(str(c), data[c]) for c in data.columns] if is_dataframe(data) else \
        list(data.items()) if isinstance(data, Mapping) else []
    coords: dict = {}
    for name, value in items:
        obj = model.variables.get(name) or model.consts.get(name)
        if obj is None:
            continue
        axes = []
        if hasattr(value, "dims") and hasattr(value, "coords"):             # xarray
            axes = [np.asarray(value.coords[d]) if d in value.coords else None for d in value.dims]
        elif hasattr(value, "index") and hasattr(value, "to_numpy"):         # pandas
            axes = [np.asarray(value.index)]
            if is_dataframe(value):
                axes.append(np.asarray(value.columns))
        if is_dataframe(data):
            axes = [np.asarray(data.index)]
        if not axes:                          # plain arrays carry no labels (and are checked later)
            continue
        names = dim_names(obj, len(axes))
        for dim, labels in zip(names, axes):
            if labels is not None and not _is_default_range(labels):
                coords.setdefault(dim, labels)
    return coords


def _is_default_range(labels: np.ndarray) -> bool:
    return labels.dtype.kind in "iu" and np.array_equal(labels, np.arange(len(labels)))
