"""A results folder belongs to one study (issue 21): another study or an edited one is
refused before any work and named; --force clears the stale outputs, naming them; a study
whose every run fails still leaves its records and exits 1; --out is checked first."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from bayesgrok.cli import app
from bayesgrok.study import compute

STUDY = """
name = "{name}"
description = "a tiny linear study"
[task]
name = "linear_sign"
[model]
card = "miller_linear"
[search]
optimizer = "sgd"
optimizer_args = {{ learning_rate = 1e-3 }}
epochs = 30
log = {{ every = 10 }}
[sweep]
seeds = {seeds}
"""

runner = CliRunner()


def _run(path, out, *extra):
    return runner.invoke(app, ["run", str(path), "--out", str(out), "--no-figures", *extra])


def test_another_study_into_the_same_folder_is_refused_and_changes_nothing(tmp_path):
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text(STUDY.format(name="alpha", seeds="[0, 1]"))
    second.write_text(STUDY.format(name="beta", seeds="[0, 1]"))
    out = tmp_path / "out"
    assert _run(first, out).exit_code == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    result = _run(second, out)
    assert result.exit_code == 2
    assert "not this study's" in result.output and "'alpha'" in result.output
    after = {p.name: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert after == before  # nothing written, nothing replaced
    assert json.loads((out / "study.json").read_text())["study"] == "alpha"


def test_an_edited_study_is_refused_then_force_names_what_it_removes(tmp_path):
    path, out = tmp_path / "s.toml", tmp_path / "out"
    path.write_text(STUDY.format(name="alpha", seeds="[0, 1]"))
    assert _run(path, out).exit_code == 0
    old_runs = sorted(p.name for p in (out / "runs").glob("*.nc"))
    path.write_text(STUDY.format(name="alpha", seeds="[0, 1, 2]"))  # edited: a new seed
    refused = _run(path, out)
    assert refused.exit_code == 2 and "edited" in refused.output
    forced = _run(path, out, "--force")
    assert forced.exit_code == 0, forced.output
    assert "removed" in forced.output and old_runs[0] in forced.output, forced.output
    assert (out / "study.nc").is_file()
    assert sorted(pd.read_csv(out / "summary.csv")["seed"].unique()) == [0, 1, 2]
    again = _run(path, out)  # the same study resumes: everything is reused
    assert again.exit_code == 0 and "0 runs computed" in again.output


def test_out_that_is_a_file_is_refused_before_any_work(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(STUDY.format(name="alpha", seeds="[0]"))
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    result = _run(path, blocker)
    assert result.exit_code == 2 and "--out" in result.output and "not a folder" in result.output
    assert blocker.read_text() == "not a folder"


def test_a_study_whose_every_run_fails_leaves_its_records_and_exits_1(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom: the engine broke")

    monkeypatch.setattr(compute, "execute_with_artifacts", boom)
    path, out = tmp_path / "s.toml", tmp_path / "out"
    path.write_text(STUDY.format(name="alpha", seeds="[0, 1]"))
    result = _run(path, out)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "boom" in result.output
    table = pd.read_csv(out / "summary.csv")
    assert set(table["status"]) == {"failed"} and table["traceback"].str.contains("boom").all()
    assert (out / "study.nc").is_file() and (out / "failures.json").is_file()


@pytest.mark.parametrize("name", ["study.json"])
def test_a_folder_made_before_the_marker_is_adopted_when_its_runs_belong(tmp_path, name):
    path, out = tmp_path / "s.toml", tmp_path / "out"
    path.write_text(STUDY.format(name="alpha", seeds="[0]"))
    assert _run(path, out).exit_code == 0
    (out / name).unlink()  # as an older bayesgrok left it
    assert _run(path, out).exit_code == 0
    assert (out / name).is_file()


def test_an_unreachable_scheduler_stops_the_study_at_once_naming_it(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(STUDY.format(name="alpha", seeds="[0]"))
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "out"),
                                 "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2, result.output
    assert "tcp://127.0.0.1:1" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_second_process_on_the_same_folder_is_refused_at_once(tmp_path):
    import subprocess
    import sys
    import textwrap
    import time

    from bayesgrok.study.folder import LOCK

    path, out = tmp_path / "s.toml", tmp_path / "out"
    path.write_text(STUDY.format(name="alpha", seeds="[0]").replace("epochs = 30",
                                                                     "epochs = 3000000"))
    code = textwrap.dedent(f"""
        from bayesgrok.study.runner import run_study
        run_study({str(path)!r}, {str(out)!r}, figures=False, report=False)
    """)
    first = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(1200):  # until the first process holds the folder
            if (out / LOCK).exists() or first.poll() is not None:
                break
            time.sleep(0.1)
        assert (out / LOCK).exists()
        second = _run(path, out)
        assert second.exit_code == 2, second.output
        assert f"pid {first.pid}" in second.output and "another bayesgrok process" in \
            second.output
    finally:
        first.kill()
        first.wait()
    assert (out / LOCK).exists()  # left behind by the killed holder ...
    stale = out / ".study.nc.abc123.tmp"  # ... with a temporary beside study.nc
    stale.write_text("half")
    path.write_text(STUDY.format(name="alpha", seeds="[0]"))
    again = _run(path, out, "--force")  # the dead holder's lock is taken over
    assert again.exit_code == 0, again.output
    assert not stale.exists() and not (out / LOCK).exists()
