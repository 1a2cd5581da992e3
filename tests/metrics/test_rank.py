"""Feature rank (REFERENCE B2): torch.linalg.matrix_rank of the covariance at its default
tolerance, pre-activation outputs through hooks, and the tunnel length."""

import numpy as np
import pytest
import torch
import xarray as xr
from torch import nn

from bayesgrok.families.mlp import MLP
from bayesgrok.metrics import feature_rank, feature_ranks, linear_outputs, tunnel_length
from bayesgrok.tasks import make_task

torch.set_num_threads(1)


def _reference(h):
    return int(torch.linalg.matrix_rank(torch.cov(h.double().T)))


def test_full_rank_features_match_matrix_rank():
    g = torch.Generator().manual_seed(0)
    for n, width in [(200, 30), (20, 30), (500, 64)]:  # includes n - 1 < width
        h = torch.randn(n, width, generator=g, dtype=torch.float64)
        assert feature_rank(h) == _reference(h) == min(width, n - 1)


def test_low_rank_features_match_matrix_rank():
    g = torch.Generator().manual_seed(1)
    for k in (1, 5, 17):
        h = (torch.randn(300, k, generator=g, dtype=torch.float64)
             @ torch.randn(k, 40, generator=g, dtype=torch.float64))
        assert feature_rank(h) == _reference(h) == k
    scaled = torch.randn(100, 10, generator=g, dtype=torch.float64) * torch.logspace(0, -20, 10)
    assert feature_rank(scaled) == _reference(scaled)  # tiny directions fall under the tol


def test_float32_features_are_ranked_in_float64():
    g = torch.Generator().manual_seed(2)
    h = torch.randn(100, 12, generator=g)
    assert feature_rank(h) == _reference(h.double()) == 12


def test_features_of_a_real_mlp_match_matrix_rank():
    split = make_task("parity", seed=0, n_bits=6, n_points=300, n_train=100, n_spurious=10)
    fam = MLP(widths=[32, 32, 32], alpha=2.0, precision="float64")
    model = fam.build(split, 0).double()
    x = torch.as_tensor(split.x_val, dtype=torch.float64)
    outs = linear_outputs(model, x)
    ranks = feature_ranks(model, x)
    assert ranks.shape == (4,) and ranks.dtype == np.int64
    assert ranks.tolist() == [_reference(h) for h in outs]
    assert ranks[0] == 16 and ranks[-1] == 2  # 16 input columns; 2 outputs


def test_linear_outputs_are_pre_activation_and_in_forward_order():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))
    x = torch.randn(10, 4)
    outs = linear_outputs(net, x)
    with torch.no_grad():
        h1 = net[0](x)
        h2 = net[2](torch.relu(h1))
        h3 = net[4](torch.tanh(h2))
    assert len(outs) == 3
    for got, want in zip(outs, (h1, h2, h3), strict=True):
        torch.testing.assert_close(got, want)
    assert (outs[0] < 0).any() and not outs[0].requires_grad
    assert not any(m._forward_hooks for m in net.modules())  # hooks removed


def test_linear_outputs_of_the_mlp_family():
    split = make_task("parity", seed=0, n_points=40, n_train=20)
    model = MLP(widths=[8, 8], activation="tanh").build(split, 0)
    x = torch.as_tensor(split.x_val, dtype=torch.float32)
    outs = linear_outputs(model, x)
    assert [h.shape[1] for h in outs] == [8, 8, 2]
    torch.testing.assert_close(outs[-1], model(x).detach())


def test_tunnel_length_on_numpy():
    ranks = np.array([[400, 390, 250, 20], [400, 400, 400, 399]])
    assert tunnel_length(ranks).tolist() == [2, 0]
    assert tunnel_length(ranks, threshold=395).tolist() == [3, 0]
    assert tunnel_length(np.array([400, 10])) == 1
    with_nan = tunnel_length(np.array([[1.0, 2.0], [np.nan, 2.0]]))
    assert with_nan[0] == 2 and np.isnan(with_nan[1])


def test_tunnel_length_on_a_data_array_reduces_layer_by_name():
    da = xr.DataArray(np.array([[[400, 10, 5]], [[400, 400, np.nan]]]),
                      dims=("step", "seed", "layer"), coords={"step": [0, 5]})
    out = tunnel_length(da)
    assert out.dims == ("step", "seed")
    assert out.sel(step=0).item() == 2 and np.isnan(out.sel(step=5).item())
    with pytest.raises(ValueError, match="layer"):
        tunnel_length(da.rename(layer="depth"))
