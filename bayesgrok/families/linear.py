"""Linear regression with a Gaussian prior (REFERENCE A1), a plain JAX family.

The model is ``f(x) = x @ w`` with no bias. Per training point:

* error = ``sum((f(x) - y)^2) / noise_variance / n``, the scaled squared error;
* complexity = ``sum((w - prior_mean)^2) / prior_variance / n_train``, a Gaussian prior.

With the defaults (noise variance 0.002, prior variance 0.5, initial weights
``[5e-4, 0.9, 0.9, 0.9]``) and the ``linear_sign`` task this is Miller et al.'s Fig. 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from bayesgrok.search.contract import Batch, JaxFamily
from bayesgrok.tasks.split import Split

A1_INITIAL_WEIGHTS = (5e-4, 0.9, 0.9, 0.9)


class LinearRegression(JaxFamily):
    """Linear regression, error = scaled squared error, complexity = Gaussian prior.

    Parameters
    ----------
    complexity_weight
        Weight of the complexity term in the objective (0 gives the ablation).
    noise_variance
        Divides the squared error (A1: 0.002).
    prior_variance, prior_mean
        The Gaussian prior on each weight (A1: variance 0.5, mean 0).
    initial_weights
        Starting weights (A1: ``[5e-4, 0.9, 0.9, 0.9]``); ``None`` draws them from
        ``N(0, init_scale^2)`` with the seed.
    init_scale
        Spread of random initial weights when ``initial_weights`` is ``None``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from bayesgrok.search.contract import Batch
    >>> fam = LinearRegression()
    >>> w = jnp.array([1.0, 0.0, 0.0, 0.0])
    >>> train = Batch(jnp.array([[1.0, 0, 0, 0], [2.0, 0, 0, 0]]), jnp.array([1.0, 2.0]))
    >>> float(fam.error(w, train, train)), float(fam.complexity(w, train))
    (0.0, 1.0)
    """

    name = "linear"
    initial_values = ("initial_weights", "init_scale")

    def __init__(
        self,
        complexity_weight: float = 1.0,
        noise_variance: float = 0.002,
        prior_variance: float = 0.5,
        prior_mean: float = 0.0,
        initial_weights: Sequence[float] | None = A1_INITIAL_WEIGHTS,
        init_scale: float = 1.0,
    ) -> None:
        super().__init__(complexity_weight)
        if noise_variance <= 0 or prior_variance <= 0:
            raise ValueError("noise_variance and prior_variance must be positive")
        self.noise_variance = float(noise_variance)
        self.prior_variance = float(prior_variance)
        self.prior_mean = float(prior_mean)
        self.initial_weights = None if initial_weights is None else tuple(initial_weights)
        self.init_scale = float(init_scale)

    def check_task(self, task: Any) -> None:
        """``initial_weights`` must have one value per input feature of the task.

        Examples
        --------
        >>> from bayesgrok.tasks.preview import preview_task
        >>> LinearRegression(initial_weights=[1.0, 2.0]).check_task(
        ...     preview_task("linear_sign", 0))
        Traceback (most recent call last):
        ...
        ValueError: initial_weights: 2 values, but task 'linear_sign' has 4 features
        """
        d = task.n_features
        if self.initial_weights is not None and d is not None and len(self.initial_weights) != d:
            raise ValueError(f"initial_weights: {len(self.initial_weights)} values, but task "
                             f"{task.name!r} has {d} features")

    def init(self, key: jax.Array, split: Split) -> jax.Array:
        """Initial weights: the given ones, or Gaussian draws from ``key``."""
        d = split.n_features
        if self.initial_weights is not None:
            if len(self.initial_weights) != d:
                raise ValueError(
                    f"initial_weights has {len(self.initial_weights)} values but task "
                    f"{split.name!r} has {d} features"
                )
            return jnp.asarray(self.initial_weights)
        return self.init_scale * jax.random.normal(key, (d,))

    def error(self, params: jax.Array, batch: Batch, train: Batch) -> jax.Array:
        """Scaled squared error per data point of ``batch``."""
        residual = batch.x @ params - batch.y
        return jnp.sum(residual**2) / self.noise_variance / batch.x.shape[0]

    def complexity(self, params: jax.Array, train: Batch) -> jax.Array:
        """Gaussian-prior penalty per training point."""
        return jnp.sum((params - self.prior_mean) ** 2) / self.prior_variance / train.x.shape[0]

    def predict(self, params: jax.Array, x: jax.Array, train: Batch) -> jax.Array:
        """The regression output ``x @ w``."""
        return x @ params

    def probes(self, params: jax.Array, train: Batch) -> dict[str, tuple[tuple[str, ...], Any]]:
        """The weights themselves, along ``feature``."""
        return {"weights": (("feature",), params)}
