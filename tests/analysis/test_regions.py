"""Regions on hand-made trajectories: each case of the LEHC passage, and its edge cases."""

import json

import numpy as np
import pytest
import xarray as xr

from bayesgrok.analysis.region_spec import HEHC, LEHC, LELC
from bayesgrok.analysis.regions import (
    RegionSpec,
    keeps_complexity,
    pooled_references,
    regions,
    regions_table,
    sensitivity_grid,
)
from bayesgrok.trajectory import combine, example

STEPS = (0, 10, 20, 30, 40, 50, 60)


def trajectory(complexity, train, val, *, weight=1.0, objective=None, status="ok"):
    """One seed logged at STEPS with the given curves (lists of len(STEPS))."""
    ds = example(n_seeds=1, steps=STEPS)
    for name, values in (("complexity", complexity), ("train_accuracy", train),
                         ("val_accuracy", val)):
        ds[name] = ds[name].copy(data=np.asarray([values], dtype=float))
    obj = objective if objective is not None else np.asarray(complexity, dtype=float) + 0.1
    ds["objective"] = ds["objective"].copy(data=np.asarray([obj], dtype=float))
    ds["status"] = ("seed", np.asarray([status], dtype=object))
    ds.attrs["config"] = json.dumps({"model": {"complexity_weight": weight}})
    return ds


def study(**runs):
    """A study of the given one-seed runs; a reference run ends at complexity 1."""
    reference = trajectory([1, 1, 1, 1, 1, 1, 1], [1] * 7, [1] * 7)
    return combine({"reference": reference, **runs})


FIT, UNFIT = [0.5, 1, 1, 1, 1, 1, 1], [0.5] * 7


def per_seed(reg, run, name):
    return reg[name].sel(run=run, seed=0).item()


def test_lehc_then_lelc():
    run = trajectory([8, 8, 8, 4, 1, 1, 1], FIT, [0.5, 0.5, 0.5, 0.5, 0.5, 1, 1])
    reg = regions(study(grok=run))
    assert reg["region"].sel(run="grok", seed=0).values.tolist() == [
        HEHC, LEHC, LEHC, LEHC, LELC, LELC, LELC]
    assert per_seed(reg, "grok", "lehc_entry") == 10
    assert per_seed(reg, "grok", "lehc_exit") == 40
    assert per_seed(reg, "grok", "lehc_dwell") == 30  # steps 10, 20, 30 each hold 10 steps
    assert per_seed(reg, "grok", "lehc_fraction") == pytest.approx(0.5)
    assert per_seed(reg, "grok", "passed_lehc") and per_seed(reg, "grok", "grokked")
    assert per_seed(reg, "grok", "val_onset") == 50 and per_seed(reg, "grok", "gap") == 40
    assert per_seed(reg, "grok", "lag") == 10
    assert per_seed(reg, "grok", "lag_over_gap") == pytest.approx(0.25)
    assert per_seed(reg, "grok", "reentries") == 0
    assert per_seed(reg, "grok", "loss_rise") == 0.0  # the objective only falls


def test_straight_to_lelc_never_passes_lehc():
    run = trajectory([1, 1, 1, 1, 1, 1, 1], FIT, [0.5, 1, 1, 1, 1, 1, 1])
    reg = regions(study(direct=run))
    assert LEHC not in reg["region"].sel(run="direct", seed=0).values.tolist()
    assert np.isnan(per_seed(reg, "direct", "lehc_entry"))
    assert np.isnan(per_seed(reg, "direct", "lehc_exit"))
    assert per_seed(reg, "direct", "lehc_dwell") == 0
    assert not per_seed(reg, "direct", "passed_lehc")
    assert per_seed(reg, "direct", "reached_lelc")


def test_never_leaving_lehc_has_no_exit_and_the_reference_is_not_run_relative():
    run = trajectory([8, 8, 8, 8, 8, 8, 8], FIT, UNFIT)
    reg = regions(study(stuck=run))
    # The run's own final complexity (8) is not its reference: the other run's (1) is.
    assert reg["reference"].sel(run="stuck").item() == 1.0
    assert np.isnan(per_seed(reg, "stuck", "lehc_exit"))
    assert per_seed(reg, "stuck", "lehc_dwell") == 50  # steps 10..60, the last holds 0
    assert not per_seed(reg, "stuck", "passed_lehc") and not per_seed(reg, "stuck", "grokked")
    assert np.isnan(per_seed(reg, "stuck", "val_onset"))  # missing, never 0 or the total


def test_reentry_into_lehc_is_counted():
    run = trajectory([8, 8, 1, 8, 8, 1, 1], FIT, [0.5, 0.5, 0.5, 0.5, 0.5, 1, 1])
    reg = regions(study(back=run))
    assert per_seed(reg, "back", "reentries") == 1
    assert per_seed(reg, "back", "lehc_exit") == 20  # the first LELC after the entry
    assert per_seed(reg, "back", "lehc_dwell") == 30


def test_loss_rise_between_entry_and_exit_relative_to_range():
    objective = [10, 5, 6, 4, 3, 2, 2]
    run = trajectory([8, 8, 8, 4, 1, 1, 1], FIT, UNFIT, objective=objective)
    reg = regions(study(bump=run))
    assert per_seed(reg, "bump", "loss_rise") == pytest.approx(1 / 8)  # 6 above 5, range 8


def test_diverged_seed_and_nan_steps_are_left_out():
    nan = np.nan
    diverged = trajectory([8, 8, 8, nan, nan, nan, nan], FIT, UNFIT,
                          objective=[8, 8, 8, nan, nan, nan, nan], status="diverged")
    holes = trajectory([8, nan, 8, 4, nan, 1, 1], FIT, [0.5] * 5 + [1, 1])
    reg = regions(study(diverged=diverged, holes=holes))
    codes = reg["region"].sel(run="diverged", seed=0).values.tolist()
    assert codes == [HEHC, LEHC, LEHC, -1, -1, -1, -1]
    assert per_seed(reg, "diverged", "lehc_dwell") == 50  # to the run's end: no exit seen
    assert reg["status"].sel(run="diverged", seed=0).item() == "diverged"
    assert reg["region"].sel(run="holes", seed=0).values.tolist()[1] == -1
    assert per_seed(reg, "holes", "lehc_entry") == 20 and per_seed(reg, "holes", "lehc_exit") == 50


def test_family_without_complexity_term_has_no_regions():
    ds = example()
    ds["complexity"] = ds["complexity"] * 0
    reg = regions(combine({"flat": ds}))
    assert (reg["region"] == -1).all()
    assert "no complexity term" in reg.attrs["notes"]
    assert np.isnan(reg["lehc_entry"]).all()


def test_ablation_alone_has_no_reference_but_pooled_with_its_full_study_does():
    full = study(grok=trajectory([8, 8, 8, 4, 1, 1, 1], FIT, [0.5] * 5 + [1, 1]))
    ablation = combine({"abl": trajectory([8] * 7, FIT, UNFIT, weight=0.0)})
    alone = regions(ablation)
    assert (alone["region"] == -1).all() and "no run keeps" in alone.attrs["notes"]
    refs = pooled_references([full, ablation])
    assert refs == {"example": 1.0}
    pooled = regions(ablation, references=refs)
    assert not per_seed(pooled, "abl", "reached_lelc")
    assert not bool(pooled["keeps_complexity"].item())


def test_negative_complexity_is_compared_on_its_own_scale():
    run = trajectory([3, 3, 3, 0, -2, -2, -2], FIT, [0.5] * 5 + [1, 1])
    reference = trajectory([-2] * 7, [1] * 7, [1] * 7)
    reg = regions(combine({"reference": reference, "gp": run}), RegionSpec(tolerance=0.5))
    assert reg["complexity_scale"].sel(run="gp").item() == "linear"
    assert reg["low_complexity_level"].sel(run="gp").item() == pytest.approx(-1.5)
    assert per_seed(reg, "gp", "lehc_exit") == 40


def test_numeric_and_point_references():
    ds = study(grok=trajectory([8, 8, 8, 4, 1, 1, 1], FIT, UNFIT))
    assert regions(ds, RegionSpec(reference=4.0))["reference"].values.tolist() == [4.0, 4.0]
    ds = ds.assign_coords(start=("run", ["A", "B"]))
    point = regions(ds, RegionSpec(reference={"start": "B"}))
    assert point["reference"].values.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="not a swept coordinate"):
        regions(ds, RegionSpec(reference={"colour": "B"}))
    with pytest.raises(ValueError, match="no run is the sweep point"):
        regions(ds, RegionSpec(reference={"start": "Z"}))


def test_region_variable_has_cf_flags_and_table_has_the_columns():
    reg = regions(study(grok=trajectory([8, 8, 8, 4, 1, 1, 1], FIT, UNFIT)))
    attrs = reg["region"].attrs
    assert attrs["flag_meanings"] == "HEHC HELC LEHC LELC"
    assert list(attrs["flag_values"]) == [0, 1, 2, 3]
    table = regions_table(reg)
    for column in ("run", "seed", "train_onset", "val_onset", "gap", "lehc_entry", "lehc_exit",
                   "lehc_dwell", "lehc_fraction", "reentries", "passed_lehc", "lag",
                   "lag_over_gap", "loss_rise", "status"):
        assert column in table.columns
    text = table.to_csv(index=False)
    assert ",," in text  # missing values are empty, not 0


def test_regression_uses_train_mse():
    ds = example(n_seeds=1, steps=STEPS)
    ds = ds.drop_vars(["train_accuracy", "val_accuracy"])
    ds.attrs["task_kind"] = "regression"
    ds["train_mse"] = (("seed", "step"), [[1.0, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01]])
    ds["val_mse"] = (("seed", "step"), [[1.0, 1.0, 1.0, 1.0, 0.01, 0.01, 0.01]])
    ds["complexity"] = (("seed", "step"), [[5.0, 5, 5, 5, 1, 1, 1]])
    reg = regions(combine({"gp": ds}), RegionSpec(mse_threshold=0.05))
    assert reg.attrs["fit_metric"] == "mse"
    assert per_seed(reg, "gp", "lehc_exit") == 40 and per_seed(reg, "gp", "val_onset") == 40


def test_keeps_complexity_reads_weight_and_optimizer_decay():
    runs = {}
    for name, config in (("w0", {"model": {"complexity_weight": 0.0}}),
                         ("decay", {"model": {"complexity_weight": 0.0},
                                    "search": {"optimizer_args": {"weight_decay": 0.01}}}),
                         ("nodecay", {"model": {"complexity_weight": 0.0},
                                      "search": {"optimizer_args": {"weight_decay": 0.0}}}),
                         ("adamw", {"model": {"complexity_weight": 0.0},
                                    "search": {"optimizer": "adamw", "optimizer_args": {}}})):
        ds = example()
        ds.attrs["config"] = json.dumps(config)
        runs[name] = ds
    assert keeps_complexity(combine(runs)).values.tolist() == [False, True, False, True]


def test_sensitivity_grid_contains_the_definition_in_force():
    spec = RegionSpec(tolerance=0.5)
    grid = sensitivity_grid(spec)
    assert any(g.tolerance == 0.5 and g.fit_threshold == 0.95 for g in grid)
    assert {g.threshold for g in grid} == {0.95}  # the onsets' threshold never moves


def test_bad_spec_is_refused():
    with pytest.raises(ValueError, match="tolerance"):
        RegionSpec(tolerance=-1)
    with pytest.raises(ValueError, match="onset"):
        RegionSpec(onset="later")
    with pytest.raises(ValueError, match="reference"):
        RegionSpec(reference="highest")


def test_single_trajectory_is_accepted():
    reg = regions(xr.Dataset(example()))
    assert reg.sizes["run"] == 1


def test_regions_hypothesis_and_their_figures_import_no_family_and_no_engine():
    import subprocess
    import sys

    code = ("import sys; import bayesgrok.analysis.regions, bayesgrok.analysis.hypothesis, "
            "bayesgrok.analysis.onset_fit, bayesgrok.plots.regions, "
            "bayesgrok.plots.error_complexity; "
            "print(sorted(m for m in sys.modules if m.startswith(('bayesgrok.families', "
            "'bayesgrok.search', 'torch', 'gpjax', 'numpyro'))))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True)
    assert found.stdout.strip() == "[]"
