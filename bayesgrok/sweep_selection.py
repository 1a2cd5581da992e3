"""Select a study's runs by their swept values: ``ds.sel(complexity_weight=1.0, start="B")``.

A study dataset has one ``run`` dimension, indexed by run id, with every swept value as a
coordinate on ``run``. xarray selects on one such coordinate once it is indexed
(``ds.set_xindex("complexity_weight").sel(complexity_weight=1.0)``), but refuses label
selection with two indexes over one dimension, and netCDF cannot store the
:class:`pandas.MultiIndex` it suggests instead. Two ways here:

* :class:`SweepIndex`, one xarray index over all the swept coordinates together, which
  :func:`index_sweep` sets and :func:`bayesgrok.open_study` (the library's reader) sets on
  every study it reads: ``ds.sel(complexity_weight=1.0, start="B")`` then works as it
  reads, and ``ds.sel(run=...)`` still selects by run id;
* :func:`select_runs` (and the ``sweep`` accessor that ``import bayesgrok`` registers on
  every :class:`xarray.Dataset`), for a dataset opened with plain
  :func:`xarray.open_dataset`: ``ds.sweep.sel(complexity_weight=1.0, start="B")``, by
  coordinate name or by the study's dotted key (``"model.complexity_weight"``).
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import xarray as xr
from xarray.core.indexing import IndexSelResult


def swept_coordinates(ds: xr.Dataset) -> list[str]:
    """The swept values of a study dataset: its coordinates along ``run`` but ``run``
    itself, without an index or under a :class:`SweepIndex`
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
            if coord.dims == ("run",) and name != "run"
            and (name not in ds.xindexes or isinstance(ds.xindexes[name], SweepIndex))]


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


def _matches(coord: xr.DataArray | np.ndarray, value: Any) -> np.ndarray:
    values = np.asarray(coord)
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


class SweepIndex(xr.Index):
    """One xarray index over all of a study's swept coordinates along ``run``.

    ``ds.sel`` hands it the labels of every swept coordinate asked for, together, and it
    selects the runs that have all of them (floats compared to 12 significant digits, as
    :func:`select_runs` does): a scalar for each coordinate asked for gives the matching
    run without its ``run`` dimension when there is one, else the matching runs; a list
    for a coordinate accepts any of its values. ``run`` keeps its own index (select by run
    id with ``ds.sel(run=...)``). Set it with :func:`index_sweep`; the coordinates stay
    plain variables in a file written from the dataset.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> study = index_sweep(combine({"a": example(), "b": example(), "c": example()},
    ...                             {"lr": [0.1, 0.1, 0.2], "start": ["A", "B", "A"]}))
    >>> str(study.sel(lr=0.1, start="B")["run"].values)
    'b'
    >>> study.sel(start="A")["run"].values.tolist()
    ['a', 'c']
    >>> study.sel(start=["A", "B"], lr=0.1)["run"].values.tolist()
    ['a', 'b']
    """

    def __init__(self, values: Mapping[Hashable, np.ndarray], dim: Hashable) -> None:
        self._values = {name: np.asarray(v) for name, v in values.items()}
        self.dim = dim

    @classmethod
    def from_variables(cls, variables: Mapping[Any, xr.Variable], *,
                       options: Mapping[str, Any]) -> SweepIndex:
        """The index of one-dimensional coordinates that share their dimension."""
        dims = {var.dims for var in variables.values()}
        if len(dims) != 1 or len(next(iter(dims))) != 1:
            raise ValueError("a SweepIndex needs one-dimensional coordinates along one "
                             f"dimension; got {({k: v.dims for k, v in variables.items()})}")
        return cls({name: var.values for name, var in variables.items()},
                   next(iter(dims))[0])

    def create_variables(self, variables: Mapping[Any, xr.Variable] | None = None
                         ) -> dict[Hashable, xr.Variable]:
        """The coordinates, with the attributes of ``variables`` where given."""
        out: dict[Hashable, xr.Variable] = {}
        for name, values in self._values.items():
            old = None if variables is None else variables.get(name)
            out[name] = xr.Variable(self.dim, values, None if old is None else old.attrs,
                                    None if old is None else old.encoding)
        return out

    def sel(self, labels: dict[Any, Any], method: Any = None,
            tolerance: Any = None) -> IndexSelResult:
        """The positions along ``run`` of the runs that have every label asked for."""
        if method is not None or tolerance is not None:
            raise NotImplementedError("swept values are selected exactly: no method or "
                                      "tolerance")
        size = len(next(iter(self._values.values())))
        mask = np.ones(size, dtype=bool)
        scalar = True
        for name, label in labels.items():
            if isinstance(label, xr.DataArray | xr.Variable):
                label = label.values
            if isinstance(label, slice) or np.ndim(label) > 1:
                raise NotImplementedError(f"{name}: select swept values by value or by a "
                                          f"list of values, not by {label!r}")
            if np.ndim(label) == 1:
                scalar = False
                mask &= np.any([_matches(self._values[name], v) for v in label], axis=0)
            else:
                mask &= _matches(self._values[name], label)
        found = np.flatnonzero(mask)
        if found.size == 0:
            there = {name: sorted({str(v) for v in self._values[name]}) for name in labels}
            raise KeyError(f"no run has {dict(labels)}; the swept values are {there}")
        return IndexSelResult({self.dim: int(found[0]) if scalar and found.size == 1
                               else found})

    def isel(self, indexers: Mapping[Any, Any]) -> SweepIndex | None:
        """The index of the runs kept; none once ``run`` is selected away."""
        indexer = indexers.get(self.dim)
        if indexer is None:
            return self
        if isinstance(indexer, xr.Variable):
            if indexer.dims != (self.dim,):
                return None
            indexer = indexer.values
        if not isinstance(indexer, slice) and np.ndim(indexer) == 0:
            return None
        return type(self)({name: v[indexer] for name, v in self._values.items()}, self.dim)

    @classmethod
    def concat(cls, indexes: Any, dim: Hashable,
               positions: Any = None) -> SweepIndex:
        """The runs of several datasets one after the other."""
        first = indexes[0]
        return cls({name: np.concatenate([ix._values[name] for ix in indexes])
                    for name in first._values}, dim)

    def equals(self, other: Any, *, exclude: Any = None) -> bool:
        """The same coordinates with the same values."""
        return (isinstance(other, SweepIndex) and other._values.keys() == self._values.keys()
                and all(np.array_equal(v, other._values[k]) for k, v in self._values.items()))

    def rename(self, name_dict: Mapping[Any, Hashable],
               dims_dict: Mapping[Any, Hashable]) -> SweepIndex:
        """The index under new coordinate and dimension names."""
        return type(self)({name_dict.get(k, k): v for k, v in self._values.items()},
                          dims_dict.get(self.dim, self.dim))

    def _repr_inline_(self, max_width: int) -> str:
        return f"SweepIndex ({', '.join(map(str, self._values))})"


def index_sweep(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with one :class:`SweepIndex` over all its swept coordinates, so that
    ``ds.sel`` selects on any number of them at once; ``ds`` itself when it has none (or
    has it already).

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> study = combine({"a": example(), "b": example()}, {"lr": [0.1, 0.2], "wd": [0, 1]})
    >>> index_sweep(study).sel(lr=0.2, wd=1)["run"].item()
    'b'
    """
    names = [n for n in swept_coordinates(ds) if n not in ds.xindexes]
    if not names:
        return ds
    return ds.set_xindex(names, SweepIndex)
