"""The command line: run, show, plot, list; bad input gives a message, status 2, no files."""

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from bayesgrok.cli import app

runner = CliRunner()


def test_run_show_plot(write_study, tmp_path):
    out = tmp_path / "res"
    result = runner.invoke(app, ["run", str(write_study()), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 runs computed, 0 reused, 0 failed" in result.output
    assert (out / "study.nc").is_file() and (out / "summary.csv").is_file()
    assert (out / "figures" / "accuracy.png").is_file()
    again = runner.invoke(app, ["run", str(write_study()), "--out", str(out)])
    assert "0 runs computed, 2 reused" in again.output
    shown = runner.invoke(app, ["show", str(out)])
    assert shown.exit_code == 0
    assert "never" in shown.output  # the ablation never generalises in 100 epochs
    assert "complexity_weight" in shown.output
    figs = tmp_path / "figs"
    plotted = runner.invoke(app, ["plot", str(out / "study.nc"), "--out", str(figs)])
    assert plotted.exit_code == 0
    assert sorted(p.name for p in figs.iterdir()) == [
        "accuracy.png", "error_complexity.png", "probe_weights.png", "terms.png"]


def test_list_names_shipped_studies_and_cards():
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    for name in ("quickstart", "miller_linear", "miller_linear_ablation"):
        assert name in result.output


BAD = {
    "toml syntax": ("name = [unclosed", "TOML syntax error", None),
    "unknown key": (None, "random_key = 3: unknown key", ('name = "bad"',
                                                          'name = "bad"\nrandom_key = 3')),
    "wrong type": (None, "search.epochs = 'lots'", ('epochs = 10', 'epochs = "lots"')),
    "out of range": (None, "search.epochs = -5", ('epochs = 10', 'epochs = -5')),
    "unknown task": (None, "task.name = 'nope'", ('name = "linear_sign"', 'name = "nope"')),
    "unknown card": (None, "model.card = 'nope'", ('card = "miller_linear"', 'card = "nope"')),
    "unknown optimizer": (None, "search.optimizer = 'sgdd'", ('optimizer = "sgd"',
                                                             'optimizer = "sgdd"')),
}



@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_names_it_and_writes_nothing(case, write_study, minimal_study, tmp_path):
    text, expected, swap = BAD[case]
    if text is None:
        text = minimal_study.replace(*swap)
    path = write_study(text)
    out = tmp_path / "never_made"
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert str(path) in result.output
    assert expected in result.output
    assert not out.exists()


def test_missing_study_file_and_result(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path / "absent.toml")])
    assert result.exit_code == 2 and "file not found" in result.output
    result = runner.invoke(app, ["show", str(tmp_path / "absent")])
    assert result.exit_code == 2 and "no such result" in result.output


def test_console_script_reports_one_line_and_status_2(write_study, minimal_study, tmp_path):
    path = write_study(minimal_study.replace('epochs = 10', 'epochs = "lots"'))
    proc = subprocess.run(
        [sys.executable, "-m", "bayesgrok.cli", "run", str(path), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "search.epochs = 'lots'" in proc.stderr


def test_version_prints_the_installed_version():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"bayesgrok {version('bayesgrok')}"


def test_run_takes_a_study_by_name(tmp_path, monkeypatch):
    from bayesgrok.study.examples import tiny_study
    from bayesgrok.study.schema import find_study

    tiny_study(tmp_path / "studies")  # studies/tiny.toml in the current folder
    monkeypatch.chdir(tmp_path)
    assert find_study("tiny") == tmp_path / "studies" / "tiny.toml"
    assert find_study("miller_gp_landscape").name == "miller_gp_landscape.toml"  # shipped
    result = runner.invoke(app, ["run", "tiny", "--out", str(tmp_path / "out"), "--no-figures"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "study.nc").is_file()
    missing = runner.invoke(app, ["run", "no_such_study", "--out", str(tmp_path / "x")])
    assert missing.exit_code == 2


def test_show_formats_for_scripts(write_study, tmp_path):
    import io
    import json

    import pandas as pd

    out = tmp_path / "res"
    assert runner.invoke(app, ["run", str(write_study()), "--out", str(out),
                               "--no-figures"]).exit_code == 0
    as_csv = runner.invoke(app, ["show", str(out), "--format", "csv"])
    table = pd.read_csv(io.StringIO(as_csv.stdout))
    assert {"run", "seed", "train_onset", "val_onset", "gap", "status"} <= set(table.columns)
    records = json.loads(runner.invoke(app, ["show", str(out), "--format", "json"]).stdout)
    assert len(records) == len(table) and records[0]["run"] == table["run"][0]
    bad = runner.invoke(app, ["show", str(out), "--format", "xml"])
    assert bad.exit_code == 2 and "'xml'" in bad.output


def test_new_writes_a_study_that_runs_and_refuses_to_overwrite(tmp_path):
    from bayesgrok.study.resolve import load_study

    made = runner.invoke(app, ["new", "first", "--dir", str(tmp_path)])
    assert made.exit_code == 0, made.output
    assert load_study(tmp_path / "first.toml").spec.name == "first"
    assert "# " in (tmp_path / "first.toml").read_text()  # commented
    copied = runner.invoke(app, ["new", "mine", "--dir", str(tmp_path), "--from",
                                 "miller_gp_landscape"])
    assert copied.exit_code == 0 and load_study(tmp_path / "mine.toml").spec.name == "mine"
    again = runner.invoke(app, ["new", "first", "--dir", str(tmp_path)])
    assert again.exit_code == 2 and "exists already" in again.output
    for args in (["new", "bad/name"], ["new", "x", "--from", "no_such_study"],
                 ["new", "y", "--from", "hypothesis_cross_family"]):
        refused = runner.invoke(app, [*args, "--dir", str(tmp_path)])
        assert refused.exit_code == 2, (args, refused.output)


def test_plot_redraws_every_figure_and_no_figures_removes_stale_ones(write_study, tmp_path):
    out = tmp_path / "res"
    assert runner.invoke(app, ["run", str(write_study()), "--out", str(out)]).exit_code == 0
    drawn = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert "regions_paths.png" in drawn  # drawn by the regions output, not draw_figures
    (out / "figures" / "stale.png").write_bytes(b"")
    redrawn = runner.invoke(app, ["plot", str(out)])
    assert redrawn.exit_code == 0, redrawn.output
    assert sorted(p.name for p in (out / "figures").glob("*.png")) == drawn
    # a changed study run without figures: the old figures would show the old runs
    (out / "runs" / next(p.name for p in (out / "runs").glob("*.nc"))).unlink()
    again = runner.invoke(app, ["run", str(write_study()), "--out", str(out), "--no-figures"])
    assert again.exit_code == 0 and "removed" in again.output
    assert not (out / "figures").exists()
