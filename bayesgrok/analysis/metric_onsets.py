"""When each metric goes above its level for good, against the validation onset (REFERENCE
C3; ``metric_onsets.csv``).

The companion of :mod:`bayesgrok.analysis.timeliness`: there a metric's moment is its
sharpest change, here the first measured step from which it stays strictly above a level
(the abelian test on the training pairs reaching 0.95, say) to the end of the run, compared
with the validation onset of :func:`~bayesgrok.analysis.onsets.grokking_gap`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from bayesgrok.analysis.onsets import grokking_gap
from bayesgrok.analysis.timeliness import check_metric_dims, per_metric_frame

__all__ = ["metric_onsets", "metric_onsets_table"]


def metric_onsets(
    ds: xr.Dataset,
    levels: Mapping[str, float],
    threshold: float = 0.95,
) -> xr.Dataset:
    """When each metric goes above its level for good, against the validation onset.

    REFERENCE C3 asks when the abelian test on the training pairs reaches 0.95 relative
    to grokking: ``metric_onsets(ds, {"abelian_train": 0.95})``. A metric may start above
    its level and fall below it (an untrained network predicts nearly one class for every
    pair, so it passes the abelian test at step 0): the onset is the first measured step
    from which it stays strictly above the level to the end of the run.

    Parameters
    ----------
    ds
        A trajectory or study dataset with ``train_accuracy`` and ``val_accuracy``.
    levels
        Metric name to level; a metric's onset is the first step, among those at which
        it was measured (not NaN for some run or seed), from which it is strictly above
        its level at every later measured step (NaN counts as not above; a metric that is
        NaN at every step, such as ``abelian_train_heldout_swap`` when no training pair has
        a held-out swap, has no onset).
    threshold
        The accuracy threshold of the validation onset.

    Returns
    -------
    xarray.Dataset
        Along a new dim ``metric`` (and ``run``, ``seed`` as in ``ds``): ``level``,
        ``metric_onset`` (steps; NaN where the metric does not end above its level),
        ``distance`` = ``metric_onset - val_onset`` (steps; negative: the metric first;
        NaN where either never crossed); and ``val_onset``, ``val_crossed``.

    Raises
    ------
    ValueError
        If a metric is missing or has dims other than ``run``, ``seed``, ``step``.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> ds = example(steps=(1, 10, 100, 1000))  # validation onset at step 100
    >>> ds["abelian_train"] = ds["train_accuracy"] * 0 + [0.99, 0.5, 0.99, 1.0]
    >>> out = metric_onsets(ds, {"abelian_train": 0.95})  # above at 1, below at 10
    >>> out["metric_onset"].values.ravel().tolist(), out["distance"].values.ravel().tolist()
    ([100.0, 100.0], [0.0, 0.0])
    """
    names = list(levels)
    check_metric_dims(ds, names)
    gap = grokking_gap(ds, threshold)
    parts = []
    for name in names:
        da = ds[name].dropna("step", how="all")  # the steps where it was measured
        if da.sizes["step"] == 0:  # never measured (NaN throughout): no onset
            da = ds[name]
        above = (da > float(levels[name])).astype(int)
        # above from here to the end: a reversed cumulative product along step
        stays = above.isel(step=slice(None, None, -1)).cumprod("step")
        stays = stays.isel(step=slice(None, None, -1)).astype(bool)
        first = stays.argmax("step")
        step = da["step"].astype(float).isel(step=first, drop=True)
        parts.append(step.where(stays.any("step")))
    onset = xr.concat(parts, dim=pd.Index(names, name="metric"), coords="minimal",
                      compat="override")
    crossed = gap["val_crossed"]
    out = xr.Dataset({
        "level": ("metric", np.asarray([float(levels[n]) for n in names])),
        "metric_onset": onset,
        "distance": (onset - gap["val_onset"].astype(float)).where(crossed),
        "val_onset": gap["val_onset"],
        "val_crossed": crossed,
    })
    out["distance"].attrs = {"units": "steps",
                             "description": "metric_onset - val_onset; < 0: metric first"}
    out.attrs["threshold"] = float(threshold)
    return out


def metric_onsets_table(
    ds: xr.Dataset,
    levels: Mapping[str, float],
    threshold: float = 0.95,
) -> pd.DataFrame:
    """:func:`metric_onsets` as a table: one row per (run, seed, metric).

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> run = example(steps=(1, 10, 100, 1000))
    >>> run["abelian_train"] = run["train_accuracy"] * 0 + [0.2, 0.99, 0.99, 1.0]
    >>> study = combine({"a": run, "b": run}, {"wd": [0.1, 1.0]})
    >>> table = metric_onsets_table(study, {"abelian_train": 0.95})
    >>> print(table[["run", "wd", "seed", "metric_onset", "distance"]].to_string(index=False))
    run  wd  seed  metric_onset  distance
      a 0.1     0          10.0     -90.0
      a 0.1     1          10.0     -90.0
      b 1.0     0          10.0     -90.0
      b 1.0     1          10.0     -90.0
    """
    return per_metric_frame(ds, metric_onsets(ds, levels, threshold),
                             ["level", "metric_onset", "val_onset", "val_crossed", "distance"])
