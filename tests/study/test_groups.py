"""Sweep points of one program trained together: one run file per point, the same results
as alone, resumption of a half-finished group, and a diverging point that stops no other."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bayesgrok import trajectory
from bayesgrok.study import store
from bayesgrok.study.groups import group_runs
from bayesgrok.study.resolve import load_study
from bayesgrok.study.runner import run_study

STARTS = """
name = "starts"
[task]
name = "linear_sign"
seeding = "published"
[model]
card = "miller_linear"
[search]
optimizer = "sgd"
optimizer_args = {{ learning_rate = 1e-3 }}
epochs = 120
log = {{ every = 20 }}
[sweep]
seeds = [0, 1]
[sweep.grid]
"model.initial_weights" = [[5e-4, 0.9, 0.9, 0.9], [0.5, 0.1, 0.1, 0.1], [1.0, 0.0, 0.0, 0.0]]
{execution}
"""

FRAGILE = """
name = "fragile"
[task]
name = "linear_sign"
[model]
family = "breakable_family:Fragile"
[search]
optimizer = "sgd"
optimizer_args = { learning_rate = 1.5 }
steps = 300
batch_size = "full"
log = { every = 50 }
[sweep]
seeds = [0]
grid = { "model.start" = [0.0, 1.0] }
"""


def _runs(out: Path) -> dict[str, object]:
    return {p.name: trajectory.read(p) for p in sorted((out / "runs").glob("*.nc"))}


def test_points_differing_in_starting_values_form_one_group(write_study):
    study = load_study(write_study(STARTS.format(execution="")))
    assert [len(g) for g in group_runs(study.runs)] == [3]
    assert [len(g) for g in group_runs(study.runs, enabled=False)] == [1, 1, 1]


def test_grouping_on_and_off_give_the_same_run_files_bit_for_bit(write_study, tmp_path):
    grouped = run_study(write_study(STARTS.format(execution="")), tmp_path / "on",
                        figures=False)
    alone = run_study(write_study(STARTS.format(execution="[execution]\ngroup = false")),
                      tmp_path / "off", figures=False)
    on, off = _runs(grouped.out), _runs(alone.out)
    assert sorted(on) == sorted(off) and len(on) == 3  # one run file per point
    for name, ds in on.items():
        assert ds.attrs["trained_with_runs"] == 3
        assert off[name].attrs["trained_with_runs"] == 1
        for var in ("error", "complexity", "objective", "val_error", "weights"):
            np.testing.assert_array_equal(ds[var].values, off[name][var].values)


def test_a_half_finished_group_resumes_with_the_missing_points(write_study, tmp_path):
    path = write_study(STARTS.format(execution=""))
    first = run_study(path, tmp_path / "out", figures=False)
    before = _runs(first.out)
    lost = sorted(before)[1]
    (first.out / "runs" / lost).unlink()  # as if killed after two of three were written
    second = run_study(path, tmp_path / "out", figures=False)
    assert len(second.reused) == 2 and len(second.computed) == 1
    after = _runs(second.out)
    np.testing.assert_array_equal(after[lost]["weights"].values, before[lost]["weights"].values)


def test_a_diverging_point_of_a_group_stops_no_other(write_study, tmp_path):
    result = run_study(write_study(FRAGILE), tmp_path / "out", figures=False)
    runs = {ds.attrs["run_id"]: ds for ds in _runs(result.out).values()}
    status = {rid: ds["status"].values.tolist() for rid, ds in runs.items()}
    assert sorted(map(tuple, status.values())) == [("diverged",), ("ok",)]
    for ds in runs.values():
        assert ds.attrs["trained_with_runs"] == 2
        if ds["status"].item() == "ok":
            assert np.isfinite(ds["error"]).all()


def test_a_failing_group_is_computed_again_run_by_run(write_study, tmp_path):
    study = """
name = "breaks"
[task]
name = "linear_sign"
[model]
family = "breakable_family:Breakable"
[search]
optimizer = "sgd"
optimizer_args = { learning_rate = 1e-3 }
epochs = 50
log = { every = 25 }
[sweep]
seeds = [0]
grid = { "model.fail" = [false, true] }
"""
    result = run_study(write_study(study), tmp_path / "out", figures=False)
    assert len(result.computed) == 1 and len(result.failed) == 1
    assert "broken on purpose" in next(iter(result.failed.values()))
    assert store.run_path(result.out, result.computed[0]).is_file()


@pytest.mark.parametrize("value", ["yes", 1])
def test_execution_group_must_be_a_boolean(write_study, value):
    from bayesgrok.study.schema import StudyError

    body = STARTS.format(execution=f"[execution]\ngroup = {value!r}".replace("'", '"'))
    with pytest.raises(StudyError, match="group"):
        load_study(write_study(body))


# --- the PyTorch engine: sweep points of one shape (A4's operations) train together -----

CONCEALMENT = """
name = "{name}"
[task]
name = "modular"
seeding = "published"
p = 7
n_samples = 80
n_train = 60
n_extra_bits = 4
[model]
card = "miller_concealment_mlp"
widths = [16]
[search]
optimizer = "sgd"
optimizer_args = {{ learning_rate = 0.1, weight_decay = 1e-2 }}
epochs = 6
batch_size = 8
log = {{ every = 7 }}
[sweep]
seeds = [0, 1]
grid = {{ "task.operation" = ["add", "sub", "quad"] }}
{execution}
"""


def test_torch_points_of_one_shape_train_together_bit_for_bit(write_study, tmp_path):
    on_path = write_study(CONCEALMENT.format(name="on", execution=""), "on.toml")
    off_path = write_study(CONCEALMENT.format(name="on", execution="[execution]\ngroup = false"),
                           "off.toml")
    assert [len(g) for g in group_runs(load_study(on_path).runs)] == [3]
    on = _runs(run_study(on_path, tmp_path / "on", figures=False).out)
    off = _runs(run_study(off_path, tmp_path / "off", figures=False).out)
    assert sorted(on) == sorted(off) and len(on) == 3  # one run file per point
    for name, ds in on.items():
        assert ds.attrs["trained_with_runs"] == 3
        assert off[name].attrs["trained_with_runs"] == 1
        for var in ("error", "complexity", "objective", "val_error", "train_accuracy",
                    "val_accuracy", "weight_norm"):
            np.testing.assert_array_equal(ds[var].values, off[name][var].values)


def test_a_half_finished_torch_group_resumes_with_the_missing_points(write_study, tmp_path):
    path = write_study(CONCEALMENT.format(name="resume", execution=""))
    first = run_study(path, tmp_path / "out", figures=False)
    before = _runs(first.out)
    lost = sorted(before)[0]
    (first.out / "runs" / lost).unlink()
    second = run_study(path, tmp_path / "out", figures=False)
    assert len(second.reused) == 2 and len(second.computed) == 1
    after = _runs(second.out)
    assert after[lost].attrs["trained_with_runs"] == 1  # computed alone this time
    np.testing.assert_array_equal(after[lost]["error"].values, before[lost]["error"].values)


def test_a_diverging_point_of_a_torch_group_stops_no_other(write_study, tmp_path):
    study = """
name = "torch_fragile"
[task]
name = "linear_sign"
n_train = 20
[model]
family = "breakable_family:TorchFragile"
[search]
optimizer = "sgd"
optimizer_args = { lr = 0.1 }
steps = 300
log = { every = 50 }
[sweep]
seeds = [0, 1]
grid = { "task.slope" = [0.3, 30.0] }
"""
    path = write_study(study)
    assert [len(g) for g in group_runs(load_study(path).runs)] == [2]
    result = run_study(path, tmp_path / "out", figures=False)
    runs = {ds.attrs["run_id"]: ds for ds in _runs(result.out).values()}
    status = sorted(tuple(ds["status"].values.tolist()) for ds in runs.values())
    assert status == [("diverged", "diverged"), ("ok", "ok")]
    for ds in runs.values():
        assert ds.attrs["trained_with_runs"] == 2
        if (ds["status"] == "ok").all():
            assert np.isfinite(ds["error"]).all()
            assert float(ds["error"].isel(step=-1).max()) < float(ds["error"].isel(step=0).min())
