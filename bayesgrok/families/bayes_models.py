"""Plain NumPyro models of Bayesian linear models and Bayesian neural networks (REFERENCE A6).

The models are written once and shared by every search that needs them: the variational
(SVI) families of :mod:`bayesgrok.families.bayes_svi` and the NUTS engine
(:mod:`bayesgrok.search.nuts_engine`). Their conventions:

* latent sites are named ``w0, b0, w1, b1, ...`` (layer ``i``'s weights ``(d_in, d_out)``
  and biases ``(d_out,)``), each with the Gaussian prior ``N(0, prior_scale^2)`` on every
  entry (one site per array, its entries as event dimensions);
* the observed site is ``"y"``, inside ``numpyro.plate("data", n)``;
* ``numpyro.deterministic("prediction", ...)`` records class probabilities ``(n, C)`` (or
  the regression mean ``(n,)``), as the NUTS engine expects;
* ``n_total`` scales the likelihood of a minibatch to a training set of ``n_total`` points
  (``numpyro.handlers.scale`` by ``n_total / n``), so that an ELBO on a minibatch is an
  unbiased estimate of the full-data ELBO. Left at ``None`` the batch is the whole data.

The deterministic maps from a dict of weights to outputs (:func:`mlp_logits`,
:func:`linear_output`) are the ones the models use, so predictions made outside NumPyro
agree with them exactly; :func:`mlp_shapes` and :func:`linear_shapes` give the site
shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro import handlers

__all__ = [
    "LIKELIHOODS",
    "bayesian_linear",
    "bayesian_mlp",
    "linear_output",
    "linear_shapes",
    "mlp_logits",
    "mlp_shapes",
]

LIKELIHOODS = ("gaussian", "bernoulli", "categorical")
"""The likelihoods of :func:`bayesian_linear`."""

Weights = Mapping[str, Any]
Shapes = dict[str, tuple[int, ...]]


# -- site shapes --------------------------------------------------------------------------
def mlp_shapes(d_in: int, widths: Sequence[int], n_classes: int) -> Shapes:
    """Site name to shape for an MLP ``d_in -> widths... -> n_classes``.

    Examples
    --------
    >>> mlp_shapes(30, (200,), 2)
    {'w0': (30, 200), 'b0': (200,), 'w1': (200, 2), 'b1': (2,)}
    """
    sizes = [int(d_in), *(int(w) for w in widths), int(n_classes)]
    shapes: Shapes = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        shapes[f"w{i}"] = (a, b)
        shapes[f"b{i}"] = (b,)
    return shapes


def linear_shapes(
    d_in: int, likelihood: str = "gaussian", n_classes: int | None = None, bias: bool = True
) -> Shapes:
    """Site name to shape for :func:`bayesian_linear`.

    A Gaussian or Bernoulli model has one output (``w0`` of shape ``(d_in,)``); a
    categorical model has ``n_classes`` (``w0`` of shape ``(d_in, n_classes)``).

    Examples
    --------
    >>> linear_shapes(4, "gaussian", bias=False)
    {'w0': (4,)}
    >>> linear_shapes(4, "categorical", n_classes=3)
    {'w0': (4, 3), 'b0': (3,)}
    """
    _check_likelihood(likelihood, n_classes)
    out: tuple[int, ...] = (int(n_classes),) if likelihood == "categorical" else ()  # type: ignore[arg-type]
    shapes: Shapes = {"w0": (int(d_in), *out)}
    if bias:
        shapes["b0"] = out
    return shapes


# -- deterministic outputs ----------------------------------------------------------------
def mlp_logits(weights: Weights, x: jax.Array) -> jax.Array:
    """Logits ``(n, C)`` of the MLP with ``weights`` (``w0, b0, w1, b1, ...``) at ``x``.

    Hidden layers are ``relu(h @ w_i + b_i)``; the last layer is linear.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> w = {"w0": jnp.ones((3, 4)), "b0": jnp.zeros(4), "w1": jnp.ones((4, 2)),
    ...      "b1": jnp.array([0.0, 1.0])}
    >>> mlp_logits(w, jnp.ones((1, 3))).tolist()
    [[12.0, 13.0]]
    """
    n_layers = _n_layers(weights)
    h = x
    for i in range(n_layers):
        h = h @ weights[f"w{i}"] + weights[f"b{i}"]
        if i < n_layers - 1:
            h = jax.nn.relu(h)
    return h


def linear_output(weights: Weights, x: jax.Array) -> jax.Array:
    """``x @ w0 (+ b0)``: the mean (Gaussian), logit (Bernoulli) or logits (categorical).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> linear_output({"w0": jnp.array([1.0, 2.0]), "b0": jnp.array(0.5)},
    ...               jnp.array([[1.0, 1.0]])).tolist()
    [3.5]
    """
    out = x @ weights["w0"]
    if "b0" in weights:
        out = out + weights["b0"]
    return out


# -- the models ---------------------------------------------------------------------------
def bayesian_linear(
    x: jax.Array,
    y: jax.Array | None = None,
    *,
    likelihood: str = "gaussian",
    n_classes: int | None = None,
    prior_scale: float = 1.0,
    noise_scale: float = 1.0,
    bias: bool = True,
    n_total: int | None = None,
) -> None:
    """A Bayesian linear model: regression, logistic or softmax regression.

    ``w0`` (and ``b0`` when ``bias``) have prior ``N(0, prior_scale^2)`` on every entry;
    ``y ~ Normal(x @ w0 + b0, noise_scale)`` (``"gaussian"``),
    ``Bernoulli(logits=x @ w0 + b0)`` (``"bernoulli"``, labels in {0, 1}) or
    ``Categorical(logits=x @ w0 + b0)`` (``"categorical"``, ``n_classes`` classes).

    Parameters
    ----------
    x
        Inputs ``(n, d)``.
    y
        Targets ``(n,)``, observed when given.
    likelihood, n_classes, prior_scale, noise_scale, bias
        The model (``noise_scale`` is used by the Gaussian likelihood only).
    n_total
        Size of the full training set when ``x`` is a minibatch of it: the likelihood is
        then scaled by ``n_total / n``.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from numpyro import handlers
    >>> x = jnp.ones((5, 3))
    >>> tr = handlers.trace(handlers.seed(bayesian_linear, 0)).get_trace(
    ...     x, likelihood="categorical", n_classes=4)
    >>> tr["w0"]["value"].shape, tr["y"]["value"].shape, tr["prediction"]["value"].shape
    ((3, 4), (5,), (5, 4))
    """
    shapes = linear_shapes(x.shape[-1], likelihood, n_classes, bias)
    weights = {name: _prior_site(name, shape, prior_scale) for name, shape in shapes.items()}
    out = linear_output(weights, x)
    if likelihood == "gaussian":
        numpyro.deterministic("prediction", out)
        obs_dist: dist.Distribution = dist.Normal(out, noise_scale)
    elif likelihood == "bernoulli":
        p = jax.nn.sigmoid(out)
        numpyro.deterministic("prediction", jnp.stack([1.0 - p, p], axis=-1))
        obs_dist = dist.Bernoulli(logits=out)
    else:
        numpyro.deterministic("prediction", jax.nn.softmax(out, axis=-1))
        obs_dist = dist.Categorical(logits=out)
    _observe(obs_dist, y, x.shape[0], n_total)


def bayesian_mlp(
    x: jax.Array,
    y: jax.Array | None = None,
    *,
    widths: Sequence[int] = (200,),
    n_classes: int = 2,
    prior_scale: float = 1.0,
    n_total: int | None = None,
) -> None:
    """A Bayesian MLP classifier: ReLU hidden layers, categorical likelihood on the logits.

    Every weight and bias has the prior ``N(0, prior_scale^2)``; REFERENCE A6 is
    ``widths=(200,)``, ``n_classes=2``, ``prior_scale=1`` on 30 inputs.

    Parameters
    ----------
    x
        Inputs ``(n, d)``.
    y
        Integer labels ``(n,)`` in ``0 .. n_classes - 1``, observed when given.
    widths
        Hidden layer widths.
    n_classes
        Number of classes (outputs).
    prior_scale
        Standard deviation of the prior on every weight and bias.
    n_total
        Size of the full training set when ``x`` is a minibatch of it: the likelihood is
        then scaled by ``n_total / n``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from numpyro import handlers
    >>> tr = handlers.trace(handlers.seed(bayesian_mlp, 0)).get_trace(
    ...     jnp.ones((5, 30)), widths=(8,))
    >>> [(k, tr[k]["value"].shape) for k in ("w0", "b0", "w1", "b1", "y")]
    [('w0', (30, 8)), ('b0', (8,)), ('w1', (8, 2)), ('b1', (2,)), ('y', (5,))]
    """
    shapes = mlp_shapes(x.shape[-1], widths, n_classes)
    weights = {name: _prior_site(name, shape, prior_scale) for name, shape in shapes.items()}
    logits = mlp_logits(weights, x)
    numpyro.deterministic("prediction", jax.nn.softmax(logits, axis=-1))
    _observe(dist.Categorical(logits=logits), y, x.shape[0], n_total)


# -- helpers ------------------------------------------------------------------------------
def _prior_site(name: str, shape: tuple[int, ...], prior_scale: float) -> jax.Array:
    prior = dist.Normal(0.0, prior_scale).expand(shape).to_event(len(shape))
    return numpyro.sample(name, prior)


def _observe(
    obs_dist: dist.Distribution, y: jax.Array | None, n: int, n_total: int | None
) -> None:
    """The observed site ``y`` in the ``data`` plate, scaled to ``n_total`` points."""
    scale = 1.0 if n_total is None else float(n_total) / n
    with numpyro.plate("data", n), handlers.scale(scale=scale):
        numpyro.sample("y", obs_dist, obs=y)


def _n_layers(weights: Weights) -> int:
    n = 0
    while f"w{n}" in weights:
        n += 1
    if n == 0:
        raise ValueError("weights have no site 'w0'")
    return n


def _check_likelihood(likelihood: str, n_classes: int | None) -> None:
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {', '.join(LIKELIHOODS)}, not {likelihood!r}")
    if likelihood == "categorical" and (n_classes is None or int(n_classes) < 2):
        raise ValueError(f"n_classes must be >= 2 for a categorical likelihood, got {n_classes}")
