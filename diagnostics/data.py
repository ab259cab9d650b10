"""diagnostics.data
~~~~~~~~~~~~~~~~

The sample of inputs a diagnosis measures on: the first training images of a
dataset through ``mnist_loader``, or the user's own ``(X, y)`` arrays or the
book's list of ``(x, y)`` pairs.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

import mnist_loader

from .measures import _targets

DEFAULT_IMAGES = 1000

_SAMPLES: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def load_sample(dataset: str = "mnist", data_dir: str | os.PathLike | None = None,
                images: int = DEFAULT_IMAGES) -> tuple[np.ndarray, np.ndarray]:
    """The first ``images`` training images of ``dataset`` and their labels,
    through ``mnist_loader`` (its search path: ``data_dir``, the environment
    variable, its cache, a download).  Kept for the process: a Monitor reads
    the files once."""
    key = (dataset, None if data_dir is None else str(data_dir), images)
    if key not in _SAMPLES:
        # verbose: a first download shows its progress (on stderr)
        (X, y), _, _ = mnist_loader.load_data(dataset, data_dir, verbose=True)
        _SAMPLES[key] = (X[:images].copy(), y[:images].copy())  # not a view of all 60,000
    return _SAMPLES[key]


def _sample(data: Any, sizes: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X, labels, targets)`` from ``(X, y)`` arrays or the book's list of
    ``(x, y)`` pairs; ``X`` keeps its dtype (integer pixels are evidence)."""
    n_in, n_out = sizes[0], sizes[-1]
    if isinstance(data, tuple | list) and len(data) == 2 and not isinstance(data[0], np.ndarray):
        first = np.asarray(data[0]) if isinstance(data[0], list) else None
        if first is not None and first.ndim >= 2 and first.dtype != object:
            data = (first, np.asarray(data[1]))  # (X.tolist(), y.tolist())
    if (isinstance(data, tuple | list) and len(data) == 2 and isinstance(data[0], np.ndarray)
            and data[0].ndim >= 2):
        X, y = data
        if X.ndim > 2 and math.prod(X.shape[1:]) == n_in:  # images (n, 28, 28)
            X = X.reshape(len(X), n_in)
    else:
        pairs = list(data)
        if not pairs:
            raise ValueError("data is empty (a zip can be read only once: pass a list)")
        try:
            X = np.stack([np.asarray(x).reshape(-1) for x, _ in pairs])
            y = [t if np.ndim(t) == 0 else np.asarray(t).reshape(-1) for _, t in pairs]
            y = np.asarray(y)
        except (TypeError, ValueError) as error:
            raise ValueError(f"data: expected (X, y) arrays or a list of (x, y) pairs as "
                             f"the book's loader gives ({error})") from None
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(f"data: expected inputs of shape (n, {n_in}) for a network of sizes "
                         f"{sizes}, got {X.shape}")
    if y.ndim == 2 and y.shape[1] == n_out:
        labels = y.argmax(axis=1)
        targets = y.astype(np.float64)
    elif y.ndim == 1 and (np.issubdtype(y.dtype, np.integer) or np.all(y == np.round(y))):
        labels = y.astype(np.intp)
        if len(labels) and (labels.min() < 0 or labels.max() >= n_out):
            raise ValueError(f"data: labels must run from 0 to {n_out - 1}, got "
                             f"{labels.min()} to {labels.max()}")
    else:
        raise ValueError(f"data: expected integer labels (n,) or targets (n, {n_out}), "
                         f"got shape {y.shape} of {y.dtype}")
    if len(labels) != len(X) or len(X) == 0:
        raise ValueError(f"data: {len(X)} inputs but {len(labels)} labels")
    return X, labels, targets if y.ndim == 2 else _targets(labels, n_out)

