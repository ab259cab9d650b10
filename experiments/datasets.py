"""experiments.datasets
~~~~~~~~~~~~~~~~~~~~~~

Finding and loading the data every experiment trains on: MNIST or
Fashion-MNIST, real files only, as ``(X, labels)`` arrays in the book's split
(50,000 / 10,000 / 10,000), loaded once per process.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

import mnist_loader
from nndl.arrays import scale, split

DATASETS = mnist_loader.DATASETS


ENV_VARS = mnist_loader.ENV_VARS


def real_data_dir(dataset: str, data_dir: str | os.PathLike | None = None) -> Path | None:
    """The folder holding ``dataset``'s four IDX files, looked for as
    :mod:`mnist_loader` looks (``data_dir``, else ``$MNIST_DATA_DIR`` /
    ``$FASHION_MNIST_DATA_DIR``, else the cache ``data/<dataset>/``) but never
    downloaded: for the benchmarks and the tests.  ``None`` when no folder
    has them; ``mnist_loader.DataNotFoundError`` when a folder that was named
    (``data_dir`` or the variable) does not exist, or ``data_dir`` lacks them."""
    found = mnist_loader.find_data(dataset, data_dir)
    if isinstance(found, dict):
        return found["train-images-idx3-ubyte"].parent
    if data_dir is None:
        return None
    text = (f" {data_dir}: this folder does not hold the four {mnist_loader.TITLES[dataset]} "
            "IDX files (*-ubyte.gz, gzipped or not).")
    raise mnist_loader.DataNotFoundError("data_dir" + text, "--data-dir" + text)


Pair = tuple[np.ndarray, np.ndarray]


_CACHE: dict[tuple, tuple[Pair, Pair, Pair]] = {}


def load(
    dataset: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    n_train: int | None = None,
    *,
    download: bool = True,
) -> tuple[Pair, Pair, Pair]:
    """``(training, validation, test)`` as ``(X, labels)`` arrays, the book's
    split (50,000 / 10,000 / 10,000).  ``n_train`` keeps only the first
    ``n_train`` training images (for quick runs; validation and test stay whole).

    Loaded once per process: a pool worker that runs several trainings reads
    the files once.  ``download=False`` raises
    ``mnist_loader.DataNotFoundError`` rather than fetch missing files."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; valid: {', '.join(DATASETS)}")
    if dataset in _RECEIVED:
        return _received(dataset, n_train)
    # What decides where the loader looks: the argument, else the variable.
    key = (dataset, None if data_dir is None else str(data_dir),
           os.environ.get(ENV_VARS[dataset]), n_train)
    if key not in _CACHE:
        training, validation, test = mnist_loader.load_data(dataset, data_dir, download=download,
                                                              verbose=False)
        if n_train is not None:
            training = (training[0][:n_train], training[1][:n_train])
        _CACHE[key] = (training, validation, test)
    return _CACHE[key]


# ---- data a sweep's client sends to its Dask workers (experiments.runner) ----


def raw_arrays(dataset: str, data_dir: str | os.PathLike | None = None) -> mnist_loader.Arrays:
    """``dataset``'s four canonical files as found by :func:`load`, images as
    uint8 (0-255): an eighth of the float64 size, for sending to workers."""
    return mnist_loader.load_arrays(dataset, data_dir,
                                    dtype=np.uint8, verbose=False)


# In a Dask worker: the uint8 arrays the client sent, by data set, and their
# float64 split, made once per worker process.
_RECEIVED: dict[str, mnist_loader.Arrays] = {}
_CONVERTED: dict[str, tuple[Pair, Pair, Pair]] = {}


def receive(dataset: str, arrays: mnist_loader.Arrays) -> None:
    """From now on, :func:`load` of ``dataset`` in this process returns
    ``arrays`` (uint8 images, as :func:`raw_arrays` returns them) converted
    to float64 and split as the loader does, whatever its ``data_dir``: how
    a Dask worker trains on the data its client sent."""
    held = _RECEIVED.get(dataset)
    # The same data again, as the same object or (Dask may deserialize what it
    # holds once more) as an equal one: converted already.
    if held is arrays or (held is not None and all(
            np.array_equal(a, b) for a, b in zip(held, arrays))):
        return
    _RECEIVED[dataset] = arrays
    _CONVERTED.pop(dataset, None)


def forget_received() -> None:
    """Undo :func:`receive` for every data set, freeing the memory."""
    _RECEIVED.clear()
    _CONVERTED.clear()


def _received(dataset: str, n_train: int | None) -> tuple[Pair, Pair, Pair]:
    if dataset not in _CONVERTED:
        a = _RECEIVED[dataset]
        # As mnist_loader.load_data does it: pixel / 255 in float64, the
        # last VALIDATION_SIZE training images held out.
        floats = a._replace(train_images=scale(a.train_images, np.float64),
                            test_images=scale(a.test_images, np.float64))
        _CONVERTED[dataset] = split(floats, mnist_loader.VALIDATION_SIZE)
    training, validation, test = _CONVERTED[dataset]
    if n_train is not None:
        training = (training[0][:n_train], training[1][:n_train])
    return training, validation, test
