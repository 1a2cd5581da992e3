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
    >>> engine_for(LinearRegression()).__module__
    'bayesgrok.search.jax_engine'
    """
    backend = getattr(family, "backend", "jax")
    if backend == "jax":
        from bayesgrok.search import jax_engine

        return jax_engine.run
    raise ValueError(f"no engine for backend {backend!r} of family {family.name!r}")
