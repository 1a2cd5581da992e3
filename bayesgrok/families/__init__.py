"""Model families, each meeting the contract of :mod:`bayesgrok.search.contract`.

A family is registered here by name so that model cards and studies can refer to it.
Adding a family is one new module plus one line in :data:`FAMILIES`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from bayesgrok.families.linear import LinearRegression

FAMILIES: dict[str, Callable[..., Any]] = {
    "linear": LinearRegression,
}


class UnknownFamilyError(ValueError):
    """No family is registered under this name."""


class FamilyParameterError(ValueError):
    """A family was given a parameter it does not take, or a bad value.

    Attributes
    ----------
    family, key, value
        The family, the parameter and the value that were wrong.
    """

    def __init__(self, message: str, family: str, key: str, value: Any) -> None:
        super().__init__(message)
        self.family, self.key, self.value = family, key, value


def family_parameters(name: str) -> dict[str, Any]:
    """The parameters of family ``name`` with their defaults.

    Examples
    --------
    >>> family_parameters("linear")["noise_variance"]
    0.002
    """
    if name not in FAMILIES:
        raise UnknownFamilyError(
            f"unknown family {name!r} (known: {', '.join(sorted(FAMILIES))})"
        )
    sig = inspect.signature(FAMILIES[name])
    return {k: p.default for k, p in sig.parameters.items() if k != "self"}


def make_family(name: str, **params: Any) -> Any:
    """Build family ``name`` with keyword ``params``.

    Raises
    ------
    UnknownFamilyError, FamilyParameterError

    Examples
    --------
    >>> make_family("linear", complexity_weight=0.0).objective_formula
    'error'
    """
    known = family_parameters(name)
    for key, value in params.items():
        if key not in known:
            raise FamilyParameterError(
                f"family {name!r} takes no parameter {key!r} (it takes {', '.join(known)})",
                name, key, value,
            )
    try:
        return FAMILIES[name](**params)
    except (TypeError, ValueError) as exc:
        named = [k for k in params if k in str(exc)]  # the parameter the message is about
        key = (named or list(params) or [""])[0]
        raise FamilyParameterError(f"family {name!r}: {exc}", name, key, params.get(key)) from exc
