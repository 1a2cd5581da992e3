"""Landscapes: error and complexity over a 2-D grid of a family's coordinates.

A landscape evaluates a family's error, complexity and objective at every point of a grid
over two of its coordinates (the other parameters held fixed), vectorised with ``vmap``:
one compiled evaluation for the whole grid, no Python loop over points. Trajectories are
projected onto the same coordinates by
:func:`bayesgrok.analysis.landscape.project`, so they can be drawn over it.

The interface is family-neutral: a coordinate is a scalar entry of the family's parameter
dict (as ``log_lengthscale`` of :class:`~bayesgrok.families.gp_regression.GPRegression`);
a family whose parameters are not a flat dict provides
``with_coordinates(params, values) -> params``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from bayesgrok.search.contract import Batch
from bayesgrok.tasks.split import Split


def landscape(
    family: Any,
    split: Split,
    x: tuple[str, Sequence[float]],
    y: tuple[str, Sequence[float]],
    *,
    params: Any = None,
    key: jax.Array | None = None,
) -> xr.Dataset:
    """Error, complexity and objective of ``family`` on ``split`` over a 2-D grid.

    Parameters
    ----------
    family
        Any family meeting the contract.
    split
        The data; the error and complexity are those of the training set.
    x, y
        ``(coordinate name, values)`` of the two grid axes.
    params
        The parameters the other coordinates are held at (default: ``family.init``).
    key
        Key for ``family.init`` (default: from ``split.seed``).

    Returns
    -------
    xarray.Dataset
        ``error``, ``complexity``, ``total`` (error + complexity) and ``objective`` (what
        the search minimises) with dims ``(y name, x name)`` and those coordinates.

    Examples
    --------
    >>> from bayesgrok.families.gp_regression import GPRegression
    >>> from bayesgrok.tasks import make_task
    >>> ds = landscape(GPRegression(), make_task("noisy_sine", seed=42),
    ...                ("log_lengthscale", [-1.0, 0.0, 1.0]), ("log_outputscale", [0.0, 1.0]))
    >>> dict(ds["total"].sizes)
    {'log_outputscale': 2, 'log_lengthscale': 3}
    """
    (x_name, x_values), (y_name, y_values) = x, y
    if x_name == y_name:
        raise ValueError(f"the two landscape coordinates are the same: {x_name!r}")
    x64 = family.precision == "float64"
    scope = jax.enable_x64(True) if x64 else contextlib.nullcontext()
    with scope:
        dtype = jnp.float64 if x64 else jnp.float32
        train = Batch(jnp.asarray(split.x_train, dtype),
                      jnp.asarray(split.y_train, jnp.int32 if split.kind == "classification"
                                  else dtype))
        if params is None:
            key = jax.random.PRNGKey(split.seed) if key is None else key
            params = family.init(key, split)
        xs = jnp.asarray(np.asarray(x_values, dtype=np.float64), dtype)
        ys = jnp.asarray(np.asarray(y_values, dtype=np.float64), dtype)
        grid_y, grid_x = jnp.meshgrid(ys, xs, indexing="ij")

        def at(xv: jax.Array, yv: jax.Array) -> dict[str, jax.Array]:
            p = family.with_coordinates(params, {x_name: xv, y_name: yv})
            err = family.error(p, train, train)
            comp = family.complexity(p, train)
            return {
                "error": err,
                "complexity": comp,
                "total": err + comp,
                "objective": family.objective(p, train, train),
            }

        values = jax.jit(jax.vmap(at))(grid_x.ravel(), grid_y.ravel())
        values = {k: np.asarray(v, dtype=np.float64).reshape(grid_x.shape)
                  for k, v in values.items()}
    dims = (y_name, x_name)
    ds = xr.Dataset(
        {k: (dims, v) for k, v in values.items()},
        coords={x_name: np.asarray(x_values, np.float64), y_name: np.asarray(y_values,
                                                                             np.float64)},
        attrs={"family": family.name, "task": split.name, "seed": split.seed,
               "objective_formula": family.objective_formula, "x": x_name, "y": y_name},
    )
    ds["error"].attrs["description"] = "error per training point"
    ds["complexity"].attrs["description"] = "complexity per training point"
    ds["total"].attrs["description"] = "error + complexity"
    return ds
