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

Unknown keys are rejected everywhere; task and model parameters are checked against the
task's and family's own signatures when the study is resolved.

The tables other than ``[search]`` are the models of :mod:`bayesgrok.study.tables`,
importable from here too.
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, model_validator

from bayesgrok.search.config import SearchConfig
from bayesgrok.search.nuts_config import NUTSConfig
from bayesgrok.study.errors import StudyError
from bayesgrok.study.tables import (
    SWEEP_PREFIXES,
    SWEEP_TABLES,
    AnalysisSpec,
    ConcealmentSpec,
    HypothesisSpec,
    LandscapeSpec,
    ModelSpec,
    Name,
    RegionsSpec,
    RobustnessSpec,
    SweepSpec,
    TaskSpec,
    check_name,
)

__all__ = [
    "SWEEP_PREFIXES",
    "SWEEP_TABLES",
    "AnalysisSpec",
    "ConcealmentSpec",
    "HypothesisSpec",
    "LandscapeSpec",
    "ModelCard",
    "ModelSpec",
    "Name",
    "RegionsSpec",
    "RobustnessSpec",
    "StudySpec",
    "SweepSpec",
    "TaskSpec",
    "check_concealment",
    "check_name",
    "check_regions",
    "find_card",
    "load_card",
    "load_toml",
    "models_dirs",
    "find_study",
    "parse_study",
    "pydantic_error",
    "studies_dir",
]


class ExecutionSpec(BaseModel):
    """``[execution]``: how the runs are computed (never what they compute: run ids and
    results do not depend on it).

    Examples
    --------
    >>> ExecutionSpec().group, ExecutionSpec(group=False).group
    (True, False)
    """

    model_config = ConfigDict(extra="forbid")

    group: StrictBool = True
    """Train runs that share one compiled program together (see :mod:`bayesgrok.study.groups`)."""
    jobs: int = Field(default=1, ge=1, strict=True)
    """Runs computed at once in threads by the local executor (``--jobs`` overrides it)."""


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
    execution: ExecutionSpec = Field(default_factory=ExecutionSpec)

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
    """Turn a pydantic validation into a :class:`StudyError`: every error of the file, one
    line each with file, key and value, in plain words (an unknown key first: a typo often
    explains a missing key).

    Examples
    --------
    >>> from bayesgrok.search.config import SearchConfig
    >>> try:
    ...     SearchConfig.model_validate({"steps": 0, "batch_size": -1})
    ... except ValidationError as exc:
    ...     print(pydantic_error("s.toml", exc, "search"))
    s.toml: search.steps = 0: Input should be greater than 0
    s.toml: search.batch_size = -1: Input should be greater than 0
    """
    errors = sorted(exc.errors(), key=lambda e: e.get("type") != "extra_forbidden")
    lines: list[tuple[str, str, Any, bool]] = []
    seen: set[str] = set()
    for err in errors:
        # drop pydantic's union-branch markers such as 'int', "literal['full']" or 'nuts'
        loc = [
            str(p)
            for p in err.get("loc", ())
            if not str(p).startswith(("literal[", "function-", "constrained-"))
            and str(p) not in ("int", "str", "float", "bool", "list", "dict", "optimize", "nuts")
        ]
        key = ".".join(([prefix] if prefix else []) + loc)
        if key in seen:  # one line per key: the other branches of a union say the same
            continue
        seen.add(key)
        msg = err.get("msg", "invalid value")
        if err.get("type") == "extra_forbidden":
            msg = "unknown key"
        missing = err.get("type") == "missing"
        lines.append((key, "required key is missing" if missing else msg, err.get("input"),
                      missing))
    key, msg, value, missing = lines[0]
    also = [str(StudyError(str(path), k, m) if miss else StudyError(str(path), k, m, value=v))
            for k, m, v, miss in lines[1:]]
    if missing:
        return StudyError(str(path), key, msg, also=also)
    return StudyError(str(path), key, msg, value=value, also=also)


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
    ``models/`` in the current folder, then the cards shipped inside the package
    (``bayesgrok/models``, package data: found from an installed wheel too).

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
    dirs.append(Path.cwd() / "models")
    dirs.append(shipped_dir("models"))
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def shipped_dir(name: str) -> Path:
    """A folder of package data shipped with bayesgrok (``"models"``, ``"studies"``), from
    the source tree or an installed wheel alike.

    Examples
    --------
    >>> (shipped_dir("studies") / "quickstart.toml").is_file()
    True
    """
    return Path(str(resources.files("bayesgrok") / name))


def studies_dir() -> Path:
    """The studies shipped with bayesgrok (package data, ``bayesgrok/studies``).

    Examples
    --------
    >>> (studies_dir() / "quickstart.toml").is_file()
    True
    """
    return shipped_dir("studies")


def find_study(name: str | os.PathLike[str]) -> Path:
    """The study file ``name`` names: a path when one exists there, else a shipped study by
    its name (``quickstart``, ``miller_gp_landscape``: the stem of a file in ``studies/``
    of the current folder, then in the shipped ones). An unknown name is returned as it
    is, for the caller's "file not found".

    Examples
    --------
    >>> find_study("quickstart").name
    'quickstart.toml'
    >>> find_study("no/such/study.toml").as_posix()
    'no/such/study.toml'
    """
    path = Path(name)
    if path.exists() or path.suffix or len(path.parts) != 1:
        return path
    for folder in (Path.cwd() / "studies", studies_dir()):
        candidate = folder / f"{path.name}.toml"
        if candidate.is_file():
            return candidate
    return path


def find_card(name: str, study_path: str | os.PathLike[str], key: str = "model.card") -> Path:
    """The path of model card ``name``, or a :class:`StudyError` naming the study file.

    Examples
    --------
    >>> find_card("miller_linear", "study.toml").name
    'miller_linear.toml'
    """
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
    """Find, read and validate model card ``name``.

    Examples
    --------
    >>> load_card("miller_linear", "study.toml")[1].family
    'linear'
    """
    path = find_card(name, study_path)
    raw = load_toml(path)
    try:
        return path, ModelCard.model_validate(raw)
    except ValidationError as exc:
        raise pydantic_error(path, exc) from None
