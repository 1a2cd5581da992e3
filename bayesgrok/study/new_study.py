"""A new study file to start from: a commented template, or a copy of another study with
its name changed (``bayesgrok new``)."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from bayesgrok.study.errors import StudyError
from bayesgrok.study.schema import find_study

TEMPLATE = '''\
# A bayesgrok study: one task x one model x one search, swept. Run it with
#   bayesgrok run {name}.toml
# Every key is checked before any work; docs/guide.md lists them all.
name = "{name}"
description = "What this study asks, in one line"
notes = """
How it is set up and why; what it reproduces (REFERENCE section), what it departs from.
"""

[task]                       # a seeded data generator: bayesgrok list shows the tasks' studies
name = "linear_sign"         # REFERENCE A1's data: x ~ U(-0.5, 0.5), y = 0.3 x
seeding = "published"        # the published code's data stream ("bayesgrok": numpy's default_rng)

[model]                      # a model card (bayesgrok list), with any of its keys overridden
card = "miller_linear"
# complexity_weight = 1.0    # 0: the ablation without the complexity term

[search]                     # the complexity-plus-error search
optimizer = "sgd"            # any optax (JAX families) or torch.optim (PyTorch) optimizer
optimizer_args = {{ learning_rate = 1e-3 }}
epochs = 5000                # or steps = N
log = {{ every = 10 }}         # or {{ log_spaced = 200 }}, {{ at = [0, 10, 100] }}
# batch_size = 32            # default "full"
# snapshots = {{ every = 500 }}  # keep the parameters there (PCA landscapes, posteriors)
# checkpoint_every = 10000   # default: every two minutes of wall time

[sweep]
seeds = [0, 1, 2, 3, 4]      # trained together
grid = {{ "model.complexity_weight" = [1.0, 0.0] }}   # any dotted key

# [analysis]
# threshold = 0.95           # the accuracy an onset crosses

# [regions]                  # the LEHC/LELC regions (docs/guide.md)
# tolerance = 0.6931471805599453

# [landscape]
# plane = "pca"              # needs [search] snapshots
'''


def new_study(name: str, folder: str | os.PathLike[str] = ".",
              source: str | os.PathLike[str] | None = None) -> Path:
    """Write ``<folder>/<name>.toml``: the commented template, or a copy of the study
    ``source`` (a path or a shipped study's name) with its ``name`` line set to ``name``.

    Raises
    ------
    StudyError
        When ``name`` is not a plain name, the file exists, or ``source`` is not found.

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.study.resolve import load_study
    >>> folder = tempfile.mkdtemp()
    >>> load_study(new_study("first", folder)).spec.name
    'first'
    >>> load_study(new_study("mine", folder, source="quickstart")).spec.name
    'mine'
    """
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name) or name.endswith(".toml"):
        raise StudyError(name, "NAME", "a study's name is letters, digits, '_', '-' and '.', "
                         "without '.toml'", name)
    path = Path(folder) / f"{name}.toml"
    if path.exists():
        raise StudyError(str(path), "", "exists already: choose another name or remove it")
    if source is None:
        text = TEMPLATE.format(name=name)
    else:
        found = find_study(source)
        if not found.is_file():
            raise StudyError(str(source), "--from", "no such study file or shipped study",
                             str(source))
        if "suite" in tomllib.loads(found.read_text()):
            raise StudyError(str(found), "--from", "a suite names its member studies by "
                             "relative paths: start from one of its members instead",
                             str(source))
        text, count = re.subn(r'(?m)^name\s*=\s*".*?"', f'name = "{name}"',
                              found.read_text(), count=1)
        if not count:
            raise StudyError(str(found), "name", "the study has no name line to replace")
        text = f"# made by `bayesgrok new {name} --from {source}` from {found.name}\n" + text
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
