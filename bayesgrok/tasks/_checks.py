"""Small argument checks and split helpers shared by the task generators (private)."""

from __future__ import annotations

import numbers

import numpy as np


def check_int(task: str, key: str, value: object, minimum: int = 0) -> int:
    """Return ``value`` as an ``int`` if it is an integer ``>= minimum``, else raise.

    Examples
    --------
    >>> check_int("toy", "n", 3, minimum=1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"task {task!r}: {key} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"task {task!r}: {key} must be >= {minimum}, got {value!r}")
    return int(value)


def check_train_size(task: str, n_train: object, n_points: int) -> int:
    """Check ``1 <= n_train < n_points`` (at least one training and one validation point).

    Examples
    --------
    >>> check_train_size("toy", 2, 100)
    2
    """
    n_train = check_int(task, "n_train", n_train, minimum=1)
    if n_train >= n_points:
        raise ValueError(
            f"task {task!r}: n_train ({n_train}) must be smaller than the number of "
            f"points ({n_points}) so that the validation set is not empty"
        )
    return n_train


def random_split(
    rng: np.random.Generator, n_points: int, n_train: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a random ``n_train`` / ``n_points - n_train`` split.

    Examples
    --------
    >>> import numpy as np
    >>> tr, va = random_split(np.random.default_rng(0), 5, 3)
    >>> sorted(np.concatenate([tr, va]).tolist())
    [0, 1, 2, 3, 4]
    """
    order = rng.permutation(n_points)
    return order[:n_train], order[n_train:]


def check_n_val(task: str, n_val: object, n_train: int | None, size: int, what: str) -> int:
    """``n_val`` (default: all left); ``n_train`` is ``None`` when validation has its own set.

    Examples
    --------
    >>> check_n_val("digits", None, 100, 150, "images")
    50
    >>> check_n_val("digits", 60, 100, 150, "images")
    Traceback (most recent call last):
    ...
    ValueError: task 'digits': n_train + n_val (100 + 60) exceeds the 150 images
    """
    available = size - (n_train or 0)
    if n_val is None:
        return available
    n_val = check_int(task, "n_val", n_val, minimum=1)
    if n_val > available:
        asked = f"n_val ({n_val})" if n_train is None else f"n_train + n_val ({n_train} + {n_val})"
        raise ValueError(f"task {task!r}: {asked} exceeds the {size} {what}")
    return n_val
