"""The search configuration: optimizer, length, batch size and logging schedule.

The same configuration drives every engine. It is a pydantic model, so a study file's
``[search]`` table is validated against it (unknown keys are rejected).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    model_validator,
)


class LogSchedule(BaseModel):
    """When a search measures: every ``k`` steps, ``n`` log-spaced steps, or an explicit list.

    Step 0 (the initial parameters) and the final step are always logged, so onsets that
    never happen count as the total number of steps.

    Examples
    --------
    >>> LogSchedule(every=250).steps(1000).tolist()
    [0, 250, 500, 750, 1000]
    >>> LogSchedule(log_spaced=4).steps(1000).tolist()
    [0, 1, 10, 100, 1000]
    >>> LogSchedule(at=[5, 50]).steps(100).tolist()
    [0, 5, 50, 100]
    """

    model_config = ConfigDict(extra="forbid")

    every: PositiveInt | None = None
    log_spaced: PositiveInt | None = None
    at: list[int] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> LogSchedule:
        given = [k for k in ("every", "log_spaced", "at") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of every, log_spaced, at; got {', '.join(given)}")
        if not given:
            self.every = 1
        if self.at is not None and any(s < 0 for s in self.at):
            raise ValueError("logged steps must be >= 0")
        return self

    def steps(self, total: int) -> np.ndarray:
        """The sorted, unique logged steps for a search of ``total`` steps."""
        if self.every is not None:
            points = np.arange(0, total + 1, self.every)
        elif self.log_spaced is not None:
            points = np.unique(np.round(np.geomspace(1, max(total, 1), self.log_spaced)))
        else:
            points = np.asarray([s for s in (self.at or []) if s <= total])
        points = np.concatenate([[0], points, [total]]).astype(np.int64)
        return np.unique(points)


class SearchConfig(BaseModel):
    """How a family's parameters are moved.

    Parameters
    ----------
    method
        ``"optimize"`` (this configuration); ``"nuts"`` selects
        :class:`bayesgrok.search.nuts_engine.NUTSConfig` instead.
    optimizer
        An optax optimizer by name (``"sgd"``, ``"adam"``, ``"adamw"``, ...).
    optimizer_args
        Keyword arguments of that optimizer (``learning_rate`` and so on).
    steps, epochs
        The length of the search: give exactly one. With ``epochs`` and minibatches, the
        number of steps is ``ceil(epochs * n_train / batch_size)``.
    batch_size
        ``"full"`` for full-batch training, or the minibatch size; minibatches come from a
        shuffled, cycled stream of the training set (reshuffled every epoch).
    log
        The logging schedule.
    snapshots
        Steps at which to keep every seed's parameters. A family that can draw from the
        distribution its parameters describe (``posterior_draws``, as the variational
        Bayesian families) turns each into ArviZ InferenceData (``posterior_step<k>``);
        ``snapshot_draws`` draws are taken per seed.

    Examples
    --------
    >>> cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 0.1}, epochs=3,
    ...                    batch_size=4)
    >>> cfg.total_steps(n_train=10)
    8
    """

    model_config = ConfigDict(extra="forbid")

    method: Literal["optimize"] = "optimize"
    optimizer: str = "sgd"
    optimizer_args: dict[str, Any] = Field(default_factory=lambda: {"learning_rate": 1e-3})
    steps: PositiveInt | None = None
    epochs: PositiveInt | None = None
    batch_size: PositiveInt | Literal["full"] = "full"
    log: LogSchedule = Field(default_factory=LogSchedule)
    snapshots: list[NonNegativeInt] = Field(default_factory=list)
    snapshot_draws: PositiveInt = 500

    @model_validator(mode="after")
    def _one_length(self) -> SearchConfig:
        if (self.steps is None) == (self.epochs is None):
            raise ValueError("give exactly one of steps and epochs")
        return self

    def snapshot_steps(self, n_train: int) -> np.ndarray:
        """The sorted, unique snapshot steps; refuses steps beyond the end of the search.

        Examples
        --------
        >>> SearchConfig(steps=10, snapshots=[10, 0, 5, 5]).snapshot_steps(n_train=4)
        array([ 0,  5, 10])
        """
        total = self.total_steps(n_train)
        late = [s for s in self.snapshots if s > total]
        if late:
            raise ValueError(f"snapshots {late} come after the last step ({total})")
        return np.unique(np.asarray(self.snapshots, dtype=np.int64))

    def batch(self, n_train: int) -> int:
        """The batch size in points for a training set of ``n_train`` points."""
        if self.batch_size == "full":
            return n_train
        return min(int(self.batch_size), n_train)

    def total_steps(self, n_train: int) -> int:
        """Number of optimizer steps of the search."""
        if self.steps is not None:
            return int(self.steps)
        return int(math.ceil(self.epochs * n_train / self.batch(n_train)))

    def epoch_of(self, steps: np.ndarray, n_train: int) -> np.ndarray:
        """Epoch (passes over the training set) reached at each step."""
        return np.asarray(steps, dtype=np.float64) * self.batch(n_train) / n_train
