"""Thread pinning of a study: XLA and torch threads fixed before JAX or torch starts,
when the study file asks for it (``[search] threads``)."""

from __future__ import annotations

from pathlib import Path

from bayesgrok.study.errors import StudyError
from bayesgrok.study.resolve import Study


def pin_threads_early(path: str | Path) -> None:
    """Pin the threads of the file's ``[search] threads`` before anything computes.

    Resolving a study may already run JAX (families check their shapes), and XLA reads
    its thread flags when it first computes; so the pin is read off the raw file first.
    :func:`pin_study_threads` then checks the resolved runs against it. A file that
    cannot be read is left to :func:`~bayesgrok.study.resolve.load_study` to report.

    Examples
    --------
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.schema import studies_dir
    >>> pin_threads_early(studies_dir() / "miller_linear.toml")  # pins nothing
    """
    from bayesgrok.study.schema import load_toml

    try:
        threads = load_toml(path).get("search", {}).get("threads")
    except Exception:  # noqa: BLE001 - load_study reports a bad file with its own message
        return
    if isinstance(threads, int) and not isinstance(threads, bool) and threads >= 1:
        _pin(str(path), threads)


def _pin(path: str, threads: int) -> None:
    from bayesgrok.search.threads import ThreadPinError, pin_threads

    try:
        pin_threads(threads)
    except ThreadPinError as exc:
        raise StudyError(path, "search.threads", str(exc)) from None


def pin_study_threads(study: Study, path: str) -> int | None:
    """Pin this process's threads to the study's ``[search] threads``, if it gives one.

    Every run of a study must agree on it (a sweep may not vary it); see
    :func:`bayesgrok.search.threads.pin_threads`.

    Raises
    ------
    bayesgrok.study.errors.StudyError
        If the runs disagree, or JAX already computed in this process with other threads.

    Examples
    --------
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.schema import studies_dir
    >>> pin_study_threads(load_study(studies_dir() / "miller_linear.toml"), "x.toml") is None
    True
    """
    wanted = {getattr(run.search, "threads", None) for run in study.runs}
    if len(wanted) > 1:
        raise StudyError(path, "search.threads", f"the runs of one study must pin the same "
                         f"number of threads, got {sorted(map(str, wanted))}")
    threads = wanted.pop()
    if threads is not None:
        _pin(path, threads)
    return threads


