"""Tests of conceal: spurious columns appended to a split."""

import numpy as np
import pytest

from bayesgrok.tasks import Split, conceal, zero_one


def _base(seed=3):
    rng = np.random.default_rng(100)
    return Split(
        "toy",
        rng.normal(size=(30, 2)),
        rng.integers(0, 2, size=30),
        rng.normal(size=(10, 2)),
        rng.integers(0, 2, size=10),
        kind="classification",
        n_classes=2,
        operand_columns=(0,),
        spurious_columns=(1,),
        seed=seed,
        metadata={"keep": 1},
    )


def test_bits_columns():
    s = _base()
    c = conceal(s, 5, kind="bits")
    assert c.x_train.shape == (30, 7) and c.x_val.shape == (10, 7)
    assert c.x_train.dtype == np.float64 and c.x_val.dtype == np.float64
    extra = np.concatenate([c.x_train[:, 2:], c.x_val[:, 2:]])
    assert set(np.unique(extra).tolist()) == {0.0, 1.0}
    assert 0.3 < extra.mean() < 0.7
    assert c.spurious_columns == (1, 2, 3, 4, 5, 6)
    assert c.operand_columns == (0,)
    assert c.metadata["concealed"] == {"n": 5, "kind": "bits"}
    assert c.metadata["keep"] == 1


def test_original_columns_and_targets_unchanged():
    s = _base()
    c = conceal(s, 4, kind="normal")
    assert np.array_equal(c.x_train[:, :2], s.x_train)
    assert np.array_equal(c.x_val[:, :2], s.x_val)
    assert np.array_equal(c.y_train, s.y_train) and np.array_equal(c.y_val, s.y_val)
    assert "concealed" not in s.metadata  # the input split is not mutated
    assert s.n_features == 2


def test_normal_columns_have_spread():
    c = conceal(_base(), 20, kind="normal")
    extra = np.concatenate([c.x_train[:, 2:], c.x_val[:, 2:]])
    assert len(np.unique(extra)) == extra.size
    assert 0.7 < extra.std() < 1.3
    assert abs(extra.mean()) < 0.2
    assert c.metadata["concealed"] == {"n": 20, "kind": "normal"}


def test_seed_handling():
    s = _base(seed=3)
    a, b = conceal(s, 6), conceal(s, 6)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.x_val, b.x_val)
    # default seed is split.seed
    assert np.array_equal(conceal(s, 6, seed=3).x_train, a.x_train)
    assert not np.array_equal(conceal(s, 6, seed=4).x_train, a.x_train)
    assert not np.array_equal(conceal(_base(seed=9), 6).x_train, a.x_train)


def test_stream_distinct_from_task_stream():
    # zero_one draws x from default_rng(seed); concealment must not reuse that stream.
    s = zero_one(0, n_points=40, n_train=20, n_val=20)
    c = conceal(s, 1, kind="normal")
    task_stream = np.random.default_rng(0).standard_normal(40)
    assert not np.allclose(np.concatenate([c.x_train[:, 1], c.x_val[:, 1]]), task_stream)


def test_repeated_conceal_adds_new_columns():
    s = _base()
    c = conceal(conceal(s, 3), 3)
    assert c.n_features == 8
    assert c.spurious_columns == (1, 2, 3, 4, 5, 6, 7)
    assert not np.array_equal(c.x_train[:, 2:5], c.x_train[:, 5:8])


def test_zero_columns_is_equivalent():
    s = _base()
    c = conceal(s, 0)
    assert np.array_equal(c.x_train, s.x_train) and np.array_equal(c.x_val, s.x_val)
    assert c.spurious_columns == s.spurious_columns
    assert c.n_features == s.n_features


@pytest.mark.parametrize("kind", ["gauss", "Bits", ""])
def test_bad_kind(kind):
    with pytest.raises(ValueError, match="kind"):
        conceal(_base(), 2, kind=kind)


@pytest.mark.parametrize("n", [-1, 1.5, "3", True])
def test_bad_n(n):
    with pytest.raises(ValueError, match="n must be"):
        conceal(_base(), n)
