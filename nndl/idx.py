"""nndl.idx
~~~~~~~~

The IDX file format, in which MNIST and Fashion-MNIST are distributed
(LeCun et al., yann.lecun.com/exdb/mnist, "File formats for the MNIST
database"): two zero bytes, a type code, the number of dimensions n, then n
big-endian uint32 sizes, then the values, row-major.  Files are usually
gzipped; every reader here takes either.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from nndl.checksums import check_sha256
from nndl.errors import DataError
from nndl.files import write_bytes_atomic

# IDX type codes (the third byte of the magic number) and their dtypes;
# multi-byte values are big-endian.
IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

# The first two bytes of every gzip member (RFC 1952, section 2.3.1).
GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | os.PathLike, sha256: str | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or not) into an array of its shape.

    If ``sha256`` is given, the file's uncompressed content must have it.
    The array is a read-only view of the file's bytes: copy it to change it.
    """
    data = read_content(Path(path))
    if sha256 is not None:
        check_sha256(data, sha256, Path(path))
    return parse_idx(data, str(path))


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the content of an IDX file, checking that the header and the
    payload agree; ``name`` is used in error messages (DataError)."""
    dtype, shape, header = _parse_header(data, name)
    count = math.prod(shape)
    expected, got = count * dtype.itemsize, len(data) - header
    if got != expected:
        what = "truncated" if got < expected else "has extra bytes"
        raise DataError(
            f"{name}: {what}: its header says shape {shape}, which needs {expected} bytes "
            f"of data, but it has {got}"
        )
    return np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(shape)


def _parse_header(data: bytes, name: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """The dtype, the shape, and the header's length in bytes."""
    if len(data) < 4:
        raise DataError(f"{name}: too short for an IDX file ({len(data)} bytes)")
    code, ndim = data[2], data[3]
    if data[:2] != b"\0\0" or code not in IDX_TYPES or ndim == 0:
        raise DataError(
            f"{name}: bad IDX magic number 0x{data[:4].hex()}: expected 0x0000TTNN with "
            "type TT in 08-0E and NN > 0 dimensions (0x00000803 for images, 0x00000801 "
            "for labels)"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name}: truncated IDX header: {ndim} dimensions need {header} bytes")
    return IDX_TYPES[code], struct.unpack(f">{ndim}I", data[4:header]), header


def idx_header(code: int, shape: tuple[int, ...]) -> bytes:
    """The header of an IDX file of type ``code`` and ``shape``."""
    return struct.pack(f">4B{len(shape)}I", 0, 0, code, len(shape), *shape)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file, gzipped if ``path`` ends in .gz
    (atomically: a reader never sees half a file).  Returns the path."""
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None or array.ndim == 0:
        raise ValueError(f"IDX cannot hold a {array.ndim}-d array of {array.dtype}")
    data = idx_header(code, array.shape) + array.astype(IDX_TYPES[code], copy=False).tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)  # mtime=0: the same array, the same bytes
    write_bytes_atomic(path, data)
    return path


def idx_sha256(arrays: list[np.ndarray]) -> str:
    """The SHA-256 of the IDX file of unsigned bytes that holds ``arrays``
    one after another: images (n, 784) as (n, 28, 28), or labels (n,)."""
    n = sum(len(a) for a in arrays)
    shape = (n, 28, 28) if arrays[0].ndim == 2 else (n,)
    digest = hashlib.sha256(idx_header(0x08, shape))
    for a in arrays:
        digest.update(np.ascontiguousarray(a, dtype=np.uint8).data)
    return digest.hexdigest()


def read_content(path: Path) -> bytes:
    """Return the content of ``path``, decompressed if it is gzipped."""
    with open(path, "rb") as f:
        raw = f.read()
    return gunzip(raw, str(path)) if raw[:2] == GZIP_MAGIC else raw


def gunzip(raw: bytes, name: str) -> bytes:
    """Decompress gzip data in one pass (zlib checks each member's CRC and
    length); a truncated or corrupt file raises DataError."""
    parts = []
    while True:
        inflater = zlib.decompressobj(wbits=31)  # 31: expect a gzip header
        try:
            parts.append(inflater.decompress(raw))
        except zlib.error as e:
            raise DataError(f"{name}: corrupt gzip data ({e})") from None
        if not inflater.eof:
            raise DataError(f"{name}: gzip data ends early: the file is truncated")
        # A gzip file may hold several members one after another (rare);
        # some writers pad the end with zeros.
        raw = inflater.unused_data.lstrip(b"\0")
        if not raw:
            break
    return parts[0] if len(parts) == 1 else b"".join(parts)
