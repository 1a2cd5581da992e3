"""Training methods of the PyTorch engine: adaptive input perturbation and the
commutativity penalty (REFERENCE C2, C3)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from bayesgrok.families.mlp import MLP
from bayesgrok.search import torch_engine, torch_seed
from bayesgrok.search.config import Perturbation, SearchConfig
from bayesgrok.study.errors import StudyError
from bayesgrok.study.resolve import load_study
from bayesgrok.tasks import make_task

torch.set_num_threads(1)


def _modular(seed: int = 0):
    return make_task("modular", seed=seed, operation="add", p=7, n_samples=300, n_train=200)


def _cfg(**kw) -> SearchConfig:
    base = {"optimizer": "adam", "optimizer_args": {"learning_rate": 1e-2}, "steps": 200,
            "batch_size": "full", "log": {"every": 20}}
    return SearchConfig(**{**base, **kw})


@pytest.mark.parametrize(("accuracy", "expected"), [(0.0, 0.5), (0.5, 0.25), (0.9, 0.1),
                                                    (1.0, 0.1)])
def test_perturbation_level_follows_the_rule(accuracy, expected):
    assert Perturbation(l1=0.5, l2=0.1).level(accuracy) == pytest.approx(expected)


def test_recorded_level_follows_the_training_accuracy():
    ds = torch_engine.run(MLP(widths=[64], loss="cross_entropy"), [_modular()],
                          _cfg(perturbation={"l1": 0.4, "l2": 0.02}))
    level = ds["perturbation_level"].sel(seed=0).values
    acc = ds["train_accuracy"].sel(seed=0).values
    assert level[0] == pytest.approx(0.4)  # nothing fitted yet: l1
    assert np.all(level >= 0.02 - 1e-12) and np.all(level <= 0.4 + 1e-12)
    assert acc[-1] > 0.95 and level[-1] < 0.1  # fitted: close to the floor
    methods = json.loads(ds.attrs["training_methods"])
    assert methods["perturbation"]["l1"] == 0.4 and methods["perturbation"]["at"] == "inputs"


def test_perturbation_changes_training_and_is_reproducible():
    fam = MLP(widths=[32], loss="cross_entropy")
    base = torch_engine.run(fam, [_modular()], _cfg())
    noisy = torch_engine.run(fam, [_modular()], _cfg(perturbation={"l1": 0.5}))
    again = torch_engine.run(fam, [_modular()], _cfg(perturbation={"l1": 0.5}))
    assert not np.allclose(base["error"].values, noisy["error"].values)
    np.testing.assert_array_equal(noisy["error"].values, again["error"].values)
    assert json.loads(base.attrs["training_methods"]) == {}


def _asymmetry(fam, model, split) -> float:
    x = torch.as_tensor(split.x_val, dtype=torch.float32)
    with torch.no_grad():
        return float(torch.mean((fam.logits(model, x) - fam.logits(
            model, fam.swap_operands(x, split))) ** 2))


def test_commutativity_penalty_makes_the_logits_commute():
    split = _modular()
    fam = MLP(widths=[64], loss="cross_entropy")
    models = {}
    for weight in (0.0, 100.0):
        state = torch_seed.start_seed(fam, split, 0, _cfg(commutativity_penalty=weight))
        torch_seed.advance_seed(fam, state, 200, 0)
        models[weight] = state.model
    plain, penalised = (_asymmetry(fam, models[w], split) for w in (0.0, 100.0))
    assert penalised < 0.1 * plain


def test_methods_are_recorded_only_when_on():
    assert "perturbation" not in _cfg().model_dump()
    assert "commutativity_penalty" not in _cfg().model_dump()
    assert _cfg(commutativity_penalty=100).model_dump()["commutativity_penalty"] == 100


STUDY = """
name = "methods"
[task]
name = "{task}"
[model]
{model}
[search]
optimizer = "adam"
optimizer_args = {{ learning_rate = 1e-2 }}
steps = 10
{method}
"""


@pytest.mark.parametrize(("task", "model", "method", "key"), [
    ("linear_sign", 'card = "miller_linear"', "perturbation = { l1 = 0.1 }",
     "search.perturbation"),
    ("linear_sign", 'card = "miller_linear"', "commutativity_penalty = 100.0",
     "search.commutativity_penalty"),
    ("parity", 'family = "mlp"', "commutativity_penalty = 100.0",
     "search.commutativity_penalty"),
    ("parity", 'family = "mlp"', "perturbation = { l1 = -1.0 }", "search.perturbation"),
])
def test_methods_mistakes_name_the_key(write_study, task, model, method, key):
    path = write_study(STUDY.format(task=task, model=model, method=method))
    with pytest.raises(StudyError, match=key.replace(".", r"\.")):
        load_study(path)
