"""The robustness metrics measured through a family's hooks, in an engine run."""

from __future__ import annotations

import numpy as np
import torch

from bayesgrok.families.mlp import MLP
from bayesgrok.search import torch_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.tasks import make_task

torch.set_num_threads(1)

NAMES = ("sharpness", "perturbation", "abelian", "information")


def _run(noise: float | None = None):
    split = make_task("modular", seed=0, operation="add", p=7, n_samples=300, n_train=200)
    cfg = SearchConfig(optimizer="adam", optimizer_args={"learning_rate": 1e-2}, steps=60,
                       batch_size="full", log={"every": 20}, metrics_log={"at": [0, 60]},
                       metrics_noise=noise)
    fam = MLP(widths=[32], loss="cross_entropy", metrics=list(NAMES))
    return torch_engine.run(fam, [split], cfg)


def test_every_robustness_metric_is_recorded_at_its_steps():
    ds = _run().sel(seed=0)
    names = ["sharpness", "norm_sharpness", "perturbed_train_accuracy", "perturbed_train_loss",
             "abelian_train", "abelian_val", "abelian_train_distance", "abelian_val_distance",
             "entropy_clean", "pe", "pmi", "mi_clean", "mid", "ed"]
    for name in names:
        measured = ds[name].sel(step=[0, 60]).values
        assert np.isfinite(measured).all(), name
        assert np.isnan(ds[name].sel(step=20)), name  # not a metrics step
    # p = 7 with 200 draws: every swap of a training pair is a training pair, so the test on
    # the held-out swaps has no pair to measure and records NaN (not 0)
    for name in ("abelian_train_heldout_swap", "abelian_train_heldout_swap_distance"):
        assert ds[name].dims == ("step",)
        assert np.isnan(ds[name]).all(), name
    for name in ("abelian_train", "abelian_val", "perturbed_train_accuracy"):
        assert ((ds[name].sel(step=[0, 60]) >= 0) & (ds[name].sel(step=[0, 60]) <= 1)).all()
    # training fits: the loss surface gets curved and the network more robust to the noise
    assert float(ds["perturbed_train_accuracy"].sel(step=60)) > float(
        ds["perturbed_train_accuracy"].sel(step=0))
    assert float(ds["entropy_clean"].sel(step=60)) <= np.log(200) + 1e-9


def test_metrics_noise_sets_the_level():
    quiet, loud = _run(0.01).sel(seed=0), _run(2.0).sel(seed=0)
    assert abs(float(quiet["mid"].sel(step=60))) < abs(float(loud["mid"].sel(step=60)))
    assert float(quiet["perturbed_train_accuracy"].sel(step=60)) > float(
        loud["perturbed_train_accuracy"].sel(step=60))
