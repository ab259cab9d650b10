"""network
~~~~~~~

Michael Nielsen's feedforward network from *Neural Networks and Deep Learning*
(chapter 1's ``network.py``, with what chapter 3's ``network2.py`` adds),
rewritten for Python 3 with three changes that matter for experiments:

* the starting weights and biases come from a named scheme in
  :mod:`initializers` (``init="randn"`` is the book's choice);
* every random draw comes from one ``numpy.random.Generator`` made from
  ``seed``, so a run can be repeated bit for bit;
* a mini-batch is trained with one matrix product per layer, instead of one
  backpropagation per example (the book's own suggested exercise).

The book's session works as printed::

    >>> import mnist_loader, network
    >>> training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    >>> net = network.Network([784, 30, 10])
    >>> net.SGD(training_data, 30, 10, 3.0, test_data=test_data)

Chapter 3's session is the module :mod:`network2`, the book's interface
(accuracies as counts, ``convert``, four lists returned, its JSON files) over
this class.  ``Network(cost=network2.CrossEntropyCost)`` and
``Network.load`` of a ``network2.save()`` file work here too.

Layout.  As in the book, ``weights[l]`` has shape ``(sizes[l+1], sizes[l])``
and ``biases[l]`` is a column ``(sizes[l+1], 1)``, so a single input is a
column ``x`` of shape ``(784, 1)`` and ``a' = sigmoid(w @ a + b)``.  A
mini-batch is held the other way round, one example per *row* (``X`` of shape
``(m, 784)``), because that is how the data sits in memory; then
``A' = sigmoid(A @ w.T + b.T)``, the same numbers transposed.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import sys
import time
import warnings
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

import blas
import initializers
from nndl.files import UMASK as _UMASK  # noqa: F401  (tests read it)
from nndl.files import write_atomic

ACTIVATIONS = ("sigmoid", "tanh", "relu", "softsign")
# "log_likelihood" is the book's log-likelihood cost C = -ln a_y, which goes
# with a softmax output layer (chapter 3, "Softmax"); the other two costs go
# with a sigmoid output layer.
COSTS = ("quadratic", "cross_entropy", "log_likelihood")
_FORMAT = "nndl-init network"


# --------------------------------------------------------------------------
# Activation functions.  Each works in place on the array it is given and its
# derivative is written in terms of the *output* a = f(z), so that
# backpropagation needs to keep only the activations, not the z's.
# --------------------------------------------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, for any ``z`` without overflow.

    ``exp(-z)`` overflows for ``z < -709``, which ``rand`` initialization
    reaches easily.  Clamping ``-z`` just below that point keeps the
    exponential finite; it changes only outputs smaller than ``1e-307``
    (``1e-38`` in float32), which are 0 for every practical purpose.  This
    form keeps full relative precision for very negative ``z``:
    ``sigmoid(-40)`` is 4.25e-18, where ``(1 + tanh(z/2)) / 2`` rounds to 0.
    """
    return _scalar_or_array(_sigmoid_(_float_copy(z, "sigmoid")))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid, ``sigmoid(z) * (1 - sigmoid(z))``."""
    s = _sigmoid_(_float_copy(z, "sigmoid_prime"))
    return _scalar_or_array(s * (1 - s))


def _float_copy(z, what: str) -> np.ndarray:
    """A new float array holding ``z``, for the public numeric functions.

    float32 and float64 arrays keep their type (float16 computes in float32);
    Python numbers, lists and integer arrays become float64.  numpy 2 treats a
    Python float as "weak" (``np.result_type(0.5, np.float32)`` is float32),
    so the type is chosen from ``np.asarray(z)``, never from ``z`` itself."""
    a = np.asarray(z)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{what} takes real numbers, got an array of dtype {a.dtype}")
    dtype = np.result_type(a.dtype, np.float32) if a.dtype.kind == "f" else np.float64
    return np.array(a, dtype=dtype, copy=True)


def _scalar_or_array(a: np.ndarray):
    """A number for a 0-d result (as numpy's own functions give), else the array."""
    return a[()] if a.ndim == 0 else a


# Constants as 0-d arrays of each float type: numpy 2 combines an array with a
# 0-d array of its own dtype faster than with a Python float (about 0.3 us a
# call, several per layer and mini-batch), and to the same bits.  _EXP_MAX is
# just below the argument at which exp overflows (709.78 in float64, 88.72 in
# float32).
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_ONE = {t: np.array(1, dtype=t) for t in _FLOATS}
_EXP_MAX = {t: np.array(np.log(np.finfo(t).max) - 1, dtype=t) for t in _FLOATS}


def _sigmoid_(z: np.ndarray) -> np.ndarray:
    # In place, one numpy call per step: at mini-batch 10 each call's fixed
    # cost (about 1 us) outweighs its arithmetic.  numpy's exp is about 3x
    # faster than its tanh in float64.
    np.negative(z, out=z)
    np.minimum(z, _EXP_MAX.get(z.dtype, 708.0), out=z)
    np.exp(z, out=z)
    z += _ONE.get(z.dtype, 1)
    return np.reciprocal(z, out=z)


def _relu_(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0, out=z)


def softsign(z: np.ndarray) -> np.ndarray:
    """The softsign ``z / (1 + |z|)``, in (-1, 1), for any finite ``z``.

    One of the three activations of Glorot & Bengio (2010), "Understanding
    the difficulty of training deep feedforward neural networks": like
    ``tanh``, but its tails approach +-1 polynomially, not exponentially, so
    its units saturate less.
    Its derivative is ``1 / (1 + |z|)**2``, which is ``(1 - |a|)**2`` in terms
    of the output ``a``."""
    return _softsign_(np.array(z, dtype=np.result_type(z, np.float32), copy=True))


def softsign_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of the softsign, ``1 / (1 + |z|)**2``."""
    return _softsign_prime_from_output(softsign(z))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """The softmax ``a_j = exp(z_j) / sum_k exp(z_k)`` along ``axis`` (the
    book's chapter 3, "Softmax"), for any finite ``z`` without overflow.

    The default takes each *row* as one example's weighted inputs, the
    network's layout for a mini-batch; for the book's column ``z`` of shape
    ``(n_out, 1)`` pass ``axis=0``.  The largest ``z_k`` is subtracted
    first: the ratios are unchanged and every exponential is at most 1."""
    z = np.array(z, dtype=np.result_type(z, np.float32), copy=True)
    z = np.moveaxis(z, axis, -1)
    shape = z.shape
    return np.moveaxis(_softmax_(z.reshape(-1, shape[-1])).reshape(shape), -1, axis)


def _softsign_(z: np.ndarray) -> np.ndarray:
    d = np.abs(z)
    d += _ONE.get(z.dtype, 1)  # 1 + |z| is finite for every finite z: at most max
    z /= d
    return z


def _softmax_(z: np.ndarray) -> np.ndarray:
    # Rows are examples.  z - max(z) is at most 0, so exp never overflows;
    # the difference itself overflows only where z spans more than the float
    # range, and there it is -inf, whose exp is exactly the right 0.
    with np.errstate(over="ignore"):
        z -= np.maximum.reduce(z, axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= np.add.reduce(z, axis=1, keepdims=True)  # at least 1: the max's exp is 1
    return z


def _sigmoid_prime_from_output(a: np.ndarray) -> np.ndarray:
    p = _ONE.get(a.dtype, 1) - a
    p *= a  # one temporary, not two; (1 - a) * a is a * (1 - a) bit for bit
    return p


def _tanh_prime_from_output(a: np.ndarray) -> np.ndarray:
    p = a * a
    return np.subtract(1, p, out=p)


def _relu_prime_from_output(a: np.ndarray) -> np.ndarray:
    return (a > 0).astype(a.dtype)


def _softsign_prime_from_output(a: np.ndarray) -> np.ndarray:
    p = np.abs(a)  # 1 / (1 + |z|) = 1 - |a|
    np.subtract(_ONE.get(a.dtype, 1), p, out=p)
    p *= p
    return p


_ACTIVATION_FNS = {
    "sigmoid": (_sigmoid_, _sigmoid_prime_from_output),
    "tanh": (lambda z: np.tanh(z, out=z), _tanh_prime_from_output),
    "relu": (_relu_, _relu_prime_from_output),
    "softsign": (_softsign_, _softsign_prime_from_output),
}


# --------------------------------------------------------------------------
# The costs as the book's network2.py spells them (chapter 3): classes whose
# static methods give one example's cost and output error.  Training never
# calls them (it works on whole mini-batches, below); they are for readers of
# the book, and Network(cost=CrossEntropyCost) accepts them by class name, so
# the classes of the book's own network2.py work too.
# --------------------------------------------------------------------------


class QuadraticCost:
    """The quadratic cost ``C = ||a - y||^2 / 2`` of one example (the book,
    chapters 1 and 3).  ``cost=QuadraticCost`` means ``cost="quadratic"``."""

    @staticmethod
    def fn(a: np.ndarray, y: np.ndarray) -> float:
        """The cost of output ``a`` for target ``y`` (both ``(n_out, 1)``)."""
        return 0.5 * float(np.sum((np.asarray(a) - y) ** 2))

    @staticmethod
    def delta(z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The output error ``dC/dz = (a - y) * sigmoid'(z)`` (the book's eq. BP1)."""
        return (a - y) * sigmoid_prime(z)


class CrossEntropyCost:
    """The cross-entropy cost ``C = -sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]``
    of one example (the book, chapter 3, "The cross-entropy cost function").
    ``cost=CrossEntropyCost`` means ``cost="cross_entropy"``."""

    @staticmethod
    def fn(a: np.ndarray, y: np.ndarray) -> float:
        """The cost of output ``a`` for target ``y`` (both ``(n_out, 1)``).

        A term whose factor ``y_j`` or ``1 - y_j`` is 0 counts 0, even where
        its log is infinite (the book's ``np.nan_to_num`` does this).  An output
        of exactly 0 or 1 on the wrong side costs ``inf``, the true limit (the
        book's ``nan_to_num`` turns it into 1.8e308).  ``Network.total_cost``
        computes the same cost from ``z``, finite for every ``z``."""
        a, y = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(y, dtype=float))
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 * log(0), dropped below
            on = np.where(y != 0, y * np.log(a), 0.0)
            off = np.where(y != 1, (1 - y) * np.log1p(-a), 0.0)
        return -float(np.sum(on + off))

    @staticmethod
    def delta(z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The output error ``dC/dz = a - y``: sigmoid' cancels (chapter 3).
        ``z`` is unused; it keeps the signature of ``QuadraticCost.delta``."""
        return a - y


# The book's network2.py passes a cost class and saves its name; "cross-entropy"
# is how the book's prose spells it.
_COST_CLASS_NAMES = {"QuadraticCost": "quadratic", "CrossEntropyCost": "cross_entropy"}


def _cost_name(cost) -> str:
    """``"quadratic"`` or ``"cross_entropy"`` for any spelling ``cost=`` accepts."""
    name = cost if isinstance(cost, str) else getattr(cost, "__name__", None)
    name = _COST_CLASS_NAMES.get(name, name)
    if isinstance(name, str) and name.replace("-", "_") in COSTS:
        return name.replace("-", "_")
    raise ValueError(f"unknown cost {cost!r}; valid: {', '.join(COSTS)} (or the book's "
                     f"classes QuadraticCost, CrossEntropyCost)")


# --------------------------------------------------------------------------
# Forward and backward passes over mini-batches held as rows.  At mini-batch
# 10 a pass is about 30 numpy calls on arrays of 100 to 300 numbers, each
# costing its fixed overhead (about 1 us), so the passes are plain functions
# over a _Plan made once, not methods that look things up layer by layer.
# --------------------------------------------------------------------------


class _Plan(NamedTuple):
    weights: list[np.ndarray]
    weights_t: list[np.ndarray]  # w.T: a batch of rows A goes to A @ w.T
    biases_t: list[np.ndarray]  # b.T, a (1, n) row added to every example's row
    functions: list[Callable]  # each layer's activation, in place
    prime: Callable  # the hidden layers' derivative, from their output
    quadratic: bool  # the cost; False for cross-entropy


class _Update(NamedTuple):
    """Turns ``_backprop`` into a gradient-descent step: ``w <- decay * w - grad``."""

    decay: float  # 1 - eta * lmbda / n, L2 weight decay (1.0 without)
    buffers: list[np.ndarray]  # shaped like the weights, to receive their gradients


def _forward(plan: _Plan, X: np.ndarray, zs: list | None = None) -> list[np.ndarray]:
    """The activations of every layer for the rows of ``X``, ``X`` first; each
    layer's weighted input ``z`` is appended to ``zs`` when it is given."""
    activations = [X]
    a = X
    for w_t, b_t, f in zip(plan.weights_t, plan.biases_t, plan.functions):
        a = a @ w_t
        a += b_t
        if zs is not None:
            zs.append(a)
            a = a.copy()  # the activation works in place
        a = f(a)
        activations.append(a)
    return activations


def _backprop(plan: _Plan, X: np.ndarray, Y: np.ndarray, scale, update: _Update | None = None):
    """``scale`` times the gradient of the cost summed over the rows of ``X``.

    Returns ``(nabla_b, nabla_w)`` in the book's shapes: ``nabla_b[l]`` is
    ``(sizes[l+1], 1)`` and ``nabla_w[l]`` is ``(sizes[l+1], sizes[l])``.

    With ``update``, this is the gradient step instead: each layer's gradient
    is subtracted in place as soon as it is known, once the error has been
    carried back through that layer's old weights, and nothing is returned.
    Gradients are linear in the output error, so ``scale`` (``eta / m`` for a
    step) multiplies that error once rather than every gradient.
    """
    activations = _forward(plan, X)
    a = activations[-1]
    # The output error dC/dz: a - y for cross-entropy with a sigmoid output
    # layer and for the log-likelihood with a softmax one (the book's eq. 66
    # and its softmax exercise); the quadratic cost multiplies in sigma'(z).
    delta = a - Y
    if plan.quadratic:
        delta *= _sigmoid_prime_from_output(a)
    delta *= scale
    weights, biases_t, prime = plan.weights, plan.biases_t, plan.prime
    L = len(weights)
    nabla_b, nabla_w = [None] * L, [None] * L
    for l in range(L - 1, -1, -1):
        a = activations[l]
        nb = np.add.reduce(delta, axis=0)  # the bias gradient, as a row
        if update is None:
            nabla_b[l], nabla_w[l] = nb.reshape(-1, 1), delta.T @ a
        else:
            nw = np.matmul(delta.T, a, out=update.buffers[l])
        if l > 0:
            back = delta @ weights[l]  # through the weights as they were before this step
            back *= prime(a)
        if update is not None:
            if update.decay != 1.0:
                weights[l] *= update.decay
            weights[l] -= nw
            biases_t[l] -= nb
        if l > 0:
            delta = back
    return None if update is not None else (nabla_b, nabla_w)


# --------------------------------------------------------------------------
# Training history
# --------------------------------------------------------------------------


@dataclass
class History:
    """What ``SGD`` measured, one entry per epoch (a list stays empty when the
    quantity was not measured).  Accuracies are fractions in [0, 1]; costs
    include the L2 term when ``lmbda > 0``; ``seconds`` is the training time of
    the epoch, evaluation excluded."""

    seconds: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    test_cost: list[float] = field(default_factory=list)
    evaluation_accuracy: list[float] = field(default_factory=list)
    evaluation_cost: list[float] = field(default_factory=list)
    training_accuracy: list[float] = field(default_factory=list)
    training_cost: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[float]]:
        return asdict(self)

    def __repr__(self) -> str:
        """Short, for the REPL's echo after ``net.SGD(...)``: the number of epochs
        and each recorded accuracy's best (epochs numbered from 0, as printed)
        and final value.  The lists themselves are the attributes."""
        n = len(self.seconds)
        parts = [f"{n} epoch{'' if n == 1 else 's'}"]
        for name in ("test", "evaluation", "training"):
            accuracy = getattr(self, f"{name}_accuracy")
            if accuracy:
                best = int(np.argmax(accuracy))
                parts.append(f"best {name} accuracy {100 * accuracy[best]:.2f} % at epoch "
                             f"{best}, final {100 * accuracy[-1]:.2f} %")
        return f"History({', '.join(parts)})"


# --------------------------------------------------------------------------
# Data: the book's lists of (x, y) columns, or arrays, into one matrix.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Data:
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


def _array_pair(data) -> tuple[np.ndarray, np.ndarray] | None:
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


def _prepare(data, n_in: int, n_out: int, dtype, what: str) -> _Data:
    """Check ``data`` and bring it to the network's layout, before any training.

    Accepts the book's format (a list or ``zip`` of ``(x, y)``, ``x`` a
    ``(n_in, 1)`` column, ``y`` a ``(n_out, 1)`` target or an ``int`` label) or
    a pair of arrays ``(X, y)`` with ``X`` of shape ``(n, n_in)`` and ``y``
    integer labels ``(n,)`` or targets ``(n, n_out)``; nested lists are read
    as those arrays.  Raises ``ValueError`` (``TypeError`` for an object that
    is no data set at all) naming the problem and the fix; warns with
    :class:`UnscaledInputWarning` about inputs that look like raw pixels.
    """
    if isinstance(data, _Data):
        return data
    pair = _array_pair(data)
    X, y = pair if pair is not None else _stack_examples(data, n_in, n_out, what)
    _check_real(X, f"{what}: the inputs")
    if X.ndim != 2 or X.shape[1] != n_in:
        if X.shape in ((n_in, 1), (n_in,)) and y.size in (1, n_out):
            fix = "; that is one example (x, y): pass a list of examples, [(x, y)]"
        else:
            fix = _rows_fix(X.shape, n_in)
        raise ValueError(f"{what}: expected inputs of shape (n, {n_in}), got {X.shape}{fix}")
    if len(X) == 0:
        raise ValueError(f"{what} is empty")
    if y.ndim not in (1, 2) or (y.ndim == 2 and y.shape[1] != n_out):
        raise ValueError(
            f"{what}: expected labels of shape (n,) or targets of shape (n, {n_out}), "
            f"got {y.shape}"
        )
    if len(y) != len(X):
        raise ValueError(f"{what}: {len(X)} inputs but {len(y)} labels")
    integer = X.dtype.kind in "iu"
    X = np.ascontiguousarray(X, dtype=dtype)  # no copy when it is already so
    _check_inputs(X, integer, what)
    if y.ndim == 1:
        labels = _check_labels(y, n_out, what)
        Y = np.zeros((len(labels), n_out), dtype=dtype)
        Y[np.arange(len(labels)), labels] = 1
    else:
        _check_real(y, f"{what}: the targets")
        Y = np.ascontiguousarray(y, dtype=dtype)
        if not _all_finite(Y):
            raise ValueError(f"{what}: the targets contain NaN or infinity")
        labels = Y.argmax(axis=1)
    return _Data(X, Y, labels)


def _check_real(a: np.ndarray, what: str) -> None:
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{what} must be real numbers, got an array of dtype {a.dtype}")


def _check_inputs(X: np.ndarray, integer: bool, what: str) -> None:
    """Refuse NaN and infinity in the inputs ``X`` (n, n_in); warn when they
    look like raw pixels: some example's mean input above 1 (its row sums to
    more than ``n_in``), and the inputs integers or never negative.  Inputs
    with negative values are taken as standardised, zero-mean data, which
    LeCun et al. 1998 ("Efficient BackProp", section 4.3) recommend.

    The row sums that check finiteness (see ``_all_finite``) also give the
    scale, so data that is fine costs no extra pass; the smallest and largest
    values are read only for data that may be unscaled."""
    sums = _row_sums(X)
    if not (np.isfinite(sums).all() or np.isfinite(X).all()):
        raise ValueError(f"{what}: the inputs contain NaN or infinity")
    if sums.max() > X.shape[1] and (integer or X.min() >= 0):
        kind = "integers" if integer else "values"
        _warn(f"{what}: the inputs are {kind} up to {X.max():g}, which look like raw pixel "
              f"values: divide them by 255 (X / 255) to scale them to [0, 1] as the book "
              f"does. Unscaled inputs saturate the sigmoid neurons and the network learns "
              f"little.", UnscaledInputWarning)


def _warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` pointing at the user's line: the first caller outside
    this module, however deep the call."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == __file__:
        level, frame = level + 1, frame.f_back
    warnings.warn(message, category, stacklevel=level)


def _rows_fix(shape: tuple, n_in: int) -> str:
    """How to make inputs of ``shape`` into rows ``(n, n_in)``, when it is clear."""
    if len(shape) >= 3 and math.prod(shape[1:]) == n_in:
        return "; flatten each example into a row: X.reshape(len(X), -1)"
    if len(shape) == 2 and shape[0] == n_in:
        return "; that is one example per column: pass X.T, one example per row"
    if len(shape) == 1 and shape[0] == n_in:
        return "; that is one example: pass X.reshape(1, -1), one example per row"
    return ""


def _column_fix(shape: tuple, n_in: int, name: str = "x") -> str:
    """How to make an input of ``shape`` into the book's column ``(n_in, 1)``."""
    if math.prod(shape) == n_in:
        return f"; make it a column: {name}.reshape({n_in}, 1)"
    return ""


def _describe(obj) -> str:
    """``obj``'s type, with its shape or length: what an error message shows."""
    if isinstance(obj, np.ndarray):
        return f"an array of shape {obj.shape}"
    if isinstance(obj, list | tuple):
        return f"a {type(obj).__name__} of {len(obj)} items"
    return type(obj).__name__


def _all_finite(A: np.ndarray) -> bool:
    """No NaN and no infinity in the matrix ``A``.

    A NaN or an infinity anywhere in a row makes that row's sum NaN or
    infinite, and numpy sums the rows at memory speed, about twice as fast
    as ``np.isfinite(A).all()``.  Not with a matrix-vector product: that
    would run on the BLAS threads of the user's setting, before the call
    chooses them (:mod:`blas`).  Finite numbers whose sum overflows fall
    through to the exact check."""
    return bool(np.isfinite(_row_sums(A)).all() or np.isfinite(A).all())


def _row_sums(A: np.ndarray) -> np.ndarray:
    """Each row's sum, NaN or infinite for a row holding NaN or infinity (or
    whose finite sum overflows), without a warning."""
    with np.errstate(all="ignore"):
        return np.add.reduce(A, axis=1)


def _stack_examples(data: Iterable, n_in: int, n_out: int, what: str):
    """The book's ``[(x, y), ...]`` (or a ``zip``) as ``(X, y)`` arrays."""
    try:
        pairs = list(data)  # a zip object can be read only once: read it now
    except TypeError:
        raise TypeError(f"{what}: expected the book's list of (x, y) pairs or a pair of "
                        f"arrays (X, y), got {_describe(data)}") from None
    if not pairs:
        if iter(data) is data:  # an iterator: a zip, map or generator
            name = type(data).__name__
            raise ValueError(f"{what} is empty: it is a {name}, and a {name} can be read only "
                             f"once (an earlier SGD or evaluate may have read it); wrap it in "
                             f"list(...), e.g. {what} = list({what}), and pass the list")
        raise ValueError(f"{what} is empty")
    stacked = _stack_columns(pairs, n_in, n_out)
    if stacked is not None:
        return stacked
    xs, ys = [], []
    for i, pair in enumerate(pairs):
        try:
            x, y = pair
        except (TypeError, ValueError):
            raise ValueError(f"{what}[{i}]: expected an (x, y) pair, got {_describe(pair)}; "
                             f"pass the book's list of (x, y) pairs, or a pair of arrays "
                             f"(X, y) with X of shape (n, {n_in}), one example per row") from None
        x = np.asarray(x)
        # (n_in,) is read as the column it stands for; anything else is refused
        # rather than broadcast into a matrix.
        if x.shape not in ((n_in, 1), (n_in,)):
            raise ValueError(f"{what}[{i}]: expected x of shape ({n_in}, 1), got {x.shape}"
                             f"{_column_fix(x.shape, n_in)}")
        xs.append(x.reshape(n_in))
        ys.append(y)
    X = np.stack(xs)
    if all(isinstance(y, int | np.integer) for y in ys):
        return X, np.asarray(ys)
    Y = []
    for i, y in enumerate(ys):
        y = np.asarray(y)
        if y.shape not in ((n_out, 1), (n_out,)):
            raise ValueError(
                f"{what}[{i}]: expected y to be an int label or of shape ({n_out}, 1), "
                f"got {y.shape}"
            )
        Y.append(y.reshape(n_out))
    return X, np.stack(Y)


def _stack_columns(pairs: list, n_in: int, n_out: int):
    """The common case, the book's own data, in a few whole-list operations
    (about twice as fast as the loop of ``_stack_examples``): every pair a
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


def _check_labels(y: np.ndarray, n_out: int, what: str) -> np.ndarray:
    if not np.issubdtype(y.dtype, np.integer):
        if not (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y))):
            raise ValueError(f"{what}: labels must be integers, got dtype {y.dtype}")
    labels = y.astype(np.intp)
    if len(labels) and (labels.min() < 0 or labels.max() >= n_out):
        bad = labels[(labels < 0) | (labels >= n_out)][0]
        raise ValueError(f"{what}: label {bad} is out of range; labels run from 0 to {n_out - 1}")
    return labels


# --------------------------------------------------------------------------
# The network
# --------------------------------------------------------------------------


class Network:
    """A fully connected feedforward network trained by mini-batch SGD.

    Parameters
    ----------
    sizes : neurons per layer, input first, e.g. ``[784, 30, 10]``.
    init : name of a scheme in :mod:`initializers` (``"randn"``, the book's,
        ``"rand"``, ``"zeros"``, ``"xavier_uniform"``, ...) or a function
        ``f(rng, shape, dtype)`` returning the weights of shape ``shape``.
    seed : an integer >= 0 (a Python or numpy integer), the seed of the
        generator behind every random draw (initialization and shuffling);
        ``None`` for fresh entropy, as in the book.  It is saved with the
        network and written to records, so a ``Generator`` or a
        ``SeedSequence``, which cannot be, is refused: pass an integer.
    bias_init : overrides the scheme's biases: a scheme name (its bias rule),
        a number (a constant) or a function like ``init``.  ``None`` keeps the
        scheme's own; with a function ``init`` that means zeros.
    activation : the hidden layers' function, ``"sigmoid"`` (the book's),
        ``"tanh"``, ``"relu"`` or ``"softsign"`` (``z / (1 + |z|)``, Glorot &
        Bengio 2010).
    cost : ``"quadratic"`` (chapter 1) or ``"cross_entropy"`` (chapter 3),
        both with a sigmoid output layer, or ``"log_likelihood"`` (chapter 3's
        ``C = -ln a_y``), with a softmax output layer.  The book's ``network2``
        spellings ``QuadraticCost``, ``CrossEntropyCost`` and ``"cross-entropy"``
        are accepted too.  ``net.cost`` is the name.
    dtype : ``np.float64`` (default) or ``np.float32``.

    Bad settings, data or parameters raise ``ValueError`` or ``TypeError``
    before any work, naming the problem and the fix; every public method
    first checks ``weights`` and ``biases`` (number, shapes, no NaN or
    infinity).  Inputs that look like raw 0-255 pixels give an
    :class:`UnscaledInputWarning`.

    The methods that multiply whole data sets (``SGD``, ``evaluate``,
    ``accuracy``, ``total_cost``, ``gradient``, ``predict``, ``forward``) set
    numpy's BLAS threads for the call from the sizes of their products (see
    :mod:`blas`); their ``blas_threads=`` keyword sets a count instead.
    """

    def __init__(
        self,
        sizes: list[int],
        init: str | Callable = "randn",
        seed: int | None = None,
        *,
        bias_init: str | float | Callable | None = None,
        activation: str = "sigmoid",
        cost: str | type = "quadratic",
        dtype=np.float64,
    ) -> None:
        self.sizes = _check_sizes(sizes)
        self.num_layers = len(self.sizes)
        self.activation = _check_choice("activation", activation, ACTIVATIONS)
        self.cost = _cost_name(cost)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        self.seed = _check_seed(seed)
        self.rng = np.random.default_rng(self.seed)
        self.init = init if isinstance(init, str) else getattr(init, "__name__", repr(init))
        draw_w, draw_b = _draws(init, bias_init)
        shapes = list(zip(self.sizes[1:], self.sizes[:-1]))
        # Biases first, then weights, in the book's order.
        self.biases = [_draw(draw_b, "bias_init", self.rng, (y, 1), self.dtype, f"biases[{l}]")
                       for l, (y, _) in enumerate(shapes)]
        self.weights = [_draw(draw_w, "init", self.rng, s, self.dtype, f"weights[{l}]")
                        for l, s in enumerate(shapes)]

    # ---- forward ---------------------------------------------------------

    def feedforward(self, a: np.ndarray) -> np.ndarray:
        """Return the output for input ``a``: a column ``(n_in, 1)`` (or ``(n_in,)``,
        read as a column) gives a ``(n_out, 1)`` column; ``(n_in, k)`` holds
        ``k`` inputs as columns, as in the book, and gives ``(n_out, k)``."""
        self._check_params()
        a = np.asarray(a)
        n_in = self.sizes[0]
        if a.ndim == 1 and a.shape[0] == n_in:
            a = a.reshape(n_in, 1)
        if a.ndim != 2 or a.shape[0] != n_in:
            if a.ndim == 2 and a.shape[1] == n_in:
                fix = "; that is one input per row: pass a.T, one input per column"
            else:
                fix = _column_fix(a.shape, n_in, "a")
            raise ValueError(f"expected an input of shape ({n_in}, 1), got {a.shape}{fix}")
        # Not through forward: the book's loops call this once per example, and
        # choosing the BLAS threads (blas.threads) would double its cost.
        return self._feed(self._rows(a.T, "feedforward"), keep_zs=False)[1][-1].T

    def forward(self, X: np.ndarray, *, blas_threads: int | None = None
                ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Feed the rows of ``X`` (n, n_in) forward; return ``(zs, activations)``.

        ``zs[l]`` (n, sizes[l+1]) are the weighted inputs of layer ``l+1`` and
        ``activations[l]`` (n, sizes[l]) the outputs of layer ``l``, starting
        with ``activations[0] = X``.  This is what the saturation experiment
        looks at.
        """
        self._check_params()
        X = self._rows(X, "forward")
        with blas.threads(self.sizes, len(X), blas_threads):
            return self._feed(X, keep_zs=True)

    def _feed(self, X: np.ndarray, keep_zs: bool) -> tuple[list[np.ndarray], list[np.ndarray]]:
        zs = [] if keep_zs else None
        activations = _forward(self._plan(), X, zs)
        return zs or [], activations

    def _plan(self) -> _Plan:
        """What a pass over the layers needs, looked up once per pass."""
        hidden, prime = _ACTIVATION_FNS[self.activation]
        output = _softmax_ if self.cost == "log_likelihood" else _sigmoid_
        functions = [hidden] * (self.num_layers - 2) + [output]
        return _Plan(self.weights, [w.T for w in self.weights], [b.T for b in self.biases],
                     functions, prime, self.cost == "quadratic")

    def _rows(self, X, what: str = "X") -> np.ndarray:
        """Inputs ``X`` (n, n_in), checked as ``_prepare`` checks a data set's."""
        X = np.asarray(X)
        _check_real(X, f"{what}: the inputs")
        n_in = self.sizes[0]
        if X.ndim != 2 or X.shape[1] != n_in:
            raise ValueError(f"{what}: expected inputs of shape (n, {n_in}), got {X.shape}"
                             f"{_rows_fix(X.shape, n_in)}")
        integer = X.dtype.kind in "iu"
        X = np.asarray(X, dtype=self.dtype)
        if X.size:
            _check_inputs(X, integer, what)
        return X

    # ---- training --------------------------------------------------------

    def SGD(
        self,
        training_data,
        epochs: int,
        mini_batch_size: int,
        eta: float,
        test_data=None,
        *,
        lmbda: float = 0.0,
        evaluation_data=None,
        monitor_evaluation_cost: bool = False,
        monitor_evaluation_accuracy: bool = False,
        monitor_training_cost: bool = False,
        monitor_training_accuracy: bool = False,
        verbose: bool = True,
        callback: Callable | None = None,
        blas_threads: int | None = None,
    ) -> History:
        """Train by mini-batch stochastic gradient descent.

        Each epoch shuffles the training data with the network's generator,
        cuts it into mini-batches of ``mini_batch_size`` (the last may be
        smaller) and takes one gradient step of size ``eta`` per batch.  With
        ``lmbda > 0`` each step first shrinks the weights by
        ``1 - eta * lmbda / n`` (L2 regularisation, ``n`` training examples).

        After each epoch the accuracy and cost on ``test_data`` and on
        ``evaluation_data`` are recorded (one matrix pass each), and on the
        training data when a ``monitor_training_*`` flag asks for it.  Every
        cost's L2 term is ``lmbda / (2 n) * sum w^2`` with ``n`` the training-set
        size, the term being minimised (``network2``'s ``SGD``, like the book's,
        divides the evaluation cost's by the evaluation set's size).  With
        ``verbose`` the book's lines are printed (``Epoch 0: 9129 / 10000``).
        ``callback(epoch, net, history)``, if given, runs after each epoch; when
        it returns ``False`` training stops there (``diagnostics.Monitor`` does so
        on a fatal finding).  ``blas_threads``: numpy's BLAS threads during the
        call (the callback included); None chooses from the mini-batch's
        products (:mod:`blas`).

        Returns the :class:`History`.
        """
        n_in, n_out = self.sizes[0], self.sizes[-1]
        self._check_params()
        epochs = _check_count("epochs", epochs, minimum=0)
        m = _check_count("mini_batch_size", mini_batch_size, minimum=1)
        eta = _check_positive("eta", eta)
        lmbda = _check_nonnegative("lmbda", lmbda)
        _check_monitoring(evaluation_data, verbose=verbose, callback=callback,
                          monitor_evaluation_cost=monitor_evaluation_cost,
                          monitor_evaluation_accuracy=monitor_evaluation_accuracy,
                          monitor_training_cost=monitor_training_cost,
                          monitor_training_accuracy=monitor_training_accuracy)
        train = _prepare(training_data, n_in, n_out, self.dtype, "training_data")
        if isinstance(test_data, int | float):  # the book's network2 takes lmbda fifth
            raise TypeError(f"test_data is the number {test_data!r}: give lmbda by keyword, "
                            f"lmbda={test_data!r} (network2.Network.SGD takes it fifth)")
        test = None if test_data is None else _prepare(test_data, n_in, n_out, self.dtype,
                                                       "test_data")
        evaluation = None if evaluation_data is None else _prepare(
            evaluation_data, n_in, n_out, self.dtype, "evaluation_data")
        n = len(train)
        history = History()
        X, backprop, plan = train.X, _backprop, self._plan()  # looked up once, not per batch
        update = _Update(1.0 - eta * lmbda / n, [np.empty_like(w) for w in self.weights])
        # eta/m for a full batch and for the last, smaller one (as 0-d arrays: see _ONE)
        scale = {size: np.array(eta / size, dtype=self.dtype) for size in {m, n % m or m}}
        with blas.threads(self.sizes, m, blas_threads):
            for j in range(epochs):
                start = time.perf_counter()
                order = self.rng.permutation(n)
                # Shuffled targets are small (n x 10): one gather per epoch.  The
                # inputs are gathered a batch at a time, so that X is never copied.
                Y = train.Y.take(order, axis=0)
                for k in range(0, n, m):
                    batch = X.take(order[k:k + m], axis=0)
                    backprop(plan, batch, Y[k:k + m], scale[len(batch)], update)
                history.seconds.append(time.perf_counter() - start)
                lines = self._record(history, j, test, evaluation, train, lmbda, n,
                                     monitor_evaluation_cost, monitor_evaluation_accuracy,
                                     monitor_training_cost, monitor_training_accuracy)
                if verbose:
                    print("\n".join(lines), flush=True)
                if callback is not None:
                    if callback(j, self, history) is False:  # the callback asks to stop
                        break
                    # The callback may have assigned new weights or biases: train those.
                    self._check_params()
                    plan = self._plan()
        return history

    def _record(self, history, j, test, evaluation, train, lmbda, n,
                mon_eval_cost, mon_eval_acc, mon_train_cost, mon_train_acc) -> list[str]:
        """Measure the epoch's figures into ``history``; return the lines to print."""
        lines = []
        if test is not None:
            correct, cost = self._measure(test, lmbda, n)
            history.test_accuracy.append(correct / len(test))
            history.test_cost.append(cost)
            lines.append(f"Epoch {j}: {correct} / {len(test)}")
        else:
            lines.append(f"Epoch {j} complete")
        if mon_train_cost or mon_train_acc:
            correct, cost = self._measure(train, lmbda, n)
            history.training_accuracy.append(correct / n)
            history.training_cost.append(cost)
            if mon_train_cost:
                lines.append(f"Cost on training data: {cost}")
            if mon_train_acc:
                lines.append(f"Accuracy on training data: {correct} / {n}")
        if evaluation is not None:
            correct, cost = self._measure(evaluation, lmbda, n)
            history.evaluation_accuracy.append(correct / len(evaluation))
            history.evaluation_cost.append(cost)
            if mon_eval_cost:
                lines.append(f"Cost on evaluation data: {cost}")
            if mon_eval_acc:
                lines.append(f"Accuracy on evaluation data: {correct} / {len(evaluation)}")
        return lines

    def update_mini_batch(self, mini_batch, eta: float, lmbda: float = 0.0, n: int = 1) -> None:
        """One gradient-descent step on ``mini_batch`` (the book's list of
        ``(x, y)``, or an ``(X, y)`` pair of arrays), the whole batch at once.
        ``lmbda`` and ``n`` (training set size) give L2 weight decay, as in
        ``network2.py``."""
        eta = _check_positive("eta", eta)
        lmbda = _check_nonnegative("lmbda", lmbda)
        n = _check_count("n", n, minimum=1)
        self._check_params()
        data = _prepare(mini_batch, self.sizes[0], self.sizes[-1], self.dtype, "mini_batch")
        decay = 1.0 - eta * lmbda / n
        _backprop(self._plan(), data.X, data.Y, eta / len(data),
                  _Update(decay, [np.empty_like(w) for w in self.weights]))

    def _check_params(self) -> None:
        """Weights and biases may have been assigned or edited from elsewhere:
        before any work, check their number, shapes and finiteness, naming the
        layer (``weights[0] contains NaN``), and bring them to the network's
        dtype.  Every public method that uses them calls this; it reads each
        parameter once (about 20 us for [784, 30, 10])."""
        if not isinstance(self.weights, list):
            self.weights = list(self.weights)  # a tuple, say: stored back as a list
        if not isinstance(self.biases, list):
            self.biases = list(self.biases)
        if len(self.weights) != self.num_layers - 1 or len(self.biases) != self.num_layers - 1:
            raise ValueError(f"expected {self.num_layers - 1} weight matrices and bias vectors, "
                             f"got {len(self.weights)} and {len(self.biases)}")
        for l, (y, x) in enumerate(zip(self.sizes[1:], self.sizes[:-1])):
            self.weights[l] = _as_param(self.weights[l], (y, x), self.dtype, f"weights[{l}]",
                                        copy=False)
            self.biases[l] = _as_param(self.biases[l], (y, 1), self.dtype, f"biases[{l}]",
                                       copy=False)

    def backprop(self, x: np.ndarray, y) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The gradient of the cost for one example ``(x, y)``, as in the book:
        ``(nabla_b, nabla_w)``, layer by layer, shaped like the biases and
        weights.  ``y`` is a ``(n_out, 1)`` target or an ``int`` label."""
        self._check_params()
        data = _prepare([(x, y)], self.sizes[0], self.sizes[-1], self.dtype, "backprop")
        return _backprop(self._plan(), data.X, data.Y, 1.0)

    def gradient(self, data, *, blas_threads: int | None = None
                 ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The mean gradient of the cost (without the L2 term) over ``data``,
        in the shapes of ``backprop``.  Chapter 5 looks at its norms per layer."""
        self._check_params()
        d = _prepare(data, self.sizes[0], self.sizes[-1], self.dtype, "data")
        with blas.threads(self.sizes, len(d), blas_threads):
            return _backprop(self._plan(), d.X, d.Y, 1.0 / len(d))

    # ---- evaluation ------------------------------------------------------

    def _measure(self, data: _Data, lmbda: float = 0.0, n: int | None = None) -> tuple[int, float]:
        """Correct answers and total cost on ``data``, from one forward pass.

        The L2 term ``lmbda / (2 n) * sum ||w||^2`` is added once, not once per
        example (a bug in a popular Python 3 port of ``network2.py``)."""
        zs, activations = self._feed(data.X, keep_zs=True)
        z = zs[-1]
        correct = int(np.count_nonzero(z.argmax(axis=1) == data.labels))
        if self.cost == "cross_entropy":
            # -y ln a - (1-y) ln(1-a) with a = sigmoid(z) is softplus(z) - y z:
            # finite for every z, where the log form gives inf - inf.
            per_example = np.logaddexp(0, z) - data.Y * z
        elif self.cost == "log_likelihood":
            per_example = _log_likelihood(z, data.Y)
        else:
            per_example = 0.5 * (activations[-1] - data.Y) ** 2
        cost = float(per_example.sum()) / len(data)
        if lmbda:
            cost += 0.5 * lmbda / (n or len(data)) * sum(float(np.sum(w * w)) for w in
                                                           self.weights)
        return correct, cost

    def evaluate(self, test_data, *, blas_threads: int | None = None) -> int:
        """How many inputs of ``test_data`` the network classifies correctly
        (the index of the most active output neuron is its answer)."""
        d = self._prepare(test_data, "test_data")
        with blas.threads(self.sizes, len(d), blas_threads):
            return self._measure(d)[0]

    def accuracy(self, data, *, blas_threads: int | None = None) -> float:
        """The fraction of ``data`` classified correctly."""
        d = self._prepare(data, "data")
        with blas.threads(self.sizes, len(d), blas_threads):
            return self._measure(d)[0] / len(d)

    def total_cost(self, data, lmbda: float = 0.0, n: int | None = None, *,
                   blas_threads: int | None = None) -> float:
        """The mean cost over ``data`` plus the L2 term ``lmbda/(2n) sum w^2``
        (``n`` defaults to ``len(data)``, as in ``network2.py``)."""
        lmbda = _check_nonnegative("lmbda", lmbda)
        n = None if n is None else _check_count("n", n, minimum=1)
        d = self._prepare(data, "data")
        with blas.threads(self.sizes, len(d), blas_threads):
            return self._measure(d, lmbda, n)[1]

    def predict(self, X: np.ndarray, *, blas_threads: int | None = None) -> np.ndarray:
        """The predicted label of each row of ``X`` (n, n_in)."""
        self._check_params()
        X = self._rows(X, "predict")
        with blas.threads(self.sizes, len(X), blas_threads):
            return self._feed(X, keep_zs=True)[0][-1].argmax(axis=1)

    def _prepare(self, data, what: str) -> _Data:
        """``data`` checked and laid out, after the parameters are checked:
        the entry of ``evaluate``, ``accuracy`` and ``total_cost``."""
        self._check_params()
        return _prepare(data, self.sizes[0], self.sizes[-1], self.dtype, what)

    def cost_derivative(self, output_activations: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The vector of partial derivatives dC_x/da of the quadratic cost
        (arrays, lists or numbers; float64 unless both are float32)."""
        a = _float_copy(output_activations, "cost_derivative")
        return _scalar_or_array(a - _float_copy(y, "cost_derivative"))

    # ---- saving and loading ---------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Save sizes, settings, weights and biases to ``path``: JSON when it
        ends in ``.json``, NumPy ``.npz`` when it ends in ``.npz``; any other
        name is a ``ValueError`` (a ``.pkl`` name would promise a pickle).
        Never pickle.  The parameters are checked first (no NaN is saved).
        The file is written to a temporary name and renamed, so it is whole
        or absent."""
        path = Path(path)
        if path.suffix.lower() not in (".npz", ".json"):
            raise ValueError(f"save: {str(path)!r} must end in .npz (NumPy arrays) or .json; "
                             f"for example {str(path.with_suffix('.npz'))!r}")
        self._check_params()
        meta = {"format": _FORMAT, "version": 1, "sizes": self.sizes,
                "activation": self.activation, "cost": self.cost, "dtype": self.dtype.name,
                "init": self.init, "seed": self.seed}
        if path.suffix.lower() == ".json":
            meta["weights"] = [w.tolist() for w in self.weights]
            meta["biases"] = [b.tolist() for b in self.biases]
            write_atomic(path, lambda f: f.write(json.dumps(meta).encode()))
        else:
            arrays = {f"w{l}": w for l, w in enumerate(self.weights)}
            arrays |= {f"b{l}": b for l, b in enumerate(self.biases)}
            arrays["meta"] = np.array(json.dumps(meta))
            write_atomic(path, lambda f: np.savez(f, **arrays))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Network:
        """Load a network written by :meth:`save`, or by the book's
        ``network2.save()`` (JSON with ``sizes``, ``weights``, ``biases`` and
        ``cost``, the cost's class name), whatever the file is called.  The
        content decides: a zip is ``.npz``, anything else must be JSON.  No
        pickle is ever read."""
        path = Path(path)
        if zipfile.is_zipfile(path):
            with np.load(path, allow_pickle=False) as f:
                meta = json.loads(str(f["meta"]))
                n = len(meta["sizes"]) - 1
                weights = [f[f"w{l}"] for l in range(n)]
                biases = [f[f"b{l}"] for l in range(n)]
        else:
            meta = _read_json(path)
            weights, biases = meta.get("weights"), meta.get("biases")
            if "format" not in meta:
                meta = _network2_meta(meta, path)
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{path}: not a saved nndl-init network")
        net = cls(meta["sizes"], init="zeros", activation=meta["activation"],
                  cost=meta["cost"], dtype=meta["dtype"])
        net.init, net.seed = meta.get("init"), meta.get("seed")
        n = net.num_layers - 1
        if not (isinstance(weights, list) and isinstance(biases, list)
                and len(weights) == len(biases) == n):
            raise ValueError(f"{path}: expected lists of {n} weight matrices and {n} bias "
                             f"vectors for sizes {net.sizes}")
        for l, (w, b) in enumerate(zip(weights, biases)):  # shapes, dtype and finiteness
            net.weights[l] = _as_param(w, net.weights[l].shape, net.dtype, f"{path}: weights[{l}]")
            net.biases[l] = _as_param(b, net.biases[l].shape, net.dtype, f"{path}: biases[{l}]")
        return net


# --------------------------------------------------------------------------
# Checks and small helpers
# --------------------------------------------------------------------------


def _read_json(path: Path) -> dict:
    try:
        meta = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"{path}: not a saved network (neither .npz nor JSON)") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: not a saved nndl-init network")
    return meta


def _network2_meta(meta: dict, path: Path) -> dict:
    """The settings of a file written by the book's ``network2.save()``: its
    network is sigmoid throughout, its arrays float64 (unless our ``network2``
    recorded another ``dtype``), and its ``cost`` is a class name."""
    if not {"sizes", "weights", "biases", "cost"} <= meta.keys():
        raise ValueError(f"{path}: not a saved nndl-init network, nor a network2.save() file "
                         f"(which holds sizes, weights, biases and cost)")
    return {"format": _FORMAT, "sizes": meta["sizes"], "activation": "sigmoid",
            "cost": meta["cost"], "dtype": meta.get("dtype", "float64"), "init": None,
            "seed": None}


# A quarter of the largest float: two such numbers differ by at most half of it.
_Z_MAX = {t: np.array(np.finfo(t).max / 4, dtype=t) for t in _FLOATS}


def _log_likelihood(z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The log-likelihood cost ``-sum_j y_j ln a_j`` of each row, ``a`` the
    softmax of ``z``: ``-ln a_y`` for a one-hot target ``y``.

    ``-ln a_j = logsumexp(z) - z_j = (m - z_j) + ln sum_k exp(z_k - m)``, ``m``
    the row's largest ``z``: finite for every finite ``z``, where ``ln a`` is
    ``-inf`` once ``a_j`` underflows.  ``z`` is first clipped to a quarter of
    the float range (``|z| > 4e307`` in float64), so that ``m - z_j`` cannot
    overflow either.  The gradient with respect to ``z`` is ``a - y`` when each
    target sums to 1, as one-hot targets do: the output error of training."""
    z = np.clip(z, -_Z_MAX[z.dtype], _Z_MAX[z.dtype])
    m = np.maximum.reduce(z, axis=1, keepdims=True)
    gap = m - z  # >= 0
    log_sum = np.log(np.add.reduce(np.exp(-gap), axis=1))  # in [0, ln n_out]
    with np.errstate(over="ignore"):  # only targets far outside [0, 1] could overflow here
        return np.add.reduce(Y * gap, axis=1) + np.add.reduce(Y, axis=1) * log_sum


def _draws(init, bias_init):
    """The weight and bias draws for ``init`` and ``bias_init``."""
    if isinstance(init, str):
        scheme = initializers.get(init)
        draw_w, draw_b = scheme.weights, scheme.biases
    elif callable(init):
        draw_w, draw_b = init, initializers.zeros
    else:
        raise TypeError(f"init must be a scheme name or a function, got {type(init).__name__}")
    if bias_init is None:
        return draw_w, draw_b
    if isinstance(bias_init, str):
        return draw_w, initializers.bias_draw(bias_init)
    if (isinstance(bias_init, numbers.Real) and not isinstance(bias_init, bool)
            and math.isfinite(bias_init)):
        return draw_w, lambda rng, shape, dtype: np.full(shape, bias_init, dtype=dtype)
    if callable(bias_init):
        return draw_w, bias_init
    raise TypeError(f"bias_init must be a scheme name, a finite number or a function, "
                    f"got {bias_init!r}")


# numpy's own draws, by name, and the scheme that makes the same draw with
# the network's generator: the usual first try is init=np.random.rand.
_NUMPY_NAMES = {"rand": "rand", "random": "rand", "random_sample": "rand", "randn": "randn",
                "standard_normal": "randn", "zeros": "zeros"}


def _draw(draw: Callable, arg: str, rng, shape: tuple, dtype, what: str) -> np.ndarray:
    """``draw(rng, shape, dtype)``, for ``what`` (``weights[0]``), checked.

    A function that cannot be called so (``np.random.rand``, whose arguments
    are the dimensions) or that returns another shape gets an error that says
    how ``init`` functions are called and which name to use instead."""
    name = getattr(draw, "__name__", repr(draw))
    how = (f"{arg} functions are called as f(rng, shape, dtype), here "
           f"f(Generator, {shape}, {np.dtype(dtype).name}), and return an array of that shape")
    if name in _NUMPY_NAMES:
        how += (f"; numpy's {name} is {arg}={_NUMPY_NAMES[name]!r} here (drawn from the "
                f"network's seeded generator)")
    else:
        how += f"; or use a scheme name: {', '.join(initializers.names())}"
    how = how[0].upper() + how[1:]
    try:
        a = draw(rng, shape, dtype)
    except TypeError as e:
        raise TypeError(f"{arg}={name} failed for {what}: {e}. {how}") from e
    try:
        a = np.asarray(a)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{arg}={name} for {what}: not an array of numbers ({e}). {how}") \
            from None
    if a.shape != tuple(shape):
        raise ValueError(f"{arg}={name} for {what}: expected shape {tuple(shape)}, got "
                         f"{a.shape}. {how}")
    return _as_param(a, shape, dtype, f"{arg}={name}: {what}")


def _as_param(a, shape: tuple, dtype, what: str, copy: bool = True) -> np.ndarray:
    """``a`` as a C-ordered array of ``dtype``: refused, naming ``what``
    (``weights[0]``), unless it holds real numbers of shape ``shape``, all
    finite.  With ``copy=False`` an array that is already so is ``a`` itself,
    and then only its finiteness is read (the check every public method runs)."""
    ready = (not copy and type(a) is np.ndarray and a.dtype == dtype and a.shape == shape
             and a.flags.c_contiguous)
    out = a if ready else _converted_param(a, shape, dtype, what, copy)
    if not np.isfinite(out).all():  # parameters are small: the plain check is fastest
        _refuse_non_finite(np.asarray(a), out, what)
    return out


def _converted_param(a, shape: tuple, dtype, what: str, copy: bool) -> np.ndarray:
    try:
        raw = np.asarray(a)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{what}: not an array of numbers ({e})") from None
    if raw.dtype.kind not in "biuf":
        raise ValueError(f"{what}: expected real numbers, got an array of dtype {raw.dtype}")
    if raw.shape != tuple(shape):
        raise ValueError(f"{what}: expected shape {tuple(shape)}, got {raw.shape}")
    with np.errstate(over="ignore"):  # float64 beyond float32's range: reported after
        return np.array(raw, dtype=dtype, order="C", copy=True if copy else None)


def _refuse_non_finite(raw: np.ndarray, out: np.ndarray, what: str):
    """The error for a parameter with NaN or infinity: which, and where first."""
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
    value = raw[index]
    if np.isnan(value):
        problem = "contains NaN"
    elif np.isinf(value):
        problem = "contains infinity"
    else:
        problem = f"contains {value:g}, beyond the range of {out.dtype}"
    raise ValueError(f"{what} {problem} (first at {list(index)}): weights and biases must be "
                     f"finite numbers; set them again (if training diverged, lower eta)")


def _check_sizes(sizes) -> list[int]:
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence | np.ndarray):
        raise TypeError(f"sizes must be a list of integers, the neurons per layer such as "
                        f"[784, 30, 10], got {sizes!r}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"a network needs at least two layers (input and output), got {sizes}")
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 1:
            raise ValueError(f"layer sizes must be positive integers, got {sizes}")
    return [int(s) for s in sizes]


def _check_seed(seed) -> int | None:
    """``seed`` as a Python ``int`` (numpy integers too), or None.

    Only these are accepted because the seed is saved and recorded (JSON) and
    must make the same numbers again: a ``Generator`` has no seed to save, and
    a ``SeedSequence`` is not written by ``save``.  Refused at construction,
    not after training when ``save`` would fail."""
    if seed is None:
        return None
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool | np.bool_):
        if seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {seed}")
        return int(seed)
    raise TypeError(f"seed must be None or an integer >= 0 (it is saved with the network and "
                    f"recorded), got {type(seed).__name__}; to seed from a Generator rng, pass "
                    f"seed=int(rng.integers(2**63))")


def _check_choice(what: str, value: str, valid: tuple[str, ...]) -> str:
    if value not in valid:
        raise ValueError(f"unknown {what} {value!r}; valid: {', '.join(valid)}")
    return value


def _check_count(what: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_number(what: str, value) -> float:
    """``value`` as a float when it is a real number (Python or numpy; not a
    bool, not a string such as ``"3.0"``, which ``float()`` would accept)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number, got {type(value).__name__} {value!r}")
    return float(value)


def _check_positive(what: str, value) -> float:
    value = _check_number(what, value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{what} must be a positive finite number, got {value!r}")
    return value


def _check_nonnegative(what: str, value) -> float:
    value = _check_number(what, value)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{what} must be a finite number >= 0, got {value!r}")
    return value


def _check_monitoring(evaluation_data, verbose, callback, **monitor) -> None:
    """SGD's switches: each ``monitor_*`` flag and ``verbose`` a bool, a
    ``monitor_evaluation_*`` flag only with ``evaluation_data`` to measure,
    ``callback`` a function or None; checked before training."""
    for what, flag in {"verbose": verbose, **monitor}.items():
        if not isinstance(flag, bool | np.bool_):
            raise TypeError(f"{what} must be True or False, got {flag!r}")
    for what, flag in monitor.items():
        if flag and what.startswith("monitor_evaluation") and evaluation_data is None:
            raise ValueError(f"{what}=True needs evaluation_data to measure; pass "
                             f"evaluation_data=..., e.g. the validation data")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function callback(epoch, net, history) or None, "
                        f"got {callback!r}")
