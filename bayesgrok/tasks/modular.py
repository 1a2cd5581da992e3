"""Modular arithmetic with concealment bits (REFERENCE.md A4).

Six binary operations mod a prime ``p``; inputs are ``one-hot(a) ++ one-hot(b)`` plus
optional random ``{0, 1}`` bits that carry no information about the label.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from bayesgrok.tasks._checks import check_int, random_split
from bayesgrok.tasks.conceal import conceal
from bayesgrok.tasks.published import (
    Seeding,
    check_seeding,
    python_modular_pairs,
    torch_hidden_bits,
)
from bayesgrok.tasks.split import Split

Operation = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


def _add(a: np.ndarray, b: np.ndarray, p: int) -> np.ndarray:
    return (a + b) % p


def _sub(a: np.ndarray, b: np.ndarray, p: int) -> np.ndarray:
    return (a - b) % p


def _div(a: np.ndarray, b: np.ndarray, p: int) -> np.ndarray:
    b = np.asarray(b, dtype=np.int64) % p
    if np.any(b == 0):
        raise ValueError(f"div: b must be in 1..{p - 1} (b = 0 has no inverse mod {p})")
    inverse = np.array([0] + [pow(v, p - 2, p) for v in range(1, p)], dtype=np.int64)
    return (a * inverse[b]) % p


def _quad(a: np.ndarray, b: np.ndarray, p: int) -> np.ndarray:
    return (a * a + a * b + b * b) % p


def _quad_plus_a(a: np.ndarray, b: np.ndarray, p: int) -> np.ndarray:
    return (a * a + a * b + b * b + a) % p


def _aba(a: np.ndarray, b: np.ndarray, p: int) -> np.ndarray:
    return (a * b * a) % p


OPERATIONS: dict[str, tuple[Operation, str]] = {
    "add": (_add, "a + b mod p"),
    "sub": (_sub, "a - b mod p"),
    "div": (_div, "a * b^-1 mod p, b in 1..p-1"),
    "quad": (_quad, "a^2 + ab + b^2 mod p"),
    "quad_plus_a": (_quad_plus_a, "a^2 + ab + b^2 + a mod p"),
    "aba": (_aba, "a * b * a mod p"),
}
"""Operation name -> ``(f(a, b, p) -> int array, description)``; all results are mod ``p``."""


def is_prime(n: int) -> bool:
    """Whether the integer ``n`` is prime (trial division).

    Examples
    --------
    >>> [k for k in range(20) if is_prime(k)]
    [2, 3, 5, 7, 11, 13, 17, 19]
    """
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    k = 3
    while k * k <= n:
        if n % k == 0:
            return False
        k += 2
    return True


def candidate_pairs(operation: str, p: int) -> tuple[np.ndarray, np.ndarray]:
    """All operand pairs ``(a, b)`` of an operation: ``0..p-1`` squared, ``b >= 1`` for div.

    Examples
    --------
    >>> a, b = candidate_pairs("div", 3)
    >>> list(zip(a.tolist(), b.tolist()))
    [(0, 1), (0, 2), (1, 1), (1, 2), (2, 1), (2, 2)]
    """
    b_low = 1 if operation == "div" else 0
    a, b = np.meshgrid(np.arange(p), np.arange(b_low, p), indexing="ij")
    return a.reshape(-1).astype(np.int64), b.reshape(-1).astype(np.int64)


def _one_hot(values: np.ndarray, p: int) -> np.ndarray:
    out = np.zeros((values.shape[0], p), dtype=np.float64)
    out[np.arange(values.shape[0]), values] = 1.0
    return out



def check_operation_and_prime(task: str, operation: str, p: object) -> int:
    """``p`` as an int, after checking that ``operation`` is known and ``p`` is prime.

    Raises
    ------
    ValueError
        Naming the task, the parameter and its value.

    Examples
    --------
    >>> check_operation_and_prime("modular", "add", 7)
    7
    >>> check_operation_and_prime("modular", "add", 8)
    Traceback (most recent call last):
    ...
    ValueError: task 'modular': p must be prime, got p=8
    """
    if operation not in OPERATIONS:
        raise ValueError(
            f"task {task!r}: unknown operation {operation!r}; "
            f"known operations: {', '.join(OPERATIONS)}"
        )
    p = check_int(task, "p", p, minimum=0)
    if not is_prime(p):
        raise ValueError(f"task {task!r}: p must be prime, got p={p}")
    return p

def modular(
    seed: int,
    operation: str = "add",
    p: int = 7,
    n_samples: int = 800,
    n_train: int = 600,
    n_extra_bits: int = 0,
    seeding: Seeding = "bayesgrok",
) -> Split:
    """Modular arithmetic ``operation(a, b) mod p`` with concealment bits (REFERENCE.md A4).

    ``n_samples`` pairs are drawn *with replacement* from all candidate pairs
    (:func:`candidate_pairs`) and split at random into ``n_train`` training and
    ``n_samples - n_train`` validation examples, so validation pairs usually also occur in
    training. Inputs are ``one-hot(a) ++ one-hot(b)`` (``2p`` columns); then
    :func:`~bayesgrok.tasks.conceal` appends ``n_extra_bits`` random ``{0, 1}`` columns.

    With ``seeding="published"`` the data are the published code's: the operands from
    Python's :mod:`random` (``random.seed(seed)``, then ``randint`` for ``a`` and for ``b``,
    example by example), the extra bits and the split from torch's generator
    (``HiddenDataset`` and ``random_split``; see :mod:`bayesgrok.tasks.published`). The
    split then depends on ``n_extra_bits``, as in the published code.

    Parameters
    ----------
    seed
        The seed of the generator(s) chosen by ``seeding``.
    operation
        A key of :data:`OPERATIONS`.
    p
        The modulus; must be prime.
    n_samples
        Number of examples drawn.
    n_train
        Number of training examples (``1 <= n_train < n_samples``).
    n_extra_bits
        Number of random ``{0, 1}`` columns appended (``l`` in the paper).
    seeding
        ``"published"`` (Python's ``random`` and torch's generator, as tiny-gen) or
        ``"bayesgrok"`` (:func:`numpy.random.default_rng`).

    Returns
    -------
    Split
        Classification split with ``p`` classes; ``metadata`` holds ``a_train``,
        ``b_train``, ``a_val``, ``b_val``, the operation and the parameters.

    Raises
    ------
    ValueError
        If ``p`` is not prime or ``operation`` is unknown.

    Examples
    --------
    >>> s = modular(0, "add", n_extra_bits=10)
    >>> s.x_train.shape, s.x_val.shape, s.n_classes
    ((600, 24), (200, 24), 7)
    >>> m = s.metadata
    >>> bool(np.array_equal(s.y_train, (m["a_train"] + m["b_train"]) % 7))
    True
    >>> modular(0, "div", n_extra_bits=10, seeding="published").x_train.shape
    (600, 24)
    """
    p = check_operation_and_prime("modular", operation, p)
    n_samples = check_int("modular", "n_samples", n_samples, minimum=2)
    n_train = check_int("modular", "n_train", n_train, minimum=1)
    if n_train >= n_samples:
        raise ValueError(
            f"task 'modular': n_train ({n_train}) must be smaller than n_samples ({n_samples})"
        )
    n_extra_bits = check_int("modular", "n_extra_bits", n_extra_bits, minimum=0)
    seeding = check_seeding("modular", seeding)
    function, description = OPERATIONS[operation]

    extra = None
    if seeding == "published":
        a, b = python_modular_pairs(seed, n_samples, p, b_low=1 if operation == "div" else 0)
        extra, train, val = torch_hidden_bits(seed, n_samples, n_extra_bits, n_train)
    else:
        rng = np.random.default_rng(seed)
        a_all, b_all = candidate_pairs(operation, p)
        pick = rng.integers(0, a_all.shape[0], size=n_samples)
        a, b = a_all[pick], b_all[pick]
    y = np.asarray(function(a, b, p), dtype=np.int64) % p
    x = np.concatenate([_one_hot(a, p), _one_hot(b, p)], axis=1)
    if extra is not None:
        x = np.concatenate([x, extra.astype(np.float64)], axis=1)
    else:
        train, val = random_split(rng, n_samples, n_train)
    split = Split(
        name="modular",
        x_train=x[train],
        y_train=y[train],
        x_val=x[val],
        y_val=y[val],
        kind="classification",
        n_classes=p,
        accuracy="argmax",
        operand_columns=tuple(range(2 * p)),
        spurious_columns=tuple(range(2 * p, x.shape[1])),
        seed=seed,
        metadata={
            "seeding": seeding,
            "operation": operation,
            "description": description,
            "p": p,
            "n_samples": n_samples,
            "n_train": n_train,
            "n_extra_bits": n_extra_bits,
            "a_train": a[train],
            "b_train": b[train],
            "a_val": a[val],
            "b_val": b[val],
        },
    )
    if extra is not None:
        return replace(split, metadata={**split.metadata,
                                        "concealed": {"n": n_extra_bits, "kind": "bits"}})
    return conceal(split, n_extra_bits, kind="bits")
