"""Does a metric, read before training is fitted, predict grokking? (REFERENCE C4; analysis 4b)

Tan and Huang claim that small or sharply falling information metrics (MID, ED) *before*
training accuracy reaches 100 % predict that grokking will happen. This module tests such
claims as a prediction problem over the runs and seeds of a study:

* the moment of prediction is the **fit step**, the first logged step at which training
  accuracy reaches a threshold (1.0 by default: training is fitted);
* the **features** of each metric use only values logged at or before that step: its
  ``level`` (last measured value) and its ``trend`` over the last decade of steps;
* the **label** is whether validation accuracy ever goes strictly above 0.95 (the
  ``val_crossed`` of :func:`~bayesgrok.analysis.onsets.grokking_gap`);
* each feature is scored by its ROC AUC against the label.

Direction of the score
----------------------
A feature predicts grokking when *higher* values mean grokking (direction ``+1``) or when
*lower* ones do (``-1``; the claim above is of this kind for MID and ED). The direction
must be fixed **before** looking at the data, from the claim being tested: the table also
reports ``auc_either_way = max(AUC, 1 - AUC)``, which is what a reader would get by
choosing the sign after seeing the result, and which overstates prediction (for a
feature unrelated to the label it is above 0.5 on average).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from bayesgrok.analysis.onsets import grokking_gap

__all__ = ["early_features", "fit_step", "grokked", "prediction_table"]

FEATURES = ("level", "trend")


def fit_step(ds: xr.Dataset, threshold: float = 1.0) -> xr.DataArray:
    """The first logged step at which training accuracy reaches ``threshold``.

    Parameters
    ----------
    ds
        A trajectory or study dataset with ``train_accuracy``.
    threshold
        The level; reaching it counts (``>=``, unlike the strict onsets of
        :func:`~bayesgrok.analysis.onsets.onset`, since 1.0 cannot be exceeded). NaN
        never counts.

    Returns
    -------
    xarray.DataArray
        ``fit_step`` (float steps) with every dimension of ``train_accuracy`` but
        ``step``; NaN where training accuracy never reaches ``threshold``.

    Raises
    ------
    ValueError
        If ``ds`` has no ``train_accuracy``.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> fit_step(example()).values.tolist()
    [10.0, 10.0]
    >>> fit_step(example(steps=(0, 1, 5))).values.tolist()  # never fitted
    [nan, nan]
    """
    if "train_accuracy" not in ds.data_vars:
        raise ValueError("fit_step needs 'train_accuracy' in the dataset")
    acc = ds["train_accuracy"]
    reached = acc >= threshold
    first = reached.idxmax("step").astype(float)
    out = first.where(reached.any("step")).drop_vars("step", errors="ignore")
    out.attrs = {"units": "steps",
                 "description": f"first step train_accuracy >= {threshold}; NaN if never"}
    return out.rename("fit_step")


def _features_1d(values: np.ndarray, at: float, steps: np.ndarray) -> np.ndarray:
    """(level, trend) of one curve from the values measured at steps <= at."""
    out = np.full(len(FEATURES), np.nan)
    if not np.isfinite(at):
        return out
    keep = np.isfinite(values) & (steps <= at)
    y, s = values[keep], steps[keep]
    if y.size == 0:
        return out
    out[0] = y[-1]
    before = np.flatnonzero(s <= at / 10.0)
    ref = before[-1] if before.size else 0  # the decade back, else the first measured
    if ref < y.size - 1:
        out[1] = y[-1] - y[ref]
    return out


def early_features(
    ds: xr.Dataset,
    metrics: Sequence[str],
    *,
    at: xr.DataArray | float | None = None,
    fit_threshold: float = 1.0,
) -> xr.DataArray:
    """Features of each metric computed only from values logged up to a moment.

    Parameters
    ----------
    ds
        A trajectory or study dataset.
    metrics
        Variables with dims ``step`` (and ``run``, ``seed``); NaN where not measured.
    at
        The moment, in steps (a number, or an array over ``run``/``seed``); default the
        :func:`fit_step` of ``ds`` at ``fit_threshold``. NaN gives NaN features.
    fit_threshold
        The training accuracy of the default moment.

    Returns
    -------
    xarray.DataArray
        ``early_features`` with dims ``run``, ``seed`` (those of ``ds``), ``metric`` and
        ``feature``, and ``at`` as a coordinate. ``feature`` is

        * ``level``: the last value measured at a step ``<= at``;
        * ``trend``: ``level`` minus the value at the reference step, the last measured
          step ``<= at / 10`` (one decade back on the log-step axis) or, when nothing was
          measured that early, the first measured step. NaN when the reference is the
          level's own point (one measured point).

        No value logged after ``at`` is used. Both are NaN when nothing was measured by
        then.

    Raises
    ------
    ValueError
        If a metric is missing or has dims other than ``run``, ``seed``, ``step``.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> ds = example(steps=(1, 5, 10, 100))  # fitted at step 10
    >>> ds["m"] = ds["train_accuracy"] * 0 + [3.0, 2.0, 1.0, 99.0]
    >>> f = early_features(ds, ["m"]).sel(seed=0, metric="m")
    >>> f.sel(feature="level").item(), f.sel(feature="trend").item()  # 1 - 3; 99 unused
    (1.0, -2.0)
    """
    metrics = list(metrics)
    for name in metrics:
        if name not in ds.data_vars:
            raise ValueError(f"no variable {name!r} in the dataset")
        if "step" not in ds[name].dims or set(ds[name].dims) - {"run", "seed", "step"}:
            raise ValueError(f"{name!r} must have dims step (and run, seed), not {ds[name].dims}")
    when = fit_step(ds, fit_threshold) if at is None else at
    when = xr.DataArray(when).astype(float) if not isinstance(when, xr.DataArray) else when
    steps = np.asarray(ds["step"].values, dtype=float)
    stacked = xr.concat([ds[name].astype(float) for name in metrics],
                        dim=pd.Index(metrics, name="metric"), coords="minimal",
                        compat="override")
    out = xr.apply_ufunc(
        _features_1d,
        stacked,
        when.astype(float),
        input_core_dims=[["step"], []],
        output_core_dims=[["feature"]],
        vectorize=True,
        kwargs={"steps": steps},
    )
    out = out.drop_vars("step", errors="ignore").assign_coords(feature=list(FEATURES))
    order = [d for d in ("run", "seed") if d in out.dims]
    out = out.transpose(*order, "metric", "feature", ...)
    out = out.assign_coords(at=when.astype(float)) if when.dims else out
    return out.rename("early_features")


def grokked(ds: xr.Dataset, threshold: float = 0.95) -> xr.DataArray:
    """The label: whether validation accuracy ever goes strictly above ``threshold``.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> grokked(example()).values.tolist(), grokked(example(), 1.0).values.tolist()
    ([True, True], [False, False])
    """
    return grokking_gap(ds, threshold)["val_crossed"].rename("grokked")


def _directions(metrics: Sequence[str], directions: Mapping[str, int] | None) -> dict[str, int]:
    chosen = {name: 1 for name in metrics}
    for name, sign in (directions or {}).items():
        if sign not in (1, -1):
            raise ValueError(f"direction of {name!r} must be +1 or -1, not {sign!r}")
        chosen[name] = int(sign)
    return chosen


def prediction_table(
    ds: xr.Dataset,
    metrics: Sequence[str],
    *,
    threshold: float = 0.95,
    directions: Mapping[str, int] | None = None,
    fit_threshold: float = 1.0,
) -> pd.DataFrame:
    """ROC AUC of each early feature of each metric as a predictor of grokking.

    Each (run, seed) is one example: its score is ``direction * feature`` from
    :func:`early_features` (at the :func:`fit_step`), its label :func:`grokked`. Examples
    whose score is NaN (never fitted, or the metric not measured by then) are left out.

    Parameters
    ----------
    ds
        A trajectory or study dataset with ``train_accuracy`` and ``val_accuracy``.
    metrics
        Variables with dims ``step`` (and ``run``, ``seed``).
    threshold
        The validation accuracy that counts as grokked.
    directions
        Metric to ``+1`` (higher predicts grokking; the default) or ``-1`` (lower does).
        Fix it from the claim under test, before seeing the data: choosing it afterwards
        is what ``auc_either_way`` shows, and it overstates prediction.
    fit_threshold
        The training accuracy that fixes the moment of prediction.

    Returns
    -------
    pandas.DataFrame
        One row per (metric, feature): ``metric``, ``feature``, ``direction``, ``auc``
        (NaN when the examples used hold only one class), ``auc_either_way`` (``max(auc,
        1 - auc)``), ``n_grokking`` and ``n_not_grokking`` (examples used),
        ``n_left_out`` (score NaN), ``lead_steps`` (the median over the grokking examples
        used of ``val_onset - fit_step``: how many steps of warning the score gives;
        negative when validation was already up before training was fitted) and ``note``.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesgrok.trajectory import example
    >>> ds = example(n_seeds=4, steps=(1, 10, 100, 1000))
    >>> ds["val_accuracy"][:2] = 0.5  # seeds 0 and 1 never grok
    >>> ds["m"] = ds["train_accuracy"] * 0 + np.array([[0.0], [1], [2], [3]])
    >>> t = prediction_table(ds, ["m"])  # m is constant in time: no trend
    >>> t[["feature", "auc", "n_grokking", "n_not_grokking", "lead_steps"]].values.tolist()
    [['level', 1.0, 2, 2, 90.0], ['trend', 0.5, 2, 2, 90.0]]
    >>> prediction_table(ds, ["m"], directions={"m": -1})["auc"].tolist()[0]
    0.0
    """
    metrics = list(metrics)
    signs = _directions(metrics, directions)
    features = early_features(ds, metrics, fit_threshold=fit_threshold)
    gap = grokking_gap(ds, threshold)
    from sklearn.metrics import roc_auc_score  # imported when used (0.3 s)

    label = gap["val_crossed"]
    lead = gap["val_onset"].astype(float) - fit_step(ds, fit_threshold)
    rows = []
    for name in metrics:
        for feature in FEATURES:
            score = signs[name] * features.sel(metric=name, feature=feature, drop=True)
            score, y, warn = xr.broadcast(score, label, lead)
            s, y, w = (np.ravel(a.values) for a in (score, y, warn))
            used = np.isfinite(s)
            s, y, w = s[used], y[used].astype(bool), w[used]
            n_pos, n_neg = int(y.sum()), int((~y).sum())
            note = ""
            if n_pos and n_neg:
                auc = float(roc_auc_score(y, s))
            else:
                auc = np.nan
                note = f"only one class ({n_pos} grokking, {n_neg} not): no AUC"
            left_out = int((~used).sum())
            if left_out:
                note = "; ".join(filter(None, [note, f"{left_out} without a score"]))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # no grokking example
                lead_steps = float(np.nanmedian(w[y])) if n_pos else np.nan
            rows.append({
                "metric": name,
                "feature": feature,
                "direction": signs[name],
                "auc": auc,
                "auc_either_way": max(auc, 1 - auc) if np.isfinite(auc) else np.nan,
                "n_grokking": n_pos,
                "n_not_grokking": n_neg,
                "n_left_out": left_out,
                "lead_steps": lead_steps,
                "note": note,
            })
    table = pd.DataFrame(rows)
    table.attrs = {"threshold": float(threshold), "fit_threshold": float(fit_threshold)}
    return table
