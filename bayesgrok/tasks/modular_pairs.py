"""Modular arithmetic over all operand pairs, split once at random (REFERENCE D2).

Nanda et al.'s grokking setting: every candidate pair ``(a, b)`` of an operation mod a
prime ``p`` occurs exactly once, either in training (a fraction ``train_fraction`` of the
pairs, 30% in D2) or in validation, never in both.

Two encodings of the inputs:

* ``"tokens"``: ``x`` is ``(n, 2)`` and holds the integer token ids ``a`` and ``b``
  (``int64``, values ``0..p-1``). The transformer (:mod:`bayesgrok.families.transformer`)
  appends the ``'='`` token (id ``p``) itself. Engines cast ``x`` to their float dtype
  (the PyTorch engine's ``_tensors``); ids up to ``2**24`` are exact in float32, and the
  transformer rounds them back to integer ids.
* ``"one_hot"``: ``x`` is ``one-hot(a) ++ one-hot(b)`` (``2p`` float64 columns), as the
  ``modular`` task (A4) without concealment bits.
"""

from __future__ import annotations

import numbers

import numpy as np

from bayesgrok.tasks._checks import random_split
from bayesgrok.tasks.modular import (
    OPERATIONS,
    _one_hot,
    candidate_pairs,
    check_operation_and_prime,
)
from bayesgrok.tasks.split import Split

ENCODINGS = ("tokens", "one_hot")
"""The input encodings of :func:`modular_pairs`."""


def modular_pairs(
    seed: int,
    operation: str = "add",
    p: int = 113,
    train_fraction: float = 0.3,
    encoding: str = "tokens",
) -> Split:
    """All operand pairs of ``operation(a, b) mod p``, split at random (REFERENCE D2).

    Every candidate pair (:func:`~bayesgrok.tasks.modular.candidate_pairs`: ``p**2`` pairs,
    ``p * (p - 1)`` for ``div``) is used exactly once. A permutation drawn from
    :func:`numpy.random.default_rng` ``(seed)`` puts ``round(train_fraction * n_pairs)``
    pairs in training and the rest in validation.

    Parameters
    ----------
    seed
        Seed of :func:`numpy.random.default_rng` (the split).
    operation
        A key of :data:`~bayesgrok.tasks.modular.OPERATIONS`.
    p
        The modulus; must be prime (D2: 113).
    train_fraction
        Fraction of the pairs used for training, strictly between 0 and 1 (D2: 0.3).
    encoding
        ``"tokens"``: ``x`` is ``(n, 2)`` ``int64`` token ids ``[a, b]`` (operand columns
        ``(0, 1)``); the model appends the ``'='`` token (id ``p``). ``"one_hot"``: ``x``
        is ``one-hot(a) ++ one-hot(b)`` (``2p`` float64 columns, all operand columns).

    Returns
    -------
    Split
        Classification split named ``"modular_pairs"`` with ``p`` classes; ``metadata``
        holds ``a_train``, ``b_train``, ``a_val``, ``b_val``, ``encoding``, ``operation``,
        ``description``, ``p``, ``train_fraction``, ``n_pairs`` and ``n_train``.

    Raises
    ------
    ValueError
        If ``operation`` or ``encoding`` is unknown, ``p`` is not prime, or
        ``train_fraction`` is not in ``(0, 1)`` or leaves no training or no validation
        pair.

    Examples
    --------
    >>> s = modular_pairs(0, p=7, train_fraction=0.3)
    >>> s.x_train.shape, s.x_val.shape, s.n_classes, s.operand_columns
    ((15, 2), (34, 2), 7, (0, 1))
    >>> a, b = s.x_train[:, 0], s.x_train[:, 1]
    >>> bool(np.array_equal(s.y_train, (a + b) % 7))
    True
    >>> modular_pairs(0, "div", p=5, encoding="one_hot").x_train.shape
    (6, 10)
    """
    p = check_operation_and_prime("modular_pairs", operation, p)
    if encoding not in ENCODINGS:
        raise ValueError(
            f"task 'modular_pairs': unknown encoding {encoding!r}; "
            f"known encodings: {', '.join(ENCODINGS)}"
        )
    if (isinstance(train_fraction, bool) or not isinstance(train_fraction, numbers.Real)
            or not 0.0 < float(train_fraction) < 1.0):
        raise ValueError(
            f"task 'modular_pairs': train_fraction must be a number strictly between 0 and "
            f"1, got {train_fraction!r}"
        )
    train_fraction = float(train_fraction)
    function, description = OPERATIONS[operation]
    a, b = candidate_pairs(operation, p)
    n_pairs = int(a.shape[0])
    n_train = int(round(train_fraction * n_pairs))
    if not 1 <= n_train < n_pairs:
        raise ValueError(
            f"task 'modular_pairs': train_fraction={train_fraction} of the {n_pairs} pairs "
            f"gives {n_train} training pairs; it must leave at least one training and one "
            "validation pair"
        )
    y = np.asarray(function(a, b, p), dtype=np.int64) % p
    if encoding == "tokens":
        x = np.stack([a, b], axis=1).astype(np.int64)
        operand_columns = (0, 1)
    else:
        x = np.concatenate([_one_hot(a, p), _one_hot(b, p)], axis=1)
        operand_columns = tuple(range(2 * p))
    train, val = random_split(np.random.default_rng(seed), n_pairs, n_train)
    return Split(
        name="modular_pairs",
        x_train=x[train],
        y_train=y[train],
        x_val=x[val],
        y_val=y[val],
        kind="classification",
        n_classes=p,
        accuracy="argmax",
        operand_columns=operand_columns,
        seed=seed,
        metadata={
            "operation": operation,
            "description": description,
            "encoding": encoding,
            "p": p,
            "train_fraction": train_fraction,
            "n_pairs": n_pairs,
            "n_train": n_train,
            "a_train": a[train],
            "b_train": b[train],
            "a_val": a[val],
            "b_val": b[val],
        },
    )
