"""Linear probes of a network's layers (REFERENCE B3, Fan, Pascanu & Jaggi's "Deep Grokking").

For every Linear layer, a linear classifier ``width -> n_classes`` is trained on that
layer's outputs (before the activation) on the training set and scored by its accuracy on
the validation (evaluation) set's outputs: 30 epochs of Adam (learning rate 1e-3) on
shuffled batches of 512, minimising the cross-entropy plus ``1e-3`` times the Frobenius
norm of the probe's weight matrix.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from bayesgrok.metrics.rank import linear_outputs


def linear_probe_accuracy(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    val_features: torch.Tensor,
    val_labels: torch.Tensor,
    *,
    epochs: int = 30,
    lr: float = 1e-3,
    batch_size: int = 512,
    penalty: float = 1e-3,
    seed: int = 0,
    n_classes: int | None = None,
) -> float:
    """Validation accuracy of a linear classifier trained on ``train_features`` (B3).

    The probe is a ``torch.nn.Linear(width, n_classes)`` with PyTorch's default
    initialisation (drawn from a private RNG seeded by ``seed``), in the features' dtype.
    Each of ``epochs`` passes visits the training set once in a new random order (from a
    ``torch.Generator`` seeded by ``seed``) in batches of ``batch_size`` (the last one may
    be smaller), with one Adam step per batch on

    ``cross_entropy(probe(x), y) + penalty * ||W||_F``

    where ``||W||_F`` is the Frobenius norm of the probe's weight (not squared; the bias is
    not penalised). Training runs with gradients enabled even when called under
    ``torch.no_grad()``; the result is deterministic given ``seed`` on one machine.

    Parameters
    ----------
    train_features, train_labels
        Features ``(n, width)`` and integer class labels ``(n,)`` to fit.
    val_features, val_labels
        Features and labels to score.
    epochs, lr, batch_size, penalty
        Training settings (B3: 30, 1e-3, 512, 1e-3).
    seed
        Seeds the probe's initialisation and the batch order.
    n_classes
        Number of classes (default: one more than the largest label seen).

    Returns
    -------
    float
        The fraction of validation points whose highest-scoring class is their label.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(400, 5, generator=g)
    >>> y = (x[:, 0] + x[:, 1] > 0).long()
    >>> acc = linear_probe_accuracy(x[:300], y[:300], x[300:], y[300:], epochs=100, lr=1e-2,
    ...                             batch_size=64)
    >>> acc > 0.95
    True
    """
    train_features = train_features.detach()
    val_features = val_features.detach()
    device = train_features.device  # the probe trains where the features are
    train_labels = torch.as_tensor(train_labels, dtype=torch.long, device=device)
    val_labels = torch.as_tensor(val_labels, dtype=torch.long, device=device)
    if train_features.ndim != 2 or val_features.ndim != 2:
        raise ValueError("features must be n x width")
    if train_features.shape[1] != val_features.shape[1]:
        raise ValueError(f"training features have width {train_features.shape[1]}, "
                         f"validation features {val_features.shape[1]}")
    if n_classes is None:
        n_classes = int(max(train_labels.max(), val_labels.max())) + 1
    n, width = train_features.shape
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        probe = nn.Linear(width, n_classes).to(train_features.dtype)  # drawn on the CPU
    probe = probe.to(device)
    optimizer = torch.optim.Adam(probe.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(int(seed))
    with torch.enable_grad():
        for _ in range(epochs):
            order = torch.randperm(n, generator=generator).to(device)
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                optimizer.zero_grad(set_to_none=True)
                loss = F.cross_entropy(probe(train_features[idx]), train_labels[idx])
                loss = loss + penalty * torch.linalg.matrix_norm(probe.weight)
                loss.backward()
                optimizer.step()
    with torch.no_grad():
        hits = probe(val_features).argmax(dim=-1) == val_labels
    return float(hits.double().mean())


def linear_probe_accuracies(
    model: nn.Module,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_val: torch.Tensor,
    y_val: torch.Tensor,
    **probe_args: float | int | None,
) -> np.ndarray:
    """:func:`linear_probe_accuracy` of every Linear layer of ``model``, in forward order.

    Each layer's probe is fitted on its outputs (before the activation) on ``x_train`` and
    scored on its outputs on ``x_val`` (B3: the training subset and the test set).

    Parameters
    ----------
    model
        Any module with ``torch.nn.Linear`` layers.
    x_train, y_train, x_val, y_val
        Inputs and integer labels of the training and validation sets.
    **probe_args
        Passed to :func:`linear_probe_accuracy` (``epochs``, ``lr``, ``seed``, ...).

    Returns
    -------
    numpy.ndarray
        Accuracies in [0, 1], shape ``(n_linear_layers,)``.

    Examples
    --------
    >>> with torch.random.fork_rng():
    ...     _ = torch.manual_seed(0)
    ...     net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    ...     x = torch.randn(200, 4)
    >>> y = (x[:, 0] > 0).long()
    >>> accs = linear_probe_accuracies(net, x[:100], y[:100], x[100:], y[100:], epochs=300,
    ...                                lr=1e-2)
    >>> accs.shape, bool(accs[0] > 0.9)
    ((2,), True)
    """
    train = linear_outputs(model, x_train)
    val = linear_outputs(model, x_val)
    return np.asarray([
        linear_probe_accuracy(h_train, y_train, h_val, y_val, **probe_args)  # type: ignore[arg-type]
        for h_train, h_val in zip(train, val, strict=True)
    ])
