"""Landscapes on any plane (issue 24): parameter snapshots of both engines, the landscape at
the path's own points, and the JAX and PyTorch forms of one linear model agreeing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bayesgrok.analysis.plane import Plane
from bayesgrok.families.linear import LinearRegression
from bayesgrok.families.mlp import MLP
from bayesgrok.search import jax_engine, torch_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.plane_landscape import plane_landscape, values_at
from bayesgrok.search.torch_contract import TorchFamily
from bayesgrok.tasks import make_task


def test_jax_snapshots_give_back_the_recorded_values():
    splits = [make_task("linear_sign", seed=s) for s in (0, 1)]
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 1e-3}, steps=300,
                       log={"every": 50}, snapshots={"every": 100})
    ds, artifacts = jax_engine.run_with_artifacts(LinearRegression(), splits, cfg)
    snaps = artifacts["parameters"]["parameters"]
    assert dict(snaps.sizes) == {"seed": 2, "snapshot": 4, "parameter": 4}
    assert snaps["snapshot"].values.tolist() == [0, 100, 200, 300]
    for i, split in enumerate(splits):
        got = values_at(LinearRegression(), split, snaps.isel(seed=i).values)
        recorded = ds.isel(seed=i).sel(step=snaps["snapshot"].values)
        for name in ("error", "complexity", "objective", "train_accuracy", "train_mse"):
            assert got[name] == pytest.approx(recorded[name].values, rel=1e-6), name


@pytest.mark.parametrize("n_seeds", [1, 3], ids=["loop", "batched"])
def test_torch_snapshots_give_back_the_recorded_values(n_seeds):
    splits = [make_task("parity", seed=s, n_points=60, n_train=40) for s in range(n_seeds)]
    cfg = SearchConfig(optimizer="adamw", optimizer_args={"lr": 1e-2, "weight_decay": 0.1},
                       steps=120, batch_size=7, log={"every": 50}, snapshots=[0, 30, 120])
    fam = MLP(widths=[8])
    ds, artifacts = torch_engine.run_with_artifacts(fam, splits, cfg)
    snaps = artifacts["parameters"]["parameters"]
    assert snaps["snapshot"].values.tolist() == [0, 30, 120]  # 30 is not a logged step
    assert "layers.0.weight" in snaps.attrs["tensor_shapes"]
    logged = [0, 120]
    for i, split in enumerate(splits):
        got = values_at(fam, split, snaps.isel(seed=i).sel(snapshot=logged).values)
        recorded = ds.isel(seed=i).sel(step=logged)
        for name in ("error", "complexity", "objective", "train_accuracy"):
            assert got[name] == pytest.approx(recorded[name].values, rel=1e-6), name


class TorchLinear(TorchFamily):
    """The JAX family LinearRegression, written for the PyTorch engine."""

    name = "torch_linear"

    def __init__(self, n_train: int, noise_variance: float = 0.002,
                 prior_variance: float = 0.5) -> None:
        super().__init__(complexity_weight=1.0)
        self.n_train, self.noise_variance, self.prior_variance = (
            n_train, noise_variance, prior_variance)

    def build(self, split, seed):
        return torch.nn.Linear(split.n_features, 1, bias=False)

    def error(self, model, x, y):
        return torch.sum((model(x)[:, 0] - y) ** 2) / self.noise_variance / x.shape[0]

    def complexity(self, model):
        return torch.sum(model.weight ** 2) / self.prior_variance / self.n_train

    def predict(self, model, x):
        return model(x)[:, 0]


def test_the_jax_and_torch_landscapes_of_one_linear_model_agree():
    split = make_task("linear_sign", seed=0)
    plane = Plane(np.array([0.1, 0.9, 0.9, 0.9]), np.array([[1.0, 0, 0, 0], [0, 1.0, 1.0, 0]]),
                  np.array([0.6, 0.3]), (0,))
    a, b = np.linspace(-1, 1, 7), np.linspace(-0.5, 0.5, 5)
    jax_land = plane_landscape(LinearRegression(), split, plane, a, b)
    torch_land = plane_landscape(TorchLinear(split.n_train), split, plane, a, b)
    for name in ("error", "complexity", "objective", "train_mse", "train_accuracy"):
        assert torch_land[name].values == pytest.approx(jax_land[name].values, rel=1e-5), name
    assert jax_land["error"].dims == ("b", "a")
