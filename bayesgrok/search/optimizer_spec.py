"""An optimizer parsed and checked once: the typed object engines build optimizers from.

A study's ``[search] optimizer`` and ``optimizer_args`` are turned into an
:class:`OptimizerSpec` for the family's backend: any optax optimizer by its name for JAX
families (``optax.<name>(**args)``), any ``torch.optim`` optimizer by its class name for
PyTorch families. The arguments are checked once, when the spec is made (a study checks
them before any work); an engine then builds the optax transformation once per run, or one
torch optimizer per seed, from the checked arguments. How the optimizer itself decays the
weights (optax's ``adamw`` chains ``add_decayed_weights``; torch's ``weight_decay``) is read
off the spec as a sentence for the trajectory's attributes; engines need no flag for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Backend = Literal["jax", "torch"]


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer for one backend, its arguments checked.

    Attributes
    ----------
    backend
        ``"jax"`` (optax) or ``"torch"`` (``torch.optim``).
    name
        The optimizer's name as given.
    kwargs
        Its checked arguments in the backend's spelling (torch: ``lr``).
    decay
        ``"none"``, or how the optimizer itself decays the weights.

    Examples
    --------
    >>> spec = OptimizerSpec.parse("jax", "adamw", {"learning_rate": 1e-3, "weight_decay": 0.1})
    >>> spec.decay.startswith("decoupled weight decay 0.1")
    True
    >>> OptimizerSpec.parse("torch", "AdamW", {"learning_rate": 1e-3}).kwargs
    {'lr': 0.001}
    """

    backend: Backend
    name: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    decay: str = "none"

    @classmethod
    def parse(cls, backend: str, name: str, args: Mapping[str, Any] | None) -> OptimizerSpec:
        """Check ``name`` and ``args`` for ``backend``.

        Raises
        ------
        bayesgrok.search.optimizers.OptimizerError
            Naming the bad key (``optimizer`` or ``optimizer_args.<name>``) and value.

        Examples
        --------
        >>> OptimizerSpec.parse("jax", "adamm", {})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bayesgrok.search.optimizers.OptimizerError: unknown optimizer 'adamm' ...
        """
        args = dict(args or {})
        if backend == "torch":
            from bayesgrok.search.torch_optimizers import decay_of_kwargs, optimizer_kwargs

            kwargs = optimizer_kwargs(name, args)
            return cls("torch", name, kwargs, decay_of_kwargs(name, kwargs))
        if backend == "jax":
            from bayesgrok.search.optimizers import make_optimizer, optimizer_decay

            make_optimizer(name, args)  # checks the name, the arguments and their values
            return cls("jax", name, args, optimizer_decay(name, args))
        raise ValueError(f"no optimizers for backend {backend!r} (known: jax, torch)")

    def optax(self, frozen: Any = None) -> Any:
        """The optax transformation; leaves marked ``True`` in ``frozen`` (a pytree of
        booleans, see :func:`~bayesgrok.search.optimizers.freeze`) get no update.

        Examples
        --------
        >>> import optax
        >>> spec = OptimizerSpec.parse("jax", "sgd", {"learning_rate": 0.1})
        >>> isinstance(spec.optax(), optax.GradientTransformation)
        True
        """
        from bayesgrok.search.optimizers import freeze, make_optimizer

        self._require("jax")
        optimizer = make_optimizer(self.name, dict(self.kwargs))
        return optimizer if frozen is None else freeze(optimizer, frozen)

    def torch(self, params: Iterable[Any]) -> Any:
        """A ``torch.optim`` optimizer over ``params``.

        Examples
        --------
        >>> import torch
        >>> spec = OptimizerSpec.parse("torch", "sgd", {"learning_rate": 0.1})
        >>> type(spec.torch(torch.nn.Linear(2, 1).parameters())).__name__
        'SGD'
        """
        from bayesgrok.search.torch_optimizers import OPTIMIZERS

        self._require("torch")
        return OPTIMIZERS[self.name.lower()](params, **dict(self.kwargs))

    def _require(self, backend: str) -> None:
        if self.backend != backend:
            raise ValueError(f"optimizer {self.name!r} was checked for {self.backend}, "
                             f"not {backend}")
