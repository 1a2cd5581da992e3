"""Each family's ``initial_values`` are truthful: changing one changes the initial
parameters and nothing the compiled program computes from given parameters (error,
complexity, objective, predictions, probes). Runs differing only in them share a program
(:mod:`bayesgrok.study.groups`), so a wrong declaration would give wrong results."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from bayesgrok.families.bayes_linear_svi import BayesLinearSVI
from bayesgrok.families.bayes_svi import BayesMLPSVI
from bayesgrok.families.gp_classification import GPClassification
from bayesgrok.families.gp_regression import GPRegression
from bayesgrok.families.linear import LinearRegression
from bayesgrok.search.contract import Batch
from bayesgrok.tasks import make_task

CASES = [
    (LinearRegression, {"initial_weights": None}, ("linear_sign", {}),
     {"initial_weights": [0.1, 0.2, 0.3, 0.4], "init_scale": 3.0}),
    (GPRegression, {}, ("noisy_sine", {}),
     {"initial_log_lengthscale": -2.0, "initial_log_outputscale": 1.0,
      "initial_log_noise": -3.0, "initial_mean": 0.5}),
    (GPClassification, {}, ("zero_one", {}),
     {"initial_lengthscale": 0.5, "initial_outputscale": 2.0, "initial_mean": 0.3,
      "mean_init_std": 0.1}),
    (BayesMLPSVI, {"widths": [8]}, ("parity", {"n_points": 60, "n_train": 40}),
     {"sigma_init": 0.7, "init_std": 0.05, "init_means": "torch"}),
    (BayesLinearSVI, {}, ("linear_sign", {}),
     {"sigma_init": 0.7, "init_std": 0.05, "initial_means": [0.1, 0.2, 0.3, 0.4, 0.0]}),
]


def _computed(family, params, train):
    out = {"error": family.error(params, train, train),
           "complexity": family.complexity(params, train),
           "objective": family.objective(params, train, train),
           "predict": family.predict(params, train.x, train)}
    out.update({name: value for name, (_, value) in family.probes(params, train).items()})
    return jax.device_get(out)


@pytest.mark.parametrize("cls, base, task, changes", CASES,
                         ids=[case[0].__name__ for case in CASES])
def test_initial_values_change_only_the_initial_parameters(cls, base, task, changes):
    assert set(changes) == set(cls.initial_values)
    split = make_task(task[0], seed=0, **task[1])
    train = Batch(split.x_train, split.y_train)
    default = cls(**base)
    params = default.init(jax.random.PRNGKey(0), split)
    reference = _computed(default, params, train)
    for name, value in changes.items():
        changed = cls(**{**base, name: value})
        assert changed.program_key() == default.program_key(), name
        moved = jax.tree_util.tree_leaves(changed.init(jax.random.PRNGKey(0), split))
        assert any(not np.array_equal(a, b) for a, b in
                   zip(moved, jax.tree_util.tree_leaves(params), strict=True)), name
        for key, value_ in _computed(changed, params, train).items():
            np.testing.assert_array_equal(value_, reference[key], err_msg=f"{name}: {key}")
