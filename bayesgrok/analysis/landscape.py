"""Functions of trajectories over a landscape: projection onto its coordinates and the
step at which a trajectory settles at its end point.

The landscape itself (a family's error, complexity and objective over a grid of two of its
coordinates) is evaluated by :func:`bayesgrok.search.landscape.landscape`; this module
only reads trajectories and that dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import xarray as xr


def project(trajectories: xr.Dataset, landscape_ds: xr.Dataset) -> xr.Dataset:
    """The trajectories' positions in the landscape's coordinates.

    The trajectories must record both coordinates as probes (scalar per seed and step).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> traj = xr.Dataset({"a": (("seed", "step"), np.zeros((1, 3))),
    ...                    "b": (("seed", "step"), np.ones((1, 3)))})
    >>> land = xr.Dataset(attrs={"x": "a", "y": "b"})
    >>> list(project(traj, land).data_vars)
    ['a', 'b']
    """
    names = [landscape_ds.attrs["x"], landscape_ds.attrs["y"]]
    missing = [n for n in names if n not in trajectories.data_vars]
    if missing:
        raise KeyError(f"the trajectories do not record the coordinate {missing[0]!r}")
    return trajectories[names]


def settling_step(
    trajectories: xr.Dataset,
    names: Sequence[str],
    tolerance: float = 0.1,
    rule: Literal["stays", "first"] = "stays",
) -> xr.DataArray:
    """When a trajectory settles within ``tolerance`` of its end.

    Distance is Euclidean in the coordinates ``names``; the end is the last logged point.
    ``rule="stays"``: the first logged step from which the trajectory stays within
    ``tolerance``; ``rule="first"``: the first logged step at which it is within
    ``tolerance`` (it may leave again, as a path that overshoots does).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> traj = xr.Dataset({"a": (("seed", "step"), [[0.0, 0.95, 0.5, 0.95, 1.0]])},
    ...                   coords={"step": [0, 10, 20, 30, 40]})
    >>> settling_step(traj, ["a"]).values.tolist()
    [30]
    >>> settling_step(traj, ["a"], rule="first").values.tolist()
    [10]
    """
    if rule not in ("stays", "first"):
        raise ValueError(f"settling_step: rule must be 'stays' or 'first', got {rule!r}")
    coords = xr.concat([trajectories[n] for n in names], dim="coordinate")
    end = coords.isel(step=-1)
    distance = np.sqrt(((coords - end) ** 2).sum("coordinate"))
    outside = distance > tolerance
    if rule == "first":
        first = (~outside).argmax("step")
        return _step_values(trajectories, first).rename("first_within_step")
    # last step still outside; the settling step is the one after it
    reversed_outside = outside.isel(step=slice(None, None, -1))
    n = trajectories.sizes["step"]
    last_outside = n - 1 - reversed_outside.argmax("step")
    index = xr.where(outside.any("step"), last_outside + 1, 0).clip(max=n - 1)
    return _step_values(trajectories, index).rename("settling_step")


def _step_values(trajectories: xr.Dataset, index: xr.DataArray) -> xr.DataArray:
    """The logged steps at ``index``, without the step coordinates (step, epoch)."""
    step_coords = [n for n, c in trajectories.coords.items() if "step" in c.dims]
    return trajectories["step"].isel(step=index).drop_vars(step_coords, errors="ignore")
