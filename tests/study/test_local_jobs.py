"""Several runs at once in threads of one process (``LocalExecutor(jobs=...)``,
``bayesgrok run --jobs N``): the same study, bit for bit, as one run after the other."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bayesgrok import trajectory
from bayesgrok.cli import app
from bayesgrok.study.executors import LocalExecutor
from bayesgrok.study.runner import run_study

# Four JAX linear runs, each on its own (no grouping): two learning rates x fail or not
# (tests/study/breakable_family.py raises in the engine when fail = true); the large
# learning rate diverges.
FOUR_RUNS = """
name = "four"
[task]
name = "linear_sign"
[model]
family = "breakable_family:Breakable"
[search]
optimizer = "sgd"
optimizer_args = { learning_rate = 1e-3 }
epochs = 300
batch_size = "full"
log = { every = 50 }
[execution]
group = false
[sweep]
seeds = [0, 1]
[sweep.grid]
"search.optimizer_args.learning_rate" = [1e-3, 5.0]
"model.fail" = [false, true]
"""


def _values(path: Path) -> dict[str, np.ndarray]:
    ds = trajectory.read(path, study=True)
    return {name: ds[name].values for name in ("error", "objective", "val_error",
                                               "train_accuracy", "val_accuracy", "status")}


@pytest.mark.parametrize("asked_by", ["executor", "study file"])
def test_runs_in_threads_give_the_same_study_and_record_failures_alone(asked_by, write_study,
                                                                       tmp_path):
    path = write_study(FOUR_RUNS)
    alone = run_study(path, tmp_path / "alone", figures=False)
    if asked_by == "executor":
        threads = run_study(path, tmp_path / "threads", figures=False,
                            executor=LocalExecutor(jobs=2))
    else:
        two = write_study(FOUR_RUNS.replace("group = false", "group = false\njobs = 2"),
                          name="two.toml")
        threads = run_study(two, tmp_path / "threads", figures=False)
    assert sorted(threads.computed) == sorted(alone.computed) and len(alone.computed) == 2
    assert sorted(threads.failed) == sorted(alone.failed) and len(alone.failed) == 2
    a = _values(tmp_path / "alone" / "study.nc")
    b = _values(tmp_path / "threads" / "study.nc")
    for name in a:
        if a[name].dtype.kind == "f":
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
        else:
            assert a[name].tolist() == b[name].tolist(), name
    assert "diverged" in a["status"].ravel().tolist()


@pytest.mark.parametrize("args, jobs, message", [
    (["--jobs", "0"], 1, "--jobs = 0: must be at least 1"),
    (["--jobs", "2", "--executor", "dask"], 1, "--jobs is for the local executor"),
    ([], 0, "execution.jobs"),
    ([], '"2"', "execution.jobs"),
])
def test_bad_jobs_exit_2_naming_the_option(args, jobs, message, write_study, tmp_path):
    path = write_study(FOUR_RUNS.replace("group = false", f"group = false\njobs = {jobs}"))
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out"),
                                      "--no-figures", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_jobs_must_be_positive():
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        LocalExecutor(jobs=0)


@pytest.mark.parametrize("study, alone", [
    ("miller_bnn", False),               # A6: JAX, seeds vmapped: runs share the process
    ("miller_gp_landscape", True),       # GP regression: LAPACK kernels, one at a time
    ("miller_concealment_reduced", True),  # PyTorch
])
def test_which_studies_compute_one_run_at_a_time(study, alone):
    from bayesgrok.study.executors import _one_at_a_time
    from bayesgrok.study.resolve import load_study
    from bayesgrok.study.schema import find_study

    assert _one_at_a_time(load_study(find_study(study)).runs) is alone
