"""Early features at the fit step and their AUC as predictors of grokking, on made studies."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from bayesgrok.analysis.prediction import early_features, fit_step, grokked, prediction_table
from bayesgrok.plots.prediction import plot_prediction

STEPS = np.concatenate([[0], np.unique(np.geomspace(1, 1e4, 60).astype(np.int64))])
N_RUNS, N_SEEDS = 30, 4
DIMS = ("run", "seed", "step")


def make_study(seed: int = 0, all_grok: bool = False) -> tuple[xr.Dataset, np.ndarray, np.ndarray]:
    """A study, the index of each example's fit step, and whether it groks.

    Training accuracy reaches 1 at a random logged step; a random half of the examples
    (all, with ``all_grok``) reach validation accuracy 1 ten logged steps later.

    Metrics (NaN at unmeasured steps):
    ``sep``   ``log10 step`` for grokking examples, 0 for the others; every third step;
    ``leak``  0 up to the fit step, then 1 for grokking examples: only later values tell;
    ``noise`` seeded normal noise.
    """
    rng = np.random.default_rng(seed)
    shape = (N_RUNS, N_SEEDS, STEPS.size)
    fit_idx = rng.integers(20, 40, size=shape[:2])
    groks = np.ones(shape[:2], bool) if all_grok else rng.random(shape[:2]) < 0.5
    index = np.arange(STEPS.size)
    after_fit = index >= fit_idx[..., None]
    train = np.where(after_fit, 1.0, 0.5)
    val = np.where(groks[..., None] & (index >= fit_idx[..., None] + 10), 1.0, 0.5)
    logstep = np.log10(np.maximum(STEPS, 1.0))
    sep = np.where(groks[..., None], logstep, 0.0)
    sep[..., index % 3 != 0] = np.nan
    leak = np.where(groks[..., None] & (index > fit_idx[..., None]), 1.0, 0.0)
    noise = rng.standard_normal(shape)
    ds = xr.Dataset(
        {name: (DIMS, values) for name, values in
         {"train_accuracy": train, "val_accuracy": val, "sep": sep, "leak": leak,
          "noise": noise}.items()},
        coords={"run": [f"r{i}" for i in range(N_RUNS)], "seed": np.arange(N_SEEDS),
                "step": STEPS, "wd": ("run", np.linspace(0.0, 1.0, N_RUNS))},
    )
    return ds, fit_idx, groks


def small(values: list[float], steps: list[int], train: list[float] | None = None) -> xr.Dataset:
    """One seed of one metric ``m`` (and training accuracy, fitted at the last step)."""
    train = train if train is not None else [0.0] * (len(steps) - 1) + [1.0]
    return xr.Dataset(
        {"m": (("seed", "step"), [values]), "train_accuracy": (("seed", "step"), [train]),
         "val_accuracy": (("seed", "step"), [[0.0] * len(steps)])},
        coords={"seed": [0], "step": np.asarray(steps, dtype=np.int64)},
    )


def test_fit_step_is_the_first_step_at_the_threshold() -> None:
    ds, fit_idx, _ = make_study()
    np.testing.assert_array_equal(fit_step(ds).transpose("run", "seed"), STEPS[fit_idx])
    ds["train_accuracy"][0, 0] = 0.99  # never fitted
    assert np.isnan(fit_step(ds)[0, 0])
    assert fit_step(ds, threshold=0.99)[0, 0] == STEPS[0]
    np.testing.assert_array_equal(fit_step(ds)[1:], STEPS[fit_idx[1:]])


def test_level_and_trend_follow_their_definition() -> None:
    steps = [1, 2, 5, 10, 20, 50, 100, 200]
    ds = small([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], steps)
    f = early_features(ds, ["m"], at=100).sel(seed=0, metric="m")
    assert f.sel(feature="level") == 6.0
    assert f.sel(feature="trend") == 6.0 - 3.0  # back to step 10 = 100 / 10
    gappy = small([0.0, 1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0], steps)
    f = early_features(gappy, ["m"], at=100).sel(seed=0, metric="m")
    assert f.sel(feature="trend") == 6.0 - 2.0  # step 10 unmeasured: the last before, 5
    late = small([np.nan] * 5 + [5.0, 6.0, 7.0], steps)
    f = early_features(late, ["m"], at=100).sel(seed=0, metric="m")
    assert f.sel(feature="trend") == 6.0 - 5.0  # nothing by step 10: the first measured
    one = small([np.nan] * 6 + [6.0, 7.0], steps)
    f = early_features(one, ["m"], at=100).sel(seed=0, metric="m")
    assert f.sel(feature="level") == 6.0 and np.isnan(f.sel(feature="trend"))
    f = early_features(one, ["m"], at=50).sel(seed=0, metric="m")
    assert np.isnan(f).all()  # nothing measured by then


def test_default_moment_is_the_fit_step_and_nothing_later_is_used() -> None:
    ds, fit_idx, _ = make_study()
    before = early_features(ds, ["sep", "leak", "noise"])
    assert before.dims == ("run", "seed", "metric", "feature")
    np.testing.assert_array_equal(before["at"].transpose("run", "seed"), STEPS[fit_idx])
    # Rewriting every value after each fit step changes nothing.
    later = ds["step"] > before["at"]
    changed = ds.copy()
    for name in ("sep", "leak", "noise"):
        changed[name] = ds[name].where(~later, 1e6)
    xr.testing.assert_identical(early_features(changed, ["sep", "leak", "noise"]), before)
    # ``leak`` is 0 for everyone up to the fit step, so its early level carries no signal.
    assert (before.sel(metric="leak") == 0).all()


def test_separating_metric_gets_auc_one_random_half_reversed_zero() -> None:
    ds, fit_idx, groks = make_study()
    table = prediction_table(ds, ["sep", "leak", "noise"], directions={"noise": 1})
    by = table.set_index(["metric", "feature"])
    assert by.loc[("sep", "level"), "auc"] == 1.0
    assert by.loc[("sep", "trend"), "auc"] == 1.0
    assert by.loc[("leak", "level"), "auc"] == 0.5  # its separating values come too late
    assert 0.35 < by.loc[("noise", "level"), "auc"] < 0.65
    assert 0.35 < by.loc[("noise", "trend"), "auc"] < 0.65
    assert by.loc[("sep", "level"), "n_grokking"] == groks.sum()
    assert by.loc[("sep", "level"), "n_not_grokking"] == (~groks).sum()
    lead = np.median((STEPS[fit_idx + 10] - STEPS[fit_idx])[groks])
    assert by.loc[("sep", "level"), "lead_steps"] == lead
    reversed_ = prediction_table(ds, ["sep"], directions={"sep": -1}).set_index("feature")
    assert reversed_.loc["level", "auc"] == 0.0
    assert reversed_.loc["level", "auc_either_way"] == 1.0
    assert (reversed_["direction"] == -1).all()
    ds["neg"] = -ds["sep"]
    default = prediction_table(ds, ["neg"]).set_index("feature")
    assert default.loc["level", "auc"] == 0.0 and default.loc["level", "auc_either_way"] == 1.0


def test_single_class_gives_nan_auc_and_a_note() -> None:
    ds, _, _ = make_study(all_grok=True)
    table = prediction_table(ds, ["sep"])
    assert table["auc"].isna().all() and table["auc_either_way"].isna().all()
    assert (table["n_not_grokking"] == 0).all()
    assert table["note"].str.contains("one class").all()


def test_unfitted_examples_are_left_out_and_counted() -> None:
    ds, _, _ = make_study()
    ds["train_accuracy"][:2] = 0.5  # two runs never fit
    table = prediction_table(ds, ["sep"])
    assert (table["n_left_out"] == 2 * N_SEEDS).all()
    assert (table["n_grokking"] + table["n_not_grokking"] == (N_RUNS - 2) * N_SEEDS).all()
    assert table["note"].str.contains("without a score").all()


def test_grokked_and_bad_direction() -> None:
    ds, _, groks = make_study()
    np.testing.assert_array_equal(grokked(ds).transpose("run", "seed"), groks)
    with pytest.raises(ValueError, match=r"\+1 or -1"):
        prediction_table(ds, ["sep"], directions={"sep": 2})
    with pytest.raises(ValueError, match="no variable"):
        early_features(ds, ["absent"])


def test_plot_prediction_writes_png(tmp_path) -> None:
    ds, _, _ = make_study()
    path = tmp_path / "roc.png"
    fig = plot_prediction(ds, ["sep", "noise"], path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) == 2
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0] == "sep (AUC 1.00)" and labels[1].startswith("noise (AUC 0.")
    one, _, _ = make_study(all_grok=True)
    fig = plot_prediction(one, ["sep"], tmp_path / "one.png")
    assert "n/a" in fig.axes[0].get_legend().get_texts()[0].get_text()
