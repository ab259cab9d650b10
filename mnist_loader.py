"""
mnist_loader
~~~~~~~~~~~~

A library to load the MNIST image data (and Fashion-MNIST, which has the
same format).  The calls of the book's loader still work::

    import mnist_loader
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()

``load_data()`` returns ``(training_data, validation_data, test_data)``,
each a pair ``(images, labels)``: images are floats in [0, 1], one image
per row of 784 = 28 x 28 pixels; labels are integers 0-9.  The split is
the book's: training is the first 50,000 of MNIST's 60,000 training
images, validation the last 10,000 of them, test the 10,000 test images.

``load_data_wrapper()`` returns the same data as lists of ``(x, y)``
pairs, the shape ``network.py`` wants: ``x`` a (784, 1) column, ``y`` a
one-hot (10, 1) column for training and a plain ``int`` for validation
and test.

``load_arrays()`` is the fast API: the four canonical files as contiguous
arrays, no Python object per image.  Its keyword options (``dtype``,
``verify``, ``download``, ``verbose``, ``checksums``, ``mirrors``) are
documented there once, and ``load_data`` and ``load_data_wrapper`` pass
them on.

Where the files come from, in this order: the ``data_dir`` argument; the
folder named by ``$MNIST_DATA_DIR`` (``$FASHION_MNIST_DATA_DIR``); a
system folder; the project's ``data/<dataset>/`` cache; and finally a
download from public mirrors into that cache.  In each folder it takes
the four IDX files, or else (MNIST only) the book's ``mnist.pkl.gz`` or
its unzipped ``mnist.pkl``.  A folder you name (``data_dir``, the
environment variable) must exist: it is never created.

What this loader does differently from the book's, and why:

- It reads the canonical IDX files (``train-images-idx3-ubyte.gz`` ...)
  directly: one decompression and ``np.frombuffer`` per file, no pickle.
- It checks what matters, the data: the SHA-256 of each file's
  *uncompressed* content, which does not depend on how a copy was gzipped.
- It still reads the book's pickle, but never with the plain ``pickle``
  module, which would run any code a tampered file carries; and it checks
  that the pickle's pixels x 256 and labels are MNIST's, byte for byte.

How it does all that is in the internal package ``nndl``, one idea per
module: ``nndl.datasets`` (the datasets, files, checksums, mirrors),
``nndl.locate`` (where the data lives), ``nndl.download``, ``nndl.idx``
(the file format), ``nndl.arrays`` (the files as checked arrays),
``nndl.unpickle`` and ``nndl.book_pickle`` (the book's file, read
safely).  Their public names are importable from here too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from nndl.arrays import Arrays, image_dtype, read_arrays, split
from nndl.book_pickle import arrays_from_pickle, load_pickle
from nndl.checksums import KNOWN_FILES, known_file
from nndl.datasets import (
    BOOK_SPLIT,
    DATASETS,
    ENV_VARS,
    FILES,
    MIRRORS,
    PICKLE_NAMES,
    SHA256,
    TITLES,
    dataset_name,
)
from nndl.download import download, find_or_download
from nndl.errors import DataError, DataNotFoundError
from nndl.idx import IDX_TYPES, parse_idx, read_idx, write_idx
from nndl.locate import CACHE_DIR, SYSTEM_DIRS, find_data

__all__ = [
    "BOOK_SPLIT", "CACHE_DIR", "DATASETS", "ENV_VARS", "FILES", "IDX_TYPES", "KNOWN_FILES",
    "MIRRORS", "PICKLE_NAMES", "SHA256", "SYSTEM_DIRS", "TITLES", "VALIDATION_SIZE",
    "Arrays", "DataError", "DataNotFoundError", "download", "find_data", "known_file",
    "load_arrays", "load_data", "load_data_wrapper", "load_pickle", "parse_idx", "read_idx",
    "vectorized_result", "write_idx",
]

# The book's split holds out the last 10,000 training images for validation.
VALIDATION_SIZE = 10_000


#### The book's calls


def load_data(
    dataset: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    *,
    validation_size: int = VALIDATION_SIZE,
    **options: Any,
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Return ``(training_data, validation_data, test_data)``.

    Each is a pair ``(images, labels)``: ``images`` an (n, 784) array of
    pixel intensities in [0, 1] (0 is background), ``labels`` an (n,)
    int64 array of the digits.  Training is the first 50,000 training
    images, validation the last ``validation_size`` (10,000) of them, test
    the 10,000 test images.  The arrays are views into one block of
    memory, so the split costs nothing.  ``options`` are ``load_arrays``'s
    (``dtype``, ``verify``, ``download``, ``verbose``, ``checksums``,
    ``mirrors``).
    """
    return split(load_arrays(dataset, data_dir, **options), validation_size)


def load_data_wrapper(
    dataset: str = "mnist", data_dir: str | os.PathLike | None = None, **options: Any
) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[tuple[np.ndarray, int]],
           list[tuple[np.ndarray, int]]]:
    """Return ``(training_data, validation_data, test_data)`` in the form
    ``network.py`` uses: lists of ``(x, y)`` pairs with ``x`` a (784, 1)
    column of pixels.  For training, ``y`` is the one-hot (10, 1) column
    of the digit (what the network should output); for validation and
    test, ``y`` is the digit itself, an ``int``.  ``options`` are
    ``load_data``'s (``validation_size``) and ``load_arrays``'s.

    Unlike the book's version under Python 3, these are lists, not
    ``zip`` objects, so they can be read more than once and ``len()``
    works.  Every ``x`` and ``y`` is a view into one contiguous array:
    no image is copied.
    """
    training, validation, test = load_data(dataset, data_dir, **options)
    images, labels = training
    one_hot = np.zeros((len(labels), 10, 1), dtype=images.dtype)
    one_hot[np.arange(len(labels)), labels, 0] = 1.0
    training_data = list(zip(_columns(images), one_hot, strict=True))
    validation_data = list(zip(_columns(validation[0]), validation[1].tolist(), strict=True))
    test_data = list(zip(_columns(test[0]), test[1].tolist(), strict=True))
    return (training_data, validation_data, test_data)


def vectorized_result(j: int) -> np.ndarray:
    """Return a (10, 1) column with 1.0 in the j'th place and zeros
    elsewhere: the desired output of the network for digit j."""
    e = np.zeros((10, 1))
    e[j] = 1.0
    return e


def _columns(images: np.ndarray) -> list[np.ndarray]:
    # Adding a trailing axis turns each row into a (784, 1) view; list()
    # then only creates the small view objects, never copies pixels.
    return list(images[:, :, np.newaxis])


#### The fast API


def load_arrays(
    dataset: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    *,
    dtype: DTypeLike = np.float64,
    verify: bool = True,
    download: bool = True,
    verbose: bool = True,
    checksums: Mapping[str, str] | None = None,
    mirrors: Sequence[str] | None = None,
) -> Arrays:
    """Load the four canonical files of ``dataset`` ("mnist" or
    "fashion-mnist") as ``Arrays(train_images, train_labels, test_images,
    test_labels)``.

    Images are C-contiguous (n, 784) arrays of ``dtype``: a float type
    gives intensities in [0, 1] (pixel / 255), ``np.uint8`` the raw pixel
    values 0-255.  Labels are int64.

    ``verify`` checks the SHA-256 of each file's uncompressed content
    against ``checksums`` (default: the canonical values in ``SHA256``);
    pass ``verify=False`` for data of your own in the same format.  A
    folder that holds no IDX files but the book's ``mnist.pkl.gz`` (or
    ``mnist.pkl``) is read through ``load_pickle``, checked the same way.
    If no folder holds the data and ``download`` is true, the files are
    fetched from ``mirrors`` (default ``MIRRORS[dataset]``) into the
    project cache, or into ``data_dir`` if given; ``verbose`` shows the
    progress.  ``data_dir``, if given, must be an existing folder: a
    mistyped path raises ``DataNotFoundError`` rather than being created.
    """
    dataset = dataset_name(dataset)
    dtype = image_dtype(dtype)
    expected = (dict(SHA256[dataset]) if checksums is None else dict(checksums)) if verify else {}
    found = find_or_download(dataset, data_dir, download, verbose, checksums, mirrors)
    if isinstance(found, Path):  # the book's pickle
        return arrays_from_pickle(found, dtype, verify, checksums)
    return read_arrays(found, expected, dtype)
