"""The complexity-plus-error search: the family contract, its configuration and engines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bayesgrok.search.config import LogSchedule, SearchConfig
from bayesgrok.search.contract import Batch, Family, JaxFamily

__all__ = ["Batch", "Family", "JaxFamily", "LogSchedule", "SearchConfig", "engine_for"]


def engine_for(family: Any) -> Callable[..., Any]:
    """The engine that runs ``family``, chosen by its ``backend`` attribute.

    Examples
    --------
    >>> from bayesgrok.families.linear import LinearRegression
    >>> engine = engine_for(LinearRegression())
    >>> engine.__module__, engine.__name__
    ('bayesgrok.search.jax_engine', 'run_with_artifacts')
    >>> from bayesgrok.families.mlp import MLP
    >>> engine_for(MLP()).__module__
    'bayesgrok.search.torch_engine'
    """
    backend = getattr(family, "backend", "jax")
    if backend == "jax":
        from bayesgrok.search import jax_engine

        return jax_engine.run_with_artifacts
    if backend == "torch":
        from bayesgrok.search import torch_engine

        return torch_engine.run_with_artifacts
    raise ValueError(f"no engine for backend {backend!r} of family {family.name!r}")
