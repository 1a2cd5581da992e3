"""Frozen parameters are declared by the family and never moved by any optimizer, not even
by a decoupled weight decay (which a stop_gradient alone would not stop)."""

from __future__ import annotations

import numpy as np
import torch

from bayesgrok.families.gp_regression import GPRegression
from bayesgrok.families.mlp import MLP
from bayesgrok.search import jax_engine, torch_engine, torch_seed
from bayesgrok.search.config import SearchConfig
from bayesgrok.tasks import make_task


def test_a_fixed_gp_noise_stays_put_under_adamw_decay():
    split = make_task("noisy_sine", seed=0)
    cfg = SearchConfig(optimizer="adamw",
                       optimizer_args={"learning_rate": 1e-2, "weight_decay": 1.0},
                       steps=50, log={"every": 50})
    fixed = jax_engine.run(GPRegression(learn_noise=False), [split], cfg)
    learned = jax_engine.run(GPRegression(learn_noise=True), [split], cfg)
    start = fixed["log_noise"].isel(step=0)
    np.testing.assert_array_equal(fixed["log_noise"].isel(step=-1), start)
    assert not np.allclose(learned["log_noise"].isel(step=-1), start)
    # the free hyperparameters still move
    assert not np.allclose(fixed["log_lengthscale"].isel(step=0),
                           fixed["log_lengthscale"].isel(step=-1))


class FrozenFirstLayer(MLP):
    def frozen(self, model):
        return {name for name, _ in model.named_parameters() if name.startswith("layers.0.")}


def test_a_frozen_torch_layer_is_not_seen_by_the_optimizer():
    split = make_task("parity", seed=0, n_points=40, n_train=30)
    cfg = SearchConfig(optimizer="adamw",
                       optimizer_args={"learning_rate": 1e-2, "weight_decay": 1.0}, steps=20)
    fam = FrozenFirstLayer(widths=[8])
    state = torch_seed.start_seed(fam, split, 0, cfg)
    before = {n: p.detach().clone() for n, p in state.model.named_parameters()}
    torch_seed.advance_seed(fam, state, 20, 0)
    after = dict(state.model.named_parameters())
    for name, value in before.items():
        moved = not torch.equal(value, after[name].detach())
        assert moved == (not name.startswith("layers.0.")), name
    # two seeds of a family with frozen parameters run one after another, and finish
    ds = torch_engine.run(fam, [split, make_task("parity", seed=1, n_points=40, n_train=30)],
                          cfg)
    assert list(ds["status"].values) == ["ok", "ok"]
