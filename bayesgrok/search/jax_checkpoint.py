"""The search state of a JAX run, saved to and restored from a
:class:`~bayesgrok.search.checkpoint.Checkpoint`.

The state is the scan carry of :mod:`~bayesgrok.search.jax_program` (every seed's
parameters, optimizer state, status, step counter and minibatch accuracies: minibatch keys
derive from the seed's key and the step, so nothing else is random), the measurements
taken so far and the parameter snapshots, all as numpy arrays in one ``.npz`` file.
Restored into a freshly initialised carry (which gives the tree structure and dtypes),
it continues the run exactly as if it had never stopped.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from bayesgrok.search.checkpoint import Checkpoint


def save(checkpoint: Checkpoint, state: tuple, records: list[dict[str, np.ndarray]],
          snapshots: dict[int, Any], done: int) -> None:
    """Save the scan carry, the measurements so far and the snapshots; ``done`` is the
    first iteration still to run.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> ck = Checkpoint(Path(tempfile.mkdtemp()) / "run.ckpt", "fp", every_steps=1)
    >>> state = ({"w": jnp.zeros((2, 3))}, jnp.ones(2, dtype=bool))
    >>> save(ck, state, [{"error": np.ones((2, 4))}], {}, done=512)
    >>> restored, records, snapshots, done = restore(ck.load_arrays(), state, state[0])
    >>> restored[0]["w"].shape, records[0]["error"].shape, done
    ((2, 3), (2, 4), 512)
    """
    arrays = {f"state.{i}": np.asarray(leaf)
              for i, leaf in enumerate(jax.tree_util.tree_leaves(jax.device_get(state)))}
    for k, measured in enumerate(records):
        arrays |= {f"record.{k}.{name}": value for name, value in measured.items()}
    for step, params in snapshots.items():
        arrays |= {f"snapshot.{step}.{i}": np.asarray(leaf)
                   for i, leaf in enumerate(jax.tree_util.tree_leaves(params))}
    checkpoint.save_arrays(arrays, {"done": int(done), "records": len(records),
                                    "snapshots": sorted(int(s) for s in snapshots)})


def restore(saved: tuple[dict[str, np.ndarray], dict[str, Any]], state: tuple,
             params: Any) -> tuple[tuple, list[dict[str, np.ndarray]], dict[int, Any], int]:
    """The carry, measurements and snapshots of a checkpoint, in the shapes of a fresh
    ``state`` (its structure and dtypes); and the iteration to resume at.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> ck = Checkpoint(Path(tempfile.mkdtemp()) / "run.ckpt", "fp", every_steps=1)
    >>> state = ({"w": jnp.ones((2, 3))}, jnp.ones(2, dtype=bool))
    >>> save(ck, state, [], {}, done=7)
    >>> fresh = ({"w": jnp.zeros((2, 3))}, jnp.zeros(2, dtype=bool))
    >>> restored, _, _, done = restore(ck.load_arrays(), fresh, fresh[0])
    >>> float(restored[0]["w"].sum()), bool(restored[1].all()), done
    (6.0, True, 7)
    """
    arrays, meta = saved
    leaves, treedef = jax.tree_util.tree_flatten(state)
    restored = [jnp.asarray(arrays[f"state.{i}"], dtype=leaf.dtype)
                for i, leaf in enumerate(leaves)]
    records = []
    for k in range(int(meta["records"])):
        prefix = f"record.{k}."
        records.append({name[len(prefix):]: value for name, value in arrays.items()
                        if name.startswith(prefix)})
    param_def = jax.tree_util.tree_structure(params)
    n_leaves = param_def.num_leaves
    snapshots = {int(step): jax.tree_util.tree_unflatten(
        param_def, [arrays[f"snapshot.{step}.{i}"] for i in range(n_leaves)])
        for step in meta["snapshots"]}
    return (jax.tree_util.tree_unflatten(treedef, restored), records, snapshots,
            int(meta["done"]))

