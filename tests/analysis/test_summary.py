"""Tests for bayesgrok.analysis.summary: summarize and summary_table."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from bayesgrok.analysis import summarize, summary_table, swept_parameters
from bayesgrok.trajectory import combine, example, validate

GAP_COLUMNS = ["train_onset", "val_onset", "gap", "train_crossed", "val_crossed"]


def trajectory(train, val, steps=(0, 5, 20, 40), status=None) -> xr.Dataset:
    train = np.atleast_2d(np.asarray(train, dtype=float))
    ds = example(n_seeds=train.shape[0], steps=steps)
    ds["train_accuracy"] = (("seed", "step"), train)
    ds["val_accuracy"] = (("seed", "step"), np.atleast_2d(np.asarray(val, dtype=float)))
    if status is not None:
        ds["status"] = ("seed", np.asarray(status, dtype=object))
    return validate(ds)


def test_summarize_variables_and_dims():
    ds = trajectory(
        train=[[0.1, 0.96, 1, 1], [0.1, 0.5, np.nan, np.nan]],
        val=[[0.1, 0.1, 0.97, 1], [0.1, 0.1, np.nan, np.nan]],
        status=["ok", "diverged"],
    )
    s = summarize(ds)
    assert set(s.data_vars) == {
        *GAP_COLUMNS,
        "final_train_accuracy",
        "final_val_accuracy",
        "status",
    }
    assert s["gap"].dims == ("seed",)
    assert s["gap"].values.tolist() == [15, 0]  # diverged seed: never crosses, 40 - 40
    assert s["status"].values.tolist() == ["ok", "diverged"]
    assert np.isnan(s["final_val_accuracy"].values[1])
    assert s.attrs["threshold"] == 0.95 and s.attrs["metric"] == "accuracy"


def test_summary_table_single_run():
    ds = trajectory(
        train=[[0.1, 0.96, 1, 1], [0.1, 0.5, 0.96, 1], [0.1, 0.5, 0.5, 0.5]],
        val=[[0.1, 0.1, 0.97, 1], [0.1, 0.1, 0.2, 0.99], [0.1, 0.1, 0.1, 0.1]],
    )
    table = summary_table(ds)
    assert list(table.columns) == [
        "seed",
        "status",
        *GAP_COLUMNS,
        "final_train_accuracy",
        "final_val_accuracy",
    ]
    assert len(table) == 3
    assert table["seed"].tolist() == [0, 1, 2]
    assert table["gap"].tolist() == [15, 20, 0]
    assert table["train_crossed"].tolist() == [True, True, False]
    assert table["final_val_accuracy"].tolist() == [1.0, 0.99, 0.1]
    assert table.attrs["threshold"] == 0.95


def test_summary_table_study_with_swept_coordinates():
    a = trajectory(train=[[0.1, 0.96, 1, 1]] * 2, val=[[0.1, 0.1, 0.1, 0.99]] * 2)
    b = trajectory(train=[[0.1, 0.1, 0.96, 1]] * 2, val=[[0.1, 0.1, 0.96, 1]] * 2)
    c = trajectory(
        train=[[0.1, 0.96, 1, 1]] * 2, val=[[0.1, 0.1, 0.96, 1]] * 2, status=["ok", "failed"]
    )
    study = combine({"a": a, "b": b, "c": c}, {"lr": [0.1, 0.2, 0.3], "depth": [1, 2, 3]})
    assert swept_parameters(study) == ["lr", "depth"]
    table = summary_table(study)
    assert list(table.columns) == [
        "run",
        "lr",
        "depth",
        "seed",
        "status",
        *GAP_COLUMNS,
        "final_train_accuracy",
        "final_val_accuracy",
    ]
    assert len(table) == 6
    assert table["run"].tolist() == ["a", "a", "b", "b", "c", "c"]
    assert table["lr"].tolist() == [0.1, 0.1, 0.2, 0.2, 0.3, 0.3]
    assert table["depth"].tolist() == [1, 1, 2, 2, 3, 3]
    assert table["seed"].tolist() == [0, 1] * 3
    assert table["gap"].tolist() == [35, 35, 0, 0, 15, 15]
    assert table["status"].tolist() == ["ok", "ok", "ok", "ok", "ok", "failed"]
    # Per-run string variables added by combine are not swept parameters.
    assert "family" not in table.columns and "config" not in table.columns


def test_summary_table_regression_mse_and_accuracy():
    ds = example(n_seeds=2)
    ds["train_mse"] = (("seed", "step"), np.array([[1.0, 0.1, 0.001, 0.001]] * 2))
    ds["val_mse"] = (("seed", "step"), np.array([[1.0, 1.0, 0.5, 0.002]] * 2))
    ds.attrs["task_kind"] = "regression"
    both = summary_table(validate(ds))  # sign accuracy present: the gap is on accuracy
    assert both.attrs["metric"] == "accuracy"
    assert list(both.columns)[-4:] == [
        "final_train_accuracy",
        "final_val_accuracy",
        "final_train_mse",
        "final_val_mse",
    ]
    only_mse = validate(ds.drop_vars(["train_accuracy", "val_accuracy"]))
    with pytest.raises(ValueError, match="mse_threshold"):
        summary_table(only_mse)
    table = summary_table(only_mse, mse_threshold=0.01)
    assert "final_train_accuracy" not in table.columns
    assert table["final_val_mse"].tolist() == [0.002, 0.002]
    assert table["train_onset"].tolist() == [10, 10]
    assert table["val_onset"].tolist() == [100, 100]
    assert table["gap"].tolist() == [90, 90]


def test_final_values_in_summaries_use_each_runs_own_end():
    short = example(steps=(0, 1, 10, 50))
    short.attrs["total_steps"] = 50
    long = example(steps=(0, 1, 10, 100, 1000))
    long.attrs["total_steps"] = 1000
    table = summary_table(combine({"short": short, "long": long}))
    assert not table["final_val_accuracy"].isna().any()
