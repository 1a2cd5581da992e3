"""Study files: schema, sweep expansion, run ids, and each kind of bad input."""

import pytest

from bayesgrok.study.errors import StudyError
from bayesgrok.study.resolve import load_study
from bayesgrok.study.schema import studies_dir
from bayesgrok.study.suite import is_suite, load_suite


def test_shipped_studies_resolve():
    for path in sorted(studies_dir().glob("*.toml")):
        if is_suite(path):
            assert all(member.runs for member in load_suite(path).members), path
            continue
        study = load_study(path)
        assert study.runs, path


def test_a_suite_is_not_a_study():
    with pytest.raises(StudyError, match="is a suite"):
        load_study(studies_dir() / "hypothesis_cross_family.toml")


def test_sweep_expands_the_grid_and_fills_defaults(write_study):
    study = load_study(write_study())
    assert [r.swept for r in study.runs] == [{"complexity_weight": 1.0},
                                             {"complexity_weight": 0.0}]
    config = study.runs[1].config
    assert config["model"]["complexity_weight"] == 0.0
    assert config["model"]["noise_variance"] == 0.002  # from the model card
    assert config["task"]["n_points"] == 100  # the task's default
    assert config["seeds"] == [0, 1]


def test_run_ids_are_stable_and_follow_the_configuration(write_study):
    a = [r.run_id for r in load_study(write_study()).runs]
    b = [r.run_id for r in load_study(write_study()).runs]
    c = [r.run_id for r in load_study(write_study(epochs=7)).runs]
    assert a == b and len(set(a)) == 2
    assert set(a).isdisjoint(c)
    assert a[0].startswith("complexity_weight=1.0-")


def test_model_overrides_beat_the_card(write_study):
    text = """
    name = "override"
    [task]
    name = "linear_sign"
    [model]
    card = "miller_linear"
    prior_variance = 2.0
    [search]
    steps = 5
    """
    run = load_study(write_study(text)).runs[0]
    assert run.config["model"]["prior_variance"] == 2.0
    assert run.build_family().prior_variance == 2.0




@pytest.mark.parametrize(
    "old, new, key, value",
    [
        ('epochs = 10', 'epochs = 10\nlearning_rate = 0.1', "search.learning_rate", 0.1),
        ('name = "bad"', 'name = "bad"\ncolour = "red"', "colour", "red"),
        ('name = "linear_sign"', 'name = "linear_sign"\nn_pointz = 5', "task.n_pointz", 5),
        ('name = "linear_sign"', 'name = "linear_sign"\nn_points = "many"', "task.n_points",
         "many"),
        ('card = "miller_linear"', 'card = "miller_linear"\nlr = 1', "model.lr", 1),
        ('epochs = 10', 'epochs = "many"', "search.epochs", "many"),
        ('epochs = 10', 'epochs = 0', "search.epochs", 0),
        ('name = "linear_sign"', 'name = "linear_sigh"', "task.name", "linear_sigh"),
        ('card = "miller_linear"', 'card = "no_such_card"', "model.card", "no_such_card"),
        ('card = "miller_linear"', 'family = "gaussian_blob"', "model.family", "gaussian_blob"),
        ('optimizer = "sgd"', 'optimizer = "adamm"', "search.optimizer", "adamm"),
        ('learning_rate = 1e-3', 'learning_rat = 1e-3', "search.optimizer_args.learning_rat",
         1e-3),
        ('card = "miller_linear"', 'card = "miller_linear"\nnoise_variance = -1.0',
         "model.noise_variance", -1.0),
        ('name = "linear_sign"', 'name = "linear_sign"\nn_train = 500', "task", None),
        ('epochs = 10', 'epochs = 10\nsnapshots = [5, 11]', "search.snapshots", [5, 11]),
    ],
)
def test_bad_input_names_file_key_and_value(write_study, minimal_study, old, new, key, value):
    path = write_study(minimal_study.replace(old, new, 1))
    with pytest.raises(StudyError) as info:
        load_study(path)
    err = info.value
    assert err.file == str(path)
    assert err.key == key
    if value is not None:
        assert err.value == value
        assert repr(value) in str(err)


def test_missing_required_keys_and_syntax_errors(write_study, minimal_study):
    with pytest.raises(StudyError, match="search: required key is missing"):
        load_study(write_study(minimal_study.split("[search]")[0]))
    with pytest.raises(StudyError, match="TOML syntax error"):
        load_study(write_study("name = [unclosed"))
    with pytest.raises(StudyError, match="file not found"):
        load_study("nowhere/study.toml")


def test_bad_sweep_key(write_study, minimal_study):
    text = minimal_study + '[sweep]\ngrid = { "trainer.lr" = [1, 2] }\n'
    with pytest.raises(StudyError, match="start with task., model., search. or label."):
        load_study(write_study(text))
    text = minimal_study + '[sweep]\ngrid = { "search.epochs" = [10, -1] }\n'
    with pytest.raises(StudyError) as info:
        load_study(write_study(text))
    assert info.value.key == "search.epochs" and info.value.value == -1


def test_zipped_sweep_with_labels_takes_values_together(write_study, minimal_study):
    text = minimal_study + """
[sweep]
grid = { "model.prior_variance" = [0.5, 1.0] }
[sweep.zip]
"label.start" = ["A", "B", "C"]
"model.complexity_weight" = [1.0, 0.5, 0.0]
"search.optimizer_args.learning_rate" = [1e-3, 2e-3, 3e-3]
"""
    study = load_study(write_study(text))
    assert len(study.runs) == 6
    swept = [r.swept for r in study.runs]
    assert swept[0] == {"prior_variance": 0.5, "start": "A", "complexity_weight": 1.0,
                        "learning_rate": 1e-3}
    assert [s["start"] for s in swept] == ["A", "B", "C"] * 2
    run_c = study.runs[2]
    assert run_c.config["model"]["complexity_weight"] == 0.0
    assert run_c.search.optimizer_args["learning_rate"] == 3e-3
    assert "label" not in run_c.config


def test_whole_tables_are_swept_before_the_keys_inside_them(write_study, minimal_study):
    text = minimal_study + """
[sweep]
grid = { "model.complexity_weight" = [1.0, 0.0] }
[sweep.zip]
"label.kind" = ["linear", "gp"]
"task" = [{ name = "linear_sign" }, { name = "zero_one", n_train = 10 }]
"model" = [{ card = "miller_linear" }, { card = "miller_gp_classifier" }]
"""
    study = load_study(write_study(text))
    assert [(r.family, r.task, r.family_params["complexity_weight"]) for r in study.runs] == [
        ("linear", "linear_sign", 1.0), ("gp_classification", "zero_one", 1.0),
        ("linear", "linear_sign", 0.0), ("gp_classification", "zero_one", 0.0)]
    assert study.runs[1].task_params == {"n_train": 10}
    assert study.runs[3].config["task"]["n_train"] == 10


def test_a_swept_whole_table_needs_tables(write_study, minimal_study):
    text = minimal_study + """
[sweep.zip]
"task" = ["linear_sign", "zero_one"]
"""
    with pytest.raises(StudyError, match="must be tables") as info:
        load_study(write_study(text))
    assert info.value.key.startswith("sweep")


def test_zipped_lists_must_have_one_length(write_study, minimal_study):
    text = minimal_study + '[sweep.zip]\n"label.a" = [1, 2]\n"model.prior_variance" = [1.0]\n'
    with pytest.raises(StudyError, match="one length"):
        load_study(write_study(text))
