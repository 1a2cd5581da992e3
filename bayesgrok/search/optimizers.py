"""Optimizers by name: optax's own, with arguments checked before a run starts."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: optax imports JAX, which a torch study never needs
    import optax


class OptimizerError(ValueError):
    """An optimizer name or argument is not valid.

    Attributes
    ----------
    key
        ``"optimizer"`` or ``"optimizer_args.<name>"``: what was wrong.
    value
        The offending value.
    """

    def __init__(self, message: str, key: str, value: Any) -> None:
        super().__init__(message)
        self.key = key
        self.value = value


def make_optimizer(name: str, args: dict[str, Any] | None = None) -> optax.GradientTransformation:
    """Build the optax optimizer ``name`` with keyword ``args``.

    Parameters
    ----------
    name
        A function of the ``optax`` namespace that returns a gradient transformation
        (``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``, ...).
    args
        Its keyword arguments.

    Raises
    ------
    OptimizerError
        For an unknown name or an argument the optimizer does not take.

    Examples
    --------
    >>> import optax
    >>> opt = make_optimizer("adam", {"learning_rate": 1e-2})
    >>> isinstance(opt, optax.GradientTransformation)
    True
    >>> make_optimizer("adamm")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bayesgrok.search.optimizers.OptimizerError: unknown optimizer 'adamm' ...
    """
    import optax

    args = dict(args or {})
    factory = getattr(optax, name, None) if not name.startswith("_") else None
    if factory is None or not callable(factory) or inspect.isclass(factory):
        import difflib

        known = [n for n in dir(optax) if not n.startswith("_") and n.islower()]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise OptimizerError(
            f"unknown optimizer {name!r} (optax has no such optimizer{hint})", "optimizer", name
        )
    params = inspect.signature(factory).parameters
    takes_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for key, value in args.items():
        if key not in params and not takes_kwargs:
            raise OptimizerError(
                f"optimizer {name!r} takes no argument {key!r} (it takes {', '.join(params)})",
                f"optimizer_args.{key}",
                value,
            )
    check_values(name, args, {k: p.default for k, p in params.items()})
    try:
        opt = factory(**args)
    except TypeError as exc:
        raise OptimizerError(f"optimizer {name!r}: {exc}", "optimizer_args", args) from exc
    if not isinstance(opt, optax.GradientTransformation):
        raise OptimizerError(f"{name!r} is not an optax optimizer", "optimizer", name)
    try:  # one update of a scalar: a value of the wrong type fails here, not in a run
        import jax.numpy as jnp

        zero = jnp.zeros(())
        opt.update(jnp.ones(()), opt.init(zero), zero)
    except (TypeError, ValueError) as exc:
        raise OptimizerError(f"optimizer {name!r}: its arguments do not work: {exc}",
                             "optimizer_args", args) from exc
    return opt


def check_values(name: str, args: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Refuse booleans where the optimizer takes a number, non-finite numbers, and a
    learning rate that is not a positive number (optax and torch alike).

    Raises
    ------
    OptimizerError
        Naming ``optimizer_args.<key>`` and the value.

    Examples
    --------
    >>> check_values("sgd", {"learning_rate": 0.1, "nesterov": True}, {"nesterov": False})
    >>> check_values("sgd", {"learning_rate": float("nan")}, {})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bayesgrok.search.optimizers.OptimizerError: ... must be a positive finite number, got nan
    >>> check_values("adam", {"b1": True}, {"b1": 0.9})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bayesgrok.search.optimizers.OptimizerError: ...: b1 must be a number, not true or false
    """
    import math

    for key, value in args.items():
        default = defaults.get(key)
        if isinstance(value, bool) and not isinstance(default, bool):
            raise OptimizerError(f"optimizer {name!r}: {key} must be a number, not true or "
                                 "false", f"optimizer_args.{key}", value)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if key in ("learning_rate", "lr") and not (number and math.isfinite(value)
                                                   and value > 0):
            raise OptimizerError(f"optimizer {name!r}: {key} must be a positive finite "
                                 f"number, got {value!r}", f"optimizer_args.{key}", value)
        numeric_default = isinstance(default, int | float) and not isinstance(default, bool)
        if numeric_default and not number:
            raise OptimizerError(f"optimizer {name!r}: {key} must be a number, got {value!r}",
                                 f"optimizer_args.{key}", value)
        if number and not math.isfinite(value):
            raise OptimizerError(f"optimizer {name!r}: {key} must be a finite number, got "
                                 f"{value!r}", f"optimizer_args.{key}", value)


def optimizer_decay(name: str, args: dict[str, Any] | None = None) -> str:
    """How the optax optimizer ``name`` itself decays the weights, for the trajectory's
    attributes: ``"none"``, or a sentence naming the decay (optax's ``adamw``, ``lion``,
    ``lamb`` and others chain ``add_decayed_weights`` into their update).

    Examples
    --------
    >>> optimizer_decay("sgd", {"learning_rate": 0.1})
    'none'
    >>> optimizer_decay("adamw", {"learning_rate": 1e-3, "weight_decay": 0.1})
    'decoupled weight decay 0.1 (optax.adamw): the decay lives in the optimizer, not the objective'
    """
    import optax

    factory = getattr(optax, name, None)
    if factory is None or not callable(factory):
        return "none"
    declared = inspect.signature(factory).parameters.get("weight_decay")
    if declared is None:
        return "none"
    value = dict(args or {}).get("weight_decay", declared.default)
    try:
        decay = float(value)
    except (TypeError, ValueError):  # a schedule: the decay varies along the run
        return f"decoupled weight decay {value!r} (optax.{name}): the decay lives in the optimizer"
    if decay == 0.0:
        return "none"
    return (f"decoupled weight decay {decay:g} (optax.{name}): the decay lives in the "
            "optimizer, not the objective")


def freeze(optimizer: optax.GradientTransformation,
           frozen: Any) -> optax.GradientTransformation:
    """``optimizer`` on the trainable leaves and no update at all on the frozen ones
    (``frozen``: a pytree of booleans with the parameters' structure). Unchanged when no
    leaf is frozen.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> import optax
    >>> opt = freeze(optax.adamw(0.1, weight_decay=1.0), {"a": False, "b": True})
    >>> params = {"a": jnp.ones(()), "b": jnp.ones(())}
    >>> updates, _ = opt.update({"a": jnp.ones(()), "b": jnp.ones(())}, opt.init(params), params)
    >>> float(updates["b"]), float(updates["a"]) != 0.0
    (0.0, True)
    """
    import jax
    import optax

    flags = jax.tree_util.tree_leaves(frozen)
    if not any(bool(f) for f in flags):
        return optimizer
    labels = jax.tree_util.tree_map(lambda f: "frozen" if f else "trained", frozen)
    return optax.multi_transform({"trained": optimizer, "frozen": optax.set_to_zero()},
                                 labels)
