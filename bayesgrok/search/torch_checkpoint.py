"""The search state of a PyTorch run, saved to and restored from a
:class:`~bayesgrok.search.checkpoint.Checkpoint`.

The state is everything a seed carries from one step to the next: its model's and
optimizer's state dicts, its minibatch stream (generator state and the rest of the current
permutation), its training methods' generator and running values, its status and the
measurements so far; and, when the seeds train together
(:class:`~bayesgrok.search.torch_batched.SeedBatch`), the stacked parameters and the shared
optimizer's state. Restored into freshly started seeds, it continues the run exactly as if
it had never stopped.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from bayesgrok.search.checkpoint import Checkpoint
from bayesgrok.search.torch_batched import SeedBatch
from bayesgrok.search.torch_seed import SeedState


def _seed_state(state: SeedState) -> dict[str, Any]:
    methods = state.methods
    return {
        "seed": state.seed,
        "model": state.model.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "generator": state.stream.generator.get_state(),
        "order": state.stream._order.clone(),
        "alive": state.alive,
        "reason": state.reason,
        "records": _pack_records(state.records),
        "metric_dims": {k: list(d) for k, d in state.metric_dims.items()},
        "methods": None if methods is None else {
            "generator": methods.generator.get_state(), "accuracy": methods.accuracy,
            "level": methods.level},
    }


def _pack_records(records: list[dict[str, np.ndarray] | None]) -> torch.Tensor:
    """A seed's measurements so far as one byte tensor (an ``.npz`` archive), not one
    tensor per value: tens of thousands of small tensors made every save slow and left
    the process's memory high."""
    flat = {f"{k}/{name}": np.asarray(value) for k, record in enumerate(records)
            if record is not None for name, value in record.items()}
    flat["__count__"] = np.asarray(len(records))
    flat["__none__"] = np.asarray([k for k, r in enumerate(records) if r is None], dtype=int)
    buffer = io.BytesIO()
    np.savez(buffer, **flat)
    return torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8)


def _unpack_records(packed: Any) -> list[dict[str, np.ndarray] | None]:
    """The measurements :func:`_pack_records` packed, bit for bit.

    Examples
    --------
    >>> records = [{"error": np.asarray(0.5)}, None, {"rank": np.arange(3.0)}]
    >>> back = _unpack_records(_pack_records(records))
    >>> back[1] is None, float(back[0]["error"]), back[2]["rank"].tolist()
    (True, 0.5, [0.0, 1.0, 2.0])
    """
    if isinstance(packed, list):  # a checkpoint written before records were packed
        return [None if r is None else {k: v.numpy() for k, v in r.items()} for r in packed]
    with np.load(io.BytesIO(packed.numpy().tobytes())) as archive:
        count, none = int(archive["__count__"]), set(archive["__none__"].tolist())
        records: list[dict[str, np.ndarray] | None] = [None if k in none else {}
                                                       for k in range(count)]
        for key in archive.files:
            if key.startswith("__"):
                continue
            k, name = key.split("/", 1)
            records[int(k)][name] = archive[key]
    return records


def save(checkpoint: Checkpoint, states: Sequence[SeedState], batch: SeedBatch | None,
         done: int, snapshots: dict[int, np.ndarray] | None = None) -> None:
    """Save every seed's state (and the batch's, and the parameter snapshots so far) after
    step ``done`` was logged.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.search.config import SearchConfig
    >>> from bayesgrok.search.torch_seed import start_seed
    >>> from bayesgrok.tasks import make_task
    >>> cfg = SearchConfig(optimizer="sgd", optimizer_args={"lr": 0.1}, steps=2)
    >>> state = start_seed(MLP(widths=[4]), make_task("parity", seed=0, n_points=20,
    ...                                             n_train=10), 0, cfg)
    >>> ck = Checkpoint(Path(tempfile.mkdtemp()) / "run.pt", "fp", every_steps=1)
    >>> save(ck, [state], None, done=0)
    >>> restore(ck.load_torch(), [state], None)
    0
    """
    checkpoint.save_torch({
        "done": int(done),
        "snapshots": {int(k): torch.as_tensor(v) for k, v in (snapshots or {}).items()},
        "seeds": [_seed_state(s) for s in states],
        "batch": None if batch is None else {
            "params": {k: v.detach().clone() for k, v in batch.params.items()},
            "buffers": {k: v.detach().clone() for k, v in batch.buffers.items()},
            "optimizer": batch.optimizer.state_dict()},
    })


def restore(saved: dict[str, Any], states: Sequence[SeedState], batch: SeedBatch | None,
            snapshots: dict[int, np.ndarray] | None = None) -> int:
    """Put a saved state into freshly started ``states`` (and ``batch``, and the snapshots
    into ``snapshots``); return the step it was saved at. Raises ``ValueError`` when the
    saved seeds are not these.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.search.config import SearchConfig
    >>> from bayesgrok.search.torch_seed import advance_seed, start_seed
    >>> from bayesgrok.tasks import make_task
    >>> cfg = SearchConfig(optimizer="sgd", optimizer_args={"lr": 0.1}, steps=4)
    >>> split = make_task("parity", seed=0, n_points=20, n_train=10)
    >>> state = start_seed(MLP(widths=[4]), split, 0, cfg)
    >>> advance_seed(MLP(widths=[4]), state, 3, 0)
    >>> ck = Checkpoint(Path(tempfile.mkdtemp()) / "run.pt", "fp", every_steps=1)
    >>> save(ck, [state], None, done=3)
    >>> fresh = start_seed(MLP(widths=[4]), split, 0, cfg)
    >>> restore(ck.load_torch(), [fresh], None)
    3
    >>> all(torch.equal(a, b) for a, b in zip(state.model.parameters(),
    ...                                       fresh.model.parameters()))
    True
    """
    seeds = saved["seeds"]
    if [s["seed"] for s in seeds] != [s.seed for s in states] or (
            (saved["batch"] is None) != (batch is None)):
        raise ValueError("the checkpoint holds other seeds or another way of training them")
    for state, kept in zip(states, seeds, strict=True):
        state.model.load_state_dict(kept["model"])
        state.optimizer.load_state_dict(kept["optimizer"])
        state.stream.generator.set_state(kept["generator"])
        state.stream._order = kept["order"].to(state.stream.device)
        state.alive, state.reason = bool(kept["alive"]), str(kept["reason"])
        state.records = _unpack_records(kept["records"])
        state.metric_dims = {k: tuple(d) for k, d in kept["metric_dims"].items()}
        if kept["methods"] is not None and state.methods is not None:
            state.methods.generator.set_state(kept["methods"]["generator"])
            state.methods.accuracy = float(kept["methods"]["accuracy"])
            state.methods.level = float(kept["methods"]["level"])
    if batch is not None:
        with torch.no_grad():
            for name, value in saved["batch"]["params"].items():
                batch.params[name].copy_(value)
            for name, value in saved["batch"]["buffers"].items():
                batch.buffers[name].copy_(value)
        batch.optimizer.load_state_dict(saved["batch"]["optimizer"])
    if snapshots is not None:
        snapshots.update({int(k): v.numpy() for k, v in saved.get("snapshots", {}).items()})
    return int(saved["done"])
