"""The unit of work of every executor: compute one run (or runs trained together) and write
its files into the study's output folder.

:func:`compute_and_store` runs one :class:`~bayesgrok.study.resolve.RunSpec` and writes
the trajectory atomically and last, so that a run file on disk is always a finished run;
when the run raised, a ``<run-id>.failed.json`` record with the traceback instead. A long
run saves checkpoints beside it (:func:`checkpoint_for`) and a killed one resumes from
them. A full disk ends the run with an outcome that stops the study. The client reads the
files back and combines them, so a study's results never depend on which process computed
a run.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bayesgrok import trajectory
from bayesgrok.atomic import DiskFullError
from bayesgrok.search.checkpoint import Checkpoint
from bayesgrok.search.config import SearchConfig
from bayesgrok.study import store
from bayesgrok.study.execute import execute_group, execute_with_artifacts
from bayesgrok.study.resolve import RunSpec

__all__ = [
    "RunOutcome",
    "checkpoint_for",
    "compute_and_store",
    "compute_and_store_group",
    "failed_record_path",
    "raise_if_interrupted",
    "read_failed",
    "wait_for",
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
        raise_if_interrupted(exc)
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
    except Exception as exc:  # find the failing run: each alone, each recorded
        raise_if_interrupted(exc)  # and keep the group's checkpoint for the resume
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


def raise_if_interrupted(exc: BaseException) -> None:
    """Raise :class:`KeyboardInterrupt` when ``exc`` was raised while a Ctrl-C unwound.

    A library can turn a Ctrl-C into an error of its own: ``torch.func.vmap`` sometimes
    fails an internal assertion when the interrupt lands while it unwinds (about one in
    500 interrupts of a batched PyTorch loop, measured), and raises a ``RuntimeError``
    whose context is the ``KeyboardInterrupt``. Such a run was interrupted, not failed: it
    must not be recorded as failed, nor its checkpoint removed.

    Examples
    --------
    >>> try:
    ...     try:
    ...         raise KeyboardInterrupt
    ...     except KeyboardInterrupt:
    ...         raise RuntimeError("INTERNAL ASSERT FAILED")
    ... except RuntimeError as exc:
    ...     try:
    ...         raise_if_interrupted(exc)
    ...     except KeyboardInterrupt:
    ...         print("interrupted")
    interrupted
    >>> raise_if_interrupted(ValueError("a real failure"))  # returns: record it
    """
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            raise KeyboardInterrupt from exc
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__


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
