"""Checkpoints inside a run: the search state, saved atomically now and then, so that a
killed run resumes where it was and gives the trajectory an uninterrupted run gives.

A :class:`Checkpoint` names the file, the fingerprint of the run (or group of runs) it
belongs to, and how often to save: every ``every_steps`` optimizer steps, or, by default,
whenever ``every_seconds`` of wall time have passed since the last save (so a run of a few
seconds never writes one, and a run of hours loses at most a few minutes). The engines
decide *what* the state is (:mod:`~bayesgrok.search.jax_engine`: the scan carry as numpy
arrays in an ``.npz`` file; :mod:`~bayesgrok.search.torch_engine`: the models',
optimizers' and generators' state dicts through ``torch.save``); this module decides
*when* and *where*, and refuses a file made for another run. The study removes a
checkpoint once its run file is written.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bayesgrok.atomic import atomic_write

EVERY_SECONDS = 120.0
"""The default interval between saves, in seconds of wall time."""


@dataclass
class Checkpoint:
    """Where and how often a run saves its search state.

    Parameters
    ----------
    path
        The checkpoint file (the engine adds no suffix: ``.npz`` and ``.pt`` are the
        caller's choice).
    fingerprint
        Identifies the run (or group) the state belongs to; a file with another
        fingerprint is ignored.
    every_steps
        Save after at least this many optimizer steps since the last save; ``None``: by
        wall time (``every_seconds``).
    every_seconds
        The wall-time interval used when ``every_steps`` is ``None``.

    Examples
    --------
    >>> import tempfile
    >>> ck = Checkpoint(Path(tempfile.mkdtemp()) / "run.ckpt.npz", "abc", every_steps=100)
    >>> ck.due(50), ck.due(100)
    (False, True)
    >>> ck.save_arrays({"w": np.arange(3.0)}, {"done": 100})
    >>> arrays, meta = ck.load_arrays()
    >>> arrays["w"].tolist(), meta["done"]
    ([0.0, 1.0, 2.0], 100)
    >>> Checkpoint(ck.path, "another run").load_arrays() is None
    True
    """

    path: Path
    fingerprint: str
    every_steps: int | None = None
    every_seconds: float = EVERY_SECONDS
    _last_step: int = field(default=0, repr=False)
    _last_time: float = field(default_factory=time.monotonic, repr=False)

    def due(self, step: int) -> bool:
        """Whether to save now, at optimizer step ``step``."""
        if self.every_steps is not None:
            return step - self._last_step >= self.every_steps
        return time.monotonic() - self._last_time >= self.every_seconds

    def _saved(self, step: int) -> None:
        self._last_step, self._last_time = int(step), time.monotonic()

    def resumed(self, step: int) -> None:
        """Count intervals from ``step``, the step a run resumed at."""
        self._saved(step)

    def save_arrays(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Write ``arrays`` and the JSON-able ``meta`` (with ``done``, the step the state
        is at) atomically as an ``.npz`` file."""
        payload = {"__meta__": np.asarray(json.dumps({**meta, "fingerprint": self.fingerprint}))}
        payload |= {name: np.asarray(value) for name, value in arrays.items()}

        def write(tmp: str) -> None:
            with open(tmp, "wb") as handle:
                np.savez(handle, **payload)

        atomic_write(self.path, write)
        self._saved(int(meta.get("done", 0)))

    def load_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
        """The arrays and meta of a checkpoint of this run, or ``None`` when there is
        none, it cannot be read, or it belongs to another run."""
        if not self.path.is_file():
            return None
        try:
            with np.load(self.path, allow_pickle=False) as handle:
                arrays = {name: handle[name] for name in handle.files}
            meta = json.loads(str(arrays.pop("__meta__")))
        except (OSError, ValueError, KeyError):
            return None
        if meta.get("fingerprint") != self.fingerprint:
            return None
        return arrays, meta

    def save_torch(self, state: dict[str, Any]) -> None:
        """Write a dict of tensors, state dicts and plain values (with ``done``)
        atomically through ``torch.save``."""
        import torch

        atomic_write(self.path, lambda tmp: torch.save(
            {**state, "fingerprint": self.fingerprint}, tmp))
        self._saved(int(state.get("done", 0)))

    def load_torch(self) -> dict[str, Any] | None:
        """The state saved by :meth:`save_torch` for this run, or ``None`` (none, not
        readable, or another run's); loaded with ``weights_only=True``."""
        import torch

        if not self.path.is_file():
            return None
        try:
            state = torch.load(self.path, weights_only=True, map_location="cpu")
        except Exception:  # noqa: BLE001 - any unreadable file means: start afresh
            return None
        if not isinstance(state, dict) or state.get("fingerprint") != self.fingerprint:
            return None
        return state

    def remove(self) -> None:
        """Delete the checkpoint file, if any."""
        self.path.unlink(missing_ok=True)
