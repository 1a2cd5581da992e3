"""PyTorch optimizers by name, with their arguments checked before a run starts.

Any optimizer of ``torch.optim`` is accepted by its class name in any case (``"sgd"``,
``"AdamW"``, ``"rmsprop"``); ``learning_rate`` (the optax spelling of study files) becomes
torch's ``lr``.
"""

from __future__ import annotations

import difflib
import inspect
from typing import Any

import torch

from bayesgrok.search.optimizers import OptimizerError, check_values

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    name.lower(): cls for name, cls in vars(torch.optim).items()
    if inspect.isclass(cls) and issubclass(cls, torch.optim.Optimizer)
    and cls not in (torch.optim.Optimizer, torch.optim.LBFGS)
}
"""Optimizer name (lower case) -> ``torch.optim`` class: every optimizer torch ships but
L-BFGS, whose ``step`` needs a closure that re-evaluates the objective."""


def optimizer_kwargs(name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check a torch optimizer's name and arguments; return torch's keyword arguments.

    ``learning_rate`` (the optax spelling used by study files) becomes torch's ``lr``.

    Raises
    ------
    OptimizerError
        For an unknown name or argument, naming it (``optimizer`` or
        ``optimizer_args.<key>``).

    Examples
    --------
    >>> optimizer_kwargs("AdamW", {"learning_rate": 1e-3, "weight_decay": 0.01})
    {'lr': 0.001, 'weight_decay': 0.01}
    >>> optimizer_kwargs("RMSprop", {"learning_rate": 1e-3, "alpha": 0.9})
    {'lr': 0.001, 'alpha': 0.9}
    >>> optimizer_kwargs("sgd", {"lr": 0.1, "momentm": 0.9})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bayesgrok.search.optimizers.OptimizerError: optimizer 'sgd' takes no argument 'momentm' ...
    """
    key = name.lower()
    if key not in OPTIMIZERS:
        close = difflib.get_close_matches(key, OPTIMIZERS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise OptimizerError(f"unknown optimizer {name!r} for a torch family (torch.optim has "
                             f"no such optimizer{hint})", "optimizer", name)
    args = dict(args or {})
    if "learning_rate" in args and "lr" in args:
        raise OptimizerError(f"optimizer {name!r}: give learning_rate or lr, not both",
                             "optimizer_args.lr", args["lr"])
    args = {("lr" if k == "learning_rate" else k): v for k, v in args.items()}
    known = [p for p in inspect.signature(OPTIMIZERS[key]).parameters if p != "params"]
    for arg, value in args.items():
        if arg not in known:
            raise OptimizerError(
                f"optimizer {name!r} takes no argument {arg!r} (it takes learning_rate, "
                f"{', '.join(known)})", f"optimizer_args.{arg}", value)
    check_values(name, {("learning_rate" if k == "lr" else k): v for k, v in args.items()},
                 {("learning_rate" if k == "lr" else k): p.default for k, p in
                  inspect.signature(OPTIMIZERS[key]).parameters.items()})
    try:  # torch checks values (negative lr, betas out of range) when it builds one
        OPTIMIZERS[key]([torch.zeros(1, requires_grad=True)], **args)
    except (TypeError, ValueError) as exc:
        raise OptimizerError(f"optimizer {name!r}: {exc}", "optimizer_args", args) from exc
    return args


def make_torch_optimizer(name: str, args: dict[str, Any] | None,
                         params: Any) -> torch.optim.Optimizer:
    """Build the torch optimizer ``name`` over ``params``.

    Examples
    --------
    >>> import torch
    >>> params = torch.nn.Linear(2, 1).parameters()
    >>> opt = make_torch_optimizer("adam", {"learning_rate": 1e-2}, params)
    >>> type(opt).__name__, opt.defaults["lr"]
    ('Adam', 0.01)
    """
    return OPTIMIZERS[name.lower()](params, **optimizer_kwargs(name, args))


def optimizer_decay(name: str, args: dict[str, Any] | None) -> str:
    """How the optimizer itself decays the weights, for the trajectory's attributes.

    Examples
    --------
    >>> optimizer_decay("adamw", {"weight_decay": 0.01})
    'decoupled weight decay 0.01 (AdamW): the decay lives in the optimizer, not the objective'
    >>> optimizer_decay("sgd", {})
    'none'
    """
    return decay_of_kwargs(name, optimizer_kwargs(name, args))


def decay_of_kwargs(name: str, kwargs: dict[str, Any]) -> str:
    """:func:`optimizer_decay` from arguments already checked by :func:`optimizer_kwargs`
    (no optimizer is built).

    Examples
    --------
    >>> decay_of_kwargs("sgd", {"lr": 0.1, "weight_decay": 0.01})  # doctest: +ELLIPSIS
    'L2 weight decay 0.01 added to the gradient by torch.optim.SGD: ...'
    """
    key = name.lower()
    declared = inspect.signature(OPTIMIZERS[key]).parameters.get("weight_decay")
    default = 0.0 if declared is None else declared.default
    decay = float(kwargs.get("weight_decay", default))
    if decay == 0.0:
        return "none"
    if key == "adamw":
        return (f"decoupled weight decay {decay:g} (AdamW): the decay lives in the optimizer, "
                "not the objective")
    cls = OPTIMIZERS[key].__name__
    return (f"L2 weight decay {decay:g} added to the gradient by torch.optim.{cls}: not part "
            "of the recorded objective")

