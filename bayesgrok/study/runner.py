"""Running a study: the local executor, the run store and the study's outputs.

:func:`run_study` resolves a study file (any bad input stops it before anything is
written), runs each missing run with the engine its family names, and writes the run
files, ``study.nc``, ``summary.csv``, figures, ``provenance.json`` and the report.
Finished runs on disk are reused, so a study stopped midway computes only what is missing
when run again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import xarray as xr

from bayesgrok import trajectory
from bayesgrok.search import engine_for
from bayesgrok.study import store
from bayesgrok.study.errors import StudyError
from bayesgrok.study.executors import Executor, LocalExecutor, RunOutcome, wait_for
from bayesgrok.study.provenance import write_provenance
from bayesgrok.study.regions_outputs import write_regions
from bayesgrok.study.resolve import RunSpec, Study, load_study


class Reporter(Protocol):
    """What an executor tells a progress display."""

    def start_study(self, study: Study, todo: int) -> None: ...

    def start_run(self, run: RunSpec, total_steps: int) -> None: ...

    def advance(self, steps: int) -> None: ...

    def end_run(self, run: RunSpec, outcome: str) -> None: ...


class SilentReporter:
    """A reporter that shows nothing."""

    def start_study(self, study: Study, todo: int) -> None:
        """Nothing."""

    def start_run(self, run: RunSpec, total_steps: int) -> None:
        """Nothing."""

    def advance(self, steps: int) -> None:
        """Nothing."""

    def end_run(self, run: RunSpec, outcome: str) -> None:
        """Nothing."""


@dataclass
class StudyResult:
    """What a study run leaves: its folder, dataset, and which runs were computed or reused.

    ``recomputed`` names the runs (among ``computed`` or ``failed``) whose file was there
    but corrupt, or made from another configuration (with ``force``).
    """

    out: Path
    dataset: xr.Dataset | None
    computed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    recomputed: list[str] = field(default_factory=list)
    report: Path | None = None


def execute(run: RunSpec, reporter: Reporter | None = None) -> xr.Dataset:
    """Run one :class:`RunSpec` with its family's engine; return the trajectory.

    Examples
    --------
    >>> from bayesgrok.study.schema import studies_dir
    >>> run = load_study(studies_dir() / "miller_linear.toml").runs[0]
    >>> execute(run).sizes["seed"] == len(run.seeds)
    True
    """
    return execute_with_artifacts(run, reporter)[0]


def execute_with_artifacts(
    run: RunSpec,
    reporter: Reporter | None = None,
    *,
    family: Any = None,
    splits: list[Any] | None = None,
) -> tuple[xr.Dataset, dict[str, xr.DataTree]]:
    """Run one :class:`RunSpec`; return its trajectory and any artifacts (InferenceData).

    Examples
    --------
    >>> from bayesgrok.study.schema import studies_dir
    >>> run = load_study(studies_dir() / "miller_linear.toml").runs[0]
    >>> ds, artifacts = execute_with_artifacts(run)
    >>> artifacts
    {}
    """
    reporter = reporter or SilentReporter()
    family = family if family is not None else run.build_family()
    splits = splits if splits is not None else run.splits()
    reporter.start_run(run, run.search.total_steps(splits[0].n_train))
    if run.search.method == "nuts":
        from bayesgrok.search import nuts_engine

        engine: Any = nuts_engine.run
    else:
        engine = engine_for(family)
    out = engine(family, splits, run.search, seeds=run.seeds, config=run.config,
                 progress=reporter.advance)
    ds, artifacts = out if isinstance(out, tuple) else (out, {})
    ds.attrs["run_id"] = run.run_id
    return ds, artifacts


def run_study(
    path: str | Path,
    out: str | Path | None = None,
    *,
    reporter: Reporter | None = None,
    figures: bool = True,
    executor: Executor | None = None,
    force: bool = False,
    command: str | None = None,
    report: bool = True,
) -> StudyResult:
    """Run the study file ``path``, writing its results under ``out``.

    Finished runs on disk (complete, valid, made from the same configuration) are reused;
    missing and corrupt ones are computed. A run that raises is recorded as failed (its
    traceback in ``runs/<run-id>.failed.json``, ``failures.json`` and ``summary.csv``) and
    the others go on; it is computed again next time.

    Parameters
    ----------
    path
        The study file (TOML).
    out
        Output folder (default ``results/<study name>``).
    reporter
        A progress display (default: none).
    figures
        Whether to draw the study's figures.
    executor
        Where runs are computed (default :class:`~bayesgrok.study.executors.LocalExecutor`;
        see :class:`~bayesgrok.study.executors.DaskExecutor`).
    force
        Recompute (and overwrite) finished runs whose file was made from a different
        configuration, instead of refusing.
    command
        The command line that asked for this run, recorded in ``provenance.json`` (with
        the start and finish times, host, Python and bayesgrok versions) once the outputs
        are written; ``None`` when called from Python (the report then shows the
        equivalent ``bayesgrok run`` command, marked as reconstructed).
    report
        Write the report (``report.html`` and ``report.md``, see
        :func:`bayesgrok.report.write_report`) at the end. It is written with or without
        ``figures`` (without them it simply has none), whenever ``study.nc`` was written.

    Raises
    ------
    bayesgrok.study.errors.StudyError
        On any bad input, before anything is written; and when a finished run's file was
        made from a different configuration and ``force`` is not given.

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.study.schema import studies_dir
    >>> res = run_study(studies_dir() / "miller_linear.toml", tempfile.mkdtemp(), figures=False)
    >>> (res.out / "study.nc").is_file()
    True
    """
    started = datetime.now(UTC)
    pin_threads_early(path)
    study = load_study(path)
    out = Path(out) if out is not None else Path("results") / study.spec.name
    reporter = reporter or SilentReporter()
    executor = executor or LocalExecutor()
    result = StudyResult(out=out, dataset=None)
    finished: dict[str, xr.Dataset] = {}
    todo: list[RunSpec] = []
    conflicts: list[str] = []
    store.remove_stale_temporaries(out / "runs")
    for run in study.runs:
        state, ds = store.inspect_run(store.run_path(out, run.run_id), run.config)
        if state == "finished":
            finished[run.run_id] = ds
            result.reused.append(run.run_id)
            continue
        if state == "conflict":
            conflicts.append(run.run_id)
        if state in ("corrupt", "conflict"):
            result.recomputed.append(run.run_id)
        todo.append(run)
    if conflicts and not force:
        raise StudyError(
            str(path), "", f"{len(conflicts)} finished run file(s) in {out / 'runs'} were made "
            f"from a different configuration ({', '.join(conflicts[:3])}"
            f"{', ...' if len(conflicts) > 3 else ''}); refusing to overwrite them: choose "
            "another --out, or pass --force to recompute and overwrite them"
        )
    if todo:
        pin_study_threads(study, str(path))
    reporter.start_study(study, len(todo))
    by_id = {run.run_id: run for run in todo}
    tracebacks: dict[str, str] = {}
    for outcome in executor.map(todo, out, reporter):
        run = by_id[outcome.run_id]
        ds = None
        if outcome.ok:
            wait_for(store.run_path(out, run.run_id))
            ds = store.load_finished(store.run_path(out, run.run_id), run.config)
            if ds is None:
                outcome = RunOutcome(run.run_id, False,
                                     "the run's file could not be read back after the run")
        if ds is not None:
            finished[run.run_id] = ds
            result.computed.append(run.run_id)
        else:
            result.failed[run.run_id] = outcome.outcome
            tracebacks[run.run_id] = outcome.traceback or outcome.outcome
    write_outputs(study, out, finished, result.failed, figures=figures, tracebacks=tracebacks)
    if finished or result.failed:
        result.dataset = trajectory.read(out / "study.nc", study=True)
    write_provenance(out, command, started, computed=len(result.computed),
                     reused=len(result.reused), failed=len(result.failed))
    if report and (out / "study.nc").is_file():
        from bayesgrok.report import write_report

        result.report = write_report(out, dataset=result.dataset)[0]
    return result


def pin_threads_early(path: str | Path) -> None:
    """Pin the threads of the file's ``[search] threads`` before anything computes.

    Resolving a study may already run JAX (families check their shapes), and XLA reads
    its thread flags when it first computes; so the pin is read off the raw file first.
    :func:`pin_study_threads` then checks the resolved runs against it. A file that
    cannot be read is left to :func:`~bayesgrok.study.resolve.load_study` to report.

    Examples
    --------
    >>> from bayesgrok.study.schema import studies_dir
    >>> pin_threads_early(studies_dir() / "miller_linear.toml")  # pins nothing
    """
    from bayesgrok.study.schema import load_toml

    try:
        threads = load_toml(path).get("search", {}).get("threads")
    except Exception:  # noqa: BLE001 - load_study reports a bad file with its own message
        return
    if isinstance(threads, int) and not isinstance(threads, bool) and threads >= 1:
        _pin(str(path), threads)


def _pin(path: str, threads: int) -> None:
    from bayesgrok.search.threads import ThreadPinError, pin_threads

    try:
        pin_threads(threads)
    except ThreadPinError as exc:
        raise StudyError(path, "search.threads", str(exc)) from None


def pin_study_threads(study: Study, path: str) -> int | None:
    """Pin this process's threads to the study's ``[search] threads``, if it gives one.

    Every run of a study must agree on it (a sweep may not vary it); see
    :func:`bayesgrok.search.threads.pin_threads`.

    Raises
    ------
    bayesgrok.study.errors.StudyError
        If the runs disagree, or JAX already computed in this process with other threads.

    Examples
    --------
    >>> from bayesgrok.study.schema import studies_dir
    >>> pin_study_threads(load_study(studies_dir() / "miller_linear.toml"), "x.toml") is None
    True
    """
    wanted = {getattr(run.search, "threads", None) for run in study.runs}
    if len(wanted) > 1:
        raise StudyError(path, "search.threads", f"the runs of one study must pin the same "
                         f"number of threads, got {sorted(map(str, wanted))}")
    threads = wanted.pop()
    if threads is not None:
        _pin(path, threads)
    return threads


def combine_runs(study: Study, finished: dict[str, xr.Dataset]) -> xr.Dataset:
    """Combine a study's finished runs (in study order) into one dataset.

    Examples
    --------
    >>> from bayesgrok.study.schema import studies_dir
    >>> study = load_study(studies_dir() / "miller_linear_ablation.toml")
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
    >>> from bayesgrok.study.schema import studies_dir
    >>> study = load_study(studies_dir() / "quickstart.toml")
    >>> out = Path(tempfile.mkdtemp())
    >>> write_outputs(study, out, {}, {"run-x": "ValueError: boom"})
    >>> sorted(p.name for p in out.iterdir())
    ['failures.json']
    """
    from bayesgrok.analysis import summary_table

    if failed:
        store.write_json(out / "failures.json", failed)
    elif (out / "failures.json").exists():
        (out / "failures.json").unlink()
    if not finished:
        return
    tracebacks = {run_id: (tracebacks or {}).get(run_id, why) for run_id, why in failed.items()}
    placeholders = {run.run_id: failed_placeholder(run, tracebacks[run.run_id])
                    for run in study.runs if run.run_id in failed}
    everything = combine_runs(study, {**finished, **placeholders})
    everything["traceback"] = ("run", np.asarray(
        [tracebacks.get(str(r), "") for r in everything["run"].values], dtype=object))
    trajectory.write(everything, out / "study.nc", study=True)
    analysis = study.spec.analysis
    table = summary_table(everything, analysis.threshold, mse_threshold=analysis.mse_threshold)
    if failed:
        table["traceback"] = [tracebacks.get(str(r), "") for r in table["run"]]
    store.write_text(out / "summary.csv", table.to_csv(index=False))
    ds = everything.sel(run=[r for r in everything["run"].values if str(r) in finished])
    if figures:
        draw_figures(ds, out / "figures", threshold=analysis.threshold,
                     mse_threshold=analysis.mse_threshold)
    if study.spec.landscape is not None:
        write_landscape(study, ds, out, figures=figures)
    if study.spec.concealment is not None:
        write_concealment(study, ds, out, figures=figures)
    if "val_accuracy" in ds.data_vars:
        write_stages(ds, out, figures=figures)
    if study.spec.robustness is not None:
        write_robustness(study, ds, out, figures=figures)
    write_regions(study, ds, out, figures=figures)
    if figures:
        for run in study.runs:
            if run.run_id in finished:
                draw_inference_figures(out, run.run_id)


def failed_placeholder(run: RunSpec, why: str) -> xr.Dataset:
    """A stand-in trajectory for a run that raised: every seed ``failed``, NaN measurements
    at step 0, so that the run keeps its place (and its swept values) in the study dataset.

    Examples
    --------
    >>> from bayesgrok.study.schema import studies_dir
    >>> run = load_study(studies_dir() / "miller_linear.toml").runs[0]
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


def draw_inference_figures(out: Path, run_id: str) -> list[Path]:
    """ArviZ figures of a run's artifacts: trace and rank plots of its first NUTS
    InferenceData, and a posterior plot per variational snapshot (``posterior_step<k>``).

    Examples
    --------
    >>> draw_inference_figures(Path("no/such/results"), "run-1")
    []
    """
    import arviz_plots as azp

    from bayesgrok.analysis.inference_data import save_plot_collection

    artifacts = store.artifacts_of(out, run_id)
    written = []
    found = [p for name, p in artifacts.items() if name.startswith("idata")]
    if found:
        tree = xr.open_datatree(found[0], engine="h5netcdf").load()
        for kind, plot in (("trace", azp.plot_trace_dist), ("rank", azp.plot_rank)):
            path = out / "figures" / f"{run_id}_{kind}.png"
            save_plot_collection(plot(tree, backend="matplotlib"), path)
            written.append(path)
    for name, file in artifacts.items():
        if name.startswith("posterior_step"):
            tree = xr.open_datatree(file, engine="h5netcdf").load()
            path = out / "figures" / f"{run_id}_{name}.png"
            save_plot_collection(azp.plot_dist(few_sites(tree), backend="matplotlib"), path)
            written.append(path)
    return written


def few_sites(tree: xr.DataTree, most: int = 8) -> xr.DataTree:
    """``tree`` with its posterior cut to at most ``most`` scalar quantities for a figure:
    the sites in order of size, each cut to its first elements.

    Examples
    --------
    >>> import numpy as np, arviz_base as azb
    >>> tree = azb.from_dict({"posterior": {"w": np.zeros((2, 5, 30, 4)),
    ...                                     "b": np.zeros((2, 5, 2))}})
    >>> {k: dict(v.sizes) for k, v in few_sites(tree)["posterior"].data_vars.items()}
    {'b': {'chain': 2, 'draw': 5, 'b_dim_0': 2}, 'w': {'chain': 2, 'draw': 5, 'w_dim_0': 6}}
    """
    post = tree["posterior"].to_dataset()
    kept, left = {}, most
    for name in sorted(post.data_vars, key=lambda v: post[v].size):
        if left <= 0:
            break
        da = post[name]
        for dim in [d for d in da.dims if d not in ("chain", "draw")]:
            da = da.isel({dim: slice(0, left)})
            if da.size // (da.sizes["chain"] * da.sizes["draw"]) >= left:
                da = da.isel({d: 0 for d in da.dims if d not in ("chain", "draw", dim)})
                break
        kept[name] = da
        left -= da.size // (da.sizes["chain"] * da.sizes["draw"])
    return xr.DataTree.from_dict({"posterior": xr.Dataset(kept)})


def write_concealment(study: Study, ds: xr.Dataset, out: Path, *,
                      figures: bool = True) -> None:
    """Write ``concealment.csv`` (the gap of every run and seed, in epochs),
    ``concealment_fit.csv`` (``gap = b exp(a l)`` pooled and per group) and
    ``figures/concealment.png`` (see :mod:`bayesgrok.analysis.concealment`)."""
    from bayesgrok.analysis.concealment import concealment_fit, concealment_table

    spec = study.spec.concealment
    if spec is None:
        return
    coord = {key: name for name, key in study.sweep_names.items()}
    length = coord[spec.length]
    group = coord[spec.group] if spec.group is not None else None
    table = concealment_table(ds, length, group, study.spec.analysis.threshold)
    fit = concealment_fit(table)
    store.write_text(out / "concealment.csv", table.to_csv(index=False))
    store.write_text(out / "concealment_fit.csv", fit.to_csv(index=False))
    if figures:
        from bayesgrok.plots.concealment import plot_concealment

        plot_concealment(table, fit, out / "figures" / "concealment.png")


def write_stages(ds: xr.Dataset, out: Path, *, figures: bool = True) -> None:
    """Write ``stages.csv`` (the surges of validation accuracy of every run and seed) and,
    when feature ranks were measured, ``rank_descents.csv``, ``stage_rank_alignment.csv``
    and ``figures/stages.png`` (see :mod:`bayesgrok.analysis.stages`).

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.trajectory import combine, example
    >>> out = Path(tempfile.mkdtemp())
    >>> write_stages(combine({"a": example()}), out)
    >>> sorted(p.name for p in out.iterdir())
    ['stages.csv']
    """
    from bayesgrok.analysis.stages import (
        align_stages_with_rank,
        alignment_table,
        descents_table,
        generalisation_stages,
        rank_descents,
        stages_table,
    )

    stages = generalisation_stages(ds["val_accuracy"])
    store.write_text(out / "stages.csv", stages_table(stages).to_csv(index=False))
    if "feature_rank" not in ds.data_vars:
        return
    descents = rank_descents(ds["feature_rank"])
    store.write_text(out / "rank_descents.csv", descents_table(descents).to_csv(index=False))
    alignment = align_stages_with_rank(stages, descents)
    store.write_text(out / "stage_rank_alignment.csv",
                     alignment_table(alignment).to_csv(index=False))
    if figures:
        from bayesgrok.plots.stages import plot_stages

        plot_stages(ds, out / "figures" / "stages.png", stages=stages)


def robustness_variables(study: Study, ds: xr.Dataset) -> list[str]:
    """The variables a study's ``[robustness]`` analyses: those it names, else every
    robustness metric the runs recorded, with the weight norm first.

    Raises
    ------
    StudyError
        If a named variable is not in the study's trajectories.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> from bayesgrok.study.schema import studies_dir
    >>> study = load_study(studies_dir() / "quickstart.toml")
    >>> ds = combine({"a": example()})
    >>> ds["pe"] = ds["error"] * 0
    >>> robustness_variables(study, ds)
    ['pe']
    """
    from bayesgrok.metrics.suite import ROBUSTNESS_VARIABLES

    spec = study.spec.robustness
    if spec is not None and spec.metrics is not None:
        missing = [m for m in spec.metrics if m not in ds.data_vars]
        if missing:
            raise StudyError(str(study.path), "robustness.metrics", "not recorded by the "
                             "runs (name variables of their trajectories)", missing)
        return list(spec.metrics)
    found = [v for names in ROBUSTNESS_VARIABLES.values() for v in names if v in ds.data_vars]
    return (["weight_norm"] if "weight_norm" in ds.data_vars else []) + found


def write_robustness(study: Study, ds: xr.Dataset, out: Path, *, figures: bool = True) -> None:
    """Write the ``[robustness]`` analyses (REFERENCE C): ``timeliness.csv`` (each
    metric's sharpest change against the validation onset), ``metric_onsets.csv`` (the
    levels of ``robustness.onsets``), ``prediction.csv`` (with ``prediction = true``) and
    the figures ``metrics.png``, ``timeliness.png`` and ``prediction.png``."""
    from bayesgrok.analysis.prediction import prediction_table
    from bayesgrok.analysis.timeliness import metric_onsets_table, timeliness_table

    spec = study.spec.robustness
    if spec is None:
        return
    names = robustness_variables(study, ds)
    if not names:
        raise StudyError(str(study.path), "robustness", "the runs recorded no robustness "
                         "metric: name them in model.metrics and give search.metrics_log",
                         None)
    threshold = study.spec.analysis.threshold
    table = timeliness_table(ds, names, threshold, axis=spec.axis)
    store.write_text(out / "timeliness.csv", table.to_csv(index=False))
    if spec.onsets:
        unknown = [m for m in spec.onsets if m not in ds.data_vars]
        if unknown:
            raise StudyError(str(study.path), "robustness.onsets", "not recorded by the runs",
                             unknown)
        onsets = metric_onsets_table(ds, spec.onsets, threshold)
        store.write_text(out / "metric_onsets.csv", onsets.to_csv(index=False))
    if spec.prediction:
        pred = prediction_table(ds, names, threshold=threshold, directions=spec.directions,
                                fit_threshold=spec.fit_threshold)
        store.write_text(out / "prediction.csv", pred.to_csv(index=False))
    if figures:
        from bayesgrok.plots.metric_curves import plot_metric_curves
        from bayesgrok.plots.prediction import plot_prediction, plot_timeliness

        folder = out / "figures"
        plot_metric_curves(ds, names, folder / "metrics.png", threshold=threshold)
        plot_timeliness(ds, names, folder / "timeliness.png", threshold=threshold,
                        seed="mean", axis=spec.axis)
        if spec.prediction:
            plot_prediction(ds, names, folder / "prediction.png", threshold=threshold,
                            directions=spec.directions, fit_threshold=spec.fit_threshold)


def write_landscape(study: Study, ds: xr.Dataset, out: Path, *, figures: bool = True) -> None:
    """Evaluate the study's landscape, write ``landscape.nc``, ``landscape_summary.csv``
    (start, end and settling step of every trajectory) and ``figures/landscape.png``."""
    from bayesgrok.analysis.landscape import landscape, settling_step

    spec = study.spec.landscape
    if spec is None:
        return
    run = study.runs[0]
    family = run.build_family()
    split = run.splits()[0]
    land = landscape(family, split, (spec.x, spec.x_values()), (spec.y, spec.y_values()))
    store.write_netcdf(land, out / "landscape.nc")
    names = [spec.x, spec.y]
    settle = settling_step(ds, names, spec.tolerance)
    first = settling_step(ds, names, spec.tolerance, rule="first")
    table = xr.Dataset({
        f"start_{spec.x}": ds[spec.x].isel(step=0, drop=True),
        f"start_{spec.y}": ds[spec.y].isel(step=0, drop=True),
        f"end_{spec.x}": ds[spec.x].isel(step=-1, drop=True),
        f"end_{spec.y}": ds[spec.y].isel(step=-1, drop=True),
        f"first_within_{spec.tolerance:g}_of_end": first,
        f"stays_within_{spec.tolerance:g}_of_end_from": settle,
    })
    frame = table.to_dataframe().reset_index()
    swept = [c for c in ds.coords if ds[c].dims == ("run",) and c != "run"]
    for name in swept:
        frame[name] = [ds[name].sel(run=r).item() for r in frame["run"]]
    frame = frame[["run", *swept, *[c for c in frame.columns if c not in ("run", *swept)]]]
    store.write_text(out / "landscape_summary.csv", frame.to_csv(index=False))
    if figures:
        from bayesgrok.plots.landscape import plot_landscape

        plot_landscape(land, ds, out / "figures" / "landscape.png")


def draw_figures(
    ds: xr.Dataset,
    folder: Path,
    *,
    threshold: float = 0.95,
    mse_threshold: float | None = None,
) -> list[Path]:
    """Draw the standard figures of a study dataset into ``folder``; return their paths.

    Accuracy (or MSE) curves, error against complexity, the mean of each term against
    time (``terms.png``), and one figure per probe with a dimension of its own
    (``probe_<name>.png``: weights per feature, inverse lengthscales per input dimension,
    ...).

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.trajectory import combine, example
    >>> paths = draw_figures(combine({"a": example()}), Path(tempfile.mkdtemp()))
    >>> [p.name for p in paths]
    ['accuracy.png', 'error_complexity.png', 'terms.png']
    """
    from bayesgrok.plots import plot_accuracy, plot_error_complexity, plot_terms
    from bayesgrok.plots.probes import plot_probe, probe_names

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, plot in (("accuracy", plot_accuracy), ("error_complexity", plot_error_complexity)):
        path = folder / f"{name}.png"
        plot(ds, path, threshold=threshold, mse_threshold=mse_threshold)
        paths.append(path)
    path = folder / "terms.png"
    plot_terms(ds, path)
    paths.append(path)
    for name in probe_names(ds):
        path = folder / f"probe_{name}.png"
        plot_probe(ds, name, path)
        paths.append(path)
    return paths

