"""Landscapes: vectorised evaluation, the minimum where optimisation ends, settling steps."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr

from bayesgrok.analysis.landscape import project, settling_step
from bayesgrok.families.gp_regression import GPRegression
from bayesgrok.search import jax_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.contract import Batch
from bayesgrok.search.landscape import landscape
from bayesgrok.tasks import make_task

SPLIT = make_task("noisy_sine", seed=3, n_points=40, n_train=20)


def test_grid_values_equal_point_by_point_evaluation():
    fam = GPRegression()
    xs, ys = [-2.0, -0.5, 1.0], [-1.0, 0.5]
    land = landscape(fam, SPLIT, ("log_lengthscale", xs), ("log_outputscale", ys))
    assert land["error"].dims == ("log_outputscale", "log_lengthscale")
    with jax.enable_x64(True):
        base = fam.init(None, SPLIT)
        train = Batch(jnp.asarray(SPLIT.x_train), jnp.asarray(SPLIT.y_train))
        for x in xs:
            for y in ys:
                p = {**base, "log_lengthscale": jnp.asarray(x), "log_outputscale": jnp.asarray(y)}
                here = land.sel(log_lengthscale=x, log_outputscale=y)
                assert here["error"].item() == pytest.approx(float(fam.error(p, train, train)))
                assert here["complexity"].item() == pytest.approx(
                    float(fam.complexity(p, train)))
    np.testing.assert_allclose(land["total"], land["error"] + land["complexity"])


def test_minimum_of_the_total_landscape_is_where_optimisation_converges():
    # noise and mean held fixed, so the search moves in exactly the landscape's plane
    fam = GPRegression(initial_log_lengthscale=0.5, initial_log_outputscale=1.0,
                       learn_mean=False, learn_noise=False, initial_log_noise=np.log(0.05))
    cfg = SearchConfig(optimizer="adam", optimizer_args={"learning_rate": 0.05}, steps=1500,
                       log={"every": 500})
    end = jax_engine.run(fam, [SPLIT], cfg).isel(seed=0, step=-1)
    grid = np.linspace(-3.0, 3.0, 121)  # spacing 0.05
    land = landscape(fam, SPLIT, ("log_lengthscale", grid), ("log_outputscale", grid))
    best = land["total"].where(land["total"] == land["total"].min(), drop=True)
    assert abs(best["log_lengthscale"].item() - end["log_lengthscale"].item()) <= 0.05
    assert abs(best["log_outputscale"].item() - end["log_outputscale"].item()) <= 0.05


def test_unknown_coordinate_and_same_axes_are_refused():
    with pytest.raises(KeyError, match="no coordinate 'log_period'"):
        landscape(GPRegression(), SPLIT, ("log_period", [0.0]), ("log_outputscale", [0.0]))
    with pytest.raises(ValueError, match="the same"):
        landscape(GPRegression(), SPLIT, ("log_noise", [0.0]), ("log_noise", [0.0]))


def test_project_needs_the_coordinates_recorded():
    traj = xr.Dataset({"log_lengthscale": (("seed", "step"), np.zeros((1, 2)))})
    land = xr.Dataset(attrs={"x": "log_lengthscale", "y": "log_outputscale"})
    with pytest.raises(KeyError, match="log_outputscale"):
        project(traj, land)


def test_settling_step_is_where_a_path_stays_near_its_end():
    a = [[3.0, 1.0, 0.05, 0.5, 0.02, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]
    traj = xr.Dataset({"a": (("seed", "step"), a), "b": (("seed", "step"), np.zeros((2, 6)))},
                      coords={"step": [0, 1, 2, 3, 4, 5]})
    # seed 0 comes within 0.1 at step 2 but leaves again; it stays from step 4 on
    assert settling_step(traj, ["a", "b"], 0.1).values.tolist() == [4, 0]
