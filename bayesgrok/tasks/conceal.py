"""Concealment: append spurious input columns to a split (REFERENCE.md A3, A4, A6)."""

from __future__ import annotations

import numbers
from dataclasses import replace
from typing import Literal

import numpy as np

from bayesgrok.tasks.split import Split

ConcealKind = Literal["bits", "normal"]
CONCEAL_KINDS: tuple[str, ...] = ("bits", "normal")
_CONCEAL_STREAM = 0xC0


def conceal(split: Split, n: int, kind: ConcealKind = "bits", seed: int | None = None) -> Split:
    """Append ``n`` spurious input columns to the training and validation inputs.

    Parameters
    ----------
    split
        The split to conceal.
    n
        Number of spurious columns to append (``>= 0``).
    kind
        ``"bits"``: random ``{0, 1}`` values (as float); ``"normal"``: ``N(0, 1)`` draws.
    seed
        Seed of the spurious columns; ``split.seed`` when ``None``. The stream is derived as
        ``default_rng([seed, 0xC0, split.n_features])``, so it is distinct from the task's own
        ``default_rng(seed)`` stream and repeated concealment adds different columns.

    Returns
    -------
    Split
        A copy with ``n`` more input columns. Their indices are appended to
        ``spurious_columns`` and ``metadata["concealed"] = {"n": n, "kind": kind}`` records
        this call (the most recent one, if concealed more than once). ``n = 0`` returns an
        equivalent split (same arrays).

    Raises
    ------
    ValueError
        If ``n`` is not a non-negative integer or ``kind`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> s = Split("toy", np.zeros((4, 2)), np.zeros(4), np.zeros((3, 2)), np.zeros(3),
    ...           kind="regression", seed=1)
    >>> c = conceal(s, 3)
    >>> c.n_features, c.spurious_columns, c.metadata["concealed"]
    (5, (2, 3, 4), {'n': 3, 'kind': 'bits'})
    >>> sorted(set(np.unique(c.x_train[:, 2:]).tolist()) | {0.0, 1.0})
    [0.0, 1.0]
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"conceal: n must be a non-negative integer, got {n!r}")
    n = int(n)
    if kind not in CONCEAL_KINDS:
        raise ValueError(
            f"conceal: unknown kind {kind!r}; expected one of {', '.join(CONCEAL_KINDS)}"
        )
    metadata = {**split.metadata, "concealed": {"n": n, "kind": kind}}
    if n == 0:
        return replace(split, metadata=metadata)
    base = split.seed if seed is None else seed
    d = split.n_features
    rng = np.random.default_rng([int(base), _CONCEAL_STREAM, d])
    rows = split.n_train + split.n_val
    if kind == "bits":
        extra = rng.integers(0, 2, size=(rows, n)).astype(np.float64)
    else:
        extra = rng.standard_normal(size=(rows, n))
    x_train = np.concatenate(
        [np.asarray(split.x_train, dtype=np.float64), extra[: split.n_train]], axis=1
    )
    x_val = np.concatenate(
        [np.asarray(split.x_val, dtype=np.float64), extra[split.n_train :]], axis=1
    )
    spurious = tuple(split.spurious_columns) + tuple(range(d, d + n))
    return split.with_inputs(x_train, x_val, spurious_columns=spurious, metadata=metadata)
