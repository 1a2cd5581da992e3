"""The guide's "Adding a family" example: one module, one registry line, and a study runs
it; a family can also be named by a dotted path or an entry point."""

from __future__ import annotations

import numpy as np
import pytest

from bayesgrok.families import FAMILIES, UnknownFamilyError, family_class, family_target
from bayesgrok.study.errors import StudyError
from bayesgrok.study.resolve import load_study
from bayesgrok.study.runner import run_study

STUDY = """
name = "rff"
description = "random features on the noisy sine"
[task]
name = "noisy_sine"
[model]
family = "{family}"
n_features = 64
lengthscale = 0.5
[search]
optimizer = "adamw"
optimizer_args = {{ learning_rate = 0.05, weight_decay = 0.1 }}
steps = 300
log = {{ every = 100 }}
[sweep]
seeds = [0, 1]
[analysis]
mse_threshold = 0.05
"""


def test_a_study_runs_the_new_family_and_only_its_output_weights_move(tmp_path):
    assert FAMILIES["random_features"].endswith(":RandomFeatures")
    path = tmp_path / "rff.toml"
    path.write_text(STUDY.format(family="random_features"))
    ds = run_study(path, tmp_path / "out", figures=False, report=False).dataset
    assert (ds["status"] == "ok").all()
    mse = ds["train_mse"].isel(run=0)
    assert (mse.isel(step=-1) < 0.5 * mse.isel(step=0)).all()  # it learns the sine
    assert (ds["complexity"].isel(run=0, step=0) == 0).all()  # w starts at 0 ...
    assert (ds["complexity"].isel(run=0, step=-1) > 0).all()  # ... and moves


def test_a_family_can_be_named_by_a_dotted_path(tmp_path):
    target = "bayesgrok.families.random_features:RandomFeatures"
    assert family_class(target).__name__ == "RandomFeatures"
    path = tmp_path / "rff.toml"
    path.write_text(STUDY.format(family=target))
    assert load_study(path).runs[0].family == target


def test_unknown_or_broken_dotted_paths_are_refused_naming_them(tmp_path):
    with pytest.raises(UnknownFamilyError, match="cannot import 'no_such_pkg.mod'"):
        family_class("no_such_pkg.mod:Thing")
    with pytest.raises(UnknownFamilyError, match="has no 'Nope'"):
        family_class("bayesgrok.families.linear:Nope")
    with pytest.raises(UnknownFamilyError, match="dotted path"):
        family_target("no_such_family")
    path = tmp_path / "bad.toml"
    path.write_text(STUDY.format(family="no_such_pkg.mod:Thing"))
    with pytest.raises(StudyError, match="model.family"):
        load_study(path)


def test_an_entry_point_registers_a_family(monkeypatch):
    import importlib.metadata as md

    from bayesgrok import families

    class EP:
        name, value = "rff_plugin", "bayesgrok.families.random_features:RandomFeatures"

    def entry_points(group=None):
        return [EP()] if group == families.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(md, "entry_points", entry_points)
    assert family_class("rff_plugin").__name__ == "RandomFeatures"
    assert np.isclose(family_class("rff_plugin")(lengthscale=2.0).lengthscale, 2.0)
