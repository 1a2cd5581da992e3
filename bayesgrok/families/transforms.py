"""Transforms between constrained and unconstrained parameters, shared by the families."""

from __future__ import annotations

import math


def inverse_softplus(value: float) -> float:
    """The raw value whose softplus is ``value`` (``> 0``), computed without overflow.

    ``log(expm1(v))`` written as ``v + log(-expm1(-v))``, exact for small ``v`` and safe
    for large ones.

    Examples
    --------
    >>> inverse_softplus(math.log(2.0))
    0.0
    >>> round(inverse_softplus(0.005), 6) == round(math.log(math.expm1(0.005)), 6)
    True
    """
    value = float(value)
    if not value > 0:
        raise ValueError(f"inverse_softplus needs a positive value, got {value!r}")
    return value + math.log(-math.expm1(-value))
