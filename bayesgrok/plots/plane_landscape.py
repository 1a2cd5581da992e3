"""A run's landscape on the plane of its trajectory: the error and complexity surfaces, the
regions of the general grokking hypothesis on the plane, and every seed's projected path."""

from __future__ import annotations

import os

import numpy as np
import xarray as xr
from matplotlib import patheffects
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bayesgrok.plots._common import save

__all__ = ["plot_plane_landscape"]

_AREA_COLOURS = {"LEHC": "#e76f51", "LELC": "#ffffff"}
_PATH_COLOURS = ["#ff595e", "#ffca3a", "#8ac926", "#1982c4", "#ff924c", "#c5ca30"]
_AREA_HATCHES = {"LEHC": "\\\\", "LELC": "//"}


def _norm(values: np.ndarray) -> Normalize:
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
        return LogNorm(finite.min(), finite.max())
    return Normalize(*(np.percentile(finite, [0, 100]) if finite.size else (0, 1)))


def _low_error(land: xr.Dataset) -> xr.DataArray:
    threshold = float(land.attrs["fit_threshold"])
    if land.attrs.get("fit_metric") == "mse":
        return land["train_mse"] <= threshold
    return land["train_accuracy"] >= threshold


def plot_plane_landscape(land: xr.Dataset,
                         path: str | os.PathLike[str] | None = None) -> Figure:
    """Two panels, the error and the complexity over the plane (colour, log scale where
    they span orders of magnitude), each with the plane's LEHC (red outline, back-hatched)
    and LELC (white outline, hatched) areas, and every seed's projected path (a circle at
    its start, a cross at its end).

    Parameters
    ----------
    land
        A dataset of :func:`bayesgrok.study.plane_outputs.run_plane_landscape` (the grid
        variables on ``(b, a)``, ``path_a`` and ``path_b`` on ``(seed, snapshot)``, and the
        region definitions in its attributes).
    path
        Where to save the PNG.

    Examples
    --------
    >>> a = b = np.linspace(-1, 1, 5)
    >>> grid = np.add.outer(b ** 2, a ** 2)
    >>> land = xr.Dataset({"error": (("b", "a"), grid + 0.1),
    ...                    "complexity": (("b", "a"), 1 + np.add.outer(b, a) + 2),
    ...                    "train_accuracy": (("b", "a"), 1 - grid / 2),
    ...                    "explained_variance_ratio": ("direction", [0.8, 0.1]),
    ...                    "path_a": (("seed", "snapshot"), [[1.0, 0.5, 0.0]]),
    ...                    "path_b": (("seed", "snapshot"), [[1.0, 0.2, 0.0]])},
    ...                   coords={"a": a, "b": b, "seed": [0], "snapshot": [0, 5, 10]},
    ...                   attrs={"fit_metric": "accuracy", "fit_threshold": 0.95,
    ...                          "low_complexity_level": 3.0, "run": "demo"})
    >>> len(plot_plane_landscape(land).axes)
    4
    """
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    axes = fig.subplots(1, 2)
    a, b = land["a"].values, land["b"].values
    low_error = _low_error(land).values
    low_complexity = (land["complexity"] <= float(land.attrs["low_complexity_level"])).values
    areas = {"LEHC": low_error & ~low_complexity, "LELC": low_error & low_complexity}
    ratio = land["explained_variance_ratio"].values
    for ax, name in zip(axes, ("error", "complexity"), strict=True):
        values = land[name].values
        mesh = ax.pcolormesh(a, b, values, norm=_norm(values), cmap="viridis",
                             shading="nearest")
        fig.colorbar(mesh, ax=ax, label=f"{name} (per data point)")
        for area, mask in areas.items():
            if mask.any():
                ax.contourf(a, b, mask.astype(float), levels=[0.5, 1.5], colors="none",
                            hatches=[_AREA_HATCHES[area]])
                ax.contour(a, b, mask.astype(float), levels=[0.5],
                           colors=[_AREA_COLOURS[area]], linewidths=2.0)
        for i, seed in enumerate(land["seed"].values):
            pa, pb = land["path_a"].values[i], land["path_b"].values[i]
            line, = ax.plot(pa, pb, "-", lw=2, color=_PATH_COLOURS[i % len(_PATH_COLOURS)],
                            label=f"seed {seed}",
                            path_effects=[patheffects.withStroke(linewidth=3.5, foreground="k")])
            ax.plot(pa[0], pb[0], "o", mfc="white", mec=line.get_color())
            ax.plot(pa[-1], pb[-1], "x", color="white", ms=8, mew=2)
        ax.set_xlabel(f"first principal direction ({ratio[0]:.0%} of the variance)")
        ax.set_ylabel(f"second principal direction ({ratio[1]:.0%})")
        ax.set_title(name)
    handles = [Patch(facecolor="0.6", edgecolor=c, hatch=_AREA_HATCHES[k], lw=2,
                     label=f"{k} on the plane") for k, c in _AREA_COLOURS.items()]
    handles += axes[0].get_legend_handles_labels()[0]
    handles += [Line2D([], [], marker="o", ls="", mfc="white", mec="k", label="start"),
                Line2D([], [], marker="x", ls="", color="k", label="end")]
    axes[1].legend(handles=handles, loc="best", fontsize=8)
    fig.suptitle(f"{land.attrs.get('run', '')}\nthe landscape on the plane of the trajectory "
                 f"(PCA of the parameter snapshots: {ratio.sum():.0%} of their variance)")
    save(fig, path)
    return fig
