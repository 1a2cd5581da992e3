"""When does a metric move, relative to the validation onset? (REFERENCE C1, C4; analysis 4a)

Tan and Huang claim that the weight norm moves *before* the jump of test accuracy (C1)
while perturbed entropy and mutual information change sharply *at* it (C4). This module
measures, for each metric, the logged step at which it changes fastest and its distance
to the validation onset of :func:`~bayesgrok.analysis.onsets.grokking_gap`
(:mod:`bayesgrok.analysis.metric_onsets` compares instead the step from which a metric
stays above a level, C3).

The sharpest change
-------------------
A curve is read only where it was measured (NaN values are dropped: expensive metrics
have their own, sparser schedule). Time is ``u = log10(max(step, 1))`` by default
(grokking's time scales are multiplicative) or the step itself. Between each pair of
consecutive measured points ``i - 1`` and ``i`` the *rate* is

    ``|y[i] - y[i-1]| / (u[i] - u[i-1]) / (max(y) - min(y))``,

the change per decade (per step on the linear axis) as a fraction of the curve's range,
so metrics in different units compare. Intervals of zero duration (steps 0 and 1 on the
log axis) are skipped. The sharpest change is the step at the **end** (the later point)
of the interval with the largest rate; ties go to the earliest such interval. It is the
first measured step at which the change is visible. A curve with fewer than two measured
points, a constant one, or one that changes only across intervals of zero duration has
none (NaN).

No smoothing is done: on a noisy curve logged densely on the log axis, a single noisy
interval can win. Pass a smoothed curve when that matters.
"""


from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from bayesgrok.analysis.onsets import grokking_gap
from bayesgrok.analysis.summary import swept_parameters

__all__ = ["change_rates", "check_metric_dims", "per_metric_frame", "sharpest_change",
           "timeliness", "timeliness_table"]

Axis = Literal["log", "linear"]


def _time(steps: np.ndarray, axis: Axis) -> np.ndarray:
    """Steps on the time axis: ``log10(max(step, 1))`` or the step itself."""
    if axis == "log":
        return np.log10(np.maximum(steps.astype(float), 1.0))
    if axis == "linear":
        return steps.astype(float)
    raise ValueError(f"axis must be 'log' or 'linear', not {axis!r}")


def _sharpest_1d(values: np.ndarray, steps: np.ndarray, axis: Axis) -> tuple[float, float]:
    """(step at the end of the steepest interval, its scaled rate) of one curve."""
    keep = np.isfinite(values)
    y, s = values[keep], steps[keep]
    if y.size < 2:
        return np.nan, np.nan
    span = float(y.max() - y.min())
    u = _time(s, axis)
    du, dy = np.diff(u), np.abs(np.diff(y))
    usable = du > 0
    if span == 0 or not usable.any():
        return np.nan, np.nan
    rate = np.where(usable, dy / np.where(usable, du, 1.0) / span, -np.inf)
    i = int(np.argmax(rate))  # the first maximum: ties go to the earliest interval
    if rate[i] <= 0:  # no change over any interval of nonzero duration
        return np.nan, np.nan
    return float(s[i + 1]), float(rate[i])


def change_rates(da: xr.DataArray, dim: str = "step", *, axis: Axis = "log") -> xr.Dataset:
    """The sharpest change of each curve and its rate (see the module docstring).

    Parameters
    ----------
    da
        A metric with dimension ``dim`` (steps as its coordinate); NaN where not measured.
    dim
        The time dimension.
    axis
        ``"log"`` (default): time is ``log10(max(step, 1))``; ``"linear"``: the step.

    Returns
    -------
    xarray.Dataset
        ``sharpest_step`` (the step at the end of the steepest interval between two
        consecutive measured points) and ``max_rate`` (its change per unit of time as a
        fraction of the curve's range: per decade on the log axis, per step on the linear
        one), each with every dimension of ``da`` but ``dim``. NaN for a curve with fewer
        than two usable measured points or with a constant value.

    Raises
    ------
    ValueError
        If ``da`` has no dimension ``dim`` or ``axis`` is not ``"log"`` or ``"linear"``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> y = xr.DataArray([0.0, 0.0, np.nan, 1.0, 1.0], {"step": [1, 10, 100, 1000, 10000]},
    ...                  ["step"])
    >>> r = change_rates(y)
    >>> float(r["sharpest_step"]), float(r["max_rate"])  # all of the range in 2 decades
    (1000.0, 0.5)
    """
    if dim not in da.dims:
        raise ValueError(f"{da.name or 'array'} has no dimension {dim!r} (dims: {da.dims})")
    _time(np.zeros(1), axis)  # validate axis even when there is nothing to compute
    steps = np.asarray(da[dim].values)
    step, rate = xr.apply_ufunc(
        _sharpest_1d,
        da.astype(float),
        input_core_dims=[[dim]],
        output_core_dims=[[], []],
        vectorize=True,
        kwargs={"steps": steps, "axis": axis},
    )
    step = step.drop_vars(dim, errors="ignore")
    rate = rate.drop_vars(dim, errors="ignore")
    out = xr.Dataset({"sharpest_step": step, "max_rate": rate})
    unit = "decade" if axis == "log" else "step"
    out["sharpest_step"].attrs = {
        "units": "steps",
        "description": "step at the end of the steepest interval between measured points",
    }
    out["max_rate"].attrs = {"units": f"fraction of range per {unit}"}
    out.attrs.update(axis=axis, curve=str(da.name))
    return out


def sharpest_change(da: xr.DataArray, dim: str = "step", *, axis: Axis = "log") -> xr.DataArray:
    """The logged step at which each curve changes fastest.

    The step at the end of the interval, between two consecutive measured points, with
    the largest ``|change| / duration / range`` on the chosen time axis (see the module
    docstring; :func:`change_rates` also returns the rate).

    Parameters
    ----------
    da
        A metric with dimension ``dim``; NaN where not measured.
    dim
        The time dimension; its coordinate gives the steps.
    axis
        ``"log"`` (default): time is ``log10(max(step, 1))``; ``"linear"``: the step.

    Returns
    -------
    xarray.DataArray
        ``sharpest_step`` (float steps), with every dimension of ``da`` but ``dim``; NaN
        for an all-NaN, single-point or constant curve.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> steps = [1, 10, 20, 1000, 1100]
    >>> y = xr.DataArray([0.0, 0.0, 1.0, 1.0, 2.0], {"step": steps}, ["step"])
    >>> float(sharpest_change(y)), float(sharpest_change(y, axis="linear"))
    (1100.0, 20.0)
    >>> float(sharpest_change(xr.DataArray([np.nan] * 5, {"step": steps}, ["step"])))
    nan
    """
    return change_rates(da, dim, axis=axis)["sharpest_step"]


def check_metric_dims(ds: xr.Dataset, metrics: Sequence[str]) -> None:
    """Refuse a metric that is not in ``ds``, has no ``step`` dim, or has a dim other than
    ``run``, ``seed`` and ``step``.

    Raises
    ------
    ValueError
        Naming the first such metric.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> ds = example()
    >>> check_metric_dims(ds, ["train_accuracy"])
    >>> check_metric_dims(ds, ["norm"])
    Traceback (most recent call last):
    ...
    ValueError: no variable 'norm' in the dataset
    """
    for name in metrics:
        if name not in ds.data_vars:
            raise ValueError(f"no variable {name!r} in the dataset")
        extra = set(ds[name].dims) - {"run", "seed", "step"}
        if "step" not in ds[name].dims or extra:
            raise ValueError(
                f"{name!r} must have dims step (and run, seed) only, not {ds[name].dims}; "
                "select one layer (ds.assign(rank0=ds['feature_rank'].sel(layer=0))) first"
            )


def timeliness(
    ds: xr.Dataset,
    metrics: Sequence[str],
    threshold: float = 0.95,
    *,
    axis: Axis = "log",
) -> xr.Dataset:
    """Each metric's sharpest change and its distance to the validation onset.

    Parameters
    ----------
    ds
        A trajectory or study dataset with ``train_accuracy`` and ``val_accuracy``.
    metrics
        Names of variables with dims ``step`` (and ``run``, ``seed``); NaN where a metric
        was not measured.
    threshold
        The accuracy threshold of the validation onset (see
        :func:`~bayesgrok.analysis.onsets.grokking_gap`).
    axis
        The time axis of :func:`sharpest_change`.

    Returns
    -------
    xarray.Dataset
        Along a new dim ``metric`` (and ``run``, ``seed`` as in ``ds``):
        ``sharpest_step`` (steps), ``max_rate``, ``distance`` = ``sharpest_step -
        val_onset`` (steps; negative: the metric moves first) and ``log_distance`` =
        ``log10(max(sharpest_step, 1)) - log10(max(val_onset, 1))`` (decades). Without
        ``metric``: ``val_onset`` (steps; the last step where never crossed, as
        ``grokking_gap`` gives it) and ``val_crossed``. ``distance`` and ``log_distance``
        are NaN where a metric has no sharpest change (all NaN, constant) and where
        validation accuracy never crossed the threshold: there is no onset to be early
        or late for.

    Raises
    ------
    ValueError
        If a metric is missing or has dims other than ``run``, ``seed``, ``step``.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> ds = example(steps=(1, 10, 100, 1000))
    >>> ds["norm"] = ds["train_accuracy"] * 0 + [1.0, 0.5, 0.5, 0.5]  # falls by step 10
    >>> t = timeliness(ds, ["norm"])
    >>> t["distance"].sel(metric="norm").values.tolist()  # 10 - 100
    [-90.0, -90.0]
    >>> t["log_distance"].sel(metric="norm").values.tolist()
    [-1.0, -1.0]
    """
    metrics = list(metrics)
    check_metric_dims(ds, metrics)
    gap = grokking_gap(ds, threshold)
    rates = xr.concat(
        [change_rates(ds[name], axis=axis) for name in metrics],
        dim=pd.Index(metrics, name="metric"),
        coords="minimal",
        compat="override",
    )
    onset = gap["val_onset"].astype(float)
    crossed = gap["val_crossed"]
    sharp = rates["sharpest_step"]
    out = xr.Dataset(
        {
            "sharpest_step": sharp,
            "max_rate": rates["max_rate"],
            "val_onset": gap["val_onset"],
            "val_crossed": crossed,
            "distance": (sharp - onset).where(crossed),
            "log_distance": (np.log10(np.maximum(sharp, 1.0))
                             - np.log10(np.maximum(onset, 1.0))).where(crossed),
        }
    )
    out["distance"].attrs = {"units": "steps",
                             "description": "sharpest_step - val_onset; < 0: metric first"}
    out["log_distance"].attrs = {"units": "decades",
                                 "description": "log10 sharpest_step - log10 val_onset"}
    out.attrs.update(axis=axis, threshold=float(threshold))
    return out


def timeliness_table(
    ds: xr.Dataset,
    metrics: Sequence[str],
    threshold: float = 0.95,
    *,
    axis: Axis = "log",
) -> pd.DataFrame:
    """:func:`timeliness` as a table: one row per (run, seed, metric).

    Returns
    -------
    pandas.DataFrame
        Columns ``run`` and the swept parameters (when ``ds`` is a study), ``seed``,
        ``metric``, ``sharpest_step``, ``max_rate``, ``val_onset``, ``val_crossed``,
        ``distance``, ``log_distance``. ``attrs`` holds the axis and threshold.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> run = example(steps=(1, 10, 100, 1000))
    >>> run["norm"] = run["train_accuracy"] * 0 + [1.0, 0.5, 0.5, 0.5]
    >>> study = combine({"a": run, "b": run}, {"wd": [0.1, 1.0]})
    >>> table = timeliness_table(study, ["norm"])
    >>> print(table[["run", "wd", "seed", "metric", "distance"]].to_string(index=False))
    run  wd  seed metric  distance
      a 0.1     0   norm     -90.0
      a 0.1     1   norm     -90.0
      b 1.0     0   norm     -90.0
      b 1.0     1   norm     -90.0
    """
    result = timeliness(ds, metrics, threshold, axis=axis)
    frame = per_metric_frame(ds, result, ["sharpest_step", "max_rate", "val_onset",
                                           "val_crossed", "distance", "log_distance"])
    frame.attrs = dict(result.attrs)
    return frame


def per_metric_frame(ds: xr.Dataset, result: xr.Dataset, names: list[str]) -> pd.DataFrame:
    """``result[names]`` as a table, one row per (run, seed, metric), the swept
    parameters of ``ds`` as columns after ``run``.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> study = combine({"a": example(), "b": example()}, {"wd": [0.1, 1.0]})
    >>> result = timeliness(study, ["train_accuracy"])
    >>> per_metric_frame(study, result, ["sharpest_step"]).columns.tolist()
    ['run', 'wd', 'seed', 'metric', 'sharpest_step']
    """
    index = [d for d in ("run", "seed") if d in result.dims] + ["metric"]
    frame = result[names].to_dataframe(dim_order=index).reset_index()
    swept = swept_parameters(ds)
    for name in swept:
        frame[name] = ds[name].to_series().reindex(frame["run"]).to_numpy()
    lead = ["run", *swept] if "run" in index else []
    return frame[[*lead, *(["seed"] if "seed" in index else []), "metric", *names]]
