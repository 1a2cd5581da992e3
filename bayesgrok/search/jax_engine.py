"""The JAX engine: runs any JAX family through the complexity-plus-error search.

All seeds of a run train at once (``vmap`` over stacked parameters and data). Between two
logging points the training is one compiled ``lax.scan``; segment lengths are split into
powers of two so that any logging schedule compiles at most ``log2(steps)`` scans. At
every logged step the engine measures error, complexity, objective, validation error and
accuracy or MSE (plus the family's probes) for every seed. A seed whose objective or
parameters become non-finite is frozen and recorded as ``diverged``; the others go on.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import xarray as xr

from bayesgrok.search.config import SearchConfig
from bayesgrok.search.contract import Batch, Family
from bayesgrok.search.optimizers import make_optimizer
from bayesgrok.search.threads import thread_settings
from bayesgrok.tasks.split import Split
from bayesgrok.trajectory import SCHEMA_VERSION, validate

Progress = Callable[[int], None]


def versions() -> dict[str, str]:
    """Versions of bayesgrok and the libraries behind a trajectory.

    Examples
    --------
    >>> "jax" in versions()
    True
    """
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("bayesgrok", "jax", "optax", "numpy", "xarray"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover - only when run from a source tree
            out[pkg] = "unknown"
    return out


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


def _select_batch(train: Batch, key: jax.Array, t: jax.Array, batch: int) -> Batch:
    """The ``t``-th batch of a shuffled stream that reshuffles the training set every epoch."""
    n = train.x.shape[0]
    if batch == n:
        return train
    start = t * batch
    pos = start + jnp.arange(batch)
    first_epoch = start // n
    perm_a = jax.random.permutation(jax.random.fold_in(key, first_epoch), n)
    perm_b = jax.random.permutation(jax.random.fold_in(key, first_epoch + 1), n)
    idx = jnp.where(pos // n == first_epoch, perm_a[pos % n], perm_b[pos % n])
    return Batch(train.x[idx], train.y[idx])


def _all_finite(tree: Any) -> jax.Array:
    leaves = jax.tree_util.tree_leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))


def over_seeds(family: Family, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` mapped over the leading (seed) axis of all its arguments.

    ``jax.vmap`` (all seeds in one batched computation) unless the family sets
    ``vectorize_seeds = False``; then ``jax.lax.map``: the seeds run one after another inside
    the same compiled program. jaxlib 0.10's batched LAPACK kernels (triangular solves of
    a batch of matrices) can deadlock XLA's CPU thread pool when two of them run at once,
    which vmapped Gaussian-process objectives with a few hundred points trigger on a
    2-core machine; families built on large Cholesky factorisations opt out of ``vmap``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> class Family:
    ...     vectorize_seeds = False
    >>> over_seeds(Family(), lambda a, b: a @ b)(jnp.ones((3, 2)), jnp.ones((3, 2))).shape
    (3,)
    """
    if getattr(family, "vectorize_seeds", True):
        return jax.vmap(fn)

    def mapped(*args: Any) -> Any:
        return jax.lax.map(lambda a: fn(*a), args)

    return mapped


class _Compiled:
    """The compiled pieces of one run: a step scan per segment length and a measurement."""

    def __init__(self, family: Family, optimizer: optax.GradientTransformation, batch: int,
                 kind: str, accuracy: str | None) -> None:
        self.family = family
        self.optimizer = optimizer
        self.batch = batch
        self.kind = kind
        self.accuracy = accuracy
        self.probe_dims: dict[str, tuple[str, ...]] = {}
        self._scans: dict[int, Callable[..., Any]] = {}
        # families that count accuracy per minibatch as the published code does
        self.batch_accuracy = getattr(family, "batch_accuracy", None)
        self.measure = jax.jit(over_seeds(family, self._measure_one))

    def _step(self, train: Batch, key: jax.Array, state: tuple, _: Any) -> tuple[tuple, None]:
        params, opt_state, alive, diverged_at, t, counted = state
        batch = _select_batch(train, key, t, self.batch)
        if getattr(self.family, "stochastic", False):
            step_key = jax.random.fold_in(jax.random.fold_in(key, 0x5EED), t)
            objective = partial(self.family.objective, key=step_key)
        else:
            step_key = key
            objective = self.family.objective
        counting = getattr(self.family, "objective_and_batch_accuracy", None)
        if self.batch_accuracy is not None and counting is not None:
            # the accuracy of the training forward pass itself, before the update
            (loss, hit), grads = jax.value_and_grad(
                partial(counting, key=step_key), has_aux=True)(params, batch, train)
            counted = counted + jnp.stack([hit, jnp.ones_like(hit)]).astype(counted.dtype)
        else:
            loss, grads = jax.value_and_grad(objective)(params, batch, train)
        updates, new_opt_state = self.optimizer.update(grads, opt_state, params)
        new_params = optax.apply_updates(params, updates)
        ok = alive & jnp.isfinite(loss) & _all_finite(new_params)
        keep = lambda new, old: jnp.where(ok, new, old)  # noqa: E731 - frozen once diverged
        params = jax.tree_util.tree_map(keep, new_params, params)
        opt_state = jax.tree_util.tree_map(keep, new_opt_state, opt_state)
        diverged_at = jnp.where(alive & ~ok, t, diverged_at)
        return (params, opt_state, ok, diverged_at, t + 1, counted), None

    def advance(self, state: tuple, train: Batch, keys: jax.Array, n: int) -> tuple:
        """Advance every seed ``n`` steps, in power-of-two scans compiled once each."""
        for bit in range(max(n, 1).bit_length()):
            length = 1 << bit
            if n & length:
                if length not in self._scans:
                    self._scans[length] = jax.jit(over_seeds(self.family,
                                                             self._scan_fn(length)))
                state = self._scans[length](state, train, keys)
        return state

    def _scan_fn(self, length: int) -> Callable[..., Any]:
        def scan(state: tuple, train: Batch, key: jax.Array) -> tuple:
            step = lambda s, x: self._step(train, key, s, x)  # noqa: E731
            return jax.lax.scan(step, state, None, length=length)[0]

        return scan

    def _batched_accuracy(self, params: Any, data: Batch, key: jax.Array) -> jax.Array:
        """Mean over shuffled minibatches of one-draw accuracies (the published count)."""
        n = data.x.shape[0]
        order = jax.random.permutation(key, n)
        size = min(self.batch, n)
        hits = []
        for b, start in enumerate(range(0, n, size)):
            idx = order[start:start + size]
            hits.append(self.batch_accuracy(params, Batch(data.x[idx], data.y[idx]),
                                            jax.random.fold_in(key, b)))
        return jnp.mean(jnp.stack(hits))

    def _measure_one(self, params: Any, train: Batch, val: Batch,
                     key: jax.Array) -> dict[str, jax.Array]:
        fam = self.family
        out = {
            "error": fam.error(params, train, train),
            "complexity": fam.complexity(params, train),
            "objective": fam.objective(params, train, train),
            "val_error": fam.error(params, val, train),
        }
        for part, data in (("train", train), ("val", val)):
            pred = fam.predict(params, data.x, train)
            if self.kind == "classification":
                out[f"{part}_accuracy"] = jnp.mean(jnp.argmax(pred, axis=-1) == data.y)
            else:
                out[f"{part}_mse"] = jnp.mean((pred - data.y) ** 2)
                if self.accuracy == "sign":
                    out[f"{part}_accuracy"] = jnp.mean(jnp.sign(pred) == jnp.sign(data.y))
        if self.batch_accuracy is not None and self.kind == "classification":
            out["val_batch_accuracy"] = self._batched_accuracy(params, val, key)
        for name, (dims, value) in fam.probes(params, train).items():
            self.probe_dims[name] = tuple(dims)
            out[name] = value
        return out


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


def posterior_snapshots(
    family: Family, snapshots: dict[int, Any], seeds: Sequence[int], n_draws: int
) -> dict[str, xr.DataTree]:
    """ArviZ InferenceData of the distribution the parameters describe, per snapshot step.

    For a family with ``posterior_draws(params, key, n) -> {site: (n, ...)}`` (one seed's
    parameters), each snapshot becomes a DataTree whose ``posterior`` group holds
    ``n_draws`` draws per seed, the seeds as ArviZ's chains (coordinate ``chain`` = the
    seed), so ArviZ's posterior plots work on variational posteriors. Families without
    ``posterior_draws`` give no artifacts.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> class Gaussian:
    ...     def posterior_draws(self, params, key, n):
    ...         return {"w": params + jax.random.normal(key, (n, 2))}
    >>> out = posterior_snapshots(Gaussian(), {5: jnp.zeros((3, 2))}, [0, 1, 2], 10)
    >>> dict(out["posterior_step5"]["posterior"].sizes)
    {'chain': 3, 'draw': 10, 'w_dim_0': 2}
    """
    draw = getattr(family, "posterior_draws", None)
    if draw is None or not snapshots:
        return {}
    import arviz_base as azb

    out = {}
    for step, params in sorted(snapshots.items()):
        per_seed = []
        for i, seed in enumerate(seeds):
            one = jax.tree_util.tree_map(lambda leaf, i=i: leaf[i], params)
            per_seed.append(draw(one, jax.random.PRNGKey(int(seed)), n_draws))
        posterior = {name: np.stack([np.asarray(d[name]) for d in per_seed])
                     for name in per_seed[0]}
        out[f"posterior_step{step}"] = azb.from_dict(
            {"posterior": posterior},
            coords={"chain": np.asarray(seeds, dtype=np.int64)},
            attrs={"posterior": {
                "step": int(step), "family": family_name(family),
                "note": "variational posterior: draws from the guide; chain = seed"}},
        )
    return out


def family_name(family: Family) -> str:
    """The family's registered name (``"family"`` when it has none)."""
    return str(getattr(family, "name", "family"))


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
    x64 = getattr(family, "precision", "float32") == "float64"
    scope = jax.enable_x64(True) if x64 else contextlib.nullcontext()
    started = time.perf_counter()
    with scope:
        data = _run(family, splits, search, seeds, progress)
    wall = time.perf_counter() - started

    n_train = first.n_train
    total = search.total_steps(n_train)
    steps = search.log.steps(total)
    if config is None:
        config = {
            "family": {"name": family.name, **_family_config(family)},
            "task": {"name": first.name},
            "search": search.model_dump(),
            "seeds": seeds,
        }
    dims = ("seed", "step")
    probe_dims = data.pop("__probe_dims__")
    snapshots = data.pop("__snapshots__")
    status = data.pop("__status__")
    reasons = data.pop("__reasons__")
    variables = {}
    for name, values in data.items():
        extra = probe_dims.get(name, ())
        variables[name] = (dims + tuple(extra), values)
    coords: dict[str, Any] = {"seed": np.asarray(seeds, dtype=np.int64), "step": steps}
    coords["epoch"] = ("step", search.epoch_of(steps, n_train))
    ds = xr.Dataset(variables, coords=coords)
    ds["status"] = ("seed", np.asarray(status, dtype=object))
    ds["status"].attrs["reasons"] = json.dumps(reasons)
    ds.attrs = {
        "family": family.name,
        "backend": getattr(family, "backend", "jax"),
        "task": first.name,
        "task_kind": first.kind,
        "config": json.dumps(config, sort_keys=True, default=str),
        "objective_formula": family.objective_formula,
        "objective_note": getattr(family, "objective_note", ""),
        "precision": "float64" if x64 else "float32",
        "engine": "jax",
        "n_train": n_train,
        "n_val": first.n_val,
        "spurious_columns": json.dumps([int(c) for c in first.spurious_columns]),
        "operand_columns": json.dumps([int(c) for c in first.operand_columns]),
        "total_steps": total,
        "versions": json.dumps(versions()),
        "threading": json.dumps(thread_settings()),
        "data_provenance": json.dumps(first.metadata.get("provenance", {}), default=str),
        "wall_time_s": wall,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "schema_version": SCHEMA_VERSION,
    }
    artifacts = posterior_snapshots(family, snapshots, seeds, search.snapshot_draws)
    return validate(ds), artifacts


def _family_config(family: Family) -> dict[str, Any]:
    getter = getattr(family, "config", None)
    return dict(getter()) if callable(getter) else {}


def _run(
    family: Family,
    splits: Sequence[Split],
    search: SearchConfig,
    seeds: Sequence[int],
    progress: Progress | None,
) -> dict[str, Any]:
    first = splits[0]
    dtype = jnp.float64 if jax.config.read("jax_enable_x64") else jnp.float32
    train, val = _batches(splits, dtype)
    optimizer = make_optimizer(search.optimizer, search.optimizer_args)
    keys = jnp.stack([jax.random.PRNGKey(int(s)) for s in seeds])
    init_keys, batch_keys = jax.vmap(lambda k: jax.random.split(k))(keys).transpose(1, 0, 2)
    params = _stack([family.init(k, s) for k, s in zip(init_keys, splits, strict=True)])
    params = jax.tree_util.tree_map(
        lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, params
    )
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
    compiled = _Compiled(family, optimizer, search.batch(first.n_train), first.kind,
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
        if compiled.batch_accuracy is not None and first.kind == "classification":
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
