"""nndl.arrays
~~~~~~~~~~~

The four canonical IDX files as arrays: images flattened to rows of
784 = 28 x 28 pixels and scaled to [0, 1] (pixel / 255) for a float dtype,
labels as int64 digits.  Each file is checked: its SHA-256, its IDX header,
its shape, its labels 0-9, and that images and labels agree in number.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import DTypeLike

from nndl.checksums import check_sha256
from nndl.datasets import FILES
from nndl.errors import DataError
from nndl.fast_images import load_images_fast
from nndl.idx import parse_idx, read_content


class Arrays(NamedTuple):
    """The four canonical files as arrays (images flattened to rows)."""

    train_images: np.ndarray  # (60000, 784)
    train_labels: np.ndarray  # (60000,) int64
    test_images: np.ndarray  # (10000, 784)
    test_labels: np.ndarray  # (10000,) int64


def image_dtype(dtype: DTypeLike) -> np.dtype:
    """``dtype`` as a numpy dtype; ValueError unless a float type or uint8."""
    dtype = np.dtype(dtype)
    if dtype != np.uint8 and dtype.kind != "f":
        raise ValueError(f"dtype must be a float type or uint8, not {dtype}")
    return dtype


def read_arrays(paths: dict[str, Path], expected: dict[str, str], dtype: np.dtype) -> Arrays:
    """Read the four files ``paths`` (canonical name to path), each checked
    against ``expected`` (canonical name to SHA-256; a name absent is not
    checked).  DataError if images and labels differ in number."""
    def load(name: str) -> np.ndarray:
        return load_canonical(paths[name], name, expected.get(name), dtype)

    # The four files are independent, and zlib, hashlib and numpy release
    # the GIL for big buffers, so on several cores the small files load
    # while the big one is still decompressing.
    with ThreadPoolExecutor(max_workers=len(FILES)) as pool:
        arrays = Arrays(*pool.map(load, FILES))
    for images, labels, which in ((arrays.train_images, arrays.train_labels, "train"),
                                  (arrays.test_images, arrays.test_labels, "t10k")):
        if len(images) != len(labels):
            raise DataError(
                f"{paths[which + '-images-idx3-ubyte']} holds {len(images)} images but "
                f"{paths[which + '-labels-idx1-ubyte']} holds {len(labels)} labels"
            )
    return arrays


def load_canonical(path: Path, name: str, sha256: str | None, dtype: np.dtype) -> np.ndarray:
    """Read the IDX file ``path`` (canonical ``name``); images come back
    flattened and scaled, labels as int64."""
    if "-images-" in name and dtype.kind == "f":
        images = load_images_fast(path.read_bytes(), sha256, dtype)
        if images is not None:
            return images
    # The plain path: decompress, check, parse, convert, one after another.
    data = read_content(path)
    if sha256 is not None:
        check_sha256(data, sha256, path)
    array = parse_idx(data, str(path))
    if "-images-" in name:
        check_shape(array, 3, path, "images")
        return scale(array.reshape(len(array), -1), dtype)
    check_shape(array, 1, path, "labels")
    if array.size and array.max() > 9:
        raise DataError(f"{path}: labels must be digits 0-9, found {array.max()}")
    return array.astype(np.int64)


def check_shape(array: np.ndarray, ndim: int, path: Path, what: str) -> None:
    """Both kinds of file are unsigned bytes (type 0x08): images are 3-d
    (n, rows, columns), labels 1-d (n,).  DataError otherwise."""
    if array.ndim != ndim or array.dtype != np.uint8:
        raise DataError(
            f"{path}: expected {what}, an IDX file of unsigned bytes in {ndim} dimension(s) "
            f"(magic 0x0000080{ndim}), but it holds {array.dtype} of shape {array.shape}"
        )


def scale(pixels: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Return the uint8 pixels as a new contiguous array of ``dtype``,
    scaled to [0, 1] (pixel / 255) for float types."""
    if dtype == np.uint8:
        return pixels.copy()  # own the memory, rather than pin the file's buffer
    out = np.empty(pixels.shape, dtype=dtype)
    # One pass: numpy converts and divides block by block into ``out``, so
    # there is no temporary full-size float array.
    np.divide(pixels, 255, out=out, dtype=dtype)
    return out


Pair = tuple[np.ndarray, np.ndarray]


def split(arrays: Arrays, validation_size: int) -> tuple[Pair, Pair, Pair]:
    """``(training, validation, test)``, each ``(images, labels)``: the last
    ``validation_size`` training images held out for validation, as views
    (the split copies nothing).  DataError when the training set is too small."""
    n = len(arrays.train_labels) - validation_size
    if not 0 <= validation_size < len(arrays.train_labels):
        raise DataError(
            f"cannot hold out {validation_size} validation images from a training set "
            f"of {len(arrays.train_labels)}"
        )
    return ((arrays.train_images[:n], arrays.train_labels[:n]),
            (arrays.train_images[n:], arrays.train_labels[n:]),
            (arrays.test_images, arrays.test_labels))
