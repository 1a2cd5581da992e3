"""A study with a [robustness] table: timeliness, metric onsets and prediction written from
real runs of the transformer, and the table's mistakes refused before anything runs."""

import pandas as pd
import pytest

from bayesgrok.study.errors import StudyError
from bayesgrok.study.resolve import load_study
from bayesgrok.study.runner import run_study

STUDY = """
name = "robust"
[task]
name = "modular_pairs"
p = 11
train_fraction = 0.5
[model]
card = "nanda_transformer"
d_model = 16
n_heads = 2
d_mlp = 32
metrics = ["abelian", "information", "perturbation"]
[search]
optimizer = "adamw"
optimizer_args = { learning_rate = 3e-3, weight_decay = 1.0, betas = [0.9, 0.98] }
steps = 60
log = { every = 10 }
metrics_log = { every = 20 }
[sweep]
seeds = [0, 1]
grid = { "search.optimizer_args.weight_decay" = [0.1, 1.0] }
[robustness]
onsets = { abelian_train = 0.5 }
prediction = true
directions = { mid = -1, ed = -1, weight_norm = -1 }
"""


def test_robustness_outputs_cover_every_recorded_metric(write_study, tmp_path):
    out = tmp_path / "out"
    run_study(write_study(STUDY), out)
    timeliness = pd.read_csv(out / "timeliness.csv")
    metrics = set(timeliness["metric"])
    assert {"weight_norm", "abelian_train", "abelian_train_heldout_swap", "pe", "pmi", "mid",
            "ed", "perturbed_train_accuracy"} <= metrics
    assert "sharpness" not in metrics  # not measured
    assert len(timeliness) == 4 * len(metrics)  # 2 runs x 2 seeds per metric
    assert {"weight_decay", "seed", "sharpest_step", "val_onset", "distance"} <= set(
        timeliness.columns)
    measured = {0, 20, 40, 60}
    rows = timeliness[timeliness["metric"] == "pe"]["sharpest_step"].dropna()
    assert set(rows.astype(int)) <= measured  # a metric changes only where it was measured
    onsets = pd.read_csv(out / "metric_onsets.csv")
    assert set(onsets["metric"]) == {"abelian_train"} and len(onsets) == 4
    prediction = pd.read_csv(out / "prediction.csv")
    assert set(prediction["metric"]) == metrics
    mid = prediction[prediction["metric"] == "mid"]
    assert (mid["direction"] == -1).all()
    assert (prediction[prediction["metric"] == "pe"]["direction"] == 1).all()
    for name in ("metrics", "timeliness", "prediction"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 0


@pytest.mark.parametrize(("swap", "key"), [
    (('onsets = { abelian_train = 0.5 }', 'onsets = { sharpness = 0.5 }'),
     "robustness.onsets = 'sharpness'"),
    (('prediction = true', 'prediction = true\nmetrics = ["pe", "weight_norm"]'),
     "robustness.directions = 'mid'"),
    (('prediction = true', 'prediction = true\ncolour = "red"'),
     "robustness.colour = 'red': unknown key"),
    (('directions = { mid = -1,', 'directions = { mid = 2,'), "robustness.directions.mid"),
])
def test_mistakes_in_the_robustness_table_are_refused_by_key(write_study, swap, key):
    path = write_study(STUDY.replace(*swap))
    with pytest.raises(StudyError) as err:
        load_study(path)
    assert key in str(err.value) and str(path) in str(err.value)
