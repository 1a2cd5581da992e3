"""Descents of feature rank, and their alignment with the surges of accuracy (REFERENCE B,
Fan et al.).

Fan et al. relate each surge of validation accuracy
(:func:`~bayesgrok.analysis.stages.generalisation_stages`) to a descent of the numerical
rank of the features of some layer, and sometimes to a *double descent* (down, up, down
again). This module finds the descents and lines them up with the surges.

A rank curve (one layer, NaN at steps where ranks were not measured) is cut into legs by a
zigzag with hysteresis ``min_change`` (a fraction of the layer's largest rank): a leg turns
only when the curve has moved back from its extreme by at least that much. Falling legs are
*descents*; a descent's onset is the last step at its starting peak, its end the first step
at its trough. Two or more descents in one layer is a *double descent*.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd
import xarray as xr

from bayesgrok.analysis.stages import core_dims_last, event_frame, pad_events

__all__ = [
    "align_stages_with_rank",
    "alignment_table",
    "descents_table",
    "rank_descents",
]

_DESCENT_VARS = ("descent_onset", "descent_end", "descent_drop", "descent_start_rank",
                 "descent_end_rank")


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
    series, other = core_dims_last(da, [dim])
    steps = np.asarray(da[dim].values, dtype=float)
    values = np.asarray(series.values, dtype=float).reshape(-1, steps.size)
    rows = [_zigzag_descents(steps, v, min_change) for v in values]
    width = max((len(r) for r in rows), default=0)
    table = pad_events(rows, width, len(_DESCENT_VARS))
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
        From :func:`~bayesgrok.analysis.stages.generalisation_stages`.
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


def _to_table(ds: xr.Dataset, names: list[str]) -> pd.DataFrame:
    index: list[Hashable] = list(ds[names[0]].dims)
    return event_frame(ds, names, [str(i) for i in index])


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
