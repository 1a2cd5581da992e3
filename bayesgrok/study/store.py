"""The run store: where a study's results live and how finished runs are recognised.

::

    <out>/runs/<run-id>.nc     one trajectory per run (written atomically)
    <out>/study.nc             all runs combined, swept values as coordinates on `run`
    <out>/summary.csv          onsets, gap, final accuracies and status per run and seed
    <out>/runs/<run-id>.failed.json  a run that raised: error, traceback, configuration
    <out>/failures.json        runs that raised, with the error (recomputed next time)
    <out>/figures/*.png        figures
    <out>/provenance.json      the command that made the result, when, where, what versions
    <out>/report.html, .md     the report (bayesgrok.report), from the files above
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import xarray as xr

from bayesgrok import trajectory
from bayesgrok.atomic import atomic_write, netcdf_bytes
from bayesgrok.trajectory import TrajectoryError


def run_path(out: Path, run_id: str) -> Path:
    """The file of run ``run_id``.

    Examples
    --------
    >>> run_path(Path("out"), "run-1").as_posix()
    'out/runs/run-1.nc'
    """
    return Path(out) / "runs" / f"{run_id}.nc"


def artifact_path(out: Path, run_id: str, name: str) -> Path:
    """The file of artifact ``name`` (InferenceData, say) of run ``run_id``.

    Examples
    --------
    >>> artifact_path(Path("out"), "run-1", "idata_seed0").as_posix()
    'out/runs/run-1.idata_seed0.nc'
    """
    return Path(out) / "runs" / f"{run_id}.{name}.nc"


def artifacts_of(out: Path, run_id: str) -> dict[str, Path]:
    """The artifact files written beside run ``run_id``, by name.

    Examples
    --------
    >>> artifacts_of(Path("no/such/folder"), "run-1")
    {}
    """
    folder = Path(out) / "runs"
    prefix = f"{run_id}."
    found = {}
    for path in sorted(folder.glob(f"{run_id}.*.nc")) if folder.is_dir() else []:
        name = path.name[len(prefix):-len(".nc")]
        found[name] = path
    return found


def load_finished(path: Path, config: dict[str, Any]) -> xr.Dataset | None:
    """The finished trajectory at ``path`` if it is complete, valid and made from ``config``.

    Returns ``None`` when the file is missing, unreadable, invalid, or from another
    configuration, so that the run is computed (again).

    Examples
    --------
    >>> load_finished(Path("no/such/run.nc"), {}) is None
    True
    """
    if not path.is_file():
        return None
    try:
        ds = trajectory.read(path)
    except TrajectoryError:
        return None
    if trajectory.config_of(ds) != config:
        return None
    return ds


def inspect_run(path: Path, config: dict[str, Any]) -> tuple[str, xr.Dataset | None]:
    """What is at a run's path: ``("finished", ds)``, ``("missing", None)``,
    ``("corrupt", None)`` (unreadable, truncated or not a valid trajectory) or
    ``("conflict", None)`` (a valid run made from a different configuration).

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.trajectory import example, write
    >>> inspect_run(Path("no/such/run.nc"), {})
    ('missing', None)
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "bad.nc").write_bytes(b"CDF\\x01 truncated")
    >>> inspect_run(folder / "bad.nc", {})
    ('corrupt', None)
    """
    if not path.is_file():
        return "missing", None
    try:
        ds = trajectory.read(path)
    except (TrajectoryError, OSError, ValueError):
        return "corrupt", None
    if trajectory.config_of(ds) != config:
        return "conflict", None
    return "finished", ds


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete temporary files (``.<name>.<random>.tmp``) that a killed process left in
    ``folder``; a study folder is written by one study process (and its workers) at a time.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / ".run-1.nc.abc123.tmp").write_text("half")
    >>> [p.name for p in remove_stale_temporaries(folder)]
    ['.run-1.nc.abc123.tmp']
    """
    if not folder.is_dir():
        return []
    stale = sorted(folder.glob(".*.tmp"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temporary name, then rename).

    Examples
    --------
    >>> import tempfile
    >>> write_text(Path(tempfile.mkdtemp()) / "a.txt", "hello").read_text()
    'hello'
    """
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_netcdf(ds: xr.Dataset, path: Path) -> Path:
    """Write any dataset to ``path`` as netCDF (h5netcdf), atomically.

    Examples
    --------
    >>> import tempfile
    >>> write_netcdf(xr.Dataset({"a": ("x", [1.0])}), Path(tempfile.mkdtemp()) / "a.nc").name
    'a.nc'
    """
    data = netcdf_bytes(ds)
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def write_datatree(tree: xr.DataTree, path: Path) -> Path:
    """Write a DataTree (ArviZ InferenceData) to ``path`` as netCDF, atomically.

    Examples
    --------
    >>> import tempfile
    >>> tree = xr.DataTree.from_dict({"posterior": xr.Dataset({"a": ("draw", [1.0])})})
    >>> write_datatree(tree, Path(tempfile.mkdtemp()) / "i.nc").name
    'i.nc'
    """
    data = netcdf_bytes(tree)
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def write_json(path: Path, value: Any) -> Path:
    """Write ``value`` as JSON to ``path`` atomically.

    Examples
    --------
    >>> import tempfile
    >>> json.loads(write_json(Path(tempfile.mkdtemp()) / "a.json", {"a": 1}).read_text())
    {'a': 1}
    """
    return write_text(path, json.dumps(value, indent=2, default=str) + "\n")
