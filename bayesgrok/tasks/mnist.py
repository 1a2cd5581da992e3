"""MNIST and scikit-learn's 8x8 digits (REFERENCE.md B1, D1).

- :func:`read_idx` / :func:`write_idx`: the IDX file format of the MNIST distribution,
  raw or gzip-compressed, with every header field checked.
- :func:`load_mnist`: the four official files from a directory (``data_dir``, else
  ``$BAYESGROK_MNIST_DIR``, else a cache directory that is filled by download, checksums
  verified).
- :func:`mnist`: the task. Training subset = the first ``n_train`` training images (the
  papers' choice) or a seeded random subset; the test set validates. Pixels in ``[0, 1]``,
  no normalisation. ``pool=True`` draws training *and* validation images from the
  10,000-image test file alone, for machines that hold only that file.
- :func:`digits`: scikit-learn's bundled 1,797 8x8 digits, split at random (no download).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from bayesgrok.tasks._checks import check_int
from bayesgrok.tasks.split import Split

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
"""Base URL of the MNIST mirror that torchvision downloads from."""

MNIST_FILES: dict[str, tuple[str, str]] = {
    "train_images": ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
}
"""Role -> ``(official file name, MD5 of the gzipped file)``."""

MNIST_DIR_ENV = "BAYESGROK_MNIST_DIR"
"""Environment variable naming a directory that holds the MNIST files."""

SubsetRule = Literal["first", "random"]

_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES: dict[str, int] = {
    "u1": 0x08,
    "i1": 0x09,
    "i2": 0x0B,
    "i4": 0x0C,
    "f4": 0x0D,
    "f8": 0x0E,
}
_GZIP_MAGIC = b"\x1f\x8b"
_TRAIN_ROLES = ("train_images", "train_labels")
_TEST_ROLES = ("test_images", "test_labels")


class MNISTError(ValueError):
    """A missing, corrupt or undownloadable MNIST file; the message names the file.

    Examples
    --------
    >>> isinstance(MNISTError("t10k-labels-idx1-ubyte.gz: bad magic number"), ValueError)
    True
    """


# --------------------------------------------------------------------------- IDX files


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a NumPy array.

    The header is checked: two zero bytes, a known dtype code, the number of dimensions,
    one big-endian ``uint32`` size per dimension; the payload must hold exactly the
    number of bytes those sizes call for. Gzip compression is detected from the file's
    first bytes, not its name.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    numpy.ndarray
        The array in native byte order, shaped as the header says (``uint8`` for MNIST).

    Raises
    ------
    MNISTError
        If the file cannot be read or any header field or the payload size is wrong; the
        message names the file and the problem.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny-idx2-ubyte.gz"
    >>> write_idx(path, np.arange(6, dtype=np.uint8).reshape(2, 3))
    >>> read_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    >>> _ = path.write_bytes(b"\\x00\\x00\\x08\\x01\\x00\\x00\\x00\\x05ab")  # 2 of 5 labels
    >>> try:
    ...     read_idx(path)
    ... except MNISTError as err:
    ...     print(str(err).replace(str(path), "FILE"))
    FILE: truncated: expected 5 bytes of labels, found 2
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == _GZIP_MAGIC:
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise MNISTError(f"{path}: no such file") from None
    except (OSError, EOFError, zlib.error) as err:
        raise MNISTError(f"{path}: cannot read (corrupt gzip data?): {err}") from err
    if len(raw) < 4:
        raise MNISTError(f"{path}: too short for an IDX header ({len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0:
        raise MNISTError(
            f"{path}: bad magic number 0x{raw[:4].hex()}: an IDX file starts with two zero bytes"
        )
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02x}" for c in _IDX_DTYPES)
        raise MNISTError(f"{path}: unknown IDX dtype code 0x{code:02x} (known: {known})")
    if ndim == 0:
        raise MNISTError(f"{path}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise MNISTError(
            f"{path}: truncated header: {ndim} dimensions need {header} bytes, found {len(raw)}"
        )
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header
    what = {1: "labels", 3: "pixels"}.get(ndim, "data")
    if found < expected:
        raise MNISTError(f"{path}: truncated: expected {expected} bytes of {what}, found {found}")
    if found > expected:
        raise MNISTError(
            f"{path}: {found - expected} unexpected trailing bytes after {expected} bytes "
            f"of {what} (header shape {shape})"
        )
    data = np.frombuffer(raw, dtype=dtype, count=expected // dtype.itemsize, offset=header)
    return data.reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write an array as an IDX file, gzip-compressed when ``path`` ends in ``.gz``.

    Parameters
    ----------
    path
        The file to write.
    array
        An array of dtype ``uint8``, ``int8``, ``int16``, ``int32``, ``float32`` or
        ``float64`` with at least one dimension.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte"
    >>> write_idx(path, np.array([7, 2, 1], dtype=np.uint8))
    >>> path.read_bytes()
    b'\\x00\\x00\\x08\\x01\\x00\\x00\\x00\\x03\\x07\\x02\\x01'
    """
    array = np.asarray(array)
    key = f"{array.dtype.kind}{array.dtype.itemsize}"
    if key not in _IDX_CODES or array.ndim == 0 or array.ndim > 255:
        raise ValueError(
            f"write_idx: cannot store an array of dtype {array.dtype} and shape "
            f"{array.shape} in an IDX file"
        )
    code = _IDX_CODES[key]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=_IDX_DTYPES[code]).tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)


# ---------------------------------------------------------------------------- loading


@dataclass(frozen=True, eq=False)
class MNISTData:
    """The MNIST arrays found in one directory (read-only, shared between callers).

    Parameters
    ----------
    directory
        The directory the files were read from.
    test_images, test_labels
        ``uint8`` arrays ``(n, 28, 28)`` and ``(n,)``.
    train_images, train_labels
        Likewise, or ``None`` when the directory has no training files.

    Examples
    --------
    >>> import numpy as np
    >>> d = MNISTData("/nowhere", np.zeros((2, 28, 28), np.uint8), np.zeros(2, np.uint8))
    >>> d.has_train, d.test_images.shape
    (False, (2, 28, 28))
    """

    directory: str
    test_images: np.ndarray
    test_labels: np.ndarray
    train_images: np.ndarray | None = None
    train_labels: np.ndarray | None = None

    @property
    def has_train(self) -> bool:
        """Whether the training files were found."""
        return self.train_images is not None


def mnist_cache_dir() -> Path:
    """The download cache: ``$XDG_CACHE_HOME/bayesgrok/mnist`` (default ``~/.cache/...``).

    Examples
    --------
    >>> mnist_cache_dir().parts[-2:]
    ('bayesgrok', 'mnist')
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base).expanduser().resolve() / "bayesgrok" / "mnist"


def _find(directory: Path, role: str) -> Path | None:
    """The file of a role in a directory: the official ``.gz`` name, else the unzipped one."""
    name = MNIST_FILES[role][0]
    for candidate in (directory / name, directory / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def _offline_help(directory: Path) -> str:
    names = ", ".join(name for name, _ in MNIST_FILES.values())
    return (
        f"Without internet access, download the four files {names} by hand from {MNIST_URL} "
        f"into {directory}, or set the task parameter data_dir (or the environment variable "
        f"{MNIST_DIR_ENV}) to a directory that holds them."
    )


def _download(role: str, directory: Path) -> Path:
    """Download one official file into ``directory`` (temporary name, MD5, rename)."""
    name, md5 = MNIST_FILES[role]
    url = MNIST_URL + name
    target = directory / name
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
    except OSError as err:
        raise MNISTError(
            f"cannot write to the MNIST cache directory {directory}: {err}. "
            f"{_offline_help(directory)}"
        ) from err
    tmp = Path(tmp_name)
    digest = hashlib.md5(usedforsecurity=False)
    try:
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
        except (OSError, http.client.HTTPException) as err:  # URLError is an OSError
            reason = getattr(err, "reason", err)
            raise MNISTError(
                f"cannot download MNIST file {name} from {url}: {reason}. "
                f"{_offline_help(directory)}"
            ) from err
        if digest.hexdigest() != md5:
            raise MNISTError(
                f"downloaded MNIST file {name} from {url} has MD5 {digest.hexdigest()}, "
                f"expected {md5}; the partial file was deleted. Try again later. "
                f"{_offline_help(directory)}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _stamp(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path), stat.st_size, stat.st_mtime_ns


@functools.lru_cache(maxsize=4)
def _read_files(directory: str, files: tuple[tuple[str, int, int] | None, ...]) -> MNISTData:
    """Parse and check the files (cached on their paths, sizes and mtimes)."""
    arrays: dict[str, np.ndarray | None] = {}
    for role, stamp in zip(MNIST_FILES, files, strict=True):
        arrays[role] = None if stamp is None else read_idx(stamp[0])
        if arrays[role] is not None:
            arrays[role].setflags(write=False)
    for images_role, labels_role in (_TRAIN_ROLES, _TEST_ROLES):
        images, labels = arrays[images_role], arrays[labels_role]
        if images is None or labels is None:
            continue
        image_file = files[list(MNIST_FILES).index(images_role)][0]
        label_file = files[list(MNIST_FILES).index(labels_role)][0]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise MNISTError(
                f"{image_file}: expected uint8 images of shape (n, 28, 28), "
                f"found {images.dtype} {images.shape}"
            )
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise MNISTError(
                f"{label_file}: expected uint8 labels of shape (n,), "
                f"found {labels.dtype} {labels.shape}"
            )
        if len(labels) != len(images):
            raise MNISTError(
                f"{label_file} has {len(labels)} labels but {image_file} has {len(images)} images"
            )
        if len(labels) and labels.max() > 9:
            raise MNISTError(f"{label_file}: label {int(labels.max())} is not a digit 0-9")
    return MNISTData(
        directory=directory,
        test_images=arrays["test_images"],  # type: ignore[arg-type]
        test_labels=arrays["test_labels"],  # type: ignore[arg-type]
        train_images=arrays["train_images"],
        train_labels=arrays["train_labels"],
    )


def resolve_mnist_dir(data_dir: str | os.PathLike[str] | None = None) -> tuple[Path, bool]:
    """The directory MNIST is read from, and whether it was given explicitly.

    ``data_dir`` (relative to the current working directory) if given, else
    ``$BAYESGROK_MNIST_DIR`` if set, else :func:`mnist_cache_dir`. Only the cache
    directory (``explicit`` False) is ever downloaded into.

    Parameters
    ----------
    data_dir
        A directory, or ``None``.

    Returns
    -------
    tuple of (pathlib.Path, bool)
        The absolute directory and ``explicit``.

    Examples
    --------
    >>> import os
    >>> path, explicit = resolve_mnist_dir("some/dir")
    >>> path == Path(os.getcwd(), "some", "dir").resolve(), explicit
    (True, True)
    """
    if data_dir is not None:
        return Path(data_dir).expanduser().resolve(), True
    env = os.environ.get(MNIST_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve(), True
    return mnist_cache_dir(), False


def load_mnist(data_dir: str | os.PathLike[str] | None = None, *, train: bool = True) -> MNISTData:
    """Load the MNIST files of a directory, downloading them into the cache if needed.

    The directory is chosen by :func:`resolve_mnist_dir`. Each file is looked up under its
    official name (``t10k-images-idx3-ubyte.gz`` ...) or that name without ``.gz``. A
    directory given explicitly (``data_dir`` or ``$BAYESGROK_MNIST_DIR``) is never
    downloaded into; the cache directory gets the missing official files from
    :data:`MNIST_URL`, each MD5-verified before it is renamed into place. Parsed arrays are
    cached in memory, keyed on the files' paths, sizes and modification times.

    Parameters
    ----------
    data_dir
        Directory holding the files, or ``None``.
    train
        Whether the training files are required (and downloaded into the cache if missing).
        With ``False`` only the test files are required; training files that are present
        are still read.

    Returns
    -------
    MNISTData
        Read-only ``uint8`` arrays; ``train_images`` / ``train_labels`` are ``None`` when
        absent.

    Raises
    ------
    MNISTError
        If required files are missing (and cannot be downloaded), corrupt, or inconsistent.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> d = tempfile.mkdtemp()
    >>> write_idx(f"{d}/t10k-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    >>> write_idx(f"{d}/t10k-labels-idx1-ubyte.gz", np.array([4, 0, 9], np.uint8))
    >>> data = load_mnist(d, train=False)
    >>> data.test_images.shape, data.test_labels.tolist(), data.has_train
    ((3, 28, 28), [4, 0, 9], False)
    >>> try:
    ...     load_mnist(d)
    ... except MNISTError as err:
    ...     print("has no training files" in str(err), "pool = true" in str(err))
    True True
    """
    directory, explicit = resolve_mnist_dir(data_dir)
    required = _TEST_ROLES + (_TRAIN_ROLES if train else ())
    found = {role: _find(directory, role) for role in MNIST_FILES}
    missing = [role for role in required if found[role] is None]
    if not train and (found["train_images"] is None or found["train_labels"] is None):
        found["train_images"] = found["train_labels"] = None  # an incomplete pair is unused
    if missing and not explicit:
        for role in missing:
            found[role] = _download(role, directory)
        missing = []
    if missing:
        names = ", ".join(MNIST_FILES[role][0] for role in missing)
        where = "data_dir" if data_dir is not None else f"${MNIST_DIR_ENV}"
        if not directory.is_dir():
            problem = f"MNIST directory {directory} (from {where}) does not exist"
        elif set(missing) <= set(_TRAIN_ROLES):
            problem = (
                f"MNIST directory {directory} (from {where}) has no training files ({names}); "
                "use pool = true to draw both training and validation images from the test "
                "files, or add the training files"
            )
        else:
            problem = f"MNIST directory {directory} (from {where}) lacks {names}"
        raise MNISTError(
            f"{problem}. The official files are at {MNIST_URL} (an explicitly given "
            "directory is never downloaded into)."
        )
    stamps = tuple(None if found[role] is None else _stamp(found[role]) for role in MNIST_FILES)
    return _read_files(str(directory), stamps)


# ------------------------------------------------------------------------------ tasks


def _check_n_val(task: str, n_val: object, n_train: int | None, size: int, what: str) -> int:
    """``n_val`` (default: all left); ``n_train`` is ``None`` when validation has its own set."""
    available = size - (n_train or 0)
    if n_val is None:
        return available
    n_val = check_int(task, "n_val", n_val, minimum=1)
    if n_val > available:
        asked = f"n_val ({n_val})" if n_train is None else f"n_train + n_val ({n_train} + {n_val})"
        raise ValueError(f"task {task!r}: {asked} exceeds the {size} {what}")
    return n_val


def mnist(
    seed: int,
    n_train: int = 1000,
    n_val: int | None = None,
    pool: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    subset: SubsetRule = "first",
) -> Split:
    """MNIST digits as flattened 784-pixel vectors in ``[0, 1]`` (REFERENCE.md B1, D1).

    Without ``pool``: training = the first ``n_train`` of the 60,000 training images
    (``subset="first"``, the papers' choice; then every seed gives the same data) or
    ``n_train`` drawn at random with ``seed`` (``subset="random"``); validation = the
    10,000-image test set, or its first ``n_val`` images. With ``pool=True`` both come
    from the test file alone (for machines without the training files): training = its
    first ``n_train`` images (or a random ``n_train``), validation = the remaining images
    (or the first ``n_val`` of them); the two never overlap. Pixels are divided by 255;
    no other normalisation. Files are found by :func:`load_mnist`.

    Parameters
    ----------
    seed
        Seed of :func:`numpy.random.default_rng` (used by ``subset="random"``).
    n_train
        Number of training images (``>= 1``).
    n_val
        Number of validation images, or ``None`` for all available.
    pool
        Draw training and validation from the test file only.
    data_dir
        Directory holding the MNIST files (see :func:`resolve_mnist_dir`), or ``None``.
    subset
        ``"first"`` (leading images) or ``"random"`` (seeded draw).

    Returns
    -------
    Split
        10-class classification split with ``(n, 784)`` float64 inputs and int64 labels.

    Raises
    ------
    ValueError
        If a parameter is invalid or asks for more images than there are.
    MNISTError
        If the files are missing, corrupt or cannot be downloaded.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> d = tempfile.mkdtemp()
    >>> rng = np.random.default_rng(0)
    >>> write_idx(f"{d}/t10k-images-idx3-ubyte.gz",
    ...           rng.integers(0, 256, (20, 28, 28), dtype=np.uint8))
    >>> write_idx(f"{d}/t10k-labels-idx1-ubyte.gz", np.arange(20, dtype=np.uint8) % 10)
    >>> s = mnist(0, n_train=5, pool=True, data_dir=d)
    >>> s.x_train.shape, s.x_val.shape, s.n_classes
    ((5, 784), (15, 784), 10)
    >>> s.y_train.tolist(), bool(0 <= s.x_train.min() and s.x_train.max() <= 1)
    ([0, 1, 2, 3, 4], True)
    """
    task = "mnist"
    n_train = check_int(task, "n_train", n_train, minimum=1)
    if subset not in ("first", "random"):
        raise ValueError(f"task {task!r}: subset must be 'first' or 'random', got {subset!r}")
    if not isinstance(pool, bool | np.bool_):
        raise ValueError(f"task {task!r}: pool must be true or false, got {pool!r}")
    pool = bool(pool)
    if n_val is not None:
        check_int(task, "n_val", n_val, minimum=1)
    data = load_mnist(data_dir, train=not pool)
    rng = np.random.default_rng(seed)
    if pool:
        images, labels = data.test_images, data.test_labels
        size = len(images)
        if n_train >= size:
            raise ValueError(
                f"task {task!r}: n_train ({n_train}) must be smaller than the pool of {size} "
                "test images so that the validation set is not empty"
            )
        n_val = _check_n_val(task, n_val, n_train, size, "test images of the pool")
        order = np.arange(size) if subset == "first" else rng.permutation(size)
        train_idx, val_idx = order[:n_train], order[n_train : n_train + n_val]
        x_train, y_train = images[train_idx], labels[train_idx]
        x_val, y_val = images[val_idx], labels[val_idx]
    else:
        assert data.train_images is not None and data.train_labels is not None
        size = len(data.train_images)
        if n_train > size:
            raise ValueError(
                f"task {task!r}: n_train ({n_train}) exceeds the {size} training images"
            )
        if subset == "first":
            train_idx = np.arange(n_train)
        else:
            train_idx = rng.permutation(size)[:n_train]
        n_val = _check_n_val(task, n_val, None, len(data.test_images), "test images")
        x_train, y_train = data.train_images[train_idx], data.train_labels[train_idx]
        x_val, y_val = data.test_images[:n_val], data.test_labels[:n_val]
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
            "pool": pool,
            "subset": subset,
            "data_dir": data.directory,
            "source": "test file (pool)" if pool else "training file / test file",
        },
    )


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
    n_val = _check_n_val(task, n_val, n_train, size, "digits images")
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
