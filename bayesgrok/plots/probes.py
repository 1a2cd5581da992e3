"""Probes over steps: one line per element of a probe's own dimension (e.g. per input dim)."""

from __future__ import annotations

import json
import os

import xarray as xr
from matplotlib.figure import Figure

from bayesgrok.plots._common import panel_grid, run_title, save, step_axis

__all__ = ["plot_probe", "probe_names"]


def probe_names(ds: xr.Dataset) -> list[str]:
    """Variables with exactly one dimension besides ``run``, ``seed`` and ``step``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset({"w": (("seed", "step", "feature"), np.zeros((1, 2, 3))),
    ...                  "error": (("seed", "step"), np.zeros((1, 2)))})
    >>> probe_names(ds)
    ['w']
    """
    base = {"run", "seed", "step"}
    return [
        str(name)
        for name, var in ds.data_vars.items()
        if base & set(var.dims) >= {"seed", "step"} and len(set(var.dims) - base) == 1
    ]


def plot_probe(
    ds: xr.Dataset,
    name: str,
    path: str | os.PathLike[str] | None = None,
    *,
    highlight: list[int] | None = None,
    log_y: bool | None = None,
) -> Figure:
    """A probe against step: the mean over seeds of each element of its extra dimension,
    one panel per run that records it (a study of several families draws no empty panel).

    Parameters
    ----------
    ds
        A trajectory or study dataset (one panel per run).
    name
        The probe variable, with dims ``seed``, ``step`` and one more (``input_dim``, ...).
    path
        Where to save the PNG.
    highlight
        Indices along the extra dimension to draw in colour (the rest in grey). By default
        the non-spurious input dimensions when the data records its spurious columns
        (attribute or per-run variable ``spurious_columns``), else all in colour.
    log_y
        Logarithmic y axis; by default when every value is positive.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset({"w": (("seed", "step", "input_dim"), np.ones((2, 3, 4)))},
    ...                 coords={"step": [0, 1, 2]})
    >>> len(plot_probe(ds, "w", highlight=[0]).axes[0].lines)
    4
    >>> study = xr.concat([ds, ds * np.nan], "run").assign_coords(run=["linear", "gp"])
    >>> [ax.get_title() for ax in plot_probe(study, "w").axes]
    ['linear']
    """
    var = ds[name]
    (extra,) = [d for d in var.dims if d not in ("run", "seed", "step")]
    runs = list(ds["run"].values) if "run" in ds.dims else [None]
    if len(runs) > 1:  # only the runs whose family records the probe: no empty panels
        measured = var.notnull().any([d for d in var.dims if d != "run"])
        runs = [r for r in runs if bool(measured.sel(run=r))] or runs[:1]
    fig = Figure(figsize=(4.8 * min(len(runs), 3), 3.6 * -(-len(runs) // 3)),
                 layout="constrained")
    axes = panel_grid(fig, len(runs))
    if log_y is None:
        log_y = bool((var > 0).all())
    for ax, run in zip(axes, runs, strict=True):
        one = var if run is None else var.sel(run=run)
        mean = one.mean("seed", skipna=True)
        marked = _highlight(ds, run, highlight, one.sizes[extra])
        for i in range(one.sizes[extra]):
            line = mean.isel({extra: i})
            colour = None if (marked is None or i in marked) else "0.7"
            named = (i in marked) if marked is not None else one.sizes[extra] <= 10
            label = f"{extra} {i}" if named else None
            ax.plot(ds["step"].values, line.values, color=colour, linewidth=1.2 if colour is
                    None else 0.7, label=label, zorder=3 if colour is None else 2)
        step_axis(ax)
        if log_y:
            ax.set_yscale("log")
        ax.set_ylabel(f"{name} (mean over seeds)")
        if run is not None:
            ax.set_title(run_title(ds, run))
        if marked is not None and 0 < len(marked) <= 10:
            ax.legend(fontsize="small", title="grey: spurious" if highlight is None else None)
        elif marked is None and one.sizes[extra] <= 10:
            ax.legend(fontsize="small")
    save(fig, path)
    return fig


def _highlight(ds: xr.Dataset, run: object, given: list[int] | None, n: int) -> set[int] | None:
    if given is not None:
        return set(given)
    source = None
    if "spurious_columns" in ds.data_vars and run is not None:
        source = str(ds["spurious_columns"].sel(run=run).item())
    elif "spurious_columns" in ds.attrs:
        source = str(ds.attrs["spurious_columns"])
    if source is None:
        return None
    spurious = set(json.loads(source))
    return {i for i in range(n) if i not in spurious} if spurious else None
