"""Model families, each meeting the contract of its backend
(:mod:`bayesgrok.search.contract` for JAX, :mod:`bayesgrok.search.torch_contract` for
PyTorch).

A family is found by name in three places, in this order:

1. :data:`FAMILIES`, the families shipped with bayesgrok (adding one is one new module
   plus one line here);
2. the entry-point group ``bayesgrok.families`` of installed packages (a package declares
   ``[project.entry-points."bayesgrok.families"] my_family = "my_pkg.module:MyFamily"``);
3. a dotted import path ``"package.module:Class"`` written directly in a model card or a
   study, so that a family can live in a user's own module without registering anywhere.

Modules are imported only when their family is used, so a study of one family never pays
for another's backend.
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
    "random_features": "bayesgrok.families.random_features:RandomFeatures",
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


ENTRY_POINT_GROUP = "bayesgrok.families"
"""The entry-point group under which installed packages register families."""


def registered_families() -> dict[str, str]:
    """Every family name that can be used without a dotted path: the shipped ones and the
    installed packages' entry points (a shipped name wins).

    Examples
    --------
    >>> "linear" in registered_families()
    True
    """
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return {**found, **FAMILIES}


def family_target(name: str) -> str:
    """The ``"module:Class"`` of family ``name``: registered, or ``name`` itself when it is
    a dotted path.

    Raises
    ------
    UnknownFamilyError
        When ``name`` is neither registered nor a ``"module:Class"`` path.

    Examples
    --------
    >>> family_target("linear")
    'bayesgrok.families.linear:LinearRegression'
    >>> family_target("my_pkg.kernels:KernelRidge")
    'my_pkg.kernels:KernelRidge'
    """
    known = registered_families()
    if name in known:
        return known[name]
    module, sep, attr = name.partition(":")
    if sep and module and attr.isidentifier():
        return name
    raise UnknownFamilyError(
        f"unknown family {name!r} (known: {', '.join(sorted(known))}; or give a dotted "
        "path 'package.module:Class')"
    )


def family_class(name: str) -> type:
    """The class implementing family ``name`` (a registered name or ``"module:Class"``).

    Raises
    ------
    UnknownFamilyError
        For an unknown name, a module that cannot be imported, or a missing class.

    Examples
    --------
    >>> family_class("linear").__name__
    'LinearRegression'
    >>> family_class("bayesgrok.families.linear:LinearRegression").__name__
    'LinearRegression'
    """
    module, _, attr = family_target(name).partition(":")
    try:
        found = getattr(importlib.import_module(module), attr)
    except ImportError as exc:
        raise UnknownFamilyError(f"family {name!r}: cannot import {module!r}: {exc}") from None
    except AttributeError:
        raise UnknownFamilyError(f"family {name!r}: module {module!r} has no {attr!r}") from None
    if not inspect.isclass(found):
        raise UnknownFamilyError(f"family {name!r}: {module}:{attr} is not a class")
    return found


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
