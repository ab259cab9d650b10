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

REPO_ROOT = Path(__file__).resolve().parent.parent


DATASETS = ("mnist", "fashion-mnist")


ENV_VARS = {"mnist": "MNIST_DATA_DIR", "fashion-mnist": "FASHION_MNIST_DATA_DIR"}


def shared_data_dir(dataset: str) -> Path:
    """Where the project's machines keep the data: ``../shared/data/<dataset>``
    beside the repository."""
    return REPO_ROOT.parent / "shared" / "data" / dataset


def resolve_data_dir(dataset: str, data_dir: str | os.PathLike | None = None) -> Path | None:
    """The folder to read ``dataset`` from: ``data_dir`` if given, else the
    environment variable (``MNIST_DATA_DIR`` / ``FASHION_MNIST_DATA_DIR``),
    else ``../shared/data/<dataset>`` if it exists.  ``None`` leaves the choice
    to :mod:`mnist_loader` (its cache, then a download)."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(ENV_VARS[dataset])
    if env:
        return Path(env)
    shared = shared_data_dir(dataset)
    return shared if shared.is_dir() else None


def real_data_dir(dataset: str) -> Path | None:
    """The folder holding ``dataset``'s four IDX files, found as
    :func:`resolve_data_dir` finds it (the environment variable, else
    ``../shared/data/<dataset>``), or ``None`` when they are not there.  For
    what must never download: the benchmarks and the tests."""
    folder = resolve_data_dir(dataset)
    if folder is None or mnist_loader._idx_paths(folder) is None:
        return None
    return folder


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
    folder = resolve_data_dir(dataset, data_dir)
    key = (dataset, str(folder), n_train)
    if key not in _CACHE:
        training, validation, test = mnist_loader.load_data(dataset, folder, download=download,
                                                              verbose=False)
        if n_train is not None:
            training = (training[0][:n_train], training[1][:n_train])
        _CACHE[key] = (training, validation, test)
    return _CACHE[key]

