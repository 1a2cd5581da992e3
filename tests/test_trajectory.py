"""The trajectory schema: validation, atomic netCDF round trip, combining runs."""

import json

import numpy as np
import pytest

from bayesgrok import trajectory
from bayesgrok.trajectory import TrajectoryError, combine, example, read, validate, write


def test_round_trip_is_exact(tmp_path):
    ds = example()
    back = read(write(ds, tmp_path / "r.nc"))
    for var in ds.data_vars:
        np.testing.assert_array_equal(back[var].values, ds[var].values)
    assert back.attrs["config"] == ds.attrs["config"]
    assert back["step"].dtype.kind == "i"


def test_write_leaves_no_temporary_files(tmp_path):
    write(example(), tmp_path / "r.nc")
    assert [p.name for p in tmp_path.iterdir()] == ["r.nc"]


def test_invalid_dataset_is_not_written(tmp_path):
    bad = example().drop_vars("val_error")
    with pytest.raises(TrajectoryError, match="val_error"):
        write(bad, tmp_path / "r.nc")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "break_it, message",
    [
        (lambda ds: ds.drop_dims("seed"), "seed"),
        (lambda ds: ds.assign_coords(step=ds["step"].values[::-1]), "increasing"),
        (lambda ds: ds.assign(status=("seed", np.array(["ok", "exploded"], dtype=object))),
         "status"),
        (lambda ds: ds.drop_vars("val_accuracy"), "val_accuracy"),
        (lambda ds: ds.assign_attrs(config="{not json"), "JSON"),
        (lambda ds: ds.assign_attrs(task_kind="ranking"), "task_kind"),
    ],
)
def test_validation_names_what_is_wrong(break_it, message):
    with pytest.raises(TrajectoryError, match=message):
        validate(break_it(example()))


def test_read_rejects_a_truncated_file(tmp_path):
    path = write(example(), tmp_path / "r.nc")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(TrajectoryError, match="not a readable"):
        read(path)


def test_combine_puts_sweep_values_on_run_and_keeps_configs(tmp_path):
    a, b = example(), example(steps=(0, 1, 10, 100, 1000))
    b.attrs["config"] = json.dumps({"search": {"optimizer": "adam"}})
    ds = combine({"a": a, "b": b}, {"lr": [0.1, 0.2]})
    assert ds["lr"].dims == ("run",)
    assert ds.sizes["step"] == 5
    assert np.isnan(ds["error"].sel(run="a", step=1000)).all()
    assert json.loads(str(ds["config"].sel(run="b").item()))["search"]["optimizer"] == "adam"
    back = read(write(ds, tmp_path / "study.nc", study=True), study=True)
    assert back["lr"].values.tolist() == [0.1, 0.2]


def test_combine_checks_sweep_lengths():
    with pytest.raises(TrajectoryError, match="values for 1 runs"):
        combine({"a": example()}, {"lr": [0.1, 0.2]})


def test_config_of_reads_the_json():
    assert trajectory.config_of(example()) == {"search": {"optimizer": "sgd"}}


def test_combine_fills_a_step_coordinate_some_runs_lack():
    with_epoch = example().assign_coords(epoch=("step", np.arange(4) * 0.5))
    study = combine({"a": with_epoch, "b": example()}, {"lr": [0.1, 0.2]})
    assert study["epoch"].sel(run="a").values.tolist() == [0.0, 0.5, 1.0, 1.5]
    assert np.isnan(study["epoch"].sel(run="b").values).all()


@pytest.mark.parametrize("kind", ["linear", "gp_regression", "mlp"])
def test_every_variable_of_a_trajectory_says_what_it_is(kind):
    """CF-style long_name, units and description on every variable (issue 22, item 3)."""
    from bayesgrok.families import make_family
    from bayesgrok.search.config import SearchConfig
    from bayesgrok.search.engines import engine_for
    from bayesgrok.tasks import make_task

    task = {"linear": ("linear_sign", {}), "gp_regression": ("noisy_sine", {}),
            "mlp": ("parity", {"n_points": 40, "n_train": 30})}[kind]
    splits = [make_task(task[0], seed=0, **task[1])]
    family = make_family(kind)
    args = {"lr": 0.01} if kind == "mlp" else {"learning_rate": 0.01}
    cfg = SearchConfig(optimizer="adam", optimizer_args=args, steps=4, log={"every": 2})
    ds, _ = engine_for(family)(family, splits, cfg)
    for name, var in ds.data_vars.items():
        assert {"long_name", "units", "description"} <= set(var.attrs), name
    if ds.attrs.get("objective_note"):
        assert ds.attrs["objective_note"] in ds["error"].attrs["description"]
