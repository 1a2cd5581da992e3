"""Tests for bayesgrok.analysis.onsets: crossings, onsets, the grokking gap, final values."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from bayesgrok.analysis import crossed, final_values, grokking_gap, onset
from bayesgrok.trajectory import combine, example, validate


def curve(values, steps) -> xr.DataArray:
    """A (seed, step) array from a list of per-seed curves."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    return xr.DataArray(
        values,
        dims=("seed", "step"),
        coords={"seed": np.arange(values.shape[0]), "step": np.asarray(steps, dtype=np.int64)},
        name="acc",
    )


def trajectory(train, val, steps=(0, 5, 20, 40)) -> xr.Dataset:
    """A valid classification trajectory with the given per-seed accuracy curves."""
    train = np.atleast_2d(np.asarray(train, dtype=float))
    ds = example(n_seeds=train.shape[0], steps=steps)
    ds["train_accuracy"] = (("seed", "step"), train)
    ds["val_accuracy"] = (("seed", "step"), np.atleast_2d(np.asarray(val, dtype=float)))
    return validate(ds)


def regression(train_mse, val_mse, steps=(0, 5, 20, 40), accuracy=None) -> xr.Dataset:
    """A valid regression trajectory (optionally with sign accuracy)."""
    train_mse = np.atleast_2d(np.asarray(train_mse, dtype=float))
    ds = example(n_seeds=train_mse.shape[0], steps=steps)
    if accuracy is None:
        ds = ds.drop_vars(["train_accuracy", "val_accuracy"])
    else:
        ds["train_accuracy"] = (("seed", "step"), np.atleast_2d(accuracy[0]))
        ds["val_accuracy"] = (("seed", "step"), np.atleast_2d(accuracy[1]))
    ds["train_mse"] = (("seed", "step"), train_mse)
    ds["val_mse"] = (("seed", "step"), np.atleast_2d(np.asarray(val_mse, dtype=float)))
    ds.attrs["task_kind"] = "regression"
    return validate(ds)


# --- onset and crossed ----------------------------------------------------------------


def test_onset_returns_step_value_not_position():
    da = curve([0.1, 0.5, 0.96, 0.99], steps=[0, 5, 20, 40])
    result = onset(da, 0.95)
    assert result.values.tolist() == [20]
    assert result.dtype == np.int64
    assert result.dims == ("seed",)
    assert "step" not in result.coords
    assert crossed(da, 0.95).values.tolist() == [True]


def test_exactly_at_threshold_does_not_count():
    da = curve([0.5, 0.95, 0.95, 0.951], steps=[0, 5, 20, 40])
    assert onset(da, 0.95).item() == 40
    at_most = curve([0.5, 0.95, 0.95, 0.95], steps=[0, 5, 20, 40])
    assert not crossed(at_most, 0.95).item()
    assert onset(at_most, 0.95).item() == 40


def test_never_crossing_gives_last_step_and_not_crossed():
    da = curve([[0.1, 0.2, 0.3, 0.4], [0.1, 0.99, 0.2, 0.3]], steps=[0, 3, 7, 12])
    assert onset(da, 0.95).values.tolist() == [12, 3]
    assert crossed(da, 0.95).values.tolist() == [False, True]


def test_nan_never_counts_as_a_crossing():
    da = curve(
        [
            [np.nan, np.nan, 0.97, 0.98],  # crosses at the first finite value
            [np.nan, np.nan, np.nan, np.nan],  # never
            [0.2, 0.99, np.nan, np.nan],  # crosses, then diverges
        ],
        steps=[0, 5, 20, 40],
    )
    assert onset(da, 0.95).values.tolist() == [20, 40, 5]
    assert crossed(da, 0.95).values.tolist() == [True, False, True]
    # Downward: NaN is not "below" anything either.
    assert onset(da, 0.5, direction="down").values.tolist() == [40, 40, 0]
    assert crossed(da, 0.5, direction="down").values.tolist() == [False, False, True]


def test_downward_is_strictly_below():
    da = curve([1.0, 0.5, 0.01, 0.001], steps=[0, 10, 100, 1000])
    assert onset(da, 0.01, direction="down").item() == 1000
    assert onset(da, 0.02, direction="down").item() == 100
    assert onset(da, 0.01, direction="up").item() == 0
    assert not crossed(da, 0.001, direction="down").item()


def test_bad_direction_and_missing_dim_raise():
    da = curve([0.1, 0.9], steps=[0, 1])
    with pytest.raises(ValueError, match="direction"):
        onset(da, 0.5, direction="sideways")
    with pytest.raises(ValueError, match="direction"):
        crossed(da, 0.5, direction="above")
    with pytest.raises(ValueError, match="epoch"):
        onset(da, 0.5, dim="epoch")


def test_other_dimension_name():
    da = xr.DataArray([0.0, 0.2, 0.9], dims="epoch", coords={"epoch": [1, 2, 4]})
    assert onset(da, 0.5, dim="epoch").item() == 4
    assert onset(da, 0.1, dim="epoch").item() == 2


# --- grokking_gap ----------------------------------------------------------------------


def test_gap_value_sign_and_attrs():
    ds = trajectory(
        train=[[0.1, 0.96, 1.0, 1.0], [0.1, 0.5, 0.97, 1.0], [0.1, 0.5, 0.97, 1.0]],
        val=[[0.1, 0.2, 0.3, 0.99], [0.1, 0.99, 0.99, 1.0], [0.1, 0.2, 0.3, 0.4]],
    )
    gap = grokking_gap(ds)
    assert set(gap.data_vars) == {"train_onset", "val_onset", "gap", "train_crossed", "val_crossed"}
    assert gap["train_onset"].values.tolist() == [5, 20, 20]
    assert gap["val_onset"].values.tolist() == [40, 5, 40]
    assert gap["gap"].values.tolist() == [35, -15, 20]  # val before train: negative
    assert gap["val_crossed"].values.tolist() == [True, True, False]
    assert gap["train_crossed"].values.tolist() == [True, True, True]
    assert gap["gap"].dtype == np.int64
    assert gap.attrs["metric"] == "accuracy"
    assert gap.attrs["threshold"] == 0.95
    assert gap.attrs["direction"] == "up"
    assert gap.attrs["total_steps"] == 40


def test_threshold_is_a_parameter():
    ds = trajectory(train=[[0.1, 0.6, 0.96, 1.0]], val=[[0.1, 0.2, 0.6, 0.99]])
    assert grokking_gap(ds)["gap"].values.tolist() == [20]
    low = grokking_gap(ds, threshold=0.5)
    assert low["train_onset"].values.tolist() == [5]
    assert low["val_onset"].values.tolist() == [20]
    assert low.attrs["threshold"] == 0.5


def test_gap_keeps_run_dimension_and_swept_coordinates():
    a = trajectory(train=[[0.1, 0.96, 1, 1]] * 2, val=[[0.1, 0.1, 0.1, 0.99]] * 2)
    b = trajectory(train=[[0.1, 0.1, 0.96, 1]] * 2, val=[[0.1, 0.1, 0.96, 1]] * 2)
    study = combine({"a": a, "b": b}, {"lr": [0.1, 0.2]})
    gap = grokking_gap(study)
    assert set(gap["gap"].dims) == {"run", "seed"}
    assert gap["gap"].sel(run="a").values.tolist() == [35, 35]
    assert gap["gap"].sel(run="b").values.tolist() == [0, 0]
    assert gap["lr"].values.tolist() == [0.1, 0.2]
    assert gap["lr"].dims == ("run",)


def test_regression_uses_mse_downward_and_needs_a_threshold():
    ds = regression(train_mse=[[1.0, 0.01, 0.001, 0.0001]], val_mse=[[1.0, 0.9, 0.5, 0.001]])
    with pytest.raises(ValueError, match="mse_threshold"):
        grokking_gap(ds)
    gap = grokking_gap(ds, mse_threshold=0.01)
    assert gap["train_onset"].values.tolist() == [20]  # 0.01 itself is not below 0.01
    assert gap["val_onset"].values.tolist() == [40]
    assert gap["gap"].values.tolist() == [20]
    assert gap.attrs["metric"] == "mse"
    assert gap.attrs["threshold"] == 0.01
    assert gap.attrs["direction"] == "down"


def test_regression_with_sign_accuracy():
    acc = ([[0.5, 1.0, 1.0, 1.0]], [[0.5, 0.5, 0.5, 1.0]])
    ds = regression([[1.0, 0.5, 0.001, 0.001]], [[1.0, 1.0, 1.0, 0.001]], accuracy=acc)
    by_accuracy = grokking_gap(ds)
    assert by_accuracy.attrs["metric"] == "accuracy"
    assert by_accuracy["gap"].values.tolist() == [35]
    by_mse = grokking_gap(ds, mse_threshold=0.01)  # asked for explicitly
    assert by_mse.attrs["metric"] == "mse"
    assert by_mse["gap"].values.tolist() == [20]


def test_gap_errors_without_metrics():
    ds = example().drop_vars(["train_accuracy", "val_accuracy"])
    with pytest.raises(ValueError, match="train_accuracy"):
        grokking_gap(ds)
    with pytest.raises(ValueError, match="train_mse"):
        grokking_gap(example(), mse_threshold=0.1)


# --- final_values -------------------------------------------------------------------------


def test_final_values_last_step_nan_when_diverged():
    ds = trajectory(
        train=[[0.1, 0.5, 0.9, 0.97], [0.1, 0.5, np.nan, np.nan]],
        val=[[0.1, 0.2, 0.3, 0.8], [0.1, 0.2, np.nan, np.nan]],
    )
    ds["status"] = ("seed", np.array(["ok", "diverged"], dtype=object))
    fin = final_values(ds)
    assert fin["final_train_accuracy"].values[0] == 0.97
    assert np.isnan(fin["final_train_accuracy"].values[1])
    assert fin["final_val_accuracy"].values[0] == 0.8
    assert "final_error" in fin and "final_status" not in fin
    assert "step" not in fin.coords and "step" not in fin.dims
    assert fin.attrs["step"] == 40


def test_final_values_keep_run_dimension():
    a = trajectory(train=[[0.1, 0.2, 0.3, 0.4]] * 2, val=[[0.1, 0.2, 0.3, 0.5]] * 2)
    b = trajectory(train=[[0.1, 0.2, 0.3, 0.6]] * 2, val=[[0.1, 0.2, 0.3, 0.7]] * 2)
    fin = final_values(combine({"a": a, "b": b}, {"lr": [0.1, 0.2]}))
    assert set(fin["final_train_accuracy"].dims) == {"run", "seed"}
    assert fin["final_train_accuracy"].sel(run="b").values.tolist() == [0.6, 0.6]
    assert "final_family" not in fin  # per-run strings have no step


def test_runs_of_different_lengths_count_never_as_their_own_length():
    from bayesgrok.analysis.onsets import final_values
    from bayesgrok.trajectory import combine, example

    short = example(steps=(0, 1, 10, 50))  # validation never crosses within 50 steps
    short["val_accuracy"][:] = 0.5
    short.attrs["total_steps"] = 50
    long = example(steps=(0, 1, 10, 100, 1000))
    long.attrs["total_steps"] = 1000
    ds = combine({"short": short, "long": long})
    gap = grokking_gap(ds)
    assert gap["val_onset"].sel(run="short").values.tolist() == [50, 50]
    assert gap["val_onset"].sel(run="long").values.tolist() == [100, 100]
    final = final_values(ds)
    assert final["final_val_accuracy"].sel(run="short").values.tolist() == [0.5, 0.5]
