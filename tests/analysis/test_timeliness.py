"""The sharpest change of a metric and its distance to the validation onset, on made curves."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from bayesgrok.analysis.metric_onsets import metric_onsets
from bayesgrok.analysis.timeliness import (
    change_rates,
    sharpest_change,
    timeliness,
    timeliness_table,
)
from bayesgrok.plots.prediction import plot_timeliness

STEPS = np.concatenate([[0], np.unique(np.geomspace(1, 1e4, 50).astype(np.int64))])


def curve(values: np.ndarray, steps: np.ndarray = STEPS) -> xr.DataArray:
    return xr.DataArray(np.asarray(values, dtype=float), {"step": steps}, ["step"])


def jump(at: int, low: float = 0.0, high: float = 1.0, steps: np.ndarray = STEPS) -> np.ndarray:
    """``low`` before step ``at``, ``high`` from it on."""
    return np.where(steps >= at, high, low).astype(float)


@pytest.mark.parametrize("axis", ["log", "linear"])
def test_single_jump_found_at_its_first_step_on_both_axes(axis: str) -> None:
    at = int(STEPS[30])
    step = sharpest_change(curve(jump(at, 3.0, -5.0)), axis=axis)
    assert float(step) == at


def test_log_and_linear_axes_disagree_as_they_should() -> None:
    steps = np.array([1, 10, 20, 30, 1000, 1100, 1200])
    y = curve([0, 0, 1, 1, 1, 2, 2], steps)
    # log: 10 -> 20 is 0.30 decades, 1000 -> 1100 only 0.04: the later jump is sharper.
    assert float(sharpest_change(y)) == 1100
    # linear: 10 steps against 100: the earlier one is.
    assert float(sharpest_change(y, axis="linear")) == 20
    rates = change_rates(y)
    assert float(rates["max_rate"]) == pytest.approx(0.5 / np.log10(1.1))


def test_unmeasured_steps_are_skipped_and_the_next_measured_step_is_returned() -> None:
    y = jump(int(STEPS[25]))
    sparse = np.full(STEPS.size, np.nan)
    sparse[::4] = y[::4]  # measured every fourth logged step
    step = float(sharpest_change(curve(sparse)))
    measured = STEPS[::4]
    assert step == measured[measured >= STEPS[25]][0]
    assert step != STEPS[25]  # would be, were the NaN steps read as values


def test_nan_only_constant_and_single_point_curves_give_nan() -> None:
    one = np.full(STEPS.size, np.nan)
    one[7] = 1.0
    da = xr.concat([curve(np.full(STEPS.size, np.nan)), curve(np.ones(STEPS.size)), curve(one),
                    curve(jump(100))], dim="seed")
    out = change_rates(da)
    assert out["sharpest_step"].dims == ("seed",)
    assert np.isnan(out["sharpest_step"].values[:3]).all()
    assert np.isnan(out["max_rate"].values[:3]).all()
    assert out["sharpest_step"].values[3] == STEPS[STEPS >= 100][0]


def test_steps_zero_and_one_share_a_log_time_and_are_not_divided_by_zero() -> None:
    y = curve([0.0, 1.0, 1.0, 1.0], np.array([0, 1, 10, 100]))
    with np.errstate(all="raise"):
        assert np.isnan(float(sharpest_change(y)))  # the only change has no duration
    assert float(sharpest_change(y, axis="linear")) == 1


def test_rate_is_scaled_by_range_so_units_do_not_matter() -> None:
    small, big = curve(jump(500) * 1e-3), curve(jump(500) * 1e6 + 7)
    assert float(change_rates(small)["max_rate"]) == pytest.approx(
        float(change_rates(big)["max_rate"]))


def test_bad_axis_and_missing_dim_raise() -> None:
    with pytest.raises(ValueError, match="axis"):
        sharpest_change(curve(jump(10)), axis="loglog")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no dimension"):
        sharpest_change(curve(jump(10)), dim="epoch")


def study(val_at: dict[str, int], metric_at: dict[str, int], n_seeds: int = 2) -> xr.Dataset:
    """Runs whose val accuracy jumps at ``val_at`` and metric ``norm`` at ``metric_at``.

    ``norm`` is measured only at every other step; ``blank`` never.
    """
    runs = list(val_at)
    shape = (len(runs), n_seeds, STEPS.size)
    val = np.stack([jump(val_at[r], 0.1, 1.0) for r in runs])
    norm = np.stack([jump(metric_at[r], 10.0, 2.0) for r in runs])
    norm[:, 1::2] = np.nan
    dims = ("run", "seed", "step")
    return xr.Dataset(
        {
            "train_accuracy": (dims, np.ones(shape)),
            "val_accuracy": (dims, np.broadcast_to(val[:, None], shape).copy()),
            "norm": (dims, np.broadcast_to(norm[:, None], shape).copy()),
            "blank": (dims, np.full(shape, np.nan)),
        },
        coords={"run": runs, "seed": np.arange(n_seeds), "step": STEPS,
                "wd": ("run", [0.1, 1.0, 3.0][: len(runs)])},
    )


def test_distances_are_exact_for_constructed_curves() -> None:
    early, late = int(STEPS[20]), int(STEPS[40])
    measured = STEPS[::2]
    ds = study({"a": late, "b": early}, {"a": int(measured[5]), "b": int(measured[18])})
    t = timeliness(ds, ["norm", "blank"])
    assert set(t["distance"].dims) == {"run", "seed", "metric"}
    norm = t.sel(metric="norm")
    np.testing.assert_array_equal(norm["sharpest_step"].sel(run="a"), measured[5])
    np.testing.assert_array_equal(norm["distance"].sel(run="a"), measured[5] - late)
    np.testing.assert_array_equal(norm["distance"].sel(run="b"), measured[18] - early)
    assert (norm["distance"].sel(run="a") < 0).all()  # the metric moves first
    assert (norm["distance"].sel(run="b") > 0).all()
    np.testing.assert_allclose(norm["log_distance"].sel(run="a"),
                               np.log10(measured[5]) - np.log10(late))
    blank = t.sel(metric="blank")
    assert np.isnan(blank["sharpest_step"]).all() and np.isnan(blank["distance"]).all()
    assert np.isnan(blank["log_distance"]).all()


def test_no_validation_onset_gives_nan_distance() -> None:
    ds = study({"a": 10**6}, {"a": 100})  # val accuracy never jumps within the steps
    t = timeliness(ds, ["norm"])
    assert not t["val_crossed"].any()
    assert np.isfinite(t["sharpest_step"]).all()
    assert np.isnan(t["distance"]).all()


def test_metric_with_extra_dims_is_refused() -> None:
    ds = study({"a": 100}, {"a": 100})
    ds["rank"] = ds["norm"].expand_dims(layer=[0, 1])
    with pytest.raises(ValueError, match="select one layer"):
        timeliness(ds, ["rank"])


def test_table_has_swept_columns_and_one_row_per_run_seed_metric() -> None:
    ds = study({"a": 1000, "b": int(STEPS[30])}, {"a": 10, "b": 10})
    table = timeliness_table(ds, ["norm", "blank"])
    assert list(table.columns[:4]) == ["run", "wd", "seed", "metric"]
    assert len(table) == 2 * 2 * 2
    row = table[(table["run"] == "b") & (table["metric"] == "norm")].iloc[0]
    assert row["wd"] == 1.0 and row["val_onset"] == STEPS[30]


def test_plot_timeliness_writes_png(tmp_path) -> None:
    ds = study({"a": 1000, "b": int(STEPS[30])}, {"a": 10, "b": 10})
    path = tmp_path / "sub" / "timeliness.png"
    fig = plot_timeliness(ds, ["norm", "blank"], path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) == 2
    lines = fig.axes[1].get_lines()
    assert list(lines[-1].get_xdata()) == [STEPS[30]] * 2  # the onset of run b
    mean = plot_timeliness(ds, ["norm"], tmp_path / "mean.png", seed="mean")
    assert (tmp_path / "mean.png").stat().st_size > 0 and len(mean.axes) == 2


def test_metric_onset_is_where_the_metric_stays_above_its_level() -> None:
    from bayesgrok.trajectory import example

    ds = example(n_seeds=3, steps=(0, 10, 20, 30, 40))
    ds["val_accuracy"][:] = [0.5, 0.5, 0.5, 1.0, 1.0]  # validation onset at step 30
    nan = np.nan
    ds["abelian_train"] = (("seed", "step"), np.array([
        [0.99, 0.5, 0.97, 0.99, 1.0],   # starts above, dips, then stays: onset 20
        [0.99, 0.99, 0.99, 0.99, 0.5],  # ends below: no onset
        [0.2, nan, nan, 0.96, 0.99],    # unmeasured steps do not count: onset 30
    ]))
    out = metric_onsets(ds, {"abelian_train": 0.95}).sel(metric="abelian_train")
    onset = out["metric_onset"].values
    assert onset[0] == 20 and np.isnan(onset[1]) and onset[2] == 30
    assert out["distance"].values.tolist()[0::2] == [-10.0, 0.0]
    with pytest.raises(ValueError):
        metric_onsets(ds, {"absent": 0.5})
    # never measured (no training pair has a held-out swap): no onset, not an error
    ds["abelian_train_heldout_swap"] = ds["abelian_train"] * np.nan
    never = metric_onsets(ds, {"abelian_train_heldout_swap": 0.95})
    assert np.isnan(never["metric_onset"]).all() and np.isnan(never["distance"]).all()
