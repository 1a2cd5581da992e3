"""The hypothesis table on synthetic regions tables with a known correlation."""

import numpy as np
import pandas as pd
import pytest

from bayesgrok.analysis.hypothesis import (
    CRITERIA,
    HypothesisCriteria,
    counterexamples,
    hypothesis_table,
)


def rows(group, dwell, gap, *, passed=True, exit_before=True, ablation_lelc=(False,) * 3):
    dwell, gap = np.asarray(dwell, float), np.asarray(gap, float)
    onset = 1000.0 + gap
    main = pd.DataFrame({
        "group": group, "run": "main", "seed": np.arange(dwell.size), "status": "ok",
        "keeps_complexity": True, "grokked": True, "passed_lehc": passed,
        "reached_lelc": True, "lehc_dwell": dwell, "gap": gap, "val_onset": onset,
        "lehc_exit": onset - 10 if exit_before else onset + 10,
        "lag_over_gap": (10 if exit_before else -10) / gap})
    abl = pd.DataFrame({
        "group": group, "run": "ablation", "seed": np.arange(len(ablation_lelc)),
        "status": "ok", "keeps_complexity": False, "grokked": False, "passed_lehc": False,
        "reached_lelc": list(ablation_lelc), "lehc_dwell": 5000.0, "gap": np.nan,
        "val_onset": np.nan, "lehc_exit": np.nan, "lag_over_gap": np.nan})
    return pd.concat([main, abl], ignore_index=True)


def test_known_positive_correlation_is_supported():
    rng = np.random.default_rng(0)
    dwell = np.linspace(100, 2000, 12)
    table = hypothesis_table(rows("a", dwell, 2 * dwell + rng.normal(0, 50, 12)))
    row = table.iloc[0]
    assert row["spearman_rho"] > 0.9 and row["rho_low"] > 0.5 and row["rho_high"] <= 1.0
    assert row["exit_before_onset_p"] == pytest.approx(0.5**12)
    assert row["passed_lehc_fraction"] == 1.0 and row["ablation_lelc_fraction"] == 0.0
    assert row["median_lag_over_gap"] > 0
    assert row["verdict"] == "supported"
    assert list(table.columns[:11]) == [
        "group", "seeds", "grokked", "passed_lehc_fraction", "spearman_rho", "rho_low",
        "rho_high", "exit_before_onset_p", "median_lag_over_gap", "ablation_lelc_fraction",
        "verdict"]


def test_no_correlation_fails_the_dose_response_criterion():
    rng = np.random.default_rng(3)
    dwell = rng.uniform(100, 2000, 12)
    table = hypothesis_table(rows("a", dwell, rng.uniform(100, 2000, 12)))
    assert table.iloc[0]["rho_low"] < 0 < table.iloc[0]["rho_high"]
    assert table.iloc[0]["verdict"] == "not supported"
    assert "dwell_tracks_gap" in table.iloc[0]["reason"]


def test_exit_after_onset_and_ablation_in_lelc_fail():
    dwell = np.linspace(100, 2000, 8)
    table = hypothesis_table(rows("a", dwell, dwell, exit_before=False,
                                  ablation_lelc=(True, True, False)))
    row = table.iloc[0]
    assert row["exit_before_onset_p"] == 1.0
    assert row["ablation_lelc_fraction"] == pytest.approx(2 / 3)
    assert row["verdict"] == "not supported"


def test_groups_are_tested_separately_and_few_seeds_are_inconclusive():
    dwell = np.linspace(100, 2000, 8)
    both = pd.concat([rows("a", dwell, 3 * dwell), rows("b", [100, 200], [300, 400])])
    table = hypothesis_table(both).set_index("group")
    assert table.loc["a", "verdict"] == "supported"
    assert table.loc["b", "verdict"] == "inconclusive"
    assert table.loc["b", "grokked"] == 2


def test_only_the_criteria_in_force_decide():
    dwell = np.linspace(100, 2000, 8)
    data = rows("a", dwell, dwell[::-1])  # the dwell anti-tracks the gap
    assert hypothesis_table(data).iloc[0]["verdict"] == "not supported"
    kept = HypothesisCriteria(criteria=("passed_lehc", "exit_before_onset"))
    assert hypothesis_table(data, kept).iloc[0]["verdict"] == "supported"
    with pytest.raises(ValueError, match="unknown criteria"):
        HypothesisCriteria(criteria=("magic",))
    assert set(CRITERIA) >= set(kept.criteria)


def test_counterexamples_are_listed_by_run_and_seed():
    data = rows("a", [100, 200, 300], [100, 200, 300], passed=False,
                ablation_lelc=(True, False, False))
    found = counterexamples(data)
    assert found["kind"].tolist().count("grokked without passing LEHC") == 3
    assert found["kind"].tolist().count("ablation reached LELC") == 1
    assert {"run", "seed"} <= set(found.columns)


def test_group_column_must_exist():
    with pytest.raises(ValueError, match="no column"):
        hypothesis_table(rows("a", [1, 2, 3], [1, 2, 3]), group="sigma")


def test_interval_leaves_out_resamples_without_rho():
    # many equal dwells: some resamples are constant, the interval must still exist
    dwell = np.array([0, 0, 0, 0, 0, 100, 200, 300, 400, 500.0])
    table = hypothesis_table(rows("a", dwell, dwell + 50))
    assert np.isfinite(table.iloc[0]["rho_low"]) and table.iloc[0]["rho_low"] > 0


def test_a_group_without_regions_is_inconclusive_not_refuted():
    data = rows("a", [100, 200, 300, 400], [100, 200, 300, 400], passed=False)
    data["has_regions"] = False
    row = hypothesis_table(data).iloc[0]
    assert row["verdict"] == "inconclusive" and "no regions" in row["reason"]
    assert row["seeds"] == 0
