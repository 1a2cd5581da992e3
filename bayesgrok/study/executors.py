"""Executors: where a study's runs are computed (this process, or a Dask cluster).

An executor takes the runs still to do and yields one
:class:`~bayesgrok.study.compute.RunOutcome` per run as each finishes. The unit of work is
:func:`~bayesgrok.study.compute.compute_and_store` (or its group form): it runs and writes
its own files, so a study's results never depend on which process computed a run.

* :class:`LocalExecutor`: one run after the other in this process, with a progress bar
  over the steps of the run in progress; with ``jobs > 1``, that many runs at once in
  threads of this process (JAX studies: a compiled program releases the GIL while it runs).
* :class:`DaskExecutor`: each run is a task on a ``distributed`` cluster: a
  ``LocalCluster`` of worker processes started for the study, or an existing scheduler
  given by its address. Workers write to the output folder, which must therefore be on a
  file system they share with the client (always true for a local cluster). A worker that
  dies mid-run has its task rescheduled on another worker, up to ``retries`` times
  (``distributed.scheduler.allowed-failures``; for an existing scheduler, its own setting
  applies), and resumes from the run's last checkpoint. An exception inside a run is not
  retried: it is recorded as a failed run.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol

from bayesgrok.study import store
from bayesgrok.study.compute import (
    RunOutcome,
    checkpoint_for,
    compute_and_store,
    compute_and_store_group,
    failed_record_path,
    read_failed,
    wait_for,
)
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
    "read_failed",
    "wait_for",
]


class ExecutorUnavailable(RuntimeError):
    """The executor cannot compute anything (an unreachable scheduler, say)."""


class Executor(Protocol):
    """Computes runs and yields their outcomes as they finish."""

    def check(self) -> None:
        """Raise :class:`ExecutorUnavailable` when no run could be computed."""
        ...

    def map(self, runs: Sequence[RunSpec], out: Path, reporter: Any,
            group: bool = True, jobs: int = 1) -> Iterator[RunOutcome]:
        """Compute ``runs`` (writing under ``out``; runs sharing a program together unless
        ``group`` is false; ``jobs`` at once where the executor can and was not told
        otherwise: the study's ``[execution] jobs``); yield one outcome per run."""
        ...


class LocalExecutor:
    """Runs in this process, with step-level progress: one after the other, or ``jobs``
    at once in threads.

    A run of a JAX family keeps about one core busy when its steps are small (A6's BNN:
    3 seeds, batch 32), and a compiled program releases the GIL while it runs, so runs in
    threads share the cores and the compiled programs; results are the same bit for bit,
    each run computing exactly what it computes alone. Studies with PyTorch runs, or with
    Gaussian-process runs (families with ``vectorize_seeds = False``, whose LAPACK kernels
    can deadlock XLA's thread pool when two run at once), compute one run at a time
    whatever ``jobs`` is. A Ctrl-C starts no further run and stops the runs
    in progress at their next progress report, as it stops a run in the main thread; the
    same command resumes them.

    Examples
    --------
    >>> LocalExecutor().describe(), LocalExecutor(jobs=2).describe()
    ('local', 'local (2 runs at once, in threads)')
    """

    def __init__(self, jobs: int | None = None) -> None:
        if jobs is not None and jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {jobs}")
        self.jobs = jobs

    def describe(self) -> str:
        """A one-line description for the console."""
        if self.jobs in (None, 1):
            return "local"
        return f"local ({self.jobs} runs at once, in threads)"

    def check(self) -> None:
        """Nothing to check: this process computes the runs."""

    def map(self, runs: Sequence[RunSpec], out: Path, reporter: Any,
            group: bool = True, jobs: int = 1) -> Iterator[RunOutcome]:
        """Compute each group of runs in turn (this executor's ``jobs`` groups at once, or
        the study's ``jobs`` when it was made without); yield each run's outcome as its
        group finishes."""
        groups = list(group_runs(runs, group))
        jobs = self.jobs if self.jobs is not None else jobs
        if jobs == 1 or len(groups) < 2 or _one_at_a_time(runs):
            for runs_together in groups:
                outcomes = compute_and_store_group(runs_together, out, reporter)
                yield from _ended(runs_together, outcomes, reporter)
            return
        yield from _map_in_threads(groups, out, reporter, jobs)


def _map_in_threads(groups: list[Sequence[RunSpec]], out: Path, reporter: Any,
                    jobs: int) -> Iterator[RunOutcome]:
    console = getattr(reporter, "console", None)
    if console is not None:
        console.print(f"computing {jobs} runs at once, in threads")
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="bayesgrok-run")
    shared = _ThreadReporters(reporter)  # a step bar per group in progress
    waiting = list(groups)
    running: dict[Future, Sequence[RunSpec]] = {}

    def submit() -> None:
        runs_together = waiting.pop(0)
        running[pool.submit(shared.compute, runs_together, out)] = runs_together

    try:
        while waiting and len(running) < jobs:
            submit()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                runs_together = running.pop(future)
                if waiting:
                    submit()
                yield from _ended(runs_together, future.result(), reporter)
    finally:  # a Ctrl-C (or a consumer that stops early): start nothing more, and
        waiting.clear()  # stop the runs in progress at their next progress report
        shared.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _ended(runs_together: Sequence[RunSpec], outcomes: Sequence[RunOutcome],
           reporter: Any) -> Iterator[RunOutcome]:
    for run, outcome in zip(runs_together, outcomes, strict=True):
        reporter.end_run(run, outcome.outcome if outcome.ok else "failed")
        yield outcome


def _one_at_a_time(runs: Sequence[RunSpec]) -> bool:
    """Whether some run must not share this process with another one running: a PyTorch
    run (torch's settings belong to the process), or a family that keeps its seeds out of
    ``vmap`` because two of jaxlib's batched LAPACK kernels running at once can deadlock
    XLA's CPU thread pool (:func:`~bayesgrok.search.jax_program.over_seeds`): two of its
    runs at once would run two such kernels at once."""
    from bayesgrok.families import family_class

    for run in runs:
        cls = family_class(run.family)
        if getattr(cls, "backend", "jax") == "torch" or not getattr(cls, "vectorize_seeds",
                                                                     True):
            return True
    return False


class _ThreadReporters:
    """One step bar per thread over a shared :class:`~bayesgrok.study.progress.RichReporter`
    (or no step bar, for a reporter without one); ``end_run`` stays the caller's."""

    def __init__(self, reporter: Any) -> None:
        self.reporter = reporter
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def compute(self, runs_together: Sequence[RunSpec], out: Path) -> list[RunOutcome]:
        """:func:`compute_and_store_group` with a step bar of its own, removed after."""
        bar = _StepBar(self)
        try:
            return compute_and_store_group(runs_together, out, bar)
        finally:
            bar.remove()


class _StepBar:
    def __init__(self, shared: _ThreadReporters) -> None:
        self.shared = shared
        self.progress = getattr(shared.reporter, "progress", None)
        self.task: Any = None

    def start_run(self, run: RunSpec, total_steps: int) -> None:
        if self.progress is None:
            return
        with self.shared.lock:
            if self.task is not None:
                self.progress.remove_task(self.task)
            self.task = self.progress.add_task(f"  {run.run_id}", total=total_steps)

    def advance(self, steps: int) -> None:
        # the engines report progress between segments: a run stopped here unwinds as a
        # Ctrl-C does in the main thread (its checkpoint is kept for the resume)
        if self.shared.stop.is_set():
            raise KeyboardInterrupt
        if self.progress is not None and self.task is not None:
            with self.shared.lock:
                self.progress.advance(self.task, steps)

    def remove(self) -> None:
        if self.progress is not None and self.task is not None:
            with self.shared.lock:
                self.progress.remove_task(self.task)
            self.task = None


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
            group: bool = True, jobs: int = 1) -> Iterator[RunOutcome]:
        """Submit every group of runs as one task, at most one per worker thread at a time;
        yield outcomes as tasks finish (``jobs`` is the local executor's: the workers
        already compute several at once)."""
        from distributed import as_completed

        if not runs:
            return
        client, cluster = self._connect()
        try:
            self.dashboard_link = client.dashboard_link
            console = getattr(reporter, "console", None)
            if console is not None:
                console.print(f"dask dashboard: {self.dashboard_link}")
            # at most one task per worker thread in flight: a task waiting in a worker's
            # queue would be blamed (counted towards allowed-failures) for that worker's
            # death although it never started; queued here, it is simply sent elsewhere
            waiting = list(group_runs(runs, group))
            slots = max(1, sum(client.nthreads().values()))
            by_key: dict[str, tuple[Any, tuple[RunSpec, ...]]] = {}

            def submit() -> Any:
                runs_together = tuple(waiting.pop(0))
                future = client.submit(compute_and_store_group, runs_together, str(out),
                                       key=f"run-{runs_together[0].run_id}", pure=False)
                by_key[future.key] = (future, runs_together)
                return future

            pending = as_completed([submit() for _ in range(min(slots, len(waiting)))],
                                   loop=client.loop)
            for future in pending:
                if waiting:
                    pending.add(submit())
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
