"""diagnostics.measures
~~~~~~~~~~~~~~~~~~~~

What is measured in each layer, as small pure functions over plain
``(weights, biases)`` lists, so that NaN weights are reported, not refused,
and so that the experiments measure with the same definitions: what
"saturated" and "dead" mean for each activation (the rows of
:data:`nndl.activations.TABLE`), the network's own forward and backward
passes (:mod:`nndl.fused`, through a plan of the plain lists, without the
network's checks) keeping every ``z``, and the cost (:mod:`nndl.costs`).

Layout, as in the book: ``weights[l]`` is ``(sizes[l+1], sizes[l])`` and
``biases[l]`` a column ``(sizes[l+1], 1)``; a batch of inputs is ``X`` of shape
``(n, sizes[0])``, one example per row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nndl import fused
from nndl.activations import TABLE, Activation
from nndl.costs import cost_name, per_example

# A unit is saturated on an example when its activation's derivative is below
# 1 % of the derivative's maximum: the error passing back through it is cut
# at least a hundredfold against the best case.  Sigmoid: sigma'(z) < 0.0025,
# |z| > 5.99; tanh: |z| > 2.99.
SATURATION_LEVEL = 0.01
# A unit counts as saturated when it is so on at least this share of the
# examples (used for "every hidden unit saturated", the Monitor's stop).
UNIT_SATURATED_SHARE = 0.9


# The one table of activations (nndl.activations.TABLE): each row says where
# its derivative flattens (flat_z) and below which z a unit is dead.
ACTIVATIONS: dict[str, Activation] = TABLE


def activation(name: str) -> Activation:
    """The row of :data:`ACTIVATIONS` called ``name``, or a clear error."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"no diagnosis for activation {name!r}; known: "
                         f"{', '.join(ACTIVATIONS)} (add a row to nndl.activations.TABLE)") \
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
            hidden: str = "sigmoid", cost: str = "quadratic"
            ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Feed the rows of ``X`` (n, sizes[0]) forward; return ``(zs, activations)``:
    ``zs[l]`` (n, sizes[l+1]) the weighted inputs of layer ``l + 1`` and
    ``activations[l]`` (n, sizes[l]) the outputs of layer ``l``, ``X`` first.
    The output layer is the cost's (a softmax for the log-likelihood, else a
    sigmoid; an unknown cost is a ``ValueError``).  ``network.Network``'s own
    pass (:func:`nndl.fused.forward`), unchecked: NaN weights give NaN, not an
    error."""
    zs: list[np.ndarray] = []
    activations = fused.forward(fused.plan_from(weights, biases, hidden, cost_name(cost)), X, zs)
    return zs, activations


def gradient(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], X: np.ndarray,
             y: np.ndarray, hidden: str = "sigmoid", cost: str = "quadratic"
             ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The mean gradient ``(nabla_b, nabla_w)`` of the cost over the rows of
    ``X``, for integer labels ``y`` (n,) or targets (n, sizes[-1]), in the
    shapes of the biases and weights (the book's backpropagation, chapter 2,
    for a whole batch).  ``network.Network``'s own pass
    (:func:`nndl.fused.backprop`), unchecked: equal, bit for bit, to
    ``network.Network.gradient``."""
    plan = fused.plan_from(weights, biases, hidden, cost_name(cost))
    Y = targets(y, len(biases[-1]))
    return fused.backprop(plan, X, Y, 1.0 / len(Y))


def cost_value(z: np.ndarray, a: np.ndarray, Y: np.ndarray, cost: str) -> float:
    """The mean cost over examples of output ``z`` and ``a = f(z)`` against
    targets ``Y`` (:func:`nndl.costs.per_example`, finite for every finite ``z``)."""
    return float(per_example(cost, z, a, Y).sum()) / len(Y)


def targets(y: np.ndarray, n_out: int) -> np.ndarray:
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
