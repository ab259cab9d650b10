"""diagnostics.data
~~~~~~~~~~~~~~~~

The sample of inputs a diagnosis measures on: the first training images of a
dataset through ``mnist_loader``, or the user's own ``(X, y)`` arrays or the
book's list of ``(x, y)`` pairs.
"""

from __future__ import annotations

import math
import os
from typing import Any, NamedTuple

import numpy as np

import mnist_loader
from nndl.checks import describe, rows_fix

from .measures import targets

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


class Sample(NamedTuple):
    """The data a diagnosis measures on, and how it was given.

    ``X`` (n, sizes[0]) keeps its dtype (integer pixels are evidence);
    ``labels`` (n,) and ``Y`` (n, sizes[-1]) are the classes and the targets
    of the examples whose labels fit the outputs; ``pairs``: given as the
    book's list of ``(x, y)``; ``integer_labels``: the labels were integers
    (not one-hot targets); ``outside``: how many examples had labels outside
    the outputs (left out of ``X``), ``label_range`` the smallest and largest
    label given."""

    X: np.ndarray
    labels: np.ndarray
    Y: np.ndarray
    pairs: bool
    integer_labels: bool
    outside: int
    label_range: tuple[int, int]
    x_shape: tuple[int, ...] | None = None  # the book's pairs: the first x's shape as given


def sample_of(data: Any, sizes: list[int]) -> Sample:
    """The :class:`Sample` of ``(X, y)`` arrays or the book's list of
    ``(x, y)`` pairs."""
    n_in = sizes[0]
    pairs, x_shape = False, None
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
        X, y, x_shape = _from_pairs(data)
        pairs = True
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(f"data: expected inputs of shape (n, {n_in}) for a network of sizes "
                         f"{sizes}, got {X.shape}{rows_fix(X.shape, n_in)}")
    if y.ndim == 2 and y.shape == (sizes[-1], len(X)) and len(X) != sizes[-1]:
        raise ValueError(f"data: expected targets of shape (n, {sizes[-1]}), got {y.shape}; "
                         f"that is one example per column: pass y.T, one example per row")
    if len(y) != len(X) or len(X) == 0:
        raise ValueError(f"data: {len(X)} inputs but {len(y)} labels")
    if y.ndim == 2 and y.shape[1] == 1 and sizes[-1] != 1:
        y = y.ravel()  # labels as a column, (n, 1): the same labels
    return _labelled(X, y, sizes[-1], pairs)._replace(x_shape=x_shape)


def _from_pairs(data: Any) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """``X`` (n, n_in), ``y`` and the first example's ``x`` shape, as given."""
    if isinstance(data, dict | str | bytes) or not hasattr(data, "__iter__"):
        raise ValueError(f"data: expected (X, y) arrays or a list of (x, y) pairs as the "
                         f"book's loader gives, got {describe(data)}")
    pairs = list(data)
    if not pairs:
        raise ValueError("data is empty (a zip can be read only once: pass a list)")
    try:
        X = np.stack([np.asarray(x).reshape(-1) for x, _ in pairs])
        y = [t if np.ndim(t) == 0 else np.asarray(t).reshape(-1) for _, t in pairs]
        return X, np.asarray(y), np.shape(pairs[0][0])
    except (TypeError, ValueError) as error:
        raise ValueError(f"data: expected (X, y) arrays or a list of (x, y) pairs as "
                         f"the book's loader gives ({error})") from None


def _labelled(X: np.ndarray, y: np.ndarray, n_out: int, pairs: bool) -> Sample:
    """The labels and targets of ``y``: integer labels (n,), one-hot or other
    targets (n, n_out); for a single output, labels 0 and 1 or targets (n, 1)
    (its answer is 1 where the output is above 0.5)."""
    if y.ndim == 2 and y.shape[1] == n_out:
        labels = (y[:, 0] > 0.5).astype(np.intp) if n_out == 1 else y.argmax(axis=1)
        return Sample(X, labels, y.astype(np.float64), pairs, False, 0,
                      (int(labels.min()), int(labels.max())))
    if not (y.ndim == 1 and (np.issubdtype(y.dtype, np.integer)
                             or (np.issubdtype(y.dtype, np.number) and np.all(y == np.round(y))))):
        kind = "" if np.issubdtype(y.dtype, np.number) else (
            f"; labels must be numbers, the classes 0 to {max(n_out, 2) - 1}")
        raise ValueError(f"data: expected integer labels (n,) or targets (n, {n_out}), "
                         f"got shape {y.shape} of {y.dtype}{kind}")
    labels = y.astype(np.intp)
    inside = (labels >= 0) & (labels < max(n_out, 2))  # one output: labels 0 and 1
    if not inside.any():
        raise ValueError(f"data: labels must run from 0 to {max(n_out, 2) - 1} for a network "
                         f"with {n_out} output{'s' * (n_out > 1)}, got {labels.min()} to "
                         f"{labels.max()}")
    label_range = (int(labels.min()), int(labels.max()))
    outside = int(len(labels) - inside.sum())
    if outside:
        X, labels = X[inside], labels[inside]
    return Sample(X, labels, targets(labels, n_out), pairs, True, outside, label_range)
