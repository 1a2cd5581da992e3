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
