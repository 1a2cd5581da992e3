"""Model families, each meeting the contract of :mod:`bayesgrok.search.contract`.

A family is registered here by name so that model cards and studies can refer to it.
Adding a family is one new module plus one line in :data:`FAMILIES`. Modules are imported
only when their family is used, so a study of one family never pays for another's backend.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

FAMILIES: dict[str, str] = {
    "linear": "bayesgrok.families.linear:LinearRegression",
    "gp_regression": "bayesgrok.families.gp_regression:GPRegression",
    "gp_classification": "bayesgrok.families.gp_classification:GPClassification",
    "bayes_linear": "bayesgrok.families.bayes_linear_svi:BayesLinearSVI",
    "bayes_mlp": "bayesgrok.families.bayes_svi:BayesMLPSVI",
    "mlp": "bayesgrok.families.mlp:MLP",
    "transformer": "bayesgrok.families.transformer:Transformer",
}
"""Family name -> ``"module:Class"`` of its implementation."""


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


def family_class(name: str) -> type:
    """The class implementing family ``name``.

    Examples
    --------
    >>> family_class("linear").__name__
    'LinearRegression'
    """
    if name not in FAMILIES:
        raise UnknownFamilyError(
            f"unknown family {name!r} (known: {', '.join(sorted(FAMILIES))})"
        )
    module, _, attr = FAMILIES[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def family_parameters(name: str) -> dict[str, Any]:
    """The parameters of family ``name`` with their defaults.

    Examples
    --------
    >>> family_parameters("linear")["noise_variance"]
    0.002
    """
    sig = inspect.signature(family_class(name))
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
        return family_class(name)(**params)
    except (TypeError, ValueError) as exc:
        named = [k for k in params if k in str(exc)]  # the parameter the message is about
        key = (named or list(params) or [""])[0]
        raise FamilyParameterError(f"family {name!r}: {exc}", name, key, params.get(key)) from exc
