"""What a report holds: the records :func:`~bayesgrok.report.collect.collect` fills in and
the templates render.

:class:`Report` (a study's or a suite's report) and its parts, each as text in the order
the report shows it: :class:`RunInfo` (one run), :class:`Glance` (one run's seeds at a
glance), :class:`Verdict` (one row of a hypothesis table), :class:`Provenance`,
:class:`Failure`, :class:`Member` (a suite's member study) and :class:`Figure`; with
:func:`headline`, the sentence a report opens with, and :class:`ReportError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bayesgrok.report.tables import Table


class ReportError(ValueError):
    """Bad input to a report; the message names the path and what is wrong."""


@dataclass
class Figure:
    """A figure file and what it shows."""

    file: str
    path: Path
    caption: str


@dataclass
class RunInfo:
    """One run: what it trained, how long, its resolved configuration and environment."""

    run_id: str
    swept: dict[str, str] = field(default_factory=dict)
    family: str = ""
    task: str = ""
    objective: str = ""
    total_steps: str = ""
    wall_time: str = ""
    config: str = ""
    backend: str = ""
    engine: str = ""
    precision: str = ""
    created: str = ""
    versions: str = ""

    @property
    def label(self) -> str:
        """The run's swept values (``lr=0.1, wd=0``), else its id."""
        return ", ".join(f"{k}={v}" for k, v in self.swept.items()) or self.run_id


@dataclass
class Glance:
    """One run at a glance: how many seeds fitted, generalised and grokked."""

    run_id: str
    label: str
    seeds: int
    ok: int
    fitted: int
    generalised: int
    grokked: int
    median_gap: str
    problems: str = ""


@dataclass
class Provenance:
    """The command that made a result, and when and where it ran."""

    command: str = ""
    reconstructed: bool = False
    started: str = ""
    finished: str = ""
    hostname: str = ""
    python: str = ""
    bayesgrok: str = ""
    runs: str = ""
    #: where the times come from when there is no provenance.json ("runs created",
    #: "members ran"); empty when they come from it
    times_from: str = ""


@dataclass
class Failure:
    """A run that raised: its error line and traceback."""

    run_id: str
    error: str
    traceback: str = ""


@dataclass
class Verdict:
    """One row of a hypothesis table: what it is about, its verdict, why, and its claims."""

    where: str
    verdict: str
    reason: str = ""
    details: str = ""

    @property
    def tone(self) -> str:
        """``good``, ``bad`` or ``some``: how the verdict reads, for colouring it."""
        word = self.verdict.strip().lower()
        if word in ("supported", "true", "holds", "yes", "passed", "pass"):
            return "good"
        if word.startswith(("not", "false", "refuted", "rejected", "fail", "no")):
            return "bad"
        return "some"

    def __str__(self) -> str:
        text = f"{self.where}: {self.verdict}" if self.where else self.verdict
        if self.reason:
            text += f" ({self.reason})"
        return f"{text}; {self.details}" if self.details else text


@dataclass
class Member:
    """A member study of a suite, with its folder and a line about its outcome."""

    name: str
    folder: Path
    description: str = ""
    glance: str = ""
    verdicts: list[Verdict] = field(default_factory=list)


@dataclass
class Report:
    """Everything a report shows, as text, in the order it shows it."""

    folder: Path
    kind: str
    name: str
    description: str = ""
    notes: str = ""
    study_file: str = ""
    level: str = ""
    provenance: Provenance = field(default_factory=Provenance)
    glance: list[Glance] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    runs: list[RunInfo] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    versions: list[tuple[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    diverged: list[str] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    generated: str = ""

    @property
    def headline(self) -> str:
        """One sentence: how many seeds grokked, over all runs."""
        return headline(self.glance, self.level)


def headline(rows: list[Glance], level: str = "") -> str:
    """One sentence on how many seeds grokked, over all runs of ``rows``.

    Examples
    --------
    >>> rows = [Glance("a", "a", 5, 5, 5, 4, 3, "120"), Glance("b", "b", 5, 5, 5, 0, 0, "–")]
    >>> print(headline(rows, "accuracy above 0.95"))  # doctest: +NORMALIZE_WHITESPACE
    3 of 10 seeds grokked (validation accuracy above 0.95 later than training); 4 of 10
    generalised, 10 fitted the training set.
    """
    if not rows:
        return ""
    seeds = sum(r.seeds for r in rows)
    grokked = sum(r.grokked for r in rows)
    generalised = sum(r.generalised for r in rows)
    fitted = sum(r.fitted for r in rows)
    what = f"validation {level} later than training" if level else (
        "validation crossed the threshold later than training")
    return (f"{grokked} of {seeds} seeds grokked ({what}); {generalised} of {seeds} "
            f"generalised, {fitted} fitted the training set.")

