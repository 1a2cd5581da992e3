"""The PCA-plane landscape of every run of a study (``[landscape] plane = "pca"``).

For each run: the plane of its parameter snapshots (:mod:`bayesgrok.analysis.plane`), the
family's error, complexity, objective and training fit over a grid on it
(:mod:`bayesgrok.search.plane_landscape`), every seed's path projected onto it, and the
regions of the general grokking hypothesis read off the plane with the study's own
definitions (:mod:`bayesgrok.analysis.regions`: the training fit criterion and the
low-complexity level in force for the run). Writes ``landscape_<run>.nc``,
``figures/landscape_<run>.png`` and ``landscape_plane.csv`` (one row per run and seed:
the plane's explained variance, how much of the path lies in it, and whether its
projection passes from the plane's LEHC area into its LELC area).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayesgrok.analysis.plane import plane_grid, trajectory_plane
from bayesgrok.analysis.regions import regions
from bayesgrok.study import store
from bayesgrok.study.regions_outputs import region_spec_of
from bayesgrok.study.resolve import RunSpec, Study

LEHC, LELC = "LEHC", "LELC"


def _read_snapshots(out: Path, run: RunSpec) -> xr.DataArray | None:
    path = store.artifact_path(out, run.run_id, "parameters")
    if not path.is_file():
        return None
    with xr.open_dataset(path, engine="h5netcdf") as handle:
        return handle["parameters"].load()


def _area(fit: np.ndarray, complexity: np.ndarray, *, metric: str, threshold: float,
          level: float) -> np.ndarray:
    """The region name of each point from its training fit and complexity."""
    low_error = fit <= threshold if metric == "mse" else fit >= threshold
    low_complexity = complexity <= level
    names = np.where(low_error, np.where(low_complexity, LELC, LEHC),
                     np.where(low_complexity, "HELC", "HEHC"))
    return np.where(np.isfinite(fit) & np.isfinite(complexity), names, "")


def _passage(steps: np.ndarray, areas: np.ndarray) -> tuple[float, float, bool]:
    """The first step in LEHC, the first step in LELC after it, and whether both exist."""
    lehc = np.flatnonzero(areas == LEHC)
    if not lehc.size:
        return np.nan, np.nan, False
    after = np.flatnonzero((areas == LELC) & (np.arange(areas.size) > lehc[0]))
    exit_step = float(steps[after[0]]) if after.size else np.nan
    return float(steps[lehc[0]]), exit_step, bool(after.size)


def run_plane_landscape(study: Study, run: RunSpec, snapshots: xr.DataArray,
                        levels: dict[str, Any]) -> tuple[xr.Dataset, list[dict[str, Any]]]:
    """The landscape dataset of one run on its PCA plane, and one summary row per seed.

    ``levels`` holds the regions' definitions in force for the run: ``metric``
    (``"accuracy"`` or ``"mse"``), ``threshold`` and ``level`` (the low-complexity level).

    Examples
    --------
    >>> from bayesgrok.study.examples import finished_study
    >>> study, done = finished_study("pca")
    >>> snapshots = _read_snapshots(done.out, study.runs[0])
    >>> land, rows = run_plane_landscape(study, study.runs[0], snapshots,
    ...                                  {"metric": "accuracy", "threshold": 0.95, "level": 1.0})
    >>> land["error"].shape, len(rows)
    ((4, 5), 1)
    """
    from bayesgrok.search.plane_landscape import plane_landscape, values_at

    spec = study.spec.landscape
    plane = trajectory_plane(snapshots, seed=spec.seed, filter_normalize=spec.filter_normalize)
    seeds = [int(s) for s in snapshots["seed"].values]
    vectors = snapshots.transpose("seed", "snapshot", "parameter").values.astype(np.float64)
    paths = np.stack([plane.project(v) for v in vectors])  # (seed, snapshot, 2)
    size = spec.grid_size()
    a, _ = plane_grid(plane, paths, resolution=size[0], margin=spec.margin)
    _, b = plane_grid(plane, paths, resolution=size[1], margin=spec.margin)
    family = run.build_family()
    splits = dict(zip(run.seeds, run.splits(), strict=True))
    anchor = plane.seeds[0]
    land = plane_landscape(family, splits[anchor], plane, a, b, seed=anchor)
    fit_name = "train_mse" if levels["metric"] == "mse" else "train_accuracy"
    steps = snapshots["snapshot"].values
    rows, path_vars = [], {}
    off_plane = np.full((len(seeds), len(steps)), np.nan)
    fit_on_plane = np.full((len(seeds), len(steps)), np.nan)
    comp_on_plane = np.full((len(seeds), len(steps)), np.nan)
    for i, seed in enumerate(seeds):
        on_plane = plane.points(paths[i, :, 0], paths[i, :, 1])
        scale = np.linalg.norm(vectors[i] - vectors[i, -1], axis=1).max() or 1.0
        off_plane[i] = np.linalg.norm(vectors[i] - on_plane, axis=1) / scale
        values = values_at(family, splits[seed], on_plane, seed=seed)
        fit_on_plane[i], comp_on_plane[i] = values[fit_name], values["complexity"]
        areas = _area(values[fit_name], values["complexity"], metric=levels["metric"],
                      threshold=levels["threshold"], level=levels["level"])
        entry, exit_step, passed = _passage(steps, areas)
        rows.append({"run": run.run_id, **run.swept, "seed": seed,
                     "explained_variance_1": plane.explained_variance_ratio[0],
                     "explained_variance_2": plane.explained_variance_ratio[1],
                     "plane_seeds": " ".join(map(str, plane.seeds)),
                     "max_off_plane": float(np.nanmax(off_plane[i])),
                     "start_area": areas[0], "end_area": areas[-1],
                     "lehc_entry_on_plane": entry, "lelc_after_lehc_on_plane": exit_step,
                     "passes_lehc_to_lelc_on_plane": passed})
    dims = ("seed", "snapshot")
    path_vars = {
        "path_a": (dims, paths[..., 0], {"long_name": "projected path, first direction"}),
        "path_b": (dims, paths[..., 1], {"long_name": "projected path, second direction"}),
        "path_off_plane": (dims, off_plane, {"long_name": "distance of the snapshot from "
                                             "the plane, relative to the path's extent"}),
        f"path_{fit_name}_on_plane": (dims, fit_on_plane, {}),
        "path_complexity_on_plane": (dims, comp_on_plane, {}),
    }
    land = land.assign(path_vars).assign_coords(seed=seeds, snapshot=steps)
    land.attrs.update({"run": run.run_id, "fit_metric": levels["metric"],
                       "fit_threshold": levels["threshold"],
                       "low_complexity_level": levels["level"],
                       "filter_normalize": int(spec.filter_normalize)})
    return land, rows


def _levels(study: Study, ds: xr.Dataset) -> dict[str, dict[str, Any]]:
    spec = region_spec_of(study.spec.regions, study.spec.analysis, study.sweep_names)
    reg = regions(ds, spec)
    metric = "mse" if reg.attrs.get("fit_metric") == "mse" else "accuracy"
    return {str(r): {"metric": metric, "threshold": float(reg.attrs["fit_threshold"]),
                     "level": float(reg["low_complexity_level"].sel(run=r))}
            for r in reg["run"].values}


def write_plane_landscapes(study: Study, ds: xr.Dataset, out: Path, *,
                           figures: bool = True) -> None:
    """Write every run's PCA-plane landscape, its figure and ``landscape_plane.csv``.

    Examples
    --------
    >>> from bayesgrok.study.examples import finished_study
    >>> study, done = finished_study("pca")
    >>> (done.out / "landscape_plane.csv").unlink()
    >>> write_plane_landscapes(study, done.dataset, done.out, figures=False)
    >>> (done.out / "landscape_plane.csv").is_file()
    True
    """
    levels = _levels(study, ds)
    rows: list[dict[str, Any]] = []
    for run in study.runs:
        snapshots = _read_snapshots(out, run)
        if snapshots is None or run.run_id not in levels:
            continue  # a failed run, or one computed before it kept snapshots
        land, run_rows = run_plane_landscape(study, run, snapshots, levels[run.run_id])
        rows += run_rows
        store.write_netcdf(land, out / f"landscape_{run.run_id}.nc")
        if figures:
            from bayesgrok.plots.plane_landscape import plot_plane_landscape

            plot_plane_landscape(land, out / "figures" / f"landscape_{run.run_id}.png")
    if rows:
        store.write_text(out / "landscape_plane.csv", pd.DataFrame(rows).to_csv(index=False))
