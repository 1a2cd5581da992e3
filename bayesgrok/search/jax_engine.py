"""The JAX engine: runs any JAX family through the complexity-plus-error search.

All seeds of a run train at once (``vmap`` over stacked parameters and data). The search
runs as segments of one length, each one compiled ``lax.scan`` with the logging schedule
as data (:func:`segments`), so a run compiles one program whatever its schedule and a
logged step costs no host round trip. At every logged step the engine measures error,
complexity, objective, validation error and accuracy or MSE (plus the family's probes) for
every seed. A seed whose objective or
parameters become non-finite is frozen and recorded as ``diverged``; the others go on.

This module is the loop; the compiled step, segment and measurement are
:mod:`~bayesgrok.search.jax_program`, the ArviZ posteriors at snapshot steps
:mod:`~bayesgrok.search.posterior`, and the trajectory is assembled by
:mod:`~bayesgrok.search.record`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from bayesgrok.search import jax_checkpoint, record
from bayesgrok.search.checkpoint import Checkpoint
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.contract import Batch, Family
from bayesgrok.search.engines import Member
from bayesgrok.search.jax_cache import enable_compilation_cache
from bayesgrok.search.jax_program import shared_program
from bayesgrok.search.optimizer_spec import OptimizerSpec
from bayesgrok.search.parameter_snapshots import jax_vectors, snapshot_tree
from bayesgrok.search.posterior import posterior_snapshots
from bayesgrok.tasks.split import Split

Progress = Callable[[int], None]

SEGMENT = 512
"""Iterations per compiled segment: each is one dispatch and one transfer of measurements."""


def _stack(trees: Sequence[Any]) -> Any:
    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *trees)


def _check_splits(splits: Sequence[Split]) -> None:
    first = splits[0]
    for s in splits[1:]:
        if s.x_train.shape != first.x_train.shape or s.x_val.shape != first.x_val.shape:
            raise ValueError(
                "all seeds of a run need the same data shapes to train together; got "
                f"{first.x_train.shape} and {s.x_train.shape}"
            )


def _batches(splits: Sequence[Split], dtype: Any) -> tuple[Batch, Batch]:
    def arr(name: str, integer: bool) -> jnp.ndarray:
        values = np.stack([getattr(s, name) for s in splits])
        return jnp.asarray(values, dtype=jnp.int32 if integer else dtype)

    integer = splits[0].kind == "classification"
    train = Batch(arr("x_train", False), arr("y_train", integer))
    val = Batch(arr("x_val", False), arr("y_val", integer))
    return train, val


def run(
    family: Family,
    splits: Sequence[Split],
    search: SearchConfig,
    *,
    seeds: Sequence[int] | None = None,
    config: dict[str, Any] | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> xr.Dataset:
    """Run ``family`` on one split per seed, all seeds at once; return the trajectory.

    The arguments are those of :func:`run_with_artifacts`, which also returns the
    snapshots' InferenceData.

    Examples
    --------
    >>> from bayesgrok.families.linear import LinearRegression
    >>> from bayesgrok.tasks import make_task
    >>> from bayesgrok.search.config import SearchConfig
    >>> splits = [make_task("linear_sign", seed=s) for s in (0, 1)]
    >>> cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 1e-3}, epochs=100,
    ...                    log={"every": 50})
    >>> dict(run(LinearRegression(), splits, cfg).sizes)
    {'seed': 2, 'step': 3, 'feature': 4}
    """
    return run_with_artifacts(family, splits, search, seeds=seeds, config=config,
                              progress=progress, checkpoint=checkpoint)[0]


def run_with_artifacts(
    family: Family,
    splits: Sequence[Split],
    search: SearchConfig,
    *,
    seeds: Sequence[int] | None = None,
    config: dict[str, Any] | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> tuple[xr.Dataset, dict[str, xr.DataTree]]:
    """Run ``family`` on one split per seed, all seeds at once; return the trajectory
    and its artifacts: every seed's parameter vector at the snapshot steps
    (``parameters``, :mod:`~bayesgrok.search.parameter_snapshots`), and one ArviZ
    InferenceData ``posterior_step<k>`` per snapshot step when the family can draw from its
    parameters (``posterior_draws``).

    Parameters
    ----------
    family
        A family meeting the contract of :mod:`bayesgrok.search.contract`.
    splits
        One split per seed, all with the same shapes (a task drawn with each seed).
    search
        The search configuration.
    seeds
        The seed of each split (default: each split's own ``seed``); seed ``s`` also
        initialises the parameters and drives the minibatch order.
    config
        The resolved configuration to record in the trajectory's attributes.
    progress
        Called with the number of steps just completed, for progress bars.
    checkpoint
        Save the search state there now and then (:class:`~bayesgrok.search.checkpoint.
        Checkpoint`), and resume from it when it holds this run's state; the trajectory is
        the one an uninterrupted run gives, bit for bit.

    Returns
    -------
    (xarray.Dataset, dict)
        The trajectory (see :mod:`bayesgrok.trajectory`) and the artifacts.

    Examples
    --------
    >>> from bayesgrok.families.linear import LinearRegression
    >>> from bayesgrok.tasks import make_task
    >>> from bayesgrok.search.config import SearchConfig
    >>> splits = [make_task("linear_sign", seed=s) for s in (0, 1)]
    >>> cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 1e-3}, epochs=100,
    ...                    log={"every": 50})
    >>> ds, artifacts = run_with_artifacts(LinearRegression(), splits, cfg)
    >>> dict(ds.sizes), artifacts
    ({'seed': 2, 'step': 3, 'feature': 4}, {})
    """
    if not splits:
        raise ValueError("run: no splits given")
    seeds = [s.seed for s in splits] if seeds is None else list(seeds)
    if len(seeds) != len(splits):
        raise ValueError(f"run: {len(seeds)} seeds for {len(splits)} splits")
    return run_group([Member(family, list(splits), seeds, config)], search,
                     progress=progress, checkpoint=checkpoint)[0]


def run_group(members: Sequence[Member], search: SearchConfig, *,
              progress: Progress | None = None,
              checkpoint: Checkpoint | None = None) -> list[tuple[xr.Dataset, dict[str, Any]]]:
    """Run several runs of one compiled program together, as one vmapped search over all
    their seeds; return each run's trajectory and artifacts, as :func:`run_with_artifacts`
    would have alone.

    The members' families must share one
    :meth:`~bayesgrok.search.contract.JaxFamily.program_key` (they may differ in their
    ``initial_values``: starting points, initial scales) and their splits one shape. Each
    member's parameters are initialised by its own family; a seed that diverges is frozen
    and recorded as diverged in its own run, and the others go on. ``checkpoint`` saves
    and resumes the group's search state as in :func:`run_with_artifacts`.

    Examples
    --------
    >>> from bayesgrok.families.linear import LinearRegression
    >>> from bayesgrok.tasks import make_task
    >>> from bayesgrok.search.config import SearchConfig
    >>> splits = [make_task("linear_sign", seed=0)]
    >>> cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 1e-3}, steps=20)
    >>> members = [Member(LinearRegression(initial_weights=w), splits, [0])
    ...            for w in ([1.0, 0, 0, 0], [0.0, 1, 1, 1])]
    >>> [float(ds["weights"].isel(seed=0, step=0, feature=0))
    ...  for ds, _ in run_group(members, cfg)]
    [1.0, 0.0]
    """
    if not members:
        raise ValueError("run_group: no members given")
    family = members[0].family
    keys = {m.family.program_key() for m in members}
    if len(keys) > 1:
        raise ValueError("run_group: the members' families differ in more than their "
                         f"starting values: {sorted(keys)}")
    splits = [s for m in members for s in m.splits]
    seeds = [int(s) for m in members for s in m.seeds]
    families = [m.family for m in members for _ in m.splits]
    _check_splits(splits)
    first = splits[0]
    spec = OptimizerSpec.parse("jax", search.optimizer, search.optimizer_args)  # once
    enable_compilation_cache()
    x64 = family.precision == "float64"
    scope = jax.enable_x64(True) if x64 else contextlib.nullcontext()
    started = time.perf_counter()
    with scope:
        data = _run(families, splits, search, seeds, progress, spec, checkpoint)
    wall = time.perf_counter() - started

    n_train = first.n_train
    total = search.total_steps(n_train)
    steps = search.log.steps(total)
    probe_dims = data.pop("__probe_dims__")
    snapshots = data.pop("__snapshots__")
    alive = data.pop("__alive__")
    diverged_at = data.pop("__diverged_at__")
    resumed_at = data.pop("__resumed_at__")
    results = []
    start = 0
    for member in members:
        part = slice(start, start + len(member.splits))
        start = part.stop
        member_seeds = list(member.seeds)
        variables = {name: (("seed", "step") + tuple(probe_dims.get(name, ())), values[part])
                     for name, values in data.items()}
        status = ["ok" if a else "diverged" for a in alive[part]]
        reasons = {str(seed): f"non-finite objective or parameters at step {int(at)}"
                   for seed, a, at in zip(member_seeds, alive[part], diverged_at[part],
                                          strict=True) if not a}
        attrs = record.attributes(
            family=member.family, split=member.splits[0], engine="jax",
            backend=member.family.backend,
            config=member.config or record.default_config(member.family, member.splits[0],
                                                          search, member_seeds),
            objective_formula=member.family.objective_formula,
            objective_note=member.family.objective_note,
            precision="float64" if x64 else "float32", total_steps=total,
            packages=["jax", "optax"], wall_time_s=wall, optimizer_decay=spec.decay,
            trained_with_runs=len(members), device=jax.devices()[0].platform,
            device_name=jax.devices()[0].device_kind)
        if resumed_at is not None:
            attrs["resumed_at_step"] = resumed_at
        ds = record.assemble(variables, seeds=member_seeds, steps=steps,
                             epochs=search.epoch_of(steps, n_train), status=status,
                             reasons=reasons, attrs=attrs)
        own = {step: jax.tree_util.tree_map(lambda leaf, p=part: leaf[p], params)
               for step, params in snapshots.items()}
        artifacts = posterior_snapshots(member.family, own, member_seeds,
                                        search.snapshot_draws)
        if own:
            artifacts["parameters"] = _parameter_artifact(own, member_seeds)
        results.append((ds, artifacts))
    return results


def _run(
    families: Sequence[Family],
    splits: Sequence[Split],
    search: SearchConfig,
    seeds: Sequence[int],
    progress: Progress | None,
    spec: OptimizerSpec,
    checkpoint: Checkpoint | None = None,
) -> dict[str, Any]:
    first = splits[0]
    dtype = jnp.float64 if jax.config.read("jax_enable_x64") else jnp.float32
    train, val = _batches(splits, dtype)
    keys = jnp.stack([jax.random.PRNGKey(int(s)) for s in seeds])
    init_keys, batch_keys = jax.vmap(lambda k: jax.random.split(k))(keys).transpose(1, 0, 2)
    family = families[0]  # all share one program; each initialises its own parameters
    params = _stack([f.init(k, s) for f, k, s in zip(families, init_keys, splits,
                                                      strict=True)])
    params = jax.tree_util.tree_map(
        lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, params
    )
    one_seed = jax.tree_util.tree_map(lambda leaf: leaf[0], params)
    compiled = shared_program(family, spec, family.frozen(one_seed),
                              search.batch(first.n_train), first.kind, first.accuracy)
    opt_state = jax.vmap(compiled.optimizer.init)(params)
    n_seeds = len(seeds)
    state = (
        params,
        opt_state,
        jnp.ones(n_seeds, dtype=bool),
        jnp.full(n_seeds, -1, dtype=jnp.int32),
        jnp.zeros(n_seeds, dtype=jnp.int32),
        jnp.zeros((n_seeds, 2), dtype=jnp.float32),  # minibatch accuracies since the last log
    )
    total = search.total_steps(first.n_train)
    steps = search.log.steps(total)
    logged = np.zeros(total + 1, dtype=bool)
    logged[steps] = True
    snapshot_steps = search.snapshot_steps(first.n_train)
    snapshots: dict[int, Any] = {}
    if 0 in snapshot_steps:
        snapshots[0] = jax.device_get(state[0])
    records: list[dict[str, np.ndarray]] = []
    length = min(total + 1, SEGMENT)
    if checkpoint is not None and checkpoint.every_steps:  # checkpoints fall on segment ends
        length = min(length, max(1, checkpoint.every_steps))
    resumed_at = None
    if checkpoint is not None and (saved := checkpoint.load_arrays()) is not None:
        state, records, snapshots, resumed_at = jax_checkpoint.restore(saved, state, params)
        checkpoint.resumed(resumed_at)
        if progress is not None:
            progress(min(resumed_at, total))
    draws = compiled.fixed_draws(first.x_train.shape[0], first.x_val.shape[0], dtype)
    for start, stop in segments(total, snapshot_steps, length):
        if resumed_at is not None and start < resumed_at:
            continue  # done before the checkpoint
        active = np.zeros(length, dtype=bool)
        log = np.zeros(length, dtype=bool)
        active[:stop - start] = np.arange(start, stop) < total
        log[:stop - start] = logged[start:stop]
        state, measured = compiled.segment(state, train, val, batch_keys,
                                           jnp.asarray(active), jnp.asarray(log), draws)
        rows = np.flatnonzero(log)
        if rows.size:
            records.append(_records(jax.device_get(measured), rows,
                                    compiled.counts_batch_accuracy
                                    and first.kind == "classification"))
        if progress is not None and active.any():
            progress(int(active.sum()))
        if stop in snapshot_steps:
            snapshots[int(stop)] = jax.device_get(state[0])
        if checkpoint is not None and stop <= total and checkpoint.due(stop):
            jax_checkpoint.save(checkpoint, state, records, snapshots, stop)
    out: dict[str, Any] = {
        name: np.concatenate([r[name] for r in records], axis=1) for name in records[0]
    }
    out["__alive__"] = np.asarray(jax.device_get(state[2]))
    out["__diverged_at__"] = np.asarray(jax.device_get(state[3]))
    out["__probe_dims__"] = dict(compiled.probe_dims)
    out["__snapshots__"] = snapshots
    out["__resumed_at__"] = resumed_at
    return out


def _parameter_artifact(own: dict[int, Any], seeds: Sequence[int]) -> xr.DataTree:
    """The ``parameters`` artifact (:mod:`~bayesgrok.search.parameter_snapshots`) of one
    run's snapshots, ``{step: stacked parameters}``."""
    steps = sorted(own)
    flat = [jax_vectors(own[step]) for step in steps]
    vectors = np.stack([vector for vector, _, _ in flat], axis=1)
    return snapshot_tree(steps, vectors, seeds, flat[0][1], flat[0][2])


def segments(total: int, snapshot_steps: Sequence[int] | np.ndarray,
             length: int) -> list[tuple[int, int]]:
    """The iterations ``[start, stop)`` of each segment of a search of ``total`` steps.

    Iteration ``i`` measures at step ``i`` (when logged) and then takes step ``i + 1``;
    the last iteration, ``total``, only measures. A segment holds at most ``length``
    iterations and ends at every snapshot step, so that the parameters after it are
    those of the snapshot.

    Examples
    --------
    >>> segments(10, [], 4)
    [(0, 4), (4, 8), (8, 11)]
    >>> segments(10, [0, 5, 10], 8)
    [(0, 5), (5, 8), (8, 10), (10, 11)]
    """
    cuts = set(range(0, total + 1, length)) | {total + 1}
    cuts |= {int(s) for s in snapshot_steps if 0 < s <= total}
    edges = sorted(cuts)
    return list(zip(edges[:-1], edges[1:], strict=True))


def _records(measured: dict[str, Any], rows: np.ndarray,
             batch_accuracy: bool) -> dict[str, np.ndarray]:
    """The logged rows of one segment's measurements, masked where a seed had stopped."""
    alive = np.asarray(measured.pop("__alive__"))[:, rows]
    counted = np.asarray(measured.pop("__counted__"), dtype=np.float64)[:, rows]
    if batch_accuracy:
        with np.errstate(invalid="ignore", divide="ignore"):
            measured["train_batch_accuracy"] = counted[..., 0] / counted[..., 1]
    ok = alive & np.isfinite(np.asarray(measured["objective"])[:, rows])
    out = {}
    for name, value in measured.items():
        value = np.asarray(value, dtype=np.float64)
        if name != "train_batch_accuracy":
            value = value[:, rows]
        mask = ok.reshape(ok.shape + (1,) * (value.ndim - 2))
        out[name] = np.where(mask, value, np.nan)
    return out
