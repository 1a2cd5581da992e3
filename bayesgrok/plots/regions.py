"""The region figures: paths through the error-complexity plane and region timelines (see
:mod:`bayesgrok.analysis.regions`; the LEHC dwell against the grokking gap is in
:mod:`bayesgrok.plots.dwell_gap`).

Every figure reads the output of :func:`~bayesgrok.analysis.regions.regions` and draws the
regions exactly as that definition sets them: the training fit criterion splits low from
high error, the reference complexity plus its tolerance splits low from high complexity.
Groups of runs (the family by default) are never drawn on the same pair of axes.
"""

from __future__ import annotations

import os
import textwrap

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.patheffects import withStroke

from bayesgrok.analysis.regions import REGION_CODES
from bayesgrok.plots._common import panel_grid, save, step_axis
from bayesgrok.plots._groups import run_color, run_groups, run_label, symlog_threshold

__all__ = ["REGION_COLORS", "plot_region_paths", "plot_region_timeline"]

#: One colour per region (and ``"none"`` for code -1), shared by the paths (as light fills)
#: and the timeline (as strips).
REGION_COLORS = {"HEHC": "#9e9e9e", "HELC": "#6baed6", "LEHC": "#fd8d3c", "LELC": "#41ab5d",
                 "none": "#f2f2f2"}
_FILL_ALPHA = 0.22
_MARKERS = {"start": ("o", 28), "exit": ("D", 30), "onset": ("*", 110)}
_ZORDER = {"start": 4, "exit": 5, "onset": 4}  # an exit at the onset shows inside its star
_SOLID = {"linestyle": "-", "linewidth": 1.3, "alpha": 0.9}
_DASHED = {"linestyle": "--", "linewidth": 0.8, "alpha": 0.55}


def _fit_metric(reg: xr.Dataset) -> str:
    """The low-error test's quantity of these runs (per run when studies are pooled)."""
    if "fit_metric" in reg:
        return str(reg["fit_metric"].values.ravel()[0])
    return str(reg.attrs.get("fit_metric", "accuracy"))


def _error_label(reg: xr.Dataset) -> str:
    if _fit_metric(reg) == "mse":
        return "training MSE"
    return "training error rate (1 - train accuracy)"


def _low_error_words(reg: xr.Dataset, level: float) -> str:
    """The low-error test in words, from the ``fit_error`` level of the panel."""
    if _fit_metric(reg) == "mse":
        return f"train MSE <= {level:g}"
    return f"train acc >= {1.0 - level:.4g}"


def _at_step(steps: np.ndarray, x: np.ndarray, y: np.ndarray,
             step: float) -> tuple[float, float] | None:
    """The point of a path at ``step`` (the first logged step at or after it with both
    values finite; a fitted onset need not be a logged step), or None."""
    if not np.isfinite(step):
        return None
    ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y) & (steps >= step - 1e-9))
    return (float(x[ok[0]]), float(y[ok[0]])) if ok.size else None


def plot_region_paths(reg: xr.Dataset, path: str | os.PathLike[str] | None = None) -> Figure:
    """Every seed's path through the error-complexity plane over the four regions, one panel
    per group.

    The x axis is the complexity (logarithmic when the group's ``complexity_scale`` is
    ``"log"``, else linear), the y axis the training quantity of the low-error test
    (``fit_error``: ``1 - train_accuracy`` or the training MSE) on a symmetric-log axis
    whose linear range is half its smallest non-zero value (rounded down to a power of
    ten), so that zero error shows, a little above the frame's bottom. The
    line ``x = low_complexity_level`` and the line ``y = low_error_level`` split each
    panel into the regions of the definition in force, each shaded and labelled (HEHC
    grey, HELC blue, LEHC orange, LELC green). A group without a reference complexity is
    drawn without complexity shading and its title says so.

    Each seed is a line coloured by its run (legend below the panel, naming runs by their
    swept values); a circle marks its first logged point, a diamond its LEHC exit (the
    first step in LELC after LEHC) and a star its validation onset. Seeds that never
    generalise (no validation onset) are dashed and lighter.

    Parameters
    ----------
    reg
        The output of :func:`~bayesgrok.analysis.regions.regions`.
    path
        Where to save the figure as PNG (parent folders are created); not saved if None.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per group; made without pyplot.

    Examples
    --------
    >>> from bayesgrok.analysis.regions import passage_example, regions
    >>> fig = plot_region_paths(regions(passage_example()))
    >>> ax = fig.axes[0]
    >>> len(fig.axes), sorted(p.get_gid() for p in ax.patches)
    (1, ['HEHC', 'HELC', 'LEHC', 'LELC'])
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['complexity_weight=1', 'complexity_weight=0']
    """
    groups = run_groups(reg, "group")
    ncols = min(len(groups), 3)
    nrows = -(-len(groups) // 3)
    width = 5.4 * ncols
    fig = Figure(figsize=(width, 4.7 * nrows + 1.2), layout="constrained")
    axes = panel_grid(fig, len(groups))
    for ax, (name, runs) in zip(axes, groups.items(), strict=True):
        _paths_panel(ax, reg, name, runs)
    key = [Line2D([], [], color="k", **_SOLID, label="generalises"),
           Line2D([], [], color="k", **_DASHED, label="never generalises")]
    for label, (marker, size) in zip(("start", "LEHC exit", "validation onset"),
                                     _MARKERS.values(), strict=True):
        key.append(Line2D([], [], color="none", marker=marker, markerfacecolor="0.5",
                          markeredgecolor="k", markersize=np.sqrt(size), label=label))
    fig.legend(handles=key, loc="outside lower center", ncols=len(key) if ncols > 1 else 3,
               fontsize="small", frameon=False)
    title = ("Regions of the error-complexity plane (training side only); reference: "
             f"{reg.attrs.get('reference_rule', 'n/a')}")
    fig.suptitle(textwrap.fill(title, int(width * 14)), fontsize="medium")
    save(fig, path)
    return fig


def _paths_panel(ax: Axes, reg: xr.Dataset, name: str, runs: list[object]) -> None:
    sub = reg.sel(run=runs)
    steps = sub["step"].values.astype(float)
    log_x = str(sub["complexity_scale"].values[0]) == "log"
    x_all = sub["complexity"].transpose("run", "seed", "step").values.astype(float)
    y_all = sub["fit_error"].transpose("run", "seed", "step").values.astype(float)
    if log_x:
        x_all = np.where(x_all > 0, x_all, np.nan)
    x_level = float(sub["low_complexity_level"].values[0])
    y_level = float(sub["low_error_level"].values[0])
    handles = []
    for r, run in enumerate(runs):
        color = run_color(r)
        for k in range(sub.sizes["seed"]):
            x, y = x_all[r, k], y_all[r, k]
            onset = float(sub["val_onset"].values[r, k])
            ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
            # only this seed's measured steps: pooled studies logged at other steps too
            ax.plot(x[ok], y[ok], color=color, **(_SOLID if np.isfinite(onset) else _DASHED))
            points = {"start": (x[ok[0]], y[ok[0]]) if ok.size else None,
                      "exit": _at_step(steps, x, y, float(sub["lehc_exit"].values[r, k])),
                      "onset": _at_step(steps, x, y, onset)}
            for kind, point in points.items():
                if point is not None:
                    marker, size = _MARKERS[kind]
                    ax.scatter(*point, marker=marker, s=size, color=color, edgecolors="k",
                               linewidths=0.6, zorder=_ZORDER[kind], gid=kind)
        handles.append(Line2D([], [], color=color, linewidth=2,
                              label=run_label(reg, run, reg.attrs.get("reference_group", ""))))

    finite_y = y_all[np.isfinite(y_all)]
    thresh = symlog_threshold(np.append(finite_y, y_level))
    ax.set_yscale("symlog", linthresh=thresh, linscale=0.6)
    y_top = max(float(finite_y.max()) if finite_y.size else 0.0, y_level)
    # A margin below zero, so that markers at zero error are not cut by the frame.
    ax.set_ylim(-0.25 * thresh, y_top * 1.6 if y_top > 0 else 1.0)
    _x_limits(ax, x_all, x_level, log_x)

    ax.axhline(y_level, color="0.25", linewidth=0.9, linestyle=":", zorder=1.8)
    if np.isfinite(x_level):
        ax.axvline(x_level, color="0.25", linewidth=0.9, linestyle=":", zorder=1.8)
        _shade(ax, x_level, y_level)
        title = (f"{name}\nlow complexity: c <= {x_level:.3g}; "
                 f"low error: {_low_error_words(sub, y_level)}")
    else:
        title = (f"{name}\nno reference complexity, so no regions:\n"
                 "no run of this group keeps its complexity term")
    ax.set_title(title, fontsize="medium")
    ax.set_xlabel("complexity (per data point)" + (", log scale" if log_x else ""))
    ax.set_ylabel(_error_label(sub) + ", symlog")
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16),
              ncols=min(len(handles), 2), fontsize="small", frameon=False, title="run",
              title_fontsize="small")


def _x_limits(ax: Axes, x: np.ndarray, level: float, log_x: bool) -> None:
    values = x[np.isfinite(x)]
    if np.isfinite(level):
        values = np.append(values, level)
    if not values.size:
        return
    low, high = float(values.min()), float(values.max())
    if log_x:
        ax.set_xscale("log")
        ax.set_xlim(low / 1.6, high * 1.6)
    else:
        pad = 0.06 * (high - low) if high > low else 1.0
        ax.set_xlim(low - pad, high + pad)


def _shade(ax: Axes, x_level: float, y_level: float) -> None:
    """Fill and label the four regions split at ``(x_level, y_level)``."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    boxes = {"LELC": (x0, y0, x_level, y_level), "LEHC": (x_level, y0, x1, y_level),
             "HELC": (x0, y_level, x_level, y1), "HEHC": (x_level, y_level, x1, y1)}
    corners = {"LELC": (0.02, 0.02, "left", "bottom"), "LEHC": (0.98, 0.02, "right", "bottom"),
               "HELC": (0.02, 0.98, "left", "top"), "HEHC": (0.98, 0.98, "right", "top")}
    for region, (a, b, c, d) in boxes.items():
        ax.add_patch(Rectangle((a, b), c - a, d - b, facecolor=REGION_COLORS[region],
                               alpha=_FILL_ALPHA, edgecolor="none", zorder=0, gid=region))
        u, v, ha, va = corners[region]
        ax.text(u, v, region, transform=ax.transAxes, ha=ha, va=va, fontsize="small",
                fontweight="bold", color=REGION_COLORS[region], zorder=1.5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def plot_region_timeline(reg: xr.Dataset, path: str | os.PathLike[str] | None = None,
                         *, max_height: float = 16.0) -> Figure:
    """The region of every logged step against the step: one strip per run and seed.

    Each strip is coloured by region (the colours of :func:`plot_region_paths`; light grey
    where nothing was measured, or the group has no reference), each logged step standing
    for the interval up to the seed's next logged step (as the dwell counts it; steps only
    other runs logged are skipped). A black tick marks the validation onset. Strips are
    labelled with the run's swept values and the seed, and grouped one panel per group.
    The step axis is symmetric-log (linear below 1), so step 0 shows.

    Parameters
    ----------
    reg
        The output of :func:`~bayesgrok.analysis.regions.regions`.
    path
        Where to save the figure as PNG (parent folders are created); not saved if None.
    max_height
        The figure's height in inches grows with the number of strips up to this.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per group, sharing the step axis; each strip is one ``QuadMesh``.

    Examples
    --------
    >>> from matplotlib.collections import QuadMesh
    >>> from bayesgrok.analysis.regions import passage_example, regions
    >>> fig = plot_region_timeline(regions(passage_example()))
    >>> ax = fig.axes[0]
    >>> sum(isinstance(c, QuadMesh) for c in ax.collections)  # 2 runs x 2 seeds
    4
    >>> [t.get_text() for t in ax.get_yticklabels()][:2]
    ['complexity_weight=1, seed 0', 'complexity_weight=1, seed 1']
    """
    groups = run_groups(reg, "group")
    counts = [int(_present(reg.sel(run=runs)).sum()) for runs in groups.values()]
    n = sum(counts)
    height = min(max_height, 1.4 + 0.75 * len(groups) + 0.24 * n)
    fig = Figure(figsize=(9.0, height), layout="constrained")
    axes = fig.subplots(len(groups), 1, sharex=True, squeeze=False,
                        height_ratios=[c + 1.5 for c in counts])[:, 0]
    order = ["none", *REGION_CODES]
    cmap = ListedColormap([REGION_COLORS[k] for k in order])
    norm = BoundaryNorm(np.arange(-1.5, 4.0), cmap.N)
    fontsize = 8 if n <= 30 else max(4.5, 8 - (n - 30) / 12)
    for ax, (name, runs) in zip(axes, groups.items(), strict=True):
        _timeline_panel(ax, reg, name, runs, cmap, norm, fontsize)
    # Symlog, linear below the first logged step's decade (step_axis's 1 would give the
    # first logged interval a decade of its own when steps are logged every 10).
    positive = reg["step"].values[reg["step"].values > 0]
    first = 10.0 ** np.floor(np.log10(positive.min())) if positive.size else 1.0
    step_axis(axes[-1])
    axes[-1].set_xscale("symlog", linthresh=first, linscale=0.5)
    axes[-1].set_xlim(left=-0.12 * first)  # a margin, so that an onset at step 0 shows
    axes[-1].set_xlabel(f"step (symlog: linear below {first:g})")
    handles = [Patch(facecolor=REGION_COLORS[k], edgecolor="0.6", label=label)
               for k, label in zip(order, ["none (not measured)", *REGION_CODES], strict=True)]
    handles.append(Line2D([], [], color="k", marker="|", linestyle="none", markersize=10,
                          markeredgewidth=1.6, label="validation onset"))
    fig.legend(handles=handles, loc="outside upper center", ncols=len(handles),
               fontsize="small", frameon=False)
    save(fig, path)
    return fig


def _present(reg: xr.Dataset) -> np.ndarray:
    """(run, seed) pairs that exist: pooled studies with other seeds leave the rest
    without a status."""
    status = reg["status"].transpose("run", "seed").values.astype(str)
    return np.isin(status, ("ok", "diverged", "failed"))


def _timeline_panel(ax: Axes, reg: xr.Dataset, name: str, runs: list[object],
                    cmap: ListedColormap, norm: BoundaryNorm, fontsize: float) -> None:
    sub = reg.sel(run=runs)
    steps = sub["step"].values.astype(float)
    codes = sub["region"].transpose("run", "seed", "step").values
    measured = (sub["complexity"].notnull() | sub["fit_error"].notnull())
    logged = measured.any("seed").transpose("run", "step").values
    present = _present(sub)
    labels, onsets = [], []
    row = 0
    for r, run in enumerate(runs):
        keep = np.flatnonzero(logged[r])
        if not keep.size:
            keep = np.arange(steps.size)
        s = steps[keep]
        last = s[-1] + (s[-1] - s[-2] if s.size > 1 else 1.0)
        edges = np.append(s, last)
        title = run_label(reg, run, reg.attrs.get("reference_group", ""))
        for k, seed in enumerate(sub["seed"].values):
            if not present[r, k]:
                continue
            ax.pcolormesh(edges, [row - 0.42, row + 0.42], codes[r, k, keep][None, :],
                          cmap=cmap, norm=norm, shading="flat", rasterized=True)
            onset = float(sub["val_onset"].values[r, k])
            if np.isfinite(onset):
                onsets.append((onset, row))
            labels.append(f"{title}, seed {seed}")
            row += 1
        if r < len(runs) - 1:
            ax.axhline(row - 0.5, color="0.3", linewidth=0.8)
    if onsets:
        x, y = np.asarray(onsets).T
        ax.scatter(x, y, marker="|", s=110, color="k", linewidths=1.6, zorder=3,
                   gid="val_onset", clip_on=False,  # an onset at step 0 sits on the frame
                   path_effects=[withStroke(linewidth=3.2, foreground="white")])
    ax.set_yticks(np.arange(row), labels, fontsize=fontsize)
    ax.set_ylim(row - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    level = reg["low_complexity_level"].sel(run=runs).values
    note = "" if np.isfinite(level).any() else ": no reference complexity, no regions"
    ax.set_title(f"{name}{note}", fontsize="medium", loc="left")
