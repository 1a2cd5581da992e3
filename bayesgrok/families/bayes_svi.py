"""The mean-field variational Bayesian MLP (REFERENCE A6), trained by SVI.

See :mod:`bayesgrok.families.mean_field` for the guide, the Monte Carlo error and the
closed-form KL it shares with :class:`~bayesgrok.families.bayes_linear_svi.BayesLinearSVI`.
"""


from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpyro.distributions as dist

from bayesgrok.families.bayes_models import (
    Shapes,
    bayesian_mlp,
    mlp_logits,
    mlp_shapes,
)
from bayesgrok.families.mean_field import MeanFieldSVI, Params, _count
from bayesgrok.search.contract import Batch
from bayesgrok.tasks.split import Split

__all__ = ["BayesMLPSVI"]


class BayesMLPSVI(MeanFieldSVI):
    """Mean-field variational Bayesian MLP classifier (REFERENCE A6).

    The model is :func:`~bayesgrok.families.bayes_models.bayesian_mlp`: ReLU hidden layers
    of ``widths``, prior ``N(0, prior_scale^2)`` on every weight and bias, categorical
    likelihood. Error = Monte Carlo cross-entropy under the guide, complexity =
    ``KL(q || p) / N_train``.

    Parameters
    ----------
    complexity_weight
        Weight of the KL term in the objective (1: the ELBO; 0: the error-only ablation).
    widths
        Hidden layer widths (A6: ``(200,)``).
    n_classes
        Number of classes; must match the task's.
    prior_scale
        Prior standard deviation of every weight and bias (A6: 1).
    sigma_init
        The guide's means start from ``N(0, sigma_init^2)`` (A6 sweeps 0.005 ... 1).
    init_std
        The guide's standard deviations start here (A6: 0.01); ``std = softplus(rho)``.
    n_samples_eval
        Draws (from a fixed key) behind measured errors and predictions.
    n_samples_train
        Draws per training step.
    eval_seed
        Seed of the fixed measuring key.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("parity", seed=0, n_points=60, n_train=40, n_spurious=5)
    >>> fam = BayesMLPSVI(widths=(8,), n_samples_eval=4)
    >>> p = fam.init(jax.random.PRNGKey(0), split)
    >>> {k: v.shape for k, v in p["loc"].items()}
    {'w0': (8, 8), 'b0': (8,), 'w1': (8, 2), 'b1': (2,)}
    >>> train = Batch(jnp.asarray(split.x_train), jnp.asarray(split.y_train))
    >>> round(float(fam.error(p, train, train)), 2)  # about log 2 at a small init
    0.69
    >>> fam.predict(p, train.x, train).shape
    (40, 2)
    """

    name = "bayes_mlp"
    counts_batch_accuracy = True

    def __init__(
        self,
        complexity_weight: float = 1.0,
        widths: Sequence[int] = (200,),
        n_classes: int = 2,
        prior_scale: float = 1.0,
        sigma_init: float = 0.1,
        init_std: float = 0.01,
        n_samples_eval: int = 16,
        n_samples_train: int = 1,
        eval_seed: int = 0,
        local_reparameterization: bool = False,
        std_parametrization: str = "softplus",
        init_means: str = "jax",
    ) -> None:
        super().__init__(complexity_weight, prior_scale, sigma_init, init_std,
                         n_samples_eval, n_samples_train, eval_seed, std_parametrization,
                         init_means)
        if isinstance(widths, int | float | str):
            raise ValueError(f"widths must be a list of layer widths, got {widths!r}")
        self.widths = tuple(_count("widths", w, 1) for w in widths)
        self.n_classes = _count("n_classes", n_classes, 2)
        if not isinstance(local_reparameterization, bool):
            raise ValueError("local_reparameterization must be true or false, got "
                             f"{local_reparameterization!r}")
        self.local_reparameterization = local_reparameterization

    def shapes(self, d_in: int) -> Shapes:
        """Sites ``w0, b0, ...`` of the MLP ``d_in -> widths -> n_classes``."""
        return mlp_shapes(d_in, self.widths, self.n_classes)

    def numpyro_model(
        self, x: jax.Array, y: jax.Array | None = None, n_total: int | None = None
    ) -> None:
        """:func:`~bayesgrok.families.bayes_models.bayesian_mlp` with this family's settings."""
        bayesian_mlp(x, y, widths=self.widths, n_classes=self.n_classes,
                     prior_scale=self.prior_scale, n_total=n_total)

    def _check_split(self, split: Split) -> None:
        if split.kind != "classification" or split.n_classes != self.n_classes:
            raise ValueError(
                f"n_classes={self.n_classes} but task {split.name!r} is a {split.kind} task "
                f"with {split.n_classes} classes"
            )

    def _torch_means(self, seed: int, shapes: Shapes) -> dict[str, jax.Array]:
        """The published A6 code's means: per layer, in order, one ``(d_in + 1, d_out)``
        matrix ``torch.Tensor(...).normal_(0, sigma_init)`` after ``torch.manual_seed(seed)``,
        whose last row is the bias (its input is a column of ones)."""
        import torch

        generator = torch.Generator().manual_seed(int(seed))
        out: dict[str, jax.Array] = {}
        for i in range(len(self.widths) + 1):
            d_in, d_out = shapes[f"w{i}"]
            m = torch.empty(d_in + 1, d_out).normal_(0.0, self.sigma_init, generator=generator)
            out[f"w{i}"] = jnp.asarray(m[:-1].numpy(), dtype=jnp.float32)
            out[f"b{i}"] = jnp.asarray(m[-1].numpy(), dtype=jnp.float32)
        return out

    def fixed_draws(self, n: int, dtype: Any) -> tuple[jax.Array, ...] | None:
        """The standard normals behind the measured pre-activations of ``n`` points (local
        reparameterisation): per layer, ``(n_samples_eval, n, width)``, exactly those
        :meth:`local_logits` draws from the fixed evaluation keys. They never change, so
        the engine draws them once per run instead of at every logged step (drawing them
        cost 90% of A6's measurements). ``None`` without local reparameterisation.

        Examples
        --------
        >>> fam = BayesMLPSVI(widths=(4,), local_reparameterization=True, n_samples_eval=3)
        >>> [e.shape for e in fam.fixed_draws(5, "float32")]
        [(3, 5, 4), (3, 5, 2)]
        """
        if not self.local_reparameterization:
            return None
        widths = (*self.widths, self.n_classes)

        def one(key: jax.Array) -> tuple[jax.Array, ...]:
            keys = jax.random.split(key, len(widths))
            return tuple(jax.random.normal(k, (n, w), dtype) for k, w in zip(keys, widths,
                                                                            strict=True))

        return jax.vmap(one)(self._keys(None))

    def local_logits(self, params: Params, x: jax.Array, key: jax.Array,
                     noise: Sequence[jax.Array] | None = None) -> jax.Array:
        """Logits ``(n, C)`` by the local reparameterisation trick (Kingma et al., 2015).

        Each layer's pre-activations are drawn directly, independently per example and
        unit: ``z ~ N(h @ m_w + m_b, h^2 @ s_w^2 + s_b^2)``, the exact distribution of
        ``h @ w + b`` for independent Gaussian weights; ReLU between layers, none after
        the last. ``noise`` (one standard-normal array per layer, the shape of its
        pre-activations) replaces the draws from ``key``.

        Examples
        --------
        >>> fam = BayesMLPSVI(widths=(4,), local_reparameterization=True)
        >>> from bayesgrok.tasks import make_task
        >>> p = fam.init(jax.random.PRNGKey(0), make_task("parity", 0, n_points=20, n_train=10))
        >>> fam.local_logits(p, jnp.ones((5, 3)), jax.random.PRNGKey(1)).shape
        (5, 2)
        """
        std = self.std(params)
        n_layers = len(self.widths) + 1
        keys = jax.random.split(key, n_layers)
        h = x
        for i in range(n_layers):
            mean = h @ params["loc"][f"w{i}"] + params["loc"][f"b{i}"]
            var = (h * h) @ (std[f"w{i}"] ** 2) + std[f"b{i}"] ** 2
            eps = (jax.random.normal(keys[i], mean.shape, mean.dtype) if noise is None
                   else noise[i])
            z = mean + jnp.sqrt(var) * eps
            h = jax.nn.relu(z) if i < n_layers - 1 else z
        return h

    def _local_logits_draw_by_draw(self, params: Params, x: jax.Array,
                                   draws: Sequence[jax.Array]) -> jax.Array:
        """:meth:`local_logits` for each set of ``draws`` (per layer ``(S, n, width)``),
        ``(S, n, C)``: the same values, bit for bit, as vmapping it over the draws.

        The first layer's mean and standard deviation do not depend on the draw and are
        computed once; the rest runs one draw at a time (``lax.map``), so that each draw's
        activations stay in the cache. Vmapped over A6's 16 measuring draws, XLA wrote two
        ``(seeds, 16, n, 200)`` arrays per data set and logged step and read them back (the
        activations and their squares): 2.5x slower on this machine.
        """
        std = self.std(params)
        n_layers = len(self.widths) + 1
        mean0 = x @ params["loc"]["w0"] + params["loc"]["b0"]
        sd0 = jnp.sqrt((x * x) @ (std["w0"] ** 2) + std["b0"] ** 2)

        def one(noise: Sequence[jax.Array]) -> jax.Array:
            z = mean0 + sd0 * noise[0]
            for i in range(1, n_layers):
                h = jax.nn.relu(z)
                mean = h @ params["loc"][f"w{i}"] + params["loc"][f"b{i}"]
                var = (h * h) @ (std[f"w{i}"] ** 2) + std[f"b{i}"] ** 2
                z = mean + jnp.sqrt(var) * noise[i]
            return z

        return jax.lax.map(one, tuple(draws))

    def logits(self, params: Params, x: jax.Array, key: jax.Array) -> jax.Array:
        """One draw of the logits: local reparameterisation, or one weight draw for all."""
        if self.local_reparameterization:
            return self.local_logits(params, x, key)
        return mlp_logits(self.draw(params, key), x)

    def error(
        self, params: Params, batch: Batch, train: Batch, key: jax.Array | None = None
    ) -> jax.Array:
        """``-E_q[log p(y | w)]`` per point (Monte Carlo; see the base class).

        With ``local_reparameterization`` each draw is of the pre-activations
        (:meth:`local_logits`), scored by the NumPyro model's categorical likelihood.
        """
        if not self.local_reparameterization:
            return super().error(params, batch, train, key)

        def one(k: jax.Array) -> jax.Array:
            logits = self.local_logits(params, batch.x, k)
            return -jnp.mean(dist.Categorical(logits=logits).log_prob(batch.y))

        return jnp.mean(jax.vmap(one)(self._keys(key)))

    def batch_accuracy(self, params: Params, batch: Batch, key: jax.Array) -> jax.Array:
        """Accuracy on ``batch`` of one draw of the logits: the draw the training step
        with ``key`` makes (the first of its ``n_samples_train``), as the published code
        counts accuracy from its training forward pass."""
        logits = self.logits(params, batch.x, self._keys(key)[0])
        return jnp.mean(jnp.argmax(logits, axis=-1) == batch.y)

    def objective_and_batch_accuracy(
        self, params: Params, batch: Batch, train: Batch, key: jax.Array
    ) -> tuple[jax.Array, jax.Array]:
        """:meth:`objective` and :meth:`batch_accuracy` from one forward pass: the engine
        differentiates the first and counts the second (``has_aux``), so the published
        accuracy costs no second forward pass in the training step.

        Examples
        --------
        >>> from bayesgrok.tasks import make_task
        >>> split = make_task("parity", 0, n_points=40, n_train=30)
        >>> fam = BayesMLPSVI(widths=(4,), local_reparameterization=True)
        >>> p = fam.init(jax.random.PRNGKey(0), split)
        >>> b = Batch(jnp.asarray(split.x_train), jnp.asarray(split.y_train))
        >>> k = jax.random.PRNGKey(3)
        >>> obj, acc = fam.objective_and_batch_accuracy(p, b, b, k)
        >>> bool(jnp.isclose(obj, fam.objective(p, b, b, key=k)))
        True
        >>> bool(acc == fam.batch_accuracy(p, b, k))
        True
        """
        logits = jax.vmap(lambda k: self.logits(params, batch.x, k))(self._keys(key))
        err = -jnp.mean(dist.Categorical(logits=logits).log_prob(batch.y))
        accuracy = jnp.mean(jnp.argmax(logits[0], axis=-1) == batch.y)
        if self.complexity_weight == 0.0:
            return err, accuracy
        return err + self.complexity_weight * self.complexity(params, train), accuracy

    def error_and_prediction(self, params: Params, batch: Batch, train: Batch,
                          draws: tuple[jax.Array, ...] | None = None
                          ) -> tuple[jax.Array, jax.Array]:
        """:meth:`error` and :meth:`predict` (no key: the fixed evaluation draws) from one set
        of drawn logits, for the engine's measurements; the same values as the two calls.
        ``draws``: :meth:`fixed_draws` for ``batch``'s size (drawn here when not given).

        Examples
        --------
        >>> from bayesgrok.tasks import make_task
        >>> split = make_task("parity", 0, n_points=40, n_train=30)
        >>> fam = BayesMLPSVI(widths=(4,), local_reparameterization=True, n_samples_eval=4)
        >>> p = fam.init(jax.random.PRNGKey(0), split)
        >>> b = Batch(jnp.asarray(split.x_train), jnp.asarray(split.y_train))
        >>> err, prob = fam.error_and_prediction(p, b, b)
        >>> bool(jnp.allclose(err, fam.error(p, b, b)))
        True
        >>> bool(jnp.allclose(prob, fam.predict(p, b.x, b)))
        True
        """
        if not self.local_reparameterization:
            return super().error_and_prediction(params, batch, train)
        if draws is None:
            draws = self.fixed_draws(batch.x.shape[0], batch.x.dtype)
        logits = self._local_logits_draw_by_draw(params, batch.x, draws)
        errors = jax.vmap(lambda lg: -jnp.mean(dist.Categorical(logits=lg).log_prob(batch.y)))(
            logits)
        return jnp.mean(errors), jnp.mean(jax.nn.softmax(logits, axis=-1), axis=0)

    def predict(self, params: Params, x: jax.Array, train: Batch) -> jax.Array:
        """Posterior-predictive class probabilities ``(n, C)`` over the fixed eval draws."""

        def one(k: jax.Array) -> jax.Array:
            return jax.nn.softmax(self.logits(params, x, k), axis=-1)

        return jnp.mean(jax.vmap(one)(self._keys(None)), axis=0)
