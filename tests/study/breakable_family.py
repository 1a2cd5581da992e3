"""A family for the executor tests, named by its dotted path: A1's linear model whose runs
with ``fail = true`` raise inside the engine (a failure no check before the run can see)."""

from __future__ import annotations

import functools
from typing import Any

from bayesgrok.families.linear import LinearRegression


class Breakable(LinearRegression):
    """:class:`LinearRegression` that raises when it is initialised with ``fail``."""

    name = "breakable"
    initial_values = (*LinearRegression.initial_values, "fail")  # only init reads it

    def __init__(self, complexity_weight: float = 1.0, fail: bool = False) -> None:
        super().__init__(complexity_weight)
        self.fail = bool(fail)

    def init(self, key: Any, split: Any) -> Any:
        if self.fail:
            raise ValueError("broken on purpose: this run was asked to fail")
        return super().init(key, split)


class Fragile(Breakable):
    """A scalar model p with error p^2 that starts at ``start``: with a learning rate above
    1 it grows geometrically unless it starts at 0, so one point of a group diverges."""

    name = "fragile"
    initial_values = ("start",)

    def __init__(self, complexity_weight: float = 1.0, start: float = 0.0) -> None:
        super().__init__(complexity_weight)
        self.start = float(start)

    def init(self, key: Any, split: Any) -> Any:
        import jax.numpy as jnp

        return jnp.asarray(self.start)

    def error(self, p: Any, batch: Any, train: Any) -> Any:
        return p**2 + 0.0 * batch.y.sum()

    def complexity(self, p: Any, train: Any) -> Any:
        return 0.0 * p

    def predict(self, p: Any, x: Any, train: Any) -> Any:
        import jax.numpy as jnp

        return jnp.full(x.shape[0], p)

    def probes(self, p: Any, train: Any) -> dict[str, Any]:
        return {}


@functools.cache
def _scalar_class() -> type:
    """A torch module holding one scalar parameter ``p`` (defined on first use: torch is
    imported only by the torch tests; one class, so that seeds stack)."""
    import torch

    class Scalar(torch.nn.Module):
        def __init__(self, start: float) -> None:
            super().__init__()
            self.p = torch.nn.Parameter(torch.tensor([start]))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.p * x[:, 0]

    return Scalar


@functools.cache
def _torch_family() -> type:
    from bayesgrok.search.torch_contract import TorchFamily

    class TorchFragile(TorchFamily):
        """A PyTorch scalar model p with error p^2 mean(y^2): plain gradient descent with
        learning rate lr multiplies p by (1 - 2 lr mean(y^2)) each step, so a run whose
        targets are large (A1's task with a steep ``slope``) diverges and one with small
        targets does not, though both have one shape (one group)."""

        name = "torch_fragile"
        vectorize_seeds = True

        def __init__(self, complexity_weight: float = 0.0, precision: str = "float64") -> None:
            super().__init__(complexity_weight, precision)

        def build(self, split: Any, seed: int) -> Any:
            return _scalar_class()(1.0)

        def error(self, model: Any, x: Any, y: Any) -> Any:
            return (model.p[0] ** 2) * (y**2).mean()

        def predict(self, model: Any, x: Any) -> Any:
            return model(x)

    return TorchFragile


def __getattr__(name: str) -> Any:  # TorchFragile, defined when first asked for
    if name == "TorchFragile":
        return _torch_family()
    raise AttributeError(name)
