"""nndl.data
~~~~~~~~~~

A data set brought to the network's layout, once, before any training: the
book's list of ``(x, y)`` columns, or arrays, into one matrix of inputs, one
example per row (:class:`Data`).  Bad data raises an error naming the
problem and the fix; inputs that look like raw pixels warn
(:class:`UnscaledInputWarning`).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

import blas
from nndl.checks import check_real, column_fix, describe, rows_fix

LARGE = 1 << 16  # numbers in a matrix from which row_sums takes a product (set-up ~20 us)


@dataclass(frozen=True)
class Data:
    """A data set as the network uses it: inputs ``X`` (n, n_in), one row per
    example; targets ``Y`` (n, n_out); and integer ``labels`` (n,)."""

    X: np.ndarray
    Y: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.X)


class UnscaledInputWarning(UserWarning):
    """The inputs look like raw pixel values (0 to 255) rather than the book's
    [0, 1].  A warning, not an error: the user may mean it."""


def prepare(data, n_in: int, n_out: int, dtype, what: str) -> Data:
    """Check ``data`` and bring it to the network's layout, before any training.

    Accepts the book's format (a list or ``zip`` of ``(x, y)``, ``x`` a
    ``(n_in, 1)`` column, ``y`` a ``(n_out, 1)`` target or an ``int`` label) or
    a pair of arrays ``(X, y)`` with ``X`` of shape ``(n, n_in)`` and ``y``
    integer labels ``(n,)`` or targets ``(n, n_out)``; nested lists are read
    as those arrays.  A :class:`Data` is returned as it is, in ``dtype``.  Raises
    ``ValueError`` (``TypeError`` for an object that is no data set at all)
    naming ``what``, the problem and the fix; warns with
    :class:`UnscaledInputWarning` about inputs that look like raw pixels.
    """
    if isinstance(data, Data):  # prepared already; in the network's dtype, as prepared data is
        return data if data.X.dtype == dtype else Data(
            data.X.astype(dtype), data.Y.astype(dtype), data.labels)
    pair = array_pair(data)
    X, y = pair if pair is not None else stack_examples(data, n_in, n_out, what)
    check_real(X, f"{what}: the inputs")
    if X.ndim != 2 or X.shape[1] != n_in:
        if X.shape in ((n_in, 1), (n_in,)) and y.size in (1, n_out):
            fix = "; that is one example (x, y): pass a list of examples, [(x, y)]"
        else:
            fix = rows_fix(X.shape, n_in)
        raise ValueError(f"{what}: expected inputs of shape (n, {n_in}), got {X.shape}{fix}")
    if len(X) == 0:
        raise ValueError(f"{what} is empty")
    if y.ndim not in (1, 2) or (y.ndim == 2 and y.shape[1] != n_out):
        raise ValueError(f"{what}: expected labels of shape (n,) or targets of shape "
                         f"(n, {n_out}), got {y.shape}")
    if len(y) != len(X):
        raise ValueError(f"{what}: {len(X)} inputs but {len(y)} labels")
    integer = X.dtype.kind in "iu"
    X = narrowed(X, dtype, what)
    check_inputs(X, integer, what)
    return Data(X, *targets(y, n_out, dtype, what))


def narrowed(X: np.ndarray, dtype, what: str) -> np.ndarray:
    """``X`` as a C-contiguous array of ``dtype`` (no copy when it is already
    so).  Finite values beyond a narrower float's range (1e306 for float32)
    raise ``ValueError`` saying so, rather than becoming infinities that the
    NaN check would then blame on the data."""
    with np.errstate(over="ignore"):
        cast = np.ascontiguousarray(X, dtype=dtype)
    if (X.dtype.kind == "f" and X.dtype.itemsize > cast.dtype.itemsize
            and not all_finite(cast) and all_finite(X)):
        raise ValueError(f"{what}: the inputs hold values beyond {cast.dtype.name}'s range "
                         f"(up to {np.finfo(cast.dtype).max:.3g}): scale them to about "
                         f"[0, 1] (the book divides pixels by 255), or train a float64 network")
    return cast


def targets(y: np.ndarray, n_out: int, dtype, what: str) -> tuple[np.ndarray, np.ndarray]:
    """``(Y, labels)`` from integer labels ``y`` (n,) or targets ``y`` (n, n_out):
    one-hot targets for labels, the most active target for targets."""
    if y.ndim == 1:
        labels = check_labels(y, n_out, what)
        Y = np.zeros((len(labels), n_out), dtype=dtype)
        Y[np.arange(len(labels)), labels] = 1
        return Y, labels
    check_real(y, f"{what}: the targets")
    Y = np.ascontiguousarray(y, dtype=dtype)
    if not all_finite(Y):
        raise ValueError(f"{what}: the targets contain NaN or infinity")
    return Y, Y.argmax(axis=1)


def rows(X, n_in: int, dtype, what: str) -> np.ndarray:
    """Inputs ``X`` (n, n_in) as an array of ``dtype``, checked as
    :func:`prepare` checks a data set's."""
    X = np.asarray(X)
    check_real(X, f"{what}: the inputs")
    if X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(f"{what}: expected inputs of shape (n, {n_in}), got {X.shape}"
                         f"{rows_fix(X.shape, n_in)}")
    integer = X.dtype.kind in "iu"
    X = np.asarray(X, dtype=dtype)
    if X.size:
        check_inputs(X, integer, what)
    return X


def columns(a, n_in: int) -> np.ndarray:
    """The book's input column ``a`` (n_in, 1), or ``k`` inputs as columns
    (n_in, k), as an array; ``(n_in,)`` is read as a column.  Raises
    ``ValueError`` for any other shape, naming the fix."""
    a = np.asarray(a)
    if a.ndim == 1 and a.shape[0] == n_in:
        a = a.reshape(n_in, 1)
    if a.ndim != 2 or a.shape[0] != n_in:
        if a.ndim == 2 and a.shape[1] == n_in:
            fix = "; that is one input per row: pass a.T, one input per column"
        else:
            fix = column_fix(a.shape, n_in, "a")
        raise ValueError(f"expected an input of shape ({n_in}, 1), got {a.shape}{fix}")
    return a


def array_pair(data) -> tuple[np.ndarray, np.ndarray] | None:
    """``(X, y)`` as arrays when ``data`` is a pair of arrays, or of nested
    lists such as ``(X.tolist(), y.tolist())``; None for the book's list of
    ``(x, y)`` examples.  An example is never an array, so a pair holding an
    array is the array form.  A pair of equally long lists whose first item
    is itself a list (a row, where an example would start with its array
    ``x``) is the nested-list form, unless it does not make arrays."""
    if not (isinstance(data, tuple | list) and len(data) == 2):
        return None
    first, second = data
    nested = not (isinstance(first, np.ndarray) or isinstance(second, np.ndarray))
    if nested and not (isinstance(first, list | tuple) and isinstance(second, list | tuple)
                       and len(first) == len(second) > 0 and isinstance(first[0], list | tuple)):
        return None
    try:
        return np.asarray(first), np.asarray(second)
    except ValueError:  # ragged: not arrays after all
        return None


def check_inputs(X: np.ndarray, integer: bool, what: str) -> None:
    """Refuse NaN and infinity in the inputs ``X`` (n, n_in); warn when they
    look like raw pixels: some example's mean input above 1 (its row sums to
    more than ``n_in``), and the inputs integers or never negative.  Inputs
    with negative values are taken as standardised, zero-mean data, which
    LeCun et al. 1998 ("Efficient BackProp", section 4.3) recommend.

    The row sums that check finiteness (see :func:`all_finite`) also give the
    scale, so data that is fine costs no extra pass; the smallest and largest
    values are read only for data that may be unscaled."""
    sums = row_sums(X)
    if not (np.isfinite(sums).all() or np.isfinite(X).all()):
        raise ValueError(f"{what}: the inputs contain NaN or infinity")
    if sums.max() > X.shape[1] and (integer or X.min() >= 0):
        kind = "integers" if integer else "values"
        warn(f"{what}: the inputs are {kind} up to {X.max():g}, which look like raw pixel "
             f"values: divide them by 255 (X / 255) to scale them to [0, 1] as the book "
             f"does. Unscaled inputs saturate the sigmoid neurons and the network learns "
             f"little.", UnscaledInputWarning)


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` pointing at the user's line: the first caller outside
    ``network`` and this package, however deep the call."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and _internal(frame.f_globals.get("__name__", "")):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, category, stacklevel=level)


def _internal(module: str) -> bool:
    """A frame of this project's training code, or of ``contextlib`` running
    one of its ``with`` blocks (a watch that warns as the block ends)."""
    return module in ("network", "contextlib") or module.startswith("nndl.")


def all_finite(A: np.ndarray) -> bool:
    """No NaN and no infinity in the matrix ``A``.

    A NaN or an infinity anywhere in a row makes that row's sum NaN or
    infinite (:func:`row_sums`).  Finite numbers whose sum overflows fall
    through to the exact check."""
    return bool(np.isfinite(row_sums(A)).all() or np.isfinite(A).all())


def row_sums(A: np.ndarray) -> np.ndarray:
    """Each row's sum of the matrix ``A``, NaN or infinite for a row holding NaN
    or infinity (or whose finite sum overflows), without a warning.

    A large matrix is summed as the product ``A @ ones`` on one BLAS thread:
    at memory speed, about twice as fast as numpy's ``add.reduce`` (1.7 ms
    against 3.5 ms for 10,000 x 784), whatever the user's thread setting
    (:mod:`blas`).  NaN and infinity pass through a product as through a sum."""
    with np.errstate(all="ignore"):
        if A.size < LARGE or A.dtype.kind != "f" or not A.flags.c_contiguous:
            return np.add.reduce(A, axis=1)
        with blas.threads(A.shape, len(A), blas_threads=1):
            return A @ np.ones(A.shape[1], A.dtype)


def stack_examples(data: Iterable, n_in: int, n_out: int, what: str):
    """The book's ``[(x, y), ...]`` (or a ``zip``) as ``(X, y)`` arrays."""
    pairs = _read_once(data, what)
    stacked = stack_columns(pairs, n_in, n_out)
    if stacked is not None:
        return stacked
    xs, ys = [], []
    for i, pair in enumerate(pairs):
        try:
            x, y = pair
        except (TypeError, ValueError):
            raise ValueError(f"{what}[{i}]: expected an (x, y) pair, got {describe(pair)}; "
                             f"pass the book's list of (x, y) pairs, or a pair of arrays "
                             f"(X, y) with X of shape (n, {n_in}), one example per row") from None
        x = np.asarray(x)
        # (n_in,) is read as the column it stands for; anything else is refused
        # rather than broadcast into a matrix.
        if x.shape not in ((n_in, 1), (n_in,)):
            raise ValueError(f"{what}[{i}]: expected x of shape ({n_in}, 1), got {x.shape}"
                             f"{column_fix(x.shape, n_in)}")
        xs.append(x.reshape(n_in))
        ys.append(y)
    return np.stack(xs), _stack_targets(ys, n_out, what)


def _read_once(data: Iterable, what: str) -> list:
    """``data`` as a list, read now (a ``zip`` can be read only once); an
    empty one is refused, saying why an iterator may be empty."""
    try:
        pairs = list(data)
    except TypeError:
        raise TypeError(f"{what}: expected the book's list of (x, y) pairs or a pair of "
                        f"arrays (X, y), got {describe(data)}") from None
    if not pairs:
        if iter(data) is data:  # an iterator: a zip, map or generator
            name = type(data).__name__
            raise ValueError(f"{what} is empty: it is a {name}, and a {name} can be read only "
                             f"once (an earlier SGD or evaluate may have read it); wrap it in "
                             f"list(...), e.g. {what} = list({what}), and pass the list")
        raise ValueError(f"{what} is empty")
    return pairs


def _stack_targets(ys: list, n_out: int, what: str) -> np.ndarray:
    """The examples' ``y``: int labels (n,), or targets (n, n_out)."""
    if all(isinstance(y, int | np.integer) for y in ys):
        return np.asarray(ys)
    Y = []
    for i, y in enumerate(ys):
        y = np.asarray(y)
        if y.shape not in ((n_out, 1), (n_out,)):
            raise ValueError(f"{what}[{i}]: expected y to be an int label or of shape "
                             f"({n_out}, 1), got {y.shape}")
        Y.append(y.reshape(n_out))
    return np.stack(Y)


def stack_columns(pairs: list, n_in: int, n_out: int):
    """The common case, the book's own data, in a few whole-list operations
    (about twice as fast as the loop of :func:`stack_examples`): every pair a
    tuple ``(x, y)``, ``x`` an ``(n_in, 1)`` array, every ``y`` an int label or
    every ``y`` an ``(n_out, 1)`` array.  None for anything else, which the
    careful loop then checks, example by example."""
    if not all(type(p) is tuple and len(p) == 2 for p in pairs):
        return None
    xs, ys = zip(*pairs)
    if not all(type(x) is np.ndarray and x.shape == (n_in, 1) for x in xs):
        return None
    X = np.concatenate(xs).reshape(len(xs), n_in)
    if all(isinstance(y, int | np.integer) for y in ys):
        return X, np.asarray(ys)
    if all(type(y) is np.ndarray and y.shape == (n_out, 1) for y in ys):
        return X, np.concatenate(ys).reshape(len(ys), n_out)
    return None


def check_labels(y: np.ndarray, n_out: int, what: str) -> np.ndarray:
    """Integer labels ``y`` (n,) as ``intp``, each in ``[0, n_out)``; float
    labels that are whole numbers are accepted."""
    if not np.issubdtype(y.dtype, np.integer):
        if not (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y))):
            raise ValueError(f"{what}: labels must be integers, got dtype {y.dtype}")
    labels = y.astype(np.intp)
    if len(labels) and (labels.min() < 0 or labels.max() >= n_out):
        bad = labels[(labels < 0) | (labels >= n_out)][0]
        raise ValueError(f"{what}: label {bad} is out of range; labels run from 0 to {n_out - 1}")
    return labels
