"""Top Hessian eigenvalue by power iteration, against the explicit Hessian of a tiny MLP."""

import pytest
import torch
from torch import nn
from torch.func import functional_call

from bayesgrok.metrics import norm_times_sharpness, top_hessian_eigenvalue, weight_norm

torch.set_num_threads(1)


def tiny_mlp(seed: int) -> nn.Module:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()


def data(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(10, 3, generator=g, dtype=torch.float64),
            torch.randn(10, 2, generator=g, dtype=torch.float64))


def explicit_hessian(model: nn.Module, loss_fn, x, y) -> torch.Tensor:
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    sizes = [p.numel() for _, p in model.named_parameters()]
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])

    def loss(theta):
        params = {n: t.reshape(s) for n, t, s in zip(names, theta.split(sizes), shapes,
                                                     strict=True)}
        return loss_fn(functional_call(model, params, (x,)), y)

    return torch.autograd.functional.hessian(loss, flat)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_top_eigenvalue_matches_the_explicit_hessian(seed):
    model, (x, y) = tiny_mlp(seed), data(seed)
    hess = explicit_hessian(model, nn.functional.mse_loss, x, y)
    assert torch.allclose(hess, hess.T)
    eigs = torch.linalg.eigvalsh(hess)
    expected = eigs[eigs.abs().argmax()].item()
    got = top_hessian_eigenvalue(model, nn.functional.mse_loss, x, y, iters=500, tol=1e-12)
    assert got == pytest.approx(expected, rel=1e-6)


def test_negative_curvature_keeps_its_sign():
    lin = nn.Linear(2, 1, bias=False).double()
    x = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)

    def neg_mse(out, y):
        return -nn.functional.mse_loss(out, y)

    # Hessian of -mean((Xw)^2) is -X^T X = diag(-1, -4)
    got = top_hessian_eigenvalue(lin, neg_mse, x, torch.zeros(2, 1, dtype=torch.float64))
    assert got == pytest.approx(-4.0, rel=1e-6)


def test_sharpness_leaves_parameters_gradients_and_mode_unchanged():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Dropout(0.5), nn.Linear(4, 2)).double()
    x, y = data(3)
    before = [p.detach().clone() for p in model.parameters()]
    model.train()
    first = top_hessian_eigenvalue(model, nn.functional.mse_loss, x, y, seed=5)
    assert model.training
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    # dropout is off during the measurement, so the mode does not change the value
    assert top_hessian_eigenvalue(model, nn.functional.mse_loss, x, y, seed=5) == first
    assert not model.training


def test_deterministic_given_the_seed():
    model, (x, y) = tiny_mlp(4), data(4)
    a = top_hessian_eigenvalue(model, nn.functional.mse_loss, x, y, iters=3, seed=1)
    b = top_hessian_eigenvalue(model, nn.functional.mse_loss, x, y, iters=3, seed=1)
    c = top_hessian_eigenvalue(model, nn.functional.mse_loss, x, y, iters=3, seed=2)
    assert a == b and a != c


def test_norm_times_sharpness_is_the_product():
    model, (x, y) = tiny_mlp(5), data(5)
    eig = top_hessian_eigenvalue(model, nn.functional.mse_loss, x, y)
    assert norm_times_sharpness(model, nn.functional.mse_loss, x, y) == pytest.approx(
        weight_norm(model).item() * eig, rel=1e-12)


def test_rejects_bad_arguments():
    model, (x, y) = tiny_mlp(0), data(0)
    with pytest.raises(ValueError, match="iters"):
        top_hessian_eigenvalue(model, nn.functional.mse_loss, x, y, iters=0)
    with pytest.raises(ValueError, match="no parameters"):
        top_hessian_eigenvalue(nn.Tanh(), nn.functional.mse_loss, x, x)
