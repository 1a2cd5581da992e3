"""The engine table: which engine runs a family under a search method.

An engine is keyed by ``(backend, method)``: the family's ``backend`` (``"jax"`` or
``"torch"``) and the search's ``method`` (``"optimize"``: a gradient search on the
objective; ``"nuts"``: NUTS sampling of the family's NumPyro model). Each entry names the
engine's run function, the check of the optimizer it accepts, and what it requires of a
family. Adding a search method is one engine module and one entry here; the study and the
runner read this table and nothing else.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Engine:
    """One entry of the table.

    Attributes
    ----------
    run
        ``"module:function"`` of the run function, imported only when used (torch is not
        imported for a JAX-only study).
    optimizers
        The backend whose optimizers the engine takes (``"jax"``: optax; ``"torch"``:
        ``torch.optim``), or ``""`` when the method takes no optimizer (see
        :class:`~bayesgrok.search.optimizer_spec.OptimizerSpec`).
    requires
        What the engine needs of a family: a test of its declared capabilities, and
        the words that say what it needs (``None``: nothing beyond the backend).
    group
        ``"module:function"`` of the engine's group runner, which trains several runs of
        one compiled program together (``""``: the engine trains runs only alone).
    checkpoints
        Whether its run functions take a ``checkpoint``
        (:class:`~bayesgrok.search.checkpoint.Checkpoint`) to save and resume from.
    """

    run: str
    optimizers: str = ""
    requires: tuple[Callable[[Any], bool], str] | None = None
    group: str = ""
    checkpoints: bool = False

    def load(self) -> Callable[..., Any]:
        """The run function."""
        return _load(self.run)

    def load_group(self) -> Callable[..., Any]:
        """The group runner (see :attr:`group`)."""
        return _load(self.group)

    def check_optimizer(self, name: str, args: dict[str, Any] | None) -> None:
        """Check an optimizer for this engine (nothing to check without one), raising
        :class:`~bayesgrok.search.optimizers.OptimizerError`."""
        if self.optimizers:
            from bayesgrok.search.optimizer_spec import OptimizerSpec

            OptimizerSpec.parse(self.optimizers, name, args)


@dataclass(frozen=True)
class Member:
    """One run of a group (an engine's group runner, such as
    :func:`bayesgrok.search.jax_engine.run_group`): its family, one split per seed, the seeds
    and the configuration to record.

    Examples
    --------
    >>> from bayesgrok.families.linear import LinearRegression
    >>> Member(LinearRegression(), [], []).config is None
    True
    """

    family: Any
    splits: Sequence[Any]
    seeds: Sequence[int]
    config: dict[str, Any] | None = None


ENGINES: dict[tuple[str, str], Engine] = {
    ("jax", "optimize"): Engine("bayesgrok.search.jax_engine:run_with_artifacts", "jax",
                                group="bayesgrok.search.jax_engine:run_group",
                                checkpoints=True),
    ("torch", "optimize"): Engine("bayesgrok.search.torch_engine:run_with_artifacts", "torch",
                                  group="bayesgrok.search.torch_engine:run_group",
                                  checkpoints=True),
    ("jax", "nuts"): Engine("bayesgrok.search.nuts_engine:run",
                            requires=(lambda family: family.samplable,
                                      "NumPyro model to sample (samplable)")),
}
"""``(backend, method)`` -> :class:`Engine`."""


class NoEngineError(ValueError):
    """No engine runs this family under this method."""


def _load(target: str) -> Callable[..., Any]:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def engine_entry(family: Any, method: str = "optimize") -> Engine:
    """The table's entry for ``family`` under ``method``.

    Raises
    ------
    NoEngineError
        When no engine runs the family's backend under ``method``, or the family lacks
        the capability the engine requires.

    Examples
    --------
    >>> from bayesgrok.families.linear import LinearRegression
    >>> engine_entry(LinearRegression()).run
    'bayesgrok.search.jax_engine:run_with_artifacts'
    >>> engine_entry(LinearRegression(), "nuts")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bayesgrok.search.engines.NoEngineError: family 'linear' has no NumPyro model ...
    """
    entry = ENGINES.get((family.backend, method))
    if entry is None:
        methods = sorted(m for b, m in ENGINES if b == family.backend)
        raise NoEngineError(f"no engine runs {family.backend!r} family {family.name!r} by "
                            f"method {method!r} (its backend has: {', '.join(methods)})")
    if entry.requires is not None and not entry.requires[0](family):
        raise NoEngineError(f"family {family.name!r} has no {entry.requires[1]}: the "
                            f"{method!r} engine needs one")
    return entry


def engine_for(family: Any, method: str = "optimize") -> Callable[..., Any]:
    """The run function of the engine for ``family`` under ``method``.

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
    return engine_entry(family, method).load()
