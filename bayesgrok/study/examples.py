"""Tiny study files for documentation examples and quick checks (seconds, not minutes):
A1 (:data:`TINY_STUDY`) and one study of each kind of output (:data:`TINY_STUDIES`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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


TINY_STUDIES: dict[str, str] = {
    "concealment": """\
name = "tiny_concealment"
description = "REFERENCE A4 in miniature: two operations x two numbers of random bits"
[task]
name = "modular"
n_samples = 120
n_train = 90
[model]
card = "miller_concealment_mlp"
widths = [32]
[search]
optimizer = "sgd"
optimizer_args = { learning_rate = 0.1, weight_decay = 1e-2 }
epochs = 6
batch_size = 32
log = { every = 3 }
[sweep]
seeds = [0]
grid = { "task.operation" = ["add", "quad"], "task.n_extra_bits" = [0, 4] }
[concealment]
length = "task.n_extra_bits"
group = "task.operation"
""",
    "landscape": """\
name = "tiny_landscape"
description = "REFERENCE A5 in miniature: one GP regression start on a 6 x 5 landscape"
[task]
name = "noisy_sine"
seeding = "published"
[model]
card = "miller_gp_regressor"
[search]
optimizer = "adam"
optimizer_args = { learning_rate = 0.04 }
steps = 20
log = { every = 10 }
[sweep]
seeds = [42]
[analysis]
mse_threshold = 0.05
[landscape]
x = "log_lengthscale"
y = "log_outputscale"
x_range = [-7.0, 4.0]
y_range = [-5.0, 5.0]
size = [6, 5]
""",
    "robustness": """\
name = "tiny_robustness"
description = "REFERENCE C in miniature: a small transformer with its robustness metrics"
[task]
name = "modular_pairs"
p = 11
train_fraction = 0.5
[model]
card = "nanda_transformer"
d_model = 16
n_heads = 2
d_mlp = 32
metrics = ["abelian"]
[search]
optimizer = "adamw"
optimizer_args = { learning_rate = 3e-3, weight_decay = 1.0, betas = [0.9, 0.98] }
steps = 20
log = { every = 10 }
metrics_log = { every = 10 }
[sweep]
seeds = [0]
[robustness]
onsets = { abelian_train = 0.5 }
""",
    "pca": """\
name = "tiny_pca"
description = "A1 with parameter snapshots: its landscape on the plane of the trajectory"
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
snapshots = { every = 100 }
[sweep]
seeds = [0]
[landscape]
plane = "pca"
size = [5, 4]
""",
}
"""Study files of one kind of output each: ``[concealment]``, ``[landscape]`` (a grid of
two named parameters), ``[robustness]`` and ``[landscape] plane = "pca"``."""


def tiny_study_of(kind: str, folder: str | os.PathLike[str] | None = None) -> Path:
    """Write :data:`TINY_STUDIES` ``[kind]`` as ``<kind>.toml`` in ``folder`` (default: a
    new temporary folder) and return its path; ``kind = "suite"`` writes
    :data:`TINY_STUDY` and its ablation (``complexity_weight = 0``) with a suite of the two.

    Examples
    --------
    >>> from bayesgrok.study.resolve import load_study
    >>> [r.swept for r in load_study(tiny_study_of("concealment")).runs][1]
    {'operation': 'add', 'n_extra_bits': 4}
    >>> tiny_study_of("suite").name
    'suite.toml'
    """
    import tempfile

    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "suite":
        tiny_study(folder)
        ablation = TINY_STUDY.replace('name = "tiny"', 'name = "tiny_ablation"').replace(
            'card = "miller_linear"', 'card = "miller_linear"\ncomplexity_weight = 0.0')
        (folder / "tiny_ablation.toml").write_text(ablation)
        path = folder / "suite.toml"
        path.write_text('name = "tiny_suite"\ndescription = "A1 and its ablation"\n'
                        '[suite]\nstudies = ["tiny.toml", "tiny_ablation.toml"]\n')
        return path
    path = folder / f"{kind}.toml"
    path.write_text(TINY_STUDIES[kind])
    return path


def finished_study(kind: str) -> tuple[Any, Any]:
    """Write :data:`TINY_STUDIES` ``[kind]`` into a new temporary folder, run it there
    (no figures, no report) and return the loaded study and its result: the start of the
    examples of every function that writes a study's outputs.

    Examples
    --------
    >>> study, done = finished_study("pca")
    >>> study.spec.name, (done.out / "study.nc").is_file()
    ('tiny_pca', True)
    """
    import tempfile

    from bayesgrok.study.resolve import load_study
    from bayesgrok.study.runner import run_study

    folder = Path(tempfile.mkdtemp())
    path = tiny_study_of(kind, folder)
    return load_study(path), run_study(path, folder / "out", figures=False, report=False)
