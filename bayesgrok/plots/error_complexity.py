"""Trajectories through the error-complexity plane, coloured by grokking gap."""

from __future__ import annotations

import itertools
import os

import numpy as np
import xarray as xr
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from bayesgrok.analysis.onsets import grokking_gap
from bayesgrok.plots._common import save, value_scale

__all__ = ["plot_error_complexity"]


def plot_error_complexity(
    ds: xr.Dataset,
    path: str | os.PathLike[str] | None = None,
    *,
    threshold: float = 0.95,
    mse_threshold: float | None = None,
) -> Figure:
    """Error against complexity on log-log axes, one line per (run, seed).

    A term with negative values (a NUTS posterior average of a Gaussian log-likelihood,
    say) is drawn on a linear axis instead.

    Each line is coloured by that seed's grokking gap (viridis; colour bar labelled
    "grokking gap (steps)") and its first point is marked with a dot. Non-positive values
    cannot be shown on log axes and are masked (NaN), as are missing steps.

    Parameters
    ----------
    ds
        A trajectory or a study dataset.
    path
        Where to save the figure as PNG (parent folders are created); not saved if None.
    threshold
        Accuracy threshold for the grokking gap.
    mse_threshold
        MSE threshold for the gap of regression trajectories without accuracy (see
        :func:`bayesgrok.analysis.grokking_gap`).

    Returns
    -------
    matplotlib.figure.Figure
        One main axes (complexity on x, error on y) and a colour bar; made without pyplot.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> fig = plot_error_complexity(example())
    >>> len(fig.axes[0].get_lines())  # two seeds
    2
    >>> study = combine({"a": example(), "b": example()}, {"lr": [0.1, 0.2]})
    >>> len(plot_error_complexity(study).axes[0].get_lines())
    4
    """
    gap = grokking_gap(ds, threshold, mse_threshold=mse_threshold)["gap"]
    error_scale, complexity_scale = value_scale(ds["error"]), value_scale(ds["complexity"])
    error = ds["error"].where(ds["error"] > 0) if error_scale == "log" else ds["error"]
    complexity = ds["complexity"]
    if complexity_scale == "log":
        complexity = complexity.where(complexity > 0)
    line_dims = [dim for dim in error.dims if dim != "step"]
    error = error.transpose(*line_dims, "step")
    complexity = complexity.transpose(*line_dims, "step")
    gap = gap.transpose(*line_dims)

    gaps = gap.values.astype(float)
    low, high = float(np.nanmin(gaps)), float(np.nanmax(gaps))
    if high <= low:
        low, high = low - 0.5, high + 0.5
    norm = Normalize(vmin=low, vmax=high)
    cmap = colormaps["viridis"]

    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = fig.add_subplot()
    for index in itertools.product(*(range(error.sizes[dim]) for dim in line_dims)):
        x = complexity.values[index]
        y = error.values[index]
        color = cmap(norm(gaps[index]))
        ax.plot(x, y, color=color, linewidth=1.2, alpha=0.9)
        finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        if finite.size:
            ax.scatter(x[finite[0]], y[finite[0]], color=color, s=18, zorder=3)
    ax.set_xscale(complexity_scale)
    ax.set_yscale(error_scale)
    ax.set_xlabel("complexity (per data point)")
    ax.set_ylabel("error (per data point)")
    title = " / ".join(str(ds.attrs[k]) for k in ("task", "family") if ds.attrs.get(k))
    ax.set_title(title or "error against complexity (dot: start)")
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="grokking gap (steps)")
    save(fig, path)
    return fig
