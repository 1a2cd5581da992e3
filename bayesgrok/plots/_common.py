"""Helpers shared by the plotting modules (private)."""

from __future__ import annotations

import io
import json
import os
import warnings
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bayesgrok.analysis.summary import swept_parameters
from bayesgrok.atomic import atomic_write


def value_scale(values: object) -> str:
    """``"linear"`` when some finite value is negative, else ``"log"``.

    A log-likelihood per point can be negative (a Gaussian with small noise has density
    above 1), and so can a negative log prior; such terms are drawn on linear axes. Zeros
    alone do not switch: on a log axis they are masked.

    Examples
    --------
    >>> value_scale([0.1, 0.0, float("nan")]), value_scale([-1.0, 2.0])
    ('log', 'linear')
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return "linear" if bool((finite < 0).any()) else "log"


def save(fig: Figure, path: str | os.PathLike[str] | None) -> None:
    """Write ``fig`` as PNG at ``path`` (creating parent folders, atomically: an
    interrupted or failed write leaves no half-written figure) when a path is given."""
    if path is None:
        return
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(buffer.getvalue()))


def run_title(ds: xr.Dataset, run: object) -> str:
    """A panel title for one run: its swept values (``lr=0.1, wd=0.01``), else its id."""
    swept = swept_parameters(ds)
    if not swept:
        return str(run)
    if "sweep_shown" in ds.attrs:  # labels stand for the zipped keys they name
        swept = [s for s in json.loads(ds.attrs["sweep_shown"]) if s in swept]
    values = ds.sel(run=run)
    return ", ".join(f"{name}={_fmt(values[name].item())}" for name in swept)


def _fmt(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return str(value)


def seed_stats(da: xr.DataArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, min and max over ``seed`` (NaN ignored; all-NaN steps stay NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN steps (diverged, unlogged)
        mean = da.mean("seed", skipna=True).values
        low = da.min("seed", skipna=True).values
        high = da.max("seed", skipna=True).values
    return mean, low, high


def step_axis(ax: Axes) -> None:
    """A symmetric-log step axis: linear on [0, 1], logarithmic beyond, so step 0 shows."""
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(left=0)
    ax.set_xlabel("step (symlog: linear below 1)")


def panel_grid(fig: Figure, n: int, max_cols: int = 3) -> list[Axes]:
    """``n`` axes on a grid of at most ``max_cols`` columns; extra grid cells are removed."""
    ncols = max(1, min(n, max_cols))
    nrows = max(1, -(-n // ncols))
    grid = fig.subplots(nrows, ncols, squeeze=False)
    axes = list(grid.ravel())
    for ax in axes[n:]:
        fig.delaxes(ax)
    return axes[:n]
