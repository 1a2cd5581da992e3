"""The dwell figure: the LEHC dwell of every grokked seed against its grokking gap, coloured
by group, with each group's Spearman rank correlation (see
:mod:`bayesgrok.analysis.regions`; the other region figures are in
:mod:`bayesgrok.plots.regions`).
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy.stats import spearmanr

from bayesgrok.analysis.regions import regions_table
from bayesgrok.plots._common import save
from bayesgrok.plots._groups import symlog_threshold

__all__ = ["plot_dwell_gap"]


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 3:
        return np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: rho undefined (NaN)
        return float(spearmanr(x, y).statistic)


def _axis_scale(ax: Axes, values: np.ndarray, which: str) -> float:
    """Log when every value is positive, else symlog; returns the smallest value the
    logarithmic part shows (the symlog threshold, or the smallest value)."""
    set_scale = ax.set_xscale if which == "x" else ax.set_yscale
    if values.size and bool((values > 0).all()):
        set_scale("log")
        return float(values.min())
    thresh = symlog_threshold(values, 1.0)
    set_scale("symlog", linthresh=thresh, linscale=0.6)
    return thresh


def plot_dwell_gap(reg_or_table: xr.Dataset | pd.DataFrame,
                   path: str | os.PathLike[str] | None = None, *,
                   hypothesis: pd.DataFrame | None = None) -> Figure:
    """The LEHC dwell of every grokked seed against its grokking gap, coloured by group.

    One point per seed that grokked (training and validation both crossed, validation
    strictly later) and has a measured dwell; both axes are logarithmic when all values
    are positive, else symmetric-log (so a dwell of 0 shows). A dotted line marks
    ``dwell = gap``. Each group's legend entry gives its Spearman rank correlation over
    those seeds (``linear (rho = 0.62, n = 12)``; ``n/a`` under three seeds or with
    constant values), from ``hypothesis`` when given, else computed here.

    Parameters
    ----------
    reg_or_table
        The output of :func:`~bayesgrok.analysis.regions.regions`, or its table
        (:func:`~bayesgrok.analysis.regions.regions_table`).
    path
        Where to save the figure as PNG (parent folders are created); not saved if None.
    hypothesis
        A table with columns ``group`` and ``spearman_rho`` whose rho replaces the one
        computed here for the groups it names.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; made without pyplot.

    Examples
    --------
    >>> table = pd.DataFrame({"group": ["a"] * 3 + ["b"] * 3, "grokked": True,
    ...                       "lehc_dwell": [10.0, 20, 30, 5, 50, 500],
    ...                       "gap": [15.0, 40, 35, 10, 20, 30]})
    >>> fig = plot_dwell_gap(table)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][:2]
    ['a (rho = 0.50, n = 3)', 'b (rho = 1.00, n = 3)']
    """
    table = (regions_table(reg_or_table) if isinstance(reg_or_table, xr.Dataset)
             else reg_or_table)
    for column in ("group", "grokked", "lehc_dwell", "gap"):
        if column not in table:
            raise ValueError(f"plot_dwell_gap needs a column {column!r} (a regions table)")
    given = ({} if hypothesis is None else
             dict(zip(hypothesis["group"].astype(str), hypothesis["spearman_rho"], strict=True)))
    dwell = pd.to_numeric(table["lehc_dwell"], errors="coerce").to_numpy(float)
    gap = pd.to_numeric(table["gap"], errors="coerce").to_numpy(float)
    use = table["grokked"].astype(bool).to_numpy() & np.isfinite(dwell) & np.isfinite(gap)
    group = table["group"].astype(str).to_numpy()

    keeps = (table["keeps_complexity"].astype(bool).to_numpy() if "keeps_complexity" in table
             else np.ones(len(table), dtype=bool))

    fig = Figure(figsize=(6.6, 5.2), layout="constrained")
    ax = fig.subplots()
    for i, name in enumerate(pd.unique(group)):
        mine = use & (group == name)
        x, y = dwell[mine], gap[mine]
        rho = float(given[name]) if name in given else _spearman(x, y)
        text = f"{rho:.2f}" if np.isfinite(rho) else "n/a"
        color, full = f"C{i % 10}", keeps[mine]
        ax.scatter(x[full], y[full], s=34, color=color, edgecolors="k", linewidths=0.4,
                   label=f"{name} (rho = {text}, n = {x.size})", zorder=3, gid=name)
        if not full.all():
            ax.scatter(x[~full], y[~full], s=34, facecolors="none", edgecolors=color,
                       linewidths=1.2, zorder=3, gid=name)
    low_x = _axis_scale(ax, dwell[use], "x")
    low_y = _axis_scale(ax, gap[use], "y")
    if use.any():
        high = float(max(dwell[use].max(), gap[use].max()))
        low = max(low_x, low_y)
        if high > low > 0:
            t = np.geomspace(low, high, 64)
            ax.plot(t, t, color="0.4", linestyle=":", linewidth=1, label="dwell = gap",
                    zorder=2)
        if not keeps[use].all():
            ax.scatter([], [], s=34, facecolors="none", edgecolors="0.3", linewidths=1.2,
                       label="hollow: run without its complexity term")
    else:
        ax.text(0.5, 0.5, "no grokked seed with a measured dwell", transform=ax.transAxes,
                ha="center", va="center", color="0.4")
    ax.set_xlabel("LEHC dwell (steps)")
    ax.set_ylabel("grokking gap (steps)")
    ax.set_title("LEHC dwell against the grokking gap (grokked seeds)", fontsize="medium")
    ax.legend(fontsize="small", loc="best")
    ax.grid(True, which="major", color="0.9", linewidth=0.6)
    save(fig, path)
    return fig
