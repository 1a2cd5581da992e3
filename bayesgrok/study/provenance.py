"""Provenance of a result folder: the command that made it, when, where and with what.

``bayesgrok run`` writes ``RESULT/provenance.json`` once its outputs are written; the
report shows it (see :mod:`bayesgrok.report`).
"""

from __future__ import annotations

import platform
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bayesgrok.study import store


def bayesgrok_version() -> str:
    """The installed version of bayesgrok (``"unknown"`` from a bare source tree).

    Examples
    --------
    >>> isinstance(bayesgrok_version(), str)
    True
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bayesgrok")
    except PackageNotFoundError:  # pragma: no cover - only when run from a source tree
        return "unknown"


def provenance_record(command: str | None, started: datetime,
                      finished: datetime | None = None, **extra: Any) -> dict[str, Any]:
    """What ``provenance.json`` holds: the command (``None`` when not run from the command
    line), the start and finish times (ISO 8601, UTC), the host, the Python and bayesgrok
    versions, and any ``extra`` items.

    Examples
    --------
    >>> t = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    >>> record = provenance_record("bayesgrok run s.toml", t, t, computed=2)
    >>> record["command"], record["started"], record["computed"]
    ('bayesgrok run s.toml', '2025-01-02T03:04:05+00:00', 2)
    """
    finished = finished or datetime.now(UTC)
    return {
        "command": command,
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "hostname": socket.gethostname(),
        "python": platform.python_version(),
        "bayesgrok": bayesgrok_version(),
        **extra,
    }


def write_provenance(out: Path, command: str | None, started: datetime,
                     finished: datetime | None = None, **extra: Any) -> Path:
    """Write ``out/provenance.json`` (see :func:`provenance_record`) atomically.

    Examples
    --------
    >>> import json, tempfile
    >>> path = write_provenance(Path(tempfile.mkdtemp()), "bayesgrok run s.toml",
    ...                         datetime.now(UTC))
    >>> json.loads(path.read_text())["command"]
    'bayesgrok run s.toml'
    """
    return store.write_json(Path(out) / "provenance.json",
                            provenance_record(command, started, finished, **extra))
