"""A family for the executor tests, named by its dotted path: A1's linear model whose runs
with ``fail = true`` raise inside the engine (a failure no check before the run can see)."""

from __future__ import annotations

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
