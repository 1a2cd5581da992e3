"""Parameter norms: the weight norm and the last Linear layer's norm."""

import numpy as np
import pytest
import torch
from torch import nn

from bayesgrok.families.mlp import MLP
from bayesgrok.metrics import last_layer_norm, last_linear, weight_norm
from bayesgrok.tasks import make_task

torch.set_num_threads(1)


def test_weight_norm_is_the_l2_norm_of_every_parameter():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    flat = torch.cat([p.detach().double().flatten() for p in net.parameters()])
    assert weight_norm(net).item() == pytest.approx(torch.linalg.vector_norm(flat).item())
    assert weight_norm(net).dtype == torch.float64 and weight_norm(net).ndim == 0


def test_last_layer_norm_takes_the_last_linear_only():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(1.0)
    assert last_linear(net) is net[2]
    assert last_layer_norm(net).item() == pytest.approx(np.sqrt(3 * 2 + 2))
    assert weight_norm(net).item() == pytest.approx(np.sqrt(2 * 3 + 3 + 3 * 2 + 2))


def test_norms_need_no_grad_and_refuse_models_without_linear_layers():
    net = nn.Linear(3, 1)
    assert not weight_norm(net).requires_grad
    with pytest.raises(ValueError, match="no torch.nn.Linear"):
        last_layer_norm(nn.ReLU())


def test_mlp_probes_are_these_norms():
    split = make_task("parity", seed=0, n_points=40, n_train=20)
    fam = MLP(widths=[8, 8], alpha=3.0, last_bias=False)
    model = fam.build(split, 0)
    probes = fam.probes(model, split)
    assert probes["weight_norm"][1] == pytest.approx(weight_norm(model).item())
    assert probes["last_layer_norm"][1] == pytest.approx(last_layer_norm(model).item())
    assert probes["weight_norm"][0] == ()
