"""The trajectory: every measurement of a search at every logged step, for every seed.

A trajectory is an :class:`xarray.Dataset` with dimensions ``seed`` and ``step`` (plus any
probe dimensions such as ``layer`` or ``input_dim``). A study dataset adds ``run``, with
each swept parameter as a coordinate on ``run``. This module defines the schema, checks it
(:func:`validate`), writes and reads it as netCDF through h5netcdf (atomically), and
combines runs into a study dataset (:func:`combine`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from bayesgrok.atomic import atomic_write, netcdf_bytes

SCHEMA_VERSION = 1
STATUSES = ("ok", "diverged", "failed")
REQUIRED_VARIABLES = ("error", "complexity", "objective", "val_error", "status")
CLASSIFICATION_VARIABLES = ("train_accuracy", "val_accuracy")
REGRESSION_VARIABLES = ("train_mse", "val_mse")
REQUIRED_ATTRS = (
    "family",
    "task",
    "task_kind",
    "config",
    "objective_formula",
    "versions",
    "wall_time_s",
    "created",
    "schema_version",
)


class TrajectoryError(ValueError):
    """A dataset does not follow the trajectory schema."""


def validate(ds: xr.Dataset, *, study: bool = False, source: str = "trajectory") -> xr.Dataset:
    """Check that ``ds`` follows the trajectory schema; return it unchanged.

    Parameters
    ----------
    ds
        The dataset to check.
    study
        Whether ``ds`` is a study dataset (with a ``run`` dimension) rather than a single
        run's trajectory.
    source
        Where the dataset came from, used in error messages (a file name, say).

    Raises
    ------
    TrajectoryError
        Naming the first thing that is wrong.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> validate(xr.Dataset())
    Traceback (most recent call last):
    ...
    bayesgrok.trajectory.TrajectoryError: trajectory: missing dimension 'seed'
    """
    dims = ("run", "seed", "step") if study else ("seed", "step")
    for dim in dims:
        if dim not in ds.dims:
            raise TrajectoryError(f"{source}: missing dimension {dim!r}")
    if "step" not in ds.coords:
        raise TrajectoryError(f"{source}: missing coordinate 'step'")
    if not np.issubdtype(ds["step"].dtype, np.integer):
        raise TrajectoryError(f"{source}: coordinate 'step' must be integer")
    if ds.sizes["step"] > 1 and not bool(np.all(np.diff(ds["step"].values) > 0)):
        raise TrajectoryError(f"{source}: coordinate 'step' must be strictly increasing")
    for var in REQUIRED_VARIABLES:
        if var not in ds.data_vars:
            raise TrajectoryError(f"{source}: missing variable {var!r}")
    for var in ("error", "complexity", "objective", "val_error"):
        if not {"seed", "step"} <= set(ds[var].dims):
            raise TrajectoryError(f"{source}: variable {var!r} must have dims seed and step")
    status_dims = {"run", "seed"} if study else {"seed"}
    if set(ds["status"].dims) != status_dims:
        raise TrajectoryError(f"{source}: variable 'status' must have dims {sorted(status_dims)}")
    bad = set(np.unique(ds["status"].values.astype(str))) - set(STATUSES)
    if bad:
        raise TrajectoryError(f"{source}: unknown status values {sorted(bad)}")
    if not study:
        for attr in REQUIRED_ATTRS:
            if attr not in ds.attrs:
                raise TrajectoryError(f"{source}: missing attribute {attr!r}")
        kind = ds.attrs["task_kind"]
        if kind == "classification":
            needed = CLASSIFICATION_VARIABLES
        elif kind == "regression":
            needed = REGRESSION_VARIABLES
        else:
            raise TrajectoryError(f"{source}: unknown task_kind {kind!r}")
        for var in needed:
            if var not in ds.data_vars:
                raise TrajectoryError(f"{source}: a {kind} trajectory needs {var!r}")
        try:
            json.loads(ds.attrs["config"])
        except (TypeError, json.JSONDecodeError) as exc:
            raise TrajectoryError(f"{source}: attribute 'config' is not JSON") from exc
    return ds


def _encodable(ds: xr.Dataset) -> xr.Dataset:
    """Return a copy whose attributes netCDF can store (no bools, no dicts, no None)."""

    def clean(attrs: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in attrs.items():
            if isinstance(value, bool | np.bool_):
                out[key] = int(value)
            elif isinstance(value, dict | list | tuple) or value is None:
                out[key] = json.dumps(value)
            else:
                out[key] = value
        return out

    ds = ds.copy()
    ds.attrs = clean(ds.attrs)
    for name in ds.variables:
        ds[name].attrs = clean(ds[name].attrs)
        if ds[name].dtype.kind == "U":
            ds[name] = ds[name].astype(object)
    return ds


def write(ds: xr.Dataset, path: str | os.PathLike[str], *, study: bool = False) -> Path:
    """Validate ``ds`` and write it to ``path`` as netCDF4 (h5netcdf), atomically.

    The file is written under a temporary name in the same directory and renamed, so an
    interrupted write never leaves a file that looks finished.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from bayesgrok.trajectory import example
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "run.nc"
    >>> write(example(), p).name
    'run.nc'
    """
    path = Path(path)
    validate(ds, study=study, source=str(path))
    data = netcdf_bytes(_encodable(ds))
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def read(path: str | os.PathLike[str], *, study: bool = False) -> xr.Dataset:
    """Read a trajectory (or study) file, validate it and load it into memory.

    A study (``study=True``) comes with its swept coordinates indexed together
    (:func:`bayesgrok.sweep_selection.index_sweep`): ``ds.sel(complexity_weight=1.0,
    start="B")`` selects runs by any number of swept values.

    Raises
    ------
    TrajectoryError
        If the file cannot be read or does not follow the schema.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from bayesgrok.trajectory import example
    >>> p = write(example(), pathlib.Path(tempfile.mkdtemp()) / "run.nc")
    >>> read(p).sizes["seed"]
    2
    """
    path = Path(path)
    try:
        with xr.open_dataset(path, engine="h5netcdf") as handle:
            ds = handle.load()
    except (OSError, ValueError) as exc:
        raise TrajectoryError(f"{path}: not a readable netCDF file ({exc})") from exc
    if "status" in ds:
        ds["status"] = ds["status"].astype(str)
    ds = validate(ds, study=study, source=str(path))
    if study:
        from bayesgrok.sweep_selection import index_sweep

        ds = index_sweep(ds)
    return ds


def open_study(path: str | os.PathLike[str]) -> xr.Dataset:
    """A study's dataset, from its results folder or its ``study.nc``, with its swept
    values indexed: select runs with ``ds.sel(complexity_weight=1.0, start="B")``.

    Parameters
    ----------
    path
        A results folder (``bayesgrok run ... --out FOLDER``) or a study file in one.

    Returns
    -------
    xarray.Dataset
        Dimensions ``run``, ``seed``, ``step`` (and those of probes); every swept value is
        a coordinate on ``run``, all of them under one
        :class:`~bayesgrok.sweep_selection.SweepIndex`.

    Raises
    ------
    TrajectoryError
        If there is no readable study file there, or it does not follow the schema.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> study = combine({"a": example(), "b": example()}, {"lr": [0.1, 0.2], "wd": [0, 1]})
    >>> _ = write(study, folder / "study.nc", study=True)
    >>> open_study(folder).sel(lr=0.2, wd=1)["run"].item()
    'b'
    """
    path = Path(path)
    if path.is_dir():
        path = path / "study.nc"
    if not path.is_file():
        raise TrajectoryError(f"{path}: no study file there (a results folder holds "
                              "study.nc once its study has run)")
    return read(path, study=True)


def config_of(ds: xr.Dataset) -> dict[str, Any]:
    """The resolved configuration a trajectory was made from.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> config_of(example())["search"]["optimizer"]
    'sgd'
    """
    return json.loads(ds.attrs["config"])


def combine(
    runs: Mapping[str, xr.Dataset],
    sweep: Mapping[str, Sequence[Any]] | None = None,
    *,
    attrs: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Combine single-run trajectories into one study dataset along ``run``.

    Parameters
    ----------
    runs
        Run id to trajectory, in run order.
    sweep
        Swept parameter name to its value for each run (same order as ``runs``); each
        becomes a coordinate on ``run``.
    attrs
        Attributes of the study dataset.

    Each run's own attributes are kept as per-run variables (``family``, ``task``,
    ``objective_formula``, ``config``, ``wall_time_s``, ``total_steps``) so nothing is
    lost. Runs logged at
    different steps are aligned on the union of steps (missing values are NaN).

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> ds = combine({"a": example(), "b": example()}, {"lr": [0.1, 0.2]})
    >>> ds.sizes["run"], ds["lr"].values.tolist()
    (2, [0.1, 0.2])
    """
    if not runs:
        raise TrajectoryError("combine: no runs given")
    ids = list(runs)
    per_run = []
    for run_id in ids:
        ds = runs[run_id]
        extra = {
            "family": ds.attrs.get("family", ""),
            "task": ds.attrs.get("task", ""),
            "objective_formula": ds.attrs.get("objective_formula", ""),
            "config": ds.attrs.get("config", "{}"),
            "spurious_columns": ds.attrs.get("spurious_columns", "[]"),
            "threading": ds.attrs.get("threading", "{}"),
            "data_provenance": ds.attrs.get("data_provenance", "{}"),
        }
        ds = ds.assign({k: xr.DataArray(np.asarray(v, dtype=object)) for k, v in extra.items()})
        ds = ds.assign(wall_time_s=xr.DataArray(float(ds.attrs.get("wall_time_s", np.nan))))
        total = ds.attrs.get("total_steps", int(ds["step"].values[-1]))
        ds = ds.assign(total_steps=xr.DataArray(np.int64(total)))
        ds.attrs = {}
        per_run.append(ds)
    # a step coordinate some runs lack (epoch, say) is NaN in those runs
    step_coords = {name for ds in per_run for name, c in ds.coords.items()
                   if c.dims == ("step",) and name != "step"}
    per_run = [ds.assign_coords({name: ("step", np.full(ds.sizes["step"], np.nan))
                                 for name in step_coords - set(ds.coords)})
               for ds in per_run]
    study = xr.concat(
        per_run, dim="run", join="outer", data_vars="all", coords="different", compat="equals"
    )
    study = study.assign_coords(run=np.asarray(ids, dtype=object))
    for name, values in (sweep or {}).items():
        values = list(values)
        if len(values) != len(ids):
            raise TrajectoryError(
                f"combine: sweep {name!r} has {len(values)} values for {len(ids)} runs"
            )
        if not all(np.isscalar(v) for v in values):  # lists and tables: stored as JSON text
            values = [json.dumps(v) for v in values]
        study = study.assign_coords({name: ("run", np.asarray(values))})
    study["status"] = study["status"].astype(str)
    study.attrs = dict(attrs or {})
    study.attrs.setdefault("schema_version", SCHEMA_VERSION)
    study.attrs["sweep"] = json.dumps(list((sweep or {}).keys()))
    return validate(study, study=True)


def example(n_seeds: int = 2, steps: Sequence[int] = (0, 1, 10, 100)) -> xr.Dataset:
    """A small, valid classification trajectory, for documentation and tests.

    Training accuracy reaches 1 at step 10, validation accuracy at step 100.

    Examples
    --------
    >>> example().sizes["step"]
    4
    """
    steps = np.asarray(steps, dtype=np.int64)
    seeds = np.arange(n_seeds)
    shape = (n_seeds, steps.size)
    ramp = np.linspace(1.0, 0.01, steps.size)
    train_acc = np.where(steps >= 10, 1.0, 0.5)
    val_acc = np.where(steps >= 100, 1.0, 0.5)
    dims = ("seed", "step")
    ds = xr.Dataset(
        {
            "error": (dims, np.broadcast_to(ramp, shape).copy()),
            "complexity": (dims, np.broadcast_to(ramp[::-1], shape).copy()),
            "objective": (dims, np.broadcast_to(1.01 * np.ones_like(ramp), shape).copy()),
            "val_error": (dims, np.broadcast_to(ramp + 1, shape).copy()),
            "train_accuracy": (dims, np.broadcast_to(train_acc, shape).copy()),
            "val_accuracy": (dims, np.broadcast_to(val_acc, shape).copy()),
            "status": (("seed",), np.array(["ok"] * n_seeds, dtype=object)),
        },
        coords={"seed": seeds, "step": steps},
        attrs={
            "family": "example",
            "task": "example",
            "task_kind": "classification",
            "config": json.dumps({"search": {"optimizer": "sgd"}}),
            "objective_formula": "error + complexity",
            "versions": json.dumps({"bayesgrok": "0"}),
            "wall_time_s": 0.0,
            "created": "1970-01-01T00:00:00+00:00",
            "schema_version": SCHEMA_VERSION,
        },
    )
    return validate(ds)
