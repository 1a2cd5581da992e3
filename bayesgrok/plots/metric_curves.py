"""Metrics against step, run by run, with each run's validation onset (REFERENCE C1-C4)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from bayesgrok.analysis.onsets import grokking_gap
from bayesgrok.plots._common import panel_grid, run_title, save, seed_stats, step_axis

__all__ = ["plot_metric_curves"]


def plot_metric_curves(
    ds: xr.Dataset,
    metrics: Sequence[str],
    path: str | os.PathLike[str] | None = None,
    *,
    threshold: float = 0.95,
) -> Figure:
    """Each metric against step, one panel per metric, one colour per run.

    Each run is drawn at the steps where the metric was measured (by any seed): the mean
    over seeds as a line, the min-max spread as a band, and a dashed vertical line in the
    run's colour at its mean validation onset (over the seeds whose validation accuracy
    went above ``threshold``; none where no seed did). This is the picture behind the
    robustness claims: does the weight norm fall before the jump (C1), does the abelian
    test rise only at it (C3), do PE and PMI change sharply there (C4)? The y axis is
    linear; the step axis symmetric-log.

    Parameters
    ----------
    ds
        A trajectory or study dataset with ``val_accuracy`` and the metrics.
    metrics
        Variables with dims ``step`` (and ``run``, ``seed``).
    path
        Where to save the PNG.
    threshold
        Accuracy threshold of the validation onsets.

    Raises
    ------
    ValueError
        If a metric is not in the dataset.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> run = example(steps=(1, 10, 100, 1000))
    >>> run["weight_norm"] = run["train_accuracy"] * 0 + [3.0, 2.0, 1.0, 1.0]
    >>> fig = plot_metric_curves(combine({"a": run, "b": run}), ["weight_norm"])
    >>> len(fig.axes), len(fig.axes[0].lines)  # two runs: a curve and an onset line each
    (1, 4)
    """
    missing = [m for m in metrics if m not in ds.data_vars]
    if missing:
        raise ValueError(f"plot_metric_curves: no variable {missing[0]!r} in the dataset")
    runs = list(ds["run"].values) if "run" in ds.dims else [None]
    gap = grokking_gap(ds, threshold)
    n = max(len(metrics), 1)
    fig = Figure(figsize=(4.6 * min(n, 3), 3.4 * -(-n // 3) + 0.4), layout="constrained")
    axes = panel_grid(fig, n)
    for ax, name in zip(axes, metrics, strict=False):
        for i, run in enumerate(runs):
            one = ds if run is None else ds.sel(run=run)
            da = one[name]
            if "seed" not in da.dims:
                da = da.expand_dims("seed")
            da = da.dropna("step", how="all")
            color = f"C{i % 10}"
            label = "" if run is None else run_title(ds, run)
            if da.sizes["step"] == 0:
                ax.plot([], [], color=color, label=f"{label} (not measured)".strip())
                continue
            mean, low, high = seed_stats(da)
            steps = da["step"].values
            ax.plot(steps, mean, color=color, marker=".", markersize=3, label=label or None)
            ax.fill_between(steps, low, high, color=color, alpha=0.15, linewidth=0)
            g = gap if run is None else gap.sel(run=run)
            crossed = np.asarray(g["val_crossed"].values, dtype=bool)
            if crossed.any():
                onsets = np.asarray(g["val_onset"].values, dtype=float)[crossed]
                ax.axvline(float(onsets.mean()), color=color, linestyle="--", linewidth=1)
        ax.set_title(name, fontsize="medium")
        step_axis(ax)
    if len(runs) > 1 or runs[0] is not None:
        axes[0].legend(loc="best", fontsize="x-small")
    fig.suptitle(f"metrics against step; dashed: mean validation onset (> {threshold:g})",
                 fontsize="medium")
    save(fig, path)
    return fig
