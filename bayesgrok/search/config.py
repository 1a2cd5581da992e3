"""The search configuration: optimizer, length, batch size and logging schedule.

The same configuration drives every engine. It is a pydantic model, so a study file's
``[search]`` table is validated against it (unknown keys are rejected).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveInt,
    SerializerFunctionWrapHandler,
    Strict,
    model_serializer,
    model_validator,
)

MAX_STEPS = 10**9
"""The most optimizer steps a search may take (a length beyond it is a typo, not a plan)."""

MAX_LOGGED = 10**6
"""The most logged steps a search may record (each one is a full measurement)."""

Count = Annotated[int, Strict(), Field(gt=0, le=MAX_STEPS)]
"""A positive integer, exactly (never a boolean or a float such as ``1e6``)."""

SCHEDULES = ("every", "log_spaced", "at", "segments")
"""The ways of giving a :class:`LogSchedule`; exactly one is used."""


class LogSchedule(BaseModel):
    """When a search measures: every ``k`` steps, ``n`` log-spaced steps, an explicit list,
    or piecewise strides.

    Give exactly one of ``every``, ``log_spaced``, ``at`` and ``segments`` (none: every
    step). Step 0 (the initial parameters) and the final step are always logged, so onsets
    that never happen count as the total number of steps.

    ``segments`` is a list of ``[start, stride]`` pairs with increasing starts, the first
    start 0 and positive strides: a step ``s`` with ``start_i <= s < start_(i+1)`` is logged
    when ``s`` is a multiple of ``stride_i`` (strides count from step 0, not from the
    segment's start). ``[[0, 1], [30, 10], [150, 667]]`` is the Omnigrok / Deep Grokking
    schedule (REFERENCE B1): every step below 30, every 10 steps below 150, then every
    667 steps (667, 1334, ...).

    Examples
    --------
    >>> LogSchedule(every=250).steps(1000).tolist()
    [0, 250, 500, 750, 1000]
    >>> LogSchedule(log_spaced=4).steps(1000).tolist()
    [0, 1, 10, 100, 1000]
    >>> LogSchedule(at=[5, 50]).steps(100).tolist()
    [0, 5, 50, 100]
    >>> LogSchedule(segments=[[0, 1], [3, 5], [12, 100]]).steps(250).tolist()
    [0, 1, 2, 5, 10, 100, 200, 250]
    >>> LogSchedule(segments=[[0, 2], [10, 0]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for LogSchedule
    ...segments: the stride of segment 1 (start 10) must be positive, got 0...
    """

    model_config = ConfigDict(extra="forbid")

    every: PositiveInt | None = None
    log_spaced: PositiveInt | None = None
    at: list[int] | None = None
    segments: list[tuple[int, int]] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> LogSchedule:
        given = [k for k in SCHEDULES if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of {', '.join(SCHEDULES)}; got {', '.join(given)}")
        if not given:
            self.every = 1
        if self.at is not None and any(s < 0 for s in self.at):
            raise ValueError("logged steps must be >= 0")
        if self.segments is not None:
            _check_segments(self.segments)
        return self

    @model_serializer(mode="wrap")
    def _drop_unset_segments(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # configurations from before ``segments`` existed keep their recorded form
        out = handler(self)
        if self.segments is None:
            out.pop("segments", None)
        return out

    def count(self, total: int) -> int:
        """About how many steps :meth:`steps` gives (an upper bound), without building
        them.

        Examples
        --------
        >>> LogSchedule(every=10).count(1000), LogSchedule(log_spaced=4).count(10**9)
        (102, 6)
        """
        if self.every is not None:
            return total // self.every + 2
        if self.log_spaced is not None:
            return self.log_spaced + 2
        if self.segments is not None:
            ends = [start for start, _ in self.segments[1:]] + [total + 1]
            return sum(max(0, min(end, total + 1) - start) // stride + 1
                       for (start, stride), end in zip(self.segments, ends, strict=True)) + 2
        return len(self.at or []) + 2

    def steps(self, total: int) -> np.ndarray:
        """The sorted, unique logged steps for a search of ``total`` steps."""
        if self.every is not None:
            points = np.arange(0, total + 1, self.every)
        elif self.log_spaced is not None:
            points = np.unique(np.round(np.geomspace(1, max(total, 1), self.log_spaced)))
        elif self.segments is not None:
            ends = [start for start, _ in self.segments[1:]] + [total + 1]
            parts = []
            for (start, stride), end in zip(self.segments, ends, strict=True):
                first = -(-start // stride) * stride  # the first multiple of stride >= start
                parts.append(np.arange(first, min(end, total + 1), stride))
            points = np.concatenate(parts)
        else:
            points = np.asarray([s for s in (self.at or []) if s <= total])
        points = np.concatenate([[0], points, [total]]).astype(np.int64)
        return np.unique(points)


def _check_segments(segments: list[tuple[int, int]]) -> None:
    if not segments:
        raise ValueError("segments: give at least one [start, stride] pair")
    if segments[0][0] != 0:
        raise ValueError(f"segments: the first segment must start at step 0, got "
                         f"{segments[0][0]}")
    for i, (start, stride) in enumerate(segments):
        if stride < 1:
            raise ValueError(f"segments: the stride of segment {i} (start {start}) must be "
                             f"positive, got {stride}")
        if i and start <= segments[i - 1][0]:
            raise ValueError(f"segments: starts must increase, but segment {i} starts at "
                             f"{start} after a segment starting at {segments[i - 1][0]}")


class Perturbation(BaseModel):
    """Adaptive Gaussian input perturbation during training (REFERENCE C2).

    At every step the inputs (or, for a family whose ``noise_at`` is ``"embeddings"``, its
    token embeddings) get noise ``N(0, s^2)`` with ``s = max(l1 * (1 - a), l2)``, where
    ``a`` is the training accuracy on the previous step's (perturbed) batch (``0`` before
    the first step; with full batches, the training accuracy itself).

    Parameters
    ----------
    l1
        The level while nothing is fitted; it falls with the training accuracy.
    l2
        The floor the level never goes below.

    Examples
    --------
    >>> Perturbation(l1=0.5, l2=0.05).level(0.98)
    0.05
    """

    model_config = ConfigDict(extra="forbid")

    l1: NonNegativeFloat
    l2: NonNegativeFloat = 0.0

    def level(self, train_accuracy: float) -> float:
        """``max(l1 * (1 - train_accuracy), l2)``."""
        return float(max(self.l1 * (1.0 - float(train_accuracy)), self.l2))


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
        The logging schedule (:class:`LogSchedule`) of the cheap measurements.
    metrics_log
        When the family's expensive measurements (``metrics``, such as the feature ranks
        and linear probes of an MLP) are taken, as a second :class:`LogSchedule`; ``None``
        (the default): never. The logged steps are the union of both schedules, and the
        expensive variables are NaN at the steps outside ``metrics_log``. Only the PyTorch
        engine measures them; a study that gives it to a family without ``metrics`` is
        refused.
    snapshots
        Steps at which to keep every seed's parameters (a list, or a schedule as for
        ``log``: ``{ every = 500 }``), flattened into the run's ``parameters`` artifact
        (:mod:`~bayesgrok.search.parameter_snapshots`). A family that can draw from the
        distribution its parameters describe (``posterior_draws``, as the variational
        Bayesian families) turns each into ArviZ InferenceData (``posterior_step<k>``);
        ``snapshot_draws`` draws are taken per seed (``0``: none, only the parameters).
    perturbation
        Train under adaptive Gaussian input perturbation (:class:`Perturbation`, REFERENCE
        C2); PyTorch families only.
    commutativity_penalty
        Weight of a penalty on the discrepancy between the logits of ``(a, b)`` and of
        ``(b, a)`` (REFERENCE C3: 100), added to the objective: the mean over the batch and
        the classes of the squared difference. ``0`` (default): off. PyTorch families on
        tasks with two operands only.
    metrics_noise
        Noise level of the robustness metrics among a family's ``metrics`` (perturbed
        accuracy, information metrics); ``None``: the family's default (0.1).
    checkpoint_every
        Save the search state every this many optimizer steps, so that a killed run
        resumes where it was (:mod:`~bayesgrok.search.checkpoint`); ``None`` (default):
        every two minutes of wall time, so only long runs write one; ``0``: never. It
        changes no result, so it is not part of the recorded configuration.
    device
        Where a PyTorch family trains and is measured: ``"cpu"`` (default), ``"cuda"``,
        ``"cuda:N"``, or ``"auto"`` (a GPU when torch sees one, else the CPU); see
        :mod:`bayesgrok.search.torch_device`. The device used and its name are recorded in
        the trajectory's attributes. JAX families run on JAX's default device whatever
        this says. ``"cpu"`` is left out of the recorded configuration (runs from before
        this key keep their ids).
    threads
        Pin the number of threads XLA's CPU client and torch compute with (see
        :func:`bayesgrok.search.threads.pin_threads`), for results that must not depend on
        the machine's core count; ``None`` (default): the machine's default. The threads
        in force are recorded in every trajectory either way (``threading`` attribute).

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
    steps: Count | None = None
    epochs: Count | None = None
    batch_size: Count | Literal["full"] = "full"
    log: LogSchedule = Field(default_factory=LogSchedule)
    metrics_log: LogSchedule | None = None
    snapshots: list[NonNegativeInt] | LogSchedule = Field(default_factory=list)
    snapshot_draws: NonNegativeInt = 500
    perturbation: Perturbation | None = None
    commutativity_penalty: NonNegativeFloat = 0.0
    metrics_noise: NonNegativeFloat | None = None
    threads: PositiveInt | None = None
    device: Annotated[str, Field(pattern=r"^(cpu|auto|cuda(:[0-9]+)?|mps)$")] = "cpu"
    checkpoint_every: Annotated[int, Strict(), Field(ge=0, le=MAX_STEPS)] | None = None

    @model_validator(mode="after")
    def _one_length(self) -> SearchConfig:
        if (self.steps is None) == (self.epochs is None):
            raise ValueError("give exactly one of steps and epochs")
        return self

    def check_length(self, n_train: int) -> None:
        """Refuse a search longer than :data:`MAX_STEPS` steps, or logging more than
        :data:`MAX_LOGGED` of them, before any array is allocated.

        Raises
        ------
        ValueError
            Naming the key (``steps``, ``epochs`` or ``log``) and the limit.

        Examples
        --------
        >>> SearchConfig(epochs=10**6, batch_size=1).check_length(n_train=2000)
        Traceback (most recent call last):
        ...
        ValueError: epochs: 2000000000 steps in all, more than the limit of 1000000000
        >>> SearchConfig(steps=10**8).check_length(n_train=10)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: log: 100000002 logged steps, more than the limit of 1000000: ...
        """
        total = self.total_steps(n_train)
        if total > MAX_STEPS:
            key = "steps" if self.steps is not None else "epochs"
            raise ValueError(f"{key}: {total} steps in all, more than the limit of {MAX_STEPS}")
        for key, schedule in (("log", self.log), ("metrics_log", self.metrics_log)):
            if schedule is not None and schedule.count(total) > MAX_LOGGED:
                raise ValueError(f"{key}: {schedule.count(total)} logged steps, more than the "
                                 f"limit of {MAX_LOGGED}: log less often (every = N, "
                                 "log_spaced = N or segments)")

    @model_serializer(mode="wrap")
    def _drop_unset_metrics_log(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # configurations from before ``metrics_log`` existed keep their recorded form
        out = handler(self)
        if self.metrics_log is None:
            out.pop("metrics_log", None)
        if self.perturbation is None:  # nor do those from before the training methods
            out.pop("perturbation", None)
        if self.commutativity_penalty == 0.0:
            out.pop("commutativity_penalty", None)
        if self.metrics_noise is None:
            out.pop("metrics_noise", None)
        out.pop("checkpoint_every", None)  # how often state is saved changes no result
        if self.device == "cpu":  # configurations from before devices keep their form
            out.pop("device", None)
        return out

    @property
    def uses_methods(self) -> bool:
        """Whether a training method (perturbation or commutativity penalty) is on."""
        return self.perturbation is not None or self.commutativity_penalty > 0.0

    def metrics_steps(self, n_train: int) -> np.ndarray:
        """The steps at which the expensive metrics are measured (none without
        ``metrics_log``).

        Examples
        --------
        >>> SearchConfig(steps=10, metrics_log={"every": 4}).metrics_steps(n_train=5)
        array([ 0,  4,  8, 10])
        >>> SearchConfig(steps=10).metrics_steps(n_train=5)
        array([], dtype=int64)
        """
        if self.metrics_log is None:
            return np.zeros(0, dtype=np.int64)
        return self.metrics_log.steps(self.total_steps(n_train))

    def logged_steps(self, n_train: int) -> np.ndarray:
        """Every logged step: the union of ``log`` and ``metrics_log``.

        Examples
        --------
        >>> cfg = SearchConfig(steps=10, log={"every": 5}, metrics_log={"at": [3]})
        >>> cfg.logged_steps(n_train=5).tolist()
        [0, 3, 5, 10]
        """
        total = self.total_steps(n_train)
        return np.union1d(self.log.steps(total), self.metrics_steps(n_train)).astype(np.int64)

    def snapshot_steps(self, n_train: int) -> np.ndarray:
        """The sorted, unique snapshot steps; refuses steps beyond the end of the search.

        Examples
        --------
        >>> SearchConfig(steps=10, snapshots=[10, 0, 5, 5]).snapshot_steps(n_train=4)
        array([ 0,  5, 10])
        >>> SearchConfig(steps=10, snapshots={"every": 4}).snapshot_steps(n_train=4)
        array([ 0,  4,  8, 10])
        """
        total = self.total_steps(n_train)
        if isinstance(self.snapshots, LogSchedule):
            return self.snapshots.steps(total)
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
