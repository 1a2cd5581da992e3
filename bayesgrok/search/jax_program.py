"""The compiled program of the JAX engine: a segment of training steps with the
measurements taken inside it, over the seed axis.

A run is a sequence of segments of one length, each one ``lax.scan`` whose iterations
measure (where the logging schedule, given as data, says so) and then step. One program
is compiled per run whatever the schedule, and a logged step costs no host round trip:
the measurements come back as one array per segment. A seed whose objective or
parameters become non-finite is frozen where it was.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from bayesgrok.search.contract import Batch, Family, JaxFamily
from bayesgrok.search.optimizer_spec import OptimizerSpec


def select_batch(train: Batch, key: jax.Array, t: jax.Array, batch: int) -> Batch:
    """The ``t``-th batch of a shuffled stream that reshuffles the training set every epoch.

    Epoch ``e``'s order is ``jax.random.permutation(fold_in(key, e), n)``; batch ``t``
    holds positions ``t * batch ... t * batch + batch - 1`` of the stream (it may straddle
    two epochs). This draws the orders it needs; the compiled program draws each epoch's
    order once per segment instead (:func:`epoch_orders`, :func:`batch_from_orders`),
    which gives the same batches.

    Examples
    --------
    >>> train = Batch(jnp.arange(4.0)[:, None], jnp.arange(4.0))
    >>> key = jax.random.PRNGKey(0)
    >>> seen = [select_batch(train, key, jnp.asarray(t), 2).y for t in (0, 1)]
    >>> sorted(jnp.concatenate(seen).tolist())  # one epoch: every point once
    [0.0, 1.0, 2.0, 3.0]
    """
    n = train.x.shape[0]
    if batch == n:
        return train
    return batch_from_orders(train, epoch_orders(key, t, 1, n, batch), t, batch)


class EpochOrders(NamedTuple):
    """The shuffled orders of consecutive epochs ``first, first + 1, ...`` (one row each)."""

    first: jax.Array
    orders: jax.Array


def epoch_orders(key: jax.Array, t: jax.Array, steps: int, n: int, batch: int) -> EpochOrders:
    """Every epoch order that steps ``t ... t + steps - 1`` of the stream draw from.

    A permutation of ``n`` points costs a few sorts, far more than the rest of a small
    model's step, so a segment draws each epoch's order once here (about
    ``steps * batch / n + 2`` of them) instead of two per step.

    Examples
    --------
    >>> e = epoch_orders(jax.random.PRNGKey(0), jnp.asarray(3), 4, 5, 2)
    >>> int(e.first), e.orders.shape  # steps 3-6 read positions 6-13: epochs 1 and 2
    (1, (4, 5))
    """
    first = (t * batch) // n
    count = (steps * batch + batch) // n + 2
    orders = jax.vmap(lambda e: jax.random.permutation(jax.random.fold_in(key, e), n))(
        first + jnp.arange(count))
    return EpochOrders(first, orders)


def batch_from_orders(train: Batch, orders: EpochOrders, t: jax.Array, batch: int) -> Batch:
    """Batch ``t`` of the stream, read from epoch orders drawn by :func:`epoch_orders`.

    Examples
    --------
    >>> train = Batch(jnp.arange(5.0)[:, None], jnp.arange(5.0))
    >>> key = jax.random.PRNGKey(1)
    >>> e = epoch_orders(key, jnp.asarray(0), 4, 5, 2)
    >>> all(bool(jnp.all(batch_from_orders(train, e, jnp.asarray(t), 2).y
    ...                  == select_batch(train, key, jnp.asarray(t), 2).y)) for t in range(4))
    True
    """
    n = train.x.shape[0]
    pos = t * batch + jnp.arange(batch)
    idx = orders.orders[pos // n - orders.first, pos % n]
    return Batch(train.x[idx], train.y[idx])


def all_finite(tree: Any) -> jax.Array:
    """Whether every leaf of a pytree is finite everywhere (one boolean scalar).

    Examples
    --------
    >>> bool(all_finite({"a": jnp.ones(2), "b": jnp.asarray(jnp.nan)}))
    False
    """
    leaves = jax.tree_util.tree_leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))


def over_seeds(family: Family, fn: Callable[..., Any],
               in_axes: int | None | tuple[int | None, ...] = 0) -> Callable[..., Any]:
    """``fn`` mapped over the leading (seed) axis of its arguments (those whose ``in_axes``
    entry is 0; an entry ``None`` passes that argument to every seed unchanged).

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
    >>> over_seeds(Family(), lambda a, b: a @ b, in_axes=(0, None))(
    ...     jnp.ones((3, 2)), jnp.ones(2)).shape
    (3,)
    """
    if family.vectorize_seeds:
        return jax.vmap(fn, in_axes=in_axes)

    def mapped(*args: Any) -> Any:
        axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
        batched = tuple(a for a, axis in zip(args, axes, strict=True) if axis == 0)

        def one(members: tuple) -> Any:
            it = iter(members)
            return fn(*(next(it) if axis == 0 else a
                        for a, axis in zip(args, axes, strict=True)))

        return jax.lax.map(one, batched)

    return mapped


_SHARED: OrderedDict[tuple, Compiled] = OrderedDict()
_SHARED_LOCK = threading.Lock()
SHARED_PROGRAMS = 8
"""How many compiled programs a process keeps for later runs (least recently used go)."""


def shared_program(family: Family, spec: OptimizerSpec, frozen: Any, batch: int, kind: str,
                   accuracy: str | None) -> Compiled:
    """The compiled program for a run, shared with every earlier run of this process whose
    program is the same: same :meth:`~bayesgrok.search.contract.JaxFamily.program_key`,
    optimizer, frozen parameters, batch size, task kind and precision. Runs differing
    only in starting values (A5's three starts, A6's ``sigma_init`` values) or seeds are
    traced and compiled once.

    Examples
    --------
    >>> from bayesgrok.families.linear import LinearRegression
    >>> spec = OptimizerSpec.parse("jax", "sgd", {"learning_rate": 0.1})
    >>> a = shared_program(LinearRegression(initial_weights=[1.0]), spec, False, 8,
    ...                    "regression", None)
    >>> b = shared_program(LinearRegression(initial_weights=[2.0]), spec, False, 8,
    ...                    "regression", None)
    >>> a is b, a is shared_program(LinearRegression(noise_variance=0.1), spec, False, 8,
    ...                             "regression", None)
    (True, False)
    """
    key = (family.program_key(), repr(spec), repr(frozen), batch, kind, accuracy,
           bool(jax.config.read("jax_enable_x64")))
    with _SHARED_LOCK:  # runs may start in several threads (LocalExecutor(jobs=...))
        if key in _SHARED:
            _SHARED.move_to_end(key)
            return _SHARED[key]
        program = Compiled(family, spec.optax(frozen), batch, kind, accuracy)
        _SHARED[key] = program
        while len(_SHARED) > SHARED_PROGRAMS:
            _SHARED.popitem(last=False)
        return program


class Compiled:
    """The compiled program of one run: a segment of steps with the measurements inside."""

    def __init__(self, family: Family, optimizer: optax.GradientTransformation, batch: int,
                 kind: str, accuracy: str | None) -> None:
        self.family = family
        self.optimizer = optimizer
        self.batch = batch
        self.kind = kind
        self.accuracy = accuracy
        self.probe_dims: dict[str, tuple[str, ...]] = {}
        self._segment: Callable[..., Any] | None = None
        self._draws: Callable[..., Any] | None = None
        # families that count accuracy per minibatch as the published code does
        self.counts_batch_accuracy = family.counts_batch_accuracy

    def _step(self, train: Batch, key: jax.Array, state: tuple,
              orders: EpochOrders | None) -> tuple:
        params, opt_state, alive, diverged_at, t, counted = state
        batch = train if orders is None else batch_from_orders(train, orders, t, self.batch)
        if self.family.stochastic:
            step_key = jax.random.fold_in(jax.random.fold_in(key, 0x5EED), t)
            objective = partial(self.family.objective, key=step_key)
        else:
            step_key = key
            objective = self.family.objective
        if self.counts_batch_accuracy:
            # the accuracy of the training forward pass itself, before the update
            (loss, hit), grads = jax.value_and_grad(
                partial(self.family.objective_and_batch_accuracy, key=step_key),
                has_aux=True)(params, batch, train)
            counted = counted + jnp.stack([hit, jnp.ones_like(hit)]).astype(counted.dtype)
        else:
            loss, grads = jax.value_and_grad(objective)(params, batch, train)
        updates, new_opt_state = self.optimizer.update(grads, opt_state, params)
        new_params = optax.apply_updates(params, updates)
        ok = alive & jnp.isfinite(loss) & all_finite(new_params)
        keep = lambda new, old: jnp.where(ok, new, old)  # noqa: E731 - frozen once diverged
        params = jax.tree_util.tree_map(keep, new_params, params)
        opt_state = jax.tree_util.tree_map(keep, new_opt_state, opt_state)
        diverged_at = jnp.where(alive & ~ok, t, diverged_at)
        return params, opt_state, ok, diverged_at, t + 1, counted

    def fixed_draws(self, n_train: int, n_val: int, dtype: Any) -> tuple[Any, Any]:
        """The family's fixed measuring draws for the training and validation sets
        (:meth:`~bayesgrok.search.contract.JaxFamily.fixed_draws`), drawn once per run."""
        if self._draws is None:
            self._draws = jax.jit(lambda a, b, d: (self.family.fixed_draws(a, d),
                                                   self.family.fixed_draws(b, d)),
                                  static_argnums=(0, 1, 2))
        return self._draws(n_train, n_val, jnp.dtype(dtype).name)

    def segment(self, state: tuple, train: Batch, val: Batch, keys: jax.Array,
                active: jax.Array, logged: jax.Array,
                draws: tuple[Any, Any] = (None, None)) -> tuple[tuple, dict[str, jax.Array]]:
        """Run one segment of the search for every seed, measuring inside the program.

        Iteration ``i`` of the segment first measures the current parameters when
        ``logged[i]`` (and then resets the minibatch-accuracy count and freezes a seed whose
        objective is not finite), then takes one optimizer step when ``active[i]``. The
        schedule is data: every segment of a run has the same length and runs one compiled
        program, whatever the logging schedule. ``draws`` are the family's fixed measuring
        draws (:meth:`fixed_draws`), the same for every seed. Returns the new state and,
        per measured quantity, one row per iteration (zeros where nothing was measured)
        with the seed axis first; ``__alive__`` says which seeds were still searching when
        measured and ``__counted__`` holds the minibatch hits and counts since the previous log.
        """
        if self._segment is None:
            self._segment = jax.jit(over_seeds(self.family, self._segment_one,
                                               in_axes=(0, 0, 0, 0, None, None, None)))
        return self._segment(state, train, val, keys, active, logged, draws)

    def _log_one(self, state: tuple, train: Batch, val: Batch, key: jax.Array,
                 draws: tuple[Any, Any]) -> tuple[tuple, dict[str, jax.Array]]:
        params, opt_state, alive, diverged_at, t, counted = state
        measured = self._measure_one(params, train, val,
                                     jax.random.fold_in(jax.random.fold_in(key, 0xACC), t),
                                     draws)
        measured["__alive__"] = alive
        measured["__counted__"] = counted
        ok = jnp.isfinite(measured["objective"])
        # a non-finite objective at a logged step also ends that seed's search
        diverged_at = jnp.where(~ok & (diverged_at < 0), t, diverged_at)
        if self.counts_batch_accuracy:
            counted = jnp.zeros_like(counted)
        return (params, opt_state, alive & ok, diverged_at, t, counted), measured

    def _segment_one(self, state: tuple, train: Batch, val: Batch, key: jax.Array,
                     active: jax.Array, logged: jax.Array,
                     draws: tuple[Any, Any]) -> tuple[tuple, dict]:
        shapes = jax.eval_shape(lambda s: self._log_one(s, train, val, key, draws)[1], state)
        nothing = {name: jnp.zeros(v.shape, v.dtype) for name, v in shapes.items()}
        n = train.x.shape[0]
        orders = None if self.batch == n else epoch_orders(key, state[4], active.shape[0], n,
                                                            self.batch)

        def iteration(s: tuple, flags: tuple[jax.Array, jax.Array]) -> tuple[tuple, dict]:
            act, log = flags
            s, measured = jax.lax.cond(log, lambda s: self._log_one(s, train, val, key, draws),
                                       lambda s: (s, nothing), s)
            s = jax.lax.cond(act, lambda s: self._step(train, key, s, orders),
                             lambda s: s, s)
            return s, measured

        return jax.lax.scan(iteration, state, (active, logged))

    def _batched_accuracy(self, params: Any, data: Batch, key: jax.Array) -> jax.Array:
        """Mean over shuffled minibatches of one-draw accuracies (the published count)."""
        n = data.x.shape[0]
        order = jax.random.permutation(key, n)
        size = min(self.batch, n)
        hits = []
        for b, start in enumerate(range(0, n, size)):
            idx = order[start:start + size]
            hits.append(self.family.batch_accuracy(params, Batch(data.x[idx], data.y[idx]),
                                            jax.random.fold_in(key, b)))
        return jnp.mean(jnp.stack(hits))

    def _measure_one(self, params: Any, train: Batch, val: Batch, key: jax.Array,
                     draws: tuple[Any, Any] = (None, None)) -> dict[str, jax.Array]:
        fam = self.family
        error, train_pred = fam.error_and_prediction(params, train, train, draws[0])
        val_error, val_pred = fam.error_and_prediction(params, val, train, draws[1])
        complexity = fam.complexity(params, train)
        if type(fam).objective is JaxFamily.objective:  # error + w * complexity, as measured
            objective = error if fam.complexity_weight == 0.0 else (
                error + fam.complexity_weight * complexity)
        else:
            objective = fam.objective(params, train, train)
        out = {"error": error, "complexity": complexity, "objective": objective,
               "val_error": val_error}
        for part, data, pred in (("train", train, train_pred), ("val", val, val_pred)):
            if self.kind == "classification":
                out[f"{part}_accuracy"] = jnp.mean(jnp.argmax(pred, axis=-1) == data.y)
            else:
                out[f"{part}_mse"] = jnp.mean((pred - data.y) ** 2)
                if self.accuracy == "sign":
                    out[f"{part}_accuracy"] = jnp.mean(jnp.sign(pred) == jnp.sign(data.y))
        if self.counts_batch_accuracy and self.kind == "classification":
            out["val_batch_accuracy"] = self._batched_accuracy(params, val, key)
        for name, (dims, value) in fam.probes(params, train).items():
            self.probe_dims[name] = tuple(dims)
            out[name] = value
        return out
