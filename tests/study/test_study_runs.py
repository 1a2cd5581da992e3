"""Running studies: the run store, resumption, reproducibility, fault tolerance."""

import json

import numpy as np
import pandas as pd
import pytest

from bayesgrok import trajectory
from bayesgrok.study import compute
from bayesgrok.study.errors import StudyError
from bayesgrok.study.resolve import load_study
from bayesgrok.study.runner import run_study


def test_a_study_writes_runs_dataset_summary_and_figures(write_study, tmp_path):
    out = tmp_path / "out"
    result = run_study(write_study(), out)
    study = load_study(write_study())
    assert sorted(result.computed) == sorted(r.run_id for r in study.runs)
    for run in study.runs:
        assert (out / "runs" / f"{run.run_id}.nc").is_file()
    ds = trajectory.read(out / "study.nc", study=True)
    assert ds["complexity_weight"].values.tolist() == [1.0, 0.0]
    assert dict(ds["status"].sizes) == {"run": 2, "seed": 2}
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 4
    assert {"complexity_weight", "seed", "status", "train_onset", "val_onset", "gap",
            "final_train_accuracy", "final_val_accuracy"} <= set(summary.columns)
    assert (out / "figures" / "accuracy.png").stat().st_size > 0
    assert (out / "figures" / "error_complexity.png").stat().st_size > 0


def test_rerun_reuses_finished_runs_and_computes_only_missing_ones(write_study, tmp_path):
    out = tmp_path / "out"
    path = write_study()
    first = run_study(path, out, figures=False)
    again = run_study(path, out, figures=False)
    assert again.computed == [] and sorted(again.reused) == sorted(first.computed)
    # a study stopped midway: one run file is missing, another is corrupt
    missing, corrupt = first.computed
    (out / "runs" / f"{missing}.nc").unlink()
    (out / "runs" / f"{corrupt}.nc").write_bytes(b"half a file")
    resumed = run_study(path, out, figures=False)
    assert sorted(resumed.computed) == sorted([missing, corrupt])
    assert resumed.reused == []


def test_changed_configuration_is_refused_and_keeps_old_files(write_study, tmp_path):
    out = tmp_path / "out"
    first = run_study(write_study(epochs=50), out, figures=False)
    with pytest.raises(StudyError, match="edited"):  # another version of the study
        run_study(write_study(epochs=60), out, figures=False)
    for run_id in first.computed:  # nothing is silently overwritten
        assert (out / "runs" / f"{run_id}.nc").is_file()
    second = run_study(write_study(epochs=60), out, figures=False, force=True)
    assert set(first.computed).isdisjoint(second.computed)
    assert {p.name for p in second.removed} >= {f"{r}.nc" for r in first.computed}


def test_same_study_and_seed_give_the_same_trajectory_bit_for_bit(write_study, tmp_path):
    path = write_study()
    a = run_study(path, tmp_path / "a", figures=False).dataset
    b = run_study(path, tmp_path / "b", figures=False).dataset
    for var in ("error", "complexity", "objective", "val_error", "train_accuracy",
                "val_accuracy", "weights"):
        np.testing.assert_array_equal(a[var].values, b[var].values)


def test_a_failing_run_does_not_take_the_study_down(write_study, tmp_path, monkeypatch):
    text = """
    name = "half_broken"
    [task]
    name = "linear_sign"
    [model]
    card = "miller_linear"
    [search]
    epochs = 20
    [sweep]
    seeds = [0]
    grid = { "model.complexity_weight" = [1.0, 0.5] }
    """
    real = compute.execute_with_artifacts

    def flaky(run, *args, **kwargs):  # the second point breaks inside its engine
        if run.swept["complexity_weight"] == 0.5:
            raise ValueError("the engine broke on 4 features")
        return real(run, *args, **kwargs)

    monkeypatch.setattr(compute, "execute_with_artifacts", flaky)
    out = tmp_path / "out"
    result = run_study(write_study(text), out, figures=False)
    assert len(result.computed) == 1 and len(result.failed) == 1
    failed_id = next(iter(result.failed))
    assert "features" in result.failed[failed_id]
    assert json.loads((out / "failures.json").read_text()) == result.failed
    assert not (out / "runs" / f"{failed_id}.nc").exists()  # so it is tried again next time
    record = json.loads((out / "runs" / f"{failed_id}.failed.json").read_text())
    assert "Traceback" in record["traceback"] and "features" in record["error"]
    ds = result.dataset  # the failed run keeps its place, marked failed, with its traceback
    assert ds.sizes["run"] == 2
    assert set(ds["status"].sel(run=failed_id).values.tolist()) == {"failed"}
    assert "Traceback" in str(ds["traceback"].sel(run=failed_id).item())
    assert str(ds["traceback"].sel(run=result.computed[0]).item()) == ""
    table = pd.read_csv(out / "summary.csv")
    failed_rows = table[table["run"] == failed_id]
    assert failed_rows["status"].tolist() == ["failed"]
    assert "features" in failed_rows["traceback"].item()
    assert table[table["run"] != failed_id]["status"].tolist() == ["ok"]


def test_initial_weights_of_the_wrong_length_are_refused_before_any_work(write_study,
                                                                          tmp_path):
    text = """
    name = "bad_weights"
    [task]
    name = "linear_sign"
    [model]
    card = "miller_linear"
    [search]
    epochs = 20
    [sweep]
    seeds = [0]
    grid = { "model.initial_weights" = [[0.0005, 0.9, 0.9, 0.9], [1.0, 2.0]] }
    """
    with pytest.raises(StudyError, match=r"model\.initial_weights.*2 values.*4 features"):
        run_study(write_study(text), tmp_path / "out", figures=False)
    assert not (tmp_path / "out").exists()
