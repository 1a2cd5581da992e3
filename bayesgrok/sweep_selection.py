"""Select a study's runs by their swept values: ``ds.sweep.sel(complexity_weight=1.0, start="B")``.

A study dataset has one ``run`` dimension, indexed by run id, with every swept value as a
coordinate on ``run``. xarray selects on one such coordinate once it is indexed
(``ds.set_xindex("complexity_weight").sel(complexity_weight=1.0)``), but refuses label
selection with two indexes over one dimension. :func:`select_runs` (and the ``sweep``
accessor that ``import bayesgrok`` registers on every :class:`xarray.Dataset`) selects on
any number of swept values at once, by coordinate name or by the study's dotted key
(``"model.complexity_weight"``).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr


def swept_coordinates(ds: xr.Dataset) -> list[str]:
    """The swept values of a study dataset: its non-index coordinates along ``run``
    (:func:`bayesgrok.analysis.summary.swept_parameters` is this), in the dataset's order.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> swept_coordinates(combine({"a": example(), "b": example()}, {"lr": [0.1, 0.2]}))
    ['lr']
    """
    if "run" not in ds.dims:
        return []
    return [str(name) for name, coord in ds.coords.items()
            if coord.dims == ("run",) and name not in ds.indexes]


def _coordinate(ds: xr.Dataset, key: str) -> str:
    swept = swept_coordinates(ds)
    if key in swept:
        return key
    dotted = json.loads(ds.attrs.get("sweep_keys", "{}"))  # coordinate -> dotted key
    for name, dotted_key in dotted.items():
        if key in (dotted_key, dotted_key.replace(".", "_")) and name in swept:
            return name
    raise KeyError(f"{key!r} is not a swept value of this dataset; swept: "
                   f"{', '.join(swept) or 'none'}")


def _matches(coord: xr.DataArray, value: Any) -> np.ndarray:
    values = coord.values
    if np.issubdtype(values.dtype, np.floating) and isinstance(value, int | float):
        return np.isclose(values, float(value), rtol=1e-12, atol=0.0)
    return values == np.asarray(value, dtype=values.dtype)


def select_runs(ds: xr.Dataset, **values: Any) -> xr.Dataset:
    """The runs of ``ds`` whose swept values equal ``values`` (all of them).

    Parameters
    ----------
    ds
        A study dataset (dimension ``run``).
    **values
        Swept values by coordinate name (``complexity_weight=1.0``) or by dotted key with
        the dots as underscores (``model_complexity_weight=1.0``).

    Returns
    -------
    xarray.Dataset
        The matching runs; like :meth:`xarray.Dataset.sel` with a scalar, one matching run
        is returned without its ``run`` dimension.

    Raises
    ------
    KeyError
        If a name is not a swept value, or no run has the values asked for (the message
        lists the values there are).

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> study = combine({"a": example(), "b": example(), "c": example()},
    ...                 {"lr": [0.1, 0.1, 0.2], "start": ["A", "B", "A"]})
    >>> str(select_runs(study, lr=0.1, start="B")["run"].values)
    'b'
    >>> select_runs(study, start="A")["run"].values.tolist()
    ['a', 'c']
    >>> study.sweep.sel(lr=0.2, start="A")["run"].item()  # the accessor
    'c'
    """
    if "run" not in ds.dims:
        raise KeyError("this dataset has no 'run' dimension: it is one run, not a study")
    mask = np.ones(ds.sizes["run"], dtype=bool)
    for key, value in values.items():
        mask &= _matches(ds[_coordinate(ds, key)], value)
    found = np.flatnonzero(mask)
    if found.size == 0:
        there = {name: sorted({str(v) for v in ds[name].values})
                 for name in (_coordinate(ds, k) for k in values)}
        raise KeyError(f"no run has {values}; the swept values are {there}")
    return ds.isel(run=int(found[0])) if found.size == 1 else ds.isel(run=found)


@xr.register_dataset_accessor("sweep")
class SweepAccessor:
    """``ds.sweep``: a study dataset's runs by swept value (see :func:`select_runs`).

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> study = combine({"a": example(), "b": example()}, {"lr": [0.1, 0.2]})
    >>> study.sweep.names
    ['lr']
    >>> study.sweep.sel(lr=0.2)["run"].item()
    'b'
    """

    def __init__(self, ds: xr.Dataset) -> None:
        self._ds = ds

    @property
    def names(self) -> list[str]:
        """The swept coordinates (:func:`swept_coordinates`)."""
        return swept_coordinates(self._ds)

    def sel(self, **values: Any) -> xr.Dataset:
        """The runs with these swept values (:func:`select_runs`)."""
        return select_runs(self._ds, **values)
