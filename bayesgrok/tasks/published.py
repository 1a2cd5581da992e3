"""The data streams of the published code (``jackmiller2003/tiny-gen``, REFERENCE.md A1-A6).

A task drawn with ``seeding="published"`` gets exactly the arrays that the authors' code
draws for the same seed: the same generator, the same calls in the same order, the same
dtype casts. Each function here is one of those streams. None touches a global generator:
numpy's legacy global generator is replayed by a private :class:`numpy.random.RandomState`,
torch's default generator by a private :class:`torch.Generator` and Python's :mod:`random`
by a private :class:`random.Random`, each seeded as the published code seeds the global one
(a fresh generator seeded with ``s`` gives the same numbers as the global one after
``np.random.seed(s)`` / ``torch.manual_seed(s)`` / ``random.seed(s)``).

=================  =========================================================================
experiment         stream (published call sequence)
=================  =========================================================================
A1, A2             :func:`legacy_centred_uniform`: ``np.random.seed(s)``, then
                   ``np.random.rand(n, 1) - 0.5``, cast to float32
A5                 :func:`legacy_noisy_sine`: ``np.random.seed(s)``, ``x = rand(n) * w - w/2``,
                   ``y = sin(2 pi f x) + noise * randn(n)``; then :func:`torch_split` (the
                   ``random_split`` after ``torch.manual_seed(s)``)
A3, A6             :func:`torch_parity_bits` (``torch.manual_seed(s)``,
                   ``torch.randint(0, 2, (n, k))``) and :func:`torch_hidden_bits`
                   (``torch.manual_seed(s)`` again, ``torch.randint(0, 2, (m, 1))`` example
                   by example for the spurious bits, then ``random_split`` on the same
                   generator)
A4                 :func:`python_modular_pairs` (``random.seed(s)``, ``random.randint`` for a
                   then b, example by example) and :func:`torch_hidden_bits` (the extra
                   bits and the split, as for A3)
=================  =========================================================================
"""

from __future__ import annotations

import random
from typing import Any, Literal

import numpy as np

Seeding = Literal["published", "bayesgrok"]
SEEDINGS: tuple[str, ...] = ("published", "bayesgrok")
"""``"published"``: the authors' generators and calls; ``"bayesgrok"``: ``default_rng(seed)``."""


def check_seeding(task: str, seeding: object) -> str:
    """Return ``seeding`` if it is one of :data:`SEEDINGS`, else raise naming the task.

    Examples
    --------
    >>> check_seeding("zero_one", "published")
    'published'
    >>> check_seeding("zero_one", "paper")
    Traceback (most recent call last):
    ...
    ValueError: task 'zero_one': seeding must be 'published' or 'bayesgrok', got 'paper'
    """
    if seeding not in SEEDINGS:
        raise ValueError(
            f"task {task!r}: seeding must be 'published' or 'bayesgrok', got {seeding!r}"
        )
    return str(seeding)


def _torch_generator(seed: int) -> Any:
    import torch

    return torch.Generator().manual_seed(int(seed))


def legacy_centred_uniform(seed: int, n_points: int) -> np.ndarray:
    """``np.random.seed(seed); np.random.rand(n_points, 1) - 0.5``, cast to float32 (A1, A2).

    Parameters
    ----------
    seed
        The published seed.
    n_points
        Number of points.

    Returns
    -------
    numpy.ndarray
        Float32, shape ``(n_points, 1)``, in ``[-0.5, 0.5)``.

    Examples
    --------
    >>> x = legacy_centred_uniform(0, 3)
    >>> x.dtype, x.shape
    (dtype('float32'), (3, 1))
    >>> bool(np.allclose(x[:, 0] + 0.5, np.random.RandomState(0).rand(3)))
    True
    """
    rng = np.random.RandomState(int(seed))
    return (rng.rand(int(n_points), 1) - 0.5).astype(np.float32)


def legacy_noisy_sine(
    seed: int, n_points: int, low: float, high: float, noise: float, frequency: float
) -> tuple[np.ndarray, np.ndarray]:
    """The published ``NoisySineWaveTask`` with random inputs (A5), in float64.

    ``np.random.seed(seed)``; ``x = rand(n) * (high - low) - (high - low) / 2``;
    ``y = sin(2 pi frequency x) + noise * randn(n)``. Like the published code, the inputs
    are centred on 0 (``low`` and ``high`` enter only through their difference).

    Parameters
    ----------
    seed
        The published seed (42 in A5).
    n_points
        Number of points.
    low, high
        Input range.
    noise
        Standard deviation of the target noise.
    frequency
        Frequency ``f`` (A5: ``1 / pi``, so that the target is ``sin(2x)``).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``x`` and ``y``, float64, shape ``(n_points,)``.

    Examples
    --------
    >>> x, y = legacy_noisy_sine(42, 100, -1.5, 1.5, 0.1, 1 / np.pi)
    >>> round(float(x[0]), 6), bool(np.abs(y - np.sin(2 * x)).max() < 0.5)
    (-0.37638, True)
    """
    rng = np.random.RandomState(int(seed))
    width = float(high) - float(low)
    x = rng.rand(int(n_points)) * width - width / 2
    y = 1.0 * np.sin(2 * np.pi * float(frequency) * x + 0.0)
    return x, y + float(noise) * rng.randn(int(n_points))


def torch_split(seed: int, n_points: int, n_train: int) -> tuple[np.ndarray, np.ndarray]:
    """``torch.manual_seed(seed)`` then ``random_split`` into ``n_train`` and the rest.

    ``torch.utils.data.random_split`` draws ``torch.randperm(n_points)`` from the default
    generator; the first ``n_train`` indices train.

    Examples
    --------
    >>> train, val = torch_split(42, 100, 50)
    >>> len(train), len(val), sorted(np.concatenate([train, val]).tolist()) == list(range(100))
    (50, 50, True)
    """
    import torch

    perm = torch.randperm(int(n_points), generator=_torch_generator(seed)).numpy()
    return perm[: int(n_train)].astype(np.int64), perm[int(n_train) :].astype(np.int64)


def _hidden_bits(generator: Any, n_points: int, n_extra: int) -> np.ndarray:
    """The published ``HiddenDataset``'s extra bits: one ``randint(0, 2, (m, 1))`` per example."""
    import torch

    rows = [
        torch.randint(0, 2, (int(n_extra), 1), generator=generator).squeeze().reshape(-1)
        for _ in range(int(n_points))
    ]
    if n_extra == 0:
        return np.zeros((int(n_points), 0), dtype=np.float32)
    return torch.stack(rows).to(torch.float32).numpy()


def torch_hidden_bits(
    seed: int, n_points: int, n_extra: int, n_train: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The published ``HiddenDataset`` then ``random_split`` (A3, A4, A6).

    ``torch.manual_seed(seed)``; for each of the ``n_points`` examples in order,
    ``torch.randint(0, 2, (n_extra, 1))``; then ``torch.randperm(n_points)`` on the same
    generator (``random_split``), whose first ``n_train`` indices train. The split thus
    depends on ``n_extra``, as in the published code.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        The extra bits (float32, ``(n_points, n_extra)``), the training and the validation
        indices.

    Examples
    --------
    >>> bits, train, val = torch_hidden_bits(0, 5, 3, 4)
    >>> bits.shape, sorted(set(bits.ravel().tolist()) | {0.0, 1.0}), len(train), len(val)
    ((5, 3), [0.0, 1.0], 4, 1)
    """
    import torch

    generator = _torch_generator(seed)
    bits = _hidden_bits(generator, n_points, n_extra)
    perm = torch.randperm(int(n_points), generator=generator).numpy().astype(np.int64)
    return bits, perm[: int(n_train)], perm[int(n_train) :]


def torch_parity_bits(seed: int, n_points: int, n_bits: int) -> np.ndarray:
    """The published ``ParityTask``'s bits: ``torch.manual_seed(seed)``, ``randint(0, 2, (n, k))``.

    Examples
    --------
    >>> torch_parity_bits(0, 4, 3).shape
    (4, 3)
    """
    import torch

    generator = _torch_generator(seed)
    return torch.randint(0, 2, (int(n_points), int(n_bits)), generator=generator).numpy()


def published_parity_label(bits: np.ndarray) -> np.ndarray:
    """The class index of the published ``ParityTask``: 1 if ``prod(2 b - 1) = +1``, else 0.

    The published code maps each bit to ``-1`` / ``+1`` and one-hot encodes the product,
    ``[1, 0]`` for ``-1``; cross-entropy reads the class as the one-hot's argmax. For an odd
    number of bits this is ``sum(bits) mod 2``.

    Examples
    --------
    >>> published_parity_label(np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]]))
    array([0, 1, 0, 1])
    """
    bits = np.asarray(bits, dtype=np.int64)
    return (np.prod(2 * bits - 1, axis=1) == 1).astype(np.int64)


def python_modular_pairs(
    seed: int, n_samples: int, p: int, b_low: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The published modular tasks' operands: ``random.seed(seed)``, then per example
    ``a = random.randint(0, p - 1)`` and ``b = random.randint(b_low, p - 1)`` (A4).

    ``b_low`` is 1 for division (``b`` in ``1 .. p - 1``), else 0.

    Examples
    --------
    >>> a, b = python_modular_pairs(0, 4, 7)
    >>> a.tolist(), b.tolist()
    ([6, 6, 0, 4], [3, 3, 2, 3])
    """
    rng = random.Random(int(seed))
    a = np.empty(int(n_samples), dtype=np.int64)
    b = np.empty(int(n_samples), dtype=np.int64)
    for i in range(int(n_samples)):
        a[i] = rng.randint(0, int(p) - 1)
        b[i] = rng.randint(int(b_low), int(p) - 1)
    return a, b
