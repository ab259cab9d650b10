"""nndl.fused
~~~~~~~~~~~

The speed path: forward and backward passes over a mini-batch held as rows,
and the training step that fuses backpropagation with the update.

``network.Network.backprop`` is the readable form, the book's four equations
BP1-BP4 (chapter 2); this module computes the same numbers with fewer numpy
calls, because at mini-batch 10 a pass is about 30 numpy calls on arrays of
100 to 300 numbers, each costing its fixed overhead (about 1 us).  So:

* everything a pass looks up (transposed weights, each layer's function) is
  looked up once, in a :class:`Plan`, not layer by layer;
* the output error is multiplied by ``eta / m`` once, rather than every
  gradient (gradients are linear in it);
* the step (:func:`step`) subtracts each layer's gradient from its weights
  as soon as it is known, in place, once the error has been carried back
  through the old weights, so that no list of gradients is ever built;
* it computes every layer into arrays allocated once per mini-batch size
  (:class:`Buffers`), into which an epoch (:func:`epoch`) gathers each
  mini-batch, and where numpy's BLAS allows it a large layer's gradient is
  subtracted inside the product that makes it
  (:func:`nndl.cblas.subtract_product`), bit for bit as numpy's two calls.

``tests/test_network.py`` holds the fused step to the readable ``backprop``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from nndl import cblas
from nndl.activations import TABLE, sigmoid_prime_from_output
from nndl.costs import output_activation, per_example
from nndl.data import Data


class Plan(NamedTuple):
    """What a pass over a network's layers needs, looked up once."""

    weights: list[np.ndarray]
    weights_t: list[np.ndarray]  # w.T: a batch of rows A goes to A @ w.T
    biases_t: list[np.ndarray]  # b.T, a (1, n) row added to every example's row
    functions: tuple[Callable, ...]  # each layer's activation, in place
    prime: Callable  # the hidden layers' derivative, from their output
    quadratic: bool  # the cost; False for cross-entropy and log-likelihood


class Update(NamedTuple):
    """What makes :func:`backprop`'s gradient a step (:func:`step`): ``w <- decay * w - grad``."""

    decay: float  # 1 - eta * lmbda / n, L2 weight decay (1.0 without)
    buffers: list[np.ndarray]  # shaped like the weights, to receive their gradients


@functools.cache  # feedforward asks once per example
def layer_functions(activation: str, cost: str, layers: int) -> tuple[Callable, ...]:
    """Each layer's in-place function: ``activation`` in the hidden layers,
    the output function of ``cost`` in the last (``layers`` in all)."""
    output = TABLE[output_activation(cost)].function
    return (TABLE[activation].function,) * (layers - 1) + (output,)


def plan(net) -> Plan:
    """The :class:`Plan` of ``network.Network`` ``net``, for its arrays as they are now."""
    return plan_from(net.weights, net.biases, net.activation, net.cost)


def plan_from(weights: list[np.ndarray], biases: list[np.ndarray], activation: str,
              cost: str) -> Plan:
    """The :class:`Plan` of plain ``weights`` (each ``(sizes[l+1], sizes[l])``)
    and ``biases`` (each ``(sizes[l+1], 1)`` or ``(sizes[l+1],)``), with hidden
    ``activation`` and ``cost`` (names of :data:`~nndl.activations.TABLE` and
    :data:`~nndl.costs.COSTS`), unchecked: NaN or infinite parameters give
    NaN or infinite results, to be measured (``diagnostics``), not refused.
    A step through it changes the arrays given."""
    functions = layer_functions(activation, cost, len(weights))
    return Plan(weights, [w.T for w in weights], [b.T for b in biases], functions,
                TABLE[activation].prime, cost == "quadratic")


def update(net, decay: float) -> Update:
    """An :class:`Update` for ``net``'s weights, with weight decay ``decay``."""
    return Update(decay, [np.empty_like(w) for w in net.weights])


def forward(plan: Plan, X: np.ndarray, zs: list | None = None, zs_from: int = 0
            ) -> list[np.ndarray]:
    """The activations of every layer for the rows of ``X``, ``X`` first; the
    weighted input ``z`` of each layer from index ``zs_from`` on (0 is the
    first weight layer) is appended to ``zs`` when it is given."""
    activations = [X]
    a = X
    for l, (w_t, b_t, f) in enumerate(zip(plan.weights_t, plan.biases_t, plan.functions)):
        a = a @ w_t
        a += b_t
        if zs is not None and l >= zs_from:
            zs.append(a)
            a = a.copy()  # the activation works in place
        a = f(a)
        activations.append(a)
    return activations


def backprop(plan: Plan, X: np.ndarray, Y: np.ndarray, scale):
    """``scale`` times the gradient of the cost summed over the rows of ``X``.

    Returns ``(nabla_b, nabla_w)`` in the book's shapes: ``nabla_b[l]`` is
    ``(sizes[l+1], 1)`` and ``nabla_w[l]`` is ``(sizes[l+1], sizes[l])``.
    The gradient step itself is :func:`step`, which computes the same numbers.
    """
    activations = forward(plan, X)
    a = activations[-1]
    # BP1, the output error dC/dz: a - y for cross-entropy with a sigmoid output
    # layer and for the log-likelihood with a softmax one (the book's eq. 66
    # and its softmax exercise); the quadratic cost multiplies in sigma'(z).
    delta = a - Y
    if plan.quadratic:
        delta *= sigmoid_prime_from_output(a)
    delta *= scale
    L = len(plan.weights)
    nabla_b, nabla_w = [None] * L, [None] * L
    for l in range(L - 1, -1, -1):
        a = activations[l]
        nabla_b[l] = np.add.reduce(delta, axis=0).reshape(-1, 1)  # BP3
        nabla_w[l] = delta.T @ a  # BP4
        if l > 0:
            delta = delta @ plan.weights[l]  # BP2
            delta *= plan.prime(a)
    return nabla_b, nabla_w


class Buffers(NamedTuple):
    """The arrays of one mini-batch size ``m``, allocated once, into which
    :func:`step` computes (layer ``l`` maps ``sizes[l]`` to ``sizes[l+1]``)."""

    X: np.ndarray  # (m, sizes[0]): the mini-batch's inputs, gathered
    activations: list[np.ndarray]  # layer l's output, (m, sizes[l+1])
    deltas: list[np.ndarray]  # layer l's error dC/dz, (m, sizes[l+1])
    nabla_b: list[np.ndarray]  # layer l's bias gradient, as a row (sizes[l+1],)
    subtract: list  # per layer, the fused w -= delta.T @ a (nndl.cblas), or None


def buffers(plan: Plan, m: int, fuse: bool = True) -> Buffers:
    """:class:`Buffers` for mini-batches of ``m`` rows through ``plan``'s layers;
    without ``fuse``, every gradient goes through the :class:`Update`'s
    buffers, where a caller can read it (no :mod:`nndl.cblas` call)."""
    dtype, n_in = plan.weights[0].dtype, plan.weights[0].shape[1]
    activations = [np.empty((m, len(w)), dtype) for w in plan.weights]
    deltas = [np.empty((m, len(w)), dtype) for w in plan.weights]
    X = np.empty((m, n_in), dtype)
    inputs = [X] + activations[:-1]
    subtract = [cblas.subtract_product(w, d, a) if fuse else None
                for w, d, a in zip(plan.weights, deltas, inputs)]
    return Buffers(X, activations, deltas, [np.empty(len(w), dtype) for w in plan.weights],
                   subtract)


def epoch(plan: Plan, update: Update, data: Data, m: int, rng: np.random.Generator,
          scales: dict, held: dict) -> None:
    """One epoch of gradient steps on ``data`` shuffled with ``rng``, cut into
    mini-batches of ``m`` rows (the last may be smaller), as the book's
    ``SGD`` does; ``scales[size]`` is ``eta / size``.  ``held`` keeps the
    :class:`Buffers` of each size between epochs.  The inputs are gathered
    a mini-batch at a time, so that ``data.X`` is never copied whole."""
    n = len(data)
    order = rng.permutation(n)
    Y = data.Y.take(order, axis=0)  # the targets are small (n x 10): gathered once
    for k in range(0, n, m):
        rows = order[k:k + m]
        b = held_buffers(plan, held, len(rows))
        np.take(data.X, rows, 0, b.X, "clip")  # "clip": no copy through a buffer
        step(plan, update, b, Y[k:k + m], scales[len(rows)])


def held_buffers(plan: Plan, held: dict, m: int) -> Buffers:
    """``held[m]``, the :class:`Buffers` of mini-batch size ``m``, made when first asked for."""
    if m not in held:
        held[m] = buffers(plan, m)
    return held[m]


def step(plan: Plan, update: Update, b: Buffers, Y: np.ndarray, scale) -> None:
    """The gradient step ``w <- decay w - nabla_w``, ``b <- b - nabla_b`` with
    :func:`backprop`'s gradients (the same numbers) on the rows of ``b.X``
    with targets ``Y``, computed into the buffers ``b``."""
    a = b.X
    for w_t, b_t, f, z in zip(plan.weights_t, plan.biases_t, plan.functions, b.activations):
        np.matmul(a, w_t, z)
        z += b_t
        a = f(z)  # in place: a is z
    delta = np.subtract(a, Y, b.deltas[-1])  # BP1, as in backprop
    if plan.quadratic:
        delta *= sigmoid_prime_from_output(a)
    delta *= scale
    weights, biases_t, decay = plan.weights, plan.biases_t, update.decay
    for l in range(len(weights) - 1, -1, -1):
        a = b.activations[l - 1] if l else b.X
        nb = np.add.reduce(delta, 0, None, b.nabla_b[l])  # BP3
        if l:
            back = np.matmul(delta, weights[l], b.deltas[l - 1])  # BP2, through the old weights
            back *= plan.prime(a)
        if decay != 1.0:
            weights[l] *= decay
        if b.subtract[l] is None:
            weights[l] -= np.matmul(delta.T, a, update.buffers[l])  # BP4
        else:
            b.subtract[l]()  # BP4 and the subtraction, in one product
        biases_t[l] -= nb
        if l:
            delta = back


def measure(plan: Plan, cost: str, data: Data, lmbda: float = 0.0, n: int | None = None
            ) -> tuple[int, float]:
    """Correct answers and total cost on ``data``, from one forward pass.

    The answer is the most active output neuron.  The cost is the mean of
    :func:`nndl.costs.per_example` plus the L2 term
    ``lmbda / (2 n) * sum ||w||^2`` (``n`` defaults to ``len(data)``), added
    once, not once per example (a bug in a popular Python 3 port of the
    book's ``network2.py``)."""
    zs = []  # the output layer's z alone: a copy of every hidden z would be wasted
    activations = forward(plan, data.X, zs, zs_from=len(plan.weights) - 1)
    z = zs[-1]
    correct = int(np.count_nonzero(z.argmax(axis=1) == data.labels))
    cost_value = float(per_example(cost, z, activations[-1], data.Y).sum()) / len(data)
    if lmbda:
        cost_value += 0.5 * lmbda / (n or len(data)) * sum(float(np.sum(w * w))
                                                           for w in plan.weights)
    return correct, cost_value
