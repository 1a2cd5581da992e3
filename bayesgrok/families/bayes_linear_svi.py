"""The mean-field variational Bayesian linear model, trained by SVI (and sampled by NUTS).

See :mod:`bayesgrok.families.mean_field` for the guide, the Monte Carlo error and the
closed-form KL it shares with :class:`~bayesgrok.families.bayes_svi.BayesMLPSVI`.
"""


from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp

from bayesgrok.families.bayes_models import (
    LIKELIHOODS,
    Shapes,
    bayesian_linear,
    linear_output,
    linear_shapes,
)
from bayesgrok.families.mean_field import MeanFieldSVI, Params, _count, _positive
from bayesgrok.search.contract import Batch
from bayesgrok.tasks.split import Split

__all__ = ["BayesLinearSVI"]


class BayesLinearSVI(MeanFieldSVI):
    """Mean-field variational Bayesian linear model: regression, logistic or softmax.

    The model is :func:`~bayesgrok.families.bayes_models.bayesian_linear`. With
    ``likelihood="gaussian"``, ``bias=False``, ``noise_scale=sqrt(0.001)`` and
    ``prior_scale=0.5`` on ``linear_sign`` it is the Bayesian counterpart of REFERENCE A1
    (A1's loss is this model's negative log joint per point, up to constants).

    Parameters
    ----------
    complexity_weight
        Weight of the KL term in the objective (0 gives the error-only ablation).
    likelihood
        ``"gaussian"`` (regression), ``"bernoulli"`` (binary labels) or ``"categorical"``.
    n_classes
        Number of classes of a categorical likelihood.
    prior_scale
        Prior standard deviation of every weight (and the bias).
    noise_scale
        Standard deviation of the Gaussian likelihood.
    bias
        Whether the model has a bias ``b0``.
    sigma_init
        Random initial means are drawn from ``N(0, sigma_init^2)``.
    init_std
        The guide's standard deviations start here; ``std = softplus(rho)``.
    initial_means
        Fixed initial means instead: every entry of ``w0`` (flattened), then of ``b0``.
    n_samples_eval, n_samples_train, eval_seed
        As in :class:`BayesMLPSVI`.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("linear_sign", seed=0)
    >>> fam = BayesLinearSVI(bias=False, noise_scale=0.0316, prior_scale=0.5,
    ...                      initial_means=[5e-4, 0.9, 0.9, 0.9])
    >>> p = fam.init(jax.random.PRNGKey(0), split)
    >>> [round(v, 4) for v in p["loc"]["w0"].tolist()]
    [0.0005, 0.9, 0.9, 0.9]
    >>> train = Batch(jnp.asarray(split.x_train), jnp.asarray(split.y_train))
    >>> fam.predict(p, train.x, train).shape  # the predictive mean
    (2,)
    """

    name = "bayes_linear"
    initial_values = ("sigma_init", "init_std", "initial_means")

    def __init__(
        self,
        complexity_weight: float = 1.0,
        likelihood: str = "gaussian",
        n_classes: int | None = None,
        prior_scale: float = 1.0,
        noise_scale: float = 1.0,
        bias: bool = True,
        sigma_init: float = 0.1,
        init_std: float = 0.01,
        initial_means: Sequence[float] | None = None,
        n_samples_eval: int = 16,
        n_samples_train: int = 1,
        eval_seed: int = 0,
    ) -> None:
        super().__init__(complexity_weight, prior_scale, sigma_init, init_std,
                         n_samples_eval, n_samples_train, eval_seed)
        if likelihood not in LIKELIHOODS:
            raise ValueError(
                f"likelihood must be one of {', '.join(LIKELIHOODS)}, not {likelihood!r}"
            )
        self.likelihood = likelihood
        if likelihood == "categorical":
            if n_classes is None:
                raise ValueError("n_classes is needed with likelihood='categorical'")
            self.n_classes: int | None = _count("n_classes", n_classes, 2)
        elif likelihood == "bernoulli":
            if n_classes not in (None, 2):
                raise ValueError(f"n_classes must be 2 (or None) for bernoulli, got {n_classes}")
            self.n_classes = 2
        else:
            self.n_classes = None
        self.noise_scale = _positive("noise_scale", noise_scale)
        self.bias = bool(bias)
        self.initial_means = None if initial_means is None else tuple(map(float, initial_means))

    def shapes(self, d_in: int) -> Shapes:
        """Site ``w0`` (and ``b0``) for ``d_in`` inputs."""
        return linear_shapes(d_in, self.likelihood, self.n_classes, self.bias)

    def numpyro_model(
        self, x: jax.Array, y: jax.Array | None = None, n_total: int | None = None
    ) -> None:
        """:func:`~bayesgrok.families.bayes_models.bayesian_linear` with these settings."""
        bayesian_linear(x, y, likelihood=self.likelihood, n_classes=self.n_classes,
                        prior_scale=self.prior_scale, noise_scale=self.noise_scale,
                        bias=self.bias, n_total=n_total)

    def _check_split(self, split: Split) -> None:
        if self.likelihood == "gaussian":
            if split.kind != "regression":
                raise ValueError(
                    f"likelihood='gaussian' needs a regression task; {split.name!r} is a "
                    f"{split.kind} task"
                )
        elif split.kind != "classification" or split.n_classes != self.n_classes:
            raise ValueError(
                f"likelihood={self.likelihood!r} with n_classes={self.n_classes} does not fit "
                f"task {split.name!r} ({split.kind}, {split.n_classes} classes)"
            )

    def _initial_means(self, key: jax.Array, shapes: Shapes) -> dict[str, jax.Array]:
        if self.initial_means is None:
            return super()._initial_means(key, shapes)
        sizes = [math.prod(s) for s in shapes.values()]
        if len(self.initial_means) != sum(sizes):
            raise ValueError(
                f"initial_means has {len(self.initial_means)} values but the model has "
                f"{sum(sizes)} weights ({', '.join(f'{k}{s}' for k, s in shapes.items())})"
            )
        flat = jnp.asarray(self.initial_means, dtype=jnp.float32)
        out, start = {}, 0
        for (name, shape), size in zip(shapes.items(), sizes, strict=True):
            out[name] = flat[start:start + size].reshape(shape)
            start += size
        return out

    def predict(self, params: Params, x: jax.Array, train: Batch) -> jax.Array:
        """Gaussian: the exact predictive mean ``x @ m (+ b)``. Otherwise class
        probabilities ``(n, C)`` averaged over the fixed eval draws."""
        if self.likelihood == "gaussian":
            return linear_output(params["loc"], x)

        def one(k: jax.Array) -> jax.Array:
            out = linear_output(self.draw(params, k), x)
            if self.likelihood == "bernoulli":
                p = jax.nn.sigmoid(out)
                return jnp.stack([1.0 - p, p], axis=-1)
            return jax.nn.softmax(out, axis=-1)

        return jnp.mean(jax.vmap(one)(self._keys(None)), axis=0)
