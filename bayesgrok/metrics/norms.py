"""Parameter norms of a PyTorch model (REFERENCE B1: weight norm = L2 norm of all parameters).

Both norms are computed under ``torch.no_grad()`` and returned as 0-d float64 tensors.
"""

from __future__ import annotations

import torch
from torch import nn


def weight_norm(model: nn.Module) -> torch.Tensor:
    """L2 norm of all of ``model``'s parameters (weights and biases), flattened together.

    Parameters
    ----------
    model
        Any ``torch.nn.Module``.

    Returns
    -------
    torch.Tensor
        A 0-d float64 tensor: ``sqrt(sum of the squares of every parameter entry)``.

    Examples
    --------
    >>> lin = nn.Linear(2, 1)
    >>> with torch.no_grad():
    ...     _ = lin.weight.fill_(2.0); _ = lin.bias.fill_(1.0)
    >>> weight_norm(lin).item()
    3.0
    """
    with torch.no_grad():
        total = sum((torch.sum(p.double() ** 2) for p in model.parameters()),
                    torch.zeros((), dtype=torch.float64))
        return torch.sqrt(total)


def last_linear(model: nn.Module) -> nn.Linear:
    """The last ``torch.nn.Linear`` module of ``model`` in registration order.

    Raises
    ------
    ValueError
        When ``model`` has no Linear layer.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> last_linear(net) is net[2]
    True
    """
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no torch.nn.Linear layer")
    return linears[-1]


def last_layer_norm(model: nn.Module) -> torch.Tensor:
    """L2 norm of the parameters (weight and bias) of ``model``'s last ``nn.Linear``.

    Parameters
    ----------
    model
        A module with at least one ``torch.nn.Linear`` (the last registered one is used).

    Returns
    -------
    torch.Tensor
        A 0-d float64 tensor.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1, bias=False))
    >>> with torch.no_grad():
    ...     _ = net[2].weight.fill_(0.5)
    >>> last_layer_norm(net).item()
    1.0
    """
    return weight_norm(last_linear(model))
