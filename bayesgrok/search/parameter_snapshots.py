"""Parameter snapshots: every seed's flattened parameter vector at the search's
``snapshots`` steps, for any family of either engine.

The JAX engine flattens a family's parameter pytree with ``jax.flatten_util.ravel_pytree``
and the PyTorch engine a model's parameters with
``torch.nn.utils.parameters_to_vector``; both hand :func:`snapshot_tree` the vectors, the
name of the tensor every entry belongs to and each tensor's shape. The result is the run's
artifact ``parameters`` (``runs/<run-id>.parameters.nc``): a variable ``parameters`` with
dims ``(seed, snapshot, parameter)``, the ``snapshot`` coordinate holding the steps, a
``tensor`` coordinate on ``parameter`` and the shapes as JSON in ``tensor_shapes``, which
is what :mod:`bayesgrok.analysis.plane` reads. Vectors of more than
:data:`FLOAT32_ABOVE` entries are stored in float32 (a landscape's plane does not need
more), smaller ones in float64.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

FLOAT32_ABOVE = 100_000
"""Parameter vectors longer than this are stored in float32."""


def snapshot_tree(steps: Sequence[int], vectors: np.ndarray, seeds: Sequence[int],
                  tensors: Sequence[str], shapes: dict[str, tuple[int, ...]]) -> xr.DataTree:
    """The ``parameters`` artifact of a run.

    Parameters
    ----------
    steps
        The snapshot steps.
    vectors
        Shape ``(seeds, steps, n)``.
    seeds
        The run's seeds.
    tensors
        The tensor each of the ``n`` entries belongs to.
    shapes
        Each tensor's shape.

    Examples
    --------
    >>> tree = snapshot_tree([0, 10], np.zeros((1, 2, 3)), [7], ["w", "w", "b"],
    ...                      {"w": (2,), "b": (1,)})
    >>> dict(tree["parameters"].sizes), tree["parameters"].dtype.name
    ({'seed': 1, 'snapshot': 2, 'parameter': 3}, 'float64')
    """
    vectors = np.asarray(vectors)
    dtype = np.float32 if vectors.shape[-1] > FLOAT32_ABOVE else np.float64
    ds = xr.Dataset(
        {"parameters": (("seed", "snapshot", "parameter"), vectors.astype(dtype),
                        {"long_name": "parameter vector",
                         "description": "every trainable and frozen parameter, flattened",
                         "tensor_shapes": json.dumps({k: list(v) for k, v in shapes.items()})})},
        coords={"seed": np.asarray(seeds, np.int64), "snapshot": np.asarray(steps, np.int64),
                "tensor": ("parameter", np.asarray(list(tensors), dtype=str))},
    )
    ds["snapshot"].attrs["long_name"] = "optimizer step of the snapshot"
    return xr.DataTree(ds)


def jax_vectors(params: Any) -> tuple[np.ndarray, list[str], dict[str, tuple[int, ...]]]:
    """Flatten stacked parameters (leading axis: seeds) into ``(seeds, n)`` vectors, with
    each entry's tensor name and each tensor's shape (without the seed axis). Each seed's
    vector is ``jax.flatten_util.ravel_pytree`` of its parameters (the leaves in tree
    order, each flattened row-major), computed in numpy so that float64 parameters stay
    float64 outside ``jax.enable_x64``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from jax.flatten_util import ravel_pytree
    >>> params = {"a": jnp.arange(6.0).reshape(2, 3), "b": jnp.array([7.0, 8.0])}
    >>> vec, tensors, shapes = jax_vectors(params)
    >>> vec.shape, tensors, shapes
    ((2, 4), ['a', 'a', 'a', 'b'], {'a': (3,), 'b': ()})
    >>> bool((vec[1] == ravel_pytree({"a": params["a"][1], "b": params["b"][1]})[0]).all())
    True
    """
    import jax

    leaves = jax.tree_util.tree_flatten_with_path(params)[0]
    tensors: list[str] = []
    shapes: dict[str, tuple[int, ...]] = {}
    columns = []
    for path, leaf in leaves:
        name = jax.tree_util.keystr(path).strip(".[]'\"") or "params"
        leaf = np.asarray(jax.device_get(leaf))
        shapes[name] = tuple(leaf.shape[1:])
        tensors += [name] * int(np.prod(leaf.shape[1:], dtype=np.int64))
        columns.append(leaf.reshape(leaf.shape[0], -1).astype(np.float64))
    return np.concatenate(columns, axis=1), tensors, shapes


def torch_vector(model: Any) -> tuple[np.ndarray, list[str], dict[str, tuple[int, ...]]]:
    """A model's parameters as one vector (``parameters_to_vector``), with each entry's
    tensor name and each tensor's shape.

    Examples
    --------
    >>> import torch
    >>> vec, tensors, shapes = torch_vector(torch.nn.Linear(2, 1))
    >>> vec.shape, tensors, shapes
    ((3,), ['weight', 'weight', 'bias'], {'weight': (1, 2), 'bias': (1,)})
    """
    import torch

    named = list(model.named_parameters())
    vector = torch.nn.utils.parameters_to_vector([p for _, p in named]).detach()
    tensors = [name for name, p in named for _ in range(p.numel())]
    shapes = {name: tuple(p.shape) for name, p in named}
    return vector.to(torch.float64).cpu().numpy(), tensors, shapes
