"""Tests of the task registry: TASKS, make_task, task_parameters and its errors."""

import inspect

import numpy as np
import pytest

import bayesgrok.tasks as tasks
from bayesgrok.tasks import (
    TASKS,
    Split,
    TaskParameterError,
    UnknownTaskError,
    make_task,
    task_parameters,
)

NAMES = ["linear_sign", "zero_one", "noisy_sine", "parity", "modular", "modular_pairs", "mnist",
         "digits"]
# Tasks whose data differ between seeds (mnist's default "first N" subset does not, and it
# needs the MNIST files).
SEEDED = [name for name in NAMES if name != "mnist"]


def test_registry_keys_and_exports():
    assert list(TASKS) == NAMES
    for name in NAMES:
        assert getattr(tasks, name) is TASKS[name]
    assert callable(tasks.conceal) and tasks.Split is Split


@pytest.mark.parametrize("name", SEEDED)
def test_every_task_is_seeded_and_deterministic(name):
    a, b, c = make_task(name, 0), make_task(name, 0), make_task(name, 1)
    assert isinstance(a, Split) and a.name == name and a.seed == 0
    for f in ("x_train", "y_train", "x_val", "y_val"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    assert not np.array_equal(a.x_train, c.x_train) or not np.array_equal(a.x_val, c.x_val)
    # token inputs (modular_pairs' default) are integer ids; every other input is float64
    xdtype = np.int64 if a.metadata.get("encoding") == "tokens" else np.float64
    assert a.x_train.dtype == xdtype and a.x_val.dtype == xdtype
    want = np.int64 if a.kind == "classification" else np.float64
    assert a.y_train.dtype == want and a.y_val.dtype == want


@pytest.mark.parametrize("name", NAMES)
def test_every_public_function_is_documented(name):
    doc = inspect.getdoc(TASKS[name])
    assert doc and "Examples" in doc and "Parameters" in doc


def test_make_task_passes_params():
    s = make_task("modular", 2, operation="div", p=5, n_extra_bits=3)
    assert s.n_classes == 5 and s.n_features == 13
    assert s.metadata["operation"] == "div"
    ref = tasks.modular(2, operation="div", p=5, n_extra_bits=3)
    assert np.array_equal(s.x_train, ref.x_train)


def test_task_parameters():
    assert task_parameters("linear_sign") == {
        "n_points": 100, "n_train": 2, "slope": 0.3, "seeding": "bayesgrok"
    }
    assert task_parameters("zero_one") == {
        "n_points": 100, "n_train": 20, "n_val": 20, "seeding": "bayesgrok"
    }
    assert task_parameters("noisy_sine") == {
        "n_points": 100,
        "n_train": 50,
        "noise": 0.1,
        "low": -1.5,
        "high": 1.5,
        "seeding": "bayesgrok",
    }
    assert task_parameters("parity") == {
        "n_bits": 3,
        "n_points": 1100,
        "n_train": 1000,
        "n_spurious": 0,
        "spurious": "bits",
        "seeding": "bayesgrok",
    }
    assert task_parameters("modular") == {
        "operation": "add",
        "p": 7,
        "n_samples": 800,
        "n_train": 600,
        "n_extra_bits": 0,
        "seeding": "bayesgrok",
    }
    for name in NAMES:
        assert "seed" not in task_parameters(name)


def test_unknown_task():
    with pytest.raises(UnknownTaskError) as info:
        make_task("cifar", 0)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert "'cifar'" in message
    for name in NAMES:
        assert name in message
    with pytest.raises(UnknownTaskError):
        task_parameters("cifar")


def test_unknown_parameter():
    with pytest.raises(TaskParameterError) as info:
        make_task("parity", 0, n_bit=4)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.task, err.key, err.value) == ("parity", "n_bit", 4)
    assert "n_bit" in str(err) and "n_bits" in str(err)


def test_seed_not_accepted_as_param():
    with pytest.raises(TypeError):
        make_task("parity", 0, seed=1)  # seed is make_task's own argument
