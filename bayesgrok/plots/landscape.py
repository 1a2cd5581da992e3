"""The landscape figure: error, complexity and their sum, with trajectories drawn over them."""

from __future__ import annotations

import os

import numpy as np
import xarray as xr
from matplotlib.colors import SymLogNorm
from matplotlib.figure import Figure

from bayesgrok.plots._common import run_title, save

__all__ = ["plot_landscape"]

_TITLES = {"error": "error", "complexity": "complexity", "total": "error + complexity"}


def plot_landscape(
    land: xr.Dataset,
    trajectories: xr.Dataset | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Three surfaces side by side (error, complexity, total) with trajectories over them.

    Colours use a symmetric-log scale (the surfaces span orders of magnitude and the
    complexity can be negative). Each trajectory (run and seed) is a line in the
    landscape's coordinates; its start is a white circle, its end a white cross, and it is
    labelled with its run's swept values.

    Parameters
    ----------
    land
        A landscape from :func:`bayesgrok.analysis.landscape.landscape`.
    trajectories
        A trajectory or study dataset recording the landscape's two coordinates.
    path
        Where to save the PNG.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> grid = np.arange(6.0).reshape(2, 3)
    >>> land = xr.Dataset({k: (("b", "a"), grid) for k in ("error", "complexity", "total")},
    ...                   coords={"a": [0.0, 1.0, 2.0], "b": [0.0, 1.0]},
    ...                   attrs={"x": "a", "y": "b"})
    >>> [ax.get_title() for ax in plot_landscape(land).axes if ax.get_title()]
    ['error', 'complexity', 'error + complexity']
    """
    x_name, y_name = land.attrs["x"], land.attrs["y"]
    fig = Figure(figsize=(16, 4.8), layout="constrained")
    axes = fig.subplots(1, 3)
    paths = _paths(trajectories, x_name, y_name) if trajectories is not None else []
    for ax, var in zip(axes, ("error", "complexity", "total"), strict=True):
        surface = land[var].transpose(y_name, x_name)
        values = surface.values
        finite = values[np.isfinite(values)]
        low, high = (np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0))
        norm = SymLogNorm(linthresh=max(1e-3, 0.01 * max(abs(low), abs(high))), vmin=low,
                          vmax=high)
        mesh = ax.pcolormesh(land[x_name].values, land[y_name].values, values, norm=norm,
                             cmap="viridis", shading="auto")
        fig.colorbar(mesh, ax=ax, shrink=0.9)
        for i, (label, xs, ys) in enumerate(paths):
            colour = f"C{(i + 1) % 10}"
            ax.plot(xs, ys, color=colour, linewidth=1.6, label=label)
            ax.plot(xs[0], ys[0], "o", color="white", markeredgecolor=colour, markersize=7)
            ax.plot(xs[-1], ys[-1], "x", color="white", markersize=8, markeredgewidth=2)
        ax.set_xlim(land[x_name].values.min(), land[x_name].values.max())
        ax.set_ylim(land[y_name].values.min(), land[y_name].values.max())
        ax.set_xlabel(x_name)
        ax.set_ylabel(y_name)
        ax.set_title(_TITLES[var])
    if paths:
        axes[-1].legend(fontsize="small", loc="best")
    title = land.attrs.get("family", "")
    fig.suptitle(f"{title} landscape (o start, x end)".strip())
    save(fig, path)
    return fig


def _paths(ds: xr.Dataset, x_name: str, y_name: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    out = []
    runs = list(ds["run"].values) if "run" in ds.dims else [None]
    for run in runs:
        one = ds if run is None else ds.sel(run=run)
        label = "" if run is None else run_title(ds, run)
        for seed in one["seed"].values:
            xs = one[x_name].sel(seed=seed).values
            ys = one[y_name].sel(seed=seed).values
            keep = np.isfinite(xs) & np.isfinite(ys)
            if keep.any():
                name = label if one.sizes["seed"] == 1 else f"{label} seed {seed}".strip()
                out.append((name, xs[keep], ys[keep]))
    return out
