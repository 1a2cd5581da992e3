"""Multi-stage generalisation (REFERENCE B, Fan et al.).

Deep MLPs can generalise in several stages: validation accuracy surges, rests on a plateau,
and surges again. Fan et al. relate each surge to a descent of the numerical rank of the
features of some layer, and sometimes to a *double descent* (down, up, down again). This
module finds the surges in a trajectory; :mod:`bayesgrok.analysis.rank_descents` finds the
descents of feature rank and lines them up with the surges.

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
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from bayesgrok.analysis.summary import swept_parameters

__all__ = [
    "core_dims_last",
    "event_frame",
    "generalisation_stages",
    "pad_events",
    "stages_table",
]

Axis = Literal["log", "linear"]
_STAGE_VARS = ("stage_onset", "stage_end", "stage_height", "stage_start_level",
               "stage_end_level")


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


def core_dims_last(da: xr.DataArray, core: list[str]) -> tuple[xr.DataArray, list[str]]:
    """``da`` with its core dims last, and the names of the other dims.

    Raises
    ------
    ValueError
        If ``da`` lacks one of the ``core`` dims.

    Examples
    --------
    >>> da = xr.DataArray(np.zeros((3, 2)), dims=["step", "seed"])
    >>> moved, other = core_dims_last(da, ["step"])
    >>> moved.dims, other
    (('seed', 'step'), ['seed'])
    """
    missing = [d for d in core if d not in da.dims]
    if missing:
        raise ValueError(f"{da.name or 'array'} has no dimension {missing[0]!r} (dims: {da.dims})")
    other = [str(d) for d in da.dims if d not in core]
    return da.transpose(*other, *core), other


def pad_events(rows: list[list[tuple]], width: int, n_fields: int) -> np.ndarray:
    """The events of each curve (``rows[k]``: one tuple of ``n_fields`` values per event)
    as an array ``(len(rows), max(width, 1), n_fields)``, NaN past a curve's last event.

    Examples
    --------
    >>> pad_events([[(1.0, 2.0)], []], 1, 2).tolist()
    [[[1.0, 2.0]], [[nan, nan]]]
    """
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
    series, other = core_dims_last(da, [dim])
    steps = np.asarray(da[dim].values, dtype=float)
    values = np.asarray(series.values, dtype=float).reshape(-1, steps.size)
    rows = [
        _surges_1d(steps, v, axis=axis, flat=flat, min_plateau=min_plateau,
                   min_height=min_height)
        for v in values
    ]
    width = max((len(r) for r in rows), default=0)
    table = pad_events(rows, width, len(_STAGE_VARS))
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


def event_frame(ds: xr.Dataset, names: list[str], keep_index: list[str]) -> pd.DataFrame:
    """A flat table of ``names`` with run coordinates (swept values) as columns.

    The index columns ``keep_index`` are kept, ``run`` first and the swept values right
    after it; other coordinates are dropped.

    Examples
    --------
    >>> ds = xr.Dataset({"n": (("run", "seed"), [[1, 2]])},
    ...                 coords={"run": ["a"], "seed": [0, 1], "wd": ("run", [0.1])})
    >>> event_frame(ds, ["n"], ["run", "seed"]).values.tolist()
    [['a', 0.1, 0, 1], ['a', 0.1, 1, 2]]
    """
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
    frame = event_frame(stages, ["n_stages", *_STAGE_VARS], index)
    frame = frame[frame["stage"] < frame["n_stages"].clip(lower=1)].copy()
    none = frame["n_stages"] == 0
    frame["stage"] = frame["stage"].astype(float)
    frame.loc[none, "stage"] = np.nan
    return frame.reset_index(drop=True)
