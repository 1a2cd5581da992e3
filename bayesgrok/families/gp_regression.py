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
from typing import Any, Literal

import gpjax as gpx
import jax
import jax.numpy as jnp

from bayesgrok.families.gp_kernels import rbf_kernel
from bayesgrok.families.transforms import inverse_softplus
from bayesgrok.search.contract import Batch, JaxFamily
from bayesgrok.tasks.split import Split

LOG_SOFTPLUS_0 = math.log(math.log(2.0))  # log(0.693...), GPyTorch's default hyperparameters
GPYTORCH_NOISE_FLOOR = 1e-4
"""The lower bound of GPyTorch's ``GaussianLikelihood`` noise (``GreaterThan(1e-4)``)."""


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
    noise_parametrization
        How the noise variance is trained: ``"log"`` (the parameter ``log_noise``, noise
        ``= exp(log_noise) + noise_floor``) or ``"softplus"`` (the parameter ``raw_noise``,
        noise ``= softplus(raw_noise) + noise_floor``: GPyTorch's ``GreaterThan``
        constraint, whose default floor is :data:`GPYTORCH_NOISE_FLOOR`). Either way the
        start is ``exp(initial_log_noise)`` and the probe ``log_noise`` records the log of
        the noise variance in force.
    noise_floor
        Lower bound added to the noise variance (``>= 0``, below the initial noise).

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
    initial_values = (
        "initial_log_lengthscale", "initial_log_outputscale", "initial_log_noise", "initial_mean",
    )
    precision = "float64"
    coordinates = ("log_lengthscale", "log_outputscale", "log_noise", "mean")
    # seeds (and the sweep points of a group) run one after another (jax.lax.map), not
    # vmapped: a group of 7 or 9 of the cross-family study's starts x 3 seeds, vmapped,
    # deadlocked jaxlib 0.10's CPU runtime in batched Cholesky solves (2026-12-06), as the
    # GP classifier did (see bayesgrok.search.jax_program.over_seeds)
    vectorize_seeds = False

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
        noise_parametrization: Literal["log", "softplus"] = "log",
        noise_floor: float = 0.0,
    ) -> None:
        super().__init__(complexity_weight)
        if jitter < 0:
            raise ValueError(f"jitter must be >= 0, got {jitter}")
        if noise_parametrization not in ("log", "softplus"):
            raise ValueError("noise_parametrization must be 'log' or 'softplus', got "
                             f"{noise_parametrization!r}")
        noise_floor = float(noise_floor)
        if not (noise_floor >= 0 and math.exp(initial_log_noise) > noise_floor):
            raise ValueError(f"noise_floor must be >= 0 and below the initial noise "
                             f"{math.exp(initial_log_noise):.6g}, got {noise_floor!r}")
        self.noise_parametrization = noise_parametrization
        self.noise_floor = noise_floor
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
    @property
    def _noise_key(self) -> str:
        return "raw_noise" if self.noise_parametrization == "softplus" else "log_noise"

    def noise(self, params: dict[str, jax.Array]) -> jax.Array:
        """The noise variance in force: ``exp`` or ``softplus`` of its parameter, plus the floor.

        Examples
        --------
        >>> fam = GPRegression(noise_parametrization="softplus", noise_floor=1e-4,
        ...                    initial_log_noise=math.log(math.log(2.0) + 1e-4))
        >>> round(float(fam.noise(fam.init(None, None))), 6), fam.init(None, None)["raw_noise"]
        (0.693247, Array(0., dtype=float32, weak_type=True))
        """
        value = params[self._noise_key]
        if not self.learn_noise:
            value = jax.lax.stop_gradient(value)
        if self.noise_parametrization == "softplus":
            return jax.nn.softplus(value) + self.noise_floor
        return jnp.exp(value) + self.noise_floor

    def _posterior(self, params: dict[str, jax.Array]) -> Any:
        fixed = jax.lax.stop_gradient
        mean = params["mean"] if self.learn_mean else fixed(params["mean"])
        kernel = rbf_kernel(
            jnp.exp(params["log_lengthscale"]), jnp.exp(params["log_outputscale"])
        )
        prior = gpx.gps.Prior(
            mean_function=gpx.mean_functions.Constant(mean), kernel=kernel, jitter=self.jitter
        )
        likelihood = gpx.likelihoods.Gaussian(obs_stddev=jnp.sqrt(self.noise(params)))
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
        values = dict(self.initial)
        if self.noise_parametrization == "softplus":
            start = math.exp(values.pop("log_noise")) - self.noise_floor
            raw = inverse_softplus(start)
            values["raw_noise"] = 0.0 if abs(raw) < 1e-9 else raw
        elif self.noise_floor:
            values["log_noise"] = math.log(math.exp(values["log_noise"]) - self.noise_floor)
        return {k: jnp.asarray(v) for k, v in values.items()}

    def frozen(self, params: dict[str, jax.Array]) -> dict[str, bool]:
        """The noise parameter when ``learn_noise`` is off, the mean when ``learn_mean`` is.

        Examples
        --------
        >>> fam = GPRegression(learn_noise=False)
        >>> fam.frozen(fam.init(None, None))["log_noise"]
        True
        """
        return {name: (name == self._noise_key and not self.learn_noise)
                or (name == "mean" and not self.learn_mean) for name in params}

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
            name: ((), params[name]) for name in self.coordinates if name != "log_noise"
        }
        out["log_noise"] = ((), jnp.log(self.noise(params)))
        out["lengthscale"] = (("input_dim",), lengthscale)
        out["inverse_lengthscale"] = (("input_dim",), 1.0 / lengthscale)
        return out

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (see the contract), the starting values included."""
        return {**super().config(), **{f"initial_{k}": v for k, v in self.initial.items()}}
