"""Sharpness: the top Hessian eigenvalue of the training loss (REFERENCE C1, Tan & Huang).

C1 ties grokking to robustness through the weight norm; the robustness of the loss to a
perturbation of the *parameters* is its sharpness, the largest-magnitude eigenvalue of the
Hessian of the training loss with respect to all parameters. It is found by power iteration
on Hessian-vector products: ``torch.func.vjp`` of ``torch.func.grad`` of the loss as a
function of the parameters (through ``torch.func.functional_call``), linearised once and
applied to each iterate, so the Hessian is never formed. The Hessian is symmetric, so this
vector-Jacobian product of the gradient is the Hessian-vector product.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.func import functional_call, grad, vjp

from bayesgrok.metrics.norms import weight_norm

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _dot(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> torch.Tensor:
    return sum((torch.sum(a[k].double() * b[k].double()) for k in a),
               torch.zeros((), dtype=torch.float64))


def top_hessian_eigenvalue(model: nn.Module, loss_fn: LossFn, x: torch.Tensor,
                           y: torch.Tensor, *, iters: int = 50, tol: float = 1e-6,
                           seed: int = 0) -> float:
    """Largest-magnitude eigenvalue of the Hessian of ``loss_fn(model(x), y)``, by power iteration.

    The start vector is standard normal over all parameters, drawn from a
    ``torch.Generator`` seeded with ``seed`` (so the result is deterministic), and normalised.
    Each step multiplies by the Hessian, takes the Rayleigh quotient ``v . Hv`` (float64) as
    the estimate and renormalises; it stops after ``iters`` steps or once two estimates
    differ by at most ``tol`` times the latest's magnitude. The loss is evaluated in eval mode
    (no dropout noise, deterministic) on the model's own parameter values; the model's
    parameters, gradients and training mode are left as they were.

    Parameters
    ----------
    model
        The network; the Hessian is taken with respect to all its parameters.
    loss_fn
        ``loss_fn(output, y)``, a scalar (the mean training loss).
    x, y
        The training inputs and targets (the whole set, or a fixed batch of it).
    iters
        Maximum number of Hessian-vector products.
    tol
        Relative tolerance on successive eigenvalue estimates.
    seed
        Seed of the start vector.

    Returns
    -------
    float
        The eigenvalue of largest magnitude, with its sign (negative where the loss is
        concave along the top direction).

    Examples
    --------
    >>> lin = nn.Linear(2, 1, bias=False)
    >>> x = torch.tensor([[1.0, 0.0], [0.0, 3.0]])
    >>> y = torch.zeros(2, 1)
    >>> # mean squared error: Hessian = 2 X^T X / 2 = diag(1, 9)
    >>> round(top_hessian_eigenvalue(lin, nn.functional.mse_loss, x, y), 4)
    9.0
    """
    if iters < 1:
        raise ValueError(f"iters must be at least 1, got {iters}")
    params = {name: p.detach() for name, p in model.named_parameters()}
    if not params:
        raise ValueError(f"{type(model).__name__} has no parameters")
    buffers = {name: b.detach() for name, b in model.named_buffers()}

    def loss(p: dict[str, torch.Tensor]) -> torch.Tensor:
        return loss_fn(functional_call(model, (p, buffers), (x,)), y)

    was_training = model.training
    model.eval()
    try:
        _, hvp = vjp(grad(loss), params)
        gen = torch.Generator().manual_seed(seed)
        v = {k: torch.randn(p.shape, generator=gen, dtype=torch.float64).to(p)
             for k, p in params.items()}
        norm = torch.sqrt(_dot(v, v))
        v = {k: t / norm.to(t) for k, t in v.items()}
        estimate = float("nan")
        for _ in range(iters):
            (hv,) = hvp(v)
            previous, estimate = estimate, float(_dot(v, hv))
            norm = torch.sqrt(_dot(hv, hv))
            if norm == 0:
                return 0.0
            v = {k: t / norm.to(t) for k, t in hv.items()}
            if abs(estimate - previous) <= tol * abs(estimate):
                break
    finally:
        model.train(was_training)
    return estimate


def norm_times_sharpness(model: nn.Module, loss_fn: LossFn, x: torch.Tensor, y: torch.Tensor,
                         *, iters: int = 50, tol: float = 1e-6, seed: int = 0) -> float:
    """Weight L2 norm times the top Hessian eigenvalue (a scale-aware sharpness, C1).

    Parameters
    ----------
    model, loss_fn, x, y, iters, tol, seed
        As in :func:`top_hessian_eigenvalue`.

    Returns
    -------
    float
        ``weight_norm(model) * top_hessian_eigenvalue(model, loss_fn, x, y, ...)``.

    Examples
    --------
    >>> lin = nn.Linear(2, 1, bias=False)
    >>> with torch.no_grad():
    ...     _ = lin.weight.copy_(torch.tensor([[3.0, 4.0]]))
    >>> x = torch.tensor([[1.0, 0.0], [0.0, 3.0]])
    >>> round(norm_times_sharpness(lin, nn.functional.mse_loss, x, torch.zeros(2, 1)), 4)
    45.0
    """
    eig = top_hessian_eigenvalue(model, loss_fn, x, y, iters=iters, tol=tol, seed=seed)
    return float(weight_norm(model)) * eig
