"""The runs of a report: each run's swept values, family, task, steps, wall time, resolved
configuration and environment, read from ``study.nc`` and ``runs/*.nc``.

:func:`read_runs` gathers one :class:`~bayesgrok.report.model.RunInfo` per run,
:func:`run_attrs` reads a run file's attributes and :func:`pretty_json` lays out the
configuration for reading.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import xarray as xr

from bayesgrok.report.model import RunInfo
from bayesgrok.report.tables import cell


def _swept(ds: xr.Dataset) -> list[str]:
    from bayesgrok.analysis.summary import swept_parameters

    names = swept_parameters(ds)
    if "sweep_shown" in ds.attrs:  # labels stand for the zipped keys they name
        shown = json.loads(ds.attrs["sweep_shown"])
        names = [c for c in shown if c in names] or names
    return names


def run_attrs(path: Path) -> dict[str, Any]:
    """The attributes of the netCDF file at ``path`` (a run file or a ``study.nc``).

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok import trajectory
    >>> path = trajectory.write(trajectory.example(), Path(tempfile.mkdtemp()) / "run.nc")
    >>> "schema_version" in run_attrs(path)
    True
    """
    with xr.open_dataset(path, engine="h5netcdf") as handle:
        return dict(handle.attrs)


def read_runs(folder: Path, ds: xr.Dataset | None, warnings: list[str]) -> list[RunInfo]:
    """One :class:`~bayesgrok.report.model.RunInfo` per run of the result folder ``folder``.

    The runs are those of ``ds`` (the folder's ``study.nc``), else the run files
    ``runs/*.nc``; each run's attributes come from its run file when there is one, its
    swept values, family, task, steps and wall time from ``ds``. A run file that cannot be
    read adds a line to ``warnings``.

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok import trajectory
    >>> ds = trajectory.combine({"a": trajectory.example(), "b": trajectory.example()},
    ...                         {"wd": [0.1, 1.0]})
    >>> runs = read_runs(Path(tempfile.mkdtemp()), ds, [])
    >>> [run.label for run in runs]
    ['wd=0.1', 'wd=1']
    """
    if ds is not None:
        ids = [str(r) for r in ds["run"].values]
    else:
        ids = sorted(p.stem for p in (folder / "runs").glob("*.nc") if "." not in p.stem)
    swept = _swept(ds) if ds is not None else []
    runs = []
    for index, run_id in enumerate(ids):
        info = RunInfo(run_id=run_id)
        attrs: dict[str, Any] = {}
        path = folder / "runs" / f"{run_id}.nc"
        if path.is_file():
            try:
                attrs = run_attrs(path)
            except (OSError, ValueError) as exc:
                warnings.append(f"{path}: could not be read ({exc})")
        if ds is not None:
            one = ds.isel(run=index)
            info.swept = {name: cell(one[name].item()) for name in swept}
            for key in ("family", "task", "config"):
                if key in one:
                    attrs.setdefault(key, str(one[key].item()))
            if "objective_formula" in one:
                attrs.setdefault("objective_formula", str(one["objective_formula"].item()))
            for key in ("wall_time_s", "total_steps"):
                if key in one:
                    attrs[key] = one[key].item()
        info.family = str(attrs.get("family", ""))
        info.task = str(attrs.get("task", ""))
        info.objective = str(attrs.get("objective_formula", ""))
        info.total_steps = cell(attrs["total_steps"]) if "total_steps" in attrs else ""
        if "wall_time_s" in attrs:
            info.wall_time = f"{float(attrs['wall_time_s']):.1f} s"
        info.config = pretty_json(attrs.get("config", ""))
        info.backend = str(attrs.get("backend", ""))
        info.engine = str(attrs.get("engine", ""))
        info.precision = str(attrs.get("precision", ""))
        info.created = str(attrs.get("created", ""))
        info.versions = str(attrs.get("versions", ""))
        runs.append(info)
    return runs


def pretty_json(text: object) -> str:
    """JSON text laid out for reading: objects indented, lists of plain values on one line.

    Examples
    --------
    >>> print(pretty_json('{"seeds": [0, 1], "search": {"lr": 0.1}}'))
    {
      "search": {
        "lr": 0.1
      },
      "seeds": [0, 1]
    }
    """
    if not text:
        return ""
    try:
        value = json.loads(str(text))
    except json.JSONDecodeError:
        return str(text)
    return _layout(value, 0)


def _layout(value: Any, depth: int) -> str:
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {_layout(v, depth + 1)}"
                 for k, v in sorted(value.items())]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        items = [f"{inner}{_layout(v, depth + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value)


