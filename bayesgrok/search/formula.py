"""The objective ``error + w * complexity`` in words, as both contracts record it."""

from __future__ import annotations


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
