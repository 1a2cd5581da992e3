"""Exact GP regression with GPJax (REFERENCE A5).

Constant mean, scaled RBF kernel, Gaussian likelihood with trainable noise; the
hyperparameters are searched in log space. With ``Sigma = K + noise I`` over ``N`` points
and ``r = y - m``, per data point:

* error = ``1/2 r^T Sigma^-1 r / N`` (the data fit),
* complexity = ``1/2 log|Sigma| / N``,

so that ``error + complexity + 1/2 log(2 pi)`` is GPJax's negative log marginal likelihood
divided by ``N``. Both terms are read off GPJax's own exact posterior (its Cholesky factor,
residual and representer weights), jitter included.
"""

from __future__ import annotations

import math
from typing import Any

import gpjax as gpx
import jax
import jax.numpy as jnp

from bayesgrok.families.gp_kernels import rbf_kernel
from bayesgrok.search.contract import Batch, JaxFamily
from bayesgrok.tasks.split import Split

LOG_SOFTPLUS_0 = math.log(math.log(2.0))  # log(0.693...), GPyTorch's default hyperparameters


class GPRegression(JaxFamily):
    """Exact GP regression: error = data fit, complexity = ``1/2 log|K|``, both per point.

    Parameters
    ----------
    complexity_weight
        Weight of the complexity term in the objective (0 gives the ablation).
    initial_log_lengthscale, initial_log_outputscale, initial_log_noise
        Starting point in log space (noise is the likelihood's variance); by default all
        three start at ``log(0.693)``, GPyTorch's ``softplus(0)``.
    initial_mean
        Starting value of the constant mean.
    learn_mean, learn_noise
        Whether the constant mean and the noise are trained (else held at their start).
    jitter
        Added to the diagonal before the Cholesky factorisation.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("noisy_sine", seed=42)
    >>> fam = GPRegression()
    >>> with jax.enable_x64(True):
    ...     p = fam.init(jax.random.PRNGKey(0), split)
    ...     train = Batch(jnp.asarray(split.x_train), jnp.asarray(split.y_train))
    ...     total = fam.error(p, train, train) + fam.complexity(p, train)
    ...     nlml = float(total + 0.5 * jnp.log(2 * jnp.pi))  # -log p(y) / N
    >>> round(nlml, 4)
    0.8731
    """

    name = "gp_regression"
    precision = "float64"
    coordinates = ("log_lengthscale", "log_outputscale", "log_noise", "mean")

    def __init__(
        self,
        complexity_weight: float = 1.0,
        initial_log_lengthscale: float = LOG_SOFTPLUS_0,
        initial_log_outputscale: float = LOG_SOFTPLUS_0,
        initial_log_noise: float = LOG_SOFTPLUS_0,
        initial_mean: float = 0.0,
        learn_mean: bool = True,
        learn_noise: bool = True,
        jitter: float = 1e-6,
    ) -> None:
        super().__init__(complexity_weight)
        if jitter < 0:
            raise ValueError(f"jitter must be >= 0, got {jitter}")
        self.initial = {
            "log_lengthscale": float(initial_log_lengthscale),
            "log_outputscale": float(initial_log_outputscale),
            "log_noise": float(initial_log_noise),
            "mean": float(initial_mean),
        }
        self.learn_mean = bool(learn_mean)
        self.learn_noise = bool(learn_noise)
        self.jitter = float(jitter)

    # -- the GPJax model -------------------------------------------------------------
    def _posterior(self, params: dict[str, jax.Array]) -> Any:
        fixed = jax.lax.stop_gradient
        mean = params["mean"] if self.learn_mean else fixed(params["mean"])
        log_noise = params["log_noise"] if self.learn_noise else fixed(params["log_noise"])
        kernel = rbf_kernel(
            jnp.exp(params["log_lengthscale"]), jnp.exp(params["log_outputscale"])
        )
        prior = gpx.gps.Prior(
            mean_function=gpx.mean_functions.Constant(mean), kernel=kernel, jitter=self.jitter
        )
        likelihood = gpx.likelihoods.Gaussian(obs_stddev=jnp.exp(0.5 * log_noise))
        return prior * likelihood

    def condition(self, params: dict[str, jax.Array], data: Batch) -> Any:
        """GPJax's exact posterior conditioned on ``data``.

        Examples
        --------
        >>> import jax, jax.numpy as jnp
        >>> fam = GPRegression()
        >>> with jax.enable_x64(True):
        ...     p = fam.init(None, None)
        ...     post = fam.condition(p, Batch(jnp.zeros((3, 1)), jnp.zeros(3)))
        >>> post.cholesky_factor.shape
        (3, 3)
        """
        dataset = gpx.Dataset(X=data.x, y=data.y[:, None])
        return self._posterior(params).condition(dataset)

    # -- the contract ----------------------------------------------------------------
    def init(self, key: jax.Array | None, split: Split | None) -> dict[str, jax.Array]:
        """The starting hyperparameters (deterministic: the key is not used)."""
        return {k: jnp.asarray(v) for k, v in self.initial.items()}

    def error(self, params: dict[str, jax.Array], batch: Batch, train: Batch) -> jax.Array:
        """``1/2 r^T (K + noise I)^-1 r / N`` over ``batch``."""
        post = self.condition(params, batch)
        return 0.5 * jnp.sum(post.residual * post.representer_weights) / batch.x.shape[0]

    def complexity(self, params: dict[str, jax.Array], train: Batch) -> jax.Array:
        """``1/2 log|K + noise I| / N`` over the training inputs."""
        post = self.condition(params, train)
        return jnp.sum(jnp.log(jnp.diagonal(post.cholesky_factor))) / train.x.shape[0]

    def predict(self, params: dict[str, jax.Array], x: jax.Array, train: Batch) -> jax.Array:
        """The posterior predictive mean at ``x``, conditioned on the training set."""
        return self.condition(params, train)(x, covariance="diagonal").mean

    def probes(
        self, params: dict[str, jax.Array], train: Batch
    ) -> dict[str, tuple[tuple[str, ...], Any]]:
        """The log-space coordinates, and the lengthscale and its inverse per input dim."""
        d = train.x.shape[-1]
        lengthscale = jnp.full((d,), jnp.exp(params["log_lengthscale"]))
        out: dict[str, tuple[tuple[str, ...], Any]] = {
            name: ((), params[name]) for name in self.coordinates
        }
        out["lengthscale"] = (("input_dim",), lengthscale)
        out["inverse_lengthscale"] = (("input_dim",), 1.0 / lengthscale)
        return out

    def config(self) -> dict[str, Any]:
        """Hyperparameters recorded in the trajectory."""
        return {
            "complexity_weight": self.complexity_weight,
            **{f"initial_{k}": v for k, v in self.initial.items()},
            "learn_mean": self.learn_mean,
            "learn_noise": self.learn_noise,
            "jitter": self.jitter,
        }
