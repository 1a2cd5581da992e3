"""Tests of the modular-arithmetic concealment task (A4)."""

import numpy as np
import pytest

from bayesgrok.tasks import OPERATIONS, modular
from bayesgrok.tasks.modular import candidate_pairs, is_prime

P = 7


def _reference(op, a, b, p):
    a, b = int(a), int(b)
    if op == "add":
        return (a + b) % p
    if op == "sub":
        return (a - b) % p
    if op == "div":
        return (a * pow(b, -1, p)) % p
    if op == "quad":
        return (a * a + a * b + b * b) % p
    if op == "quad_plus_a":
        return (a * a + a * b + b * b + a) % p
    if op == "aba":
        return (a * b * a) % p
    raise AssertionError(op)


def test_operations_registry():
    assert set(OPERATIONS) == {"add", "sub", "div", "quad", "quad_plus_a", "aba"}
    for function, description in OPERATIONS.values():
        assert callable(function) and isinstance(description, str) and description


@pytest.mark.parametrize("op", sorted(OPERATIONS))
@pytest.mark.parametrize("p", [5, 7, 11])
def test_operation_functions_match_reference(op, p):
    a, b = candidate_pairs(op, p)
    got = OPERATIONS[op][0](a, b, p)
    want = [_reference(op, x, y, p) for x, y in zip(a, b, strict=True)]
    assert np.array_equal(np.asarray(got), want)


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_labels_and_one_hot(op):
    s = modular(0, op)
    assert s.x_train.shape == (600, 2 * P) and s.x_val.shape == (200, 2 * P)
    assert s.x_train.dtype == np.float64 and s.y_train.dtype == np.int64
    assert s.kind == "classification" and s.n_classes == P and s.accuracy == "argmax"
    assert s.operand_columns == tuple(range(2 * P))
    assert s.metadata["operation"] == op
    m = s.metadata
    for part in ("train", "val"):
        x, y = getattr(s, f"x_{part}"), getattr(s, f"y_{part}")
        a, b = m[f"a_{part}"], m[f"b_{part}"]
        assert np.array_equal(x[:, :P].sum(axis=1), np.ones(len(y)))
        assert np.array_equal(x[:, P:].sum(axis=1), np.ones(len(y)))
        assert np.array_equal(x[:, :P].argmax(axis=1), a)
        assert np.array_equal(x[:, P:].argmax(axis=1), b)
        want = [_reference(op, u, v, P) for u, v in zip(a, b, strict=True)]
        assert np.array_equal(y, want)
        assert y.min() >= 0 and y.max() < P
        if op == "div":
            assert b.min() >= 1
    # all candidate pairs should be hit with 800 draws
    n_pairs = len(candidate_pairs(op, P)[0])
    pairs = set(
        zip(
            np.concatenate([m["a_train"], m["a_val"]]).tolist(),
            np.concatenate([m["b_train"], m["b_val"]]).tolist(),
            strict=True,
        )
    )
    assert len(pairs) == n_pairs


def test_sampling_with_replacement():
    s = modular(1, "add")
    m = s.metadata
    train_pairs = list(zip(m["a_train"].tolist(), m["b_train"].tolist(), strict=True))
    val_pairs = list(zip(m["a_val"].tolist(), m["b_val"].tolist(), strict=True))
    assert len(set(train_pairs)) < len(train_pairs)  # duplicates exist
    assert len(set(train_pairs + val_pairs)) <= 49
    overlap = set(val_pairs) & set(train_pairs)
    assert len(overlap) == len(set(val_pairs))  # every validation pair occurs in training
    # i.i.d. draws: pair counts vary like a multinomial (mean 800/49 ~ 16.3, sd ~ 4),
    # unlike a cycled or stratified draw whose counts are all 16 or 17
    counts = np.bincount(
        np.concatenate([m["a_train"], m["a_val"]]) * P + np.concatenate([m["b_train"], m["b_val"]]),
        minlength=P * P,
    )
    assert counts.sum() == 800 and counts.max() - counts.min() > 5
    # the split is random, not sorted by pair
    assert not np.all(np.diff(m["a_train"] * P + m["b_train"]) >= 0)


def test_extra_bits():
    s = modular(2, "quad", n_extra_bits=30)
    assert s.n_features == 2 * P + 30
    assert s.spurious_columns == tuple(range(2 * P, 2 * P + 30))
    assert s.operand_columns == tuple(range(2 * P))
    extra = np.concatenate([s.x_train[:, 2 * P :], s.x_val[:, 2 * P :]])
    assert set(np.unique(extra).tolist()) == {0.0, 1.0}
    plain = modular(2, "quad")
    assert np.array_equal(s.x_train[:, : 2 * P], plain.x_train)
    assert np.array_equal(s.y_val, plain.y_val)
    # same pair, different extra bits: inputs of duplicated pairs differ
    rows = {}
    for row, a, b in zip(s.x_train, s.metadata["a_train"], s.metadata["b_train"], strict=True):
        rows.setdefault((a, b), []).append(row)
    dup = next(v for v in rows.values() if len(v) > 1)
    assert not np.array_equal(dup[0], dup[1])


def test_determinism():
    a, b = modular(3, "aba", n_extra_bits=10), modular(3, "aba", n_extra_bits=10)
    for f in ("x_train", "y_train", "x_val", "y_val"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    c = modular(4, "aba", n_extra_bits=10)
    assert not np.array_equal(a.x_train, c.x_train)


def test_other_sizes():
    s = modular(0, "sub", p=11, n_samples=300, n_train=250)
    assert s.x_train.shape == (250, 22) and s.x_val.shape == (50, 22) and s.n_classes == 11


def test_is_prime():
    assert [k for k in range(30) if is_prime(k)] == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]


@pytest.mark.parametrize("p", [1, 4, 9, 15, 0])
def test_non_prime_p(p):
    with pytest.raises(ValueError, match=f"p={p}"):
        modular(0, p=p)


def test_unknown_operation():
    with pytest.raises(ValueError, match="unknown operation 'mul'") as info:
        modular(0, "mul")
    for name in OPERATIONS:
        assert name in str(info.value)


def test_div_rejects_zero_divisor():
    with pytest.raises(ValueError):
        OPERATIONS["div"][0](np.array([1]), np.array([0]), 7)


def test_bad_train_size():
    with pytest.raises(ValueError, match="n_train"):
        modular(0, n_samples=100, n_train=100)
