"""What both contracts record of a family in words: its objective and its hyperparameters."""

from __future__ import annotations

import inspect
from typing import Any


def objective_formula(complexity_weight: float) -> str:
    """The human-readable objective for a complexity weight ``w``.

    Examples
    --------
    >>> objective_formula(0.0), objective_formula(1.0), objective_formula(0.5)
    ('error', 'error + complexity', 'error + 0.5 * complexity')
    """
    w = float(complexity_weight)
    if w == 0.0:
        return "error"
    if w == 1.0:
        return "error + complexity"
    return f"error + {w:g} * complexity"


def constructor_arguments(family: Any) -> dict[str, Any]:
    """Every argument of ``type(family).__init__`` that ``family`` holds as an attribute of
    the same name, with its value as held.

    Examples
    --------
    >>> class Toy:
    ...     def __init__(self, width=3, seed=0, *, note="x"):
    ...         self.width, self.note = width, note
    >>> constructor_arguments(Toy(width=5))
    {'width': 5, 'note': 'x'}
    """
    held = vars(family)
    out = {}
    for name, parameter in inspect.signature(type(family).__init__).parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL,
                                                parameter.VAR_KEYWORD):
            continue
        if name in held:
            out[name] = held[name]
    return out
