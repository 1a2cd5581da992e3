"""A results folder belongs to one study.

The first run of a study into ``--out`` writes ``<out>/study.toml`` (the study file as it
was run) and ``<out>/study.json`` (its name, its runs and the fingerprint of their
configurations). A later run into the same folder resumes when the fingerprint is the
same. When it is not (another study, or an edited version of this one) the run stops
before any work, exit 2, naming the difference; with ``--force`` the folder's stale
outputs are removed first (run files no longer in the sweep, the combined files, the
figures and the report), each one named, and the study runs afresh around the runs it
still has. A folder made before this file existed is adopted when its runs all belong to
the study.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import socket
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bayesgrok.atomic import DiskFullError
from bayesgrok.search.config import SearchConfig
from bayesgrok.study import store
from bayesgrok.study.errors import StudyError
from bayesgrok.study.resolve import Study

MARKER = "study.json"
"""The file that says which study a folder belongs to."""

STUDY_COPY = "study.toml"
"""The study file as it was run."""

LOCK = ".bayesgrok.lock"
"""The lock file of a folder being written: the holder's pid and host."""

COMBINED = ("study.nc", "summary.csv", "failures.json", "provenance.json", "report.html",
            "report.md", "regions.nc", "landscape.nc")
"""Files combined from all runs (and every other ``*.csv`` of the folder)."""


def fingerprint(study: Study) -> str:
    """The fingerprint of a study: its name and the ids of its runs (each run id hashes the
    run's whole resolved configuration).

    Examples
    --------
    >>> from bayesgrok.study.examples import tiny_study
    >>> from bayesgrok.study.resolve import load_study
    >>> len(fingerprint(load_study(tiny_study())))
    16
    """
    text = json.dumps({"study": study.spec.name, "runs": sorted(r.run_id for r in study.runs)})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class LowDiskSpaceWarning(UserWarning):
    """The results folder's disk has less free space than the study is estimated to need."""


def estimated_bytes(study: Study) -> int:
    """A rough upper estimate of the bytes a study's outputs take: per run, 16 float64
    variables per seed and logged step, twice (the run file and ``study.nc``), plus 64 kB;
    and 4 MB for figures, tables and the report.

    Examples
    --------
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.examples import tiny_study
    >>> estimated_bytes(load_study(tiny_study())) < 5_000_000
    True
    """
    total = 4_000_000
    for run in study.runs:
        search = run.search
        logged = 1000  # NUTS draws, say
        if isinstance(search, SearchConfig):
            n_train = int(run.config.get("task", {}).get("n_train") or 1000)
            logged = search.log.count(search.total_steps(n_train))
        total += len(run.seeds) * logged * 16 * 8 * 2 + 64_000
    return total


def check_out(out: Path, path: str, study: Study | None = None) -> None:
    """``out`` can hold results: a folder (or nothing yet, with a writable parent); warns
    (:class:`LowDiskSpaceWarning`) when its disk has less space free than ``study`` is
    estimated to need (:func:`estimated_bytes`).

    Raises
    ------
    StudyError
        Naming ``--out`` and the value, before any work.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); (d / "a_file").write_text("x") and None
    >>> check_out(d / "new", "s.toml")
    >>> check_out(d / "a_file", "s.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bayesgrok.study.errors.StudyError: s.toml: --out = '...a_file': not a folder ...
    """
    if out.exists() and not out.is_dir():
        raise StudyError(path, "--out", "not a folder (a file is in the way): choose another "
                         "--out", str(out))
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise StudyError(path, "--out", f"{existing} cannot be written to: choose another "
                         "--out", str(out))
    if study is not None:
        free, need = shutil.disk_usage(existing).free, estimated_bytes(study)
        if free < need:
            warnings.warn(f"{out}: {free / 1e6:.1f} MB free on its disk, and this study's "
                          f"outputs may take up to {need / 1e6:.1f} MB; a full disk stops the "
                          "study (finished runs are kept)", LowDiskSpaceWarning, stacklevel=2)


def _recorded(out: Path) -> dict[str, Any] | None:
    try:
        return json.loads((out / MARKER).read_text())
    except (OSError, ValueError):
        return None


def _difference(recorded: dict[str, Any], study: Study) -> str:
    """The difference between the recorded study and ``study``, in words."""
    if recorded.get("study") != study.spec.name:
        return (f"it holds the results of study {recorded.get('study')!r}, not "
                f"{study.spec.name!r}")
    old, new = set(recorded.get("runs", [])), {r.run_id for r in study.runs}
    gone, added = sorted(old - new), sorted(new - old)
    parts = []
    if added:
        parts.append(f"{len(added)} run(s) the recorded version did not have "
                     f"({', '.join(added[:3])}{', ...' if len(added) > 3 else ''})")
    if gone:
        parts.append(f"{len(gone)} recorded run(s) no longer in the sweep "
                     f"({', '.join(gone[:3])}{', ...' if len(gone) > 3 else ''})")
    return ("the study file was edited since these results were made: "
            + "; ".join(parts or ["the runs' configurations differ"]))


def _legacy_runs(out: Path) -> set[str]:
    runs = out / "runs"
    if not runs.is_dir():
        return set()
    return {p.name.split(".")[0] for p in runs.iterdir() if not p.name.startswith(".")}


def stale_outputs(out: Path, study: Study) -> list[Path]:
    """What ``--force`` removes: run files (and their artifacts and failure records) no
    longer in the sweep, the combined files, every CSV, the figures.

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.study.examples import tiny_study
    >>> from bayesgrok.study.resolve import load_study
    >>> out = Path(tempfile.mkdtemp())
    >>> (out / "runs").mkdir(); _ = (out / "runs" / "run-old.nc").write_text("")
    >>> _ = (out / "summary.csv").write_text("")
    >>> [p.name for p in stale_outputs(out, load_study(tiny_study()))]
    ['summary.csv', 'run-old.nc']
    """
    keep = {r.run_id for r in study.runs}
    found = [out / name for name in COMBINED if (out / name).exists()]
    found += sorted(p for p in out.glob("*.csv") if p.name not in COMBINED)
    if (out / "figures").is_dir():
        found.append(out / "figures")
    if (out / "runs").is_dir():
        found += sorted(p for p in (out / "runs").iterdir()
                        if not p.name.startswith(".") and p.name.split(".")[0] not in keep)
    return found


def claim(study: Study, out: Path, *, force: bool = False) -> list[Path]:
    """Make ``out`` the folder of ``study``: check it belongs to the same study (or is new),
    clear its stale outputs with ``force``, and record the study. Returns what was removed.

    Raises
    ------
    StudyError
        When the folder belongs to another study or another version of this one and
        ``force`` is not given (exit 2 at the command line), naming the difference.

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.study.examples import tiny_study
    >>> from bayesgrok.study.resolve import load_study
    >>> out = Path(tempfile.mkdtemp()) / "res"
    >>> claim(load_study(tiny_study()), out)
    []
    >>> sorted(p.name for p in out.iterdir())
    ['study.json', 'study.toml']
    """
    path = str(study.path)
    check_out(out, path)
    mine = fingerprint(study)
    recorded = _recorded(out)
    different = None
    if recorded is not None and recorded.get("fingerprint") != mine:
        different = _difference(recorded, study)
    elif recorded is None:
        foreign = _legacy_runs(out) - {r.run_id for r in study.runs}
        if foreign:
            different = (f"its runs/ folder holds {len(foreign)} run file(s) this study "
                         f"does not make ({', '.join(sorted(foreign)[:3])})")
    removed: list[Path] = []
    if different is not None:
        if not force:
            raise StudyError(path, "--out", f"this folder is not this study's: {different}. "
                             "Choose another --out, or pass --force to remove its stale "
                             "outputs (each is named) and run this study there", str(out))
        removed = stale_outputs(out, study)
        for item in removed:
            if item.is_dir():
                shutil.rmtree(item)
            else:
                item.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    try:
        text = Path(study.path).read_text()
    except OSError:  # pragma: no cover - the file was read moments ago
        text = ""
    store.write_text(out / STUDY_COPY, text)
    store.write_json(out / MARKER, {"study": study.spec.name, "fingerprint": mine,
                                    "runs": sorted(r.run_id for r in study.runs)})
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


EMPTY_LOCK_GRACE_S = 10.0
"""An empty or unreadable lock file older than this (seconds) is taken over: its holder
died between creating it and writing its name in it (a full disk, say)."""


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


@contextlib.contextmanager
def locked(out: Path, path: str) -> Iterator[None]:
    """Hold ``<out>/.bayesgrok.lock`` while a study writes ``out``: one writer per folder.
    A lock left by a process that is gone (same host) is taken over.

    Raises
    ------
    StudyError
        At once, when another live process holds the folder, naming its pid and host.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> with locked(out, "s.toml"):
    ...     (out / LOCK).is_file()
    True
    >>> (out / LOCK).exists()
    False
    """
    out.mkdir(parents=True, exist_ok=True)
    lock = out / LOCK
    me = {"pid": os.getpid(), "host": socket.gethostname()}
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = json.loads(lock.read_text())
            except (OSError, ValueError):
                holder = {}
            same_host = holder.get("host") == me["host"]
            if same_host and isinstance(holder.get("pid"), int) and not _alive(holder["pid"]):
                lock.unlink(missing_ok=True)  # its holder is gone: take it over
                continue
            if not holder and _age(lock) > EMPTY_LOCK_GRACE_S:
                lock.unlink(missing_ok=True)  # its holder never wrote its name: gone
                continue
            raise StudyError(path, "--out", f"another bayesgrok process (pid "
                             f"{holder.get('pid', '?')} on {holder.get('host', '?')}) is "
                             f"writing this folder; wait for it, or remove {lock} if it is "
                             "gone", str(out)) from None
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(me, handle)
        except OSError as exc:
            lock.unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFullError(errno.ENOSPC, "the disk is full: could not write the "
                                    f"lock file {lock}") from exc
            raise
        break
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)
