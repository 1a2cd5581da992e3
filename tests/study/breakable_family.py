"""A family for the executor tests, named by its dotted path: A1's linear model whose runs
with ``fail = true`` raise inside the engine (a failure no check before the run can see)."""

from __future__ import annotations

from typing import Any

from bayesgrok.families.linear import LinearRegression


class Breakable(LinearRegression):
    """:class:`LinearRegression` that raises when it is initialised with ``fail``."""

    name = "breakable"

    def __init__(self, complexity_weight: float = 1.0, fail: bool = False) -> None:
        super().__init__(complexity_weight)
        self.fail = bool(fail)

    def init(self, key: Any, split: Any) -> Any:
        if self.fail:
            raise ValueError("broken on purpose: this run was asked to fail")
        return super().init(key, split)
