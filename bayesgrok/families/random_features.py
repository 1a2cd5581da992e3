"""Random Fourier features regression: the worked example of the guide's "Adding a
family", one module plus one line in :data:`bayesgrok.families.FAMILIES`.

The model is ``f(x) = phi(x) @ w`` with ``n_features`` random Fourier features of an RBF
kernel of lengthscale ``l`` (Rahimi and Recht, 2007),
``phi(x) = sqrt(2 / m) cos(x @ W / l + b)``, ``W ~ N(0, I)``, ``b ~ U(0, 2 pi)``, drawn once
with the seed. The features are **frozen** (:meth:`RandomFeatures.frozen`): the search
trains only the output weights ``w``, which start at 0. Per training point:

* error = ``mean((f(x) - y)^2)`` over a batch;
* complexity = ``sum(w^2) / n_train``, the ridge penalty (the squared norm of ``f`` in the
  random-feature approximation of the kernel's RKHS).

It is a regression family: ``predict`` returns the mean ``(n,)``, and a study of it gives
``[analysis] mse_threshold`` (as GP regression does).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from bayesgrok.search.contract import Batch, JaxFamily
from bayesgrok.tasks.split import Split

Params = dict[str, jax.Array]


class RandomFeatures(JaxFamily):
    """Ridge regression on frozen random Fourier features.

    Parameters
    ----------
    complexity_weight
        Weight of the ridge penalty in the objective (0 gives the ablation).
    n_features
        Number of random features ``m``.
    lengthscale
        Lengthscale ``l`` of the RBF kernel the features approximate.

    Examples
    --------
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("noisy_sine", seed=0)
    >>> fam = RandomFeatures(n_features=16)
    >>> params = fam.init(jax.random.PRNGKey(0), split)
    >>> params["w"].shape, params["W"].shape, fam.frozen(params)
    ((16,), (1, 16), {'W': True, 'b': True, 'w': False})
    """

    name = "random_features"

    def __init__(self, complexity_weight: float = 1.0, n_features: int = 200,
                 lengthscale: float = 1.0) -> None:
        super().__init__(complexity_weight)
        if isinstance(n_features, bool) or int(n_features) != n_features or n_features < 1:
            raise ValueError(f"n_features must be an integer >= 1, got {n_features!r}")
        if not (float(lengthscale) > 0 and math.isfinite(float(lengthscale))):
            raise ValueError(f"lengthscale must be a positive number, got {lengthscale!r}")
        self.n_features = int(n_features)
        self.lengthscale = float(lengthscale)

    def init(self, key: jax.Array, split: Split) -> Params:
        """Features drawn with ``key``; output weights at 0."""
        k_w, k_b = jax.random.split(key)
        d = split.x_train.shape[1]
        return {
            "W": jax.random.normal(k_w, (d, self.n_features)),
            "b": jax.random.uniform(k_b, (self.n_features,), maxval=2 * math.pi),
            "w": jnp.zeros(self.n_features),
        }

    def frozen(self, params: Params) -> dict[str, bool]:
        """The features ``W`` and ``b`` are frozen; only ``w`` is trained."""
        return {"W": True, "b": True, "w": False}

    def features(self, params: Params, x: jax.Array) -> jax.Array:
        """``phi(x)``, shape ``(n, m)``."""
        scale = jnp.sqrt(2.0 / self.n_features)
        return scale * jnp.cos(x @ params["W"] / self.lengthscale + params["b"])

    def predict(self, params: Params, x: jax.Array, train: Batch) -> jax.Array:
        """The regression mean ``phi(x) @ w``."""
        return self.features(params, x) @ params["w"]

    def error(self, params: Params, batch: Batch, train: Batch) -> jax.Array:
        """Mean squared error over ``batch``."""
        return jnp.mean((self.predict(params, batch.x, train) - batch.y) ** 2)

    def complexity(self, params: Params, train: Batch) -> jax.Array:
        """``sum(w^2) / n_train``."""
        return jnp.sum(params["w"] ** 2) / train.y.shape[0]
