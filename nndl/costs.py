"""nndl.costs
~~~~~~~~~~~

The three costs, THE one :func:`cost_name` that reads every spelling of
them, and the cost of whole data sets.

* ``"quadratic"``: ``C = ||a - y||^2 / 2`` (the book, chapter 1), sigmoid outputs;
* ``"cross_entropy"``: ``C = -sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]``
  (chapter 3, "The cross-entropy cost function"), sigmoid outputs;
* ``"log_likelihood"``: ``C = -ln a_y`` (chapter 3, "Softmax"), softmax outputs.

:class:`QuadraticCost` and :class:`CrossEntropyCost` are the classes of the
book's ``network2.py``: static methods giving one example's cost and output
error.  Training never calls them (it works on whole mini-batches); they are
for readers of the book, and ``cost=CrossEntropyCost`` is read as its name.
"""

from __future__ import annotations

import numpy as np

from nndl.activations import FLOATS, sigmoid_prime

COSTS = ("quadratic", "cross_entropy", "log_likelihood")


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
        book's ``nan_to_num`` turns it into 1.8e308).  :func:`per_example`
        computes the same cost from ``z``, finite for every ``z``."""
        a, y = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(y, dtype=float))
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 * log(0), dropped below
            on = np.where(y != 0, y * np.log(a), 0.0)
            off = np.where(y != 1, (1 - y) * np.log1p(-a), 0.0)
        return -float(np.sum(on + off))

    @staticmethod
    def delta(z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The output error ``dC/dz = a - y``: sigmoid' cancels (chapter 3, eq. 66).
        ``z`` is unused; it keeps the signature of ``QuadraticCost.delta``."""
        return a - y


# The book's network2.py passes a cost class and saves its name.
BOOK_COSTS = {"quadratic": QuadraticCost, "cross_entropy": CrossEntropyCost}
_CLASS_NAMES = {cls.__name__: name for name, cls in BOOK_COSTS.items()}


def cost_name(cost) -> str:
    """The name in :data:`COSTS` for any spelling ``cost=`` accepts: the name,
    with ``-`` for ``_`` (``"cross-entropy"``, the book's prose), a book class
    or its name (``CrossEntropyCost``).  Raises ``ValueError`` listing the
    valid ones."""
    name = cost if isinstance(cost, str) else getattr(cost, "__name__", None)
    name = _CLASS_NAMES.get(name, name)
    if isinstance(name, str) and name.replace("-", "_") in COSTS:
        return name.replace("-", "_")
    raise ValueError(f"unknown cost {cost!r}; valid: {', '.join(COSTS)} (or the book's "
                     f"classes QuadraticCost, CrossEntropyCost)")


def output_activation(cost: str) -> str:
    """The output layer's function for ``cost``: a softmax for the
    log-likelihood (chapter 3, "Softmax"), a sigmoid for the other two."""
    return "softmax" if cost == "log_likelihood" else "sigmoid"


def per_example(cost: str, z: np.ndarray, a: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Each example's cost (the terms whose sum over each row is it), for
    the rows of output weighted inputs ``z``, outputs ``a = f(z)`` and
    targets ``Y``, all ``(n, n_out)``.

    The cross-entropy with a sigmoid output, ``-y ln a - (1-y) ln(1-a)``, is
    ``softplus(z) - y z``: finite for every ``z``, where the log form gives
    ``inf - inf``.  The log-likelihood is :func:`log_likelihood`."""
    if cost == "cross_entropy":
        return np.logaddexp(0, z) - Y * z
    if cost == "log_likelihood":
        return log_likelihood(z, Y)
    return 0.5 * (a - Y) ** 2


# A quarter of the largest float: two such numbers differ by at most half of it.
_Z_MAX = {t: np.array(np.finfo(t).max / 4, dtype=t) for t in FLOATS}


def log_likelihood(z: np.ndarray, Y: np.ndarray) -> np.ndarray:
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
