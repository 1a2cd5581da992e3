"""Tests of the toy tasks: linear_sign (A1), zero_one (A2), noisy_sine (A5)."""

import numpy as np
import pytest

from bayesgrok.tasks import linear_sign, noisy_sine, zero_one


def _arrays(split):
    return split.x_train, split.y_train, split.x_val, split.y_val


def _same(a, b):
    return all(np.array_equal(u, v) for u, v in zip(_arrays(a), _arrays(b), strict=True))


# --- linear_sign -------------------------------------------------------------------------


def test_linear_sign_shapes_and_dtypes():
    s = linear_sign(0)
    assert s.name == "linear_sign"
    assert s.x_train.shape == (2, 4) and s.x_val.shape == (98, 4)
    assert s.y_train.shape == (2,) and s.y_val.shape == (98,)
    for arr in _arrays(s):
        assert arr.dtype == np.float64
    assert s.kind == "regression" and s.accuracy == "sign"
    assert s.seed == 0


def test_linear_sign_rule_and_features():
    s = linear_sign(3, n_points=50, n_train=5, slope=0.3)
    m = s.metadata
    x = np.concatenate([m["x_train"], m["x_val"]])
    assert x.shape == (50,)
    assert np.all((x >= -0.5) & (x < 0.5))
    assert np.allclose(s.y_train, 0.3 * m["x_train"])
    assert np.allclose(s.y_val, 0.3 * m["x_val"])
    feats = np.concatenate([s.x_train, s.x_val])
    expected = np.stack([x, x**2, x**3, np.sin(100 * x)], axis=1)
    assert np.allclose(feats, expected)
    assert m["features"] == ["x", "x^2", "x^3", "sin(100x)"]
    assert m["n_points"] == 50 and m["n_train"] == 5 and m["slope"] == 0.3


def test_linear_sign_first_points_train():
    # The first n_train draws of the stream train: a longer draw shares its prefix.
    a = linear_sign(7, n_points=10, n_train=2)
    b = linear_sign(7, n_points=100, n_train=2)
    assert np.array_equal(a.x_train, b.x_train)
    assert np.array_equal(a.metadata["x_val"], b.metadata["x_val"][:8])


def test_linear_sign_slope():
    s = linear_sign(1, slope=-2.0)
    assert np.allclose(s.y_val, -2.0 * s.metadata["x_val"])


def test_linear_sign_determinism():
    assert _same(linear_sign(5), linear_sign(5))
    assert not np.array_equal(linear_sign(5).x_val, linear_sign(6).x_val)


@pytest.mark.parametrize("kwargs", [{"n_train": 0}, {"n_train": 100}, {"n_points": 1.5}])
def test_linear_sign_bad_sizes(kwargs):
    with pytest.raises(ValueError):
        linear_sign(0, **kwargs)


# --- zero_one ----------------------------------------------------------------------------


def test_zero_one_shapes_and_rule():
    s = zero_one(0)
    assert s.x_train.shape == (20, 1) and s.x_val.shape == (20, 1)
    assert s.x_train.dtype == np.float64 and s.y_train.dtype == np.int64
    assert s.y_val.dtype == np.int64
    assert s.kind == "classification" and s.n_classes == 2 and s.accuracy == "argmax"
    for x, y in ((s.x_train, s.y_train), (s.x_val, s.y_val)):
        assert np.all((x >= -0.5) & (x < 0.5))
        assert np.array_equal(y, (x[:, 0] > 0).astype(np.int64))
    both = np.concatenate([s.y_train, s.y_val])
    assert set(both.tolist()) == {0, 1}


def test_zero_one_first_and_last_points():
    rng = np.random.default_rng(4)
    x = rng.uniform(-0.5, 0.5, size=(100, 1))
    s = zero_one(4)
    assert np.array_equal(s.x_train, x[:20])
    assert np.array_equal(s.x_val, x[80:])


def test_zero_one_determinism():
    assert _same(zero_one(11), zero_one(11))
    assert not np.array_equal(zero_one(11).x_train, zero_one(12).x_train)


def test_zero_one_too_many_points():
    with pytest.raises(ValueError, match="n_points"):
        zero_one(0, n_points=30, n_train=20, n_val=20)


# --- noisy_sine --------------------------------------------------------------------------


def test_noisy_sine_defaults():
    s = noisy_sine()
    assert s.seed == 42
    assert s.x_train.shape == (50, 1) and s.x_val.shape == (50, 1)
    for arr in _arrays(s):
        assert arr.dtype == np.float64
    assert s.kind == "regression" and s.accuracy is None
    x = np.concatenate([s.x_train, s.x_val])[:, 0]
    assert np.all((x >= -1.5) & (x < 1.5))


def test_noisy_sine_residual_std():
    s = noisy_sine(0, n_points=4000, n_train=2000, noise=0.1)
    x = np.concatenate([s.x_train, s.x_val])[:, 0]
    y = np.concatenate([s.y_train, s.y_val])
    resid = y - np.sin(2 * x)
    assert abs(resid.std() - 0.1) < 0.01
    assert abs(resid.mean()) < 0.01


def test_noisy_sine_noiseless_and_range():
    s = noisy_sine(1, noise=0.0, low=0.0, high=2.0)
    assert np.allclose(s.y_train, np.sin(2 * s.x_train[:, 0]))
    x = np.concatenate([s.x_train, s.x_val])
    assert x.min() >= 0.0 and x.max() < 2.0


def test_noisy_sine_random_split():
    # Not the first n_train draws: the split is a random permutation.
    s = noisy_sine(0)
    train, val = s.metadata["train_index"], s.metadata["val_index"]
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(100))
    assert not np.array_equal(np.sort(train), np.arange(50))


def test_noisy_sine_determinism():
    assert _same(noisy_sine(), noisy_sine(42))
    assert not np.array_equal(noisy_sine(1).y_train, noisy_sine(2).y_train)


@pytest.mark.parametrize("kwargs", [{"noise": -0.1}, {"low": 1.0, "high": 1.0}, {"n_train": 100}])
def test_noisy_sine_bad_params(kwargs):
    with pytest.raises(ValueError):
        noisy_sine(0, **kwargs)
