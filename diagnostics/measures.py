"""diagnostics.measures
~~~~~~~~~~~~~~~~~~~~

What is measured in each layer, as small pure functions over plain
``(weights, biases)`` lists, so that NaN weights are reported, not refused,
and so that the experiments measure with the same definitions: the
activations (what "saturated" and "dead" mean for each), the forward and
backward passes keeping every ``z``, and the cost.

Layout, as in the book: ``weights[l]`` is ``(sizes[l+1], sizes[l])`` and
``biases[l]`` a column ``(sizes[l+1], 1)``; a batch of inputs is ``X`` of shape
``(n, sizes[0])``, one example per row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

import network

# A unit is saturated on an example when its activation's derivative is below
# 1 % of the derivative's maximum: the error passing back through it is cut
# at least a hundredfold against the best case.  Sigmoid: sigma'(z) < 0.0025,
# |z| > 5.99; tanh: |z| > 2.99.
SATURATION_LEVEL = 0.01
# A unit counts as saturated when it is so on at least this share of the
# examples (used for "every hidden unit saturated", the Monitor's stop).
UNIT_SATURATED_SHARE = 0.9


@dataclass(frozen=True)
class Activation:
    """What the diagnosis needs to know about an activation ``a = f(z)``.

    ``f`` maps ``z`` to a new array; ``prime_from_output`` gives ``f'(z)`` from
    the output ``a`` (as ``network.py``'s backpropagation does, so gradients
    agree with it bit for bit); ``max_prime`` is the largest value of ``f'``.
    ``flat_z(level)`` is the ``|z|`` beyond which ``f'(z) < level * max_prime``
    (``None``: ``f`` does not flatten on both sides).  A unit whose
    ``z <= dead_below`` on every example outputs a constant and passes no
    gradient (``None``: a unit cannot die).
    """

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    prime_from_output: Callable[[np.ndarray], np.ndarray]
    max_prime: float
    flat_z: Callable[[float], float] | None
    dead_below: float | None


def _sigmoid_flat_z(level: float) -> float:
    # sigma' = s (1 - s) = t with t = level / 4 gives s = (1 - sqrt(1 - 4t)) / 2.
    s = (1 - math.sqrt(1 - level)) / 2
    return math.log((1 - s) / s)


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (
    Activation("sigmoid", network.sigmoid, lambda a: (1 - a) * a, 0.25, _sigmoid_flat_z, None),
    Activation("tanh", np.tanh, lambda a: 1 - a * a, 1.0,
               lambda level: math.atanh(math.sqrt(1 - level)), None),
    Activation("relu", lambda z: np.maximum(z, 0), lambda a: (a > 0).astype(a.dtype), 1.0,
               None, 0.0),
    Activation("softsign", lambda z: z / (1 + np.abs(z)), lambda a: (1 - np.abs(a)) ** 2, 1.0,
               lambda level: 1 / math.sqrt(level) - 1, None),
    # The output layer of the log-likelihood cost (book ch. 3, "Softmax"): its
    # output error is a - y, so no derivative is needed; it never saturates
    # unit by unit (the outputs compete), so flat_z is None.
    Activation("softmax", lambda z: network.softmax(z), lambda a: np.ones_like(a), 1.0,
               None, None),
)}


def output_activation(cost: str) -> str:
    """The output layer's function for ``cost``, as ``network.Network`` has it:
    a softmax for the log-likelihood, else a sigmoid."""
    return "softmax" if cost == "log_likelihood" else "sigmoid"


def activation(name: str) -> Activation:
    """The row of :data:`ACTIVATIONS` called ``name``, or a clear error."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"no diagnosis for activation {name!r}; known: "
                         f"{', '.join(ACTIVATIONS)} (add a row to diagnostics.ACTIVATIONS)") \
            from None


def saturation_z(name: str = "sigmoid", level: float = SATURATION_LEVEL) -> float | None:
    """The ``|z|`` beyond which activation ``name`` is saturated: its derivative
    is below ``level`` times its maximum.  ``None`` for a function that never
    flattens on both sides (ReLU).  Sigmoid at 1 %: 5.99."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), a fraction of the derivative's maximum, "
                         f"got {level}")
    act = activation(name)
    return None if act.flat_z is None else act.flat_z(level)


def saturated(z: np.ndarray, name: str = "sigmoid",
              level: float = SATURATION_LEVEL) -> np.ndarray:
    """Boolean array shaped like ``z``: where the unit is saturated (never for ReLU)."""
    z_t = saturation_z(name, level)
    z = np.asarray(z)
    if z_t is None:
        return np.zeros(z.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        return np.abs(z) > z_t


def saturated_fraction(z: np.ndarray, name: str = "sigmoid",
                       level: float = SATURATION_LEVEL) -> float:
    """The share of entries of ``z`` (one row per example, one column per
    unit) where activation ``name`` is saturated."""
    return float(np.mean(saturated(z, name, level)))


def saturated_units(z: np.ndarray, name: str = "sigmoid", level: float = SATURATION_LEVEL,
                    share: float = UNIT_SATURATED_SHARE) -> float:
    """The share of units (columns of ``z``) saturated on at least ``share``
    of the examples (rows)."""
    return float(np.mean(np.mean(saturated(z, name, level), axis=0) >= share))


def dead_units(z: np.ndarray, name: str = "relu") -> int:
    """How many units (columns of ``z``) are dead: ``z`` at or below the
    activation's dead zone on every example (rows).  0 for activations whose
    units cannot die."""
    below = activation(name).dead_below
    if below is None:
        return 0
    with np.errstate(invalid="ignore"):
        return int(np.count_nonzero(np.all(np.asarray(z) <= below, axis=0)))


def distinct_units(weights: np.ndarray, biases: np.ndarray) -> int:
    """How many different units a layer holds: distinct rows of
    ``[weights | bias]``, compared exactly (units that start equal get equal
    updates and stay exactly equal)."""
    params = np.hstack([np.asarray(weights, dtype=np.float64),
                        np.asarray(biases, dtype=np.float64).reshape(-1, 1)])
    params += 0.0  # -0.0 becomes 0.0: equal numbers, equal bytes
    # Each row as one opaque item: np.unique on them is a plain 1-D sort, many
    # times faster than np.unique(params, axis=0).
    rows = np.ascontiguousarray(params).view(np.dtype((np.void, 8 * params.shape[1])))
    return len(np.unique(rows))




def layer_activations(hidden: str, output: str, layers: int) -> list[Activation]:
    """The activation of each of ``layers`` weight layers: ``hidden`` for all
    but the last, ``output`` for the last."""
    return [activation(hidden)] * (layers - 1) + [activation(output)]


def forward(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], X: np.ndarray,
            hidden: str = "sigmoid", output: str = "sigmoid"
            ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Feed the rows of ``X`` (n, sizes[0]) forward; return ``(zs, activations)``:
    ``zs[l]`` (n, sizes[l+1]) the weighted inputs of layer ``l + 1`` and
    ``activations[l]`` (n, sizes[l]) the outputs of layer ``l``, ``X`` first.
    The same arithmetic as ``network.Network.forward``."""
    zs, activations, a = [], [X], X
    for w, b, act in zip(weights, biases, layer_activations(hidden, output, len(weights))):
        z = a @ w.T
        z += np.reshape(b, (1, -1))
        zs.append(z)
        a = act.f(z)
        activations.append(a)
    return zs, activations


def backward(weights: Sequence[np.ndarray], activations: Sequence[np.ndarray], Y: np.ndarray,
             hidden: str = "sigmoid", output: str | None = None, cost: str = "quadratic"
             ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The mean gradient ``(nabla_b, nabla_w)`` of the cost over the rows of a
    forward pass's ``activations``, for targets ``Y`` (n, sizes[-1]), in the
    shapes of the biases and weights (the book's backpropagation, chapter 2,
    for a whole batch).  ``cost`` is ``"quadratic"``, ``"cross_entropy"`` or
    ``"log_likelihood"`` (``output`` defaults to the cost's: a softmax for the
    last); the output error is ``a - y``, times ``f'(z)`` for the quadratic cost."""
    acts = layer_activations(hidden, output or output_activation(cost), len(weights))
    a = activations[-1]
    delta = a - Y
    if cost == "quadratic":
        delta *= acts[-1].prime_from_output(a)
    delta *= 1.0 / len(Y)
    L = len(weights)
    nabla_b, nabla_w = [None] * L, [None] * L
    for l in range(L - 1, -1, -1):
        a = activations[l]
        nabla_b[l] = np.add.reduce(delta, axis=0).reshape(-1, 1)
        nabla_w[l] = delta.T @ a
        if l > 0:
            delta = delta @ weights[l]
            delta *= acts[l - 1].prime_from_output(a)
    return nabla_b, nabla_w


def gradient(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], X: np.ndarray,
             y: np.ndarray, hidden: str = "sigmoid", output: str | None = None,
             cost: str = "quadratic") -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The mean gradient of the cost over the rows of ``X``, for integer labels
    ``y`` (n,) or targets (n, sizes[-1]): ``backward`` after ``forward``.
    Equal, bit for bit, to ``network.Network.gradient`` in float64."""
    output = output or output_activation(cost)  # as network.Network has it
    _, activations = forward(weights, biases, X, hidden, output)
    return backward(weights, activations, _targets(y, len(biases[-1])), hidden, output, cost)


def cost_value(z: np.ndarray, a: np.ndarray, Y: np.ndarray, cost: str) -> float:
    """The mean cost over examples of output ``z`` and ``a = f(z)`` against
    targets ``Y``: quadratic ``|a - y|^2 / 2`` or cross-entropy, the latter as
    ``softplus(z) - y z``, which is finite for every ``z``."""
    if cost == "log_likelihood":
        per_example = network._log_likelihood(z, Y)
    elif cost == "cross_entropy":
        per_example = np.logaddexp(0, z) - Y * z
    else:
        per_example = 0.5 * (a - Y) ** 2
    return float(per_example.sum()) / len(Y)


def _targets(y: np.ndarray, n_out: int) -> np.ndarray:
    """Targets (n, n_out) for labels ``y`` (n,): one-hot rows, or for a single
    output the label itself (0 or 1).  Targets (n, n_out) are returned as
    float64."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y.astype(np.float64)
    if n_out == 1:
        return y.reshape(-1, 1).astype(np.float64)
    Y = np.zeros((len(y), n_out))
    Y[np.arange(len(y)), y] = 1
    return Y


def predictions_of(z_out: np.ndarray) -> np.ndarray:
    """The network's answers from its output ``z`` (n, n_out): the largest
    output, or for a single output 1 where it is above 0.5 (``z > 0``)."""
    if z_out.shape[1] == 1:
        return (z_out[:, 0] > 0).astype(np.intp)
    return z_out.argmax(axis=1)
