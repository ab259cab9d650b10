"""nndl.activations
~~~~~~~~~~~~~~~~~

The activation functions, and THE one table of them (:data:`TABLE`) that
``network`` and ``network2`` train with.

Two kinds of function live here:

* the public numeric functions (``sigmoid``, ``sigmoid_prime``, ``relu``,
  ``softsign``, ``softsign_prime``, ``softmax``), which take numbers, lists or arrays and
  return new arrays, as numpy's own functions do;
* the in-place kernels of training, named as PyTorch names its in-place
  operations (``sigmoid_``, ``relu_``, ...): each overwrites the array it is
  given, and each derivative is written in terms of the *output*
  ``a = f(z)`` (``sigmoid_prime_from_output``), so that backpropagation keeps
  only the activations, not the weighted inputs ``z``.

Each row of :data:`TABLE` also says where its derivative flattens and below
which ``z`` a unit is dead: what ``diagnostics`` calls saturated and dead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

# Constants as 0-d arrays of each float type: numpy 2 combines an array with a
# 0-d array of its own dtype faster than with a Python float (about 0.3 us a
# call, several per layer and mini-batch), and to the same bits.  EXP_MAX is
# just below the argument at which exp overflows (709.78 in float64, 88.72 in
# float32).
FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
ONE = {t: np.array(1, dtype=t) for t in FLOATS}
EXP_MAX = {t: np.array(np.log(np.finfo(t).max) - 1, dtype=t) for t in FLOATS}


# ---- the public numeric functions -----------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))`` (the book, chapter 1), for
    any ``z`` without overflow.

    ``exp(-z)`` overflows for ``z < -709``, which ``rand`` initialization
    reaches easily.  Clamping ``-z`` just below that point keeps the
    exponential finite; it changes only outputs smaller than ``1e-307``
    (``1e-38`` in float32), which are 0 for every practical purpose.  This
    form keeps full relative precision for very negative ``z``:
    ``sigmoid(-40)`` is 4.25e-18, where ``(1 + tanh(z/2)) / 2`` rounds to 0.
    """
    return scalar_or_array(sigmoid_(float_copy(z, "sigmoid")))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid, ``sigmoid(z) * (1 - sigmoid(z))`` (chapter 1)."""
    s = sigmoid_(float_copy(z, "sigmoid_prime"))
    return scalar_or_array(s * (1 - s))


def softsign(z: np.ndarray) -> np.ndarray:
    """The softsign ``z / (1 + |z|)``, in (-1, 1), for any finite ``z``.

    One of the three activations of Glorot & Bengio (2010), "Understanding
    the difficulty of training deep feedforward neural networks": like
    ``tanh``, but its tails approach +-1 polynomially, not exponentially, so
    its units saturate less.
    Its derivative is ``1 / (1 + |z|)**2``, which is ``(1 - |a|)**2`` in terms
    of the output ``a``."""
    return softsign_(np.array(z, dtype=np.result_type(z, np.float32), copy=True))


def softsign_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of the softsign, ``1 / (1 + |z|)**2``."""
    return softsign_prime_from_output(softsign(z))


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
    return np.moveaxis(softmax_(z.reshape(-1, shape[-1])).reshape(shape), -1, axis)


def float_copy(z, what: str) -> np.ndarray:
    """A new float array holding ``z``, for the public numeric functions.

    float32 and float64 arrays keep their type (float16 computes in float32);
    Python numbers, lists and integer arrays become float64.  numpy 2 treats a
    Python float as "weak" (``np.result_type(0.5, np.float32)`` is float32),
    so the type is chosen from ``np.asarray(z)``, never from ``z`` itself.
    Raises ``TypeError`` naming ``what`` for anything but real numbers."""
    a = np.asarray(z)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{what} takes real numbers, got an array of dtype {a.dtype}")
    dtype = np.result_type(a.dtype, np.float32) if a.dtype.kind == "f" else np.float64
    return np.array(a, dtype=dtype, copy=True)


def scalar_or_array(a: np.ndarray):
    """A number for a 0-d result (as numpy's own functions give), else the array."""
    return a[()] if a.ndim == 0 else a


# ---- the in-place kernels of training -------------------------------------
# One numpy call per step: at mini-batch 10 each call's fixed cost (about
# 1 us) outweighs its arithmetic.


def sigmoid_(z: np.ndarray) -> np.ndarray:
    """``z`` overwritten with ``sigmoid(z)`` (clamped as :func:`sigmoid` is).
    numpy's exp is about 3x faster than its tanh in float64."""
    np.negative(z, out=z)
    np.minimum(z, EXP_MAX.get(z.dtype, 708.0), out=z)
    np.exp(z, out=z)
    z += ONE.get(z.dtype, 1)
    return np.reciprocal(z, out=z)


def tanh_(z: np.ndarray) -> np.ndarray:
    """``z`` overwritten with ``tanh(z)``."""
    return np.tanh(z, out=z)


def relu_(z: np.ndarray) -> np.ndarray:
    """``z`` overwritten with ``max(z, 0)``."""
    return np.maximum(z, 0, out=z)


def softsign_(z: np.ndarray) -> np.ndarray:
    """``z`` overwritten with ``z / (1 + |z|)``."""
    d = np.abs(z)
    d += ONE.get(z.dtype, 1)  # 1 + |z| is finite for every finite z: at most max
    z /= d
    return z


def softmax_(z: np.ndarray) -> np.ndarray:
    """Each row of ``z`` (one example's weighted inputs) overwritten with its softmax.

    ``z - max(z)`` is at most 0, so exp never overflows; the difference itself
    overflows only where ``z`` spans more than the float range, and there it
    is ``-inf``, whose exp is exactly the right 0."""
    with np.errstate(over="ignore"):
        z -= np.maximum.reduce(z, axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= np.add.reduce(z, axis=1, keepdims=True)  # at least 1: the max's exp is 1
    return z


def sigmoid_prime_from_output(a: np.ndarray) -> np.ndarray:
    """``sigma'(z) = a (1 - a)`` for ``a = sigmoid(z)``, in a new array."""
    p = ONE.get(a.dtype, 1) - a
    p *= a  # one temporary, not two; (1 - a) * a is a * (1 - a) bit for bit
    return p


def tanh_prime_from_output(a: np.ndarray) -> np.ndarray:
    """``tanh'(z) = 1 - a^2`` for ``a = tanh(z)``, in a new array."""
    p = a * a
    return np.subtract(1, p, out=p)


def relu_prime_from_output(a: np.ndarray) -> np.ndarray:
    """``relu'(z)``: 1 where ``a = relu(z) > 0``, else 0 (0 at ``z = 0``, as in PyTorch)."""
    return (a > 0).astype(a.dtype)


def softsign_prime_from_output(a: np.ndarray) -> np.ndarray:
    """``softsign'(z) = (1 - |a|)^2`` for ``a = softsign(z)``, in a new array."""
    p = np.abs(a)  # 1 / (1 + |z|) = 1 - |a|
    np.subtract(ONE.get(a.dtype, 1), p, out=p)
    p *= p
    return p


def relu(z: np.ndarray) -> np.ndarray:
    """The rectifier ``max(z, 0)``, in a new array (a number for a number)."""
    return scalar_or_array(relu_(float_copy(z, "relu")))


# ---- where each derivative flattens -----------------------------------------
# flat_z(level): the |z| beyond which f'(z) < level * max f', on both sides.


def sigmoid_flat_z(level: float) -> float:
    """``sigma'(z) = s (1 - s) = level / 4`` at ``s = (1 - sqrt(1 - level)) / 2``,
    ``z = ln((1 - s) / s)``: 5.99 at 1 %."""
    s = (1 - math.sqrt(1 - level)) / 2
    return math.log((1 - s) / s)


def tanh_flat_z(level: float) -> float:
    """``tanh'(z) = 1 - tanh(z)^2 = level`` at ``z = atanh(sqrt(1 - level))``: 2.99 at 1 %."""
    return math.atanh(math.sqrt(1 - level))


def softsign_flat_z(level: float) -> float:
    """``softsign'(z) = 1 / (1 + |z|)^2 = level`` at ``|z| = 1 / sqrt(level) - 1``: 9 at 1 %."""
    return 1 / math.sqrt(level) - 1


class Activation(NamedTuple):
    """One row of :data:`TABLE`, for the activation ``a = f(z)``.

    ``function(z)`` overwrites ``z`` with ``f(z)`` (training's kernel);
    ``f(z)`` is ``f(z)`` in a new array (numbers, lists or arrays);
    ``prime(a)`` is ``f'(z)`` from the output ``a`` (None for the softmax,
    whose output error ``a - y`` needs no derivative); ``max_prime`` is the
    largest value of ``f'``.  ``flat_z(level)`` is the ``|z|`` beyond which
    ``f'(z) < level * max_prime`` (None: ``f`` does not flatten on both
    sides; the softmax's outputs compete, so no unit saturates alone).  A unit
    whose ``z <= dead_below`` on every example outputs a constant and passes no
    gradient (None: a unit cannot die)."""

    name: str
    function: Callable[[np.ndarray], np.ndarray]
    f: Callable[[np.ndarray], np.ndarray]
    prime: Callable[[np.ndarray], np.ndarray] | None
    max_prime: float
    flat_z: Callable[[float], float] | None
    dead_below: float | None


TABLE: dict[str, Activation] = {row.name: row for row in (
    Activation("sigmoid", sigmoid_, sigmoid, sigmoid_prime_from_output, 0.25, sigmoid_flat_z,
               None),
    Activation("tanh", tanh_, np.tanh, tanh_prime_from_output, 1.0, tanh_flat_z, None),
    Activation("relu", relu_, relu, relu_prime_from_output, 1.0, None, 0.0),
    Activation("softsign", softsign_, softsign, softsign_prime_from_output, 1.0,
               softsign_flat_z, None),
    # The output layer of the log-likelihood cost (the book, ch. 3, "Softmax").
    Activation("softmax", softmax_, softmax, None, 1.0, None, None),
)}

# The hidden layers' choices (``Network(activation=...)``).
ACTIVATIONS = ("sigmoid", "tanh", "relu", "softsign")
