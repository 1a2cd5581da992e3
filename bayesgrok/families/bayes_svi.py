"""Mean-field variational Bayesian models (SVI) as JAX families (REFERENCE A6).

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
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro import handlers
from numpyro.distributions.kl import kl_divergence

from bayesgrok.families.bayes_models import (
    LIKELIHOODS,
    Shapes,
    bayesian_linear,
    bayesian_mlp,
    linear_output,
    linear_shapes,
    mlp_logits,
    mlp_shapes,
)
from bayesgrok.search.contract import Batch, JaxFamily
from bayesgrok.tasks.split import Split

__all__ = ["BayesLinearSVI", "BayesMLPSVI", "inverse_softplus", "mean_field_guide"]

Params = dict[str, dict[str, jax.Array]]


def inverse_softplus(s: float) -> float:
    """The ``rho`` with ``softplus(rho) = s`` (``s > 0``).

    Examples
    --------
    >>> import jax
    >>> round(float(jax.nn.softplus(inverse_softplus(0.01))), 6)
    0.01
    """
    return float(math.log(math.expm1(s)))


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


class _MeanFieldSVI(JaxFamily):
    """The shared machinery: guide, draws, Monte Carlo error, closed-form KL, probes."""

    stochastic = True
    precision = "float32"
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

    def config(self) -> dict[str, Any]:
        """Hyperparameters recorded in the trajectory."""
        return {
            "complexity_weight": self.complexity_weight,
            "prior_scale": self.prior_scale,
            "sigma_init": self.sigma_init,
            "init_std": self.init_std,
            "n_samples_eval": self.n_samples_eval,
            "n_samples_train": self.n_samples_train,
            "eval_seed": self.eval_seed,
            "std_parametrization": self.std_parametrization,
            "init_means": self.init_means,
        }


class BayesMLPSVI(_MeanFieldSVI):
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

    def local_logits(self, params: Params, x: jax.Array, key: jax.Array) -> jax.Array:
        """Logits ``(n, C)`` by the local reparameterisation trick (Kingma et al., 2015).

        Each layer's pre-activations are drawn directly, independently per example and
        unit: ``z ~ N(h @ m_w + m_b, h^2 @ s_w^2 + s_b^2)``, the exact distribution of
        ``h @ w + b`` for independent Gaussian weights; ReLU between layers, none after
        the last.

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
            z = mean + jnp.sqrt(var) * jax.random.normal(keys[i], mean.shape, mean.dtype)
            h = jax.nn.relu(z) if i < n_layers - 1 else z
        return h

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

    def predict(self, params: Params, x: jax.Array, train: Batch) -> jax.Array:
        """Posterior-predictive class probabilities ``(n, C)`` over the fixed eval draws."""

        def one(k: jax.Array) -> jax.Array:
            return jax.nn.softmax(self.logits(params, x, k), axis=-1)

        return jnp.mean(jax.vmap(one)(self._keys(None)), axis=0)

    def config(self) -> dict[str, Any]:
        """Hyperparameters recorded in the trajectory."""
        return {**super().config(), "widths": list(self.widths), "n_classes": self.n_classes,
                "local_reparameterization": self.local_reparameterization}


class BayesLinearSVI(_MeanFieldSVI):
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

    def config(self) -> dict[str, Any]:
        """Hyperparameters recorded in the trajectory."""
        return {
            **super().config(),
            "likelihood": self.likelihood,
            "n_classes": self.n_classes,
            "noise_scale": self.noise_scale,
            "bias": self.bias,
            "initial_means": None if self.initial_means is None else list(self.initial_means),
        }
