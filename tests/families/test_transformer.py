"""The one-layer transformer of D2 (Nanda et al.) as a PyTorch family."""

import math

import numpy as np
import pytest
import torch

from bayesgrok.analysis import grokking_gap
from bayesgrok.families import make_family
from bayesgrok.families.transformer import Transformer
from bayesgrok.families.transformer_net import TransformerNet
from bayesgrok.search import engine_for
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.torch_seed import build_model, tensors_of
from bayesgrok.tasks import make_task

torch.set_num_threads(1)


def _net(seed=0, **kw):
    torch.manual_seed(seed)
    return TransformerNet(**{"p": 7, "d_model": 16, "n_heads": 4, "d_mlp": 32, **kw})


def test_last_position_shortcut_equals_the_full_causal_block():
    net = _net()
    resid = net.embed(torch.tensor([[1, 2], [3, 3], [6, 0], [0, 5]]))
    full = net.block(resid)
    assert torch.allclose(net.last(resid), full[:, -1], atol=1e-6)


def test_attention_is_causal():
    net = _net()
    x1, x2 = torch.tensor([[1, 2]]), torch.tensor([[1, 5]])
    out1, out2 = net.block(net.embed(x1)), net.block(net.embed(x2))
    assert torch.allclose(out1[:, 0], out2[:, 0])  # position 0 never sees b
    assert not torch.allclose(out1[:, 1], out2[:, 1])


def test_nanda_initialisation_scales():
    net = TransformerNet(p=113, d_model=128, n_heads=4, d_mlp=512)
    assert net.W_E.shape == (114, 128) and net.W_U.shape == (128, 113)
    assert float(net.W_E.detach().std()) == pytest.approx(1 / math.sqrt(128), rel=0.05)
    assert float(net.W_in.detach().std()) == pytest.approx(1 / math.sqrt(128), rel=0.05)
    assert float(net.W_U.detach().std()) == pytest.approx(1 / math.sqrt(114), rel=0.05)
    assert float(net.b_in.detach().abs().max()) == 0.0
    assert not any("norm" in name.lower() for name, _ in net.named_modules())


def test_build_is_deterministic_and_refuses_the_wrong_task():
    split = make_task("modular_pairs", seed=0, p=7)
    fam = Transformer(d_model=8, n_heads=2, d_mlp=8, precision="float64")
    a, b = build_model(fam, split, 5), build_model(fam, split, 5)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert a.W_E.dtype == torch.float64
    with pytest.raises(ValueError, match="two operand token ids"):
        fam.build(make_task("modular", seed=0, p=7, n_samples=40, n_train=30), 0)


@pytest.mark.parametrize(("kw", "message"), [
    ({"d_model": 10, "n_heads": 4}, "must divide d_model"),
    ({"init": "xavier"}, "init must be one of"),
    ({"noise_at": "weights"}, "noise_at must be one of"),
    ({"metrics": ["feature_rank"]}, "unknown 'feature_rank'"),
    ({"d_mlp": 0}, "d_mlp must be a positive integer"),
])
def test_bad_hyperparameters_are_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        Transformer(**kw)


@pytest.mark.parametrize("where", ["embeddings", "inputs"])
def test_noise_moves_logits_and_features_reproducibly(where):
    net = _net()
    fam = Transformer(d_model=16, n_heads=4, d_mlp=32, noise_at=where)
    x = torch.tensor([[1.0, 2.0], [4.0, 6.0]])
    clean = fam.logits(net, x)
    assert torch.equal(fam.logits(net, x, noise=0.0), clean)

    def noisy(fn):
        return fn(net, x, noise=0.3, generator=torch.Generator().manual_seed(1))

    assert not torch.allclose(noisy(fam.logits), clean)
    assert torch.equal(noisy(fam.logits), noisy(fam.logits))
    assert torch.allclose(noisy(fam.features) @ net.W_U, noisy(fam.logits), atol=1e-5)


def test_a_commutative_transformer_passes_the_abelian_test():
    """Equal positional embeddings for a and b make the logits symmetric by construction:
    the last position attends over the same set of keys either way."""
    split = make_task("modular_pairs", seed=0, p=7)
    fam = Transformer(d_model=16, n_heads=4, d_mlp=32, metrics=["abelian"])
    model = build_model(fam, split, 0)
    before = fam.metrics(model, split, tensors_of(split, torch.float32))
    with torch.no_grad():
        model.W_pos[1] = model.W_pos[0]
    after = fam.metrics(model, split, tensors_of(split, torch.float32))
    assert float(after["abelian_train"][1]) == 1.0 and float(after["abelian_val"][1]) == 1.0
    assert float(after["abelian_train_distance"][1]) < 1e-5
    assert float(after["abelian_train_heldout_swap"][1]) == 1.0  # 30%: many such pairs
    assert float(after["abelian_train_heldout_swap_distance"][1]) < 1e-5
    assert float(before["abelian_train_distance"][1]) > 1e-3  # a random net is not


def test_short_run_fits_training_pairs_long_before_the_held_out_ones():
    splits = [make_task("modular_pairs", seed=s, p=23, train_fraction=0.5) for s in (0, 1)]
    fam = make_family("transformer", d_model=32, n_heads=4, d_mlp=64)
    search = SearchConfig(optimizer="adamw", optimizer_args={
        "learning_rate": 3e-3, "weight_decay": 1.0, "betas": [0.9, 0.98]},
        steps=200, log={"every": 10})
    ds, _ = engine_for(fam)(fam, splits, search)
    assert ds.attrs["family"] == "transformer" and ds.attrs["engine"] == "torch"
    gap = grokking_gap(ds, 0.95)
    for seed in (0, 1):
        train_onset = int(gap["train_onset"].sel(seed=seed))
        assert bool(gap["train_crossed"].sel(seed=seed)) and train_onset <= 150
        val_then = float(ds["val_accuracy"].sel(seed=seed, step=train_onset))
        assert val_then < 0.5  # memorised, not generalised
    assert np.all(ds["status"].values == "ok")
