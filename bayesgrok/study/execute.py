"""Executing one run: its family's engine from the engine table, with a progress display.

:func:`execute_with_artifacts` is all an executor (local or Dask) calls; it knows no
study, store or output.
"""

from __future__ import annotations

from typing import Any, Protocol

import xarray as xr

from bayesgrok.search.engines import engine_for
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
) -> tuple[xr.Dataset, dict[str, xr.DataTree]]:
    """Run one :class:`RunSpec`; return its trajectory and any artifacts (InferenceData).

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
    engine = engine_for(family, run.search.method)
    ds, artifacts = engine(family, splits, run.search, seeds=run.seeds, config=run.config,
                           progress=reporter.advance)
    ds.attrs["run_id"] = run.run_id
    return ds, artifacts


