"""The tables of a study file other than the search: ``[task]``, ``[model]``, ``[sweep]``,
``[analysis]``, ``[landscape]``, ``[concealment]``, ``[robustness]``, ``[regions]`` and
``[hypothesis]``, each a pydantic model (see :mod:`bayesgrok.study.schema` for the whole
file), with :func:`check_name` and the :data:`Name` type of a study's or suite's name.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    field_validator,
    model_validator,
)


class TaskSpec(BaseModel):
    """``[task]``: a task name plus its parameters (checked against the task)."""

    model_config = ConfigDict(extra="allow")

    name: str

    def params(self) -> dict[str, Any]:
        """The task parameters given (everything but ``name``)."""
        return dict(self.model_extra or {})


class ModelSpec(BaseModel):
    """``[model]``: a model card or a family, plus parameter overrides."""

    model_config = ConfigDict(extra="allow")

    card: str | None = None
    family: str | None = None

    def params(self) -> dict[str, Any]:
        """The parameter overrides given (everything but ``card`` and ``family``)."""
        return dict(self.model_extra or {})


SWEEP_PREFIXES = ("task.", "model.", "search.", "label.")
SWEEP_TABLES = ("task", "model", "search")


class SweepSpec(BaseModel):
    """``[sweep]``: the seeds every run trains together, and the sweep points.

    ``grid`` maps dotted keys to lists of values and takes their product; ``zip`` maps
    dotted keys to lists of equal length taken together (point ``i`` uses value ``i`` of
    every list), and is combined with the grid by product. Keys under ``label.`` set no
    parameter: they only name the points (``label.start = ["A", "B"]``). A key may also be
    a whole table (``task``, ``model`` or ``search``) whose values are tables: each point
    then replaces that table, before any dotted key sets a value inside it.
    """

    model_config = ConfigDict(extra="forbid")

    seeds: list[int] = Field(default_factory=lambda: [0])
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    zip: dict[str, list[Any]] = Field(default_factory=dict)

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, seeds: list[int]) -> list[int]:
        if not seeds:
            raise ValueError("give at least one seed")
        if len(set(seeds)) != len(seeds):
            raise ValueError("seeds must be distinct")
        if any(s < 0 for s in seeds):
            raise ValueError("seeds must be >= 0")
        return seeds

    @field_validator("grid", "zip")
    @classmethod
    def _keys(cls, grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in grid.items():
            whole = key in SWEEP_TABLES
            if whole and not all(isinstance(v, dict) for v in values):
                raise ValueError(f"sweep key {key!r} replaces a whole table: its values must "
                                 "be tables ({ name = ... })")
            if not (whole or key.startswith(SWEEP_PREFIXES)) or key.endswith("."):
                raise ValueError(
                    f"sweep key {key!r} must be task, model or search (a whole table) or "
                    "start with task., model., search. or label."
                )
            if not values:
                raise ValueError(f"sweep key {key!r} has no values")
        return grid

    @field_validator("zip")
    @classmethod
    def _zip_lengths(cls, zipped: dict[str, list[Any]]) -> dict[str, list[Any]]:
        lengths = {len(v) for v in zipped.values()}
        if len(lengths) > 1:
            raise ValueError(f"zipped lists must have one length, got {sorted(lengths)}")
        return zipped


class AnalysisSpec(BaseModel):
    """``[analysis]``: thresholds for onsets and gaps."""

    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(0.95, gt=0, lt=1)
    mse_threshold: float | None = Field(None, gt=0)


class LandscapeSpec(BaseModel):
    """``[landscape]``: error and complexity over a plane, drawn with the runs.

    ``plane = "coordinates"`` (default): a grid over two of the family's named coordinates
    (``x``, ``y``, their ranges), evaluated with the first run's family and the first
    seed's data, every other parameter held at its initial value.

    ``plane = "pca"``: for every run, the plane of the two leading principal directions of
    its parameter snapshots (``[search] snapshots``; :mod:`bayesgrok.analysis.plane`), of
    the seed ``seed`` or of all seeds pooled (``seed`` not given), optionally
    ``filter_normalize``-d as Li et al. (2018) describe; a ``size`` grid (default 25 x 25)
    covering the projected paths with ``margin`` of their extent on each side, evaluated on
    the training set of the plane's (first) seed.
    """

    model_config = ConfigDict(extra="forbid")

    plane: Literal["coordinates", "pca"] = "coordinates"
    x: str | None = None
    y: str | None = None
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    size: tuple[PositiveInt, PositiveInt] | None = None
    tolerance: float = Field(0.1, gt=0)
    seed: int | None = None
    filter_normalize: bool = False
    margin: float = Field(0.25, ge=0)

    @model_validator(mode="after")
    def _axes_for_coordinates(self) -> LandscapeSpec:
        named = ("x", "y", "x_range", "y_range")
        if self.plane == "coordinates":
            missing = [k for k in named if getattr(self, k) is None]
            if missing:
                raise ValueError(f"plane = 'coordinates' needs {', '.join(missing)}")
        else:
            given = [k for k in named if getattr(self, k) is not None]
            if given:
                raise ValueError(f"plane = 'pca' takes no {', '.join(given)} (the plane "
                                 "comes from the snapshots)")
        return self

    def grid_size(self) -> tuple[int, int]:
        """``size``, or its default: 100 x 100 on coordinates, 25 x 25 on a PCA plane."""
        if self.size is not None:
            return self.size
        return (100, 100) if self.plane == "coordinates" else (25, 25)

    def x_values(self) -> list[float]:
        """The grid's x values (evenly spaced over ``x_range``)."""
        return _linspace(*self.x_range, self.grid_size()[0])

    def y_values(self) -> list[float]:
        """The grid's y values (evenly spaced over ``y_range``)."""
        return _linspace(*self.y_range, self.grid_size()[1])


def _linspace(low: float, high: float, n: int) -> list[float]:
    if n == 1:
        return [low]
    return [low + (high - low) * i / (n - 1) for i in range(n)]


class ConcealmentSpec(BaseModel):
    """``[concealment]``: fit the gap against a swept number of random bits (REFERENCE A4).

    ``length`` is the swept key giving ``l`` (``"task.n_extra_bits"``), ``group`` the
    swept key naming the task (``"task.operation"``), fitted pooled and per group; both
    must be swept (checked by :func:`parse_study`). See
    :mod:`bayesgrok.analysis.concealment`.
    """

    model_config = ConfigDict(extra="forbid")

    length: str
    group: str | None = None


class RobustnessSpec(BaseModel):
    """``[robustness]``: when each metric moves relative to grokking, and whether it
    predicts grokking (REFERENCE C; :mod:`bayesgrok.analysis.timeliness`,
    :mod:`bayesgrok.analysis.prediction`).

    ``metrics`` are the trajectory variables analysed (default: every robustness metric
    the runs recorded, with the weight norm). ``onsets`` maps a metric to a level: the
    first step at which it goes strictly above that level is compared with the
    validation onset (C3: ``abelian_train = 0.95``). With ``prediction = true`` each
    metric's early features are scored as predictors of grokking, each signed by
    ``directions`` (``+1``: higher predicts grokking, ``-1``: lower does; fix them from
    the claim under test, before the runs), at the first step at which training accuracy
    reaches ``fit_threshold``.
    """

    model_config = ConfigDict(extra="forbid")

    metrics: list[str] | None = None
    onsets: dict[str, float] = Field(default_factory=dict)
    prediction: bool = False
    directions: dict[str, Literal[1, -1]] = Field(default_factory=dict)
    fit_threshold: float = Field(1.0, gt=0, le=1)
    axis: Literal["log", "linear"] = "log"


def check_name(name: str) -> str:
    """A study's or suite's name: letters, digits, ``-`` and ``_`` (it names a folder).

    Examples
    --------
    >>> check_name("a/b")
    Traceback (most recent call last):
    ...
    ValueError: use letters, digits, '-' and '_' only
    """
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise ValueError("use letters, digits, '-' and '_' only")
    return name


Name = Annotated[str, AfterValidator(check_name)]


class RegionsSpec(BaseModel):
    """``[regions]``: how LEHC and LELC are defined (:mod:`bayesgrok.analysis.regions`).

    ``reference`` is ``"lowest_final"`` (default: the lowest final complexity among the
    runs of each ``reference_group`` that keep their complexity term), a number, or a
    sweep point (``{ "label.start" = "C" }``: swept keys and their values) whose final
    complexity is the reference. ``tolerance`` is in natural-log units (``ln 2``: a
    factor of two). ``onset`` chooses the onset of the gap: ``"threshold"`` or the erf
    ``"fit"``. The sensitivity grid (``regions_sensitivity.csv``) uses
    ``sensitivity_tolerances`` and ``sensitivity_thresholds`` (levels of the low-error
    test), by default half and twice the tolerance and 0.9, the threshold and 0.99.
    """

    model_config = ConfigDict(extra="forbid")

    tolerance: float = Field(0.6931471805599453, ge=0, allow_inf_nan=False)
    reference: float | Literal["lowest_final"] | dict[str, Any] = "lowest_final"
    reference_group: str = "family"
    onset: Literal["threshold", "fit"] = "threshold"
    sensitivity_tolerances: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = \
        None
    sensitivity_thresholds: list[Annotated[float, Field(gt=0, allow_inf_nan=False)]] | None = \
        None

    @field_validator("reference", mode="before")
    @classmethod
    def _reference(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("give 'lowest_final', a number or a sweep point table")
        if isinstance(value, dict) and not value:
            raise ValueError("a sweep point needs at least one swept key")
        return value


class HypothesisSpec(BaseModel):
    """``[hypothesis]``: the groups of the hypothesis test and the criteria of its verdict,
    stated before the study is run (:mod:`bayesgrok.analysis.hypothesis`).

    ``group`` is ``"family"``, a swept key, or (in a suite) ``"study"``: each member
    study its own group, with its own reference. ``criteria`` lists the criteria in force
    (``passed_lehc``, ``exit_before_onset``, ``dwell_tracks_gap``,
    ``ablation_stays_out``); the other keys are their levels.
    """

    model_config = ConfigDict(extra="forbid")

    group: str = "family"
    criteria: list[Literal["passed_lehc", "exit_before_onset", "dwell_tracks_gap",
                           "ablation_stays_out"]] = Field(
        default_factory=lambda: ["passed_lehc", "exit_before_onset", "dwell_tracks_gap",
                                 "ablation_stays_out"])
    min_grokked: PositiveInt = 3
    min_passed_fraction: float = Field(0.8, ge=0, le=1)
    max_p: float = Field(0.05, gt=0, le=1)
    min_rho_low: float = Field(0.0, ge=-1, le=1)
    max_ablation_lelc: float = Field(0.2, ge=0, le=1)
