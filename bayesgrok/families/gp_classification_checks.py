"""The settings of :class:`~bayesgrok.families.gp_classification.GPClassification` checked:
its parametrizations, its default outputscale and :func:`check_settings`, which refuses a
bad initial value, parametrization, ``ard`` flag, noise level or jitter before a model is
built.
"""

from __future__ import annotations

import math
from numbers import Real as RealNumber
from typing import Any

PARAMETRIZATIONS = ("softplus", "log")
SOFTPLUS_0 = math.log(2.0)  # softplus(0) = 0.693..., GPyTorch's default hyperparameter value


def is_number(value: Any) -> bool:
    """A finite real number (not a bool).

    Examples
    --------
    >>> is_number(0.5), is_number(True), is_number(float("inf")), is_number("1")
    (True, False, False, False)
    """
    return (isinstance(value, RealNumber) and not isinstance(value, bool)
            and math.isfinite(value))


def check_settings(
    *,
    initial_lengthscale: Any,
    initial_outputscale: Any,
    initial_mean: Any,
    parametrization: Any,
    ard: Any,
    mean_init_std: Any,
    jitter: Any,
) -> None:
    """Refuse settings of a GP classifier that cannot start a search.

    Raises
    ------
    ValueError
        Naming the first bad setting: an initial lengthscale or outputscale that is not a
        positive number, an initial mean that is not a finite number, a parametrization
        not in :data:`PARAMETRIZATIONS`, an ``ard`` that is not a bool, or a
        ``mean_init_std`` or ``jitter`` below 0.

    Examples
    --------
    >>> check_settings(initial_lengthscale=0.005, initial_outputscale=SOFTPLUS_0,
    ...                initial_mean=0.0, parametrization="log", ard=True,
    ...                mean_init_std=1e-3, jitter=1e-6)
    >>> check_settings(initial_lengthscale=0.0, initial_outputscale=SOFTPLUS_0,
    ...                initial_mean=0.0, parametrization="log", ard=True,
    ...                mean_init_std=1e-3, jitter=1e-6)
    Traceback (most recent call last):
    ...
    ValueError: initial_lengthscale must be a positive number, got 0.0
    """
    for key, value in (
        ("initial_lengthscale", initial_lengthscale),
        ("initial_outputscale", initial_outputscale),
    ):
        if not (is_number(value) and value > 0):
            raise ValueError(f"{key} must be a positive number, got {value!r}")
    if not is_number(initial_mean):
        raise ValueError(f"initial_mean must be a finite number, got {initial_mean!r}")
    if parametrization not in PARAMETRIZATIONS:
        raise ValueError(
            f"parametrization must be one of {', '.join(map(repr, PARAMETRIZATIONS))}, "
            f"got {parametrization!r}"
        )
    if not isinstance(ard, bool):
        raise ValueError(f"ard must be true or false, got {ard!r}")
    for key, value in (("mean_init_std", mean_init_std), ("jitter", jitter)):
        if not (is_number(value) and value >= 0):
            raise ValueError(f"{key} must be a number >= 0, got {value!r}")
