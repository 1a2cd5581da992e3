"""Robustness to input noise and the abelian test (REFERENCE C2, C3, Tan & Huang).

* C2, perturbation training: inputs ``x + N(0, s^2 I)`` with the adaptive level
  ``s = max(l1 * (1 - train accuracy), l2)`` (:func:`perturbation_level`); the accuracy and
  loss of a model under such noise (:func:`perturbed_accuracy_and_loss`).
* C3, commutativity: on pairs ``(a, b)``, the fraction whose predicted class for ``a + b``
  equals that for ``b + a``, and the mean Euclidean distance between the two logit vectors
  (:func:`abelian_test`). The caller builds both encodings, so the test does not depend on
  how inputs are encoded. On the training pairs the test is confounded where the swap
  ``(b, a)`` is itself a training pair (a model that memorises its training set passes it
  there trivially); :func:`held_out_swap_mask` picks the training pairs whose swap is
  held out, on which the test measures commutativity the model was never shown.

All evaluations run under ``torch.no_grad()``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

LogitsFn = Callable[[torch.Tensor], torch.Tensor]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def perturbation_level(train_accuracy: float, l1: float, l2: float) -> float:
    """Adaptive noise level ``max(l1 * (1 - train_accuracy), l2)`` of C2.

    Large while the training set is not fitted, falling to the floor ``l2`` as the training
    accuracy reaches 1.

    Parameters
    ----------
    train_accuracy
        Training accuracy, in ``[0, 1]``.
    l1
        Scale of the accuracy-driven part (``>= 0``).
    l2
        Floor of the level (``>= 0``).

    Returns
    -------
    float
        The standard deviation ``s`` of the input noise.

    Raises
    ------
    ValueError
        When ``train_accuracy`` is outside ``[0, 1]`` or ``l1`` or ``l2`` is negative (or any
        of them is NaN).

    Examples
    --------
    >>> perturbation_level(0.5, l1=2.0, l2=0.1)
    1.0
    >>> perturbation_level(1.0, l1=2.0, l2=0.1)
    0.1
    """
    if not 0.0 <= train_accuracy <= 1.0:
        raise ValueError(f"train_accuracy must be in [0, 1], got {train_accuracy}")
    if not l1 >= 0:
        raise ValueError(f"l1 must be non-negative, got {l1}")
    if not l2 >= 0:
        raise ValueError(f"l2 must be non-negative, got {l2}")
    return float(max(l1 * (1.0 - train_accuracy), l2))


def perturbed_accuracy_and_loss(
    logits_fn: LogitsFn,
    loss_fn: LossFn,
    x: torch.Tensor,
    y: torch.Tensor,
    noise_std: float,
    *,
    generator: torch.Generator,
    perturbed_logits: Callable[[torch.Tensor, float, torch.Generator], torch.Tensor]
    | None = None,
) -> tuple[float, float]:
    """Accuracy (argmax) and loss on ``(x, y)`` with inputs ``x + N(0, noise_std^2 I)``.

    Parameters
    ----------
    logits_fn
        Maps inputs to ``(n, n_classes)`` logits (a model in eval mode, say).
    loss_fn
        ``loss_fn(logits, y)``, a scalar (e.g. ``torch.nn.functional.cross_entropy``).
    x, y
        Inputs (floating point unless ``perturbed_logits`` is given) and integer labels.
    noise_std
        Standard deviation of the Gaussian input noise (``>= 0``; 0 gives the clean values).
    generator
        Source of the noise (the same state gives the same result); advanced by the call.
    perturbed_logits
        When given, ``perturbed_logits(x, noise_std, generator)`` returns the logits under
        noise instead of ``logits_fn(x + noise)``: for inputs that cannot take additive
        noise, such as token ids whose noise enters at the embeddings. It should draw its
        noise from ``generator``.

    Returns
    -------
    tuple of float
        ``(accuracy, loss)``.

    Examples
    --------
    >>> w = torch.tensor([[1.0, -1.0], [-1.0, 1.0]])
    >>> x = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    >>> y = torch.tensor([0, 1])
    >>> g = torch.Generator().manual_seed(0)
    >>> acc, loss = perturbed_accuracy_and_loss(lambda v: v @ w, torch.nn.functional.cross_entropy,
    ...                                         x, y, 0.0, generator=g)
    >>> acc, round(loss, 4)
    (1.0, 0.0181)
    """
    if not noise_std >= 0:
        raise ValueError(f"noise_std must be non-negative, got {noise_std}")
    with torch.no_grad():
        if perturbed_logits is not None:
            logits = perturbed_logits(x, noise_std, generator)
        else:
            if not torch.is_floating_point(x):
                raise TypeError(f"cannot add Gaussian noise to {x.dtype} inputs: pass "
                                "perturbed_logits that injects the noise")
            noise = torch.randn(x.shape, generator=generator,  # the seed's draws, on the CPU
                                dtype=x.dtype).to(x.device)
            logits = logits_fn(x + noise_std * noise)
        accuracy = (logits.argmax(dim=-1) == y).double().mean()
        loss = loss_fn(logits, y)
    return float(accuracy), float(loss)


def abelian_test(logits_fn: LogitsFn, x: torch.Tensor,
                 x_swapped: torch.Tensor) -> tuple[float, float]:
    """Commutativity of a model's predictions on pairs (C3's abelian test).

    Parameters
    ----------
    logits_fn
        Maps inputs to ``(n, n_classes)`` logits.
    x
        The pairs ``(a, b)``, encoded as the model expects (C3: the training pairs).
    x_swapped
        The same pairs with the operands exchanged, ``(b, a)``, row for row.

    Returns
    -------
    tuple of float
        ``(agreement, distance)``: the fraction of rows whose argmax class is the same for
        ``x`` and ``x_swapped`` (1 for a commutative model), and the mean Euclidean distance
        between the two logit vectors (0 for a commutative model).

    Examples
    --------
    >>> a, b = torch.tensor([0, 1, 2]), torch.tensor([2, 0, 0])
    >>> w = torch.randn(3, 5)
    >>> def add_model(pairs):  # logits W^T (onehot(a) + onehot(b)): symmetric in a, b
    ...     onehot = torch.nn.functional.one_hot(pairs, 3).double().sum(dim=1)
    ...     return onehot @ w.double()
    >>> abelian_test(add_model, torch.stack([a, b], 1), torch.stack([b, a], 1))
    (1.0, 0.0)
    """
    if x.shape != x_swapped.shape:
        raise ValueError(f"x and x_swapped differ in shape: {tuple(x.shape)}, "
                         f"{tuple(x_swapped.shape)}")
    with torch.no_grad():
        logits = logits_fn(x).to(torch.float64)
        swapped = logits_fn(x_swapped).to(torch.float64)
        agree = (logits.argmax(dim=-1) == swapped.argmax(dim=-1)).double().mean()
        distance = torch.linalg.vector_norm(logits - swapped, dim=-1).mean()
    return float(agree), float(distance)


def held_out_swap_mask(pairs: torch.Tensor | np.ndarray,
                       swapped: torch.Tensor | np.ndarray) -> np.ndarray:
    """Which pairs ``(a, b)`` of a set have a swap ``(b, a)`` outside the set.

    Given the training pairs, ``True`` marks those whose swap is held out: ``(b, a)`` is no
    training pair, and ``a != b`` (a pair with ``a == b`` is its own swap, so it always is
    a training pair). On these pairs the abelian test (:func:`abelian_test`) cannot be
    passed by memorising the training set.

    Parameters
    ----------
    pairs
        ``(n, k)``: the pairs of the set, one per row, in any encoding in which equal pairs
        have equal rows (token ids ``[a, b]``, one-hot ``a ++ b``, ...). Restrict it to the
        operand columns, so that other columns (spurious bits) do not make two encodings of
        the same pair differ.
    swapped
        ``(n, k)``: the same pairs with the operands exchanged, row for row, in the same
        encoding.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` booleans: ``True`` where row ``i`` of ``swapped`` is no row of ``pairs``.

    Raises
    ------
    ValueError
        If ``pairs`` and ``swapped`` are not two-dimensional arrays of the same shape.

    Examples
    --------
    >>> train = np.array([[0, 1], [1, 0], [0, 2], [3, 3]])  # (0, 1) and (1, 0) both train
    >>> held_out_swap_mask(train, train[:, ::-1])  # only (2, 0) is held out
    array([False, False,  True, False])
    """
    x = np.asarray(pairs.detach().cpu() if isinstance(pairs, torch.Tensor) else pairs)
    xs = np.asarray(swapped.detach().cpu() if isinstance(swapped, torch.Tensor) else swapped)
    if x.ndim != 2 or x.shape != xs.shape:
        raise ValueError(f"pairs and swapped must be (n, k) arrays of one shape, got "
                         f"{x.shape} and {xs.shape}")
    n = x.shape[0]
    if n == 0:
        return np.zeros(0, dtype=bool)
    _, ids = np.unique(np.concatenate([x, xs]), axis=0, return_inverse=True)
    ids = ids.reshape(-1)
    return ~np.isin(ids[n:], ids[:n])
