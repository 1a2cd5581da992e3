"""Variational GP classification with GPJax (REFERENCE A2, A3).

The model of Miller et al.'s GP classification experiments, as in their GPyTorch code:

* a GP prior with a trainable constant mean and a scaled RBF kernel (one lengthscale per
  input dimension, ARD, by default);
* a Bernoulli likelihood with the probit link (GPJax's :class:`~gpjax.likelihoods.Bernoulli`);
* an unwhitened, full-covariance variational posterior ``q(u) = N(m, L L^T)`` over the
  function values ``u`` at inducing inputs fixed at the training inputs (they are not
  parameters), GPJax's :class:`~gpjax.variational_families.VariationalGaussian`.

Per data point, with ``N`` the number of points:

* error = ``-E_q[log p(y | f)] / N`` over a batch (GPJax's ``variational_expectation``,
  20-point Gauss-Hermite quadrature),
* complexity = ``KL(q(u) || p(u)) / N_train`` (GPJax's ``prior_kl``),

so that on the full training set ``error + complexity`` is GPJax's negative ELBO divided by
``N_train``. The kernel hyperparameters are searched through unconstrained raw values:
``softplus`` (GPyTorch's default, ``value = softplus(raw)``) or ``log`` (``value = exp(raw)``).
As GPyTorch does, ``q(u)`` starts at the prior ``p(u)`` (plus a little noise on the mean),
so the complexity starts near 0.

Two details of GPJax differ from GPyTorch and are kept as GPJax has them: the probit's
output is squeezed into ``[1e-3, 1 - 1e-3]`` (so the error of a point is never below
``-log(0.999) ~ 1.0e-3``), and the predictive variance carries the model's jitter.
"""

from __future__ import annotations

import math
from typing import Any

import equinox as eqx
import gpjax as gpx
import jax
import jax.numpy as jnp
from gpjax.parameters import Real

from bayesgrok.families.gp_classification_checks import SOFTPLUS_0, check_settings
from bayesgrok.families.gp_kernels import rbf_kernel
from bayesgrok.families.transforms import inverse_softplus
from bayesgrok.search.contract import Batch, JaxFamily
from bayesgrok.tasks.split import Split

Params = dict[str, jax.Array]


class GPClassification(JaxFamily):
    """Variational GP classifier: error = expected log-likelihood, complexity = KL, per point.

    Parameters
    ----------
    complexity_weight
        Weight of the KL term in the objective (1 gives the ELBO, 0 the ablation).
    initial_lengthscale
        Starting lengthscale, every dimension (A2: 0.005).
    initial_outputscale
        Starting kernel variance (default ``softplus(0) = 0.693``, GPyTorch's default).
    initial_mean
        Starting value of the constant mean (GPyTorch: 0).
    parametrization
        ``"softplus"`` (the hyperparameter is ``softplus(raw)``, as GPyTorch) or ``"log"``
        (it is ``exp(raw)``); the search moves ``raw``.
    ard
        One lengthscale per input dimension (ARD) or a single one shared by all.
    mean_init_std
        Standard deviation of the noise added to the prior mean to start the variational
        mean (GPyTorch's ``mean_init_std``, 1e-3).
    jitter
        Added to the diagonal of ``K_zz`` before every Cholesky factorisation.

    Notes
    -----
    The parameters are a dict of arrays: ``raw_lengthscale`` (``(d,)``, or ``()`` when
    ``ard`` is false), ``raw_outputscale`` (``()``), ``mean`` (``()``), ``variational_mean``
    (``(n, 1)``) and ``variational_root_covariance`` (``(n, n)``, of which only the lower
    triangle is used: like GPyTorch's Cholesky variational distribution, its diagonal is
    unconstrained). ``n`` is the number of training points, whose inputs are the inducing
    inputs. Run it in float64 (the engine does, as ``precision = "float64"``).

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("zero_one", seed=0)
    >>> fam = GPClassification()
    >>> with jax.enable_x64(True):
    ...     p = fam.init(jax.random.PRNGKey(0), split)
    ...     train = Batch(jnp.asarray(split.x_train), jnp.asarray(split.y_train))
    ...     err, kl = fam.error(p, train, train), fam.complexity(p, train)
    >>> round(float(err), 4), bool(float(kl) < 1e-4)  # q starts at the prior p(u)
    (0.9057, True)
    >>> print(" ".join(sorted(p)))
    mean raw_lengthscale raw_outputscale variational_mean variational_root_covariance
    """

    name = "gp_classification"
    initial_values = (
        "initial_lengthscale", "initial_outputscale", "initial_mean", "mean_init_std",
    )
    precision = "float64"
    # seeds run one after another (jax.lax.map), not vmapped: batched triangular solves
    # on hundreds of inducing points deadlock jaxlib 0.10's CPU thread pool (see
    # bayesgrok.search.jax_program.over_seeds)
    vectorize_seeds = False

    def __init__(
        self,
        complexity_weight: float = 1.0,
        initial_lengthscale: float = 0.005,
        initial_outputscale: float = SOFTPLUS_0,
        initial_mean: float = 0.0,
        parametrization: str = "softplus",
        ard: bool = True,
        mean_init_std: float = 1e-3,
        jitter: float = 1e-6,
    ) -> None:
        super().__init__(complexity_weight)
        check_settings(initial_lengthscale=initial_lengthscale,
                       initial_outputscale=initial_outputscale, initial_mean=initial_mean,
                       parametrization=parametrization, ard=ard, mean_init_std=mean_init_std,
                       jitter=jitter)
        self.initial_lengthscale = float(initial_lengthscale)
        self.initial_outputscale = float(initial_outputscale)
        self.initial_mean = float(initial_mean)
        self.parametrization = parametrization
        self.ard = ard
        self.mean_init_std = float(mean_init_std)
        self.jitter = float(jitter)

    # -- the parametrization ---------------------------------------------------------
    def constrain(self, raw: jax.Array) -> jax.Array:
        """A hyperparameter's value from its raw value (``softplus`` or ``exp``).

        Examples
        --------
        >>> round(float(GPClassification().constrain(jnp.asarray(0.0))), 6)  # softplus(0)
        0.693147
        >>> float(GPClassification(parametrization="log").constrain(jnp.asarray(0.0)))
        1.0
        """
        return jax.nn.softplus(raw) if self.parametrization == "softplus" else jnp.exp(raw)

    def unconstrain(self, value: float) -> float:
        """The raw value of a hyperparameter ``value > 0`` (inverse of :meth:`constrain`).

        Examples
        --------
        >>> GPClassification().unconstrain(math.log(2.0))
        0.0
        >>> GPClassification(parametrization="log").unconstrain(1.0)
        0.0
        """
        if self.parametrization == "softplus":
            return inverse_softplus(value)
        return math.log(value)

    # -- the GPJax model -------------------------------------------------------------
    def hyperparameters(self, params: Params) -> dict[str, jax.Array]:
        """The constrained hyperparameters: ``lengthscale``, ``outputscale`` and ``mean``.

        Examples
        --------
        >>> fam = GPClassification(ard=False)
        >>> p = {"raw_lengthscale": jnp.asarray(0.0), "raw_outputscale": jnp.asarray(0.0),
        ...      "mean": jnp.asarray(0.5)}
        >>> {k: round(float(v), 4) for k, v in fam.hyperparameters(p).items()}
        {'lengthscale': 0.6931, 'outputscale': 0.6931, 'mean': 0.5}
        """
        return {
            "lengthscale": self.constrain(params["raw_lengthscale"]),
            "outputscale": self.constrain(params["raw_outputscale"]),
            "mean": params["mean"],
        }

    def model(self, params: Params) -> Any:
        """GPJax's non-conjugate model: the GP prior times the Bernoulli (probit) likelihood.

        The hyperparameters enter as :class:`gpjax.parameters.Real` (no further
        transform): the parametrization is this family's, applied in :meth:`constrain`.
        The kernel is GPJax's RBF with its Gram matrices formed by
        :class:`~bayesgrok.families.gp_kernels.MatrixRBFComputation` (the same values;
        at A3's size, Gram gradients about 80 times and a whole step 3.5 times cheaper).

        Examples
        --------
        >>> fam = GPClassification()
        >>> p = {"raw_lengthscale": jnp.zeros(2), "raw_outputscale": jnp.asarray(0.0),
        ...      "mean": jnp.asarray(0.0)}
        >>> type(fam.model(p).likelihood).__name__
        'Bernoulli'
        """
        hyper = self.hyperparameters(params)
        kernel = rbf_kernel(Real(hyper["lengthscale"]), Real(hyper["outputscale"]))
        prior = gpx.gps.Prior(
            mean_function=gpx.mean_functions.Constant(Real(hyper["mean"])),
            kernel=kernel,
            jitter=self.jitter,
        )
        return prior * gpx.likelihoods.Bernoulli()

    def variational_family(self, params: Params, inducing_inputs: jax.Array) -> Any:
        """GPJax's unwhitened ``VariationalGaussian`` ``q`` at ``params``.

        Parameters
        ----------
        params
            The family's parameters.
        inducing_inputs
            The inducing inputs: the training inputs ``train.x`` (fixed, not trained).

        Returns
        -------
        gpjax.variational_families.VariationalGaussian
            With the variational mean and the lower triangle of the root covariance taken
            from ``params`` as they are (no softplus on the diagonal, as in GPyTorch).

        Examples
        --------
        >>> import jax
        >>> from bayesgrok.tasks import make_task
        >>> split = make_task("zero_one", seed=0)
        >>> fam = GPClassification()
        >>> with jax.enable_x64(True):
        ...     p = fam.init(jax.random.PRNGKey(0), split)
        ...     q = fam.variational_family(p, jnp.asarray(split.x_train))
        >>> q.num_inducing
        20
        """
        q = gpx.variational_families.VariationalGaussian(
            model=self.model(params), inducing_inputs=inducing_inputs
        )
        root = jnp.tril(params["variational_root_covariance"])
        return eqx.tree_at(
            lambda v: (v.variational_mean, v.variational_root_covariance),
            q,
            (Real(params["variational_mean"]), Real(root)),
        )

    # -- the contract ----------------------------------------------------------------
    def init(self, key: jax.Array | None, split: Split) -> Params:
        """Hyperparameters at their initial values and ``q(u)`` at the prior ``p(u)``.

        As GPyTorch's Cholesky variational distribution initialises itself: the root
        covariance is ``cholesky(K_zz + jitter I)`` at the initial hyperparameters and the
        variational mean is the prior mean plus ``mean_init_std * N(0, 1)`` noise drawn
        from ``key`` (``PRNGKey(0)`` when ``key`` is ``None``).

        Examples
        --------
        >>> import jax
        >>> from bayesgrok.tasks import make_task
        >>> split = make_task("zero_one", seed=0)
        >>> with jax.enable_x64(True):
        ...     p = GPClassification().init(jax.random.PRNGKey(0), split)
        ...     lengthscale = float(GPClassification().constrain(p["raw_lengthscale"][0]))
        >>> p["variational_root_covariance"].shape, round(lengthscale, 12)
        ((20, 20), 0.005)
        """
        x = jnp.asarray(split.x_train)
        n, d = x.shape
        shape = (d,) if self.ard else ()
        raw_ls = self.unconstrain(self.initial_lengthscale)
        params = {
            "raw_lengthscale": jnp.full(shape, raw_ls, dtype=x.dtype),
            "raw_outputscale": jnp.asarray(self.unconstrain(self.initial_outputscale), x.dtype),
            "mean": jnp.asarray(self.initial_mean, x.dtype),
        }
        kernel = self.model(params).prior.kernel
        kzz = kernel.gram(x).as_matrix()
        root = jnp.linalg.cholesky(kzz + self.jitter * jnp.eye(n, dtype=x.dtype))
        key = jax.random.PRNGKey(0) if key is None else key
        noise = jax.random.normal(key, (n, 1), dtype=x.dtype)
        params["variational_mean"] = self.initial_mean + self.mean_init_std * noise
        params["variational_root_covariance"] = root
        return params

    def error(self, params: Params, batch: Batch, train: Batch) -> jax.Array:
        """``-E_q[log p(y | f)]`` averaged over the points of ``batch``.

        GPJax's ``variational_expectation`` of ``q`` (inducing inputs ``train.x``) on
        ``batch``; labels are ``{0, 1}``.
        """
        q = self.variational_family(params, train.x)
        y = batch.y[:, None].astype(batch.x.dtype)
        expectation = gpx.objectives.variational_expectation(q, gpx.Dataset(X=batch.x, y=y))
        return -jnp.mean(expectation)

    def complexity(self, params: Params, train: Batch) -> jax.Array:
        """``KL(q(u) || p(u)) / N_train``, GPJax's ``prior_kl`` per training point."""
        q = self.variational_family(params, train.x)
        return q.prior_kl() / train.x.shape[0]

    def predictive_probability(self, params: Params, x: jax.Array, train: Batch) -> jax.Array:
        """``p(y = 1 | x)`` under ``q(f(x))``: ``Phi(mu / sqrt(1 + sigma^2))`` for the probit.

        The likelihood's predictive (``Bernoulli.predict``) computed from the marginal
        moments of ``q(f(x))`` only, without forming their dense covariance.

        Examples
        --------
        >>> import jax
        >>> import numpy as np
        >>> from bayesgrok.tasks import make_task
        >>> split = make_task("zero_one", seed=0)
        >>> fam = GPClassification()
        >>> with jax.enable_x64(True):
        ...     p = fam.init(jax.random.PRNGKey(0), split)
        ...     train = Batch(jnp.asarray(split.x_train), jnp.asarray(split.y_train))
        ...     prob = np.asarray(fam.predictive_probability(p, train.x, train))
        >>> prob.shape, bool(np.all(np.abs(prob - 0.5) < 1e-3))  # the prior: 1/2
        ((20,), True)
        """
        q = self.variational_family(params, train.x)
        marginal = q.condition(None)(x, covariance="diagonal")
        return q.model.likelihood.link_function(
            marginal.mean / jnp.sqrt(1.0 + marginal.variance)
        ).probs

    def predict(self, params: Params, x: jax.Array, train: Batch) -> jax.Array:
        """Class probabilities ``[1 - p, p]``, shape ``(n, 2)``, ``p = p(y = 1 | x)``.

        Accuracy is the argmax, i.e. class 1 when ``p >= 0.5``, the reference's rule
        "predictive mean >= 0.5". At an exact tie ``p = 0.5`` (a point far from every
        training input under a short lengthscale, where ``q(f(x))`` is the prior with mean
        0) ``argmax`` would pick class 0, so there class 0's probability is lowered by one
        ulp: the row then sums to ``1 - 2^-54`` and the argmax is class 1, as ``>= 0.5``.

        Examples
        --------
        >>> import jax
        >>> import numpy as np
        >>> from bayesgrok.tasks import make_task
        >>> split = make_task("zero_one", seed=0)
        >>> fam = GPClassification()
        >>> with jax.enable_x64(True):
        ...     p = fam.init(jax.random.PRNGKey(0), split)
        ...     train = Batch(jnp.asarray(split.x_train), jnp.asarray(split.y_train))
        ...     probs = np.asarray(fam.predict(p, jnp.array([[-0.4]]), train))
        >>> probs.tolist(), probs.argmax(axis=1).tolist()  # far from the data: a tie
        ([[0.49999999999999994, 0.5]], [1])
        """
        p = self.predictive_probability(params, x, train)
        p0 = jnp.where(p == 0.5, jnp.nextafter(jnp.asarray(0.5, p.dtype), 0.0), 1.0 - p)
        return jnp.stack([p0, p], axis=-1)

    def probes(self, params: Params, train: Batch) -> dict[str, tuple[tuple[str, ...], Any]]:
        """The lengthscales and their inverses along ``input_dim``, and the outputscale.

        Without ARD the single lengthscale is repeated over the ``d`` input dimensions.

        Examples
        --------
        >>> fam = GPClassification(ard=False)
        >>> p = {"raw_lengthscale": jnp.asarray(0.0), "raw_outputscale": jnp.asarray(0.0),
        ...      "mean": jnp.asarray(0.0)}
        >>> out = fam.probes(p, Batch(jnp.zeros((5, 3)), jnp.zeros(5)))
        >>> out["inverse_lengthscale"][0], out["inverse_lengthscale"][1].shape
        (('input_dim',), (3,))
        """
        hyper = self.hyperparameters(params)
        d = train.x.shape[-1]
        lengthscale = jnp.broadcast_to(hyper["lengthscale"], (d,))
        return {
            "lengthscale": (("input_dim",), lengthscale),
            "inverse_lengthscale": (("input_dim",), 1.0 / lengthscale),
            "outputscale": ((), hyper["outputscale"]),
        }
