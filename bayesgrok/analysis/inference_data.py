"""Bridges from trajectories to ArviZ (the modern, DataTree-based API).

Any trajectory of any family becomes ArviZ InferenceData (an :class:`xarray.DataTree`)
with seeds as chains and logged steps as draws, so ArviZ's trace-style plots, rank plots
and R-hat work on trajectory variables: R-hat across seeds asks whether different seeds
have settled into the same distribution of a quantity over (a window of) training.

Training steps are not MCMC draws: the draws here are ordered in time and strongly
autocorrelated, and a transient start inflates R-hat. Select a window first
(``ds.sel(step=slice(1000, None))``) to ask about the settled part.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import arviz_base as azb
import arviz_stats as azs
import numpy as np
import xarray as xr


def trajectory_variables(ds: xr.Dataset) -> list[str]:
    """The numeric variables of a trajectory that have both ``seed`` and ``step``.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> trajectory_variables(example())[:3]
    ['error', 'complexity', 'objective']
    """
    return [
        str(name)
        for name, var in ds.data_vars.items()
        if {"seed", "step"} <= set(var.dims) and np.issubdtype(var.dtype, np.number)
    ]


def trajectory_to_datatree(
    ds: xr.Dataset, variables: Sequence[str] | None = None
) -> xr.DataTree:
    """A single-run trajectory as ArviZ InferenceData: seeds are chains, logged steps draws.

    Parameters
    ----------
    ds
        A trajectory (dims ``seed``, ``step``; select one ``run`` of a study first).
    variables
        Which variables go into the ``posterior`` group (default: every numeric variable
        with ``seed`` and ``step``). Extra dimensions (``input_dim``, ``layer``) are kept.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> dt = trajectory_to_datatree(example(n_seeds=3))
    >>> dict(dt.posterior["error"].sizes)
    {'chain': 3, 'draw': 4}
    >>> dt.posterior["draw"].values.tolist()  # the logged steps
    [0, 1, 10, 100]
    """
    if "run" in ds.dims:
        raise ValueError("select one run first: ds.sel(run=...) or ds.isel(run=0)")
    names = list(variables) if variables is not None else trajectory_variables(ds)
    posterior = {}
    dims = {}
    coords: dict[str, np.ndarray] = {
        "chain": ds["seed"].values,
        "draw": ds["step"].values,
    }
    for name in names:
        if name not in ds:
            raise KeyError(f"the trajectory has no variable {name!r}")
        var = ds[name]
        extra = [d for d in var.dims if d not in ("seed", "step")]
        posterior[name] = var.transpose("seed", "step", *extra).values
        dims[name] = extra
        for d in extra:
            if d in ds.coords:
                coords[d] = ds[d].values
    dt = azb.from_dict({"posterior": posterior}, dims=dims, coords=coords)
    dt["posterior"].attrs["source"] = "bayesgrok trajectory: chains are seeds, draws are steps"
    return dt


def rhat_across_seeds(ds: xr.Dataset, variables: Sequence[str] | None = None) -> xr.Dataset:
    """ArviZ's rank-normalised R-hat of trajectory variables, with seeds as chains.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> same = xr.Dataset({"a": (("seed", "step"), rng.normal(size=(4, 500)))},
    ...                   coords={"step": np.arange(500)})
    >>> bool(rhat_across_seeds(same)["a"] < 1.01)
    True
    """
    out = azs.rhat(trajectory_to_datatree(ds, variables))
    if isinstance(out, xr.DataTree):
        out = out["posterior"] if "posterior" in out.children else out
        out = out.to_dataset()
    return out


def plot_trajectory_trace(
    ds: xr.Dataset,
    variables: Sequence[str],
    path: str | os.PathLike[str] | None = None,
) -> object:
    """ArviZ's trace-and-distribution plot of trajectory variables (one chain per seed).

    Returns the ArviZ plot collection; saves its figure as PNG when ``path`` is given.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> pc = plot_trajectory_trace(example(), ["error"])
    >>> type(pc.viz["figure"].item()).__name__
    'Figure'

    """
    import arviz_plots as azp

    dt = trajectory_to_datatree(ds, variables)
    pc = azp.plot_trace_dist(dt, var_names=list(variables), backend="matplotlib")
    if path is not None:
        save_plot_collection(pc, path)
    return pc


def save_plot_collection(pc: object, path: str | os.PathLike[str]) -> None:
    """Save an ArviZ (matplotlib backend) plot collection's figure as PNG and close it.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from arviz_base import from_dict
    >>> from arviz_plots import plot_dist
    >>> draws = {"posterior": {"w": np.random.default_rng(0).normal(size=(2, 50))}}
    >>> pc = plot_dist(from_dict(draws), backend="matplotlib")
    >>> path = Path(tempfile.mkdtemp()) / "w.png"
    >>> save_plot_collection(pc, path)
    >>> path.read_bytes()[:4] == b"\\x89PNG"
    True
    """
    import io
    from pathlib import Path

    import matplotlib.pyplot as plt

    from bayesgrok.atomic import atomic_write

    fig = pc.viz["figure"].item()  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(buffer.getvalue()))
