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
arrays, no Python object per image.

Where the files come from, in this order: the ``data_dir`` argument; the
folder named by ``$MNIST_DATA_DIR`` (``$FASHION_MNIST_DATA_DIR``); a
system folder (Debian installs Fashion-MNIST in
/usr/share/datasets/fashion-mnist); the project's ``data/<dataset>/``
cache; and finally a download from public mirrors into that cache.  In
each folder it takes the four IDX files, or else (MNIST only) the book's
``mnist.pkl.gz`` or its unzipped ``mnist.pkl``.  A folder you name
(``data_dir``, the environment variable) must exist: it is never created.

What this loader does differently from the book's, and why:

- It reads the canonical IDX files (``train-images-idx3-ubyte.gz`` ...)
  directly: one decompression and ``np.frombuffer`` per file, no pickle.
- It checks what matters, the data: the SHA-256 of each file's
  *uncompressed* content.  Good copies of MNIST differ in their gzip
  headers (a timestamp), so a checksum of the ``.gz`` rejects good files.
  A file that is another canonical file (Fashion-MNIST's in the MNIST
  folder, the test images under the training images' name) is named.
- It still reads the book's pickle, but never with the plain ``pickle``
  module, which would run any code a tampered file carries; and it checks
  that the pickle's pixels x 256 and labels are MNIST's, byte for byte.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import math
import os
import pickle
import struct
import sys
import tempfile
import urllib.request
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import DTypeLike

from nndl.files import write_bytes_atomic

#### Where the data lives and what it must be

DATASETS = ("mnist", "fashion-mnist")

# The four canonical files, by name, in the order load_arrays returns them.
FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

# SHA-256 of the *uncompressed* IDX content.  These are the official files'
# values (see data/README.md); they do not depend on how a copy was gzipped.
SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte":
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte":
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte":
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte":
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte":
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte":
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte":
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte":
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}

# Public mirrors of the canonical .gz files, tried in order.  Each URL is a
# folder: the file's name plus ".gz" is appended.
MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
}

ENV_VARS = {"mnist": "MNIST_DATA_DIR", "fashion-mnist": "FASHION_MNIST_DATA_DIR"}

# Folders where an operating system package installs the files.
SYSTEM_DIRS: dict[str, tuple[Path, ...]] = {
    "mnist": (),
    "fashion-mnist": (Path("/usr/share/datasets/fashion-mnist"),),
}

# The project's cache: data/mnist/, data/fashion-mnist/.  Downloads go here.
CACHE_DIR = Path(__file__).resolve().parent / "data"

# The book's file: MNIST already split 50,000 / 10,000 / 10,000, as float32
# pixel / 256; gzipped as the book ships it, or unzipped as tutorials leave it.
PICKLE_NAMES = ("mnist.pkl.gz", "mnist.pkl")
BOOK_SPLIT = (50_000, 10_000, 10_000)

VALIDATION_SIZE = 10_000

TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}


class DataError(ValueError):
    """A data file is missing, damaged, or not the file it claims to be.

    ``str(error)`` speaks to a Python caller (``data_dir=``,
    ``verify=False``); ``error.for_command_line()`` says the same to a
    command-line user, who has ``--data-dir`` and no ``verify``."""

    def __init__(self, message: str, command_line: str | None = None) -> None:
        super().__init__(message)
        self.command_line = message if command_line is None else command_line

    def for_command_line(self) -> str:
        return self.command_line


class DataNotFoundError(DataError):
    """The files are nowhere to be found and could not be downloaded, or a
    folder named for them does not exist."""


class Arrays(NamedTuple):
    """The four canonical files as arrays (images flattened to rows)."""

    train_images: np.ndarray  # (60000, 784)
    train_labels: np.ndarray  # (60000,) int64
    test_images: np.ndarray  # (10000, 784)
    test_labels: np.ndarray  # (10000,) int64


#### The book's calls


def load_data(
    dataset: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    *,
    dtype: DTypeLike = np.float64,
    validation_size: int = VALIDATION_SIZE,
    verify: bool = True,
    download: bool = True,
    verbose: bool = True,
    checksums: Mapping[str, str] | None = None,
    mirrors: Sequence[str] | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Return ``(training_data, validation_data, test_data)``.

    Each is a pair ``(images, labels)``: ``images`` an (n, 784) array of
    pixel intensities in [0, 1] (0 is background), ``labels`` an (n,)
    int64 array of the digits.  Training is the first 50,000 training
    images, validation the last ``validation_size`` (10,000) of them, test
    the 10,000 test images.  The arrays are views into one block of
    memory, so the split costs nothing.  Options as for ``load_arrays``.
    """
    arrays = load_arrays(
        dataset, data_dir, dtype=dtype, verify=verify, download=download, verbose=verbose,
        checksums=checksums, mirrors=mirrors,
    )
    n = len(arrays.train_labels) - validation_size
    if not 0 <= validation_size < len(arrays.train_labels):
        raise DataError(
            f"cannot hold out {validation_size} validation images from a training set "
            f"of {len(arrays.train_labels)}"
        )
    training_data = (arrays.train_images[:n], arrays.train_labels[:n])
    validation_data = (arrays.train_images[n:], arrays.train_labels[n:])
    test_data = (arrays.test_images, arrays.test_labels)
    return (training_data, validation_data, test_data)


def load_data_wrapper(
    dataset: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    *,
    dtype: DTypeLike = np.float64,
    validation_size: int = VALIDATION_SIZE,
    verify: bool = True,
    download: bool = True,
    verbose: bool = True,
    checksums: Mapping[str, str] | None = None,
    mirrors: Sequence[str] | None = None,
) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[tuple[np.ndarray, int]],
           list[tuple[np.ndarray, int]]]:
    """Return ``(training_data, validation_data, test_data)`` in the form
    ``network.py`` uses: lists of ``(x, y)`` pairs with ``x`` a (784, 1)
    column of pixels.  For training, ``y`` is the one-hot (10, 1) column
    of the digit (what the network should output); for validation and
    test, ``y`` is the digit itself, an ``int``.

    Unlike the book's version under Python 3, these are lists, not
    ``zip`` objects, so they can be read more than once and ``len()``
    works.  Every ``x`` and ``y`` is a view into one contiguous array:
    no image is copied.
    """
    training, validation, test = load_data(
        dataset, data_dir, dtype=dtype, validation_size=validation_size,
        verify=verify, download=download, verbose=verbose, checksums=checksums, mirrors=mirrors,
    )
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
    gives intensities in [0, 1], ``np.uint8`` the raw pixel values 0-255.
    Labels are int64.

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
    dataset = _dataset_name(dataset)
    dtype = _image_dtype(dtype)
    expected = (dict(SHA256[dataset]) if checksums is None else dict(checksums)) if verify else {}
    searched, found = _locate(dataset, data_dir)
    if found is None:
        target = searched[0][0] if data_dir is not None else CACHE_DIR / dataset
        if not download:
            raise _not_found(dataset, searched, _missing_files(target), [])
        _download_missing(dataset, target, searched, mirrors, checksums, verbose)
        found = _idx_paths(target)
    if isinstance(found, Path):  # the book's pickle
        return _arrays_from_pickle(found, dtype, verify, checksums)

    def load(name: str) -> np.ndarray:
        return _load_idx_file(found[name], name, expected.get(name), dtype)

    # The four files are independent, and zlib, hashlib and numpy release
    # the GIL for big buffers, so on several cores the small files load
    # while the big one is still decompressing.
    with ThreadPoolExecutor(max_workers=len(FILES)) as pool:
        train_images, train_labels, test_images, test_labels = pool.map(load, FILES)
    for images, labels, which in ((train_images, train_labels, "train"),
                                  (test_images, test_labels, "t10k")):
        if len(images) != len(labels):
            raise DataError(
                f"{found[which + '-images-idx3-ubyte']} holds {len(images)} images but "
                f"{found[which + '-labels-idx1-ubyte']} holds {len(labels)} labels"
            )
    return Arrays(train_images, train_labels, test_images, test_labels)


def _dataset_name(dataset: str) -> str:
    name = dataset.lower().replace("_", "-") if isinstance(dataset, str) else None
    if name not in DATASETS:
        raise ValueError(
            f"unknown dataset {dataset!r}: expected one of {DATASETS} (to read the files "
            "from a folder, pass data_dir=folder)"
        )
    return name


def _image_dtype(dtype: DTypeLike) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype != np.uint8 and dtype.kind != "f":
        raise ValueError(f"dtype must be a float type or uint8, not {dtype}")
    return dtype


def _load_idx_file(path: Path, name: str, sha256: str | None, dtype: np.dtype) -> np.ndarray:
    """Read the IDX file ``path`` (canonical ``name``); images come back
    flattened and scaled, labels as int64."""
    if "-images-" in name and dtype.kind == "f":
        images = _load_images_fast(path.read_bytes(), sha256, dtype)
        if images is not None:
            return images
    # The plain path: decompress, check, parse, convert, one after another.
    data = _read(path)
    if sha256 is not None:
        _check_sha256(data, sha256, path)
    array = parse_idx(data, str(path))
    if "-images-" in name:
        _check_shape(array, 3, path, "images")
        return _scale(array.reshape(len(array), -1), dtype)
    _check_shape(array, 1, path, "labels")
    if array.size and array.max() > 9:
        raise DataError(f"{path}: labels must be digits 0-9, found {array.max()}")
    return array.astype(np.int64)


# Compressed bytes per step of _load_images_fast: about 1 MB of pixels.
_PIECE = 1 << 18


def _load_images_fast(raw: bytes, sha256: str | None, dtype: np.dtype) -> np.ndarray | None:
    """Decompress, verify and scale a gzipped IDX file of images in one
    pipeline, or return None if the file is in any way unusual, so that
    the plain path reads it again and says what is wrong.

    Why: decompressing is the floor, and done one after another, the
    checksum and the conversion to floats add half as much again.  Here
    the main thread inflates the file piece by piece while a worker
    thread hashes and converts the previous pieces; zlib, hashlib and
    numpy all release the GIL, so with two cores that work is hidden.
    """
    if raw[:2] != b"\x1f\x8b":
        return None
    inflater = zlib.decompressobj(wbits=31)
    digest = hashlib.sha256() if sha256 is not None else None
    view = memoryview(raw)
    pixels = None  # the flat output, once the header has told its size
    done = 0
    jobs = []
    with ThreadPoolExecutor(max_workers=1) as worker:  # one worker: pieces stay in order
        for start in range(0, len(raw), _PIECE):
            try:
                chunk = inflater.decompress(view[start:start + _PIECE])
            except zlib.error:
                return None
            header = 0
            if pixels is None:
                # The first piece inflates to far more than the 16-byte header.
                if len(chunk) < 16 or chunk[:4] != b"\0\0\x08\x03":
                    return None
                n, rows, columns = struct.unpack(">3I", chunk[4:16])
                # Allocate only what the gzip trailer (the uncompressed size,
                # mod 2**32) confirms and deflate could produce (at most
                # 1032 bytes per compressed byte), never what a damaged
                # header claims.
                size = 16 + n * rows * columns
                if size % 2**32 != int.from_bytes(raw[-4:], "little") or size > 1032 * len(raw):
                    return None
                images = np.empty((n, rows * columns), dtype=dtype)
                pixels, header = images.reshape(-1), 16
            count = len(chunk) - header
            if done + count > len(pixels):
                return None
            update = digest.update if digest is not None else None
            jobs.append(worker.submit(_hash_and_scale, update, chunk, header,
                                      pixels[done:done + count]))
            done += count
    for job in jobs:
        job.result()  # raises here anything that went wrong in the worker
    if not inflater.eof or inflater.unused_data.strip(b"\0") or done != len(pixels):
        return None  # truncated, more than one gzip member, or short of pixels
    if digest is not None and digest.hexdigest() != sha256.lower():
        return None
    return images


def _hash_and_scale(update: Callable[[bytes], object] | None, chunk: bytes, header: int,
                    out: np.ndarray) -> None:
    if update is not None:
        update(chunk)
    if len(out):
        np.divide(np.frombuffer(chunk, np.uint8, offset=header), 255, out=out, dtype=out.dtype)


def _check_shape(array: np.ndarray, ndim: int, path: Path, what: str) -> None:
    # Both kinds of file are unsigned bytes (type 0x08): images are 3-d
    # (n, rows, columns), labels 1-d (n,).
    if array.ndim != ndim or array.dtype != np.uint8:
        raise DataError(
            f"{path}: expected {what}, an IDX file of unsigned bytes in {ndim} dimension(s) "
            f"(magic 0x0000080{ndim}), but it holds {array.dtype} of shape {array.shape}"
        )


def _scale(pixels: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Return the uint8 pixels as a new contiguous array of ``dtype``,
    scaled to [0, 1] for float types."""
    if dtype == np.uint8:
        return pixels.copy()  # own the memory, rather than pin the file's buffer
    out = np.empty(pixels.shape, dtype=dtype)
    # One pass: numpy converts and divides block by block into ``out``, so
    # there is no temporary full-size float array.
    np.divide(pixels, 255, out=out, dtype=dtype)
    return out


#### Finding the files


def find_data(
    dataset: str = "mnist", data_dir: str | os.PathLike | None = None
) -> dict[str, Path] | Path | None:
    """Where ``load_arrays`` would read ``dataset`` from, without reading or
    downloading anything: the four IDX files (a dict from canonical name to
    path), else the book's pickle (a path), else None.  Raises
    ``DataNotFoundError`` if ``data_dir`` or the environment variable names
    a folder that does not exist."""
    return _locate(_dataset_name(dataset), data_dir)[1]


def _locate(
    dataset: str, data_dir: str | os.PathLike | None
) -> tuple[list[tuple[Path, str]], dict[str, Path] | Path | None]:
    """Return the folders searched (with why each was searched), and what
    was found in the first folder that has data: its four IDX files, or
    else (for MNIST) the book's pickle; None if no folder has either."""
    searched = _search_path(dataset, data_dir)
    for folder, _ in searched:
        paths = _idx_paths(folder)
        if paths is not None:
            return searched, paths
        pickle_path = _find_pickle(folder) if dataset == "mnist" else None
        if pickle_path is not None:
            return searched, pickle_path
    return searched, None


def _search_path(dataset: str, data_dir: str | os.PathLike | None) -> list[tuple[Path, str]]:
    """The folders to look in, each with why (a key of ``_why``).  A folder
    the user named must exist: a typing mistake is reported, not skipped."""
    if data_dir is not None:
        folder = Path(data_dir).expanduser()
        _check_named_folder(dataset, folder, "data_dir")
        return [(folder, "data_dir")]
    folders = []
    env = os.environ.get(ENV_VARS[dataset])
    if env:
        folder = Path(env).expanduser()
        _check_named_folder(dataset, folder, "env")
        folders.append((folder, "env"))
    folders += [(folder, "system") for folder in SYSTEM_DIRS[dataset]]
    folders.append((CACHE_DIR / dataset, "cache"))
    if dataset == "mnist":
        folders.append((CACHE_DIR, "book"))  # the book keeps mnist.pkl.gz in data/ itself
    return folders


def _why(why: str, dataset: str, command_line: bool) -> str:
    """Why a folder was searched, in the words of a Python or a command-line user."""
    if why == "data_dir":
        return "--data-dir" if command_line else "the data_dir argument"
    return {"env": f"${ENV_VARS[dataset]}", "system": "system folder",
            "cache": "the project's cache", "book": "the book's place for mnist.pkl.gz",
            "download": "the download folder"}[why]


def _check_named_folder(dataset: str, folder: Path, why: str) -> None:
    if folder.is_dir():
        return
    problem = "is not a folder" if folder.exists() else "does not exist"
    fix = (f"or unset {ENV_VARS[dataset]} to use the project's cache {CACHE_DIR / dataset}/"
           if why == "env" else "or create it and put the files in it")

    def text(command_line: bool) -> str:
        return (f"{TITLES[dataset]} data: {folder} {problem} (named by "
                f"{_why(why, dataset, command_line)}). A folder you name is never created: "
                f"check the path, {fix}.")

    raise DataNotFoundError(text(False), text(True))


def _file_names(name: str) -> tuple[str, ...]:
    # The canonical names, gzipped or not; some copies (e.g. unzipped on
    # Windows) spell "train-images.idx3-ubyte" with a dot.
    dotted = name.replace("-idx", ".idx")
    return (name + ".gz", name, dotted + ".gz", dotted)


def _find_file(folder: Path, name: str) -> Path | None:
    for candidate in _file_names(name):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def _find_pickle(folder: Path) -> Path | None:
    for name in PICKLE_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def _idx_paths(folder: Path) -> dict[str, Path] | None:
    paths = {name: _find_file(folder, name) for name in FILES}
    return paths if None not in paths.values() else None  # type: ignore[return-value]


def _missing_files(folder: Path) -> list[str]:
    return [name for name in FILES if _find_file(folder, name) is None]


def _not_found(
    dataset: str, searched: list[tuple[Path, str]], missing: list[str], failures: list[str]
) -> DataNotFoundError:
    """Build the error that says what is missing, where we looked, and how
    to provide the files."""
    return DataNotFoundError(_not_found_text(dataset, searched, missing, failures, False),
                             _not_found_text(dataset, searched, missing, failures, True))


def _not_found_text(dataset: str, searched: list[tuple[Path, str]], missing: list[str],
                    failures: list[str], command_line: bool) -> str:
    book = " or ".join(PICKLE_NAMES)
    first = f"{dataset} data not found: missing {', '.join(n + '.gz' for n in missing)}"
    lines = [first + (f" (or, instead of the four, the book's {book})." if dataset == "mnist"
                      else ".")]
    lines.append("Looked in:")
    for folder, why in searched:
        have = [n for n in FILES if _find_file(folder, n) is not None]
        state = "no such folder" if not folder.is_dir() else f"has {len(have)} of the 4 files"
        if dataset != "mnist" and folder.is_dir() and _find_pickle(folder) is not None:
            state += f"; {_find_pickle(folder).name} is the book's MNIST, not {TITLES[dataset]}"
        lines.append(f"  {folder}  ({_why(why, dataset, command_line)}; {state})")
    if not os.environ.get(ENV_VARS[dataset]):
        lines.append(f"  (${ENV_VARS[dataset]} is not set)")
    if failures:
        lines.append("Download failed:")
        lines += [f"  {failure}" for failure in failures]
    accepted = "the four canonical IDX files (*-ubyte.gz, gzipped or not)"
    if dataset == "mnist":
        accepted = f"either {accepted} or the book's {book}"
    where = ("pass --data-dir /path/to/folder" if command_line
             else "pass data_dir='/path/to/folder' to the load function")
    lines += [
        f"To provide the data, {accepted}:",
        f"  - {where}, or",
        f"  - set {ENV_VARS[dataset]}=/path/to/folder, or",
        f"  - copy them into {CACHE_DIR / dataset}/ (see data/README.md for sources and "
        "checksums).",
    ]
    return "\n".join(lines)


#### Reading IDX files

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


def read_idx(path: str | os.PathLike, sha256: str | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or not) into an array of its shape.

    If ``sha256`` is given, the file's uncompressed content must have it.
    The array is a read-only view of the file's bytes: copy it to change it.
    """
    data = _read(Path(path))
    if sha256 is not None:
        _check_sha256(data, sha256, Path(path))
    return parse_idx(data, str(path))


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the content of an IDX file, checking that the header and the
    payload agree; ``name`` is used in error messages.

    The format: two zero bytes, a type code, the number of dimensions n,
    then n big-endian uint32 sizes, then the values, row-major.
    """
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
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_TYPES[code]
    count = math.prod(shape)
    expected, got = count * dtype.itemsize, len(data) - header
    if got != expected:
        what = "truncated" if got < expected else "has extra bytes"
        raise DataError(
            f"{name}: {what}: its header says shape {shape}, which needs {expected} bytes "
            f"of data, but it has {got}"
        )
    return np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(shape)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file, gzipped if ``path`` ends in .gz
    (atomically: a reader never sees half a file).  Returns the path."""
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None or array.ndim == 0:
        raise ValueError(f"IDX cannot hold a {array.ndim}-d array of {array.dtype}")
    header = struct.pack(f">BBBB{array.ndim}I", 0, 0, code, array.ndim, *array.shape)
    data = header + array.astype(IDX_TYPES[code], copy=False).tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)  # mtime=0: the same array, the same bytes
    write_bytes_atomic(path, data)
    return path


def _read(path: Path) -> bytes:
    """Return the content of ``path``, decompressed if it is gzipped."""
    with open(path, "rb") as f:
        raw = f.read()
    return _gunzip(raw, str(path)) if raw[:2] == b"\x1f\x8b" else raw


def _gunzip(raw: bytes, name: str) -> bytes:
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


def _check_sha256(data: bytes, expected: str, path: Path | str, own_data: bool = True) -> None:
    _check_digest(hashlib.sha256(data).hexdigest(), expected, str(path), own_data)


# Every canonical file this loader knows, by the SHA-256 of its content, so
# that a file in the wrong place can be named: "Fashion-MNIST's t10k-...".
KNOWN_FILES = {sha: (dataset, name) for dataset, files in SHA256.items()
               for name, sha in files.items()}


def known_file(sha256: str) -> str | None:
    """The canonical file with this SHA-256 of its uncompressed content, as
    "MNIST's t10k-images-idx3-ubyte", or None if it is none of them."""
    if sha256.lower() not in KNOWN_FILES:
        return None
    dataset, name = KNOWN_FILES[sha256.lower()]
    return f"{TITLES[dataset]}'s {name}"


def _check_digest(got: str, expected: str, what: str, own_data: bool = True) -> None:
    """Refuse content whose SHA-256 ``got`` is not ``expected``, saying what
    the content is when it is another canonical file.  ``own_data``: the
    Python message mentions ``verify=False`` (not for a download, which is
    always checked)."""
    if got == expected.lower():
        return
    actual, wanted = known_file(got), known_file(expected)
    if actual is not None:
        text = (f"{what}: checksum mismatch: this is {actual}, not "
                f"{wanted or 'the file expected here'}.  Move it to where it belongs and put "
                f"{wanted or 'the right file'} here")
    else:
        text = (f"{what}: checksum mismatch: the SHA-256 of its uncompressed content is {got}, "
                f"expected {expected}{f' ({wanted})' if wanted else ''}.  The file is damaged "
                "or is not the file its name says; replace it")
    hint = " (or pass verify=False for data of your own)" if own_data else ""
    raise DataError(text + hint + ".", text + ".")


#### Downloading


def download(
    dataset: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    *,
    mirrors: Sequence[str] | None = None,
    checksums: Mapping[str, str] | None = None,
    verbose: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Download the files of ``dataset`` that ``data_dir`` (default: the
    project cache) lacks, and return the folder.

    Each file is tried at each mirror in turn; it is written to a
    temporary file, its uncompressed content checked against
    ``checksums`` (default ``SHA256[dataset]``), and only then renamed
    into place.  A file that fails is removed, and the next mirror tried.
    ``data_dir`` must exist (a mistyped path is an error, not a new
    folder); the project cache is created if needed.
    """
    dataset = _dataset_name(dataset)
    if data_dir is None:
        target = CACHE_DIR / dataset
    else:
        target = Path(data_dir).expanduser()
        _check_named_folder(dataset, target, "data_dir")  # never created: it may be a typo
    searched = [(target, "download")]
    _download_missing(dataset, target, searched, mirrors, checksums, verbose, timeout)
    return target


def _download_missing(
    dataset: str,
    target: Path,
    searched: list[tuple[Path, str]],
    mirrors: Sequence[str] | None,
    checksums: Mapping[str, str] | None,
    verbose: bool,
    timeout: float = 60.0,
) -> None:
    mirrors = MIRRORS[dataset] if mirrors is None else mirrors
    checksums = SHA256[dataset] if checksums is None else checksums
    missing = _missing_files(target)
    failures: list[str] = []
    for name in missing:
        # Only the project cache is ever created; a folder the user named
        # was checked to exist (_check_named_folder).
        target.mkdir(parents=True, exist_ok=True)
        errors = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + name + ".gz"
            try:
                _fetch(url, target / (name + ".gz"), checksums[name], verbose, timeout)
                break
            # URLError, HTTPError and timeouts are OSErrors; IncompleteRead an HTTPException.
            except (OSError, http.client.HTTPException, DataError) as e:
                errors.append(f"{url}: {e}")
        else:
            # No mirror has it: the others would most likely fail the same way.
            failures += errors or [f"{name}.gz: no mirrors to try"]
            break
    if failures:
        still_missing = _missing_files(target)
        if target not in [folder for folder, _ in searched]:
            searched = [*searched, (target, "download")]
        raise _not_found(dataset, searched, still_missing, failures)


def _fetch(url: str, dest: Path, sha256: str, verbose: bool, timeout: float) -> None:
    """Download ``url`` to ``dest`` atomically, refusing it unless its
    uncompressed content has the given SHA-256."""
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f, urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(1 << 16):
                f.write(chunk)
                done += len(chunk)
                if verbose:
                    _progress(dest.name, done, total)
            if verbose:
                print(file=sys.stderr)
        if total and done != total:
            raise DataError(f"connection closed after {done} of {total} bytes")
        _check_sha256(_read(Path(tmp)), sha256, url, own_data=False)
        os.replace(tmp, dest)
    except BaseException:
        os.unlink(tmp)  # never leave a partial or refused file behind
        raise


def _progress(name: str, done: int, total: int) -> None:
    if total:
        status = f"{done / 1e6:6.1f} / {total / 1e6:.1f} MB ({100 * done // total:3d}%)"
    else:
        status = f"{done / 1e6:6.1f} MB"
    print(f"\rdownloading {name}: {status}", end="", file=sys.stderr, flush=True)


#### The book's pickle, read safely


def load_pickle(
    path: str | os.PathLike, *, verify: bool = True, checksums: Mapping[str, str] | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
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
    return _load_book(Path(path), verify, checksums)[0]


def _load_book(path: Path, verify: bool, checksums: Mapping[str, str] | None
               ) -> tuple[tuple[tuple[np.ndarray, np.ndarray], ...], list[np.ndarray] | None]:
    """``load_pickle``'s result, and (once verified) the uint8 pixels of its
    training, validation and test images."""
    data = _read(path)
    try:
        result = _build(_ArrayUnpickler(data, path).load(), path)
    except DataError:
        raise
    except Exception as e:  # a malformed pickle can fail in many ways
        raise DataError(f"{path}: not a valid pickle of MNIST arrays ({e!r})") from None
    del data
    _check_book_structure(result, path)
    _check_book_values(result, path)
    pixels = _check_book_content(result, path, checksums) if verify else None
    return result, pixels


def _arrays_from_pickle(path: Path, dtype: np.dtype, verify: bool,
                        checksums: Mapping[str, str] | None) -> Arrays:
    """The pickle's data as ``load_arrays`` gives the IDX files': the
    pixels (x 256) scaled as ``_scale`` scales the IDX files' bytes, so that
    the book's file and the IDX files give the same arrays, bit for bit."""
    data, pixels = _load_book(path, verify, checksums)
    (_, train_y), (_, valid_y), (_, test_y) = data
    labels = (np.concatenate([train_y, valid_y]).astype(np.int64), test_y.astype(np.int64))
    if pixels is None:
        try:
            pixels = [_book_pixels(x, path, part) for (x, _), part in zip(data, _BOOK_PARTS)]
        except DataError:
            if dtype == np.uint8:
                raise
            # A pickle of your own (verify=False), not in 256ths: as stored.
            (train, _), (valid, _), (test, _) = data
            return Arrays(np.concatenate([train, valid]).astype(dtype), labels[0],
                          test.astype(dtype), labels[1])
    del data
    train, valid, test = pixels
    return Arrays(_scale(np.concatenate([train, valid]), dtype), labels[0],
                  _scale(test, dtype), labels[1])


_BOOK_PARTS = ("training", "validation", "test")


def _check_book_values(data: tuple, path: Path) -> None:
    """What any MNIST-like pickle must hold: 784 float pixels in [0, 1] per
    image, integer labels 0-9."""
    for (images, labels), part in zip(data, _BOOK_PARTS):
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


def _check_book_content(data: tuple, path: Path, checksums: Mapping[str, str] | None
                        ) -> list[np.ndarray]:
    """The pickle's content must be MNIST's: the book's split, and pixels x
    256 and labels equal to the canonical files, byte for byte.  Returns the
    uint8 pixels of the three parts."""
    if checksums is None:  # MNIST itself: its sizes are known, so say which is wrong
        checksums = SHA256["mnist"]
        sizes = tuple(len(labels) for _, labels in data)
        if sizes != BOOK_SPLIT:
            raise _book_error(path, f"holds {' / '.join(map(str, sizes))} training / validation "
                                    f"/ test images; the book's file holds 50000 / 10000 / 10000")
    (_, train_y), (_, valid_y), (_, test_y) = data
    train, valid, test = pixels = [_book_pixels(x, path, part)
                                   for (x, _), part in zip(data, _BOOK_PARTS)]
    parts = {
        "train-images-idx3-ubyte": ("its training and validation images (pixels x 256)",
                                    [train, valid]),
        "train-labels-idx1-ubyte": ("its training and validation labels", [train_y, valid_y]),
        "t10k-images-idx3-ubyte": ("its test images (pixels x 256)", [test]),
        "t10k-labels-idx1-ubyte": ("its test labels", [test_y]),
    }
    for name, (what, arrays) in parts.items():
        _check_digest(_idx_sha256(arrays), checksums[name], f"{path}: {what}")
    return pixels


def _idx_sha256(arrays: list[np.ndarray]) -> str:
    """The SHA-256 of the IDX file of unsigned bytes that holds ``arrays``
    one after another: images (n, 784) as (n, 28, 28), or labels (n,)."""
    n = sum(len(a) for a in arrays)
    shape = (n, 28, 28) if arrays[0].ndim == 2 else (n,)
    digest = hashlib.sha256(struct.pack(f">4B{len(shape)}I", 0, 0, 0x08, len(shape), *shape))
    for a in arrays:
        digest.update(np.ascontiguousarray(a, dtype=np.uint8).data)
    return digest.hexdigest()


def _book_pixels(images: np.ndarray, path: Path, part: str) -> np.ndarray:
    """The book stored each pixel as value / 256 (exact in float32): x 256
    gives the uint8 value back, or the file is not the book's."""
    pixels = np.empty(images.shape, dtype=np.uint8)
    step = 4096  # rows per block: the temporaries stay small
    for start in range(0, len(images), step):
        scaled = images[start:start + step] * 256  # exact: a power of two
        block = pixels[start:start + step]
        np.copyto(block, scaled, casting="unsafe")
        # The values are in [0, 1] (checked), so scaled <= 256; 256 would wrap to 0.
        if not np.array_equal(block, scaled):
            raise _book_error(path, f"its {part} pixels x 256 are not whole numbers 0-255, as "
                                    "they are in the book's file")
    return pixels


def _book_error(path: Path, problem: str) -> DataError:
    text = f"{path}: not the book's MNIST pickle: {problem}"
    return DataError(text + " (pass verify=False for a pickle of your own).", text + ".")


class _DTypeSpec:
    """Stands in for ``numpy.dtype`` while unpickling: records the request."""

    def __init__(self, spec: object, align: object = 0, copy: object = 1) -> None:
        self.spec = spec
        self.byteorder = "="

    def __setstate__(self, state: tuple) -> None:
        self.byteorder = state[1] if len(state) > 1 else "="


class _ArraySpec:
    """Stands in for ``numpy.ndarray`` while unpickling: records the shape,
    dtype and raw bytes from which the array is built afterwards."""

    def __init__(self, cls: object = None, shape: object = (0,), typecode: object = b"b") -> None:
        self.state: tuple = ()

    def __setstate__(self, state: tuple) -> None:
        self.state = state


def _latin1_encode(text: str, encoding: str = "utf-8") -> bytes:
    # Python 3 writes bytes into protocol-2 pickles as _codecs.encode(text, "latin1").
    if encoding not in ("latin1", "latin-1"):
        raise DataError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


class _ArrayUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the names numpy's array pickles use,
    to harmless stand-ins; every other global is refused."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _ArraySpec,
        ("numpy._core.multiarray", "_reconstruct"): _ArraySpec,
        ("numpy", "ndarray"): _ArraySpec,
        ("numpy", "dtype"): _DTypeSpec,
        ("_codecs", "encode"): _latin1_encode,
    }

    def __init__(self, data: bytes, path: Path) -> None:
        # latin1: the book's file was written by Python 2, whose byte
        # strings this decodes one byte to one character, losslessly.
        super().__init__(io.BytesIO(data), encoding="latin1")
        self.path = path

    def find_class(self, module: str, name: str) -> object:
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise DataError(
                f"{self.path}: refusing to unpickle {module}.{name}: this file holds more "
                "than numpy arrays, so it is not the book's mnist.pkl.gz (it may be "
                "malicious)"
            ) from None


# Only plain numbers: an object dtype would let raw bytes become pointers.
_PICKLE_DTYPES = {"b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f4", "f8"}


def _build(obj: object, path: Path) -> object:
    """Replace the stand-ins in an unpickled structure by real arrays."""
    if isinstance(obj, tuple | list):
        return type(obj)(_build(item, path) for item in obj)
    if not isinstance(obj, _ArraySpec):
        return obj
    state = obj.state
    if len(state) == 5:  # (version, shape, dtype, is_fortran, data)
        state = state[1:]
    if len(state) != 4:
        raise DataError(f"{path}: unexpected array state in pickle")
    shape, spec, fortran, raw = state
    if (not isinstance(spec, _DTypeSpec) or spec.spec not in _PICKLE_DTYPES
            or spec.byteorder not in ("<", ">", "|", "=")):
        raise DataError(f"{path}: refusing an array of dtype {getattr(spec, 'spec', spec)!r}")
    dtype = np.dtype(spec.spec).newbyteorder(spec.byteorder if spec.byteorder != "|" else "=")
    if isinstance(raw, str):
        raw = raw.encode("latin1")
    if not isinstance(raw, bytes) or not isinstance(shape, tuple):
        raise DataError(f"{path}: unexpected array data in pickle")
    count = math.prod(shape)
    if count * dtype.itemsize != len(raw):
        raise DataError(f"{path}: array of shape {shape} needs {count * dtype.itemsize} bytes, "
                        f"pickle holds {len(raw)}")
    array = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return np.array(array, dtype=dtype.newbyteorder("="), order="C")  # a writable copy


def _check_book_structure(data: object, path: Path) -> None:
    def is_pair(pair: object) -> bool:
        return (isinstance(pair, tuple) and len(pair) == 2
                and isinstance(pair[0], np.ndarray) and pair[0].ndim == 2
                and isinstance(pair[1], np.ndarray) and pair[1].shape == (len(pair[0]),))

    if not (isinstance(data, tuple) and len(data) == 3 and all(map(is_pair, data))):
        raise DataError(
            f"{path}: expected the book's structure, three (images (n, 784), labels (n,)) pairs"
        )
