"""The task registry: look tasks up by name and check their parameters."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from bayesgrok.tasks.digits import digits
from bayesgrok.tasks.mnist import mnist
from bayesgrok.tasks.modular import modular
from bayesgrok.tasks.modular_pairs import modular_pairs
from bayesgrok.tasks.parity import parity
from bayesgrok.tasks.split import Split
from bayesgrok.tasks.toys import linear_sign, noisy_sine, zero_one

TASKS: dict[str, Callable[..., Split]] = {
    "linear_sign": linear_sign,
    "zero_one": zero_one,
    "noisy_sine": noisy_sine,
    "parity": parity,
    "modular": modular,
    "modular_pairs": modular_pairs,
    "mnist": mnist,
    "digits": digits,
}
"""Task name -> generator ``task(seed, **params) -> Split``."""


class UnknownTaskError(ValueError):
    """A task name that is not in :data:`TASKS`.

    Examples
    --------
    >>> print(UnknownTaskError("nope"))  # doctest: +NORMALIZE_WHITESPACE
    unknown task 'nope'; known tasks: linear_sign, zero_one, noisy_sine, parity, modular,
    modular_pairs, mnist, digits
    """

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown task {name!r}; known tasks: {', '.join(TASKS)}")


class TaskParameterError(ValueError):
    """A parameter name that a task does not accept.

    Attributes
    ----------
    task
        The task name.
    key
        The offending parameter name.
    value
        The value it was given.

    Examples
    --------
    >>> err = TaskParameterError("parity", "n_bit", 3)
    >>> err.task, err.key, err.value
    ('parity', 'n_bit', 3)
    """

    def __init__(self, task: str, key: str, value: object) -> None:
        self.task = task
        self.key = key
        self.value = value
        known = ", ".join(_parameters(TASKS[task])) if task in TASKS else "?"
        super().__init__(
            f"task {task!r} has no parameter {key!r} (given {value!r}); known parameters: {known}"
        )


def _parameters(function: Callable[..., Split]) -> dict[str, object]:
    return {
        name: (None if par.default is inspect.Parameter.empty else par.default)
        for name, par in inspect.signature(function).parameters.items()
        if name != "seed"
    }


def _lookup(name: str) -> Callable[..., Split]:
    try:
        return TASKS[name]
    except (KeyError, TypeError):
        raise UnknownTaskError(name) from None


def task_parameters(name: str) -> dict[str, object]:
    """Each parameter of a task (except ``seed``) with its default value.

    Parameters
    ----------
    name
        A key of :data:`TASKS`.

    Returns
    -------
    dict
        Parameter name -> default, in signature order.

    Raises
    ------
    UnknownTaskError
        If ``name`` is not a registered task.

    Examples
    --------
    >>> task_parameters("zero_one")
    {'n_points': 100, 'n_train': 20, 'n_val': 20, 'seeding': 'bayesgrok'}
    """
    return _parameters(_lookup(name))


def make_task(name: str, seed: int, **params: Any) -> Split:
    """Draw a task by name: ``TASKS[name](seed, **params)``.

    Parameters
    ----------
    name
        A key of :data:`TASKS`.
    seed
        The task's seed.
    **params
        Task parameters; see :func:`task_parameters`.

    Returns
    -------
    Split
        The task's split.

    Raises
    ------
    UnknownTaskError
        If ``name`` is not a registered task.
    TaskParameterError
        If a parameter name is not accepted by the task.

    Examples
    --------
    >>> s = make_task("modular", 0, operation="sub", n_extra_bits=5)
    >>> s.name, s.n_features
    ('modular', 19)
    """
    function = _lookup(name)
    known = _parameters(function)
    for key, value in params.items():
        if key not in known:
            raise TaskParameterError(name, key, value)
    return function(seed, **params)
