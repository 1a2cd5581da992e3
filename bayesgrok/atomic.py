"""Atomic file writes: everything bayesgrok writes is written to a temporary name beside
its target and renamed over it, so an interrupted write never leaves a file that looks
finished."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def _umask() -> int:
    """The process's umask (read once, at import, from the main thread)."""
    current = os.umask(0o022)
    os.umask(current)
    return current


_MODE = 0o666 & ~_umask()
"""The mode a plain ``open`` would give a new file (``mkstemp`` alone gives 0600, which
other users of a cluster, such as Dask workers, could not read)."""


class DiskFullError(OSError):
    """A write failed because the disk (or the user's quota) is full."""


_FULL = (errno.ENOSPC, errno.EDQUOT)


def atomic_write(path: str | os.PathLike[str], write: Callable[[str], object], *,
                 suffix: str = ".tmp") -> Path:
    """Call ``write(tmp)`` on a fresh temporary file ``.<name>.<random><suffix>`` beside
    ``path`` (its folder is created), then rename it to ``path``; on any failure the
    temporary file is removed and the error raised. A full disk (or quota) raises
    :class:`DiskFullError`, naming ``path``.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> atomic_write(d / "a.txt", lambda tmp: Path(tmp).write_text("hello")).read_text()
    'hello'
    >>> atomic_write(d / "b.txt", lambda tmp: 1 / 0)
    Traceback (most recent call last):
    ...
    ZeroDivisionError: division by zero
    >>> sorted(p.name for p in d.iterdir())
    ['a.txt']
    >>> oct((d / "a.txt").stat().st_mode & 0o777) == oct(_MODE)  # the umask, not 0600
    True
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _MODE)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.errno in _FULL or "No space left" in str(exc):  # h5py hides the errno
            raise DiskFullError(errno.ENOSPC, f"the disk is full: could not write {path}"
                                ) from exc
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def netcdf_bytes(dataset: object) -> bytes:
    """A Dataset or DataTree serialised as netCDF4 (h5netcdf) in memory, so that a file is
    written by one plain ``write`` (a full disk gives a clean ``OSError``, never an error
    inside HDF5).

    Examples
    --------
    >>> import xarray as xr
    >>> netcdf_bytes(xr.Dataset({"a": ("x", [1.0])}))[:4]
    b'\\x89HDF'
    """
    import dask

    # numpy-backed data need no scheduler; without this, inside a Dask worker xarray asks
    # the distributed scheduler for a lock named after the in-memory target, which fails
    with dask.config.set(scheduler="synchronous"):
        return bytes(dataset.to_netcdf(engine="h5netcdf"))  # type: ignore[attr-defined]
