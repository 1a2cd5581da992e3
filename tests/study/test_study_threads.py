"""A study's ``[search] threads``: pinned before any run, recorded, shown by ``show``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jax.numpy as jnp
import pytest
import xarray as xr

from bayesgrok.study.errors import StudyError
from bayesgrok.study.pinning import pin_study_threads
from bayesgrok.study.resolve import load_study

STUDY = """
name = "threads_probe"
[task]
name = "linear_sign"
[model]
card = "miller_linear"
[search]
optimizer = "sgd"
optimizer_args = {{ learning_rate = 1e-3 }}
epochs = 20
threads = {threads}
[sweep]
seeds = [0, 1]
{extra}
"""


def _study(tmp_path: Path, threads: int, extra: str = "") -> Path:
    path = tmp_path / "threads_probe.toml"
    path.write_text(STUDY.format(threads=threads, extra=extra))
    return path


def test_a_pinned_study_records_its_threads_and_show_prints_them(tmp_path):
    path = _study(tmp_path, 1)
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "OMP_NUM_THREADS")}
    cli = [sys.executable, "-m", "bayesgrok.cli"]
    subprocess.run([*cli, "run", str(path), "--out", str(tmp_path / "out"), "--no-figures"],
                   check=True, capture_output=True, text=True, env=env, timeout=300,
                   cwd=Path(__file__).parents[2])
    with xr.open_dataset(tmp_path / "out" / "study.nc") as ds:
        settings = json.loads(str(ds["threading"].values[0]))
    assert settings["xla_threads"] == 1
    shown = subprocess.run([*cli, "show", str(tmp_path / "out")], check=True,
                           capture_output=True, text=True, env=env, timeout=120)
    assert "threads: XLA 1" in shown.stdout


def test_runs_that_disagree_on_threads_are_refused(tmp_path):
    path = _study(tmp_path, 1, extra='grid = { "search.threads" = [1, 2] }')
    with pytest.raises(StudyError, match="search.threads.*same number of threads"):
        pin_study_threads(load_study(path), str(path))


def test_a_pin_that_needs_a_fresh_process_is_a_study_error(tmp_path):
    jnp.ones(2).sum().block_until_ready()
    if "intra_op_parallelism_threads=3" in os.environ.get("XLA_FLAGS", ""):
        pytest.skip("the process already runs with 3 XLA threads")  # pragma: no cover
    path = _study(tmp_path, 3)
    with pytest.raises(StudyError, match="threads_probe.toml: search.threads: .*fresh process"):
        pin_study_threads(load_study(path), str(path))
