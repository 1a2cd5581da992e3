"""One seed of a PyTorch run: its data, model, optimizer, minibatch stream and status,
and the training loop that advances it.

Every seed has its own model (initialised under a private RNG seeded by the seed), its
own optimizer and its own minibatch stream, so a seed's trajectory does not depend on
which other seeds share its run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from bayesgrok.search.config import SearchConfig
from bayesgrok.search.optimizer_spec import OptimizerSpec
from bayesgrok.search.torch_batches import BatchStream
from bayesgrok.search.torch_contract import TorchFamily
from bayesgrok.search.torch_device import resolve_device
from bayesgrok.search.torch_methods import Methods, method_objective, methods_for
from bayesgrok.tasks.split import Split


@dataclass
class SeedState:
    """The state of one seed: its data, model, optimizer, stream, status and records."""

    seed: int
    split: Split
    data: dict[str, torch.Tensor]
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    stream: BatchStream
    alive: bool = True
    reason: str = ""
    records: list[dict[str, np.ndarray] | None] = field(default_factory=list)
    metric_dims: dict[str, tuple[str, ...]] = field(default_factory=dict)
    methods: Methods | None = None


def tensors_of(split: Split, dtype: torch.dtype,
               device: torch.device | None = None) -> dict[str, torch.Tensor]:
    """The split's ``x_train``, ``y_train``, ``x_val`` and ``y_val`` as tensors: inputs
    (and regression targets) in ``dtype``, class labels as ``long``, on ``device`` (default
    the CPU), moved there once per run.

    Examples
    --------
    >>> from bayesgrok.tasks import make_task
    >>> data = tensors_of(make_task("parity", seed=0, n_points=20, n_train=10), torch.float64)
    >>> data["x_train"].dtype, data["y_train"].dtype
    (torch.float64, torch.int64)
    """
    ydtype = torch.long if split.kind == "classification" else dtype
    return {
        "x_train": torch.as_tensor(split.x_train, dtype=dtype, device=device),
        "y_train": torch.as_tensor(split.y_train, dtype=ydtype, device=device),
        "x_val": torch.as_tensor(split.x_val, dtype=dtype, device=device),
        "y_val": torch.as_tensor(split.y_val, dtype=ydtype, device=device),
    }


def build_model(family: TorchFamily, split: Split, seed: int) -> torch.nn.Module:
    """``family.build(split, seed)`` under a private RNG seeded by ``seed``, in the
    family's precision; torch's global RNG and default dtype are left as they were.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("parity", seed=0, n_points=20, n_train=10)
    >>> build_model(MLP(widths=[4], precision="float64"), split, 0).layers[0].weight.dtype
    torch.float64
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        model = family.build(split, int(seed))
    return model.to(family.dtype)


def start_seed(family: TorchFamily, split: Split, seed: int, search: SearchConfig,
               optimizer: OptimizerSpec | None = None) -> SeedState:
    """A fresh seed: model, optimizer, minibatch stream and methods, all from ``seed``.
    ``optimizer`` is the search's, checked once per run (default: checked here).

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("parity", seed=0, n_points=20, n_train=10)
    >>> cfg = SearchConfig(optimizer="sgd", optimizer_args={"lr": 0.1}, steps=2)
    >>> state = start_seed(MLP(widths=[4]), split, 0, cfg)
    >>> state.alive, type(state.optimizer).__name__
    (True, 'SGD')
    """
    device = resolve_device(search.device)
    model = build_model(family, split, seed)
    if device.type != "cpu":
        model = model.to(device)  # drawn on the CPU from the seed: the same on every device
    spec = optimizer or OptimizerSpec.parse("torch", search.optimizer, search.optimizer_args)
    frozen = family.frozen(model)
    trained = [p for name, p in model.named_parameters() if name not in frozen]
    stream = BatchStream(split.n_train, search.batch(split.n_train), seed, device)
    return SeedState(seed, split, tensors_of(split, family.dtype, device), model,
                     spec.torch(trained), stream, methods=methods_for(search, seed))


def advance_seed(family: TorchFamily, state: SeedState, n: int, done: int) -> None:
    """Train one seed ``n`` steps from step ``done``; stop it at a non-finite objective.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("parity", seed=0, n_points=20, n_train=10)
    >>> cfg = SearchConfig(optimizer="sgd", optimizer_args={"lr": 0.1}, steps=2)
    >>> state = start_seed(MLP(widths=[4]), split, 0, cfg)
    >>> advance_seed(MLP(widths=[4]), state, 2, 0); state.alive
    True
    """
    x, y = state.data["x_train"], state.data["y_train"]
    full = state.stream.batch >= state.stream.n  # full batch: no copy of the set per step
    state.model.train()
    if x.device.type != "cpu":
        _advance_on_device(family, state, n, done, x, y, full)
        return
    for t in range(n):
        idx = state.stream.next()
        xb, yb = (x, y) if full else (x[idx], y[idx])
        state.optimizer.zero_grad(set_to_none=True)
        if state.methods is None:
            loss = family.objective(state.model, xb, yb)
        else:
            loss = method_objective(family, state.model, state.split, state.methods, xb, yb)
        if not math.isfinite(loss.item()):  # 20x cheaper than torch.isfinite on CPU
            state.alive = False
            state.reason = f"non-finite objective at step {done + t}"
            return
        loss.backward()
        state.optimizer.step()


def _advance_on_device(family: TorchFamily, state: SeedState, n: int, done: int,
                       x: torch.Tensor, y: torch.Tensor, full: bool) -> None:
    """:func:`advance_seed` on an accelerator: the objective's finiteness is kept on the
    device and read once, after the ``n`` steps, so the loop never waits for the device.
    A seed that diverged is stopped then, with the first non-finite step as its reason;
    its parameters are those after the ``n`` steps (it is not measured again)."""
    first_bad = torch.full((), -1, dtype=torch.long, device=x.device)
    for t in range(n):
        idx = state.stream.next()
        xb, yb = (x, y) if full else (x[idx], y[idx])
        state.optimizer.zero_grad(set_to_none=True)
        if state.methods is None:
            loss = family.objective(state.model, xb, yb)
        else:
            loss = method_objective(family, state.model, state.split, state.methods, xb, yb)
        bad = ~torch.isfinite(loss.detach()) & (first_bad < 0)
        first_bad = torch.where(bad, torch.full_like(first_bad, t), first_bad)
        loss.backward()
        state.optimizer.step()
    at = int(first_bad)  # the one read of the segment
    if at >= 0:
        state.alive = False
        state.reason = f"non-finite objective at step {done + at}"
