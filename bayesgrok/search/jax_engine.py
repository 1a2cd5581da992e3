"""The JAX engine: runs any JAX family through the complexity-plus-error search.

All seeds of a run train at once (``vmap`` over stacked parameters and data). Between two
logging points the training is one compiled ``lax.scan``; segment lengths are split into
powers of two so that any logging schedule compiles at most ``log2(steps)`` scans. At
every logged step the engine measures error, complexity, objective, validation error and
accuracy or MSE (plus the family's probes) for every seed. A seed whose objective or
parameters become non-finite is frozen and recorded as ``diverged``; the others go on.

This module is the loop; the compiled step, scans and measurement are
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

from bayesgrok.search import record
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.contract import Batch, Family
from bayesgrok.search.jax_cache import enable_compilation_cache
from bayesgrok.search.jax_program import Compiled
from bayesgrok.search.optimizer_spec import OptimizerSpec
from bayesgrok.search.posterior import posterior_snapshots
from bayesgrok.tasks.split import Split

Progress = Callable[[int], None]


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
                              progress=progress)[0]


def run_with_artifacts(
    family: Family,
    splits: Sequence[Split],
    search: SearchConfig,
    *,
    seeds: Sequence[int] | None = None,
    config: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> tuple[xr.Dataset, dict[str, xr.DataTree]]:
    """Run ``family`` on one split per seed, all seeds at once; return the trajectory
    and its artifacts: one ArviZ InferenceData ``posterior_step<k>`` per snapshot step when
    the family can draw from its parameters (``posterior_draws``).

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
    _check_splits(splits)
    seeds = [s.seed for s in splits] if seeds is None else list(seeds)
    if len(seeds) != len(splits):
        raise ValueError(f"run: {len(seeds)} seeds for {len(splits)} splits")
    first = splits[0]
    spec = OptimizerSpec.parse("jax", search.optimizer, search.optimizer_args)  # once
    enable_compilation_cache()
    x64 = family.precision == "float64"
    scope = jax.enable_x64(True) if x64 else contextlib.nullcontext()
    started = time.perf_counter()
    with scope:
        data = _run(family, splits, search, seeds, progress, spec)
    wall = time.perf_counter() - started

    n_train = first.n_train
    total = search.total_steps(n_train)
    steps = search.log.steps(total)
    probe_dims = data.pop("__probe_dims__")
    snapshots = data.pop("__snapshots__")
    status = data.pop("__status__")
    reasons = data.pop("__reasons__")
    variables = {name: (("seed", "step") + tuple(probe_dims.get(name, ())), values)
                 for name, values in data.items()}
    decay = spec.decay
    attrs = record.attributes(
        family=family, split=first, engine="jax", backend=family.backend,
        config=config or record.default_config(family, first, search, seeds),
        objective_formula=family.objective_formula, objective_note=family.objective_note,
        precision="float64" if x64 else "float32", total_steps=total,
        packages=["jax", "optax"], wall_time_s=wall, optimizer_decay=decay)
    ds = record.assemble(variables, seeds=seeds, steps=steps,
                         epochs=search.epoch_of(steps, n_train), status=status,
                         reasons=reasons, attrs=attrs)
    artifacts = posterior_snapshots(family, snapshots, seeds, search.snapshot_draws)
    return ds, artifacts


def _run(
    family: Family,
    splits: Sequence[Split],
    search: SearchConfig,
    seeds: Sequence[int],
    progress: Progress | None,
    spec: OptimizerSpec,
) -> dict[str, Any]:
    first = splits[0]
    dtype = jnp.float64 if jax.config.read("jax_enable_x64") else jnp.float32
    train, val = _batches(splits, dtype)
    keys = jnp.stack([jax.random.PRNGKey(int(s)) for s in seeds])
    init_keys, batch_keys = jax.vmap(lambda k: jax.random.split(k))(keys).transpose(1, 0, 2)
    params = _stack([family.init(k, s) for k, s in zip(init_keys, splits, strict=True)])
    params = jax.tree_util.tree_map(
        lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, params
    )
    one_seed = jax.tree_util.tree_map(lambda leaf: leaf[0], params)
    optimizer = spec.optax(family.frozen(one_seed))
    opt_state = jax.vmap(optimizer.init)(params)
    n_seeds = len(seeds)
    state = (
        params,
        opt_state,
        jnp.ones(n_seeds, dtype=bool),
        jnp.full(n_seeds, -1, dtype=jnp.int32),
        jnp.zeros(n_seeds, dtype=jnp.int32),
        jnp.zeros((n_seeds, 2), dtype=jnp.float32),  # minibatch accuracies since the last log
    )
    compiled = Compiled(family, optimizer, search.batch(first.n_train), first.kind,
                         first.accuracy)
    total = search.total_steps(first.n_train)
    steps = search.log.steps(total)
    logged = set(steps.tolist())
    snapshot_steps = set(search.snapshot_steps(first.n_train).tolist())
    snapshots: dict[int, Any] = {}
    records: list[dict[str, np.ndarray]] = []
    done = 0
    for target in np.union1d(steps, sorted(snapshot_steps)).astype(np.int64):
        if target > done:
            state = compiled.advance(state, train, batch_keys, int(target - done))
            if progress is not None:
                progress(int(target - done))
            done = int(target)
        if done in snapshot_steps:
            snapshots[done] = jax.device_get(state[0])
        if done not in logged:
            continue
        log_keys = jax.vmap(lambda k, d=done: jax.random.fold_in(jax.random.fold_in(k, 0xACC), d))(
            batch_keys)
        measured = dict(jax.device_get(compiled.measure(state[0], train, val, log_keys)))
        if compiled.counts_batch_accuracy and first.kind == "classification":
            counted = np.asarray(jax.device_get(state[5]), dtype=np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                measured["train_batch_accuracy"] = counted[:, 0] / counted[:, 1]
            state = (*state[:5], jnp.zeros_like(state[5]))
        alive = np.asarray(jax.device_get(state[2]))
        measured_ok = np.isfinite(np.asarray(measured["objective"]))
        record = {}
        for name, value in measured.items():
            value = np.asarray(value, dtype=np.float64)
            mask = (alive & measured_ok).reshape((-1,) + (1,) * (value.ndim - 1))
            record[name] = np.where(mask, value, np.nan)
        records.append(record)
        if not measured_ok.all():
            # a non-finite objective at a logged step also ends that seed's search
            state = (state[0], state[1], state[2] & jnp.asarray(measured_ok), *state[3:])
            state = _mark_diverged(state, measured_ok, done)
    out: dict[str, Any] = {
        name: np.stack([r[name] for r in records], axis=1) for name in records[0]
    }
    alive = np.asarray(jax.device_get(state[2]))
    diverged_at = np.asarray(jax.device_get(state[3]))
    out["__status__"] = ["ok" if a else "diverged" for a in alive]
    out["__reasons__"] = {
        str(seed): f"non-finite objective or parameters at step {int(at)}"
        for seed, a, at in zip(seeds, alive, diverged_at, strict=True)
        if not a
    }
    out["__probe_dims__"] = dict(compiled.probe_dims)
    out["__snapshots__"] = snapshots
    return out


def _mark_diverged(state: tuple, measured_ok: np.ndarray, step: int) -> tuple:
    params, opt_state, alive, diverged_at, t, counted = state
    newly = jnp.asarray(~measured_ok) & (diverged_at < 0)
    return params, opt_state, alive, jnp.where(newly, step, diverged_at), t, counted
