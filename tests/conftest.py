"""Shared fixtures: small study files written by the tests themselves."""

from __future__ import annotations

import getpass
import os
import tempfile
import textwrap
from pathlib import Path

import pytest

# One persistent JAX compilation cache for the whole test session and its xdist workers
# (and for later sessions on this machine): the same small programs are compiled by many
# tests, each building its own jitted functions.
os.environ.setdefault("BAYESGROK_JAX_CACHE", str(
    Path(tempfile.gettempdir()) / f"bayesgrok-tests-jax-cache-{getpass.getuser()}"))


def _share_the_cores_between_workers() -> None:
    """Give each pytest-xdist worker its share of the cores (one each on 2 cores).

    XLA and torch otherwise each start a thread per core in every worker (and in every
    ``bayesgrok`` process a test starts, which inherits the environment), and threads that
    outnumber the cores wait on each other: with them, the suite took 1.10x the time and
    1.11x the CPU time (202 s against 184 s, ``pytest -n 2`` back to back, warm compilation
    cache, 2 cores, 2026-12-06). Set before JAX's CPU backend starts and before torch is
    imported; settings already in the environment win.
    """
    from bayesgrok.search.threads import pinned_flags

    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers <= 1:
        return
    threads = max(1, len(os.sched_getaffinity(0)) // workers)
    os.environ.setdefault("XLA_FLAGS", pinned_flags(threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))


_share_the_cores_between_workers()

TINY_STUDY = """
name = "tiny"
description = "a tiny linear study for tests"

[task]
name = "linear_sign"

[model]
card = "miller_linear"

[search]
optimizer = "sgd"
optimizer_args = {{ learning_rate = 1e-3 }}
epochs = {epochs}
log = {{ every = 10 }}

[sweep]
seeds = [0, 1]
grid = {{ "model.complexity_weight" = [1.0, 0.0] }}
"""


MINIMAL_STUDY = """
name = "bad"
[task]
name = "linear_sign"
[model]
card = "miller_linear"
[search]
optimizer = "sgd"
optimizer_args = { learning_rate = 1e-3 }
epochs = 10
"""


@pytest.fixture
def minimal_study() -> str:
    """The text of a small valid study, for tests that break one line of it."""
    return MINIMAL_STUDY


@pytest.fixture
def write_study(tmp_path: Path):
    """Write a study file into a temporary folder and return its path."""

    def write(text: str | None = None, name: str = "study.toml", **fmt: object) -> Path:
        if text is None:
            text = TINY_STUDY.format(epochs=fmt.get("epochs", 100))
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write
