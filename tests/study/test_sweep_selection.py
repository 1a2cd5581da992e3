"""Selecting a study's runs by swept values, on a study read back from its netCDF file."""

from __future__ import annotations

import pytest
import xarray as xr

import bayesgrok  # noqa: F401  (registers ds.sweep)
from bayesgrok.study.runner import run_study
from bayesgrok.sweep_selection import SweepIndex

STUDY = """
name = "two_keys"
[task]
name = "linear_sign"
[model]
card = "miller_linear"
[search]
optimizer = "sgd"
optimizer_args = { learning_rate = 1e-3 }
epochs = 20
log = { every = 10 }
[sweep]
seeds = [0, 1]
[sweep.grid]
"model.complexity_weight" = [1.0, 0.0]
"search.optimizer_args.learning_rate" = [1e-3, 2e-3]
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    (folder / "s.toml").write_text(STUDY)
    return run_study(folder / "s.toml", folder / "out", figures=False, report=False).out


@pytest.fixture(scope="module")
def study(folder) -> xr.Dataset:
    return xr.open_dataset(folder / "study.nc").load()


def test_two_swept_values_select_one_run(study):
    names = study.sweep.names
    assert len(names) == 2 and "complexity_weight" in names
    other = next(n for n in names if n != "complexity_weight")
    one = study.sweep.sel(complexity_weight=0.0, **{other: 2e-3})
    assert "run" not in one.dims  # like sel with scalars
    assert float(one["complexity_weight"]) == 0.0 and float(one[other]) == 2e-3
    # the same run as a boolean mask over the coordinates gives
    mask = (study["complexity_weight"] == 0.0) & (study[other] == 2e-3)
    assert str(one["run"].values) == str(study["run"].values[mask.values][0])
    xr.testing.assert_identical(one["error"], study["error"].isel(run=int(mask.argmax(dim="run"))))


def test_one_value_keeps_every_matching_run(study):
    part = study.sweep.sel(complexity_weight=1.0)
    assert part.sizes["run"] == 2
    assert (part["complexity_weight"] == 1.0).all()


def test_dotted_key_with_underscores(study):
    a = study.sweep.sel(model_complexity_weight=1.0)
    b = study.sweep.sel(complexity_weight=1.0)
    assert a["run"].values.tolist() == b["run"].values.tolist()


def test_unknown_key_and_missing_value_say_what_there_is(study):
    with pytest.raises(KeyError, match="swept: .*complexity_weight"):
        study.sweep.sel(weight_decay=1.0)
    with pytest.raises(KeyError, match=r"no run has .*'complexity_weight': \['0.0', '1.0'\]"):
        study.sweep.sel(complexity_weight=0.5)


def test_open_study_selects_on_two_swept_values_with_plain_sel(folder, study):
    ds = bayesgrok.open_study(folder)
    rate = next(n for n in ds.sweep.names if n != "complexity_weight")
    one = ds.sel(complexity_weight=0.0, **{rate: 2e-3})
    assert "run" not in one.dims
    xr.testing.assert_equal(one["error"], study.sweep.sel(complexity_weight=0.0,
                                                          **{rate: 2e-3})["error"])
    part = ds.sel(complexity_weight=1.0)  # one of the two: every run that has it
    assert part.sizes["run"] == 2 and (part["complexity_weight"] == 1.0).all()
    assert part.sel(**{rate: 1e-3})["run"].ndim == 0  # the index follows the selection
    both = ds.sel(complexity_weight=[1.0, 0.0], **{rate: 2e-3})
    assert both.sizes["run"] == 2
    first = ds.sel(run=str(ds["run"].values[0]))  # run ids still select
    assert float(first["complexity_weight"]) == float(ds["complexity_weight"][0])
    assert ds.sweep.names == study.sweep.names  # indexed, they are still the swept values
    with pytest.raises(KeyError, match="no run has"):
        ds.sel(complexity_weight=0.5)


def test_an_indexed_study_writes_and_reads_back(folder, tmp_path):
    from bayesgrok import trajectory

    ds = bayesgrok.open_study(folder / "study.nc")
    trajectory.write(ds.isel(run=[0, 1]), tmp_path / "part.nc", study=True)
    again = bayesgrok.open_study(tmp_path / "part.nc")
    assert again.sizes["run"] == 2
    xr.testing.assert_identical(again.drop_indexes(again.sweep.names),
                                ds.isel(run=[0, 1]).drop_indexes(ds.sweep.names))
    joined = xr.concat([ds.isel(run=[0]), ds.isel(run=[1])], dim="run")
    assert isinstance(joined.xindexes["complexity_weight"], SweepIndex)
    xr.testing.assert_identical(joined, ds.isel(run=[0, 1]))


def test_open_study_names_a_folder_without_a_study(tmp_path):
    with pytest.raises(bayesgrok.trajectory.TrajectoryError, match="no study file"):
        bayesgrok.open_study(tmp_path)
