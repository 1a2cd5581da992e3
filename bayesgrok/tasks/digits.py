"""scikit-learn's bundled 1,797 8x8 digits, split at random (no download)."""

from __future__ import annotations

import functools

import numpy as np

from bayesgrok.tasks._checks import check_int, check_n_val
from bayesgrok.tasks.split import Split


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = np.asarray(bunch.data, dtype=np.float64) / 16.0
    y = np.asarray(bunch.target, dtype=np.int64)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def digits(seed: int, n_train: int = 1000, n_val: int | None = None) -> Split:
    """scikit-learn's 1,797 8x8 handwritten digits, split at random (no download).

    Pixels (``0 .. 16``) are divided by 16, giving 64 inputs in ``[0, 1]``. The images are
    permuted with ``seed``; the first ``n_train`` train and the next ``n_val`` (default:
    all the rest) validate.

    Parameters
    ----------
    seed
        Seed of :func:`numpy.random.default_rng`.
    n_train
        Number of training images (``1 <= n_train < 1797``).
    n_val
        Number of validation images (``n_train + n_val <= 1797``), or ``None`` for the rest.

    Returns
    -------
    Split
        10-class classification split with ``(n, 64)`` float64 inputs and int64 labels.

    Examples
    --------
    >>> s = digits(0)
    >>> s.x_train.shape, s.x_val.shape, s.n_classes
    ((1000, 64), (797, 64), 10)
    >>> float(s.x_train.max()), sorted(set(s.y_val.tolist())) == list(range(10))
    (1.0, True)
    """
    task = "digits"
    x, y = _digits_arrays()
    size = len(x)
    n_train = check_int(task, "n_train", n_train, minimum=1)
    if n_train >= size:
        raise ValueError(
            f"task {task!r}: n_train ({n_train}) must be smaller than the {size} images so "
            "that the validation set is not empty"
        )
    n_val = check_n_val(task, n_val, n_train, size, "digits images")
    order = np.random.default_rng(seed).permutation(size)
    train_idx, val_idx = order[:n_train], order[n_train : n_train + n_val]
    return Split(
        name=task,
        x_train=x[train_idx],
        y_train=y[train_idx],
        x_val=x[val_idx],
        y_val=y[val_idx],
        kind="classification",
        n_classes=10,
        accuracy="argmax",
        seed=seed,
        metadata={"n_train": n_train, "n_val": n_val, "n_images": size},
    )
