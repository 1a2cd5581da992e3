"""The contract every model family meets.

A family is a handful of pure functions of its parameters. Engines run any family through
these functions and know nothing else about it; families know no engine.

* ``init(key, split) -> params``
* ``error(params, batch, train) -> scalar``: the data-fit term, per data point of
  ``batch``. ``train`` is the full training set, for families whose predictions on a
  batch condition on it (a sparse GP's inducing inputs are the training inputs).
* ``complexity(params, train) -> scalar``: the complexity term, per training point. It
  receives the full training set because some complexities depend on it (a GP's
  ``1/2 log|K|`` over the training inputs, or simply the number of training points).
* ``predict(params, x, train) -> array``: class probabilities ``(n, C)`` for
  classification, predictive mean ``(n,)`` for regression. ``train`` is given for
  families whose predictions condition on the training data (GPs).
* optionally ``probes(params, train) -> dict[name, (dims, array)]``: extra measurements,
  each with its own named dimensions.
* optionally ``error_and_prediction(params, batch, train) -> (error, predictions)``: both
  from one forward pass, for the engine's measurements (by default ``error`` then
  ``predict``; a Monte Carlo family scores and averages the same draws once).

The search follows ``objective = error + complexity_weight * complexity`` unless the
family overrides :meth:`JaxFamily.objective` and :attr:`JaxFamily.objective_formula`.

A family whose error is a Monte Carlo estimate (a variational posterior's expected
log-likelihood, say) sets ``stochastic = True``: its ``error`` and ``objective`` then take
a keyword ``key``. The engine passes a fresh key at every training step and none when it
measures (the family then uses a fixed key, so measurements are deterministic).

Seeds are vectorised with ``vmap``; a family sets ``vectorize_seeds = False`` to have them
run one after another inside the same compiled program instead (``lax.map``), as the GP
classifier does to avoid a jaxlib CPU deadlock in batched triangular solves.

Every other capability an engine may use is declared on :class:`JaxFamily` with its
default, and engines read these declarations and nothing else:

* ``precision`` (``"float32"``; ``"float64"`` runs the family under ``jax.enable_x64``);
* ``objective_note``: what the recorded error is, in words;
* ``counts_batch_accuracy``: the family also counts accuracy on each training minibatch
  as published code does (``batch_accuracy`` and ``objective_and_batch_accuracy``);
* ``draws_posterior``: the parameters describe a distribution that ``posterior_draws``
  samples (variational families; ArviZ posteriors at the search's ``snapshots``);
* ``samplable``: the family has a NumPyro model (``numpyro_model``) the NUTS engine samples;
* ``coordinates``: named scalar coordinates of the parameters, which ``with_coordinates``
  sets (the GP's log lengthscale and log outputscale; a landscape can be drawn on them);
* ``initial_values``: the constructor arguments that only ``init`` reads (starting
  values, initial scales); runs whose families differ only in them share one compiled
  program (:meth:`JaxFamily.program_key`);
* ``takes_metrics``, ``metric_names`` and ``takes_methods``: declared ``False``, ``None``
  and ``False`` here so that a study can ask any family (the PyTorch contract,
  :mod:`bayesgrok.search.torch_contract`, declares the same names).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, Protocol, runtime_checkable

from bayesgrok.search.formula import constructor_arguments, objective_formula

Params = Any
"""A pytree of arrays."""


class Batch(NamedTuple):
    """Inputs and targets of a batch: ``x`` of shape ``(n, d)``, ``y`` of shape ``(n,)``.

    Examples
    --------
    >>> import numpy as np
    >>> Batch(np.zeros((4, 2)), np.zeros(4)).x.shape
    (4, 2)
    """

    x: Any
    y: Any


@runtime_checkable
class Family(Protocol):
    """What an engine needs of a model family."""

    name: str
    backend: str
    complexity_weight: float

    def init(self, key: Any, split: Any) -> Params: ...

    def error(self, params: Params, batch: Batch, train: Batch) -> Any: ...

    def complexity(self, params: Params, train: Batch) -> Any: ...

    def predict(self, params: Params, x: Any, train: Batch) -> Any: ...

    def objective(self, params: Params, batch: Batch, train: Batch) -> Any: ...

    @property
    def objective_formula(self) -> str: ...

    def probes(self, params: Params, train: Batch) -> dict[str, tuple[tuple[str, ...], Any]]: ...


class JaxFamily:
    """Base class for families run by the JAX engine.

    Subclasses implement :meth:`init`, :meth:`error`, :meth:`complexity` and
    :meth:`predict`; they inherit the objective ``error + w * complexity`` and an empty
    set of probes.

    Parameters
    ----------
    complexity_weight
        Weight ``w`` of the complexity term in the objective; ``0`` gives the ablation
        (the complexity is still recorded).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> class Mean(JaxFamily):
    ...     name = "mean"
    ...     def init(self, key, split): return jnp.zeros(())
    ...     def error(self, p, batch, train): return jnp.mean((batch.y - p) ** 2)
    ...     def complexity(self, p, train): return p ** 2 / train.y.shape[0]
    ...     def predict(self, p, x, train): return jnp.full(x.shape[0], p)
    >>> fam = Mean(complexity_weight=0.5)
    >>> b = Batch(jnp.zeros((2, 1)), jnp.array([1.0, 3.0]))
    >>> float(fam.objective(jnp.asarray(2.0), b, b))
    2.0
    >>> fam.objective_formula
    'error + 0.5 * complexity'
    """

    name: str = "family"
    backend: str = "jax"
    stochastic: bool = False
    vectorize_seeds: bool = True
    precision: str = "float32"
    objective_note: str = ""
    counts_batch_accuracy: bool = False
    draws_posterior: bool = False
    samplable: bool = False
    coordinates: tuple[str, ...] = ()
    initial_values: tuple[str, ...] = ()
    """The constructor arguments only ``init`` reads (runs differing in them share a program)."""
    takes_metrics: bool = False
    """Whether the family measures expensive metrics (``metrics_log``); JAX families do not."""
    metric_names: tuple[str, ...] | None = None
    """The expensive metrics it was asked for (``None``: it takes no names)."""
    takes_methods: bool = False
    """Whether it trains under the search's methods (perturbation, penalty)."""

    def __init__(self, complexity_weight: float = 1.0) -> None:
        self.complexity_weight = float(complexity_weight)

    def init(self, key: Any, split: Any) -> Params:  # pragma: no cover - abstract
        raise NotImplementedError

    def error(self, params: Params, batch: Batch, train: Batch) -> Any:  # pragma: no cover
        raise NotImplementedError

    def complexity(self, params: Params, train: Batch) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict(self, params: Params, x: Any, train: Batch) -> Any:  # pragma: no cover
        raise NotImplementedError

    def objective(self, params: Params, batch: Batch, train: Batch, key: Any = None) -> Any:
        """The quantity the search minimises: ``error + w * complexity``.

        ``key`` is passed on to ``error`` for stochastic families.
        """
        if self.stochastic:
            err = self.error(params, batch, train, key=key)  # type: ignore[call-arg]
        else:
            err = self.error(params, batch, train)
        if self.complexity_weight == 0.0:
            return err
        return err + self.complexity_weight * self.complexity(params, train)

    @property
    def objective_formula(self) -> str:
        """Human-readable objective, stored in every trajectory's attributes."""
        return objective_formula(self.complexity_weight)

    def probes(self, params: Params, train: Batch) -> dict[str, tuple[tuple[str, ...], Any]]:
        """Extra measurements at each logged step (none by default)."""
        return {}

    def fixed_draws(self, n: int, dtype: Any) -> Any:
        """Random draws that measuring a data set of ``n`` points always uses (a
        stochastic family measures with a fixed key), drawn once per run by the engine
        and given to :meth:`error_and_prediction`; ``None`` (the default): none.

        Examples
        --------
        >>> from bayesgrok.families.linear import LinearRegression
        >>> LinearRegression().fixed_draws(10, "float32") is None
        True
        """
        return None

    def error_and_prediction(self, params: Params, batch: Batch, train: Batch,
                          draws: Any = None) -> tuple[Any, Any]:
        """``(error(params, batch, train), predict(params, batch.x, train))``, the pair the
        engine measures on each data set at a logged step.

        A family whose two share their expensive part (a Monte Carlo family's draws of the
        logits) overrides this to compute it once, and may take the fixed draws it always
        measures with from ``draws`` (:meth:`fixed_draws` for ``batch``'s size); the values
        must be those of the two calls.

        Examples
        --------
        >>> import jax.numpy as jnp
        >>> from bayesgrok.families.linear import LinearRegression
        >>> from bayesgrok.tasks import make_task
        >>> split = make_task("linear_sign", seed=0)
        >>> fam = LinearRegression()
        >>> w = jnp.ones(split.x_train.shape[1])
        >>> b = Batch(jnp.asarray(split.x_train), jnp.asarray(split.y_train))
        >>> err, pred = fam.error_and_prediction(w, b, b)
        >>> bool(err == fam.error(w, b, b)), pred.shape == b.y.shape
        (True, True)
        """
        return self.error(params, batch, train), self.predict(params, batch.x, train)

    def config(self) -> dict[str, Any]:
        """The family's hyperparameters, recorded in the trajectory: every argument of its
        constructor that it holds as an attribute of the same name (a family overrides
        this only for arguments it stores otherwise).

        Examples
        --------
        >>> from bayesgrok.families.linear import LinearRegression
        >>> LinearRegression(noise_variance=0.01).config()["noise_variance"]
        0.01
        """
        return constructor_arguments(self)

    def program_key(self) -> str:
        """What identifies the family's compiled program: its class and every
        hyperparameter but the :attr:`initial_values`. Two families with one key compute
        the same objective, error, complexity, predictions and probes, so runs of them
        share one compiled program.

        Examples
        --------
        >>> from bayesgrok.families.gp_regression import GPRegression
        >>> a = GPRegression(initial_log_lengthscale=-6.0)
        >>> a.program_key() == GPRegression(initial_log_lengthscale=0.0).program_key()
        True
        >>> a.program_key() == GPRegression(jitter=1e-4).program_key()
        False
        """
        held = {k: v for k, v in self.config().items() if k not in self.initial_values}
        cls = type(self)
        return f"{cls.__module__}.{cls.__qualname__}:" + json.dumps(held, sort_keys=True,
                                                                   default=repr)

    def check_task(self, task: Any) -> None:
        """Refuse a task this family cannot run, before any work: ``task`` is a
        :class:`~bayesgrok.tasks.split.TaskPreview` (sizes, kind, number of features).
        Raise ``ValueError("<parameter>: <why>")``, naming the family parameter at fault;
        the default accepts every task.

        Examples
        --------
        >>> JaxFamily().check_task(None)
        """

    def frozen(self, params: Params) -> Any:
        """Which parameters the search must not move: a pytree of booleans with the
        structure of ``params`` (default: none frozen). The JAX engine hands the frozen
        leaves to ``optax.set_to_zero`` (``optax.multi_transform``), so no optimizer, not
        even a decoupled weight decay, updates them.

        Examples
        --------
        >>> import jax.numpy as jnp
        >>> JaxFamily().frozen({"a": jnp.zeros(2), "b": jnp.ones(())})
        {'a': False, 'b': False}
        """
        import jax

        return jax.tree_util.tree_map(lambda _: False, params)

    # --- optional capabilities, used only where the declarations above say so ----------

    def batch_accuracy(self, params: Params, batch: Batch,
                       key: Any) -> Any:  # pragma: no cover - optional
        """Accuracy on ``batch`` of one draw (``counts_batch_accuracy``)."""
        raise NotImplementedError(f"family {self.name!r} does not count batch accuracy")

    def objective_and_batch_accuracy(self, params: Params, batch: Batch, train: Batch,
                                     key: Any) -> Any:  # pragma: no cover - optional
        """``(objective, batch accuracy)`` from one forward pass (``counts_batch_accuracy``)."""
        raise NotImplementedError(f"family {self.name!r} does not count batch accuracy")

    def posterior_draws(self, params: Params, key: Any,
                        n: int) -> dict[str, Any]:  # pragma: no cover - optional
        """``n`` draws ``{site: (n, ...)}`` of the distribution ``params`` describe
        (``draws_posterior``)."""
        raise NotImplementedError(f"family {self.name!r} describes no posterior")

    def numpyro_model(self, x: Any, y: Any = None) -> None:  # pragma: no cover - optional
        """The NumPyro model NUTS samples (``samplable``)."""
        raise NotImplementedError(f"family {self.name!r} has no NumPyro model")

    def with_coordinates(self, params: Params, values: dict[str, Any]) -> Params:
        """``params`` (a dict) with the named entries set to ``values``.

        Raises
        ------
        KeyError
            Naming a coordinate ``params`` does not have.

        Examples
        --------
        >>> JaxFamily().with_coordinates({"a": 1.0, "b": 2.0}, {"b": 0.0})
        {'a': 1.0, 'b': 0.0}
        """
        missing = [k for k in values if k not in params]
        if missing:
            raise KeyError(f"family {self.name!r} has no coordinate {missing[0]!r} "
                           f"(its parameters: {', '.join(params)})")
        return {**params, **values}
