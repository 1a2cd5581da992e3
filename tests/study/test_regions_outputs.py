"""Every study writes its regions and hypothesis outputs; suites and `bayesgrok hypothesis`
analyse several studies together; bad [regions], [hypothesis] and suite input is refused."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from bayesgrok.cli import app
from bayesgrok.study.errors import StudyError
from bayesgrok.study.resolve import load_study
from bayesgrok.study.runner import run_study
from bayesgrok.study.suite import load_suite

runner = CliRunner()

REGIONS_COLUMNS = ["run", "seed", "complexity_weight", "train_onset", "val_onset", "gap",
                   "lehc_entry", "lehc_exit", "lehc_dwell", "lehc_fraction", "reentries",
                   "passed_lehc", "lag", "lag_over_gap", "loss_rise", "status"]
HYPOTHESIS_COLUMNS = ["group", "seeds", "grokked", "passed_lehc_fraction", "spearman_rho",
                      "rho_low", "rho_high", "exit_before_onset_p", "median_lag_over_gap",
                      "ablation_lelc_fraction", "verdict"]


def test_a_study_writes_regions_hypothesis_and_figures(write_study, tmp_path):
    out = tmp_path / "res"
    run_study(write_study(epochs=100), out)
    regions = pd.read_csv(out / "regions.csv")
    assert list(regions.columns[:len(REGIONS_COLUMNS)]) == REGIONS_COLUMNS
    assert len(regions) == 4  # 2 runs x 2 seeds
    hypothesis = pd.read_csv(out / "hypothesis.csv")
    assert list(hypothesis.columns[:len(HYPOTHESIS_COLUMNS)]) == HYPOTHESIS_COLUMNS
    assert hypothesis["group"].tolist() == ["linear"]
    assert hypothesis["ablation_lelc_fraction"].notna().all()  # the grid holds its ablation
    sensitivity = pd.read_csv(out / "regions_sensitivity.csv")
    assert set(sensitivity["cells"]) == {9}
    assert (out / "hypothesis_counterexamples.csv").is_file() and (out / "regions.nc").is_file()
    for name in ("regions_paths", "regions_timeline", "dwell_gap"):
        assert (out / "figures" / f"{name}.png").is_file()


def test_hypothesis_command_pools_a_study_and_its_ablation(write_study, tmp_path):
    full = write_study(TEXT.format(name="full", weight=1.0), name="full.toml")
    ablation = write_study(TEXT.format(name="ablation", weight=0.0), name="ablation.toml")
    run_study(full, tmp_path / "full", figures=False, report=False)
    run_study(ablation, tmp_path / "ablation", figures=False, report=False)
    alone = pd.read_csv(tmp_path / "ablation" / "regions.csv")
    assert alone["lehc_dwell"].isna().all()  # no run keeps its complexity: no regions
    out = tmp_path / "pooled"
    result = runner.invoke(app, ["hypothesis", str(tmp_path / "full"),
                                 str(tmp_path / "ablation"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "hypothesis over 2 result(s)" in result.output
    pooled = pd.read_csv(out / "regions.csv")
    assert sorted(set(pooled["study"])) == ["ablation", "full"]
    assert pooled["reference"].nunique() == 1  # the full study's reference for both
    assert pooled.loc[pooled["study"] == "ablation", "lehc_dwell"].notna().all()
    assert (out / "figures" / "regions_paths.png").is_file()


def test_hypothesis_command_refuses_bad_input(tmp_path):
    result = runner.invoke(app, ["hypothesis", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no such result" in result.output
    result = runner.invoke(app, ["hypothesis", str(tmp_path), "--tolerance", "-1"])
    assert result.exit_code == 2 and "--tolerance" in result.output


TEXT = """
name = "{name}"
[task]
name = "linear_sign"
[model]
card = "miller_linear"
complexity_weight = {weight}
[search]
optimizer = "sgd"
optimizer_args = {{ learning_rate = 1e-3 }}
epochs = 100
log = {{ every = 10 }}
[sweep]
seeds = [0, 1, 2]
"""

SUITE = """
name = "pair"
description = "two members"
notes = "criteria stated before the run"
[suite]
studies = ["full.toml", "ablation.toml"]
[hypothesis]
min_grokked = 1
"""


def test_a_suite_runs_its_members_then_the_pooled_analysis(write_study, tmp_path):
    write_study(TEXT.format(name="full", weight=1.0), name="full.toml")
    write_study(TEXT.format(name="ablation", weight=0.0), name="ablation.toml")
    suite = write_study(SUITE, name="suite.toml")
    out = tmp_path / "res"
    result = runner.invoke(app, ["run", str(suite), "--out", str(out), "--no-figures"])
    assert result.exit_code == 0, result.output
    for member in ("full", "ablation"):
        assert (out / member / "study.nc").is_file()
    assert (out / "suite.json").is_file()
    hypothesis = pd.read_csv(out / "hypothesis.csv")
    assert hypothesis["group"].tolist() == ["linear"]
    assert hypothesis["ablation_lelc_fraction"].notna().all()
    assert (out / "report.html").is_file()
    # each member its own group, with its own reference: the ablation alone has none
    by_study = write_study(SUITE + 'group = "study"\n', name="by_study.toml")
    again = runner.invoke(app, ["run", str(by_study), "--out", str(out), "--no-figures"])
    assert again.exit_code == 0, again.output
    assert "0 runs computed, 1 reused" in again.output
    table = pd.read_csv(out / "hypothesis.csv").set_index("group")
    assert sorted(table.index) == ["ablation", "full"]
    assert table.loc["ablation", "verdict"] == "inconclusive"
    assert "no regions" in table.loc["ablation", "reason"]


@pytest.mark.parametrize(("table", "message"), [
    ('[regions]\ntolerance = -1', "regions.tolerance"),
    ('[regions]\nreference = true', "regions.reference"),
    ('[regions]\nreference = { "label.start" = "C" }', "regions.reference.label.start"),
    ('[regions]\nonset = "late"', "regions.onset"),
    ('[hypothesis]\ncriteria = ["vibes"]', "hypothesis.criteria"),
    ('[hypothesis]\ngroup = "model.sigma_init"', "hypothesis.group"),
    ('[hypothesis]\nmax_p = 2', "hypothesis.max_p"),
])
def test_bad_regions_and_hypothesis_tables_are_refused(minimal_study, write_study, table,
                                                       message, tmp_path):
    path = write_study(minimal_study + "\n" + table)
    with pytest.raises(StudyError, match=message.replace(".", r"\.")):
        load_study(path)
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert not (tmp_path / "out").exists()


def test_bad_suites_are_refused(write_study, tmp_path):
    missing = write_study(SUITE.replace("ablation.toml", "nowhere.toml"), name="suite.toml")
    write_study(TEXT.format(name="full", weight=1.0), name="full.toml")
    with pytest.raises(StudyError, match=r"suite\.studies\[1\]"):
        load_suite(missing)
    result = runner.invoke(app, ["run", str(missing), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "nowhere.toml" in result.output
    assert not (tmp_path / "out").exists()
    empty = write_study('name = "x"\n[suite]\nstudies = []', name="empty.toml")
    with pytest.raises(StudyError, match="suite.studies"):
        load_suite(empty)


def test_regions_file_keeps_integer_codes_with_cf_flags(tmp_path):
    import xarray as xr

    from bayesgrok.analysis.hypothesis import HypothesisCriteria
    from bayesgrok.analysis.regions import RegionSpec, passage_example
    from bayesgrok.study.regions_outputs import Analysed, write_pooled

    one = Analysed("example", passage_example(), RegionSpec(), [RegionSpec()])
    write_pooled([one], tmp_path, HypothesisCriteria(min_grokked=1), figures=False)
    with xr.open_dataset(tmp_path / "regions.nc", engine="h5netcdf") as reg:
        assert reg["region"].dtype == "int8"
        assert reg["region"].attrs["flag_meanings"] == "HEHC HELC LEHC LELC"
        assert reg["region"].sel(run="full", seed=0).values.tolist() == [0, 0, 2, 3]
