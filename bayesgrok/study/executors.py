"""Executors: where a study's runs are computed (this process, or a Dask cluster).

An executor takes the runs still to do and yields one :class:`RunOutcome` per run as each
finishes. The unit of work is :func:`compute_and_store`: it runs one :class:`RunSpec` and
writes its files into the study's output folder itself (the trajectory, written atomically
and last, so that a run file on disk is always a finished run; or, when the run raised, a
``<run-id>.failed.json`` record with the traceback). The client then reads the files back
and combines them, so a study's results never depend on which process computed a run.

* :class:`LocalExecutor`: one run after the other in this process, with a progress bar
  over the steps of the run in progress.
* :class:`DaskExecutor`: each run is a task on a ``distributed`` cluster: a
  ``LocalCluster`` of worker processes started for the study, or an existing scheduler
  given by its address. Workers write to the output folder, which must therefore be on a
  file system they share with the client (always true for a local cluster). A worker that
  dies mid-run has its task rescheduled on another worker, up to ``retries`` times
  (``distributed.scheduler.allowed-failures``; for an existing scheduler, its own setting
  applies). An exception inside a run is not retried: it is recorded as a failed run.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bayesgrok import trajectory
from bayesgrok.atomic import DiskFullError
from bayesgrok.search.checkpoint import Checkpoint
from bayesgrok.search.config import SearchConfig
from bayesgrok.study import store
from bayesgrok.study.execute import execute_group, execute_with_artifacts
from bayesgrok.study.groups import group_runs
from bayesgrok.study.resolve import RunSpec

__all__ = [
    "DaskExecutor",
    "Executor",
    "LocalExecutor",
    "RunOutcome",
    "checkpoint_for",
    "compute_and_store",
    "compute_and_store_group",
    "failed_record_path",
]


@dataclass(frozen=True)
class RunOutcome:
    """How one run ended.

    Attributes
    ----------
    run_id
        The run.
    ok
        Whether the run produced a trajectory (its seeds may still have diverged).
    outcome
        ``"ok"``, ``"diverged"``, ``"ok,diverged"`` (the seeds' statuses), or the error
        line of a failed run.
    traceback
        The full traceback of a failed run, else ``""``.
    stop
        Whether the study must stop: nothing more can be written (a full disk).
    """

    run_id: str
    ok: bool
    outcome: str
    traceback: str = ""
    stop: bool = False


def failed_record_path(out: Path, run_id: str) -> Path:
    """Where the failure record of run ``run_id`` is written.

    Examples
    --------
    >>> failed_record_path(Path("out"), "run-1").as_posix()
    'out/runs/run-1.failed.json'
    """
    return Path(out) / "runs" / f"{run_id}.failed.json"


def checkpoint_for(runs: Sequence[RunSpec], out: str | Path) -> Checkpoint | None:
    """The checkpoint of a run, or of runs trained together, in ``out/runs``
    (``<run-id>.checkpoint``, or ``group-<hash>.checkpoint``), fingerprinted by their
    configurations; ``None`` when the search saves none (``checkpoint_every = 0``, or a
    method without checkpoints).

    Examples
    --------
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.examples import tiny_study
    >>> run = load_study(tiny_study()).runs[0]
    >>> checkpoint_for([run], "out").path.name == f"{run.run_id}.checkpoint"
    True
    """
    search = runs[0].search
    if not isinstance(search, SearchConfig) or search.checkpoint_every == 0:
        return None
    configs = json.dumps([run.config for run in runs], sort_keys=True)
    fingerprint = hashlib.sha256(configs.encode()).hexdigest()
    name = runs[0].run_id if len(runs) == 1 else (
        "group-" + hashlib.sha256(" ".join(r.run_id for r in runs).encode()).hexdigest()[:12])
    return Checkpoint(Path(out) / "runs" / f"{name}.checkpoint", fingerprint,
                      every_steps=search.checkpoint_every)


def compute_and_store(run: RunSpec, out: str | Path, reporter: Any = None) -> RunOutcome:
    """Compute one run and write its files under ``out``; never raises for a failing run.

    On success the artifacts (InferenceData) are written first and the trajectory last,
    each atomically, and any old failure record and the run's checkpoint are removed. A
    long run saves its state now and then (:func:`checkpoint_for`) and a killed one resumes
    from it. When the run raises, ``runs/<run-id>.failed.json`` records the error and
    traceback (and the run's configuration) instead, and the study goes on. A full disk
    ends the run with an outcome that stops the study (``stop``).

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.examples import tiny_study
    >>> run = load_study(tiny_study()).runs[0]
    >>> out = Path(tempfile.mkdtemp())
    >>> compute_and_store(run, out).ok, store.run_path(out, run.run_id).is_file()
    (True, True)
    """

    out = Path(out)
    checkpoint = checkpoint_for([run], out)
    try:
        ds, artifacts = execute_with_artifacts(run, reporter, checkpoint=checkpoint)
        return _store(run, out, ds, artifacts, checkpoint)
    except DiskFullError as exc:
        return _disk_full([run], out, exc)[0]
    except Exception as exc:  # a failing run must not take the study down
        return _record_failure(run, out, exc)


def compute_and_store_group(runs: Sequence[RunSpec], out: str | Path,
                            reporter: Any = None) -> list[RunOutcome]:
    """Compute runs that share one compiled program together (see
    :mod:`bayesgrok.study.groups`) and write each one's files as :func:`compute_and_store`
    does; never raises for a failing run. When the group raises, each run is computed
    again alone, so that only a failing run is recorded as failed.

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.examples import tiny_study
    >>> run = load_study(tiny_study()).runs[0]
    >>> [o.ok for o in compute_and_store_group([run], Path(tempfile.mkdtemp()))]
    [True]
    """
    out = Path(out)
    if len(runs) == 1:
        return [compute_and_store(runs[0], out, reporter)]
    checkpoint = checkpoint_for(runs, out)
    try:
        results = execute_group(runs, reporter, checkpoint=checkpoint)
    except DiskFullError as exc:
        return _disk_full(runs, out, exc)
    except Exception:  # find the failing run: each alone, each recorded
        if checkpoint is not None:
            checkpoint.remove()
        return [compute_and_store(run, out, reporter) for run in runs]
    outcomes = []
    for run, (ds, artifacts) in zip(runs, results, strict=True):
        try:
            outcomes.append(_store(run, out, ds, artifacts, None))
        except DiskFullError as exc:
            return outcomes + _disk_full(runs[len(outcomes):], out, exc)
    if checkpoint is not None:
        checkpoint.remove()
    return outcomes


def _record_failure(run: RunSpec, out: Path, exc: BaseException) -> RunOutcome:
    text = traceback.format_exc()
    line = f"{type(exc).__name__}: {exc}"
    store.write_json(failed_record_path(out, run.run_id),
                     {"run_id": run.run_id, "error": line, "traceback": text,
                      "config": run.config})
    return RunOutcome(run.run_id, False, line, text)


def _disk_full(runs: Sequence[RunSpec], out: Path, exc: DiskFullError) -> list[RunOutcome]:
    """Outcomes that stop the study; a failure record for each run where it still fits."""
    line = f"{exc.strerror}" if exc.strerror else str(exc)
    outcomes = []
    for run in runs:
        try:
            store.write_json(failed_record_path(out, run.run_id),
                             {"run_id": run.run_id, "error": line, "traceback": "",
                              "config": run.config})
        except OSError:
            pass  # nothing fits any more: the outcome still says why
        outcomes.append(RunOutcome(run.run_id, False, line, "", stop=True))
    return outcomes


def _store(run: RunSpec, out: Path, ds: Any, artifacts: dict[str, Any],
           checkpoint: Checkpoint | None) -> RunOutcome:
    for name, tree in artifacts.items():  # beside the run, before it: the run file
        store.write_datatree(tree, store.artifact_path(out, run.run_id, name))
    trajectory.write(ds, store.run_path(out, run.run_id))  # marks the run complete
    failed_record_path(out, run.run_id).unlink(missing_ok=True)
    if checkpoint is not None:
        checkpoint.remove()
    statuses = ",".join(sorted(set(ds["status"].values.astype(str))))
    return RunOutcome(run.run_id, True, statuses)


class ExecutorUnavailable(RuntimeError):
    """The executor cannot compute anything (an unreachable scheduler, say)."""


class Executor(Protocol):
    """Computes runs and yields their outcomes as they finish."""

    def check(self) -> None:
        """Raise :class:`ExecutorUnavailable` when no run could be computed."""
        ...

    def map(self, runs: Sequence[RunSpec], out: Path, reporter: Any,
            group: bool = True) -> Iterator[RunOutcome]:
        """Compute ``runs`` (writing under ``out``; runs sharing a program together unless
        ``group`` is false); yield one outcome per run."""
        ...


class LocalExecutor:
    """Runs one after the other in this process, with step-level progress.

    Examples
    --------
    >>> LocalExecutor().describe()
    'local'
    """

    def describe(self) -> str:
        """A one-line description for the console."""
        return "local"

    def check(self) -> None:
        """Nothing to check: this process computes the runs."""

    def map(self, runs: Sequence[RunSpec], out: Path, reporter: Any,
            group: bool = True) -> Iterator[RunOutcome]:
        """Compute each group of runs in turn; yield each run's outcome."""
        for runs_together in group_runs(runs, group):
            outcomes = compute_and_store_group(runs_together, out, reporter)
            for run, outcome in zip(runs_together, outcomes, strict=True):
                reporter.end_run(run, outcome.outcome if outcome.ok else "failed")
                yield outcome


class DaskExecutor:
    """Each run a task on a Dask ``distributed`` cluster.

    Parameters
    ----------
    scheduler
        Address of an existing scheduler (``tcp://host:8786``); without one a
        ``LocalCluster`` is started for the study and closed after it.
    workers
        Worker processes of the local cluster (one thread each).
    retries
        How many times a task whose worker died may be rescheduled before the run is
        recorded as failed (sets ``distributed.scheduler.allowed-failures`` for a local
        cluster).
    dashboard
        Address for the local cluster's dashboard (``":0"``: any free port); its link is
        printed when the cluster starts.

    Examples
    --------
    >>> DaskExecutor(workers=2).describe()
    'dask (local cluster of 2 worker processes)'
    >>> DaskExecutor(scheduler="tcp://10.0.0.1:8786").describe()
    'dask (scheduler tcp://10.0.0.1:8786)'
    """

    def __init__(self, scheduler: str | None = None, workers: int = 2, retries: int = 3,
                 dashboard: str = ":0") -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        if retries < 0:
            raise ValueError(f"retries must be at least 0, not {retries}")
        self.scheduler = scheduler
        self.workers = workers
        self.retries = retries
        self.dashboard = dashboard
        self.dashboard_link: str | None = None

    def describe(self) -> str:
        """A one-line description for the console."""
        if self.scheduler:
            return f"dask (scheduler {self.scheduler})"
        return f"dask (local cluster of {self.workers} worker processes)"

    def check(self, timeout: float = 5.0) -> None:
        """An existing scheduler answers within ``timeout`` seconds (a local cluster is
        started later, when the runs are submitted).

        Raises
        ------
        ExecutorUnavailable
            Naming the address.

        Examples
        --------
        >>> DaskExecutor(scheduler="tcp://127.0.0.1:1").check(timeout=1)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bayesgrok.study.executors.ExecutorUnavailable: cannot reach the Dask scheduler at ...
        """
        if not self.scheduler:
            return
        from distributed import Client

        try:
            Client(self.scheduler, timeout=f"{timeout}s", set_as_default=False).close()
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExecutorUnavailable(f"cannot reach the Dask scheduler at {self.scheduler} "
                                      f"within {timeout:g} s ({type(exc).__name__}): is it "
                                      "running, and is the address right?") from None

    def _connect(self) -> tuple[Any, Any]:
        import dask
        from distributed import Client, LocalCluster

        if self.scheduler:
            # not the default scheduler: xarray would otherwise route this process's own
            # netCDF writes through the cluster (and fail once it is closed)
            client = Client(self.scheduler, timeout="30s", set_as_default=False)
            return client, None
        with dask.config.set({"distributed.scheduler.allowed-failures": self.retries}):
            cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                   processes=True, dashboard_address=self.dashboard,
                                   silence_logs=40)
        return Client(cluster, set_as_default=False), cluster

    def map(self, runs: Sequence[RunSpec], out: Path, reporter: Any,
            group: bool = True) -> Iterator[RunOutcome]:
        """Submit every group of runs as one task; yield outcomes as tasks finish."""
        from distributed import as_completed

        if not runs:
            return
        client, cluster = self._connect()
        try:
            self.dashboard_link = client.dashboard_link
            console = getattr(reporter, "console", None)
            if console is not None:
                console.print(f"dask dashboard: {self.dashboard_link}")
            by_key = {}
            for runs_together in group_runs(runs, group):
                future = client.submit(compute_and_store_group, runs_together, str(out),
                                       key=f"run-{runs_together[0].run_id}", pure=False)
                by_key[future.key] = (future, runs_together)
            for future in as_completed([f for f, _ in by_key.values()], loop=client.loop):
                runs_together = by_key[future.key][1]
                try:
                    outcomes = future.result()
                except Exception as exc:  # the task itself was lost (KilledWorker, ...)
                    text = "".join(traceback.format_exception(exc))
                    line = f"{type(exc).__name__}: {exc}"
                    outcomes = []
                    for run in runs_together:
                        store.write_json(failed_record_path(out, run.run_id),
                                         {"run_id": run.run_id, "error": line,
                                          "traceback": text, "config": run.config})
                        outcomes.append(RunOutcome(run.run_id, False, line, text))
                for run, outcome in zip(runs_together, outcomes, strict=True):
                    reporter.end_run(run, outcome.outcome if outcome.ok else "failed")
                    yield outcome
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def read_failed(out: Path, run_id: str) -> dict[str, Any] | None:
    """The failure record of ``run_id`` (see :func:`compute_and_store`), if any.

    Examples
    --------
    >>> read_failed(Path("no/such/folder"), "run-1") is None
    True
    """
    path = failed_record_path(out, run_id)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def wait_for(path: Path, timeout: float = 5.0) -> bool:
    """Whether ``path`` exists within ``timeout`` seconds (files written by workers on a
    shared file system may show up on the client a moment later).

    Examples
    --------
    >>> wait_for(Path("no/such/file"), timeout=0.0)
    False
    """
    end = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() >= end:
            return False
        time.sleep(0.05)
    return True
