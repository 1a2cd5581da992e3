"""The ``[search]`` settings of a NUTS study (:class:`NUTSConfig`), apart from the engine
(:mod:`bayesgrok.search.nuts_engine`) so that reading a study imports no JAX."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from bayesgrok.search.config import LogSchedule

__all__ = ["NUTSConfig"]


class NUTSConfig(BaseModel):
    """``[search]`` for ``method = "nuts"``.

    Parameters
    ----------
    num_warmup, num_samples, num_chains
        NumPyro's MCMC settings: adaptation steps, kept draws per chain, chains per seed.
    target_accept_prob, max_tree_depth
        NUTS's step-size target and tree-depth limit.
    dense_mass
        Adapt a full (dense) mass matrix instead of a diagonal one: for posteriors with
        strongly correlated directions (a broad prior and few data points).
    log
        Which draw counts the trajectory records (posterior averages up to each).
    threads
        Pin the threads of XLA's CPU client and torch (see :class:`SearchConfig`).

    Examples
    --------
    >>> NUTSConfig(method="nuts", num_samples=100).log.steps(100)[-1]
    np.int64(100)
    """

    model_config = ConfigDict(extra="forbid")

    method: Literal["nuts"] = "nuts"
    num_warmup: PositiveInt = 500
    num_samples: PositiveInt = 500
    num_chains: PositiveInt = 4
    target_accept_prob: float = Field(0.8, gt=0, lt=1)
    max_tree_depth: PositiveInt = 10
    dense_mass: bool = False
    log: LogSchedule = Field(default_factory=lambda: LogSchedule(log_spaced=30))
    threads: PositiveInt | None = None

    def total_steps(self, n_train: int) -> int:
        """Draws per chain (the length of the trajectory)."""
        return int(self.num_samples)
