"""Early warning of grokking: ROC curves of early features, and metric timeliness (REF C)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from bayesgrok.analysis.prediction import FEATURES, early_features, grokked, prediction_table
from bayesgrok.analysis.timeliness import Axis, timeliness
from bayesgrok.plots._common import panel_grid, run_title, save, step_axis

__all__ = ["plot_prediction", "plot_timeliness"]


def plot_prediction(
    ds: xr.Dataset,
    metrics: Sequence[str],
    path: str | os.PathLike[str] | None = None,
    *,
    threshold: float = 0.95,
    directions: Mapping[str, int] | None = None,
    fit_threshold: float = 1.0,
) -> Figure:
    """ROC curves of each metric's early features as predictors of grokking.

    One panel per feature (``level``, ``trend``; see
    :func:`~bayesgrok.analysis.prediction.early_features`), one line per metric, with its
    AUC in the legend (``n/a`` when the examples hold one class only) and the diagonal of
    a useless score. The scores are signed by ``directions`` as in
    :func:`~bayesgrok.analysis.prediction.prediction_table`.

    Parameters
    ----------
    ds
        A trajectory or study dataset with ``train_accuracy`` and ``val_accuracy``.
    metrics
        Variables with dims ``step`` (and ``run``, ``seed``).
    path
        Where to save the PNG.
    threshold, directions, fit_threshold
        As in :func:`~bayesgrok.analysis.prediction.prediction_table`.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesgrok.trajectory import example
    >>> ds = example(n_seeds=4, steps=(1, 10, 100, 1000))
    >>> ds["val_accuracy"][:2] = 0.5
    >>> ds["m"] = ds["train_accuracy"] * 0 + np.array([[0.0], [1], [2], [3]])
    >>> fig = plot_prediction(ds, ["m"])
    >>> len(fig.axes), fig.axes[0].get_legend().get_texts()[0].get_text()
    (2, 'm (AUC 1.00)')
    """
    table = prediction_table(ds, metrics, threshold=threshold, directions=directions,
                             fit_threshold=fit_threshold)
    features = early_features(ds, metrics, fit_threshold=fit_threshold)
    label = grokked(ds, threshold)
    fig = Figure(figsize=(4.2 * len(FEATURES), 4.0), layout="constrained")
    axes = panel_grid(fig, len(FEATURES), max_cols=len(FEATURES))
    for ax, feature in zip(axes, FEATURES, strict=True):
        ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1)
        for i, name in enumerate(metrics):
            row = table[(table["metric"] == name) & (table["feature"] == feature)].iloc[0]
            score = row["direction"] * features.sel(metric=name, feature=feature, drop=True)
            score, y = xr.broadcast(score, label)
            s, y = np.ravel(score.values), np.ravel(y.values).astype(bool)
            used = np.isfinite(s)
            color = f"C{i % 10}"
            if np.isfinite(row["auc"]):
                fpr, tpr, _ = roc_curve(y[used], s[used])
                ax.plot(fpr, tpr, color=color, drawstyle="steps-post",
                        label=f"{name} (AUC {row['auc']:.2f})")
            else:
                ax.plot([], [], color=color, label=f"{name} (AUC n/a: one class)")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_aspect("equal")
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_title(f"{feature} at the fit step")
        ax.legend(loc="lower right", fontsize="small")
    n_pos, n_neg = (int(table[c].max()) if len(table) else 0
                    for c in ("n_grokking", "n_not_grokking"))
    fig.suptitle(f"predicting grokking (val acc > {threshold:g}): {n_pos} grokking, "
                 f"{n_neg} not")
    save(fig, path)
    return fig


def _minmax(y: np.ndarray) -> np.ndarray:
    span = np.nanmax(y) - np.nanmin(y)
    return (y - np.nanmin(y)) / span if span > 0 else np.zeros_like(y)


def plot_timeliness(
    ds: xr.Dataset,
    metrics: Sequence[str],
    path: str | os.PathLike[str] | None = None,
    *,
    threshold: float = 0.95,
    seed: int | Literal["mean"] | None = None,
    axis: Axis = "log",
) -> Figure:
    """Each metric, min-max normalised, against the step, with its sharpest change.

    One panel per run. Each metric is drawn at the steps where it was measured, rescaled
    to [0, 1] over that run; a marker sits at its sharpest change
    (:func:`~bayesgrok.analysis.timeliness.sharpest_change`) and a dashed black line at
    the validation onset (none when validation accuracy never crossed ``threshold``).
    Validation accuracy is drawn in grey. Steps are on a symmetric-log axis.

    Parameters
    ----------
    ds
        A trajectory or study dataset with ``train_accuracy`` and ``val_accuracy``.
    metrics
        Variables with dims ``step`` (and ``run``, ``seed``).
    path
        Where to save the PNG.
    threshold
        The accuracy threshold of the validation onset.
    seed
        The seed to draw (default the first), or ``"mean"``: the mean over seeds of
        every curve (NaN ignored), whose sharpest changes and onset are then shown.
    axis
        The time axis on which the sharpest change is found.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> ds = example(steps=(1, 10, 100, 1000))
    >>> ds["norm"] = ds["train_accuracy"] * 0 + [1.0, 0.5, 0.5, 0.5]
    >>> fig = plot_timeliness(ds, ["norm"], seed="mean")
    >>> len(fig.axes), [round(x) for x in fig.axes[0].lines[-1].get_xdata()]  # onset
    (1, [100, 100])
    """
    names = list(dict.fromkeys([*metrics, "train_accuracy", "val_accuracy"]))
    missing = [n for n in names if n not in ds.data_vars]
    if missing:
        raise ValueError(f"plot_timeliness: no variable {missing[0]!r} in the dataset")
    sub = ds[names]
    if seed == "mean":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # steps no seed measured
            sub = sub.mean("seed", skipna=True)
        label = "mean over seeds"
    else:
        chosen = ds["seed"].values[0] if seed is None else seed
        sub = sub.sel(seed=chosen)
        label = f"seed {chosen}"
    if "total_steps" in ds.data_vars:
        sub["total_steps"] = ds["total_steps"]
    result = timeliness(sub, metrics, threshold, axis=axis)
    runs = list(ds["run"].values) if "run" in ds.dims else [None]
    fig = Figure(figsize=(4.6 * min(len(runs), 3), 3.4 * -(-len(runs) // 3)),
                 layout="constrained")
    axes = panel_grid(fig, len(runs))
    for ax, run in zip(axes, runs, strict=True):
        one = sub if run is None else sub.sel(run=run)
        res = result if run is None else result.sel(run=run)
        val = one["val_accuracy"].dropna("step")
        ax.plot(val["step"].values, val.values, color="0.7", linewidth=1,
                label="val accuracy")
        for i, name in enumerate(metrics):
            curve = one[name].dropna("step")
            color = f"C{i % 10}"
            if curve.sizes["step"] == 0:
                ax.plot([], [], color=color, label=f"{name} (not measured)")
                continue
            y = _minmax(curve.values)
            ax.plot(curve["step"].values, y, color=color, marker=".", markersize=3,
                    label=name)
            sharp = float(res["sharpest_step"].sel(metric=name))
            if np.isfinite(sharp):
                k = int(np.argmin(np.abs(curve["step"].values - sharp)))
                ax.plot([sharp], [y[k]], color=color, marker="o", markersize=8,
                        markerfacecolor="none", markeredgewidth=2)
        if bool(res["val_crossed"]):
            ax.axvline(float(res["val_onset"]), color="black", linestyle="--", linewidth=1)
        title = run_title(ds, run) if run is not None else ""
        ax.set_title(f"{title} {label}".strip(), fontsize="medium")
        ax.set_ylim(-0.05, 1.05)
        ax.set_ylabel("min-max normalised")
        step_axis(ax)
    axes[0].legend(loc="best", fontsize="x-small")
    save(fig, path)
    return fig
