"""Concealment (REFERENCE A4): the exponential gap fit, the per-seed table, the study table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bayesgrok.analysis.concealment import (
    concealment_fit,
    concealment_table,
    fit_exponential_gap,
    log_gap,
)
from bayesgrok.plots.concealment import plot_concealment
from bayesgrok.study.errors import StudyError
from bayesgrok.study.resolve import load_study
from bayesgrok.study.runner import run_study
from bayesgrok.trajectory import combine, example, validate

L = np.array([0, 10, 20, 30, 40])


# --- the fit ----------------------------------------------------------------------------


def test_fit_recovers_a_and_b_from_exact_gaps():
    fit = fit_exponential_gap(L, 3.0 * np.exp(0.08 * L))
    assert fit["a"] == pytest.approx(0.08, abs=1e-12)
    assert fit["b"] == pytest.approx(3.0, rel=1e-12)
    assert fit["r"] == pytest.approx(1.0, abs=1e-12)
    assert fit["p"] < 1e-6 and fit["n"] == 5


def test_fit_recovers_a_and_b_from_noisy_gaps():
    rng = np.random.default_rng(0)
    l = np.repeat(L, 6)  # noqa: E741
    gap = 5.0 * np.exp(0.07 * l + rng.normal(0.0, 0.1, l.size))
    fit = fit_exponential_gap(l, gap)
    assert fit["a"] == pytest.approx(0.07, abs=0.005)
    assert fit["b"] == pytest.approx(5.0, rel=0.15)
    assert fit["r"] > 0.98 and fit["p"] < 1e-10 and fit["n"] == 30


def test_non_positive_gaps_count_as_y_zero():
    l = [0, 10, 20, 30]  # noqa: E741
    gap = [-5.0, 0.0, np.e, np.e**2]
    assert log_gap(gap).tolist() == pytest.approx([0.0, 0.0, 1.0, 2.0])
    fit = fit_exponential_gap(l, gap)
    line = stats.linregress(l, [0.0, 0.0, 1.0, 2.0])
    r, p = stats.pearsonr(l, [0.0, 0.0, 1.0, 2.0])
    assert fit["a"] == pytest.approx(line.slope)
    assert fit["b"] == pytest.approx(np.exp(line.intercept))
    assert (fit["r"], fit["p"]) == pytest.approx((r, p))


def test_nan_pairs_are_left_out_and_degenerate_inputs_give_nan():
    fit = fit_exponential_gap([0, 10, np.nan, 20], [1.0, np.e, 5.0, np.nan])
    assert fit["n"] == 2 and fit["a"] == pytest.approx(0.1)
    same_l = fit_exponential_gap([10, 10, 10], [1.0, 2.0, 3.0])
    assert np.isnan(same_l["a"]) and same_l["n"] == 3
    flat = fit_exponential_gap([0, 10, 20], [4.0, 4.0, 4.0])
    assert flat["a"] == 0.0 and flat["b"] == pytest.approx(4.0) and np.isnan(flat["r"])
    with pytest.raises(ValueError, match="differ in length"):
        fit_exponential_gap([0, 1], [1.0])


def test_fit_pooled_and_per_group():
    rows = [{"op": op, "l": bits, "gap": b * np.exp(a * bits), "censored": False, "in_fit": True}
            for op, a, b in (("x", 0.05, 2.0), ("y", 0.1, 4.0)) for bits in L]
    rows.append({"op": "y", "l": 40, "gap": 1e9, "censored": True, "in_fit": False})
    fit = concealment_fit(pd.DataFrame(rows), "l", "op").set_index("group")
    assert list(fit.index) == ["pooled", "x", "y"]
    assert fit.loc["x", "a"] == pytest.approx(0.05) and fit.loc["x", "b"] == pytest.approx(2.0)
    assert fit.loc["y", "a"] == pytest.approx(0.1) and fit.loc["y", "b"] == pytest.approx(4.0)
    assert fit.loc["pooled", "a"] == pytest.approx(0.075)  # the mean slope, same l design
    assert fit["n"].tolist() == [10, 5, 5]
    assert fit["n_excluded"].tolist() == [1, 0, 1]
    with pytest.raises(ValueError, match="length"):
        concealment_fit(pd.DataFrame(rows))


# --- the table of a study dataset --------------------------------------------------------

STEPS = np.arange(0, 201, 10)


def trajectory(val_steps: list[int | None], status: list[str] | None = None):
    """Two seeds; train accuracy crosses at step 20, validation at ``val_steps`` (None:
    never); 1 epoch = 4 steps."""
    ds = example(n_seeds=len(val_steps), steps=STEPS)
    train = np.where(STEPS >= 20, 1.0, 0.5)
    val = [np.where(STEPS >= (s if s is not None else 10**9), 1.0, 0.5) for s in val_steps]
    ds["train_accuracy"] = (("seed", "step"), np.tile(train, (len(val_steps), 1)))
    ds["val_accuracy"] = (("seed", "step"), np.stack(val))
    ds["status"] = ("seed", np.asarray(status or ["ok"] * len(val_steps), dtype=object))
    ds.attrs["total_steps"] = 200
    return validate(ds.assign_coords(epoch=("step", STEPS / 4)))


def synthetic_study():
    runs = {"a0": trajectory([40, 60]), "a1": trajectory([100, None]),
            "b0": trajectory([20, 30]), "b1": trajectory([180, 120], ["ok", "diverged"])}
    sweep = {"operation": ["add", "add", "quad", "quad"], "n_extra_bits": [0, 20, 0, 20]}
    return combine(runs, sweep)


def test_table_has_gaps_in_epochs_per_run_and_seed():
    table = concealment_table(synthetic_study(), "n_extra_bits", "operation")
    assert list(table.columns[:4]) == ["run", "operation", "n_extra_bits", "seed"]
    assert table["run"].tolist() == ["a0", "a0", "a1", "a1", "b0", "b0", "b1", "b1"]
    assert (table["train_onset"] == 5.0).all()  # step 20 / 4 steps per epoch
    assert table["gap"].tolist() == [5.0, 10.0, 20.0, 45.0, 0.0, 2.5, 40.0, 25.0]
    assert table["censored"].tolist() == [False, False, False, True] + [False] * 4
    assert table["in_fit"].tolist() == [True] * 7 + [False]  # the diverged seed
    assert table["in_fit"].dtype == bool and table["censored"].dtype == bool
    assert table["y"].iloc[4] == 0.0 and np.isnan(table["y"].iloc[7])
    assert table["y"].iloc[3] == pytest.approx(np.log(45.0))  # censored: 50 - 5 epochs
    assert (table["unit"] == "epochs").all()
    fit = concealment_fit(table).set_index("group")
    assert fit["n"].tolist() == [7, 4, 3]
    assert fit["n_censored"].tolist() == [1, 1, 0]
    assert fit["n_excluded"].tolist() == [1, 0, 1]
    expected = fit_exponential_gap([0, 0, 20, 20], [5.0, 10.0, 20.0, 45.0])
    assert fit.loc["add", "a"] == pytest.approx(expected["a"])


def test_censored_seeds_can_be_dropped():
    table = concealment_table(synthetic_study(), "n_extra_bits", "operation", censored="drop")
    assert table["in_fit"].tolist() == [True, True, True, False, True, True, True, False]
    fit = concealment_fit(table).set_index("group")
    assert fit.loc["add", "n"] == 3 and fit.loc["add", "n_excluded"] == 1
    with pytest.raises(ValueError, match="censored"):
        concealment_table(synthetic_study(), "n_extra_bits", censored="keep")  # type: ignore


def test_table_refuses_unknown_coordinates_and_single_runs():
    with pytest.raises(ValueError, match="length 'l' is not a coordinate on 'run'"):
        concealment_table(synthetic_study(), "l", "operation")
    with pytest.raises(ValueError, match="study dataset"):
        concealment_table(trajectory([40, 60]), "n_extra_bits", None)


def test_figure_is_written(tmp_path):
    table = concealment_table(synthetic_study(), "n_extra_bits", "operation")
    fig = plot_concealment(table, path=tmp_path / "f" / "concealment.png")
    assert (tmp_path / "f" / "concealment.png").read_bytes()[:4] == b"\x89PNG"
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("pooled: a=") and "b=" in labels[0] and "r=" in labels[0]
    assert [lab.split(":")[0] for lab in labels[1:]] == ["add", "quad"]


# --- the study table [concealment] --------------------------------------------------------

MODULAR_STUDY = """
name = "conceal_tiny"
[task]
name = "modular"
n_samples = 120
n_train = 90
[model]
card = "miller_concealment_mlp"
widths = [32]
[search]
optimizer = "sgd"
optimizer_args = {{ learning_rate = 0.1, weight_decay = 1e-2 }}
epochs = 6
batch_size = 32
log = {{ every = 3 }}
[sweep]
seeds = [0]
grid = {{ "task.operation" = ["add", "quad"], "task.n_extra_bits" = [0, 4] }}
[concealment]
length = "{length}"
group = "{group}"
"""


def test_concealment_keys_must_be_swept(write_study):
    text = MODULAR_STUDY.format(length="task.n_samples", group="task.operation")
    with pytest.raises(StudyError) as info:
        load_study(write_study(text, name="bad.toml"))
    err = info.value
    assert err.key == "concealment.length" and err.value == "task.n_samples"
    assert "bad.toml" in str(err) and "task.operation, task.n_extra_bits" in str(err)
    text = MODULAR_STUDY.format(length="task.n_extra_bits", group="task.p")
    with pytest.raises(StudyError) as info:
        load_study(write_study(text))
    assert info.value.key == "concealment.group" and info.value.value == "task.p"
    text = MODULAR_STUDY.format(length="task.operation", group="task.n_extra_bits")
    with pytest.raises(StudyError, match="must be numbers"):
        load_study(write_study(text))


def test_a_concealment_study_writes_its_table_fit_and_figure(write_study, tmp_path):
    text = MODULAR_STUDY.format(length="task.n_extra_bits", group="task.operation")
    out = tmp_path / "out"
    result = run_study(write_study(text), out)
    assert len(result.computed) == 4 and not result.failed
    table = pd.read_csv(out / "concealment.csv")
    assert len(table) == 4
    assert sorted(zip(table["operation"], table["n_extra_bits"], strict=True)) == [
        ("add", 0), ("add", 4), ("quad", 0), ("quad", 4)]
    assert table["gap"].notna().all() and (table["unit"] == "epochs").all()
    assert (table["val_onset"] <= 6.1).all()  # epochs (17 steps of 32 on 90 points), not steps
    fit = pd.read_csv(out / "concealment_fit.csv")
    assert fit["group"].tolist() == ["pooled", "add", "quad"]
    assert {"a", "b", "r", "p", "n", "n_censored", "n_excluded"} <= set(fit.columns)
    assert fit["n"].tolist() == [4, 2, 2]
    assert (out / "figures" / "concealment.png").stat().st_size > 0
