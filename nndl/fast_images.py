"""nndl.fast_images
~~~~~~~~~~~~~~~~~

Decompress, verify and scale a gzipped IDX file of images in one pipeline.

Why: decompressing is the floor, and done one after another, the checksum
and the conversion to floats add half as much again.  Here the main thread
inflates the file piece by piece while a worker thread hashes and converts
the previous pieces; zlib, hashlib and numpy all release the GIL, so with
two cores that work is hidden.  The result is the plain path's, bit for
bit: the same pixel / 255 in the same dtype.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from nndl.idx import GZIP_MAGIC

# Compressed bytes per step: about 1 MB of pixels.
PIECE = 1 << 18

# The IDX magic number of unsigned bytes in 3 dimensions: (n, rows, columns).
IMAGES_MAGIC = b"\0\0\x08\x03"


class _Unusual(Exception):
    """The file is not a plain gzipped IDX file of images: leave it to the
    plain path, which says what is wrong."""


def load_images_fast(raw: bytes, sha256: str | None, dtype: np.dtype) -> np.ndarray | None:
    """The images of the gzipped IDX file ``raw`` as an (n, rows x columns)
    array of ``dtype`` (a float type), pixel / 255; or None if the file is
    in any way unusual (not gzip, damaged, several members, a checksum
    other than ``sha256``), so that the plain path reads it again and says
    what is wrong."""
    if raw[:2] != GZIP_MAGIC:
        return None
    inflater = zlib.decompressobj(wbits=31)
    digest = hashlib.sha256() if sha256 is not None else None
    try:
        images = _inflate_hash_scale(raw, inflater, digest, dtype)
    except _Unusual:
        return None
    if not inflater.eof or inflater.unused_data.strip(b"\0"):
        return None  # truncated, or more than one gzip member
    if digest is not None and digest.hexdigest() != sha256.lower():
        return None
    return images


def _inflate_hash_scale(raw: bytes, inflater: Any, digest: Any, dtype: np.dtype) -> np.ndarray:
    """Inflate ``raw`` piece by piece; a worker hashes each piece and writes
    its pixels, scaled, into the array this returns."""
    view = memoryview(raw)
    update = digest.update if digest is not None else None
    images = pixels = None  # the output, once the header has told its size
    done = 0
    jobs: list[Future] = []
    with ThreadPoolExecutor(max_workers=1) as worker:  # one worker: pieces stay in order
        for start in range(0, len(raw), PIECE):
            chunk = _inflate(inflater, view[start:start + PIECE])
            header = 0
            if pixels is None:  # the first piece inflates to far more than the header
                images = _allocate(chunk, raw, dtype)
                pixels, header = images.reshape(-1), 16
            count = len(chunk) - header
            if done + count > len(pixels):
                raise _Unusual
            jobs.append(worker.submit(_hash_and_scale, update, chunk, header,
                                      pixels[done:done + count]))
            done += count
    for job in jobs:
        job.result()  # raises here anything that went wrong in the worker
    if done != len(pixels):
        raise _Unusual  # short of pixels
    return images


def _inflate(inflater: Any, piece: memoryview) -> bytes:
    try:
        return inflater.decompress(piece)
    except zlib.error:
        raise _Unusual from None


def _allocate(chunk: bytes, raw: bytes, dtype: np.dtype) -> np.ndarray:
    """The empty (n, rows x columns) output for the header at the start of
    ``chunk``.  Allocates only what the gzip trailer (the uncompressed size,
    mod 2**32; RFC 1952 ISIZE) confirms and deflate could produce (at most
    1032 bytes per compressed byte), never what a damaged header claims."""
    if len(chunk) < 16 or chunk[:4] != IMAGES_MAGIC:
        raise _Unusual
    n, rows, columns = struct.unpack(">3I", chunk[4:16])
    size = 16 + n * rows * columns
    if size % 2**32 != int.from_bytes(raw[-4:], "little") or size > 1032 * len(raw):
        raise _Unusual
    return np.empty((n, rows * columns), dtype=dtype)


def _hash_and_scale(update: Callable[[bytes], object] | None, chunk: bytes, header: int,
                    out: np.ndarray) -> None:
    if update is not None:
        update(chunk)
    if len(out):
        np.divide(np.frombuffer(chunk, np.uint8, offset=header), 255, out=out, dtype=out.dtype)
