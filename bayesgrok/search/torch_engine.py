"""The PyTorch engine: runs any torch family through the complexity-plus-error search.

A torch family meets :class:`bayesgrok.search.torch_contract.TorchFamily`. The search
minimises ``objective = error + complexity_weight * complexity``; with AdamW the weight
decay lives in the optimizer instead, the complexity is still recorded, and the
trajectory's attributes say so (``decay_in_optimizer`` 1, ``optimizer_decay`` describing
it).

This module is the loop only. Each seed's state and training steps are
:mod:`~bayesgrok.search.torch_seed` (its minibatch stream
:mod:`~bayesgrok.search.torch_batches`, its training methods
:mod:`~bayesgrok.search.torch_methods`); what is measured at a logged step is
:mod:`~bayesgrok.search.torch_measure`; the trajectory is assembled by
:mod:`~bayesgrok.search.record`.

Seeds run one after another within each logging segment (a Python loop). A family with
``vectorize_seeds = True`` (the MLP) trains the seeds of a run with more than one seed
together instead, with ``torch.func`` (:mod:`bayesgrok.search.torch_batched`): same data
order, same initialisations, the same trajectories up to floating-point rounding. A seed
whose objective becomes non-finite is recorded as ``diverged`` and stopped; the others go
on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from bayesgrok.search import record, torch_batched, torch_checkpoint
from bayesgrok.search.checkpoint import Checkpoint
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.engines import Member
from bayesgrok.search.heap import HeapTrimmer
from bayesgrok.search.optimizer_spec import OptimizerSpec
from bayesgrok.search.parameter_snapshots import snapshot_tree, torch_vector
from bayesgrok.search.torch_contract import TorchFamily
from bayesgrok.search.torch_device import device_name
from bayesgrok.search.torch_measure import log_seed
from bayesgrok.search.torch_methods import methods_note
from bayesgrok.search.torch_seed import SeedState, advance_seed, start_seed
from bayesgrok.tasks.split import Split

Progress = Callable[[int], None]


def run(
    family: TorchFamily,
    splits: Sequence[Split],
    search: SearchConfig,
    *,
    seeds: Sequence[int] | None = None,
    config: dict[str, Any] | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> xr.Dataset:
    """Run ``family`` on one split per seed; return the trajectory.

    The arguments are those of :func:`run_with_artifacts`.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.tasks import make_task
    >>> splits = [make_task("parity", seed=s, n_points=40, n_train=30) for s in (0, 1)]
    >>> cfg = SearchConfig(optimizer="adam", optimizer_args={"learning_rate": 1e-2},
    ...                    steps=10, log={"every": 5})
    >>> dict(run(MLP(widths=[8]), splits, cfg).sizes)
    {'seed': 2, 'step': 3}
    """
    return run_with_artifacts(family, splits, search, seeds=seeds, config=config,
                              progress=progress, checkpoint=checkpoint)[0]


def run_with_artifacts(
    family: TorchFamily,
    splits: Sequence[Split],
    search: SearchConfig,
    *,
    seeds: Sequence[int] | None = None,
    config: dict[str, Any] | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Run ``family`` on one split per seed; return the trajectory and its artifacts: every
    seed's parameter vector at the search's ``snapshots`` steps (``parameters``, see
    :mod:`~bayesgrok.search.parameter_snapshots`), when it has any.

    Parameters
    ----------
    family
        A :class:`TorchFamily`.
    splits
        One split per seed, all with the same shapes.
    search
        The search configuration (any ``torch.optim`` optimizer by name).
    seeds
        The seed of each split (default: each split's own ``seed``); seed ``s`` also
        initialises the model and drives the minibatch order.
    config
        The resolved configuration to record in the trajectory's attributes.
    progress
        Called with the number of steps just completed (by all seeds), for progress bars.
    checkpoint
        Save the search state there now and then (after a logged step; see
        :mod:`~bayesgrok.search.torch_checkpoint`), and resume from it when it holds this
        run's state; the trajectory is the one an uninterrupted run gives, bit for bit.

    Returns
    -------
    (xarray.Dataset, dict)
        The trajectory (see :mod:`bayesgrok.trajectory`) and the artifacts.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.tasks import make_task
    >>> splits = [make_task("parity", seed=0, n_points=40, n_train=30)]
    >>> cfg = SearchConfig(optimizer="sgd", optimizer_args={"lr": 0.1}, epochs=2, batch_size=10)
    >>> ds, artifacts = run_with_artifacts(MLP(widths=[8]), splits, cfg)
    >>> ds.attrs["engine"], int(ds.attrs["total_steps"]), artifacts
    ('torch', 6, {})
    """
    if seeds is not None and len(seeds) != len(splits):
        raise ValueError(f"run: {len(seeds)} seeds for {len(splits)} splits")
    member = Member(family, splits, [s.seed for s in splits] if seeds is None else seeds,
                    config)
    return run_group([member], search, progress=progress, checkpoint=checkpoint)[0]


def run_group(members: Sequence[Member], search: SearchConfig, *,
              progress: Progress | None = None,
              checkpoint: Checkpoint | None = None) -> list[tuple[xr.Dataset, dict[str, Any]]]:
    """Run several runs of one model shape together; return each run's trajectory and
    artifacts, as :func:`run_with_artifacts` would have alone.

    Every seed of every member keeps its own model (initialised by its own family and
    seed), its own data and its own minibatch stream. When the family trains seeds together
    (``vectorize_seeds``), all of them, across members, are one
    :class:`~bayesgrok.search.torch_batched.SeedBatch`: one stacked forward and backward
    pass and one optimizer step per training step for the whole group. Otherwise they run
    one after another, as in a run alone. A seed that diverges is recorded as diverged in
    its own run and the others go on. ``checkpoint`` saves and resumes the whole group.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.tasks import make_task
    >>> cfg = SearchConfig(optimizer="sgd", optimizer_args={"lr": 0.1}, steps=20,
    ...                    log={"every": 10})
    >>> members = [Member(MLP(widths=[8]), [make_task("parity", seed=s, n_points=40,
    ...                                                n_train=30)], [s]) for s in (0, 1)]
    >>> [(ds.attrs["trained_with_runs"], dict(ds.sizes)) for ds, _ in run_group(members, cfg)]
    [(2, {'seed': 1, 'step': 3}), (2, {'seed': 1, 'step': 3})]
    """
    if not members:
        raise ValueError("run_group: no members given")
    splits = [s for m in members for s in m.splits]
    seeds = [int(s) for m in members for s in m.seeds]
    families = [m.family for m in members for _ in m.splits]
    if not splits:
        raise ValueError("run: no splits given")
    if len(seeds) != len(splits):
        raise ValueError(f"run: {len(seeds)} seeds for {len(splits)} splits")
    first, family = splits[0], families[0]
    if any(s.x_train.shape != first.x_train.shape or s.x_val.shape != first.x_val.shape
           for s in splits):
        raise ValueError("all seeds of a run (or a group) need the same data shapes")
    started = time.perf_counter()
    if search.metrics_noise is not None:
        for fam in {id(f): f for f in families}.values():
            fam.metric_noise = float(search.metrics_noise)
    spec = OptimizerSpec.parse("torch", search.optimizer, search.optimizer_args)  # once
    states = [start_seed(fam, s, seed, search, spec)
              for fam, s, seed in zip(families, splits, seeds, strict=True)]
    steps = search.logged_steps(first.n_train)  # log and metrics_log together
    metric_steps = set(search.metrics_steps(first.n_train).tolist())
    logged = set(steps.tolist())
    snapshot_steps = {int(s) for s in search.snapshot_steps(first.n_train)}
    snapshots: dict[int, np.ndarray] = {}  # step -> every seed's parameter vector
    done = 0
    batch = (torch_batched.SeedBatch(family, states, search, spec)
             if torch_batched.applies(family, states) and not search.uses_methods else None)
    resumed_at = None
    if checkpoint is not None and (saved := checkpoint.load_torch()) is not None:
        done = resumed_at = torch_checkpoint.restore(saved, states, batch, snapshots)
        checkpoint.resumed(done)
        if progress is not None:
            progress(done)
    total = search.total_steps(first.n_train)
    trim_heap = HeapTrimmer()
    for target in sorted(logged | snapshot_steps):
        if resumed_at is not None and target <= resumed_at:
            continue  # measured before the checkpoint
        if target > done:
            if batch is not None:
                batch.advance(target - done, done)
            else:
                for fam, state in zip(families, states, strict=True):
                    if state.alive:
                        advance_seed(fam, state, target - done, done)
            if progress is not None:
                progress(target - done)
            done = target
        if done in logged:
            for fam, state in zip(families, states, strict=True):
                log_seed(fam, state, done, done in metric_steps)
            trim_heap()  # the measuring tensors' freed pages (see search.heap)
        if done in snapshot_steps:
            snapshots[done] = np.stack([torch_vector(state.model)[0] for state in states])
        if checkpoint is not None and done < total and checkpoint.due(done):
            torch_checkpoint.save(checkpoint, states, batch, done, snapshots)
    wall = time.perf_counter() - started
    results = []
    start = 0
    for member in members:
        part = slice(start, start + len(member.splits))
        start = part.stop
        own = states[part]
        ds = _dataset(member.family, own, search, steps, member.config, wall, spec.decay)
        ds.attrs["trained_with_runs"] = len(members)
        if resumed_at is not None:
            ds.attrs["resumed_at_step"] = resumed_at
        artifacts = {}
        if snapshots:
            _, tensors, shapes = torch_vector(own[0].model)
            order = sorted(snapshots)
            artifacts["parameters"] = snapshot_tree(
                order, np.stack([snapshots[s][part] for s in order], axis=1),
                [s.seed for s in own], tensors, shapes)
        results.append((ds, artifacts))
    return results


def _stack(states: Sequence[SeedState]) -> dict[str, np.ndarray]:
    # step 0 is measured for every seed; metrics only at some steps, so the shape of each
    # variable comes from the first record that has it; the others hold NaN there
    shapes: dict[str, tuple[int, ...]] = {}
    for s in states:
        for r in s.records:
            for name, value in (r or {}).items():
                shapes.setdefault(name, np.shape(value))
    out = {}
    for name, shape in shapes.items():
        blank = np.full(shape, np.nan)
        out[name] = np.stack([
            np.stack([blank if r is None or name not in r else r[name] for r in s.records])
            for s in states
        ])
    return out


def _dataset(family: TorchFamily, states: Sequence[SeedState], search: SearchConfig,
             steps: np.ndarray, config: dict[str, Any] | None, wall: float,
             decay: str) -> xr.Dataset:
    first = states[0].split
    device = states[0].data["x_train"].device
    seeds = [s.seed for s in states]
    probe_dims = {k: tuple(d) for k, (d, _) in family.probes(states[0].model, first).items()}
    metric_dims = {k: d for s in states for k, d in s.metric_dims.items()}
    probe_dims.update(metric_dims)
    variables = {name: (("seed", "step") + probe_dims.get(name, ()), values)
                 for name, values in _stack(states).items()}
    metric_axes = {d for dims in metric_dims.values() for d in dims}  # layer 0..L-1
    sizes = {dim: np.shape(values)[axis] for dims, values in variables.values()
             for axis, dim in enumerate(dims) if dim in metric_axes}
    attrs = record.attributes(
        family=family, split=first, engine="torch", backend="torch",
        config=config or record.default_config(family, first, search, seeds),
        objective_formula=family.objective_formula,
        objective_note=_objective_note(family, decay), precision=family.precision,
        total_steps=search.total_steps(first.n_train), packages=["torch"],
        wall_time_s=wall, optimizer_decay=decay,
        metrics_steps=json.dumps(search.metrics_steps(first.n_train).tolist()),
        training_methods=methods_note(family, search),
        device=str(device), device_name=device_name(device))
    return record.assemble(
        variables, seeds=seeds, steps=steps, epochs=search.epoch_of(steps, first.n_train),
        status=["ok" if s.alive else "diverged" for s in states],
        reasons={str(s.seed): s.reason for s in states if not s.alive}, attrs=attrs,
        coords={d: np.arange(n, dtype=np.int64) for d, n in sorted(sizes.items())})


def _objective_note(family: TorchFamily, decay: str) -> str:
    if decay == "none":
        return family.objective_note
    extra = ("the optimizer also decays the weights (see optimizer_decay); the complexity "
             "(squared L2 norm of all parameters) is recorded either way")
    return f"{family.objective_note}; {extra}" if family.objective_note else extra
