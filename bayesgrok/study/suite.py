"""Suites: several studies run by one command and analysed together.

A suite file names member studies; each keeps its own task, model, search, sweep and
thresholds (a GP regression needs an MSE threshold where a classifier needs an accuracy
one, which one study file cannot hold for several families), and the suite adds the
definitions of the pooled analysis::

    name = "hypothesis_cross_family"
    description = "..."
    notes = "the criteria, stated before any run"

    [suite]
    studies = ["hypothesis_cross_family/linear.toml", "..."]   # relative to this file

    [regions]        # as in a study: tolerance, reference, reference_group, onset, ...
    [hypothesis]     # group, criteria and their levels

``bayesgrok run SUITE --out OUT`` runs every member into ``OUT/<member name>/`` (each with
its own outputs and report), then writes the pooled ``regions.csv`` (with a ``study``
column), ``regions_sensitivity.csv``, ``hypothesis.csv``,
``hypothesis_counterexamples.csv``, the region figures, ``suite.json`` and the suite's
report at ``OUT``. Every member is validated before anything runs. With ``[hypothesis]
group = "study"`` each member is its own group, named by its file (``linear``,
``concealment_mlp``), with its own reference complexity (two members may train one family
on different tasks); with ``"family"`` (the default) runs of one family are pooled across
members and share its reference (a study and its ablation as two members).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bayesgrok import trajectory
from bayesgrok.study import store
from bayesgrok.study.errors import StudyError
from bayesgrok.study.regions_outputs import (
    Analysed,
    criteria_of,
    group_column,
    region_spec_of,
    write_pooled,
)
from bayesgrok.study.resolve import Study, load_study
from bayesgrok.study.schema import (
    HypothesisSpec,
    Name,
    RegionsSpec,
    load_toml,
    pydantic_error,
)

__all__ = ["Suite", "SuiteResult", "is_suite", "load_suite", "run_suite"]


class MembersSpec(BaseModel):
    """``[suite]``: the member study files, relative to the suite file."""

    model_config = ConfigDict(extra="forbid")

    studies: list[str] = Field(min_length=1)

    @field_validator("studies")
    @classmethod
    def _distinct(cls, studies: list[str]) -> list[str]:
        if len(set(studies)) != len(studies):
            raise ValueError("a study is named twice")
        return studies


class SuiteSpec(BaseModel):
    """A whole suite file."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: str = ""
    notes: str = ""
    suite: MembersSpec
    regions: RegionsSpec = Field(default_factory=RegionsSpec)
    hypothesis: HypothesisSpec = Field(default_factory=HypothesisSpec)


@dataclass
class Suite:
    """A validated suite: its spec, its file and its member studies."""

    spec: SuiteSpec
    path: Path
    members: list[Study]


@dataclass
class SuiteResult:
    """What a suite run leaves: its folder, each member's result, the hypothesis table."""

    out: Path
    members: dict[str, Any] = field(default_factory=dict)
    hypothesis: Any = None
    report: Path | None = None

    @property
    def failed(self) -> dict[str, str]:
        """Failed runs of every member, keyed ``member/run-id``."""
        return {f"{name}/{run}": why for name, res in self.members.items()
                for run, why in res.failed.items()}


def is_suite(path: str | os.PathLike[str]) -> bool:
    """Whether the TOML file at ``path`` is a suite (it has a ``[suite]`` table).

    Examples
    --------
    >>> from bayesgrok.study.schema import studies_dir
    >>> is_suite(studies_dir() / "hypothesis_cross_family.toml")
    True
    >>> is_suite(studies_dir() / "quickstart.toml")
    False
    """
    return "suite" in load_toml(path)


def load_suite(path: str | os.PathLike[str]) -> Suite:
    """Read and validate a suite file and every member study.

    Raises
    ------
    StudyError
        Naming the file (the suite's or a member's), the key and the value.

    Examples
    --------
    >>> from bayesgrok.study.schema import studies_dir
    >>> suite = load_suite(studies_dir() / "hypothesis_cross_family.toml")
    >>> len(suite.members) >= 5
    True
    """
    path = Path(path)
    raw = load_toml(path)
    try:
        spec = SuiteSpec.model_validate(raw)
    except ValidationError as exc:
        raise pydantic_error(path, exc) from None
    if isinstance(spec.regions.reference, dict):
        raise StudyError(str(path), "regions.reference", "a suite's reference is "
                         "'lowest_final' or a number (a sweep point belongs to one study)",
                         spec.regions.reference)
    members = []
    for i, name in enumerate(spec.suite.studies):
        member = path.parent / name
        if not member.is_file():
            raise StudyError(str(path), f"suite.studies[{i}]", "no such study file "
                             f"(paths are relative to {path.parent})", name)
        members.append(load_study(member))
    names = [m.spec.name for m in members]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise StudyError(str(path), "suite.studies", "two members have the same study name",
                         twice[0])
    return Suite(spec=spec, path=path, members=members)


def run_suite(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    figures: bool = True,
    command: str | None = None,
    **run_options: Any,
) -> SuiteResult:
    """Run every member of a suite, then its pooled regions and hypothesis analysis.

    Parameters
    ----------
    path
        The suite file.
    out
        The output folder (default ``results/<suite name>``); member ``m`` goes to
        ``out/m``.
    figures
        Whether to draw figures.
    command
        The command line, recorded in the members' and the suite's provenance.
    **run_options
        Passed to :func:`bayesgrok.study.runner.run_study` for every member (reporter,
        executor, force).

    Raises
    ------
    StudyError
        On bad input in the suite or any member, before anything runs.

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.study.examples import tiny_study_of
    >>> out = Path(tempfile.mkdtemp())
    >>> table = run_suite(tiny_study_of("suite"), out, figures=False)
    >>> sorted(p.name for p in out.iterdir() if p.is_dir())
    ['tiny', 'tiny_ablation']
    """
    from bayesgrok.study.provenance import write_provenance
    from bayesgrok.study.runner import run_study

    started = datetime.now(UTC)
    suite = load_suite(path)
    out = Path(out) if out is not None else Path("results") / suite.spec.name
    result = SuiteResult(out=out)
    for member in suite.members:
        result.members[member.spec.name] = run_study(
            member.path, out / member.spec.name, figures=figures, command=command,
            **run_options)
    result.hypothesis = write_suite_analysis(suite, out, figures=figures)
    write_provenance(out, command, started, members=list(result.members),
                     failed=len(result.failed))
    from bayesgrok.report import write_report

    result.report = write_report(out)[0]
    return result


def write_suite_analysis(suite: Suite, out: Path, *, figures: bool = True) -> Any:
    """The pooled regions and hypothesis outputs of a suite whose members have finished.

    Returns the hypothesis table.

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.study.examples import tiny_study_of
    >>> out = Path(tempfile.mkdtemp())
    >>> path = tiny_study_of("suite")
    >>> _ = run_suite(path, out, figures=False)
    >>> (out / "hypothesis.csv").unlink()
    >>> table = write_suite_analysis(load_suite(path), out, figures=False)
    >>> (out / "hypothesis.csv").is_file()
    True
    """
    from bayesgrok.analysis.regions import sensitivity_grid

    analysed = []
    for member in suite.members:
        folder = out / member.spec.name
        if not (folder / "study.nc").is_file():
            continue
        ds = trajectory.read(folder / "study.nc", study=True)
        ok = [r for r in ds["run"].values if not (ds["status"].sel(run=r) == "failed").all()]
        ds = ds.sel(run=ok)
        spec = region_spec_of(suite.spec.regions, member.spec.analysis, member.sweep_names)
        raw = suite.spec.regions
        levels = raw.sensitivity_thresholds if spec.mse_threshold is None else None
        grid = sensitivity_grid(spec, raw.sensitivity_tolerances, levels)
        label = member.path.stem if suite.spec.hypothesis.group == "study" else None
        analysed.append(Analysed(member.spec.name, ds, spec, grid, label=label))
    group = group_column(suite.spec.hypothesis.group, {})
    store.write_json(out / "suite.json", {
        "name": suite.spec.name, "description": suite.spec.description,
        "notes": suite.spec.notes, "suite_file": str(suite.path),
        "members": [m.spec.name for m in suite.members]})
    if not analysed:
        return None
    return write_pooled(analysed, out, criteria_of(suite.spec.hypothesis), group=group,
                        figures=figures)
