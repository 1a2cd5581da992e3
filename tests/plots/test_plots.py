"""Tests for bayesgrok.plots: files are written and figures have the expected structure."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from matplotlib.colors import to_rgba

from bayesgrok.plots import plot_accuracy, plot_error_complexity
from bayesgrok.trajectory import combine, example, validate

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_with(val_step: int) -> xr.Dataset:
    """A two-seed trajectory whose validation accuracy jumps at ``val_step``."""
    ds = example(n_seeds=2, steps=(0, 1, 10, 100, 1000))
    steps = ds["step"].values
    val = np.where(steps >= val_step, 1.0, 0.5)
    ds["val_accuracy"] = (("seed", "step"), np.broadcast_to(val, (2, steps.size)).copy())
    return validate(ds)


def study3() -> xr.Dataset:
    runs = {"a": run_with(10), "b": run_with(100), "c": run_with(1000)}
    return combine(runs, {"lr": [0.1, 0.2, 0.3], "wd": [0.0, 0.01, 0.1]})


def regression_only() -> xr.Dataset:
    ds = example(n_seeds=3).drop_vars(["train_accuracy", "val_accuracy"])
    ds["train_mse"] = (("seed", "step"), np.array([[1.0, 0.1, 0.01, 0.0]] * 3))
    ds["val_mse"] = (("seed", "step"), np.array([[1.0, 0.9, 0.5, 0.001]] * 3))
    ds.attrs["task_kind"] = "regression"
    return validate(ds)


def test_accuracy_png_written_with_parent_dirs(tmp_path):
    path = tmp_path / "deep" / "er" / "accuracy.png"
    fig = plot_accuracy(example(), path)
    assert path.stat().st_size > 0
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_xscale() == "symlog"
    # The dotted threshold line is drawn at the threshold.
    flat = [line for line in ax.get_lines() if np.ptp(np.asarray(line.get_ydata(), float)) == 0]
    assert any(np.allclose(line.get_ydata(), 0.95) for line in flat)


def test_accuracy_without_path_writes_nothing(tmp_path):
    plot_accuracy(example())
    assert list(tmp_path.iterdir()) == []


def test_accuracy_one_axes_per_run_titled_by_sweep(tmp_path):
    fig = plot_accuracy(study3(), tmp_path / "study.png", threshold=0.9)
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == [
        "lr=0.1, wd=0",
        "lr=0.2, wd=0.01",
        "lr=0.3, wd=0.1",
    ]
    assert (tmp_path / "study.png").stat().st_size > 0
    # Mean line for validation in run "b" follows the data (seeds identical: mean == value).
    val_line = [ln for ln in fig.axes[1].get_lines() if ln.get_label().startswith("validation")]
    assert np.allclose(val_line[0].get_ydata(), [0.5, 0.5, 0.5, 1.0, 1.0])


def test_accuracy_run_id_titles_without_sweep():
    study = combine({"x": example(), "y": example()})
    assert [ax.get_title() for ax in plot_accuracy(study).axes] == ["x", "y"]


def test_accuracy_falls_back_to_mse_for_regression(tmp_path):
    fig = plot_accuracy(regression_only(), tmp_path / "mse.png", mse_threshold=0.01)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "MSE"
    train = [ln for ln in ax.get_lines() if ln.get_label().startswith("train (")][0]
    assert np.isnan(train.get_ydata()[-1])  # 0 masked on a log axis


def test_error_complexity_one_line_per_run_and_seed(tmp_path):
    path = tmp_path / "ec" / "error_complexity.png"
    fig = plot_error_complexity(study3(), path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 3 * 2
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(fig.axes) == 1  # one family: one panel
    # Lines are coloured by run, and the legend names the runs by their swept values.
    colours = [to_rgba(line.get_color()) for line in ax.get_lines()]
    assert colours[0] == colours[1]  # run a, both seeds
    assert colours[0] != colours[2] != colours[4]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "lr=0.1, wd=0", "lr=0.2, wd=0.01", "lr=0.3, wd=0.1"]
    # One start dot per line.
    assert sum(len(c.get_offsets()) for c in ax.collections) == 6


def test_error_complexity_one_panel_per_family_and_dashed_non_generalising():
    runs = {"a": run_with(10), "b": run_with(10_000), "c": run_with(100)}
    runs["c"].attrs["family"] = "gp"
    study = combine(runs, {"lr": [0.1, 0.2, 0.3]})
    fig = plot_error_complexity(study)
    assert [ax.get_title() for ax in fig.axes] == ["example", "gp"]
    first, second = fig.axes
    assert len(first.get_lines()) == 4 and len(second.get_lines()) == 2
    # Run b never generalises (its validation jump lies beyond the last step): dashed.
    styles = [line.get_linestyle() for line in first.get_lines()]
    assert styles == ["-", "-", "--", "--"]
    assert [t.get_text() for t in second.get_legend().get_texts()] == ["lr=0.3"]


def test_error_complexity_single_run_and_masking():
    ds = example(n_seeds=3)
    ds["error"] = ds["error"].copy(data=np.array([[0.5, 0.0, 0.1, 0.01]] * 3))
    fig = plot_error_complexity(ds)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3
    assert np.isnan(lines[0].get_ydata()[1])


def test_error_complexity_regression_needs_mse_threshold():
    with pytest.raises(ValueError, match="mse_threshold"):
        plot_error_complexity(regression_only())
    fig = plot_error_complexity(regression_only(), mse_threshold=0.01)
    assert len(fig.axes[0].get_lines()) == 3
