"""Multi-stage generalisation, rank descents and their alignment, on synthetic curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from bayesgrok.analysis.rank_descents import (
    align_stages_with_rank,
    alignment_table,
    descents_table,
    rank_descents,
)
from bayesgrok.analysis.stages import generalisation_stages, stages_table
from bayesgrok.plots.stages import plot_stages
from bayesgrok.study.writers import write_stages

LOG_STEPS = np.unique(np.geomspace(1, 1e5, 160).astype(np.int64))
UNIFORM_STEPS = np.arange(0, 100_001, 500)


def sigmoid_curve(steps: np.ndarray, centres: list[float], heights: list[float],
                  noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Accuracy 0.1 plus one logistic surge (in log10 step) per centre."""
    t = np.log10(np.maximum(steps, 1))
    acc = 0.1 + sum(h / (1 + np.exp(-10 * (t - c))) for c, h in zip(centres, heights, strict=True))
    rng = np.random.default_rng(seed)
    return acc + noise * rng.standard_normal(steps.size)


def as_study(runs: dict[str, xr.Dataset], **swept: list) -> xr.Dataset:
    """Runs stacked along ``run``, with swept values as coordinates on it."""
    ds = xr.concat(list(runs.values()), dim="run").assign_coords(run=list(runs))
    return ds.assign_coords({name: ("run", values) for name, values in swept.items()})


CASES = {
    1: ([3.0], [0.85]),
    2: ([1.5, 3.5], [0.4, 0.45]),
    3: ([1.0, 2.5, 4.0], [0.3, 0.3, 0.25]),
}


@pytest.mark.parametrize("steps", [LOG_STEPS, UNIFORM_STEPS], ids=["log", "uniform"])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_counts_surges_on_any_schedule(steps: np.ndarray, n: int) -> None:
    centres, heights = CASES[n]
    acc = sigmoid_curve(steps, centres, heights, noise=0.005)
    st = generalisation_stages(xr.DataArray(acc, {"step": steps}, ["step"]))
    if steps is UNIFORM_STEPS and n > 1:
        # Uniformly logged, the early surges fall before the first few log points; only
        # those the schedule resolves can be found.
        resolved = [c for c in centres if 10**c > steps[2]]
        assert int(st["n_stages"]) >= len(resolved)
        return
    assert int(st["n_stages"]) == n
    onsets = st["stage_onset"].values[:n]
    # Each onset lies before its surge's midpoint and after the previous one's.
    for k, c in enumerate(centres):
        assert onsets[k] <= 10**c
        if k:
            assert onsets[k] > 10 ** centres[k - 1]
    np.testing.assert_allclose(st["stage_height"].values[:n], heights, atol=0.08)


def test_three_stages_on_uniform_steps_in_linear_time() -> None:
    steps = UNIFORM_STEPS
    acc = 0.1 + sum(0.28 / (1 + np.exp(-(steps - c) / 800)) for c in (20_000, 50_000, 80_000))
    st = generalisation_stages(xr.DataArray(acc, {"step": steps}, ["step"]), axis="linear")
    assert int(st["n_stages"]) == 3
    assert np.all(np.abs(st["stage_onset"].values - [20_000, 50_000, 80_000]) < 3_000)


def test_flat_and_noisy_flat_curves_have_no_stage() -> None:
    flat = xr.DataArray(np.full(LOG_STEPS.size, 0.5), {"step": LOG_STEPS}, ["step"])
    assert int(generalisation_stages(flat)["n_stages"]) == 0
    noisy = flat + 0.003 * np.random.default_rng(1).standard_normal(LOG_STEPS.size)
    assert int(generalisation_stages(noisy)["n_stages"]) == 0


def test_a_dip_does_not_split_a_surge() -> None:
    acc = sigmoid_curve(LOG_STEPS, [3.0], [0.8])
    acc[np.searchsorted(LOG_STEPS, 10_000)] = 0.2  # one bad evaluation after the surge
    st = generalisation_stages(xr.DataArray(acc, {"step": LOG_STEPS}, ["step"]))
    assert int(st["n_stages"]) == 1


def test_stages_keep_run_and_seed_dims_and_skip_nan() -> None:
    one = sigmoid_curve(LOG_STEPS, *CASES[1])
    two = sigmoid_curve(LOG_STEPS, *CASES[2])
    data = np.stack([[one, two], [two, one]])
    data[0, 0, ::3] = np.nan  # unmeasured steps are skipped, not read as drops
    da = xr.DataArray(data, {"run": ["a", "b"], "seed": [0, 1], "step": LOG_STEPS},
                      ["run", "seed", "step"])
    st = generalisation_stages(da)
    assert st["n_stages"].dims == ("run", "seed")
    assert st["n_stages"].values.tolist() == [[1, 2], [2, 1]]
    assert st["stage_onset"].dims == ("run", "seed", "stage")
    assert np.isnan(st["stage_onset"].sel(run="a", seed=0, stage=1))


def test_stages_table_has_swept_values_and_a_row_for_curves_without_stage() -> None:
    runs = {
        "r1": xr.Dataset({"val_accuracy": (("seed", "step"),
                                           [sigmoid_curve(LOG_STEPS, *CASES[2])])},
                         {"seed": [0], "step": LOG_STEPS}),
        "r2": xr.Dataset({"val_accuracy": (("seed", "step"), [np.full(LOG_STEPS.size, 0.3)])},
                         {"seed": [0], "step": LOG_STEPS}),
    }
    ds = as_study(runs, depth=[4, 8])
    table = stages_table(generalisation_stages(ds["val_accuracy"]))
    assert list(table.columns[:4]) == ["run", "depth", "seed", "stage"]
    assert table["depth"].tolist() == [4, 4, 8]
    assert table["n_stages"].tolist() == [2, 2, 0]
    assert pd.isna(table["stage"].iloc[2])


def test_single_and_double_descent_of_rank() -> None:
    steps = np.arange(0, 2000, 50)
    single = np.where(steps < 500, 100.0, 40.0)
    double = np.select([steps < 400, steps < 900, steps < 1300], [100.0, 30.0, 80.0], 10.0)
    wiggle = 60 + np.where(np.arange(steps.size) % 2, 2.0, -2.0)  # below the hysteresis
    ranks = np.stack([single, double, wiggle], axis=-1)
    ranks[1::2] = np.nan  # ranks measured at every other logged step only
    da = xr.DataArray(ranks, {"step": steps, "layer": [0, 1, 2]}, ["step", "layer"])
    d = rank_descents(da)
    assert d["n_descents"].values.tolist() == [1, 2, 0]
    assert d["double_descent"].values.tolist() == [False, True, False]
    assert d["descent_end"].sel(layer=0, descent=0) == 500
    assert d["descent_drop"].sel(layer=1).values.tolist() == [70.0, 70.0]
    table = descents_table(d)
    assert table["layer"].tolist() == [0, 1, 1]


def test_alignment_finds_the_nearest_descent_per_layer() -> None:
    stages = xr.Dataset({"stage_onset": (("seed", "stage"), [[100.0, 10_000.0]])},
                        {"seed": [0]})
    descents = xr.Dataset(
        {"descent_onset": (("seed", "layer", "descent"),
                           [[[80.0, 9_000.0], [np.nan, np.nan]]])},
        {"seed": [0], "layer": [0, 1]},
    )
    a = align_stages_with_rank(stages, descents)
    assert a["lag"].sel(seed=0, layer=0).values.tolist() == [20.0, 1_000.0]
    assert np.isnan(a["lag"].sel(seed=0, layer=1)).all()
    np.testing.assert_allclose(a["log_lag"].sel(seed=0, layer=0), np.log10([100 / 80, 10 / 9]))
    assert len(alignment_table(a)) == 2


def test_write_stages_writes_tables_and_a_figure(tmp_path) -> None:
    steps = LOG_STEPS
    acc = sigmoid_curve(steps, *CASES[2])
    rank = np.stack([np.where(steps < 30, 50.0, 20.0), np.where(steps < 3000, 40.0, 5.0)], -1)
    rank[::2] = np.nan
    ds = xr.Dataset(
        {"val_accuracy": (("seed", "step"), [acc]),
         "train_accuracy": (("seed", "step"), [np.minimum(1.0, acc + 0.5)]),
         "feature_rank": (("seed", "step", "layer"), [rank])},
        {"seed": [0], "step": steps, "layer": [0, 1]},
    )
    write_stages(as_study({"r": ds}), tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["figures", "rank_descents.csv", "stage_rank_alignment.csv", "stages.csv"]
    assert (tmp_path / "figures" / "stages.png").stat().st_size > 10_000
    alignment = pd.read_csv(tmp_path / "stage_rank_alignment.csv")
    # The first surge (onset near 10**1.3) is nearest layer 0's descent (last peak step < 30).
    first = alignment[(alignment["stage"] == 0) & (alignment["layer"] == 0)]
    assert abs(float(first["log_lag"].iloc[0])) < 0.5
    fig = plot_stages(ds)
    assert len(fig.axes) == 2
