"""The compiled program of the JAX engine: one training step, scans of steps compiled once
per power-of-two length, and the measurement at a logged step, all over the seed axis.

Between two logging points the training is one compiled ``lax.scan``; segment lengths are
split into powers of two so that any logging schedule compiles at most ``log2(steps)``
scans. A seed whose objective or parameters become non-finite is frozen where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import optax

from bayesgrok.search.contract import Batch, Family


def select_batch(train: Batch, key: jax.Array, t: jax.Array, batch: int) -> Batch:
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


def all_finite(tree: Any) -> jax.Array:
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
    if family.vectorize_seeds:
        return jax.vmap(fn)

    def mapped(*args: Any) -> Any:
        return jax.lax.map(lambda a: fn(*a), args)

    return mapped


class Compiled:
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
        self.counts_batch_accuracy = family.counts_batch_accuracy
        self.measure = jax.jit(over_seeds(family, self._measure_one))

    def _step(self, train: Batch, key: jax.Array, state: tuple, _: Any) -> tuple[tuple, None]:
        params, opt_state, alive, diverged_at, t, counted = state
        batch = select_batch(train, key, t, self.batch)
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
            hits.append(self.family.batch_accuracy(params, Batch(data.x[idx], data.y[idx]),
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
        if self.counts_batch_accuracy and self.kind == "classification":
            out["val_batch_accuracy"] = self._batched_accuracy(params, val, key)
        for name, (dims, value) in fam.probes(params, train).items():
            self.probe_dims[name] = tuple(dims)
            out[name] = value
        return out
