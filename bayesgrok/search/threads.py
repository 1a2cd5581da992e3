"""The threads a search computes with: recorded in every trajectory, pinned on request.

Floating-point sums depend on how a computation is split across threads, so a result that
sits on a knife edge (a seed whose validation accuracy crosses its threshold by one point)
can differ between machines with different core counts. :func:`thread_settings` says what
was in force; :func:`pin_threads` fixes it for the whole process, for the XLA CPU client
(``XLA_FLAGS``, read once when JAX first starts its CPU backend) and for torch.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

XLA_FLAGS = "XLA_FLAGS"
_INTRA_OP = re.compile(r"intra_op_parallelism_threads=(\d+)")
_EIGEN_OFF = "--xla_cpu_multi_thread_eigen=false"
_EIGEN_ON = "--xla_cpu_multi_thread_eigen=true"


class ThreadPinError(RuntimeError):
    """Threads cannot be pinned: JAX's CPU backend already started with other settings.

    Examples
    --------
    >>> isinstance(ThreadPinError("x"), RuntimeError)
    True
    """


def _jax_backend_started() -> bool:
    if "jax" not in sys.modules:
        return False
    try:
        from jax._src import xla_bridge

        return bool(getattr(xla_bridge, "_backends", {}))
    except Exception:  # pragma: no cover - a JAX without that private name
        return True


def _xla_threads(flags: str) -> int | None:
    match = _INTRA_OP.search(flags)
    return int(match.group(1)) if match else None


def thread_settings() -> dict[str, Any]:
    """The threading in force in this process, as recorded in a trajectory's attributes.

    ``xla_flags`` is the ``XLA_FLAGS`` environment variable (as the JAX CPU backend read it
    if it started after it was set); ``xla_threads`` the ``intra_op_parallelism_threads``
    it names, or ``None`` (XLA's default: one thread per core it may use); ``torch_threads``
    torch's intra-op threads, or ``None`` when torch is not imported; ``cpus`` the cores
    this process may run on and ``cpu_count`` those of the machine.

    Examples
    --------
    >>> sorted(thread_settings())  # doctest: +NORMALIZE_WHITESPACE
    ['cpu_count', 'cpus', 'omp_num_threads', 'torch_threads', 'xla_flags', 'xla_threads']
    """
    flags = os.environ.get(XLA_FLAGS, "")
    torch_threads = None
    if "torch" in sys.modules:
        torch_threads = int(sys.modules["torch"].get_num_threads())
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count()
    return {
        "xla_flags": flags,
        "xla_threads": _xla_threads(flags),
        "torch_threads": torch_threads,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "cpus": cpus,
        "cpu_count": os.cpu_count(),
    }


def pinned_flags(threads: int, flags: str = "") -> str:
    """``flags`` with XLA's CPU thread count set to ``threads`` (Eigen's pool off for 1).

    The result always starts with a ``--`` flag: XLA reads an ``XLA_FLAGS`` that does not
    as the name of a file of flags, and aborts when there is none.

    Examples
    --------
    >>> pinned_flags(1)
    '--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1'
    >>> pinned_flags(2)
    '--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2'
    >>> pinned_flags(2, "--xla_dump_to=/tmp/x intra_op_parallelism_threads=8")
    '--xla_dump_to=/tmp/x intra_op_parallelism_threads=2'
    >>> all(pinned_flags(n, f).startswith("--") for n in (1, 2, 8) for f in ("", "a=1"))
    True
    """
    kept = [f for f in flags.split() if not _INTRA_OP.fullmatch(f)
            and f not in (_EIGEN_OFF, _EIGEN_ON)]
    if threads == 1:
        kept.insert(0, _EIGEN_OFF)
    elif not kept or not kept[0].startswith("--"):
        kept.insert(0, _EIGEN_ON)  # XLA's default, so that the flags start with "--"
    kept.append(f"intra_op_parallelism_threads={int(threads)}")
    return " ".join(kept)


def pin_threads(threads: int) -> dict[str, Any]:
    """Make JAX (XLA's CPU client) and torch compute with ``threads`` threads.

    Sets ``XLA_FLAGS`` (read when JAX starts its CPU backend, so this must come before
    the first JAX computation of the process), ``OMP_NUM_THREADS`` (for processes started
    later, such as Dask workers) and ``torch.set_num_threads`` when torch is imported.

    Parameters
    ----------
    threads
        Number of threads (``>= 1``).

    Returns
    -------
    dict
        :func:`thread_settings` after pinning.

    Raises
    ------
    ThreadPinError
        If JAX's CPU backend already started with a different thread setting: the pin
        then needs a fresh process.

    Examples
    --------
    >>> import os
    >>> before = os.environ.get("XLA_FLAGS")
    >>> try:
    ...     settings = pin_threads(1)
    ... except ThreadPinError:  # this process already computed with other flags
    ...     settings = {"xla_threads": 1}
    >>> settings["xla_threads"]
    1
    >>> _ = (os.environ.pop("XLA_FLAGS", None) if before is None
    ...      else os.environ.update(XLA_FLAGS=before))
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    current = os.environ.get(XLA_FLAGS, "")
    wanted = pinned_flags(threads, current)
    if _jax_backend_started() and _xla_threads(current) != threads:
        raise ThreadPinError(
            f"the study pins threads = {threads}, but JAX's CPU backend of this process "
            f"already started with XLA_FLAGS={current!r}; run the study in a fresh process "
            f"(or start it with XLA_FLAGS='{wanted}')"
        )
    os.environ[XLA_FLAGS] = wanted
    os.environ["OMP_NUM_THREADS"] = str(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    return thread_settings()
