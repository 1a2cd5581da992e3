"""Seeds of a PyTorch run trained together with ``torch.func``.

The PyTorch engine (:mod:`bayesgrok.search.torch_engine`) trains the seeds of a run one
after another. When the family opts in (``vectorize_seeds = True``, as
:class:`~bayesgrok.families.mlp.MLP` does) and a run has more than one seed, the engine
hands the training steps to a :class:`SeedBatch` instead:

* every seed's parameters (and buffers) are stacked along a new leading dimension
  (:func:`torch.func.stack_module_state`), one leaf tensor per parameter name;
* each step, every seed draws its minibatch indices from *its own*
  :class:`~bayesgrok.search.torch_batches.BatchStream`, so its data order is the one it has
  in the loop; its minibatch is taken from its own training set;
* the per-seed objective ``family.objective(model, x, y)`` runs under
  :func:`torch.func.vmap` over (parameters, buffers, x batch, y batch) through
  :func:`torch.func.functional_call` of a wrapper module whose forward calls the family's
  objective, so ``model(x)`` and ``model.parameters()`` (the complexity) both see the
  seed's slice;
* the gradient of the *sum* over live seeds of their objectives is taken; the seeds share
  no parameter, so each slice of each gradient is that seed's own gradient;
* one ``torch.optim`` optimizer of the run's kind and arguments updates the stacked
  tensors. SGD (momentum, dampening, Nesterov, weight decay), Adam and AdamW are
  elementwise, so each slice gets exactly the update the seed's own optimizer would give;
  Adam's step count is shared, which is right because all live seeds step together.

A seed whose objective becomes non-finite is recorded as ``diverged`` (the reason names the
step, as in the loop) and frozen: its model keeps its parameters from before that step,
it is left out of the summed objective and its gradient slice is zeroed; its slice of the
stack is no longer read. The other seeds go on. At the end of every :meth:`SeedBatch.advance`
(which the engine calls once per logging segment) the live seeds' slices are copied back
into their own models, so :func:`~bayesgrok.search.torch_measure.measure`, probes and
metrics work unchanged. A seed stopped by the engine when *measured* (non-finite objective
at a logged step) is frozen the same way from the next segment on.

Families whose objective uses the model in ways ``functional_call`` cannot follow (in-place
updates of parameters, Python-side state, data-dependent control flow, randomness) keep
``vectorize_seeds = False`` and run in the loop.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch.func import functional_call, stack_module_state, vmap

from bayesgrok.search.config import SearchConfig
from bayesgrok.search.optimizer_spec import OptimizerSpec
from bayesgrok.search.torch_contract import TorchFamily
from bayesgrok.search.torch_seed import SeedState


def applies(family: TorchFamily, states: Sequence[SeedState]) -> bool:
    """Whether the engine trains ``states`` together: the family opts in
    (``vectorize_seeds``), there is more than one seed, and no parameter is frozen (the
    stacked optimizer sees every parameter).

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> applies(MLP(), [None, None]), applies(MLP(), [None])
    (True, False)
    """
    return (family.vectorize_seeds and len(states) > 1
            and not any(family.frozen(s.model) for s in states if s is not None))


class _Objective(torch.nn.Module):
    """``forward(x, y) = family.objective(model, x, y)``: lets ``functional_call`` swap the
    parameters that the family's objective (error and complexity) reads."""

    def __init__(self, family: TorchFamily, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model
        self._family = family

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self._family.objective(self.model, x, y)


class SeedBatch:
    """The live seeds of a run, trained together.

    Parameters
    ----------
    family
        A torch family with ``vectorize_seeds = True``.
    states
        The engine's per-seed states (model, stream and status of each seed); their models
        are the starting points, and receive the trained parameters after each
        :meth:`advance`. Their own optimizers are not used.
    search
        The search configuration (its optimizer and arguments).

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.search.torch_seed import start_seed
    >>> from bayesgrok.tasks import make_task
    >>> fam = MLP(widths=[8])
    >>> cfg = SearchConfig(optimizer="adam", optimizer_args={"lr": 1e-2}, steps=20,
    ...                    batch_size=10)
    >>> states = [start_seed(fam, make_task("parity", seed=s, n_points=50, n_train=40), s, cfg)
    ...           for s in (0, 1, 2)]
    >>> batch = SeedBatch(fam, states, cfg)
    >>> batch.params["model.layers.0.weight"].shape
    torch.Size([3, 8, 3])
    >>> batch.advance(20, done=0)
    >>> [s.alive for s in states]
    [True, True, True]
    """

    def __init__(self, family: TorchFamily, states: Sequence[SeedState],
                 search: SearchConfig, optimizer: OptimizerSpec | None = None) -> None:
        self.family = family
        self.states = list(states)
        models = [s.model for s in self.states]
        params, buffers = stack_module_state(models)
        self.params: dict[str, torch.Tensor] = {f"model.{k}": v for k, v in params.items()}
        self.buffers: dict[str, torch.Tensor] = {f"model.{k}": v for k, v in buffers.items()}
        self.x = torch.stack([s.data["x_train"] for s in self.states])
        self.y = torch.stack([s.data["y_train"] for s in self.states])
        self.device = self.x.device
        self._rows = torch.arange(len(self.states), device=self.device)[:, None]
        wrapper = _Objective(family, copy.deepcopy(models[0]))

        def one(params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor],
                x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return functional_call(wrapper, (params, buffers), (x, y))

        self._objectives = vmap(one)
        self._leaves = list(self.params.values())
        spec = optimizer or OptimizerSpec.parse("torch", search.optimizer,
                                                search.optimizer_args)
        self.optimizer = spec.torch(self._leaves)

    def objectives(self, idx: torch.Tensor) -> torch.Tensor:
        """Every seed's objective on its minibatch ``idx[i]`` (shape ``(seeds, batch)``).

        Examples
        --------
        >>> from bayesgrok.families.mlp import MLP
        >>> from bayesgrok.search.torch_seed import start_seed
        >>> from bayesgrok.tasks import make_task
        >>> fam, cfg = MLP(widths=[4]), SearchConfig(steps=1)
        >>> states = [start_seed(fam, make_task("parity", seed=s, n_points=20, n_train=10), s,
        ...                  cfg) for s in (0, 1)]
        >>> batch = SeedBatch(fam, states, cfg)
        >>> idx = torch.arange(10).repeat(2, 1)
        >>> loop = [fam.objective(s.model, s.data["x_train"], s.data["y_train"]).item()
        ...         for s in states]
        >>> torch.allclose(batch.objectives(idx), torch.tensor(loop))
        True
        """
        return self._objectives(self.params, self.buffers, self.x[self._rows, idx],
                                self.y[self._rows, idx])

    def advance(self, n: int, done: int) -> None:
        """Train every live seed ``n`` steps (steps ``done`` to ``done + n``), stop the seeds
        whose objective becomes non-finite, then copy the live seeds' parameters back into
        their models."""
        alive = torch.tensor([s.alive for s in self.states])
        if not bool(alive.any()):
            return
        if self.device.type != "cpu":
            self._advance_on_device(n, done, alive.to(self.device))
            self.sync()
            return
        for t in range(n):
            idx = torch.stack([s.stream.next() for s in self.states])
            losses = self.objectives(idx)
            bad = alive & ~torch.isfinite(losses.detach())
            if bool(bad.any()):
                for i in torch.nonzero(bad)[:, 0].tolist():
                    self._stop(i, f"non-finite objective at step {done + t}")
                alive = alive & ~bad
                if not bool(alive.any()):
                    return
            if bool(alive.all()):
                total = losses.sum()
            else:
                total = torch.where(alive, losses, torch.zeros_like(losses)).sum()
            # autograd.grad, not backward(): the gradient is handed over in the layout the
            # batched backward gives it (a transpose for F.linear's weight), not copied
            grads = torch.autograd.grad(total, self._leaves, allow_unused=True)
            with torch.no_grad():
                for p, g in zip(self._leaves, grads, strict=True):
                    if g is not None and not bool(alive.all()):
                        g[~alive] = 0.0
                    p.grad = g
            self.optimizer.step()
        self.sync()

    def _advance_on_device(self, n: int, done: int, alive: torch.Tensor) -> None:
        """:meth:`advance` on an accelerator, without waiting for the device inside the
        loop: each seed's first non-finite step is kept on the device and read once, after
        the ``n`` steps; from that step on the seed's objective and gradient are masked out
        (its slice still takes the optimizer's weight decay, but is not read again)."""
        first_bad = torch.full(alive.shape, -1, dtype=torch.long, device=self.device)
        shapes = {id(p): (-1,) + (1,) * (p.dim() - 1) for p in self._leaves}
        for t in range(n):
            idx = torch.stack([s.stream.next() for s in self.states])
            losses = self.objectives(idx)
            live = alive & (first_bad < 0)
            bad = live & ~torch.isfinite(losses.detach())
            first_bad = torch.where(bad, torch.full_like(first_bad, t), first_bad)
            live = live & ~bad
            total = torch.where(live, losses, torch.zeros_like(losses)).sum()
            grads = torch.autograd.grad(total, self._leaves, allow_unused=True)
            with torch.no_grad():
                keep = live.to(self._leaves[0].dtype)
                for p, g in zip(self._leaves, grads, strict=True):
                    p.grad = None if g is None else g * keep.view(shapes[id(p)])
            self.optimizer.step()
        for i, at in enumerate(first_bad.tolist()):  # the one read of the segment
            if at >= 0 and self.states[i].alive:
                self._stop(i, f"non-finite objective at step {done + at}")

    def _stop(self, i: int, reason: str) -> None:
        """Mark seed ``i`` diverged; its model keeps the parameters it has now."""
        self._copy_back(i)
        self.states[i].alive = False
        self.states[i].reason = reason

    def _copy_back(self, i: int) -> None:
        model = self.states[i].model
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(self.params[f"model.{name}"][i])
            for name, b in model.named_buffers():
                b.copy_(self.buffers[f"model.{name}"][i])

    def sync(self) -> None:
        """Copy every live seed's slice back into its own model."""
        for i, state in enumerate(self.states):
            if state.alive:
                self._copy_back(i)
