"""The two terms of the objective against training time (REFERENCE A6's second figure)."""

from __future__ import annotations

import os
import warnings

import numpy as np
import xarray as xr
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

from bayesgrok.analysis.summary import swept_parameters
from bayesgrok.plots._common import run_title, save, value_scale

__all__ = ["plot_terms"]

_TERMS = {"error": "error (per data point)", "complexity": "complexity (per data point)"}


def plot_terms(
    ds: xr.Dataset,
    path: str | os.PathLike[str] | None = None,
    *,
    color_by: str | None = None,
    cmap: str = "viridis",
) -> Figure:
    """Mean over seeds of the error and of the complexity against epoch, log y axes.

    Two panels side by side, error on the left and complexity on the right, with one line
    per run in each (a single line per panel for a single trajectory). The x axis is the
    ``epoch`` coordinate when the dataset has one, else ``step``; it is symmetric-log
    (linear on [0, 1], logarithmic beyond) so that the start is shown. The mean over seeds
    ignores NaN (diverged seeds); non-positive means are masked, as a log axis cannot show
    them.

    In a study dataset, runs are coloured by a swept value: ``color_by`` or, by default,
    the first numeric swept parameter. A colour bar labelled with its name shows the value
    (a logarithmic scale when all values are positive and span more than a decade, as
    A6's ``sigma_init`` does). Without a numeric swept value, runs get the default colour
    cycle and a legend of their swept values (or run ids).

    Parameters
    ----------
    ds
        A trajectory or study dataset with ``error`` and ``complexity``.
    path
        Where to save the figure as PNG (parent folders are created); not saved if None.
    color_by
        The swept coordinate (on ``run``) that colours the lines.
    cmap
        Matplotlib colour map of the swept value.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes (error, complexity), plus a colour bar when lines are coloured by value;
        made without pyplot.

    Raises
    ------
    ValueError
        If ``error`` or ``complexity`` is missing, or ``color_by`` is not a numeric
        coordinate along ``run``.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> fig = plot_terms(example())
    >>> [len(ax.get_lines()) for ax in fig.axes]
    [1, 1]
    >>> study = combine({"a": example(), "b": example()}, {"lr": [0.1, 0.2]})
    >>> fig = plot_terms(study)
    >>> [len(ax.get_lines()) for ax in fig.axes[:2]], fig.axes[2].get_ylabel()
    ([2, 2], 'lr')
    """
    missing = [term for term in _TERMS if term not in ds.data_vars]
    if missing:
        raise ValueError(f"plot_terms needs {' and '.join(map(repr, missing))} in the dataset")
    runs = list(ds["run"].values) if "run" in ds.dims else [None]
    key = _color_key(ds, color_by) if runs != [None] else None
    norm = _norm(ds[key].values) if key is not None else None
    colormap = colormaps[cmap]

    fig = Figure(figsize=(11.0, 4.2), layout="constrained")
    axes = list(fig.subplots(1, 2, sharex=True))
    x_name = "epoch" if "epoch" in ds.coords else "step"
    for i, run in enumerate(runs):
        one = ds if run is None else ds.sel(run=run)
        x = np.broadcast_to(one[x_name].values, one["step"].shape)
        if key is not None and norm is not None:
            color = colormap(norm(float(one[key].values)))
        else:
            color = f"C{i % 10}"
        label = "mean over seeds" if run is None else run_title(ds, run)
        for ax, term in zip(axes, _TERMS, strict=True):
            ax.plot(x, _seed_mean(one[term]), color=color, linewidth=1.3, label=label)
    for ax, (term, ylabel) in zip(axes, _TERMS.items(), strict=True):
        _style(ax, x_name, ylabel, value_scale(ds[term]))
        ax.set_title(f"{term} (mean over seeds)")
    if key is not None and norm is not None:
        fig.colorbar(ScalarMappable(norm=norm, cmap=colormap), ax=axes, label=key)
    elif runs != [None]:
        axes[1].legend(loc="best", fontsize="small")
    title = " / ".join(str(ds.attrs[k]) for k in ("study", "task", "family") if ds.attrs.get(k))
    if title:
        fig.suptitle(title)
    save(fig, path)
    return fig


def _color_key(ds: xr.Dataset, color_by: str | None) -> str | None:
    swept = swept_parameters(ds)
    if color_by is not None:
        if color_by not in swept or not _numeric(ds[color_by]):
            raise ValueError(
                f"color_by={color_by!r} is not a numeric swept parameter "
                f"(swept: {', '.join(swept) or 'none'})"
            )
        return color_by
    numeric = [name for name in swept if _numeric(ds[name])]
    return numeric[0] if numeric else None


def _numeric(da: xr.DataArray) -> bool:
    return np.issubdtype(da.dtype, np.number) and not np.issubdtype(da.dtype, np.bool_)


def _norm(values: np.ndarray) -> Normalize:
    values = np.asarray(values, dtype=float)
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    if low > 0 and high / low > 10:
        return LogNorm(vmin=low, vmax=high)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    return Normalize(vmin=low, vmax=high)


def _seed_mean(da: xr.DataArray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN steps (diverged, unlogged)
        mean = da.mean("seed", skipna=True) if "seed" in da.dims else da
    mean = mean.transpose("step", ...).values
    if value_scale(da) == "linear":
        return mean
    return np.where(mean > 0, mean, np.nan)


def _style(ax: Axes, x_name: str, ylabel: str, scale: str = "log") -> None:
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(left=0)
    ax.set_xlabel(f"{x_name} (symlog: linear below 1)")
    ax.set_yscale(scale)
    ax.set_ylabel(ylabel)
