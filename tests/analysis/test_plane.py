"""The plane of a trajectory (issue 24): PCA of parameter snapshots."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from bayesgrok.analysis.plane import Plane, plane_grid, trajectory_plane


def _snapshots(paths: np.ndarray, **attrs) -> xr.DataArray:
    return xr.DataArray(paths, dims=("seed", "snapshot", "parameter"),
                        coords={"seed": np.arange(paths.shape[0])}, attrs=attrs)


def test_a_path_confined_to_a_known_plane_is_recovered():
    rng = np.random.default_rng(1)
    basis = np.linalg.qr(rng.normal(size=(50, 2)))[0].T  # a known plane in 50-d
    t = np.linspace(0, 1, 40)
    coords = np.stack([np.c_[3 * t, np.sin(4 * t)], np.c_[-2 * t, t ** 2]])  # two seeds
    offset = rng.normal(size=50)
    plane = trajectory_plane(_snapshots(coords @ basis + offset))
    assert plane.explained_variance_ratio.sum() == pytest.approx(1.0)
    assert np.linalg.norm(plane.directions @ basis.T, axis=1) == pytest.approx([1.0, 1.0])
    # every snapshot projects back onto itself
    points = coords @ basis + offset
    back = plane.points(*plane.project(points[0]).T)
    assert back == pytest.approx(points[0], abs=1e-9)
    assert plane.centre == pytest.approx(points[0, -1])


def test_one_seed_or_all_seeds_pooled():
    rng = np.random.default_rng(2)
    paths = np.cumsum(rng.normal(size=(3, 30, 6)), axis=1)
    assert trajectory_plane(_snapshots(paths), seed=2).seeds == (2,)
    assert trajectory_plane(_snapshots(paths)).seeds == (0, 1, 2)
    assert trajectory_plane(_snapshots(paths), seed=2).centre == pytest.approx(paths[2, -1])


def test_explained_variance_is_recorded_and_below_one_off_the_plane():
    rng = np.random.default_rng(3)
    paths = np.cumsum(rng.normal(size=(1, 50, 20)), axis=1)  # a random walk: not planar
    ratio = trajectory_plane(_snapshots(paths)).explained_variance_ratio
    assert 0 < ratio[1] <= ratio[0] and ratio.sum() < 1


def test_filter_normalisation_scales_rows_to_the_centre_and_zeroes_biases():
    rng = np.random.default_rng(4)
    paths = np.cumsum(rng.normal(size=(1, 20, 8)), axis=1)
    snaps = _snapshots(paths, tensor_shapes=json.dumps({"w": [2, 3], "b": [2]})).assign_coords(
        tensor=("parameter", ["w"] * 6 + ["b"] * 2))
    plane = trajectory_plane(snaps, filter_normalize=True)
    centre = paths[0, -1]
    for d in plane.directions:
        assert d[6:] == pytest.approx([0.0, 0.0])  # biases: no direction
        for row in (slice(0, 3), slice(3, 6)):
            assert np.linalg.norm(d[row]) == pytest.approx(np.linalg.norm(centre[row]))
    with pytest.raises(ValueError, match="tensor"):
        trajectory_plane(_snapshots(paths), filter_normalize=True)


def test_too_few_snapshots_are_refused():
    with pytest.raises(ValueError, match="3 or more"):
        trajectory_plane(_snapshots(np.zeros((1, 2, 4))))


def test_the_grid_covers_the_paths_with_a_margin():
    plane = Plane(np.zeros(3), np.eye(3)[:2], np.array([0.5, 0.5]), (0,))
    a, b = plane_grid(plane, np.array([[[0.0, -1.0], [2.0, 1.0], [np.nan, np.nan]]]),
                      resolution=5, margin=0.5)
    assert (a[0], a[-1], b[0], b[-1]) == (-1.0, 3.0, -2.0, 2.0)
