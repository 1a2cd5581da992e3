"""The study file schema (pydantic) and the loading of study files and model cards.

A study file is TOML::

    name = "miller_linear"
    description = "Linear regression grokking (Miller et al. Fig. 1)"

    [task]                       # a registered task and its parameters
    name = "linear_sign"

    [model]                      # a model card from models/, with overrides
    card = "miller_linear"       # (or: family = "linear")
    complexity_weight = 1.0

    [search]                     # bayesgrok.search.config.SearchConfig
    optimizer = "sgd"
    optimizer_args = { learning_rate = 1e-3 }
    epochs = 5000
    log = { every = 10 }

    [sweep]                      # seeds of every run, and a grid over dotted keys
    seeds = [0, 1, 2, 3, 4]
    grid = { "model.complexity_weight" = [1.0, 0.0] }

    [analysis]
    threshold = 0.95

Unknown keys are rejected everywhere; task and model parameters are checked against the
task's and family's own signatures when the study is resolved.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

from bayesgrok.search.config import SearchConfig
from bayesgrok.search.nuts_engine import NUTSConfig
from bayesgrok.study.errors import StudyError


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
    """``[landscape]``: a grid over two of the family's coordinates, drawn with the runs.

    The landscape is evaluated with the first run's family and the first seed's data,
    every other parameter held at its initial value.
    """

    model_config = ConfigDict(extra="forbid")

    x: str
    y: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    size: tuple[PositiveInt, PositiveInt] = (100, 100)
    tolerance: float = Field(0.1, gt=0)

    def x_values(self) -> list[float]:
        """The grid's x values (``size[0]`` evenly spaced over ``x_range``)."""
        return _linspace(*self.x_range, self.size[0])

    def y_values(self) -> list[float]:
        """The grid's y values (``size[1]`` evenly spaced over ``y_range``)."""
        return _linspace(*self.y_range, self.size[1])


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


class StudySpec(BaseModel):
    """A whole study file."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: str = ""
    notes: str = ""
    task: TaskSpec
    model: ModelSpec
    search: Annotated[SearchConfig | NUTSConfig, Field(discriminator="method")]
    sweep: SweepSpec = Field(default_factory=SweepSpec)
    analysis: AnalysisSpec = Field(default_factory=AnalysisSpec)
    landscape: LandscapeSpec | None = None
    concealment: ConcealmentSpec | None = None
    robustness: RobustnessSpec | None = None
    regions: RegionsSpec = Field(default_factory=RegionsSpec)
    hypothesis: HypothesisSpec = Field(default_factory=HypothesisSpec)

    @model_validator(mode="before")
    @classmethod
    def _default_method(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and isinstance(raw.get("search"), dict):
            raw = {**raw, "search": {"method": "optimize", **raw["search"]}}
        return raw


class ModelCard(BaseModel):
    """A model card: a named family and its hyperparameters (``models/<name>.toml``)."""

    model_config = ConfigDict(extra="allow")

    family: str
    description: str = ""

    def params(self) -> dict[str, Any]:
        """The card's family parameters."""
        return dict(self.model_extra or {})


def load_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML file, turning every failure into a :class:`StudyError`.

    Examples
    --------
    >>> load_toml("no/such/file.toml")
    Traceback (most recent call last):
    ...
    bayesgrok.study.errors.StudyError: no/such/file.toml: file not found
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StudyError(str(path), "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(str(path), "", f"cannot read: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(str(path), "", f"TOML syntax error: {exc}") from None


def pydantic_error(
    path: str | os.PathLike[str], exc: ValidationError, prefix: str = ""
) -> StudyError:
    """Turn the first error of a pydantic validation into a :class:`StudyError`."""
    errors = exc.errors()
    # an unknown key (a typo, say) often explains a missing one: report it first
    err = min(errors, key=lambda e: e.get("type") != "extra_forbidden")
    # drop pydantic's union-branch markers such as 'int', "literal['full']" or 'nuts'
    loc = [
        str(p)
        for p in err.get("loc", ())
        if not str(p).startswith(("literal[", "function-"))
        and str(p) not in ("int", "str", "float", "bool", "list", "dict", "optimize", "nuts")
    ]
    key = ".".join(([prefix] if prefix else []) + loc)
    msg = err.get("msg", "invalid value")
    if err.get("type") == "extra_forbidden":
        msg = "unknown key"
    elif err.get("type") == "missing":
        return StudyError(str(path), key, "required key is missing")
    return StudyError(str(path), key, msg, value=err.get("input"))


def parse_study(raw: dict[str, Any], path: str | os.PathLike[str]) -> StudySpec:
    """Validate a study file's contents.

    Examples
    --------
    >>> parse_study({"name": "x", "task": {"name": "t"}, "model": {"family": "linear"},
    ...              "search": {"steps": 5}, "colour": "red"}, "s.toml")
    Traceback (most recent call last):
    ...
    bayesgrok.study.errors.StudyError: s.toml: colour = 'red': unknown key
    """
    try:
        spec = StudySpec.model_validate(raw)
    except ValidationError as exc:
        raise pydantic_error(path, exc) from None
    check_concealment(spec, path)
    check_regions(spec, path)
    return spec


def check_regions(spec: StudySpec, path: str | os.PathLike[str]) -> None:
    """Refuse a ``[regions]`` sweep point or a ``[hypothesis]`` group that is not swept.

    Examples
    --------
    >>> parse_study({"name": "x", "task": {"name": "t"}, "model": {"family": "linear"},
    ...              "search": {"steps": 5}, "regions": {"reference": {"label.start": "C"}}},
    ...             "s.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bayesgrok.study.errors.StudyError: s.toml: regions.reference.label.start = 'C': ...
    """
    swept = {**spec.sweep.grid, **spec.sweep.zip}
    reference = spec.regions.reference
    if isinstance(reference, dict):
        for key, value in reference.items():
            if key not in swept:
                raise StudyError(str(path), f"regions.reference.{key}", "must name a swept "
                                 f"key of [sweep] (swept: {', '.join(swept) or 'none'})", value)
            if not any(value == v for v in swept[key]):
                raise StudyError(str(path), f"regions.reference.{key}", "is not one of the "
                                 f"swept values {swept[key]}", value)
    group = spec.hypothesis.group
    if group not in ("family", "study") and group not in swept:
        raise StudyError(str(path), "hypothesis.group", "must be 'family', 'study' or a "
                         "swept key of "
                         f"[sweep] (swept: {', '.join(swept) or 'none'})", group)


def check_concealment(spec: StudySpec, path: str | os.PathLike[str]) -> None:
    """Refuse a ``[concealment]`` table whose keys are not swept (or ``l`` not numbers).

    Examples
    --------
    >>> parse_study({"name": "x", "task": {"name": "t"}, "model": {"family": "linear"},
    ...              "search": {"steps": 5}, "concealment": {"length": "task.n_bits"}},
    ...             "s.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bayesgrok.study.errors.StudyError: s.toml: concealment.length = 'task.n_bits': must name ...
    """
    conceal = spec.concealment
    if conceal is None:
        return
    swept = {**spec.sweep.grid, **spec.sweep.zip}
    for key in ("length", "group"):
        name = getattr(conceal, key)
        if name is not None and name not in swept:
            raise StudyError(str(path), f"concealment.{key}", "must name a swept key of "
                             f"[sweep] (swept: {', '.join(swept) or 'none'})", name)
    values = swept[conceal.length]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise StudyError(str(path), "concealment.length", f"the values swept under "
                         f"{conceal.length!r} must be numbers (the number of bits l)", values)


def models_dirs(study_path: str | os.PathLike[str] | None = None) -> list[Path]:
    """Where model cards are looked up, in order.

    ``$BAYESGROK_MODELS`` (a path list), then ``models/`` beside the study's folder, then
    the ``models/`` of the bayesgrok source tree.

    Examples
    --------
    >>> any(p.name == "models" for p in models_dirs())
    True
    """
    dirs: list[Path] = []
    env = os.environ.get("BAYESGROK_MODELS")
    if env:
        dirs += [Path(p) for p in env.split(os.pathsep) if p]
    if study_path is not None:
        dirs.append(Path(study_path).resolve().parent.parent / "models")
    dirs.append(Path(__file__).resolve().parents[2] / "models")
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def studies_dir() -> Path:
    """The ``studies/`` folder of the bayesgrok source tree."""
    return Path(__file__).resolve().parents[2] / "studies"


def find_card(name: str, study_path: str | os.PathLike[str], key: str = "model.card") -> Path:
    """The path of model card ``name``, or a :class:`StudyError` naming the study file."""
    for d in models_dirs(study_path):
        candidate = d / f"{name}.toml"
        if candidate.is_file():
            return candidate
    dirs = [d for d in models_dirs(study_path) if d.is_dir()]
    known = sorted({p.stem for d in dirs for p in d.glob("*.toml")})
    raise StudyError(
        str(study_path), key, f"no model card of that name (known: {', '.join(known) or 'none'})",
        value=name,
    )


def load_card(name: str, study_path: str | os.PathLike[str]) -> tuple[Path, ModelCard]:
    """Find, read and validate model card ``name``."""
    path = find_card(name, study_path)
    raw = load_toml(path)
    try:
        return path, ModelCard.model_validate(raw)
    except ValidationError as exc:
        raise pydantic_error(path, exc) from None
