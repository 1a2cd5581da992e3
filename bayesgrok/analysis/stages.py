"""Multi-stage generalisation and feature-rank descents (REFERENCE B, Fan et al.).

Deep MLPs can generalise in several stages: validation accuracy surges, rests on a plateau,
and surges again. Fan et al. relate each surge to a descent of the numerical rank of the
features of some layer, and sometimes to a *double descent* (down, up, down again). This
module finds those events in a trajectory and lines them up.

Surges of accuracy
------------------
A curve is read on a time axis ``u``: ``log10(step)`` by default (grokking's time scales
are multiplicative and the papers plot them on log axes), or the step itself, rescaled to
``[0, 1]`` over the logged span. NaN values (steps where the curve was not measured) are
dropped. The curve is smoothed by a running median of three points and replaced by its
running maximum, its *envelope*, so that a single noisy dip is not a plateau between two
surges.

A point lies on a *plateau* when some window of the time axis that contains it, at least
``min_plateau`` wide, sees the envelope rise by less than ``flat``. Between plateaus the
envelope rises: each maximal run of points off the plateaus, together with the plateau
points either side of it, is a candidate surge, kept when its height (end level minus
start level) is at least ``min_height``. Its *onset* is the first logged step at which the
envelope is 10 % of the way from its start level to its end level, its *end* the first
step at which it is 90 % of the way. A curve that never rises has no stage; one that rises
once has one, whatever its logging schedule.

Descents of feature rank
------------------------
A rank curve (one layer, NaN at steps where ranks were not measured) is cut into legs by a
zigzag with hysteresis ``min_change`` (a fraction of the layer's largest rank): a leg turns
only when the curve has moved back from its extreme by at least that much. Falling legs are
*descents*; a descent's onset is the last step at its starting peak, its end the first step
at its trough. Two or more descents in one layer is a *double descent*.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from bayesgrok.analysis.summary import swept_parameters

__all__ = [
    "align_stages_with_rank",
    "alignment_table",
    "descents_table",
    "generalisation_stages",
    "rank_descents",
    "stages_table",
]

Axis = Literal["log", "linear"]
_STAGE_VARS = ("stage_onset", "stage_end", "stage_height", "stage_start_level",
               "stage_end_level")
_DESCENT_VARS = ("descent_onset", "descent_end", "descent_drop", "descent_start_rank",
                 "descent_end_rank")


def _time_axis(steps: np.ndarray, axis: Axis) -> np.ndarray:
    """Steps rescaled to [0, 1] on a log or linear axis."""
    if axis == "log":
        t = np.log10(np.maximum(steps.astype(float), 1.0))
    elif axis == "linear":
        t = steps.astype(float)
    else:
        raise ValueError(f"axis must be 'log' or 'linear', not {axis!r}")
    span = t[-1] - t[0] if t.size else 0.0
    return (t - t[0]) / span if span > 0 else np.zeros_like(t)


def _median3(y: np.ndarray) -> np.ndarray:
    """Running median over three points (the ends keep their value)."""
    if y.size < 3:
        return y.copy()
    out = y.copy()
    out[1:-1] = np.median(np.stack([y[:-2], y[1:-1], y[2:]]), axis=0)
    return out


def _plateau_mask(u: np.ndarray, env: np.ndarray, flat: float, min_plateau: float) -> np.ndarray:
    """Points inside some window at least ``min_plateau`` wide where ``env`` rises < flat."""
    n = env.size
    mask = np.zeros(n, dtype=bool)
    b = 0
    for a in range(n):
        b = max(b, a)
        while b + 1 < n and env[b + 1] - env[a] < flat:
            b += 1
        if u[b] - u[a] >= min_plateau:
            mask[a : b + 1] = True
    return mask


def _surges_1d(
    steps: np.ndarray,
    acc: np.ndarray,
    *,
    axis: Axis,
    flat: float,
    min_plateau: float,
    min_height: float,
) -> list[tuple[float, float, float, float, float]]:
    """(onset, end, height, start_level, end_level) of each surge of one curve."""
    keep = np.isfinite(acc)
    steps, acc = steps[keep], acc[keep]
    if acc.size < 2:
        return []
    u = _time_axis(steps, axis)
    env = np.maximum.accumulate(_median3(acc))
    plateau = _plateau_mask(u, env, flat, min_plateau)
    # Plateaus: runs of plateau points, split where the envelope jumps by ``flat`` or more
    # between neighbours (a jump between two logged points is a surge of its own).
    segments: list[list[int]] = []
    for i in np.flatnonzero(plateau):
        if segments and segments[-1][1] == i - 1 and env[i] - env[i - 1] < flat:
            segments[-1][1] = i
        else:
            segments.append([i, i])
    n = env.size
    bounds = [0] + [b for seg in segments for b in seg] + [n - 1]
    surges = []
    for s, e in zip(bounds[0::2], bounds[1::2], strict=True):
        lo, hi = env[s], env[e]
        if e > s and hi - lo >= min_height:
            onset = steps[s:][np.argmax(env[s:] >= lo + 0.1 * (hi - lo))]
            end = steps[s:][np.argmax(env[s:] >= lo + 0.9 * (hi - lo))]
            surges.append((float(onset), float(end), float(hi - lo), float(lo), float(hi)))
    return surges


def _series(da: xr.DataArray, core: list[str]) -> tuple[xr.DataArray, list[str]]:
    """``da`` with its core dims last, and the names of the other dims."""
    missing = [d for d in core if d not in da.dims]
    if missing:
        raise ValueError(f"{da.name or 'array'} has no dimension {missing[0]!r} (dims: {da.dims})")
    other = [str(d) for d in da.dims if d not in core]
    return da.transpose(*other, *core), other


def _pad(rows: list[list[tuple]], width: int, n_fields: int) -> np.ndarray:
    out = np.full((len(rows), max(width, 1), n_fields), np.nan)
    for k, row in enumerate(rows):
        for i, values in enumerate(row):
            out[k, i] = values
    return out


def generalisation_stages(
    da: xr.DataArray,
    dim: str = "step",
    *,
    axis: Axis = "log",
    flat: float = 0.02,
    min_plateau: float = 0.1,
    min_height: float = 0.05,
) -> xr.Dataset:
    """The distinct surges of an accuracy curve, separated by plateaus.

    Parameters
    ----------
    da
        Usually ``val_accuracy``; any dims, searched along ``dim``. NaN values are skipped.
    dim
        The time dimension; its coordinate gives the steps.
    axis
        ``"log"`` (default): time is ``log10(step)``; ``"linear"``: the step itself.
    flat
        The most the envelope may rise across a plateau.
    min_plateau
        The shortest plateau, as a fraction of the logged span of the time axis.
    min_height
        The smallest rise that counts as a surge.

    Returns
    -------
    xarray.Dataset
        ``n_stages`` (every dim of ``da`` but ``dim``) and, along a new dim ``stage``
        (0, 1, ...; NaN past a curve's last stage), ``stage_onset`` and ``stage_end``
        (steps), ``stage_height``, ``stage_start_level`` and ``stage_end_level``.

    Raises
    ------
    ValueError
        If ``da`` has no dimension ``dim`` or ``axis`` is not ``"log"`` or ``"linear"``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> steps = np.unique(np.geomspace(1, 1e5, 200).astype(int))
    >>> t = np.log10(steps)
    >>> acc = 0.1 + 0.4 / (1 + np.exp(-8 * (t - 1.5))) + 0.5 / (1 + np.exp(-8 * (t - 3.5)))
    >>> st = generalisation_stages(xr.DataArray(acc, {"step": steps}, ["step"]))
    >>> int(st["n_stages"]), st["stage_height"].round(1).values.tolist()
    (2, [0.4, 0.5])
    >>> [int(round(np.log10(s))) for s in st["stage_onset"].values]  # about 10**1.2, 10**3.2
    [1, 3]
    """
    series, other = _series(da, [dim])
    steps = np.asarray(da[dim].values, dtype=float)
    values = np.asarray(series.values, dtype=float).reshape(-1, steps.size)
    rows = [
        _surges_1d(steps, v, axis=axis, flat=flat, min_plateau=min_plateau,
                   min_height=min_height)
        for v in values
    ]
    width = max((len(r) for r in rows), default=0)
    table = _pad(rows, width, len(_STAGE_VARS))
    shape = [series.sizes[d] for d in other]
    coords = {k: v for k, v in series.coords.items() if dim not in v.dims}
    out = xr.Dataset(coords=coords)
    out["n_stages"] = (other, np.asarray([len(r) for r in rows]).reshape(shape))
    for f, name in enumerate(_STAGE_VARS):
        out[name] = ([*other, "stage"], table[..., f].reshape([*shape, table.shape[1]]))
    out = out.assign_coords(stage=np.arange(table.shape[1]))
    out.attrs.update(axis=axis, flat=flat, min_plateau=min_plateau, min_height=min_height,
                     curve=str(da.name))
    return out


def _zigzag_descents(
    steps: np.ndarray, rank: np.ndarray, min_change: float
) -> list[tuple[float, float, float, float, float]]:
    """(onset, end, drop, start_rank, end_rank) of each falling leg of one rank curve."""
    keep = np.isfinite(rank)
    steps, r = steps[keep], rank[keep]
    if r.size < 2 or np.max(np.abs(r)) == 0:
        return []
    h = min_change * float(np.max(np.abs(r)))
    out: list[tuple[float, float, float, float, float]] = []
    trend, peak, trough = 0, 0, 0  # trend: 0 unknown, -1 falling, +1 rising
    for i in range(1, r.size):
        if trend == 0:
            if r[i] >= r[peak]:
                peak = i
            if r[i] < r[trough]:
                trough = i
            if r[peak] - r[i] >= h and peak < i:
                trend, trough = -1, i
            elif r[i] - r[trough] >= h and trough < i:
                trend, peak = 1, i
        elif trend == -1:
            if r[i] < r[trough]:
                trough = i
            elif r[i] - r[trough] >= h:
                out.append((steps[peak], steps[trough], r[peak] - r[trough], r[peak], r[trough]))
                trend, peak = 1, i
        else:
            if r[i] >= r[peak]:
                peak = i
            elif r[peak] - r[i] >= h:
                trend, trough = -1, i
    if trend == -1:
        out.append((steps[peak], steps[trough], r[peak] - r[trough], r[peak], r[trough]))
    return [tuple(float(v) for v in leg) for leg in out]


def rank_descents(
    da: xr.DataArray, dim: str = "step", *, min_change: float = 0.1
) -> xr.Dataset:
    """The descents of feature rank in each layer, and whether a layer descends twice.

    Parameters
    ----------
    da
        ``feature_rank`` (dims such as ``seed``, ``step``, ``layer``; NaN at steps where
        ranks were not measured).
    dim
        The time dimension.
    min_change
        The hysteresis of the zigzag, as a fraction of the layer's largest rank: smaller
        wiggles are not legs.

    Returns
    -------
    xarray.Dataset
        ``n_descents`` and ``double_descent`` (bool: two or more descents), with every dim
        of ``da`` but ``dim``; along a new dim ``descent`` (NaN past the last),
        ``descent_onset`` (the last step at the starting peak), ``descent_end`` (the first
        step at the trough), ``descent_drop``, ``descent_start_rank``, ``descent_end_rank``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> steps = np.arange(0, 100, 10)
    >>> ranks = np.array([[50, 50, 30, 30, 30, 30, 30, 30, 30, 30],    # one descent
    ...                   [50, 50, 20, 20, 45, 45, 10, 10, 10, 10.]])  # down, up, down
    >>> d = rank_descents(xr.DataArray(ranks.T, {"step": steps}, ["step", "layer"]))
    >>> d["n_descents"].values.tolist(), d["double_descent"].values.tolist()
    ([1, 2], [False, True])
    >>> second = d.sel(layer=1)
    >>> second["descent_onset"].values.tolist(), second["descent_end"].values.tolist()
    ([10.0, 50.0], [20.0, 60.0])
    """
    series, other = _series(da, [dim])
    steps = np.asarray(da[dim].values, dtype=float)
    values = np.asarray(series.values, dtype=float).reshape(-1, steps.size)
    rows = [_zigzag_descents(steps, v, min_change) for v in values]
    width = max((len(r) for r in rows), default=0)
    table = _pad(rows, width, len(_DESCENT_VARS))
    shape = [series.sizes[d] for d in other]
    coords = {k: v for k, v in series.coords.items() if dim not in v.dims}
    out = xr.Dataset(coords=coords)
    counts = np.asarray([len(r) for r in rows]).reshape(shape)
    out["n_descents"] = (other, counts)
    out["double_descent"] = (other, counts >= 2)
    for f, name in enumerate(_DESCENT_VARS):
        out[name] = ([*other, "descent"], table[..., f].reshape([*shape, table.shape[1]]))
    out = out.assign_coords(descent=np.arange(table.shape[1]))
    out.attrs.update(min_change=min_change)
    return out


def align_stages_with_rank(stages: xr.Dataset, descents: xr.Dataset) -> xr.Dataset:
    """For each accuracy surge, the nearest onset of a rank descent in each layer.

    Parameters
    ----------
    stages
        From :func:`generalisation_stages`.
    descents
        From :func:`rank_descents` on the same runs and seeds (it has a ``layer`` dim).

    Returns
    -------
    xarray.Dataset
        With the dims of ``stages`` plus ``layer``: ``nearest_descent_onset`` (step),
        ``lag`` (surge onset minus that descent's onset, in steps: positive when the rank
        falls first) and ``log_lag`` (the same in decades, ``log10`` of the ratio of the
        two steps, each at least 1). NaN where a surge or a layer's descent is missing.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> stages = xr.Dataset({"stage_onset": ("stage", [100.0, 5000.0])})
    >>> descents = xr.Dataset({"descent_onset": (("layer", "descent"),
    ...                        [[90.0, 4000.0], [3000.0, np.nan]])})
    >>> a = align_stages_with_rank(stages, descents)
    >>> a["lag"].transpose("stage", "layer").values.tolist()
    [[10.0, -2900.0], [1000.0, 2000.0]]
    """
    onset = stages["stage_onset"]
    candidates = descents["descent_onset"]
    diff = onset - candidates  # broadcasts to (..., stage, layer, descent)
    distance = abs(diff).fillna(np.inf)
    has_any = np.isfinite(diff).any("descent")
    nearest_index = distance.argmin("descent")
    nearest = candidates.isel(descent=nearest_index).where(has_any)
    nearest = nearest.drop_vars("descent", errors="ignore")
    lag = (onset - nearest).rename("lag")
    log_lag = np.log10(np.maximum(onset, 1.0)) - np.log10(np.maximum(nearest, 1.0))
    return xr.Dataset(
        {"nearest_descent_onset": nearest, "lag": lag, "log_lag": log_lag}
    )


def _frame(ds: xr.Dataset, names: list[str], keep_index: list[str]) -> pd.DataFrame:
    """A flat table of ``names`` with run coordinates (swept values) as columns."""
    swept = swept_parameters(ds)
    frame = ds[names].to_dataframe().reset_index()
    drop = [c for c in frame.columns if c not in (*keep_index, *swept, *names)]
    frame = frame.drop(columns=drop)
    lead = [c for c in keep_index if c in frame.columns]
    return frame[[*lead[:1], *swept, *lead[1:], *names]] if "run" in lead else frame


def stages_table(stages: xr.Dataset) -> pd.DataFrame:
    """One row per surge (and one per curve without any), with swept values as columns.

    Parameters
    ----------
    stages
        From :func:`generalisation_stages` on a trajectory or study dataset.

    Returns
    -------
    pandas.DataFrame
        Columns: ``run`` and the swept parameters when present, ``seed``, ``stage``,
        ``n_stages``, the onset, end, height and levels. A curve with no stage gets one
        row with ``stage`` and the stage values missing.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> steps = np.arange(0, 1000, 10)
    >>> acc = np.stack([np.where(steps > 500, 0.9, 0.1), np.full(steps.size, 0.1)])
    >>> da = xr.DataArray(acc, {"seed": [0, 1], "step": steps}, ["seed", "step"])
    >>> table = stages_table(generalisation_stages(da, axis="linear"))
    >>> table[["seed", "stage", "n_stages", "stage_onset"]].values.tolist()
    [[0.0, 0.0, 1.0, 510.0], [1.0, nan, 0.0, nan]]
    """
    index = [str(d) for d in stages["stage_onset"].dims]
    frame = _frame(stages, ["n_stages", *_STAGE_VARS], index)
    frame = frame[frame["stage"] < frame["n_stages"].clip(lower=1)].copy()
    none = frame["n_stages"] == 0
    frame["stage"] = frame["stage"].astype(float)
    frame.loc[none, "stage"] = np.nan
    return frame.reset_index(drop=True)


def _to_table(ds: xr.Dataset, names: list[str]) -> pd.DataFrame:
    index: list[Hashable] = list(ds[names[0]].dims)
    return _frame(ds, names, [str(i) for i in index])


def descents_table(descents: xr.Dataset) -> pd.DataFrame:
    """One row per rank descent (per run, seed and layer), swept values as columns.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> r = xr.DataArray([[5.0], [5.0], [2.0], [2.0]], {"step": [0, 1, 2, 3]}, ["step", "layer"])
    >>> descents_table(rank_descents(r))[["layer", "descent_onset", "descent_end"]].values.tolist()
    [[0.0, 1.0, 2.0]]
    """
    frame = _to_table(descents, [*_DESCENT_VARS, "n_descents", "double_descent"])
    return frame[frame["descent_onset"].notna()].reset_index(drop=True)


def alignment_table(alignment: xr.Dataset) -> pd.DataFrame:
    """One row per (surge, layer) with its nearest rank-descent onset and the lag.

    Examples
    --------
    >>> import xarray as xr
    >>> a = align_stages_with_rank(xr.Dataset({"stage_onset": ("stage", [100.0])}),
    ...                            xr.Dataset({"descent_onset": (("layer", "descent"), [[90.0]])}))
    >>> alignment_table(a)[["stage", "layer", "lag"]].values.tolist()
    [[0.0, 0.0, 10.0]]
    """
    frame = _to_table(alignment, ["nearest_descent_onset", "lag", "log_lag"])
    return frame[frame["lag"].notna() | frame["nearest_descent_onset"].notna()].reset_index(
        drop=True
    )
