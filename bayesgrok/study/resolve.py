"""Resolve a study file into runs: expand the sweep and check every run before any starts.

Resolution does everything that can fail on bad input (TOML, schema, task and family
names and parameters, model cards, optimizer names and arguments) up front, so a study
with a mistake anywhere stops with one :class:`~bayesgrok.study.errors.StudyError` and
writes nothing.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import itertools
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bayesgrok.families import (
    FamilyParameterError,
    UnknownFamilyError,
    family_class,
    family_parameters,
    make_family,
)
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.engines import NoEngineError, engine_entry
from bayesgrok.search.nuts_config import NUTSConfig
from bayesgrok.search.optimizers import OptimizerError
from bayesgrok.study.errors import StudyError
from bayesgrok.study.run_checks import (
    check_methods,
    check_metrics,
    check_pca_landscape,
    check_robustness,
)
from bayesgrok.study.schema import StudySpec, load_card, load_toml, parse_study
from bayesgrok.tasks import TASKS, make_task, task_parameters
from bayesgrok.tasks.preview import preview_task


@dataclass
class RunSpec:
    """One run of a study: a task, a family and a search, trained over all seeds at once.

    Attributes
    ----------
    run_id
        Stable id derived from the resolved configuration (``<swept values>-<hash>``).
    swept
        The swept values of this run, by coordinate name.
    config
        The fully resolved configuration (defaults filled in), recorded in the trajectory.
    """

    run_id: str
    swept: dict[str, Any]
    task: str
    task_params: dict[str, Any]
    family: str
    family_params: dict[str, Any]
    search: SearchConfig | NUTSConfig
    seeds: list[int]
    config: dict[str, Any] = field(default_factory=dict)
    data_shape: dict[str, Any] = field(default_factory=dict)

    def build_family(self) -> Any:
        """A fresh family object for this run."""
        return make_family(self.family, **self.family_params)

    def splits(self) -> list[Any]:
        """The task drawn once per seed."""
        return [make_task(self.task, seed=s, **self.task_params) for s in self.seeds]


@dataclass
class Study:
    """A validated study: its spec, its file and its runs."""

    spec: StudySpec
    path: Path
    runs: list[RunSpec]
    sweep_names: dict[str, str]  # coordinate name -> dotted key

    def shown_sweep(self) -> list[str]:
        """The swept coordinates that name a run: labels stand for the zipped keys."""
        zipped = set(self.spec.sweep.zip)
        labels = [n for n, k in self.sweep_names.items() if k.startswith("label.")]
        if not labels:
            return list(self.sweep_names)
        return [n for n, k in self.sweep_names.items() if k not in zipped or n in labels]


def _set_dotted(raw: dict[str, Any], key: str, value: Any, path: Path) -> None:
    node = raw
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise StudyError(str(path), f"sweep.grid.{key}", f"{part!r} is not a table", value)
        node = child
    node[parts[-1]] = value


def _type_ok(value: Any, default: Any) -> bool:
    if default is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, tuple | list):
        return isinstance(value, list | tuple)
    return True


def _kind(value: Any) -> str:
    """A value's type in plain words: 'an integer', 'a number', 'true or false', ..."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _check_params(
    given: dict[str, Any], known: dict[str, Any], file: str, prefix: str, what: str
) -> dict[str, Any]:
    for key, value in given.items():
        if key not in known:
            raise StudyError(file, f"{prefix}.{key}", f"{what} takes no such parameter "
                             f"(it takes: {', '.join(known) or 'none'})", value)
        default = known[key]
        if default is inspect.Parameter.empty:
            continue
        if not _type_ok(value, default):
            raise StudyError(file, f"{prefix}.{key}", f"expected {_kind(default)}, got "
                             f"{_kind(value)}", value)
        if isinstance(value, float) and not math.isfinite(value):
            raise StudyError(file, f"{prefix}.{key}", "expected a finite number", value)
    merged = {k: v for k, v in known.items() if v is not inspect.Parameter.empty}
    merged.update(given)
    return merged


def _data_shape(preview: Any) -> dict[str, Any]:
    """What a task draw gives a compiled program: sizes, kind, classes and the columns a
    family or metric reads; not the values (an operation, a slope, a seeding)."""
    return _jsonable({
        "task": preview.name, "kind": preview.kind, "n_train": preview.n_train,
        "n_val": preview.n_val, "n_features": preview.n_features,
        "n_classes": preview.n_classes, "accuracy": preview.accuracy,
        "operand_columns": list(preview.operand_columns),
        "spurious_columns": list(preview.spurious_columns),
    })


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=list))


def _run_id(swept: dict[str, Any], config: dict[str, Any], label_names: set[str]) -> str:
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:8]
    if not swept:
        return f"run-{digest}"
    labels = {k: v for k, v in swept.items() if k in label_names}
    slug = "_".join(f"{k}={v}" for k, v in (labels or swept).items())
    slug = re.sub(r"[^A-Za-z0-9=._-]+", "-", slug)[:80]
    return f"{slug}-{digest}"


def _sweep_names(keys: list[str]) -> dict[str, str]:
    last = [k.split(".")[-1] for k in keys]
    names = {}
    for key, short in zip(keys, last, strict=True):
        reserved = short in ("run", "seed", "step", "epoch")
        names[key] = key.replace(".", "_") if last.count(short) > 1 or reserved else short
    return {v: k for k, v in names.items()}


def resolve_run(
    spec: StudySpec, path: Path, swept: dict[str, Any], label_names: set[str] | None = None
) -> RunSpec:
    """Check and resolve one sweep point of a study into a :class:`RunSpec`.

    Examples
    --------
    >>> from bayesgrok.study.examples import tiny_study
    >>> path = tiny_study()
    >>> run = resolve_run(load_study(path).spec, path, {"complexity_weight": 0.5})
    >>> run.run_id.startswith("complexity_weight=0.5-"), run.family, run.seeds
    (True, 'linear', [0, 1])
    """
    file = str(path)
    # task
    if spec.task.name not in TASKS:
        raise StudyError(file, "task.name", f"unknown task (known: {', '.join(sorted(TASKS))})",
                         spec.task.name)
    task_params = _check_params(spec.task.params(), task_parameters(spec.task.name), file,
                                "task", f"task {spec.task.name!r}")
    try:  # a preview: sizes, kind and data checksums, without downloading anything
        split = preview_task(spec.task.name, seed=spec.sweep.seeds[0], **spec.task.params())
    except ValueError as exc:
        raise StudyError(file, "task", str(exc), spec.task.params()) from None
    if split.kind == "regression" and split.accuracy is None and (
        spec.analysis.mse_threshold is None
    ):
        raise StudyError(file, "analysis.mse_threshold", f"task {spec.task.name!r} is a "
                         "regression without accuracy: give the MSE an onset must go below")
    # model
    card_name = spec.model.card
    if card_name and spec.model.family:
        raise StudyError(file, "model", "give card or family, not both",
                         {"card": card_name, "family": spec.model.family})
    card_params: dict[str, Any] = {}
    if card_name:
        card_path, card = load_card(card_name, path)
        family, family_file = card.family, str(card_path)
        card_params = card.params()
        family_key = "family"
    elif spec.model.family:
        family, family_file, family_key = spec.model.family, file, "model.family"
    else:
        raise StudyError(file, "model", "give a model card (card = ...) or a family (family = ...)")
    try:
        family_class(family)
    except UnknownFamilyError as exc:
        raise StudyError(family_file, family_key, str(exc), family) from None
    known = family_parameters(family)
    _check_params(card_params, known, family_file, "params", f"family {family!r}")
    family_params = _check_params(spec.model.params(), known, file, "model", f"family {family!r}")
    family_params = {**family_params, **card_params, **spec.model.params()}
    try:
        built = make_family(family, **{**card_params, **spec.model.params()})
    except (UnknownFamilyError, FamilyParameterError) as exc:
        key = getattr(exc, "key", "")
        raise StudyError(file, f"model.{key}" if key else "model", str(exc),
                         getattr(exc, "value", None)) from None
    try:
        built.check_task(split)
    except ValueError as exc:
        key, _, why = str(exc).partition(": ")
        raise StudyError(file, f"model.{key}", why or str(exc),
                         family_params.get(key)) from None
    if spec.landscape is not None and spec.landscape.plane == "pca":
        check_pca_landscape(spec, split, file)
    elif spec.landscape is not None:
        known_coords = built.coordinates
        for axis in ("x", "y"):
            name = getattr(spec.landscape, axis)
            if name not in known_coords:
                raise StudyError(file, f"landscape.{axis}", f"family {family!r} has no such "
                                 f"coordinate (it has: {', '.join(known_coords)})", name)
    # search
    try:
        engine = engine_entry(built, spec.search.method)
    except NoEngineError as exc:
        raise StudyError(file, "search.method", str(exc), spec.search.method) from None
    if isinstance(spec.search, SearchConfig):
        try:
            engine.check_optimizer(spec.search.optimizer, spec.search.optimizer_args)
        except OptimizerError as exc:
            raise StudyError(file, f"search.{exc.key}", str(exc), exc.value) from None
        if built.backend == "torch" and spec.search.device != "cpu":
            from bayesgrok.search.torch_device import DeviceUnavailable, resolve_device

            try:
                resolve_device(spec.search.device)
            except DeviceUnavailable as exc:
                raise StudyError(file, "search.device", str(exc), spec.search.device) from None
        try:
            spec.search.check_length(split.n_train)
        except ValueError as exc:
            key, _, why = str(exc).partition(": ")
            raise StudyError(file, f"search.{key}", why, getattr(spec.search, key)) from None
        try:
            spec.search.snapshot_steps(split.n_train)
        except ValueError as exc:
            raise StudyError(file, "search.snapshots", str(exc), spec.search.snapshots) from None
        check_metrics(spec.search, built, family, file)
        check_robustness(spec, built, family, file)
        check_methods(spec.search, built, family, split, file)
    config = _jsonable({
        "study": spec.name,
        "task": {"name": spec.task.name, **task_params},
        "model": {"card": card_name, "family": family, **family_params},
        "search": spec.search.model_dump(mode="json"),
        "seeds": spec.sweep.seeds,
    })
    if split.checksums:  # the data read (files' checksums): changed data make another run
        config["data"] = _jsonable(split.checksums)
    return RunSpec(
        run_id=_run_id(swept, config, label_names or set()),
        swept=swept,
        task=spec.task.name,
        task_params=spec.task.params(),
        family=family,
        family_params={**card_params, **spec.model.params()},
        search=spec.search,
        seeds=list(spec.sweep.seeds),
        config=config,
        data_shape=_data_shape(split),
    )


def load_study(path: str | os.PathLike[str]) -> Study:
    """Read, validate and expand a study file into its runs.

    Raises
    ------
    StudyError
        Naming the file, key and value of the first problem found.

    Examples
    --------
    >>> from bayesgrok.study.schema import studies_dir
    >>> study = load_study(studies_dir() / "quickstart.toml")
    >>> len(study.runs) >= 1
    True
    """
    path = Path(path)
    raw = load_toml(path)
    if "suite" in raw:
        raise StudyError(str(path), "suite", "this file is a suite of studies, not a study: "
                         "run it with 'bayesgrok run' (bayesgrok.study.suite.run_suite)")
    spec = parse_study(raw, path)
    grid, zipped = spec.sweep.grid, spec.sweep.zip
    both = set(grid) & set(zipped)
    if both:
        raise StudyError(str(path), f"sweep.zip.{sorted(both)[0]}", "also swept in sweep.grid")
    names = _sweep_names([*grid, *zipped])
    by_key = {v: k for k, v in names.items()}
    rows = [dict(zip(zipped, r, strict=True)) for r in zip(*zipped.values(), strict=True)]
    runs = []
    for values, row in itertools.product(itertools.product(*grid.values()), rows or [{}]):
        # every swept value copied: a list swept in a zip must not be shared by the runs
        # of each grid value it is combined with
        point = copy.deepcopy({**dict(zip(grid, values, strict=True)), **row})
        raw_i = copy.deepcopy(raw)
        # whole tables first ("task" = {...}), then the keys inside them ("task.n_bits")
        for key, value in sorted(point.items(), key=lambda kv: kv[0].count(".")):
            if not key.startswith("label."):
                _set_dotted(raw_i, key, value, path)
        spec_i = parse_study(raw_i, path)
        swept = {by_key[k]: copy.deepcopy(v) for k, v in point.items()}
        labels = {name for name, key in names.items() if key.startswith("label.")}
        runs.append(resolve_run(spec_i, path, swept, labels))
    ids = [r.run_id for r in runs]
    if len(set(ids)) != len(ids):
        raise StudyError(str(path), "sweep.grid", "two sweep points resolve to the same run")
    return Study(spec=spec, path=path, runs=runs, sweep_names=names)
