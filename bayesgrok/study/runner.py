"""Running a study: which runs are missing, where they are computed, and what is written.

:func:`run_study` resolves a study file (any bad input stops it before anything is
written), pins its threads (:mod:`~bayesgrok.study.pinning`), hands each missing run to an
executor (:mod:`~bayesgrok.study.executors`, which calls
:func:`~bayesgrok.study.execute.execute_with_artifacts`), and writes ``study.nc``,
``summary.csv`` and every registered output (:mod:`~bayesgrok.study.outputs`),
``provenance.json`` and the report. Finished runs on disk are reused, so a study stopped
midway computes only what is missing when run again.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import xarray as xr

from bayesgrok import trajectory
from bayesgrok.study import store
from bayesgrok.study.errors import StudyError
from bayesgrok.study.execute import Reporter, SilentReporter, execute, execute_with_artifacts
from bayesgrok.study.executors import (
    Executor,
    ExecutorUnavailable,
    LocalExecutor,
    RunOutcome,
    wait_for,
)
from bayesgrok.study.folder import check_out, claim, locked
from bayesgrok.study.outputs import combine_runs, write_outputs
from bayesgrok.study.pinning import pin_study_threads, pin_threads_early
from bayesgrok.study.provenance import write_provenance
from bayesgrok.study.resolve import RunSpec, Study, load_study

__all__ = ["Reporter", "SilentReporter", "StudyResult", "combine_runs", "execute",
           "execute_with_artifacts", "run_study", "write_outputs"]


@dataclass
class StudyResult:
    """What a study run leaves: its folder, dataset, and which runs were computed or reused.

    ``recomputed`` names the runs (among ``computed`` or ``failed``) whose file was there
    but corrupt, or made from another configuration (with ``force``).
    """

    out: Path
    dataset: xr.Dataset | None
    computed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    recomputed: list[str] = field(default_factory=list)
    report: Path | None = None
    removed: list[Path] = field(default_factory=list)  # stale outputs cleared by force
    stopped: str = ""  # why the study stopped before its last run (a full disk), or ""
    old_figures_removed: bool = False  # --no-figures removed figures of an earlier run


class StudyInterrupted(KeyboardInterrupt):
    """Ctrl-C during a study: says which runs were finished (kept on disk) and where.

    Examples
    --------
    >>> str(StudyInterrupted(Path("out"), ["a"], ["b", "c"]))
    'interrupted: 3 run(s) finished (1 reused, 2 computed) and kept in out/runs: a, b, c'
    """

    def __init__(self, out: Path, reused: list[str], computed: list[str]) -> None:
        self.out, self.reused, self.computed = Path(out), list(reused), list(computed)
        done = [*reused, *computed]
        named = f": {', '.join(done)}" if 0 < len(done) <= 10 else ""
        super().__init__(f"interrupted: {len(done)} run(s) finished "
                         f"({len(reused)} reused, {len(computed)} computed) and kept in "
                         f"{self.out / 'runs'}{named}")


def run_study(
    path: str | Path,
    out: str | Path | None = None,
    *,
    reporter: Reporter | None = None,
    figures: bool = True,
    executor: Executor | None = None,
    force: bool = False,
    command: str | None = None,
    report: bool = True,
) -> StudyResult:
    """Run the study file ``path``, writing its results under ``out``.

    Finished runs on disk (complete, valid, made from the same configuration) are reused;
    missing and corrupt ones are computed. A run that raises is recorded as failed (its
    traceback in ``runs/<run-id>.failed.json``, ``failures.json`` and ``summary.csv``) and
    the others go on; it is computed again next time.

    Parameters
    ----------
    path
        The study file (TOML).
    out
        Output folder (default ``results/<study name>``).
    reporter
        A progress display (default: none).
    figures
        Whether to draw the study's figures.
    executor
        Where runs are computed (default :class:`~bayesgrok.study.executors.LocalExecutor`;
        see :class:`~bayesgrok.study.executors.DaskExecutor`).
    force
        Recompute (and overwrite) finished runs whose file was made from a different
        configuration, instead of refusing.
    command
        The command line that asked for this run, recorded in ``provenance.json`` (with
        the start and finish times, host, Python and bayesgrok versions) once the outputs
        are written; ``None`` when called from Python (the report then shows the
        equivalent ``bayesgrok run`` command, marked as reconstructed).
    report
        Write the report (``report.html`` and ``report.md``, see
        :func:`bayesgrok.report.write_report`) at the end. It is written with or without
        ``figures`` (without them it simply has none), whenever ``study.nc`` was written.

    Raises
    ------
    bayesgrok.study.errors.StudyError
        On any bad input, before anything is written; and when a finished run's file was
        made from a different configuration and ``force`` is not given.

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.study.examples import tiny_study
    >>> res = run_study(tiny_study(), tempfile.mkdtemp(), figures=False)
    >>> (res.out / "study.nc").is_file()
    True
    """
    started = datetime.now(UTC)
    pin_threads_early(path)
    study = load_study(path)
    out = Path(out) if out is not None else Path("results") / study.spec.name
    reporter = reporter or SilentReporter()
    executor = executor or LocalExecutor()
    result = StudyResult(out=out, dataset=None)
    try:
        executor.check()  # an unreachable scheduler stops the study before any work
    except ExecutorUnavailable as exc:
        raise StudyError(str(path), "--scheduler", str(exc)) from None
    check_out(out, str(path), study)  # a file in the way or an unwritable parent: stop now
    with locked(out, str(path)):  # one writer per folder
        _run_locked(study, path, out, result, reporter, executor, figures, force, command,
                    report, started)
    return result


def _run_locked(study: Study, path: str | Path, out: Path, result: StudyResult,
                reporter: Reporter, executor: Executor, figures: bool, force: bool,
                command: str | None, report: bool, started: datetime) -> None:
    """The part of :func:`run_study` that writes ``out``, under its lock."""
    result.removed = claim(study, out, force=force)  # the folder belongs to this study
    finished: dict[str, xr.Dataset] = {}
    todo: list[RunSpec] = []
    conflicts: list[str] = []
    # temporaries a killed process left (beside study.nc too): safe, the folder is locked
    store.remove_stale_temporaries(out / "runs")
    store.remove_stale_temporaries(out)
    for run in study.runs:
        state, ds = store.inspect_run(store.run_path(out, run.run_id), run.config)
        if state == "finished":
            finished[run.run_id] = ds
            result.reused.append(run.run_id)
            continue
        if state == "conflict":
            conflicts.append(run.run_id)
        if state in ("corrupt", "conflict"):
            result.recomputed.append(run.run_id)
        todo.append(run)
    if conflicts and not force:
        raise StudyError(
            str(path), "", f"{len(conflicts)} finished run file(s) in {out / 'runs'} were made "
            f"from a different configuration ({', '.join(conflicts[:3])}"
            f"{', ...' if len(conflicts) > 3 else ''}); refusing to overwrite them: choose "
            "another --out, or pass --force to recompute and overwrite them"
        )
    if todo:
        pin_study_threads(study, str(path))
    reporter.start_study(study, len(todo))
    by_id = {run.run_id: run for run in todo}
    tracebacks: dict[str, str] = {}
    outcomes = executor.map(todo, out, reporter, group=study.spec.execution.group,
                            jobs=study.spec.execution.jobs)
    try:
        _collect(outcomes, by_id, out, finished, result, tracebacks)
    except KeyboardInterrupt:
        raise StudyInterrupted(out, result.reused, result.computed) from None
    finally:
        close = getattr(outcomes, "close", None)  # a generator: end its cluster, if any
        if close is not None:
            close()
    if result.stopped:  # a full disk: keep what is on disk, write what still fits
        try:
            write_outputs(study, out, finished, result.failed, figures=False,
                          tracebacks=tracebacks)
        except OSError:
            pass
        return
    if not figures and (result.computed or result.failed) and (out / "figures").is_dir():
        # runs changed and no figures are drawn: the old ones would show earlier results
        shutil.rmtree(out / "figures")
        result.old_figures_removed = True
    write_outputs(study, out, finished, result.failed, figures=figures, tracebacks=tracebacks)
    if finished or result.failed:
        result.dataset = trajectory.read(out / "study.nc", study=True)
    write_provenance(out, command, started, computed=len(result.computed),
                     reused=len(result.reused), failed=len(result.failed))
    if report and (out / "study.nc").is_file():
        from bayesgrok.report import write_report

        result.report = write_report(out, dataset=result.dataset)[0]


def _collect(outcomes: Iterator[RunOutcome], by_id: dict[str, RunSpec], out: Path,
             finished: dict[str, xr.Dataset], result: StudyResult,
             tracebacks: dict[str, str]) -> None:
    """Read each computed run back as it finishes; note failures; stop at the first
    outcome that says nothing more can be written (a full disk)."""
    for outcome in outcomes:
        run = by_id[outcome.run_id]
        ds = None
        if outcome.ok:
            wait_for(store.run_path(out, run.run_id))
            ds = store.load_finished(store.run_path(out, run.run_id), run.config)
            if ds is None:
                outcome = RunOutcome(run.run_id, False,
                                     "the run's file could not be read back after the run")
        if ds is not None:
            finished[run.run_id] = ds
            result.computed.append(run.run_id)
        else:
            result.failed[run.run_id] = outcome.outcome
            tracebacks[run.run_id] = outcome.traceback or outcome.outcome
        if outcome.stop:
            result.stopped = outcome.outcome
            return
