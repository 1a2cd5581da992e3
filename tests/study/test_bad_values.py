"""Every bad value is refused before any work (issue 21): exit 2, one line per error with
file, key and value, plain words, nothing written."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bayesgrok.cli import app

BASE = """
name = "bad"
description = "a study with a bad value"
[task]
name = "linear_sign"
[model]
card = "{card}"
[search]
optimizer = "{optimizer}"
{search}
[sweep]
seeds = [0]
"""

CASES = {
    "string learning rate": ("sgd", 'epochs = 5\noptimizer_args = { learning_rate = "fast" }',
                             "search.optimizer_args.learning_rate = 'fast'"),
    "list learning rate": ("sgd", "epochs = 5\noptimizer_args = { learning_rate = [1, 2] }",
                           "search.optimizer_args.learning_rate = [1, 2]"),
    "nan learning rate": ("sgd", "epochs = 5\noptimizer_args = { learning_rate = nan }",
                          "positive finite number"),
    "inf learning rate": ("sgd", "epochs = 5\noptimizer_args = { learning_rate = inf }",
                          "positive finite number"),
    "negative learning rate": ("sgd", "epochs = 5\noptimizer_args = { learning_rate = -0.1 }",
                               "positive finite number"),
    "adam b1 a string": ("adam", 'epochs = 5\noptimizer_args = { learning_rate = 1e-3, '
                         'b1 = "x" }', "search.optimizer_args.b1 = 'x': optimizer 'adam': b1 "
                         "must be a number"),
    "adam b1 a boolean": ("adam", "epochs = 5\noptimizer_args = { learning_rate = 1e-3, "
                          "b1 = true }", "not true or false"),
    "epochs a boolean": ("sgd", "epochs = true", "search.epochs = True"),
    "epochs a float": ("sgd", "epochs = 1e12", "search.epochs = 1000000000000.0"),
    "epochs past the limit": ("sgd", "epochs = 1000000000000", "less than or equal to"),
    "too many logged steps": ("sgd", "steps = 100000000", "search.log"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_value_is_refused_naming_file_key_and_value(tmp_path, case):
    optimizer, search, expected = CASES[case]
    path = tmp_path / "bad.toml"
    path.write_text(BASE.format(card="miller_linear", optimizer=optimizer, search=search))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "bad.toml" in result.output and expected in result.output, result.output
    assert "Traceback" not in result.output and "constrained" not in result.output
    assert not out.exists()  # nothing written


def test_every_error_of_a_file_is_reported_together(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BASE.format(card="miller_linear", optimizer="sgd",
                                search="steps = 0\nbatch_size = -3\nsnapshot_draws = -1"))
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if "bad.toml" in line]
    keys = ("search.steps = 0", "search.batch_size = -3", "search.snapshot_draws = -1")
    assert all(any(k in line for line in lines) for k in keys), result.output
    assert "constrained-int" not in result.output
