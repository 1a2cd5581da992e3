"""Trajectories through the error-complexity plane, one panel per family (or group)."""

from __future__ import annotations

import os

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bayesgrok.analysis.onsets import grokking_gap
from bayesgrok.plots._common import panel_grid, save, value_scale
from bayesgrok.plots._groups import run_color, run_groups, run_label

__all__ = ["plot_error_complexity"]

_SOLID = {"linestyle": "-", "linewidth": 1.2, "alpha": 0.9}
_DASHED = {"linestyle": "--", "linewidth": 0.8, "alpha": 0.55}


def plot_error_complexity(
    ds: xr.Dataset,
    path: str | os.PathLike[str] | None = None,
    *,
    threshold: float = 0.95,
    mse_threshold: float | None = None,
    group: str = "family",
) -> Figure:
    """Error against complexity, one panel per group of runs and one line per seed.

    Runs of different groups (families, by default) are never drawn on the same axes: their
    terms are not on a common scale. Within a panel each line is one seed, coloured by its
    run (legend below the panel, naming runs by their swept values); a dot marks where the
    search starts. Seeds that never generalise (validation never crosses ``threshold``, or
    ``mse_threshold``) are dashed and lighter.

    Both axes are logarithmic; a term with negative values in a group (a NUTS posterior
    average of a Gaussian log-likelihood, say) is drawn on a linear axis instead.
    Non-positive values cannot be shown on log axes and are masked (NaN), as are missing
    steps.

    Parameters
    ----------
    ds
        A trajectory or a study dataset.
    path
        Where to save the figure as PNG (parent folders are created); not saved if None.
    threshold
        Accuracy threshold at which validation counts as generalised.
    mse_threshold
        MSE threshold, for regression trajectories without accuracy (see
        :func:`bayesgrok.analysis.grokking_gap`).
    group
        The per-run variable or coordinate whose values make the panels.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per group (complexity on x, error on y); made without pyplot.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> fig = plot_error_complexity(example())
    >>> len(fig.axes), len(fig.axes[0].get_lines())  # one panel, two seeds
    (1, 2)
    >>> a, b = example(), example()
    >>> b.attrs["family"] = "other"
    >>> study = combine({"a": a, "b": b}, {"lr": [0.1, 0.2]})
    >>> fig = plot_error_complexity(study)
    >>> [ax.get_title() for ax in fig.axes], len(fig.axes[0].get_lines())
    (['example', 'other'], 2)
    """
    crossed = grokking_gap(ds, threshold, mse_threshold=mse_threshold)["val_crossed"]
    groups = run_groups(ds, group)
    ncols = min(len(groups), 3)
    nrows = -(-len(groups) // 3)
    legends = "run" in ds.dims
    fig = Figure(figsize=(max(5.2 * ncols, 6.4), 4.4 * nrows + (0.9 if legends else 0.5)),
                 layout="constrained")
    axes = panel_grid(fig, len(groups))
    for ax, (name, runs) in zip(axes, groups.items(), strict=True):
        _panel(ax, ds, crossed, runs, group)
        ax.set_title(name if legends or name != "all" else "", fontsize="medium")
    key = [Line2D([], [], color="k", **_SOLID, label="generalises"),
           Line2D([], [], color="k", **_DASHED, label="never generalises"),
           Line2D([], [], color="none", marker="o", markerfacecolor="0.5",
                  markeredgecolor="0.5", markersize=5, label="start")]
    fig.legend(handles=key, loc="outside lower center", ncols=3, fontsize="small",
               frameon=False)
    title = " / ".join(str(ds.attrs[k]) for k in ("study", "task") if ds.attrs.get(k))
    fig.suptitle(f"Error against complexity{': ' + title if title else ''}",
                 fontsize="medium")
    save(fig, path)
    return fig


def _panel(ax: Axes, ds: xr.Dataset, crossed: xr.DataArray, runs: list[object],
           group: str) -> None:
    one = ds if runs == [None] else ds.sel(run=runs)
    flags = crossed if runs == [None] else crossed.sel(run=runs)
    error_scale, complexity_scale = value_scale(one["error"]), value_scale(one["complexity"])
    error, complexity = one["error"], one["complexity"]
    if error_scale == "log":
        error = error.where(error > 0)
    if complexity_scale == "log":
        complexity = complexity.where(complexity > 0)
    if runs == [None]:
        error, complexity, flags = (da.expand_dims(run=1) for da in (error, complexity, flags))
    error = error.transpose("run", "seed", "step").values
    complexity = complexity.transpose("run", "seed", "step").values
    flags = flags.transpose("run", "seed").values
    handles = []
    for r, run in enumerate(runs):
        color = run_color(r)
        for k in range(error.shape[1]):
            x, y = complexity[r, k], error[r, k]
            ax.plot(x, y, color=color, **(_SOLID if flags[r, k] else _DASHED))
            finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
            if finite.size:
                ax.scatter(x[finite[0]], y[finite[0]], color=color, s=18, zorder=3)
        handles.append(Line2D([], [], color=color, linewidth=2,
                              label=run_label(ds, run, group)))
    ax.set_xscale(complexity_scale)
    ax.set_yscale(error_scale)
    ax.set_xlabel("complexity (per data point)")
    ax.set_ylabel("error (per data point)")
    if runs != [None]:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16),
                  ncols=min(len(handles), 2), fontsize="small", frameon=False, title="run",
                  title_fontsize="small")
