"""Trajectories to ArviZ: chains are seeds, draws are steps; R-hat; netCDF round trip."""

import numpy as np
import pytest
import xarray as xr

from bayesgrok.analysis.inference_data import (
    plot_trajectory_trace,
    rhat_across_seeds,
    trajectory_to_datatree,
)
from bayesgrok.trajectory import combine, example


def _noise(offsets):
    rng = np.random.default_rng(1)
    values = rng.normal(size=(len(offsets), 400)) + np.asarray(offsets)[:, None]
    lengths = rng.uniform(size=(len(offsets), 400, 3))
    return xr.Dataset(
        {"a": (("seed", "step"), values), "ls": (("seed", "step", "input_dim"), lengths)},
        coords={"seed": np.arange(len(offsets)), "step": np.arange(0, 4000, 10)},
    )


def test_seeds_become_chains_and_steps_draws_with_extra_dims_kept():
    dt = trajectory_to_datatree(_noise([0, 0, 0]))
    assert dict(dt.posterior["a"].sizes) == {"chain": 3, "draw": 400}
    assert dt.posterior["ls"].dims == ("chain", "draw", "input_dim")
    assert dt.posterior["draw"].values[-1] == 3990


def test_rhat_tells_settled_seeds_from_seeds_in_different_places():
    assert float(rhat_across_seeds(_noise([0, 0, 0]), ["a"])["a"]) < 1.01
    assert float(rhat_across_seeds(_noise([0, 3, 6]), ["a"])["a"]) > 1.5


def test_study_datasets_need_one_run_selected():
    study = combine({"r": example()})
    with pytest.raises(ValueError, match="select one run"):
        trajectory_to_datatree(study)
    assert trajectory_to_datatree(study.sel(run="r"), ["error"]).posterior["error"].size == 8


def test_round_trip_through_netcdf(tmp_path):
    dt = trajectory_to_datatree(_noise([0, 1]))
    path = tmp_path / "idata.nc"
    dt.to_netcdf(path, engine="h5netcdf")
    back = xr.open_datatree(path, engine="h5netcdf")
    xr.testing.assert_identical(back.posterior.to_dataset().load(),
                                dt.posterior.to_dataset())


def test_trace_plot_is_written(tmp_path):
    plot_trajectory_trace(_noise([0, 1]), ["a"], tmp_path / "trace.png")
    assert (tmp_path / "trace.png").stat().st_size > 0
