"""A tiny study file for documentation examples and quick checks (seconds, not minutes)."""

from __future__ import annotations

import os
from pathlib import Path

TINY_STUDY = """\
name = "tiny"
description = "REFERENCE A1 for 300 epochs: a tiny linear study for examples"

[task]
name = "linear_sign"
seeding = "published"

[model]
card = "miller_linear"

[search]
optimizer = "sgd"
optimizer_args = { learning_rate = 1e-3 }
epochs = 300
log = { every = 50 }

[sweep]
seeds = [0, 1]
"""


def tiny_study(folder: str | os.PathLike[str] | None = None) -> Path:
    """Write :data:`TINY_STUDY` as ``tiny.toml`` in ``folder`` (default: a new temporary
    folder) and return its path. Its model card is found among the shipped ones.

    Examples
    --------
    >>> from bayesgrok.study.resolve import load_study
    >>> study = load_study(tiny_study())
    >>> study.spec.name, len(study.runs), study.runs[0].seeds
    ('tiny', 1, [0, 1])
    """
    import tempfile

    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny.toml"
    path.write_text(TINY_STUDY)
    return path
