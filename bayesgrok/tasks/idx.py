"""The IDX file format of the MNIST distribution: read and write, raw or gzip-compressed,
with every header field checked."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

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


class MNISTError(ValueError):
    """A missing, corrupt or undownloadable MNIST file; the message names the file.

    Examples
    --------
    >>> isinstance(MNISTError("t10k-labels-idx1-ubyte.gz: bad magic number"), ValueError)
    True
    """


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
    return parse_idx(path, read_raw(path)[1])


def read_raw(path: Path) -> tuple[bytes, bytes]:
    """The file's bytes and its uncompressed content (gzip detected from the first bytes).

    Examples
    --------
    >>> import gzip, tempfile
    >>> path = Path(tempfile.mkdtemp()) / "x.gz"
    >>> _ = path.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 9])))
    >>> data, raw = read_raw(path)
    >>> list(raw[-2:]), data[:2] == bytes([0x1F, 0x8B])
    ([7, 9], True)
    """
    try:
        data = path.read_bytes()
        raw = gzip.decompress(data) if data[:2] == _GZIP_MAGIC else data
    except FileNotFoundError:
        raise MNISTError(f"{path}: no such file") from None
    except (OSError, EOFError, zlib.error) as err:
        raise MNISTError(f"{path}: cannot read (corrupt gzip data?): {err}") from err
    return data, raw


def parse_idx(path: Path, raw: bytes) -> np.ndarray:
    """Check an IDX header and payload (uncompressed ``raw``) and return the array.

    Examples
    --------
    >>> parse_idx(Path("labels"), bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 9])).tolist()
    [7, 9]
    >>> parse_idx(Path("labels"), bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 9]))
    Traceback (most recent call last):
    ...
    bayesgrok.tasks.idx.MNISTError: labels: truncated: expected 3 bytes of labels, found 2
    """
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
