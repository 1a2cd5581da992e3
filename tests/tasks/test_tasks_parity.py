"""Tests of the hidden-parity task (A3, A6)."""

import numpy as np
import pytest

from bayesgrok.tasks import parity


def test_defaults_shapes_and_dtypes():
    s = parity(0)
    assert s.x_train.shape == (1000, 3) and s.x_val.shape == (100, 3)
    assert s.x_train.dtype == np.float64 and s.y_train.dtype == np.int64
    assert s.y_val.dtype == np.int64
    assert s.kind == "classification" and s.n_classes == 2 and s.accuracy == "argmax"
    assert s.operand_columns == (0, 1, 2) and s.spurious_columns == ()


@pytest.mark.parametrize(
    ("n_spurious", "n_points", "kind"),
    [(37, 1100, "bits"), (27, 1200, "bits"), (37, 1100, "normal")],
)
def test_label_is_parity_of_bits(n_spurious, n_points, kind):
    s = parity(1, n_points=n_points, n_spurious=n_spurious, spurious=kind)
    assert s.n_features == 3 + n_spurious
    assert s.n_train == 1000 and s.n_val == n_points - 1000
    assert s.spurious_columns == tuple(range(3, 3 + n_spurious))
    for x, y in ((s.x_train, s.y_train), (s.x_val, s.y_val)):
        bits = x[:, :3]
        assert set(np.unique(bits).tolist()) == {0.0, 1.0}
        assert np.array_equal(y, bits.sum(axis=1).astype(np.int64) % 2)
    extra = s.x_train[:, 3:]
    if kind == "bits":
        assert set(np.unique(extra).tolist()) == {0.0, 1.0}
    else:
        assert len(np.unique(extra)) > 1000 and 0.8 < extra.std() < 1.2
    assert s.metadata["concealed"] == {"n": n_spurious, "kind": kind}


def test_spurious_columns_carry_no_label_information():
    s = parity(2, n_spurious=10)
    # With parity labels, the labels are not a function of any spurious column alone.
    corr = [abs(np.corrcoef(s.x_train[:, j], s.y_train)[0, 1]) for j in range(3, 13)]
    assert max(corr) < 0.15


def test_more_bits():
    s = parity(0, n_bits=5, n_points=300, n_train=200)
    assert s.operand_columns == tuple(range(5))
    assert np.array_equal(s.y_val, s.x_val.sum(axis=1).astype(np.int64) % 2)


def test_random_split_and_both_classes():
    s = parity(0)
    assert set(s.y_train.tolist()) == {0, 1} and set(s.y_val.tolist()) == {0, 1}
    # split is random: training points are not the first n_train draws
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, size=(1100, 3)).astype(np.float64)
    assert not np.array_equal(s.x_train, bits[:1000])


def test_determinism():
    a, b = parity(5, n_spurious=37), parity(5, n_spurious=37)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_val, b.y_val)
    c = parity(6, n_spurious=37)
    assert not np.array_equal(a.x_train, c.x_train)


def test_bad_spurious_kind_and_sizes():
    with pytest.raises(ValueError, match="kind"):
        parity(0, n_spurious=2, spurious="uniform")
    with pytest.raises(ValueError):
        parity(0, n_train=1100)
    with pytest.raises(ValueError):
        parity(0, n_bits=0)
