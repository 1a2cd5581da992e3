"""Tests of the all-pairs modular task of D2 (Nanda et al.'s split)."""

import numpy as np
import pytest

from bayesgrok.tasks import make_task
from bayesgrok.tasks.modular import candidate_pairs
from bayesgrok.tasks.modular_pairs import modular_pairs


@pytest.mark.parametrize("op", ["add", "sub", "div", "quad"])
def test_every_pair_is_used_exactly_once_with_the_stated_label(op):
    p = 11
    s = modular_pairs(0, op, p=p, train_fraction=0.3)
    a, b = candidate_pairs(op, p)
    x = np.concatenate([s.x_train, s.x_val])
    y = np.concatenate([s.y_train, s.y_val])
    pairs = {tuple(row) for row in x.tolist()}
    assert len(pairs) == len(x) == a.size  # no pair twice, none missing
    assert pairs == set(zip(a.tolist(), b.tolist(), strict=True))
    assert s.n_train == round(0.3 * a.size)
    lookup = {(int(i), int(j)): int(k) for i, j, k in zip(x[:, 0], x[:, 1], y, strict=True)}
    if op == "add":
        assert all(lookup[i, j] == (i + j) % p for i, j in lookup)
    if op == "div":
        assert all(lookup[i, j] == (i * pow(j, -1, p)) % p for i, j in lookup)
    assert s.kind == "classification" and s.n_classes == p and s.operand_columns == (0, 1)


def test_split_is_deterministic_and_follows_the_seed():
    a, b = modular_pairs(3, p=13), modular_pairs(3, p=13)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_val, b.y_val)
    c = modular_pairs(4, p=13)
    assert not np.array_equal(a.x_train, c.x_train)


def test_one_hot_encoding_holds_the_same_pairs():
    tok = modular_pairs(1, p=7, encoding="tokens")
    hot = modular_pairs(1, p=7, encoding="one_hot")
    assert hot.x_train.shape == (tok.n_train, 14)
    assert np.array_equal(hot.x_train[:, :7].argmax(1), tok.x_train[:, 0])
    assert np.array_equal(hot.x_train[:, 7:].argmax(1), tok.x_train[:, 1])
    assert hot.operand_columns == tuple(range(14))


def test_registry_builds_it_with_d2_defaults():
    s = make_task("modular_pairs", seed=0)
    assert s.metadata["p"] == 113 and s.n_train == round(0.3 * 113**2)
    assert s.x_train.dtype == np.int64


@pytest.mark.parametrize(("kw", "message"), [
    ({"p": 12}, "p must be prime"),
    ({"train_fraction": 1.0}, "strictly between 0 and 1"),
    ({"train_fraction": 0.001, "p": 5}, "at least one training"),
    ({"operation": "pow"}, "unknown operation 'pow'"),
    ({"encoding": "bits"}, "unknown encoding 'bits'"),
])
def test_bad_parameters_are_refused_by_name(kw, message):
    with pytest.raises(ValueError, match=message):
        modular_pairs(0, **kw)
