"""A rich progress display for study runs: one bar over runs, one over the current run's steps.

Where the output is not a terminal (a log file, ``nohup``, CI) rich draws no bars, so the
reporter prints a plain line instead each time the current run passes another tenth of its
steps: a long run then leaves a record of how far it got and how fast.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bayesgrok.study.resolve import RunSpec, Study


class RichReporter:
    """Shows progress over runs and over the steps of the run in progress.

    Use it as a context manager around :func:`bayesgrok.study.runner.run_study`.

    Examples
    --------
    >>> with RichReporter(Console(quiet=True)) as reporter:
    ...     reporter.advance(0)
    """

    #: Where the output is no terminal, a line is printed at each of these fractions of a run.
    plain_fractions = tuple(k / 10 for k in range(1, 11))

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._plain = not self.console.is_terminal
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._runs: Any = None
        self._steps: Any = None
        self._run_id = ""
        self._total = 0
        self._done = 0
        self._next_line = 0
        self._started = 0.0

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start_study(self, study: Study, todo: int) -> None:
        """Start the bar over runs (``todo`` runs to compute, the rest reused)."""
        reused = len(study.runs) - todo
        note = f" ({reused} finished, reused)" if reused else ""
        self.console.print(f"study [bold]{study.spec.name}[/]: {len(study.runs)} runs{note}")
        self._runs = self.progress.add_task("runs", total=todo)

    def start_run(self, run: RunSpec, total_steps: int) -> None:
        """Start the bar over the steps of ``run``."""
        if self._steps is not None:
            self.progress.remove_task(self._steps)
        self._steps = self.progress.add_task(f"  {run.run_id}", total=total_steps)
        self._run_id, self._total, self._done, self._next_line = run.run_id, total_steps, 0, 0
        self._started = time.monotonic()

    def advance(self, steps: int) -> None:
        """Count ``steps`` more steps of the current run."""
        if self._steps is not None:
            self.progress.advance(self._steps, steps)
        self._done += steps
        if not self._plain or self._total <= 0:
            return
        crossed = False
        while (self._next_line < len(self.plain_fractions)
               and self._done >= self.plain_fractions[self._next_line] * self._total):
            self._next_line += 1
            crossed = True
        if crossed:
            elapsed = time.monotonic() - self._started
            self.console.print(f"run {self._run_id}: {self._done}/{self._total} steps "
                               f"in {elapsed:.0f} s", highlight=False)

    def end_run(self, run: RunSpec, outcome: str) -> None:
        """Count a finished run and say how it ended."""
        if self._runs is not None:
            self.progress.advance(self._runs, 1)
        if outcome != "ok":
            self.console.print(f"run {run.run_id}: {outcome}")
