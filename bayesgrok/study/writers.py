"""The analysis outputs a study's tables ask for: landscapes, concealment fits, stages and
robustness, each a small writer of its CSV, NetCDF and figure files.

Every writer has the signature ``writer(study, ds, out, *, figures)``, where ``ds`` holds
the finished runs; :data:`bayesgrok.study.outputs.OUTPUTS` says when each is written.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from bayesgrok.analysis.summary import swept_parameters
from bayesgrok.study import store
from bayesgrok.study.errors import StudyError
from bayesgrok.study.resolve import Study


def write_concealment(study: Study, ds: xr.Dataset, out: Path, *,
                      figures: bool = True) -> None:
    """Write ``concealment.csv`` (the gap of every run and seed, in epochs),
    ``concealment_fit.csv`` (``gap = b exp(a l)`` pooled and per group) and
    ``figures/concealment.png`` (see :mod:`bayesgrok.analysis.concealment`).

    Examples
    --------
    >>> from bayesgrok.study.examples import finished_study
    >>> study, done = finished_study("concealment")
    >>> (done.out / "concealment_fit.csv").unlink()
    >>> write_concealment(study, done.dataset, done.out, figures=False)
    >>> (done.out / "concealment_fit.csv").is_file()
    True
    """
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
    from bayesgrok.analysis.rank_descents import (
        align_stages_with_rank,
        alignment_table,
        descents_table,
        rank_descents,
    )
    from bayesgrok.analysis.stages import generalisation_stages, stages_table

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
    >>> from bayesgrok.study.resolve import load_study
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
    the figures ``metrics.png``, ``timeliness.png`` and ``prediction.png``.

    Examples
    --------
    >>> from bayesgrok.study.examples import finished_study
    >>> study, done = finished_study("robustness")
    >>> (done.out / "timeliness.csv").unlink()
    >>> write_robustness(study, done.dataset, done.out, figures=False)
    >>> (done.out / "timeliness.csv").is_file(), (done.out / "metric_onsets.csv").is_file()
    (True, True)
    """
    from bayesgrok.analysis.metric_onsets import metric_onsets_table
    from bayesgrok.analysis.prediction import prediction_table
    from bayesgrok.analysis.timeliness import timeliness_table

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
    (start, end and settling step of every trajectory) and ``figures/landscape.png``.

    Examples
    --------
    >>> import xarray as xr
    >>> from bayesgrok.study.examples import finished_study
    >>> study, done = finished_study("landscape")
    >>> write_landscape(study, done.dataset, done.out, figures=False)
    >>> sorted(xr.open_dataset(done.out / "landscape.nc").sizes.items())
    [('log_lengthscale', 6), ('log_outputscale', 5)]
    """
    from bayesgrok.analysis.landscape import settling_step
    from bayesgrok.search.landscape import landscape

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
    swept = swept_parameters(ds)
    for name in swept:
        frame[name] = [ds[name].sel(run=r).item() for r in frame["run"]]
    frame = frame[["run", *swept, *[c for c in frame.columns if c not in ("run", *swept)]]]
    store.write_text(out / "landscape_summary.csv", frame.to_csv(index=False))
    if figures:
        from bayesgrok.plots.landscape import plot_landscape

        plot_landscape(land, ds, out / "figures" / "landscape.png")


