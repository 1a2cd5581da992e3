"""Mean-field variational Bayesian models (SVI) as JAX families: the shared machinery
(REFERENCE A6). The families are :class:`~bayesgrok.families.bayes_svi.BayesMLPSVI` and
:class:`~bayesgrok.families.bayes_linear_svi.BayesLinearSVI`.

The posterior over every weight and bias of a NumPyro model of
:mod:`bayesgrok.families.bayes_models` is approximated by a mean-field Gaussian guide
``q(w) = prod_j N(w_j | m_j, s_j^2)`` and the search minimises ``-ELBO / N``:

* error = ``-E_q[log p(y | w)] / n`` over a batch of ``n`` points: a Monte Carlo estimate
  with reparameterised draws ``w = m + s * eps`` from the guide, the log-likelihood read
  off the NumPyro model's observed site (``handlers.substitute`` + ``handlers.trace``).
  During training the engine passes a fresh key at every step and one draw is used
  (``n_samples_train``); when measuring (no key) ``n_samples_eval`` draws from a fixed
  key are used, so that logged values are deterministic;
* complexity = ``KL(q || p) / N_train`` in closed form (``numpyro.distributions.kl``
  between the guide's and the prior's Normals, summed over all weights).

The parameters are a dict ``{"loc": {site: m}, "rho": {site: rho}}`` with one array per
NumPyro sample site (``w0, b0, w1, ...``). Standard deviations are ``s = softplus(rho)``
(Blundell et al.'s "Bayes by Backprop" parametrisation): ``rho`` is unconstrained, ``s``
stays positive, and near ``s = 0.01`` a step in ``rho`` moves ``s`` by about ``s`` times the
step (as ``exp`` would). The means start from ``N(0, sigma_init^2)`` (drawn with the seed),
the standard deviations at ``init_std``. Predictions are posterior-predictive class
probabilities averaged over ``n_samples_eval`` draws from the fixed key; accuracy is then
the argmax of that average.

Every family also exposes ``numpyro_model(x, y=None)``, so the NUTS engine can sample the
same model's exact posterior, and :meth:`guide`/:meth:`param_map`, a NumPyro guide that
is this family's variational distribution (for ``numpyro.infer.Trace_ELBO`` and checks).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro import handlers
from numpyro.distributions.kl import kl_divergence

from bayesgrok.families.bayes_models import (
    Shapes,
)
from bayesgrok.families.transforms import inverse_softplus
from bayesgrok.search.contract import Batch, JaxFamily
from bayesgrok.tasks.split import Split

__all__ = ["MeanFieldSVI", "inverse_softplus", "mean_field_guide"]

Params = dict[str, dict[str, jax.Array]]


STD_PARAMETRIZATIONS = ("softplus", "log")


def std_transform(parametrization: str) -> Callable[[jax.Array], jax.Array]:
    """The map from the unconstrained ``rho`` to a standard deviation.

    ``"softplus"``: ``softplus(rho)`` (Bayes by Backprop); ``"log"``: ``exp(rho)`` (the
    published A6 code's ``q_log_std``).

    Examples
    --------
    >>> round(float(std_transform("log")(jnp.log(0.01))), 6)
    0.01
    """
    if parametrization not in STD_PARAMETRIZATIONS:
        raise ValueError(f"std_parametrization must be 'softplus' or 'log', got "
                         f"{parametrization!r}")
    return jax.nn.softplus if parametrization == "softplus" else jnp.exp


def mean_field_guide(shapes: Shapes, std_parametrization: str = "softplus") -> Callable[..., None]:
    """A NumPyro mean-field Gaussian guide over the sites ``shapes``.

    Each site ``name`` gets the params ``name_loc`` (init 0) and ``name_rho`` (init: a
    standard deviation of 0.01) and is drawn from ``Normal(loc, std(rho))`` with its
    entries as event dimensions, like the prior sites of the models; ``std`` is
    :func:`std_transform` of ``std_parametrization``. The guide takes (and ignores) the
    model's arguments.

    Examples
    --------
    >>> from numpyro import handlers
    >>> tr = handlers.trace(handlers.seed(mean_field_guide({"w0": (3,)}), 0)).get_trace()
    >>> sorted(tr), tr["w0"]["value"].shape
    (['w0', 'w0_loc', 'w0_rho'], (3,))
    """
    transform = std_transform(std_parametrization)
    rho0 = inverse_softplus(0.01) if std_parametrization == "softplus" else math.log(0.01)

    def guide(*args: Any, **kwargs: Any) -> None:
        for name, shape in shapes.items():
            loc = numpyro.param(f"{name}_loc", jnp.zeros(shape))
            rho = numpyro.param(f"{name}_rho", jnp.full(shape, rho0))
            q = dist.Normal(loc, transform(rho)).to_event(len(shape))
            numpyro.sample(name, q)

    return guide


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive number, got {value}")
    return value


def _count(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or int(value) != value or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class MeanFieldSVI(JaxFamily):
    """The shared machinery: guide, draws, Monte Carlo error, closed-form KL, probes."""

    stochastic = True
    precision = "float32"
    initial_values = ("sigma_init", "init_std", "init_means")
    draws_posterior = True
    samplable = True
    objective_note = (
        "error = Monte Carlo -E_q[log p(y|w)] per point (1 reparameterised draw per training "
        "step, n_samples_eval draws from a fixed key when measured); complexity = "
        "KL(q||p) / N_train in closed form; error + complexity = -ELBO / N"
    )

    def __init__(
        self,
        complexity_weight: float,
        prior_scale: float,
        sigma_init: float,
        init_std: float,
        n_samples_eval: int,
        n_samples_train: int,
        eval_seed: int,
        std_parametrization: str = "softplus",
        init_means: str = "jax",
    ) -> None:
        super().__init__(complexity_weight)
        std_transform(std_parametrization)  # checks the name
        if init_means not in ("jax", "torch"):
            raise ValueError(f"init_means must be 'jax' or 'torch', got {init_means!r}")
        self.std_parametrization = std_parametrization
        self.init_means = init_means
        if not (self.complexity_weight >= 0 and math.isfinite(self.complexity_weight)):
            raise ValueError(f"complexity_weight must be >= 0, got {complexity_weight}")
        self.prior_scale = _positive("prior_scale", prior_scale)
        self.sigma_init = float(sigma_init)
        if not (self.sigma_init >= 0 and math.isfinite(self.sigma_init)):
            raise ValueError(f"sigma_init must be >= 0, got {sigma_init}")
        self.init_std = _positive("init_std", init_std)
        self.n_samples_eval = _count("n_samples_eval", n_samples_eval, 1)
        self.n_samples_train = _count("n_samples_train", n_samples_train, 1)
        self.eval_seed = _count("eval_seed", eval_seed, 0)

    # -- subclass hooks ------------------------------------------------------------------
    def shapes(self, d_in: int) -> Shapes:  # pragma: no cover - abstract
        """Site name to shape for ``d_in`` inputs."""
        raise NotImplementedError

    def numpyro_model(  # pragma: no cover - abstract
        self, x: jax.Array, y: jax.Array | None = None, n_total: int | None = None
    ) -> None:
        """The NumPyro model (observed site ``y``, deterministic ``prediction``)."""
        raise NotImplementedError

    def _check_split(self, split: Split) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _initial_means(self, key: jax.Array, shapes: Shapes) -> dict[str, jax.Array]:
        keys = jax.random.split(key, len(shapes))
        return {
            name: self.sigma_init * jax.random.normal(k, shape, dtype=jnp.float32)
            for k, (name, shape) in zip(keys, shapes.items(), strict=True)
        }

    # -- the variational distribution ----------------------------------------------------
    def _torch_means(self, seed: int, shapes: Shapes) -> dict[str, jax.Array]:
        raise ValueError(f"family {self.name!r} has no torch initialisation; use "
                         "init_means = 'jax'")

    def init(self, key: jax.Array, split: Split) -> Params:
        """Means ``~ N(0, sigma_init^2)`` drawn with ``key`` (or, with ``init_means =
        "torch"``, with torch's generator seeded by the split's seed); stds at ``init_std``."""
        self._check_split(split)
        shapes = self.shapes(split.n_features)
        if self.std_parametrization == "softplus":
            rho = inverse_softplus(self.init_std)
        else:
            rho = math.log(self.init_std)
        means = (self._torch_means(split.seed, shapes) if self.init_means == "torch"
                 else self._initial_means(key, shapes))
        return {
            "loc": means,
            "rho": {n: jnp.full(s, rho, dtype=jnp.float32) for n, s in shapes.items()},
        }

    def std(self, params: Params) -> dict[str, jax.Array]:
        """The guide's standard deviations, ``softplus(rho)`` or ``exp(rho)`` per site."""
        transform = std_transform(self.std_parametrization)
        return {k: transform(v) for k, v in params["rho"].items()}

    @staticmethod
    def param_map(params: Params) -> dict[str, jax.Array]:
        """``params`` as the values of :meth:`guide`'s param sites (``w0_loc``, ``w0_rho``...)."""
        out = {f"{k}_loc": v for k, v in params["loc"].items()}
        out.update({f"{k}_rho": v for k, v in params["rho"].items()})
        return out

    def guide_for(self, params: Params) -> Callable[..., None]:
        """The NumPyro guide whose sites have the shapes of ``params``.

        Sites come in sorted name order (``b0, b1, ..., w0, w1, ...``) whatever the
        order of the dict: the seed handler splits its key site by site, and JAX returns
        dicts from transformations with sorted keys, so this keeps draws from a key the
        same inside and outside ``jit``.
        """
        loc = params["loc"]
        return mean_field_guide({k: tuple(loc[k].shape) for k in sorted(loc)},
                                self.std_parametrization)

    def draw(self, params: Params, key: jax.Array) -> dict[str, jax.Array]:
        """One reparameterised draw of every weight from the guide (NumPyro's sampler)."""
        guide = handlers.substitute(self.guide_for(params), data=self.param_map(params))
        trace = handlers.trace(handlers.seed(guide, rng_seed=key)).get_trace()
        return {name: trace[name]["value"] for name in params["loc"]}

    def posterior_draws(self, params: Params, key: jax.Array, n: int) -> dict[str, jax.Array]:
        """``n`` draws of every site from the guide: ``{site: (n, *shape)}``.

        The engine turns them into ArviZ InferenceData at a search's snapshot steps.

        Examples
        --------
        >>> from bayesgrok.families.bayes_linear_svi import BayesLinearSVI
        >>> from bayesgrok.tasks import make_task
        >>> fam = BayesLinearSVI(likelihood="gaussian", bias=False)
        >>> params = fam.init(jax.random.PRNGKey(0), make_task("linear_sign", seed=0))
        >>> fam.posterior_draws(params, jax.random.PRNGKey(1), 100)["w0"].shape
        (100, 4)
        """
        return jax.vmap(lambda k: self.draw(params, k))(jax.random.split(key, n))

    def _keys(self, key: jax.Array | None) -> jax.Array:
        if key is None:
            return jax.random.split(jax.random.PRNGKey(self.eval_seed), self.n_samples_eval)
        return jax.random.split(key, self.n_samples_train)

    def log_likelihood(self, weights: dict[str, jax.Array], batch: Batch) -> jax.Array:
        """Per-point ``log p(y_i | w)`` ``(n,)``, from the model's observed site ``y``."""
        model = handlers.substitute(self.numpyro_model, data=weights)
        site = handlers.trace(model).get_trace(batch.x, batch.y)["y"]
        return site["fn"].log_prob(site["value"])

    # -- the contract --------------------------------------------------------------------
    def error(
        self, params: Params, batch: Batch, train: Batch, key: jax.Array | None = None
    ) -> jax.Array:
        """``-E_q[log p(y | w)]`` per point of ``batch`` (Monte Carlo, reparameterised).

        ``n_samples_train`` draws from ``key``; without a key, ``n_samples_eval`` draws
        from the fixed key ``PRNGKey(eval_seed)``. The same key gives the same draws
        whatever the batch, so batch means average exactly to the full-batch value.
        """

        def one(k: jax.Array) -> jax.Array:
            return -jnp.mean(self.log_likelihood(self.draw(params, k), batch))

        return jnp.mean(jax.vmap(one)(self._keys(key)))

    def complexity(self, params: Params, train: Batch) -> jax.Array:
        """``KL(q || p) / N_train``, closed form, summed over every weight and bias."""
        prior = dist.Normal(0.0, self.prior_scale)
        std = self.std(params)
        kl = sum(
            jnp.sum(kl_divergence(dist.Normal(params["loc"][k], std[k]), prior))
            for k in params["loc"]
        )
        return kl / train.x.shape[0]

    def probes(self, params: Params, train: Batch) -> dict[str, tuple[tuple[str, ...], Any]]:
        """``mean_norm``: L2 norm of all guide means; ``mean_std``: mean guide std."""
        locs = jnp.concatenate([jnp.ravel(v) for v in params["loc"].values()])
        stds = jnp.concatenate([jnp.ravel(v) for v in self.std(params).values()])
        return {"mean_norm": ((), jnp.linalg.norm(locs)), "mean_std": ((), jnp.mean(stds))}
