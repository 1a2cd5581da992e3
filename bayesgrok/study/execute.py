"""Executing one run: its family's engine from the engine table, with a progress display.

:func:`execute_with_artifacts` is all an executor (local or Dask) calls; it knows no
study, store or output.
"""

from __future__ import annotations

from typing import Any, Protocol

import xarray as xr

from bayesgrok.search.checkpoint import Checkpoint
from bayesgrok.search.engines import Member, engine_entry
from bayesgrok.study.groups import group_label
from bayesgrok.study.resolve import RunSpec, Study


class Reporter(Protocol):
    """What an executor tells a progress display."""

    def start_study(self, study: Study, todo: int) -> None: ...

    def start_run(self, run: RunSpec, total_steps: int) -> None: ...

    def advance(self, steps: int) -> None: ...

    def end_run(self, run: RunSpec, outcome: str) -> None: ...


class SilentReporter:
    """A reporter that shows nothing."""

    def start_study(self, study: Study, todo: int) -> None:
        """Nothing."""

    def start_run(self, run: RunSpec, total_steps: int) -> None:
        """Nothing."""

    def advance(self, steps: int) -> None:
        """Nothing."""

    def end_run(self, run: RunSpec, outcome: str) -> None:
        """Nothing."""


def execute(run: RunSpec, reporter: Reporter | None = None) -> xr.Dataset:
    """Run one :class:`RunSpec` with its family's engine; return the trajectory.

    Examples
    --------
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.examples import tiny_study
    >>> run = load_study(tiny_study()).runs[0]
    >>> execute(run).sizes["seed"] == len(run.seeds)
    True
    """
    return execute_with_artifacts(run, reporter)[0]


def execute_with_artifacts(
    run: RunSpec,
    reporter: Reporter | None = None,
    *,
    family: Any = None,
    splits: list[Any] | None = None,
    checkpoint: Checkpoint | None = None,
) -> tuple[xr.Dataset, dict[str, xr.DataTree]]:
    """Run one :class:`RunSpec`; return its trajectory and any artifacts (InferenceData).
    With a ``checkpoint``, an engine that can (see :class:`~bayesgrok.search.engines.Engine`)
    saves its state there now and then and resumes from it.

    Examples
    --------
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.examples import tiny_study
    >>> run = load_study(tiny_study()).runs[0]
    >>> ds, artifacts = execute_with_artifacts(run)
    >>> artifacts
    {}
    """
    reporter = reporter or SilentReporter()
    family = family if family is not None else run.build_family()
    splits = splits if splits is not None else run.splits()
    reporter.start_run(run, run.search.total_steps(splits[0].n_train))
    entry = engine_entry(family, run.search.method)
    extra = {"checkpoint": checkpoint} if checkpoint is not None and entry.checkpoints else {}
    ds, artifacts = entry.load()(family, splits, run.search, seeds=run.seeds,
                                 config=run.config, progress=reporter.advance, **extra)
    ds.attrs["run_id"] = run.run_id
    return ds, artifacts

def execute_group(runs: list[RunSpec] | tuple[RunSpec, ...],
                  reporter: Reporter | None = None,
                  checkpoint: Checkpoint | None = None) -> list[tuple[xr.Dataset, dict[str, Any]]]:
    """Run :class:`RunSpec` s that share one compiled program together (one group of
    :func:`~bayesgrok.study.groups.group_runs`) with their engine's group runner; return
    each run's trajectory and artifacts.

    Examples
    --------
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.examples import tiny_study
    >>> runs = 2 * load_study(tiny_study()).runs
    >>> [ds.attrs["trained_with_runs"] for ds, _ in execute_group(runs)]
    [2, 2]
    """
    reporter = reporter or SilentReporter()
    families = [run.build_family() for run in runs]
    members = [Member(family, run.splits(), run.seeds, run.config)
               for family, run in zip(families, runs, strict=True)]
    first = runs[0]
    reporter.start_run(group_label(runs), first.search.total_steps(members[0].splits[0].n_train))
    entry = engine_entry(families[0], first.search.method)
    extra = {"checkpoint": checkpoint} if checkpoint is not None and entry.checkpoints else {}
    results = entry.load_group()(members, first.search, progress=reporter.advance, **extra)
    for run, (ds, _) in zip(runs, results, strict=True):
        ds.attrs["run_id"] = run.run_id
    return results
