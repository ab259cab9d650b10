"""nndl.book_pickle
~~~~~~~~~~~~~~~~~

The book's ``mnist.pkl.gz`` (github.com/mnielsen/neural-networks-and-deep-learning,
``data/``): a Python 2 pickle of MNIST already split 50,000 / 10,000 /
10,000, each pixel stored as float32 value / 256.  Read through the
restricted unpickler (``nndl.unpickle``), never ``pickle``, and checked:
the structure, the value ranges, and (with ``verify``) that its pixels x 256
and its labels, put back into IDX form, are the canonical files byte for
byte.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from nndl import datasets
from nndl.arrays import Arrays, scale
from nndl.checksums import check_digest
from nndl.errors import DataError
from nndl.idx import idx_sha256, read_content
from nndl.unpickle import unpickle_arrays

BOOK_PARTS = ("training", "validation", "test")

# The book's structure: three (images (n, 784), labels (n,)) pairs.
Book = tuple[tuple[np.ndarray, np.ndarray], ...]


def load_pickle(
    path: str | os.PathLike, *, verify: bool = True, checksums: Mapping[str, str] | None = None
) -> Book:
    """Read the book's ``mnist.pkl.gz`` (or its unzipped ``mnist.pkl``):
    ``(training_data, validation_data, test_data)``, each ``(images,
    labels)`` as the book stored them (float32 images, pixel / 256; int64
    labels).

    A pickle is a program, and ``pickle.load`` runs it: a tampered file
    could do anything.  So this uses an unpickler that knows only how to
    describe arrays, then builds them itself with ``np.frombuffer`` from
    plain numeric dtypes.  Anything else in the file raises DataError
    before it can run.

    Always checked: three ``(images, labels)`` pairs, images of 784 float
    pixels in [0, 1], labels integers 0-9.  With ``verify`` (the default)
    the content must be MNIST itself: 50,000 / 10,000 / 10,000 images, every
    pixel x 256 a whole number 0-255, and those bytes and the labels, put
    back into IDX form (training and validation together), must have the
    SHA-256 of the canonical files (``checksums``, default
    ``SHA256["mnist"]``).  ``verify=False`` for a pickle of your own.
    """
    return load_book(Path(path), verify, checksums)[0]


def load_book(path: Path, verify: bool, checksums: Mapping[str, str] | None
              ) -> tuple[Book, list[np.ndarray] | None]:
    """``load_pickle``'s result, and (once verified) the uint8 pixels of its
    training, validation and test images."""
    result = unpickle_arrays(read_content(path), path)
    check_book_structure(result, path)
    check_book_values(result, path)
    pixels = check_book_content(result, path, checksums) if verify else None
    return result, pixels


def arrays_from_pickle(path: Path, dtype: np.dtype, verify: bool,
                       checksums: Mapping[str, str] | None) -> Arrays:
    """The pickle's data as ``load_arrays`` gives the IDX files': the
    pixels (x 256) scaled as ``nndl.arrays.scale`` scales the IDX files'
    bytes, so that the book's file and the IDX files give the same arrays,
    bit for bit."""
    data, pixels = load_book(path, verify, checksums)
    (_, train_y), (_, valid_y), (_, test_y) = data
    labels = (np.concatenate([train_y, valid_y]).astype(np.int64), test_y.astype(np.int64))
    if pixels is None:
        try:
            pixels = [book_pixels(x, path, part) for (x, _), part in zip(data, BOOK_PARTS)]
        except DataError:
            if dtype == np.uint8:
                raise
            # A pickle of your own (verify=False), not in 256ths: as stored.
            (train, _), (valid, _), (test, _) = data
            return Arrays(np.concatenate([train, valid]).astype(dtype), labels[0],
                          test.astype(dtype), labels[1])
    del data
    train, valid, test = pixels
    return Arrays(scale(np.concatenate([train, valid]), dtype), labels[0],
                  scale(test, dtype), labels[1])


def check_book_structure(data: object, path: Path) -> None:
    """DataError unless ``data`` is three (images (n, 784), labels (n,)) pairs."""
    def is_pair(pair: object) -> bool:
        return (isinstance(pair, tuple) and len(pair) == 2
                and isinstance(pair[0], np.ndarray) and pair[0].ndim == 2
                and isinstance(pair[1], np.ndarray) and pair[1].shape == (len(pair[0]),))

    if not (isinstance(data, tuple) and len(data) == 3 and all(map(is_pair, data))):
        raise DataError(
            f"{path}: expected the book's structure, three (images (n, 784), labels (n,)) pairs"
        )


def check_book_values(data: Book, path: Path) -> None:
    """What any MNIST-like pickle must hold: 784 float pixels in [0, 1] per
    image, integer labels 0-9."""
    for (images, labels), part in zip(data, BOOK_PARTS):
        if images.dtype.kind != "f" or images.shape[1] != 784:
            raise DataError(f"{path}: the {part} images are {images.dtype} of shape "
                            f"{images.shape}; expected floats, 784 pixels per image")
        # NaN fails both comparisons, so it is refused too.
        if len(images) and not (images.min() >= 0 and images.max() <= 1):
            raise DataError(f"{path}: the {part} images hold values outside [0, 1] "
                            f"(from {images.min()} to {images.max()})")
        digits = len(labels) == 0 or 0 <= labels.min() <= labels.max() <= 9
        if labels.dtype.kind not in "iu" or not digits:
            raise DataError(f"{path}: the {part} labels must be integers 0-9, got "
                            f"{labels.dtype} {labels[:5].tolist()}...")


def check_book_content(data: Book, path: Path, checksums: Mapping[str, str] | None
                       ) -> list[np.ndarray]:
    """The pickle's content must be MNIST's: the book's split, and pixels x
    256 and labels equal to the canonical files, byte for byte.  Returns the
    uint8 pixels of the three parts."""
    if checksums is None:  # MNIST itself: its sizes are known, so say which is wrong
        checksums = datasets.SHA256["mnist"]
        sizes = tuple(len(labels) for _, labels in data)
        if sizes != datasets.BOOK_SPLIT:
            raise book_error(path, f"holds {' / '.join(map(str, sizes))} training / validation "
                                   f"/ test images; the book's file holds 50000 / 10000 / 10000")
    (_, train_y), (_, valid_y), (_, test_y) = data
    train, valid, test = pixels = [book_pixels(x, path, part)
                                   for (x, _), part in zip(data, BOOK_PARTS)]
    parts = {
        "train-images-idx3-ubyte": ("its training and validation images (pixels x 256)",
                                    [train, valid]),
        "train-labels-idx1-ubyte": ("its training and validation labels", [train_y, valid_y]),
        "t10k-images-idx3-ubyte": ("its test images (pixels x 256)", [test]),
        "t10k-labels-idx1-ubyte": ("its test labels", [test_y]),
    }
    for name, (what, arrays) in parts.items():
        check_digest(idx_sha256(arrays), checksums[name], f"{path}: {what}")
    return pixels


def book_pixels(images: np.ndarray, path: Path, part: str) -> np.ndarray:
    """The book stored each pixel as value / 256 (exact in float32): x 256
    gives the uint8 value back, or the file is not the book's (DataError)."""
    pixels = np.empty(images.shape, dtype=np.uint8)
    step = 4096  # rows per block: the temporaries stay small
    for start in range(0, len(images), step):
        scaled = images[start:start + step] * 256  # exact: a power of two
        block = pixels[start:start + step]
        np.copyto(block, scaled, casting="unsafe")
        # The values are in [0, 1] (checked), so scaled <= 256; 256 would wrap to 0.
        if not np.array_equal(block, scaled):
            raise book_error(path, f"its {part} pixels x 256 are not whole numbers 0-255, as "
                                   "they are in the book's file")
    return pixels


def book_error(path: Path, problem: str) -> DataError:
    """The DataError for a pickle that is not the book's, in both voices."""
    text = f"{path}: not the book's MNIST pickle: {problem}"
    return DataError(text + " (pass verify=False for a pickle of your own).", text + ".")
