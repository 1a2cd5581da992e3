"""Previews of task draws: what a study checks and records of a task before any run.

A study checks every run before any starts (sizes, kind, operands) and records the
checksums of the data a task reads in every run's configuration. :func:`preview_task` gives
that :class:`~bayesgrok.tasks.split.TaskPreview`: by drawing the task once, or, for a task
listed in :data:`TASK_PREVIEWS` (one whose data are downloaded on first use), from its own
preview function, which checks the same things without fetching anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bayesgrok.tasks.mnist import preview_mnist
from bayesgrok.tasks.registry import TaskParameterError, make_task, task_parameters
from bayesgrok.tasks.split import TaskPreview

TASK_PREVIEWS: dict[str, Callable[..., TaskPreview]] = {"mnist": preview_mnist}
"""Task name -> ``preview(seed, **params) -> TaskPreview``, for tasks that need one."""


def preview_task(name: str, seed: int, **params: Any) -> TaskPreview:
    """The preview of a task draw: sizes, kind and the checksums of the data it reads.

    Parameters
    ----------
    name
        A key of :data:`bayesgrok.tasks.TASKS`.
    seed
        The task's seed.
    **params
        Task parameters, as for :func:`~bayesgrok.tasks.make_task`.

    Returns
    -------
    TaskPreview
        ``checksums`` is ``None`` for a task that generates its data.

    Raises
    ------
    UnknownTaskError
        If ``name`` is not a registered task.
    TaskParameterError
        If a parameter name is not accepted by the task.
    ValueError
        If the task refuses the parameters (as drawing it would).

    Examples
    --------
    >>> p = preview_task("parity", 0, n_points=60, n_train=40)
    >>> p.name, p.kind, p.n_train, p.n_val, p.checksums
    ('parity', 'classification', 40, 20, None)
    """
    if name not in TASK_PREVIEWS:
        return TaskPreview.of(make_task(name, seed, **params))
    known = task_parameters(name)
    for key, value in params.items():
        if key not in known:
            raise TaskParameterError(name, key, value)
    return TASK_PREVIEWS[name](seed, **params)
