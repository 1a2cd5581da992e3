"""Learning curves: training and validation accuracy (or MSE) against step."""

from __future__ import annotations

import os

import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bayesgrok.analysis.onsets import grokking_gap
from bayesgrok.plots._common import panel_grid, run_title, save, seed_stats, step_axis

__all__ = ["plot_accuracy"]

_COLORS = {"train": "C0", "val": "C1"}
_LABELS = {"train": "train", "val": "validation"}


def plot_accuracy(
    ds: xr.Dataset,
    path: str | os.PathLike[str] | None = None,
    *,
    threshold: float = 0.95,
    mse_threshold: float | None = None,
    max_seed_lines: int = 10,
) -> Figure:
    """Training and validation accuracy against step, one panel per run.

    Each panel shows the mean over seeds as a line, the min-max spread over seeds as a
    shaded band, each seed as a thin line (up to ``max_seed_lines`` seeds), a dotted
    horizontal line at ``threshold`` and dashed vertical lines at the mean onsets
    (averaged over the seeds that cross, the legend saying how many: "3/5 seeds"; no line
    where none does).

    The step axis is symmetric-log with ``linthresh=1``: linear on [0, 1] and logarithmic
    beyond, so that step 0 (the initial state) is shown at its true value instead of being
    dropped or shifted. A dataset without ``train_accuracy``/``val_accuracy`` (regression)
    is drawn as training and validation MSE on a logarithmic y axis instead (non-positive
    values masked), with the threshold line and onsets drawn when ``mse_threshold`` is given.

    Parameters
    ----------
    ds
        A trajectory, or a study dataset (one panel per ``run``, titled with its swept
        values, else its run id).
    path
        Where to save the figure as PNG (parent folders are created); not saved if None.
    threshold
        Accuracy threshold to draw and to take onsets at.
    mse_threshold
        MSE threshold, for regression trajectories without accuracy.
    max_seed_lines
        Draw every seed's own curve when there are at most this many seeds.

    Returns
    -------
    matplotlib.figure.Figure
        Made without pyplot, so no global state is touched.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> fig = plot_accuracy(example())
    >>> len(fig.axes)
    1
    >>> study = combine({"a": example(), "b": example()}, {"lr": [0.1, 0.2]})
    >>> [ax.get_title() for ax in plot_accuracy(study).axes]
    ['lr=0.1', 'lr=0.2']
    """
    if "train_accuracy" in ds.data_vars and "val_accuracy" in ds.data_vars:
        metric, level = "accuracy", threshold
        onsets = grokking_gap(ds, threshold)
    elif "train_mse" in ds.data_vars and "val_mse" in ds.data_vars:
        metric, level = "mse", mse_threshold
        onsets = None if mse_threshold is None else grokking_gap(ds, mse_threshold=mse_threshold)
    else:
        raise ValueError(
            "plot_accuracy needs 'train_accuracy' and 'val_accuracy' (or 'train_mse' and 'val_mse')"
        )

    runs = list(ds["run"].values) if "run" in ds.dims else [None]
    ncols, nrows = min(len(runs), 3), -(-len(runs) // 3)
    fig = Figure(figsize=(4.8 * ncols, 3.6 * nrows), layout="constrained")
    axes = panel_grid(fig, len(runs))
    for ax, run in zip(axes, runs, strict=True):
        one = ds if run is None else ds.sel(run=run)
        one_onsets = onsets if onsets is None or run is None else onsets.sel(run=run)
        _panel(ax, one, metric, level, one_onsets, one.sizes["seed"] <= max_seed_lines)
        if run is not None:
            ax.set_title(run_title(ds, run))
    axes[0].legend(loc="best", fontsize="small")
    title = " / ".join(str(ds.attrs[k]) for k in ("study", "task", "family") if ds.attrs.get(k))
    if title:
        fig.suptitle(title)
    save(fig, path)
    return fig


def _panel(
    ax: Axes,
    ds: xr.Dataset,
    metric: str,
    level: float | None,
    onsets: xr.Dataset | None,
    seed_lines: bool,
) -> None:
    steps = ds["step"].values
    for split in ("train", "val"):
        da = ds[f"{split}_{metric}"]
        if metric == "mse":
            da = da.where(da > 0)
        mean, low, high = seed_stats(da)
        color = _COLORS[split]
        ax.fill_between(steps, low, high, color=color, alpha=0.25, linewidth=0)
        ax.plot(steps, mean, color=color, label=f"{_LABELS[split]} (mean over seeds)")
        if seed_lines:
            for seed in da["seed"].values:
                ax.plot(steps, da.sel(seed=seed).values, color=color, linewidth=0.6, alpha=0.45)
        if onsets is not None:
            hit = onsets[f"{split}_onset"].where(onsets[f"{split}_crossed"])
            crossed, total = int(hit.notnull().sum()), int(hit.size)
            if crossed:  # the mean over the seeds that crossed, saying how many did
                ax.axvline(
                    float(hit.mean()),
                    color=color,
                    linestyle="--",
                    linewidth=1,
                    label=f"mean {_LABELS[split]} onset ({crossed}/{total} seeds)",
                )
    if level is not None:
        ax.axhline(level, color="grey", linestyle=":", linewidth=1, label=f"threshold {level:g}")
    step_axis(ax)
    if metric == "mse":
        ax.set_yscale("log")
        ax.set_ylabel("MSE")
    else:
        ax.set_ylabel("accuracy")
        ax.set_ylim(-0.02, 1.02)
