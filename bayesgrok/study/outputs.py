"""The outputs of a study: ``study.nc``, ``summary.csv``, ``failures.json``, and every
output registered in :data:`OUTPUTS` (figures, landscapes, concealment, stages,
robustness, regions, ArviZ figures), each written when its condition holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from bayesgrok import trajectory
from bayesgrok.study import store, writers
from bayesgrok.study.regions_outputs import write_regions
from bayesgrok.study.resolve import RunSpec, Study

Writer = Callable[..., None]
"""``writer(study, ds, out, *, figures)``: writes one output of the finished runs ``ds``."""


@dataclass(frozen=True)
class Output:
    """One output of a study: its name, when it is written, and its writer.

    Examples
    --------
    >>> [o.name for o in OUTPUTS][:3]
    ['figures', 'landscape', 'plane_landscape']
    """

    name: str
    applies: Callable[[Study, xr.Dataset, bool], bool]
    write: Writer


def _figures(study: Study, ds: xr.Dataset, out: Path, *, figures: bool = True) -> None:
    from bayesgrok.study.figures import draw_figures

    analysis = study.spec.analysis
    draw_figures(ds, out / "figures", threshold=analysis.threshold,
                 mse_threshold=analysis.mse_threshold)


def _inference_figures(study: Study, ds: xr.Dataset, out: Path, *,
                       figures: bool = True) -> None:
    from bayesgrok.study.figures import draw_inference_figures

    for run_id in ds["run"].values:
        draw_inference_figures(out, str(run_id))


def _plane_landscapes(study: Study, ds: xr.Dataset, out: Path, *,
                      figures: bool = True) -> None:
    from bayesgrok.study.plane_outputs import write_plane_landscapes

    write_plane_landscapes(study, ds, out, figures=figures)


def _stages(study: Study, ds: xr.Dataset, out: Path, *, figures: bool = True) -> None:
    writers.write_stages(ds, out, figures=figures)


OUTPUTS: list[Output] = [
    Output("figures", lambda study, ds, figures: figures, _figures),
    Output("landscape", lambda study, ds, figures: study.spec.landscape is not None
           and study.spec.landscape.plane == "coordinates", writers.write_landscape),
    Output("plane_landscape", lambda study, ds, figures: study.spec.landscape is not None
           and study.spec.landscape.plane == "pca", _plane_landscapes),
    Output("concealment", lambda study, ds, figures: study.spec.concealment is not None,
           writers.write_concealment),
    Output("stages", lambda study, ds, figures: "val_accuracy" in ds.data_vars,
           _stages),
    Output("robustness", lambda study, ds, figures: study.spec.robustness is not None,
           writers.write_robustness),
    Output("regions", lambda study, ds, figures: True,
           write_regions),
    Output("inference_figures", lambda study, ds, figures: figures, _inference_figures),
]
"""Every output of a study beyond ``study.nc`` and ``summary.csv``, in the order written."""


def combine_runs(study: Study, finished: dict[str, xr.Dataset]) -> xr.Dataset:
    """Combine a study's finished runs (in study order) into one dataset.

    Examples
    --------
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.examples import tiny_study
    >>> from bayesgrok.study.execute import execute
    >>> study = load_study(tiny_study())
    >>> done = {r.run_id: execute(r) for r in study.runs}
    >>> combine_runs(study, done).sizes["run"]
    1
    """
    order = [r for r in study.runs if r.run_id in finished]
    sweep = {name: [r.swept[name] for r in order] for name in study.sweep_names}
    attrs = {
        "study": study.spec.name,
        "description": study.spec.description,
        "notes": study.spec.notes,
        "study_file": str(study.path),
        "threshold": study.spec.analysis.threshold,
        "sweep_keys": json.dumps(study.sweep_names),
        "sweep_shown": json.dumps(study.shown_sweep()),
    }
    if study.spec.analysis.mse_threshold is not None:
        attrs["mse_threshold"] = study.spec.analysis.mse_threshold
    return trajectory.combine({r.run_id: finished[r.run_id] for r in order}, sweep, attrs=attrs)


def write_outputs(
    study: Study,
    out: Path,
    finished: dict[str, xr.Dataset],
    failed: dict[str, str],
    *,
    figures: bool = True,
    tracebacks: dict[str, str] | None = None,
) -> None:
    """Write ``study.nc``, ``summary.csv``, ``failures.json`` and the figures.

    Failed runs enter ``study.nc`` and ``summary.csv`` with status ``failed`` on every
    seed, NaN measurements and their traceback (the per-run variable ``traceback``, the
    ``traceback`` column); analyses and figures use the finished runs alone.

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.examples import tiny_study
    >>> study = load_study(tiny_study())
    >>> out = Path(tempfile.mkdtemp())
    >>> write_outputs(study, out, {}, {study.runs[0].run_id: "ValueError: boom"})
    >>> sorted(p.name for p in out.iterdir())  # every run failed: no analysis, no figure
    ['failures.json', 'study.nc', 'summary.csv']
    """
    from bayesgrok.analysis import summary_table

    if failed:
        store.write_json(out / "failures.json", failed)
    elif (out / "failures.json").exists():
        (out / "failures.json").unlink()
    if not finished and not failed:
        return
    tracebacks = {run_id: (tracebacks or {}).get(run_id, why) for run_id, why in failed.items()}
    placeholders = {run.run_id: failed_placeholder(run, tracebacks[run.run_id])
                    for run in study.runs if run.run_id in failed}
    everything = combine_runs(study, {**finished, **placeholders})
    everything["traceback"] = ("run", np.asarray(
        [tracebacks.get(str(r), "") for r in everything["run"].values], dtype=object))
    trajectory.write(everything, out / "study.nc", study=True)
    if not finished:  # every run failed: study.nc and summary.csv say so, nothing else
        store.write_text(out / "summary.csv", _failure_table(everything).to_csv(index=False))
        return
    analysis = study.spec.analysis
    table = summary_table(everything, analysis.threshold, mse_threshold=analysis.mse_threshold)
    if failed:
        table["traceback"] = [tracebacks.get(str(r), "") for r in table["run"]]
    store.write_text(out / "summary.csv", table.to_csv(index=False))
    ds = everything.sel(run=[r for r in everything["run"].values if str(r) in finished])
    for output in OUTPUTS:
        if output.applies(study, ds, figures):
            output.write(study, ds, out, figures=figures)


def _failure_table(everything: xr.Dataset) -> Any:
    """The summary of a study whose every run failed: run, swept values, seed, status and
    traceback (no onset or gap: nothing was measured)."""
    import pandas as pd

    from bayesgrok.analysis.summary import swept_parameters

    rows = []
    for run in everything["run"].values:
        one = everything.sel(run=run)
        for seed in one["seed"].values:
            rows.append({"run": str(run),
                         **{name: one[name].item() for name in swept_parameters(everything)},
                         "seed": int(seed), "status": str(one["status"].sel(seed=seed).item()),
                         "traceback": str(one["traceback"].item())})
    return pd.DataFrame(rows)


def failed_placeholder(run: RunSpec, why: str) -> xr.Dataset:
    """A stand-in trajectory for a run that raised: every seed ``failed``, NaN measurements
    at step 0, so that the run keeps its place (and its swept values) in the study dataset.

    Examples
    --------
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.examples import tiny_study
    >>> run = load_study(tiny_study()).runs[0]
    >>> ds = failed_placeholder(run, "ValueError: boom")
    >>> sorted(set(ds["status"].values.tolist())), ds.attrs["traceback"]
    (['failed'], 'ValueError: boom')
    """
    seeds = np.asarray(run.seeds, dtype=np.int64)
    nan = np.full((seeds.size, 1), np.nan)
    ds = xr.Dataset(
        {name: (("seed", "step"), nan.copy())
         for name in ("error", "complexity", "objective", "val_error")},
        coords={"seed": seeds, "step": np.zeros(1, dtype=np.int64)},
    )
    ds["status"] = ("seed", np.asarray(["failed"] * seeds.size, dtype=object))
    ds["status"].attrs["reasons"] = json.dumps(
        {str(s): (why.strip().splitlines() or ["failed"])[-1] for s in seeds})
    ds.attrs.update(family=run.family, task=run.task, config=json.dumps(run.config),
                    total_steps=0, traceback=why)
    return ds


