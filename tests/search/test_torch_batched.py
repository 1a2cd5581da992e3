"""Seeds trained together with torch.func (bayesgrok.search.torch_batched) against the loop:
the optimizers' elementwise updates, the same trajectories, divergence, determinism."""

import json

import numpy as np
import pytest
import torch
from torch.nn import functional as F  # noqa: N812

from bayesgrok.families.mlp import MLP
from bayesgrok.search import torch_batched, torch_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.torch_contract import TorchFamily
from bayesgrok.search.torch_optimizers import make_torch_optimizer

torch.set_num_threads(1)

OPTIMIZERS = [
    ("sgd", {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-2}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-2}),
    ("adam", {"lr": 1e-2, "weight_decay": 1e-3}),
    ("adamw", {"lr": 1e-2, "weight_decay": 0.1}),
]
VARIABLES = ("error", "complexity", "objective", "val_error", "train_accuracy",
             "val_accuracy", "weight_norm", "last_layer_norm")


def _splits(seeds=(0, 1, 2)):
    from bayesgrok.tasks import make_task

    return [make_task("parity", seed=s, n_points=100, n_train=60, n_spurious=2)
            for s in seeds]


def _cfg(optimizer, args, **kw):
    base = {"steps": 40, "batch_size": 16, "log": {"at": [1, 2, 3, 10, 25]}}
    return SearchConfig(optimizer=optimizer, optimizer_args=args, **{**base, **kw})


def _looped(family):
    family.vectorize_seeds = False  # the instance attribute overrides the class's
    return family


@pytest.mark.parametrize(("optimizer", "args"), OPTIMIZERS)
def test_one_optimizer_over_stacked_tensors_gives_each_seed_its_own_update(optimizer, args):
    gen = torch.Generator().manual_seed(0)
    start = torch.randn(3, 4, 5, generator=gen, dtype=torch.float64)
    grads = [torch.randn(3, 4, 5, generator=gen, dtype=torch.float64) for _ in range(5)]
    stacked = start.clone().requires_grad_()
    alone = [start[i].clone().requires_grad_() for i in range(3)]
    opt = make_torch_optimizer(optimizer, args, [stacked])
    opts = [make_torch_optimizer(optimizer, args, [p]) for p in alone]
    for g in grads:
        stacked.grad = g.clone()
        opt.step()
        for i, (p, o) in enumerate(zip(alone, opts, strict=True)):
            p.grad = g[i].clone()
            o.step()
    for i in range(3):
        torch.testing.assert_close(stacked.detach()[i], alone[i].detach(), rtol=0, atol=1e-15)


@pytest.mark.parametrize(("optimizer", "args"), OPTIMIZERS)
def test_batched_run_follows_the_loop(optimizer, args, monkeypatch):
    def fam():
        return MLP(widths=[16, 16], alpha=2.0, precision="float64", complexity_weight=1e-3)

    cfg = _cfg(optimizer, args)
    loop = torch_engine.run(_looped(fam()), _splits(), cfg)
    advanced = []
    monkeypatch.setattr(torch_engine, "advance_seed", lambda *a: advanced.append(a))
    batched = torch_engine.run(fam(), _splits(), cfg)
    assert advanced == []  # the loop's per-seed training never ran
    assert list(batched["status"].values) == ["ok", "ok", "ok"]
    for var in VARIABLES:
        np.testing.assert_allclose(batched[var].values, loop[var].values, rtol=1e-10,
                                   atol=1e-12, err_msg=var)
    assert not np.allclose(loop["error"].isel(step=0), loop["error"].isel(step=-1))


def test_one_seed_runs_in_the_loop_and_matches_its_slice_of_a_batched_run():
    fam = MLP(widths=[8], precision="float64")
    cfg = _cfg("adam", {"lr": 1e-2})
    batched = torch_engine.run(fam, _splits(), cfg)
    alone = torch_engine.run(fam, _splits((2,)), cfg)
    assert not torch_batched.applies(fam, [None])
    np.testing.assert_allclose(batched["error"].sel(seed=2).values,
                               alone["error"].sel(seed=2).values, rtol=1e-10)


class _Gain(torch.nn.Module):
    def __init__(self, n_in, n_out, gain):
        super().__init__()
        self.linear = torch.nn.Linear(n_in, n_out)
        self.register_buffer("gain", torch.tensor(gain))

    def forward(self, x):
        return self.linear(x * self.gain)


class Steep(TorchFamily):
    """A linear model on inputs scaled by a per-seed gain (a buffer): seed 1's gain of 100
    makes its loss 10^4 times steeper, so a learning rate that suits the others blows it up.
    """

    name = "steep"
    vectorize_seeds = True

    def build(self, split, seed):
        return _Gain(split.n_features, split.n_classes, 100.0 if seed == 1 else 1.0)

    def error(self, model, x, y):
        out = model(x)
        return F.mse_loss(out, F.one_hot(y, out.shape[-1]).to(out.dtype))

    def predict(self, model, x):
        return model(x)


def test_a_diverging_seed_stops_while_the_others_follow_the_loop():
    cfg = _cfg("sgd", {"lr": 0.1, "momentum": 0.5}, steps=300, log={"every": 50})

    def fam():
        return Steep(complexity_weight=1e-2, precision="float64")

    batched = torch_engine.run(fam(), _splits(), cfg)
    loop = torch_engine.run(_looped(fam()), _splits(), cfg)
    assert list(batched["status"].values) == ["ok", "diverged", "ok"]
    reasons = json.loads(batched["status"].attrs["reasons"])
    assert reasons == json.loads(loop["status"].attrs["reasons"])
    assert "non-finite objective at step" in reasons["1"]
    for var in ("error", "val_error", "complexity", "val_accuracy"):
        np.testing.assert_allclose(batched[var].values, loop[var].values, rtol=1e-10,
                                   atol=1e-12, err_msg=var)  # NaN where diverged, in both
    assert np.isfinite(batched["error"].sel(seed=[0, 2]).values).all()
    assert np.isnan(batched["error"].sel(seed=1).values[-1])


def test_batched_runs_are_deterministic():
    fam = MLP(widths=[16], alpha=2.0)
    cfg = _cfg("adamw", {"lr": 1e-2, "weight_decay": 0.01})
    a = torch_engine.run(fam, _splits(), cfg)
    b = torch_engine.run(fam, _splits(), cfg)
    for var in VARIABLES:
        np.testing.assert_array_equal(a[var].values, b[var].values)
