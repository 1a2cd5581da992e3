"""Hidden parity: the parity of a few bits among spurious ones (REFERENCE.md A3, A6)."""

from __future__ import annotations

import numpy as np

from bayesgrok.tasks._checks import check_int, check_train_size, random_split
from bayesgrok.tasks.conceal import ConcealKind, conceal
from bayesgrok.tasks.published import (
    Seeding,
    check_seeding,
    published_parity_label,
    torch_hidden_bits,
    torch_parity_bits,
)
from bayesgrok.tasks.split import Split


def parity(
    seed: int,
    n_bits: int = 3,
    n_points: int = 1100,
    n_train: int = 1000,
    n_spurious: int = 0,
    spurious: ConcealKind = "bits",
    seeding: Seeding = "bayesgrok",
) -> Split:
    """Parity of ``n_bits`` random bits, optionally hidden among spurious columns.

    Each point has ``n_bits`` random ``{0, 1}`` inputs (columns ``0 .. n_bits - 1``) and the
    label is their sum mod 2. The points are split at random into ``n_train`` training and
    ``n_points - n_train`` validation points, then :func:`~bayesgrok.tasks.conceal` appends
    ``n_spurious`` spurious columns of kind ``spurious``. REFERENCE.md A3 uses
    ``n_spurious=37`` (1100 / 1000 points), A6 ``n_spurious=27`` (1200 / 1000 points).

    With ``seeding="published"`` the bits, the spurious bits and the split are the published
    code's (``ParityTask``, ``HiddenDataset`` and ``random_split`` of tiny-gen, all on torch's
    generator; see :mod:`bayesgrok.tasks.published`), and the label is the published class
    index, 1 when ``prod(2 b - 1) = +1`` (for odd ``n_bits`` the same as the sum mod 2).
    The published code has only ``{0, 1}`` spurious bits, so ``spurious="normal"`` needs
    ``seeding="bayesgrok"``.

    Parameters
    ----------
    seed
        The seed of the generator chosen by ``seeding``.
    n_bits
        Number of informative bits (``>= 1``).
    n_points
        Number of points drawn.
    n_train
        Number of training points (``1 <= n_train < n_points``).
    n_spurious
        Number of spurious columns appended (``>= 0``).
    spurious
        ``"bits"`` (random ``{0, 1}``) or ``"normal"`` (``N(0, 1)``) spurious columns.
    seeding
        ``"published"`` (torch's generator, as tiny-gen) or ``"bayesgrok"``
        (:func:`numpy.random.default_rng`).

    Returns
    -------
    Split
        Binary classification split; ``operand_columns`` are the parity bits and
        ``spurious_columns`` the appended ones.

    Examples
    --------
    >>> s = parity(0, n_spurious=37)
    >>> s.x_train.shape, s.x_val.shape, s.spurious_columns[:2]
    ((1000, 40), (100, 40), (3, 4))
    >>> bool(np.array_equal(s.y_train, s.x_train[:, :3].sum(axis=1) % 2))
    True
    >>> p = parity(42, n_spurious=37, seeding="published")
    >>> p.x_train.shape, bool(np.array_equal(p.y_train, p.x_train[:, :3].sum(axis=1) % 2))
    ((1000, 40), True)
    """
    n_bits = check_int("parity", "n_bits", n_bits, minimum=1)
    n_points = check_int("parity", "n_points", n_points, minimum=2)
    n_train = check_train_size("parity", n_train, n_points)
    n_spurious = check_int("parity", "n_spurious", n_spurious, minimum=0)
    seeding = check_seeding("parity", seeding)
    metadata = {
        "n_bits": n_bits,
        "n_points": n_points,
        "n_train": n_train,
        "n_spurious": n_spurious,
        "spurious": spurious,
        "seeding": seeding,
    }
    extra = None
    if seeding == "published":
        if spurious != "bits":
            raise ValueError(
                "task 'parity': the published code draws only {0, 1} spurious bits; "
                f"spurious={spurious!r} needs seeding='bayesgrok'"
            )
        bits = torch_parity_bits(seed, n_points, n_bits)
        extra, train, val = torch_hidden_bits(seed, n_points, n_spurious, n_train)
        x = np.concatenate([bits.astype(np.float64), extra.astype(np.float64)], axis=1)
        y = published_parity_label(bits)
        metadata["concealed"] = {"n": n_spurious, "kind": "bits"}
    else:
        rng = np.random.default_rng(seed)
        bits = rng.integers(0, 2, size=(n_points, n_bits))
        y = (bits.sum(axis=1) % 2).astype(np.int64)
        x = bits.astype(np.float64)
        train, val = random_split(rng, n_points, n_train)
    split = Split(
        name="parity",
        x_train=x[train],
        y_train=y[train],
        x_val=x[val],
        y_val=y[val],
        kind="classification",
        n_classes=2,
        accuracy="argmax",
        operand_columns=tuple(range(n_bits)),
        spurious_columns=tuple(range(n_bits, x.shape[1])),
        seed=seed,
        metadata=metadata,
    )
    if extra is not None:  # the published stream drew its spurious bits already
        return split
    return conceal(split, n_spurious, kind=spurious)
