"""diagnostics
~~~~~~~~~~~

"Why doesn't my network learn?"  Diagnose any network before (or while) it
trains: measure each layer on a sample of real inputs, name what is wrong with
the numbers that show it, and give the fix in one sentence.

The question this project started from was a re-implementation of the book's
network whose weights came from ``np.random.rand``: it trained to chance and
its weights hardly changed.  The evidence was all there (every hidden ``z``
near +50, gradients of 1e-14, one answer for every image), but one had to know
where to look.  ``diagnose`` looks::

    >>> import diagnostics
    >>> report = diagnostics.diagnose((weights, biases))   # the book's shapes
    >>> print(report)                  # a table per layer, then the findings
    >>> report.to_dict()               # the same, JSON-safe
    >>> report.plot("report.png")      # z over each activation curve, gradients

``net`` may be a ``network.Network``, a ``network2.Network`` (or any object with
``sizes``, ``weights`` and ``biases``), a saved network's path, or the plain
``(weights, biases)`` lists of your own code.  ``Monitor()`` runs the same
checks after every epoch of ``SGD`` and warns (or stops) when training goes
wrong.  From a shell, ``python -m diagnostics net.npz`` (exit code 1 when a
finding is an error).

Each measurement is a small pure function over plain ``(weights, biases)``
lists (``forward``, ``backward``, ``saturated_fraction``, ``dead_units``,
``distinct_units``, ``identify_scheme``), so that NaN weights are reported, not
refused, and so that the experiments measure with the same definitions.

Layout, as in the book: ``weights[l]`` is ``(sizes[l+1], sizes[l])`` and
``biases[l]`` a column ``(sizes[l+1], 1)``; a batch of inputs is ``X`` of shape
``(n, sizes[0])``, one example per row.  The findings' names and thresholds
are below; each threshold says why it is where it is.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import blas
import initializers
import mnist_loader
import network

# --------------------------------------------------------------------------
# Thresholds.  Each is a named constant with the reason it is where it is.
# --------------------------------------------------------------------------

# A unit is saturated on an example when its activation's derivative is below
# 1 % of the derivative's maximum: the error passing back through it is cut
# at least a hundredfold against the best case.  Sigmoid: sigma'(z) < 0.0025,
# |z| > 5.99; tanh: |z| > 2.99.
SATURATION_LEVEL = 0.01
# Share of a hidden layer's (unit, example) pairs saturated.  At 90 % nearly
# no error reaches the layer's weights (``rand``: 100 %); the book's ``randn``
# starts at about 50 % and learns, but slower than a fan-scaled scheme (0 %),
# hence a warning from 25 %.
SATURATED_ERROR = 0.9
SATURATED_WARNING = 0.25
# A unit counts as saturated when it is so on at least this share of the
# examples (used for "every hidden unit saturated", the Monitor's stop).
UNIT_SATURATED_SHARE = 0.9
# A network has learned when its accuracy is at least this far from always
# giving the most frequent label to perfect (MNIST: 56 %; two classes: 75 %).
# Its saturated units are then confident ones, which is normal after
# training, so saturation is only reported (info).
TRAINED_GAIN = 0.5
# Share of a ReLU layer's units dead (z <= 0 on every example).  A few dead
# units are common after training; a tenth is worth a look, half is a layer
# that has lost most of its capacity.
DEAD_WARNING = 0.1
DEAD_ERROR = 0.5
# ||dC/db|| of the first layer over that of the last (the output layer).  The
# book's chapter 5 calls a first layer that learns an order of magnitude or
# more slower than the last the vanishing gradient problem.  Healthy
# [784, 30, 10] sigmoid networks measure 0.17 to 0.36 (seeds 0-9, randn and
# xavier_normal); [784, 30, 30, 30, 30, 10] measures 0.04 to 0.15 with randn
# and about 0.002 with chapter3.  Below 1e-4 the first layer is as good as frozen.
VANISHING_RATIO = 0.1
VANISHING_ERROR = 1e-4
EXPLODING_RATIO = 10.0  # the mirror image: the first layer 10x faster than the last
# Output collapse: one answer for at least this share of the examples ...
COLLAPSE_SHARE = 0.9
# ... counts only with outputs saturated on at least this share of (unit,
# example) pairs: before training a healthy network often gives one answer
# for most images (xavier_normal, seed 0: 99 %), but its outputs are not flat.
OUTPUT_SATURATED = 0.5
# Outputs that differ by less than this between any two examples: the network
# gives the same answer to every input.
SAME_OUTPUT = 1e-6
# Inputs scaled to [0, 1], to [-1, 1] or standardised stay below this in
# absolute value; raw pixels reach 255.
INPUT_MAX = 5.0
# Scheme identification: a scheme's moments match when the observed mean and
# variance are within this many standard errors of its formula's (a true draw
# fails with probability about 1e-6).
MOMENT_Z = 5.0
# Monitor: accuracy within this of always giving the most frequent answer is
# "stuck at chance"; a layer whose weights moved less than this (relative to
# their norm) over an epoch no longer learns.
CHANCE_MARGIN = 0.05
FROZEN_CHANGE = 1e-6

SEVERITIES = ("info", "warning", "error")
# The findings' stable names, most fundamental cause first (the report's order
# within a severity).  The last two come only from the Monitor, which can
# compare epochs.
FINDINGS = ("non_finite", "unscaled_inputs", "symmetry", "saturation", "dead_units",
            "exploding_gradient", "vanishing_gradient", "output_collapse",
            "chance_accuracy", "frozen_weights")
DEFAULT_IMAGES = 1000


# --------------------------------------------------------------------------
# Activations.  One row per function: what "saturated" and "dead" mean for it.
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Forward and backward passes over plain lists, keeping every z.
# --------------------------------------------------------------------------


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
    y = np.asarray(y)
    if y.ndim == 2:
        return y.astype(np.float64)
    Y = np.zeros((len(y), n_out))
    Y[np.arange(len(y)), y] = 1
    return Y


# --------------------------------------------------------------------------
# Which known scheme drew these weights?
# --------------------------------------------------------------------------


class _Moments(NamedTuple):
    """The sample moments of an array's entries, computed once."""

    n: int
    mean: float
    var: float
    m4: float  # fourth central moment
    lo: float
    hi: float

    @classmethod
    def of(cls, x: np.ndarray) -> _Moments:
        x = np.asarray(x, dtype=np.float64).ravel()
        mean = float(x.mean())
        c2 = (x - mean) ** 2
        return cls(x.size, mean, float(c2.mean()), float(np.dot(c2, c2)) / x.size,
                   float(x.min()), float(x.max()))

    @property
    def kurtosis(self) -> float:
        """Excess kurtosis: 0 for a normal distribution, -1.2 for a uniform one."""
        return self.m4 / self.var ** 2 - 3 if self.var > 0 else 0.0

    def distance(self, mean: float, var: float) -> float:
        """How many standard errors the sample's mean or variance (the larger)
        lies from a distribution of ``mean`` and ``var``; 0 or inf when
        ``var`` is 0 (every entry must then equal ``mean``)."""
        if var == 0:
            return 0.0 if self.lo == self.hi == mean else math.inf
        se_var = math.sqrt(max(self.m4 - self.var ** 2, 0.0) / self.n)
        d_mean = abs(self.mean - mean) / math.sqrt(var / self.n)
        d_var = abs(self.var - var) / se_var if se_var > 0 else math.inf
        return max(d_mean, d_var)


def identify_scheme(weights: np.ndarray, biases: np.ndarray | None = None) -> list[str]:
    """Names of the schemes in ``initializers.SCHEMES`` these weights look drawn from.

    A scheme matches when the weights' mean and variance agree with its
    ``weight_moments(fan_in, fan_out)`` (within ``MOMENT_Z`` standard errors).
    Schemes with the same moments (Xavier uniform and normal) are told apart by
    the shape of the distribution: the kurtosis of the weights against that of
    a draw of the scheme.  Schemes whose bias rule matches ``biases`` come
    first.  An empty list means no known scheme (as after training).
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.size < 2 or not np.isfinite(w).all():
        return []
    fan_out, fan_in = w.shape
    observed = _Moments.of(w)
    distance = {}
    for scheme in initializers.SCHEMES.values():
        try:
            d = observed.distance(*scheme.weight_moments(fan_in, fan_out))
        except Exception:  # a scheme that does not apply to this shape
            continue
        if d <= MOMENT_Z:
            distance[scheme.name] = d
    if len(distance) > 1:  # same moments: tell the distributions apart by their shape
        tolerance = MOMENT_Z * math.sqrt(48 / w.size)  # sd of two kurtosis estimates
        same = {name: d for name, d in distance.items()
                if abs(_draw_kurtosis(name, w.shape) - observed.kurtosis) <= tolerance}
        distance = same or distance
    bias_ok = {}
    b = None if biases is None else np.asarray(biases, dtype=np.float64)
    if b is not None and b.size and np.isfinite(b).all():
        bias = _Moments.of(b)
        bias_ok = {name: bias.distance(*initializers.SCHEMES[name].bias_moments) <= MOMENT_Z
                   for name in distance}
    # Best first: biases that match too, then the closest weight moments.
    return sorted(distance, key=lambda name: (not bias_ok.get(name, False), distance[name]))


_KURTOSIS: dict[tuple[str, tuple[int, int]], float] = {}


def _draw_kurtosis(name: str, shape: tuple[int, int]) -> float:
    """The excess kurtosis of one draw of scheme ``name`` in ``shape``
    (uniform -1.2, normal 0, others as they come), kept per process.  NaN
    when the scheme cannot draw that shape: it then never matches."""
    key = (name, tuple(shape))
    if key not in _KURTOSIS:
        try:
            draw = initializers.SCHEMES[name].weights(np.random.default_rng(0), shape,
                                                      np.float64)
            _KURTOSIS[key] = _Moments.of(draw).kurtosis
        except Exception:  # a scheme that cannot draw this shape
            _KURTOSIS[key] = math.nan
    return _KURTOSIS[key]


def _scheme_text(names: list[str]) -> str:
    if not names:
        return "no known scheme"
    first = initializers.SCHEMES[names[0]]
    others = f" (or {', '.join(names[1:])})" if len(names) > 1 else ""
    return f"{first.name}{others}: {' '.join(first.summary.split())}"


# --------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or worth knowing): a stable ``name`` (see
    :data:`FINDINGS`), a ``severity`` (``"info"``, ``"warning"``, ``"error"``),
    what was measured in ``message``, the ``fix`` in one sentence, the
    ``layer`` concerned (1 = the first weight layer) and the ``evidence`` as
    numbers."""

    name: str
    severity: str
    message: str
    fix: str
    layer: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        where = f", layer {self.layer}" if self.layer is not None else ""
        return f"[{self.severity}] {self.name}{where}: {self.message}\n    fix: {self.fix}"

    def to_dict(self) -> dict[str, Any]:
        return _json_safe({"name": self.name, "severity": self.severity, "layer": self.layer,
                           "message": self.message, "fix": self.fix, "evidence": self.evidence})


@dataclass
class LayerReport:
    """What was measured in one weight layer (``index`` 1 is the first)."""

    index: int
    fan_in: int
    fan_out: int
    activation: str
    weight_mean: float
    weight_sd: float
    weight_positive: float  # share of weights > 0
    bias_mean: float
    bias_sd: float
    scheme: list[str]  # identify_scheme's names, best first; [] for none
    z_mean: float
    z_var: float
    saturated: float | None  # share of (unit, example) pairs; None where f never flattens
    saturated_units: float | None  # share of units saturated on >= 90 % of examples
    dead: int | None  # units with z <= 0 on every example; None where units cannot die
    distinct: int  # distinct units (rows of [weights | bias])
    grad_b: float  # ||dC/db||
    grad_w: float  # ||dC/dw||

    def to_dict(self) -> dict[str, Any]:
        return _json_safe(dict(self.__dict__))


@dataclass
class Report:
    """The diagnosis of a network on a sample of inputs.

    ``print(report)`` shows a table per layer, the whole network's figures and
    the findings; ``to_dict()`` is the same as JSON-safe values; ``plot(path)``
    draws each layer's ``z`` over its activation curve, and the gradient norms.
    ``healthy`` is true when no finding is above ``"info"``.
    """

    source: str
    sizes: list[int]
    activation: str
    output: str
    cost: str
    examples: int
    input_min: float
    input_max: float
    input_mean: float
    input_dtype: str
    cost_start: float  # the mean cost on the sample
    cost_half: float  # the cost of a net that outputs 0.5 everywhere
    accuracy: float
    chance: float  # the accuracy of always giving the most frequent label
    top_answer: int
    top_share: float  # share of the most frequent prediction
    output_spread: float  # largest difference of an output between two examples
    gradient_ratio: float | None  # ||dC/db|| first layer / last layer
    layers: list[LayerReport]
    findings: list[Finding]
    zs: list[np.ndarray] = field(default_factory=list, repr=False)  # for plot()

    @property
    def healthy(self) -> bool:
        return all(f.severity == "info" for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def finding(self, name: str, layer: int | None = None) -> Finding | None:
        """The first finding called ``name`` (in ``layer``, if given), or None."""
        for f in self.findings:
            if f.name == name and (layer is None or f.layer == layer):
                return f
        return None

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("layers", "findings", "zs")}
        out["healthy"] = self.healthy
        out["layers"] = [layer.to_dict() for layer in self.layers]
        out["findings"] = [f.to_dict() for f in self.findings]
        return _json_safe(out)

    def __str__(self) -> str:
        return _format(self)

    def plot(self, path: str | os.PathLike) -> None:
        """Write a PNG: for each layer, the histogram of ``z`` over its
        activation curve with the saturated (grey) or dead (red) zone shaded;
        last, ``||dC/db||`` and ``||dC/dw||`` per layer on a log scale."""
        _plot(self, Path(path))


# --------------------------------------------------------------------------
# What to diagnose: a network object, a file, or plain lists
# --------------------------------------------------------------------------


class _Model(NamedTuple):
    weights: list[np.ndarray]  # float64 copies, (sizes[l+1], sizes[l])
    biases: list[np.ndarray]  # float64 copies, (sizes[l+1], 1)
    sizes: list[int]
    activation: str
    output: str
    cost: str
    source: str


def _cost_name(cost: Any) -> str:
    """``"quadratic"`` or ``"cross_entropy"`` from this project's names, the
    book's classes (``network2.CrossEntropyCost``) or their names."""
    name = cost if isinstance(cost, str) else getattr(cost, "__name__", type(cost).__name__)
    key = name.lower().replace("-", "").replace("_", "").replace(" ", "")
    for known, spellings in (("quadratic", ("quadratic", "quadraticcost")),
                             ("cross_entropy", ("crossentropy", "crossentropycost"))):
        if key in spellings:
            return known
    raise ValueError(f"unknown cost {name!r}; valid: quadratic, cross_entropy "
                     "(or the book's QuadraticCost, CrossEntropyCost)")


def _model(net: Any, activation_: str | None, cost: Any) -> _Model:
    if isinstance(net, str | os.PathLike):
        net, source = _load(Path(net)), f"file {net}"
    elif isinstance(net, tuple | list) and len(net) == 2 and not hasattr(net, "weights"):
        weights, biases = net
        cost_ = _cost_name(cost or "quadratic")
        return _from_lists(weights, biases, activation_ or "sigmoid", output_activation(cost_),
                           cost_, "(weights, biases) lists")
    else:
        source = f"{type(net).__module__}.{type(net).__name__}"
    for attribute in ("sizes", "weights", "biases"):
        if not hasattr(net, attribute):
            raise TypeError(f"cannot diagnose a {type(net).__name__}: expected a network "
                            f"(with sizes, weights and biases), a saved network's path, or "
                            f"(weights, biases) lists")
    own_activation = getattr(net, "activation", "sigmoid")
    own_cost = _cost_name(getattr(net, "cost", "quadratic"))
    if activation_ is not None and activation_ != own_activation:
        raise ValueError(f"the network's activation is {own_activation!r}, not {activation_!r}")
    if cost is not None and _cost_name(cost) != own_cost:
        raise ValueError(f"the network's cost is {own_cost!r}, not {_cost_name(cost)!r}")
    model = _from_lists(net.weights, net.biases, own_activation,
                        output_activation(own_cost), own_cost, source)
    if list(net.sizes) != model.sizes:
        raise ValueError(f"the network's sizes {list(net.sizes)} do not match its weights' "
                         f"shapes, which give {model.sizes}")
    return model


def _load(path: Path) -> Any:
    """A saved network, through ``network.Network.load`` (never unpickled)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        return network.Network.load(path)
    except (ValueError, KeyError, OSError, EOFError) as error:
        raise ValueError(f"{path}: cannot read it as a saved network (a .npz or .json file "
                         f"from Network.save, or the book's network2.save()): {error}") from None


def _from_lists(weights, biases, hidden: str, output: str, cost: str, source: str) -> _Model:
    activation(hidden), activation(output)  # a clear error for an unknown name
    weights, biases = list(weights), list(biases)
    if not weights or len(weights) != len(biases):
        raise ValueError(f"expected as many weight matrices as bias vectors (at least one), "
                         f"got {len(weights)} and {len(biases)}")
    ws, bs = [], []
    for l, (w, b) in enumerate(zip(weights, biases)):
        w = np.array(w, dtype=np.float64)
        b = np.array(b, dtype=np.float64)
        if w.ndim != 2:
            raise ValueError(f"weights[{l}]: expected a matrix (fan_out, fan_in), got shape "
                             f"{w.shape}")
        if b.shape not in ((w.shape[0], 1), (w.shape[0],)):
            hint = (f"; weights[{l}] looks transposed: the book's layout is (fan_out, fan_in), "
                    f"use weights[{l}].T" if b.size == w.shape[1] else "")
            raise ValueError(f"biases[{l}]: expected shape ({w.shape[0]}, 1) to match "
                             f"weights[{l}] {w.shape}, got {b.shape}{hint}")
        if l and w.shape[1] != ws[-1].shape[0]:
            raise ValueError(f"weights[{l}] {w.shape} does not follow weights[{l - 1}] "
                             f"{ws[-1].shape}: its fan_in must be {ws[-1].shape[0]}")
        ws.append(w)
        bs.append(b.reshape(-1, 1))
    sizes = [ws[0].shape[1]] + [w.shape[0] for w in ws]
    return _Model(ws, bs, sizes, hidden, output, cost, source)


# --------------------------------------------------------------------------
# The sample of inputs
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
# diagnose
# --------------------------------------------------------------------------


def diagnose(net: Any, data: Any = None, *, activation: str | None = None, cost: Any = None,
             dataset: str = "mnist", data_dir: str | os.PathLike | None = None,
             images: int = DEFAULT_IMAGES, blas_threads: int | None = None) -> Report:
    """Measure ``net`` on a sample of inputs and name what stops it learning.

    ``net``: a ``network.Network``, a ``network2.Network`` (any object with
    ``sizes``, ``weights``, ``biases``, and ``activation``/``cost`` if not the
    book's sigmoid and quadratic cost), the path of a saved network (this
    project's ``.npz``/``.json`` or the book's ``network2.save()`` file), or the
    plain ``(weights, biases)`` lists of your own code in the book's shapes;
    for those, ``activation`` (hidden layers; the output is a sigmoid) and
    ``cost`` say what the network computes (default the book's chapter 1:
    ``"sigmoid"``, ``"quadratic"``; ``"cross_entropy"`` for chapter 3).

    ``data``: ``(X, y)`` arrays (``X`` of shape (n, sizes[0]), ``y`` labels (n,)
    or targets (n, sizes[-1])) or the book's list of ``(x, y)`` pairs; all of it
    is used.  Default: the first ``images`` (1,000) training images of
    ``dataset`` through ``mnist_loader`` (``data_dir`` as there).

    ``blas_threads``: numpy's BLAS threads during the call; None chooses them
    from the sizes of the products, as training does (:mod:`blas`).

    Returns a :class:`Report`.  Nothing is trained and ``net`` is not changed;
    NaN or infinite values are reported (``non_finite``), never raised.
    Raises ``ValueError`` for input that cannot be a network or its data.
    """
    model = _model(net, activation, cost)
    if data is None:
        if model.sizes[0] != 784 or model.sizes[-1] != 10:
            raise ValueError(f"the default data is MNIST (784 pixels in, 10 classes out); for "
                             f"a network of sizes {model.sizes} pass data=(X, y)")
        data = load_sample(dataset, data_dir, images)
    X, labels, Y = _sample(data, model.sizes)
    with blas.threads(model.sizes, len(X), blas_threads):
        return _measure(model, X, labels, Y)


def _measure(model: _Model, X_raw: np.ndarray, labels: np.ndarray, Y: np.ndarray) -> Report:
    with np.errstate(all="ignore"):  # non-finite values are findings, not warnings
        X = np.ascontiguousarray(X_raw, dtype=np.float64)
        zs, acts = forward(model.weights, model.biases, X, model.activation, model.output)
        nabla_b, nabla_w = backward(model.weights, acts, Y, model.activation, model.output,
                                    model.cost)
        layers = [_layer(l, model, zs[l], nabla_b[l], nabla_w[l])
                  for l in range(len(model.weights))]
        z_out, a_out = zs[-1], acts[-1]
        predictions = z_out.argmax(axis=1)
        counts = np.bincount(predictions, minlength=model.sizes[-1])
        lo, hi, mean = _finite_range(X)
        grad_first, grad_last = layers[0].grad_b, layers[-1].grad_b
        report = Report(
            source=model.source, sizes=model.sizes, activation=model.activation,
            output=model.output, cost=model.cost, examples=len(X),
            input_min=lo, input_max=hi, input_mean=mean,
            input_dtype=str(np.asarray(X_raw).dtype),
            cost_start=cost_value(z_out, a_out, Y, model.cost),
            cost_half=cost_value(np.zeros_like(z_out), np.full_like(a_out, 0.5), Y, model.cost),
            accuracy=float(np.mean(predictions == labels)),
            chance=float(np.bincount(labels).max() / len(labels)),
            top_answer=int(counts.argmax()), top_share=float(counts.max() / len(X)),
            output_spread=float(np.max(np.ptp(a_out, axis=0))),
            gradient_ratio=(grad_first / grad_last if grad_last > 0 and math.isfinite(
                grad_first / grad_last) else None),
            layers=layers, findings=[], zs=zs)
        report.findings = _findings(report, model, X_raw, acts, nabla_b + nabla_w)
    return report


def _layer(l: int, model: _Model, z: np.ndarray, nb: np.ndarray, nw: np.ndarray) -> LayerReport:
    w, b = model.weights[l], model.biases[l]
    act = layer_activations(model.activation, model.output, len(model.weights))[l]
    finite_w, finite_b = w[np.isfinite(w)], b[np.isfinite(b)]
    flat = act.flat_z is not None
    return LayerReport(
        index=l + 1, fan_in=w.shape[1], fan_out=w.shape[0], activation=act.name,
        weight_mean=_mean(finite_w), weight_sd=_sd(finite_w),
        weight_positive=float(np.mean(w > 0)),
        bias_mean=_mean(finite_b), bias_sd=_sd(finite_b),
        scheme=identify_scheme(w, b),
        z_mean=float(z.mean()), z_var=float(z.var()),
        saturated=saturated_fraction(z, act.name) if flat else None,
        saturated_units=saturated_units(z, act.name) if flat else None,
        dead=dead_units(z, act.name) if act.dead_below is not None else None,
        distinct=distinct_units(w, b),
        grad_b=float(np.linalg.norm(nb)), grad_w=float(np.linalg.norm(nw)))


def _finite_range(X: np.ndarray) -> tuple[float, float, float]:
    """Smallest, largest and mean finite entry of ``X`` (NaN when there is none)."""
    lo, hi = float(X.min()), float(X.max())
    if math.isfinite(lo) and math.isfinite(hi):  # a NaN would have made them NaN
        return lo, hi, float(X.mean())
    finite = X[np.isfinite(X)]
    if not finite.size:
        return math.nan, math.nan, math.nan
    return float(finite.min()), float(finite.max()), float(finite.mean())


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else math.nan


def _sd(x: np.ndarray) -> float:
    return float(x.std()) if x.size else math.nan


# --------------------------------------------------------------------------
# Findings: one small function per kind, from the measurements
# --------------------------------------------------------------------------


def _findings(report: Report, model: _Model, X_raw: np.ndarray, acts: list[np.ndarray],
              grads: list[np.ndarray]) -> list[Finding]:
    found = _non_finite(model, X_raw, report.zs, grads) + _unscaled_inputs(report, X_raw)
    symmetry = _symmetry(report, model)
    hidden = _saturation(report, model, acts) + _dead_units(report, model, acts)
    found += symmetry + hidden
    causes = [f for f in hidden if f.severity == "error"]  # what stops a layer's gradient
    # A zero first-layer gradient behind all-zero weights is the symmetry finding's.
    if not (symmetry and report.layers[0].grad_b == 0):
        found += _gradient_flow(report, causes)
    found += _output_collapse(report, model, acts, causes)
    rank = {name: i for i, name in enumerate(FINDINGS)}
    return sorted(found, key=lambda f: (-SEVERITIES.index(f.severity), rank[f.name],
                                        f.layer or 0))


def _count_non_finite(x: np.ndarray) -> tuple[int, int]:
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating) or not x.size:
        return 0, 0
    if math.isfinite(x.min()) and math.isfinite(x.max()):  # NaN would make them NaN
        return 0, 0
    nan = int(np.count_nonzero(np.isnan(x)))
    return nan, int(np.count_nonzero(~np.isfinite(x))) - nan


def _non_finite(model: _Model, X_raw: np.ndarray, zs: list[np.ndarray],
                grads: list[np.ndarray]) -> list[Finding]:
    places = []
    named = [("inputs", X_raw)]
    named += [(f"weights[{l}]", w) for l, w in enumerate(model.weights)]
    named += [(f"biases[{l}]", b) for l, b in enumerate(model.biases)]
    for name, x in named:
        nan, inf = _count_non_finite(x)
        counts = [f"{nan:,} NaN"] * bool(nan) + [f"{inf:,} infinite"] * bool(inf)
        if counts:
            places.append(f"{name} ({', '.join(counts)})")
    for l, z in enumerate(zs):
        bad = int(np.count_nonzero(~np.isfinite(z).all(axis=1)))
        if bad:
            places.append(f"z of layer {l + 1} (on {bad:,} of {len(z):,} examples)")
    bad_grads = sum(int(np.count_nonzero(~np.isfinite(g))) for g in grads)
    if bad_grads:
        places.append(f"the gradient ({bad_grads:,} entries)")
    if not places:
        return []
    return [Finding(
        "non_finite", "error",
        f"NaN or infinity in {'; '.join(places)}: every number computed from them is "
        f"meaningless, and training spreads them to every weight",
        "find where they come from (an init function, a learning rate so large that "
        "training diverged, or NaN in the data: np.isfinite(w).all() checks) and start "
        "again from finite weights", evidence={"places": places})]


def _unscaled_inputs(report: Report, X_raw: np.ndarray) -> list[Finding]:
    biggest = max(abs(report.input_min), abs(report.input_max))
    if not biggest > INPUT_MAX:
        return []
    kind = f" (integer type {report.input_dtype})" if np.issubdtype(
        np.asarray(X_raw).dtype, np.integer) else ""
    return [Finding(
        "unscaled_inputs", "warning",
        f"the inputs range from {report.input_min:.4g} to {report.input_max:.4g}{kind}: "
        f"the book's network expects pixel intensities in [0, 1], and inputs this large "
        f"multiply every first-layer z",
        f"scale them to [0, 1], as mnist_loader does (X / {report.input_max:.4g}; for "
        f"raw pixels X / 255.0)",
        evidence={"input_min": report.input_min, "input_max": report.input_max,
                  "input_dtype": report.input_dtype})]


def _symmetry(report: Report, model: _Model) -> list[Finding]:
    found = []
    for layer in report.layers[:-1]:  # output units differ through their targets
        units = layer.fan_out
        if units < 2 or layer.distinct == units:
            continue
        later_zero = any(not np.any(w) for w in model.weights[layer.index:])
        extra = (" The weights after it are all 0, so no error reaches it: its gradient is "
                 "exactly 0 at the start." if later_zero else "")
        found.append(Finding(
            "symmetry", "error" if layer.distinct == 1 else "warning",
            f"its {units} units are only {layer.distinct} distinct "
            f"unit{'s' if layer.distinct > 1 else ''} (equal rows of [weights | bias]): equal "
            f"units compute the same output, get the same gradient and stay equal forever, "
            f"so the layer works as {layer.distinct} unit{'s' if layer.distinct > 1 else ''}."
            + extra,
            f'draw the weights at random from a zero-centred scheme such as '
            f'init="{_scheme_for(model.activation)}": units must start different to learn '
            f'different features', layer=layer.index,
            evidence={"units": units, "distinct": layer.distinct}))
    return found


def _saturation(report: Report, model: _Model, acts: list[np.ndarray]) -> list[Finding]:
    found = []
    trained = report.accuracy >= report.chance + TRAINED_GAIN * (1 - report.chance)
    for layer in report.layers[:-1]:  # the output layer's saturation is output_collapse's
        share = layer.saturated
        if share is None or not share >= SATURATED_WARNING:
            continue
        severity = "error" if share >= SATURATED_ERROR else "warning"
        note = ""
        why, fix = _why_z(layer, model, acts, report)
        if trained:
            severity = "info"
            note = (f" The network already answers {report.accuracy:.1%} correctly: in a "
                    f"trained network, saturated units are confident ones, which is normal.")
            fix = "nothing to fix in a network that has learned"
        z_t = saturation_z(layer.activation)
        found.append(Finding(
            "saturation", severity,
            f"{share:.1%} of (unit, example) pairs are saturated ({layer.activation}'(z) below "
            f"{SATURATION_LEVEL:.0%} of its maximum, |z| > {z_t:.3g}), and "
            f"{layer.saturated_units:.0%} of the units are saturated on at least "
            f"{UNIT_SATURATED_SHARE:.0%} of the examples; z has mean {layer.z_mean:.3g} and "
            f"sd {math.sqrt(layer.z_var):.3g}. {why}. The error passing back through a "
            f"saturated unit is multiplied by almost 0, so its weights barely change.{note}",
            fix, layer=layer.index,
            evidence={"saturated": share, "saturated_units": layer.saturated_units,
                      "threshold_z": z_t, "z_mean": layer.z_mean, "z_var": layer.z_var}))
    return found


def _dead_units(report: Report, model: _Model, acts: list[np.ndarray]) -> list[Finding]:
    found = []
    for layer in report.layers:
        if not layer.dead:
            continue
        share = layer.dead / layer.fan_out
        severity = ("error" if share >= DEAD_ERROR else
                    "warning" if share >= DEAD_WARNING else "info")
        why, fix = _why_z(layer, model, acts, report)
        found.append(Finding(
            "dead_units", severity,
            f"{layer.dead} of {layer.fan_out} units are dead: z <= 0 on every one of the "
            f"{report.examples:,} examples (z has mean {layer.z_mean:.3g}, sd "
            f"{math.sqrt(layer.z_var):.3g}), so they output 0 and pass no gradient. {why}",
            fix, layer=layer.index,
            evidence={"dead": layer.dead, "units": layer.fan_out, "z_mean": layer.z_mean}))
    return found


def _gradient_flow(report: Report, causes: list[Finding]) -> list[Finding]:
    """The first layer's gradient against the last's; ``causes`` are the hidden
    layers' saturation and dead-unit errors, which stop the gradient."""
    ratio = report.gradient_ratio
    if ratio is None or len(report.layers) < 2 or not math.isfinite(ratio):
        return []
    first, last = report.layers[0], report.layers[-1]
    numbers = (f"||dC/db|| is {first.grad_b:.2g} in layer 1 and {last.grad_b:.2g} in layer "
               f"{last.index} (the last)")
    evidence = {"ratio": ratio, "grad_b": [layer.grad_b for layer in report.layers]}
    if ratio < VANISHING_RATIO:
        if causes:
            what = _what(causes[0])
            why = (f"the {what} of layer {causes[0].layer} pass{'es' * what.endswith('n')} "
                   f"almost no error back")
            fix = f"fix the {what} of layer {causes[0].layer} (above) first"
        else:
            why = (f"each {report.activation} layer multiplies the error by its derivative "
                   f"(at most {activation(report.activation).max_prime:g}) and by the weights")
            fix = ('use ReLU hidden layers with init="he_normal" (activation="relu"), whose '
                   'derivative is 1 where active, or fewer layers (the book, chapter 5)'
                   if report.activation != "relu" else
                   'use init="he_normal", which keeps the error\'s size from layer to layer')
        speed = ("gets no gradient at all" if ratio == 0 else
                 f"learns {ratio:.2g} times as fast as the last")
        return [Finding(
            "vanishing_gradient", "error" if ratio < VANISHING_ERROR else "warning",
            f"{numbers}: the first layer {speed}, because {why}", fix, evidence=evidence)]
    if ratio > EXPLODING_RATIO:
        return [Finding(
            "exploding_gradient", "warning",
            f"{numbers}: the first layer learns {ratio:.3g} times as fast as the last, because "
            f"the weights multiply the error at every layer back",
            f'use a fan-scaled scheme such as init="{_scheme_for(report.activation)}", which '
            f'keeps the error\'s size from layer to layer, or a smaller learning rate',
            evidence=evidence)]
    return []


def _output_collapse(report: Report, model: _Model, acts: list[np.ndarray],
                     causes: list[Finding]) -> list[Finding]:
    """One answer for most inputs, with saturated or input-independent outputs;
    ``causes`` are the hidden layers' saturation and dead-unit errors."""
    out = report.layers[-1]
    flat = out.saturated if out.saturated is not None else 0.0
    same = report.output_spread < SAME_OUTPUT
    # One answer alone is no evidence (see COLLAPSE_SHARE): it needs flat outputs.
    if not (report.top_share >= COLLAPSE_SHARE and flat >= OUTPUT_SATURATED):
        return []
    parts = [f"the network answers {report.top_answer} for {report.top_share:.1%} of the "
             f"{report.examples:,} examples, and {flat:.1%} of its outputs are saturated "
             f"(|z| > {saturation_z(out.activation):.3g})"]
    if same:
        parts.append(f"the outputs are the same for every input (they differ by at most "
                     f"{report.output_spread:.2g})")
    largest = max(layer.grad_b for layer in report.layers)
    if report.cost == "quadratic":
        parts.append(f"with the quadratic cost the output error is multiplied by "
                     f"{out.activation}'(z) ~ 0, so the gradient is (nearly) 0 everywhere "
                     f"(largest ||dC/db|| {largest:.2g})")
    parts.append(f"the cost is {report.cost_start:.3g}, against {report.cost_half:.3g} for a "
                 f"net that outputs 0.5 everywhere")
    if causes:
        what = _what(causes[0])
        fix = f"fix the {what} of layer {causes[0].layer} (above): {causes[0].fix}"
        why = (f"Why: the {what} of layer {causes[0].layer} make{'s' * what.endswith('n')} "
               f"the outputs nearly the same for every input")
    else:
        why, fix = _why_z(out, model, acts, report)
    return [Finding(
        "output_collapse", "error", "; ".join(parts) + f". {why}.", fix, layer=out.index,
        evidence={"top_answer": report.top_answer, "top_share": report.top_share,
                  "output_saturated": flat, "output_spread": report.output_spread,
                  "cost_start": report.cost_start, "cost_half": report.cost_half})]


def _what(finding: Finding) -> str:
    return {"saturation": "saturation", "dead_units": "dead units"}[finding.name]


def _scheme_for(hidden: str) -> str:
    return "he_normal" if hidden == "relu" else "xavier_normal"


def _scheme_fix(hidden: str) -> str:
    """The fix for weights of the wrong mean or scale, in this project's terms
    and in the book's code (layer of x inputs and y units)."""
    name = _scheme_for(hidden)
    scale = "np.sqrt(2 / x)" if name == "he_normal" else "np.sqrt(2 / (x + y))"
    return (f'use a zero-centred, fan-scaled scheme such as init="{name}" (in your own code, '
            f"for each layer of x inputs and y units: w = np.random.randn(y, x) * {scale}, "
            f"b = np.zeros((y, 1)))")


def _why_z(layer: LayerReport, model: _Model, acts: list[np.ndarray],
           report: Report) -> tuple[str, str]:
    """Why a layer's ``z`` is far from 0, and the fix: the largest of the three
    parts of a typical ``|z|``: the weights' mean times the inputs' sum, the
    biases, and the spread that the weights' variance gives."""
    if layer.index == 1 and max(abs(report.input_min), abs(report.input_max)) > INPUT_MAX:
        scale = max(abs(report.input_min), abs(report.input_max))
        return (f"Why: the inputs reach {report.input_max:.4g}, so z is up to {scale:.3g} times "
                f"what it would be for inputs in [0, 1]",
                f"scale the inputs to [0, 1] (X / {report.input_max:.4g}; for raw pixels "
                f"X / 255.0)")
    if layer.weight_sd == 0 and layer.weight_mean == 0:
        return ("Why: the weights are all 0, so z is the bias whatever the input",
                f'draw the weights at random, e.g. init="{_scheme_for(model.activation)}"')
    a_in = acts[layer.index - 1]
    with np.errstate(all="ignore"):
        input_sum = float(np.mean(a_in.sum(axis=1)))
        terms = float(np.mean(np.count_nonzero(a_in, axis=1)))
    from_mean = layer.weight_mean * input_sum
    spread = math.sqrt(layer.z_var) if layer.z_var >= 0 else math.nan
    parts = {"mean": abs(from_mean), "bias": abs(layer.bias_mean), "spread": spread}
    cause = max(parts, key=lambda k: parts[k] if math.isfinite(parts[k]) else -1)
    if cause == "mean":
        sign = "positive" if layer.weight_mean > 0 else "negative"
        every = ("all" if layer.weight_positive in (0.0, 1.0)
                 else f"{max(layer.weight_positive, 1 - layer.weight_positive):.0%}")
        return (f"Why: your weights are {every} {sign} with mean {layer.weight_mean:.3g}, so "
                f"each z sums about {terms:.0f} {sign} terms: the inputs add up to "
                f"{input_sum:.3g}, times {layer.weight_mean:.3g} is {from_mean:.3g}",
                _scheme_fix(model.activation))
    if cause == "bias":
        return (f"Why: the biases have mean {layer.bias_mean:.3g}, which moves every z by "
                f"that much",
                f"start the biases at 0 (bias_init=0; in your own code "
                f"b = np.zeros(({layer.fan_out}, 1)))")
    return (f"Why: weights of sd {layer.weight_sd:.3g} over {layer.fan_in} inputs give z an "
            f"sd of {spread:.3g}; a fan-scaled scheme keeps it near 1",
            _scheme_fix(model.activation))


# --------------------------------------------------------------------------
# Output: text, JSON, figure
# --------------------------------------------------------------------------


def _json_safe(value: Any) -> Any:
    """Plain Python values JSON can hold: numpy scalars to Python, NaN and
    infinity to None, tuples and arrays to lists."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_json_safe(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def _g(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "-"
    return "nan" if not math.isfinite(x) and math.isnan(x) else f"{x:.{digits}g}"


def _pct(x: float | None) -> str:
    return "-" if x is None else ("nan" if math.isnan(x) else f"{100 * x:.1f}%")


def _table(rows: list[list[str]], header: list[str]) -> str:
    cells = [header] + rows
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                     for row in cells)


def _format(report: Report) -> str:
    out = io.StringIO()
    out.write(f"Diagnosis of {report.source}: sizes {report.sizes}, {report.activation} "
              f"hidden layers, {report.output} output, {report.cost} cost\n")
    out.write(f"on {report.examples:,} examples, inputs from {_g(report.input_min, 4)} to "
              f"{_g(report.input_max, 4)} (mean {_g(report.input_mean)}, "
              f"{report.input_dtype})\n\n")
    rows = []
    for layer in report.layers:
        rows.append([
            str(layer.index), f"{layer.fan_in} -> {layer.fan_out}", layer.activation,
            _g(layer.weight_mean), _g(layer.weight_sd), _pct(layer.weight_positive),
            ", ".join(layer.scheme[:2]) or "-", _g(layer.z_mean), _g(layer.z_var),
            _pct(layer.saturated), "-" if layer.dead is None else str(layer.dead),
            f"{layer.distinct}/{layer.fan_out}", _g(layer.grad_b, 2), _g(layer.grad_w, 2)])
    out.write(_table(rows, ["layer", "in -> out", "f", "w mean", "w sd", "w > 0",
                            "looks like", "z mean", "z var", "saturated", "dead",
                            "distinct", "|dC/db|", "|dC/dw|"]) + "\n\n")
    for layer in report.layers:
        out.write(f"layer {layer.index} weights: {_scheme_text(layer.scheme)}\n")
    ratio = report.gradient_ratio
    out.write(f"cost {_g(report.cost_start)} (a net answering 0.5 everywhere: "
              f"{_g(report.cost_half)}); accuracy {_pct(report.accuracy)} (always the most "
              f"frequent label: {_pct(report.chance)}); answers {report.top_answer} for "
              f"{_pct(report.top_share)} of the examples; |dC/db| first / last layer: "
              f"{_g(ratio, 2) if ratio is not None else 'undefined'}\n\n")
    errors = sum(f.severity == "error" for f in report.findings)
    warns = sum(f.severity == "warning" for f in report.findings)
    if report.healthy:
        out.write("Healthy: nothing here stops the network learning (no saturated or dead "
                  "layer, no copied units, a gradient that reaches the first layer, scaled "
                  "and finite inputs, outputs that are not flat).\n")
        if report.top_share >= COLLAPSE_SHARE:
            out.write(f"One answer for {_pct(report.top_share)} of the examples is normal "
                      f"before training: the outputs are not saturated.\n")
        if report.findings:
            out.write("Notes:\n")
    else:
        out.write(f"Findings: {errors} error{'s' * (errors != 1)}, {warns} "
                  f"warning{'s' * (warns != 1)}, most fundamental first\n")
    for f in report.findings:
        out.write(str(f) + "\n")
    return out.getvalue().rstrip() + "\n"


def _plot(report: Report, path: Path) -> None:
    from matplotlib.figure import Figure  # no pyplot: the user's backend is left alone

    L = len(report.layers)
    fig = Figure(figsize=(8, 1.9 * (L + 1) + 0.6))
    axes = fig.subplots(L + 1, 1)
    for ax, layer, z in zip(axes, report.layers, report.zs):
        act = activation(layer.activation)
        z = z[np.isfinite(z)].ravel()
        z_t = saturation_z(act.name)
        edge = max(8.0, 1.5 * (z_t or 4.0))
        lo, hi = (np.percentile(z, [0.5, 99.5]) if z.size else (-edge, edge))
        lo, hi = min(lo, -edge), max(hi, edge)
        ax.hist(np.clip(z, lo, hi), bins=np.linspace(lo, hi, 80), density=True,
                color="C0", alpha=0.6)
        ax.set_yticks([])
        if z_t is not None:
            ax.axvspan(lo, -z_t, color="grey", alpha=0.2, lw=0)
            ax.axvspan(z_t, hi, color="grey", alpha=0.2, lw=0)
        if act.dead_below is not None:
            ax.axvspan(lo, act.dead_below, color="red", alpha=0.08, lw=0)
        curve = ax.twinx()
        grid = np.linspace(lo, hi, 600)
        with np.errstate(all="ignore"):
            a = act.f(grid)
            curve.plot(grid, a / max(np.max(np.abs(a)), 1e-12), color="k", lw=1,
                       label=f"{act.name}(z)")
            curve.plot(grid, act.prime_from_output(a) / act.max_prime, color="k", ls="--", lw=1,
                       label=f"{act.name}'(z) / max")
        curve.legend(loc="upper left", fontsize=7, frameon=False)
        curve.set_yticks([])
        ax.set_xlim(lo, hi)
        state = (f"{_pct(layer.saturated)} saturated" if layer.saturated is not None
                 else f"{layer.dead} of {layer.fan_out} dead")
        ax.set_title(f"layer {layer.index} ({layer.fan_in} -> {layer.fan_out}, "
                     f"{layer.activation}): z, {state}", fontsize=9)
    ax = axes[-1]
    index = np.arange(1, L + 1)
    for values, label, marker in (([layer.grad_b for layer in report.layers], "|dC/db|", "o"),
                                  ([layer.grad_w for layer in report.layers], "|dC/dw|", "s")):
        values = np.array(values, dtype=float)
        ax.plot(index, np.where(values > 0, values, np.nan), marker=marker, label=label)
    ax.set_yscale("log")
    ax.set_xticks(index)
    ax.set_xlabel("layer (a zero gradient is not drawn)")
    ax.set_title("gradient norm per layer", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.suptitle(f"{report.source}, {report.sizes}: grey saturated ({report.activation}' "
                 f"< {SATURATION_LEVEL:.0%} of max), red dead; black f(z) and f'(z) scaled",
                 fontsize=8)
    # Margins in inches, by hand (tight_layout would draw the figure twice): room
    # for the title above, the x label below and the log scale's labels at left.
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.75 / 8, right=0.98, top=1 - 0.7 / height,
                        bottom=0.5 / height, hspace=0.6)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    network.write_atomic(path, lambda f: f.write(buffer.getvalue()))


# --------------------------------------------------------------------------
# The training monitor
# --------------------------------------------------------------------------


class TrainingHealthWarning(UserWarning):
    """A finding of the training :class:`Monitor`.  Code that trains bad
    initializers on purpose silences it with
    ``warnings.simplefilter("ignore", diagnostics.TrainingHealthWarning)``."""


# What the Monitor checks in each epoch's report (at severity "error").
MONITORED = ("non_finite", "saturation", "output_collapse")


class Monitor:
    """Checks a network's health after every epoch: ``SGD(..., callback=Monitor())``.

    On a fixed sample (``data``, else the first ``images`` training images of
    ``dataset``) it looks for non-finite weights, saturation, output collapse,
    accuracy stuck at chance and weights that no longer change.  Each finding
    is warned once, with its text, as a :class:`TrainingHealthWarning`.  With
    ``stop=True`` it ends training (by returning ``False`` to ``SGD``) after
    an epoch with a fatal finding: non-finite weights, or outputs collapsed
    with every hidden unit saturated.

    ``findings`` holds ``(epoch, Finding)`` for everything found, ``report``
    the last epoch's :class:`Report`, ``stopped_at`` the epoch it stopped.
    """

    def __init__(self, data: Any = None, *, stop: bool = False, images: int = DEFAULT_IMAGES,
                 dataset: str = "mnist", data_dir: str | os.PathLike | None = None) -> None:
        self.data, self.stop = data, stop
        self.images, self.dataset, self.data_dir = images, dataset, data_dir
        self.findings: list[tuple[int, Finding]] = []
        self.report: Report | None = None
        self.stopped_at: int | None = None
        self._warned: set[str] = set()
        self._previous: list[np.ndarray] | None = None

    def __call__(self, epoch: int, net: Any, history: Any = None) -> bool | None:
        if self.data is None:
            self.data = load_sample(self.dataset, self.data_dir, self.images)
        report = diagnose(net, self.data)
        found = [f for f in report.findings if f.name in MONITORED and f.severity == "error"]
        found += self._after_training(report, epoch)
        found += self._frozen(net, epoch)
        self.report = report
        for f in found:
            self.findings.append((epoch, f))
            if f.name not in self._warned:
                self._warned.add(f.name)
                warnings.warn(f"after epoch {epoch}: {f}", TrainingHealthWarning, stacklevel=2)
        if self.stop and self._fatal(report, found):
            self.stopped_at = epoch
            return False
        return None

    @staticmethod
    def _after_training(report: Report, epoch: int) -> list[Finding]:
        """What counts only once the network has trained: one answer for most
        inputs (before training that is normal), accuracy at chance."""
        found = []
        if report.top_share >= COLLAPSE_SHARE and report.finding("output_collapse") is None:
            found.append(Finding(
                "output_collapse", "error",
                f"after {epoch + 1} epoch{'s' * (epoch > 0)} of training the network still "
                f"answers {report.top_answer} for {report.top_share:.1%} of the examples",
                "see the other findings; if there are none, try a smaller learning rate",
                layer=len(report.layers),
                evidence={"top_answer": report.top_answer, "top_share": report.top_share}))
        if report.accuracy <= report.chance + CHANCE_MARGIN:
            found.append(Finding(
                "chance_accuracy", "error",
                f"after {epoch + 1} epoch{'s' * (epoch > 0)} the accuracy on the sample is "
                f"{report.accuracy:.1%}, no better than always giving the most frequent label "
                f"({report.chance:.1%})",
                "fix the other findings; if there are none, check that the labels belong to "
                "the inputs and try a smaller learning rate",
                evidence={"accuracy": report.accuracy, "chance": report.chance}))
        return found

    def _frozen(self, net: Any, epoch: int) -> list[Finding]:
        weights = [np.array(w, dtype=np.float64) for w in net.weights]
        previous, self._previous = self._previous, weights
        if previous is None or len(previous) != len(weights):
            return []
        found = []
        for l, (old, new) in enumerate(zip(previous, weights)):
            with np.errstate(all="ignore"):
                change = float(np.linalg.norm(new - old) / max(np.linalg.norm(old), 1e-300))
            if change < FROZEN_CHANGE:
                found.append(Finding(
                    "frozen_weights", "error",
                    f"the weights of layer {l + 1} changed by {change:.2g} of their norm during "
                    f"epoch {epoch}: they no longer learn",
                    "fix what stops the gradient (saturation, dead units, a vanishing "
                    "gradient), or raise the learning rate", layer=l + 1,
                    evidence={"relative_change": change}))
        return found

    @staticmethod
    def _fatal(report: Report, found: list[Finding]) -> bool:
        if any(f.name == "non_finite" for f in found):
            return True
        hidden = report.layers[:-1]
        every_hidden_saturated = bool(hidden) and all(
            layer.saturated_units is not None and layer.saturated_units == 1.0
            for layer in hidden)
        return every_hidden_saturated and any(f.name == "output_collapse" for f in found)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        sizes = []
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected at least two positive comma-separated layer sizes such as 784,30,10, "
            f"got {text!r}")
    return sizes


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m diagnostics",
        description="Diagnose a network: measure every layer on real images, name what stops "
                    "it learning and how to fix it. Exit code 0: no finding is an error; 1: "
                    "at least one is; 2: bad usage or unreadable input.")
    p.add_argument("file", nargs="?", help="a saved network (.npz or .json, this project's or "
                                           "the book's network2.save())")
    p.add_argument("--init", choices=initializers.names(), metavar="NAME",
                   help="diagnose a fresh network drawn from this scheme instead of a file. "
                        f"Valid: {', '.join(initializers.names())}.")
    p.add_argument("--sizes", type=_sizes, default=[784, 30, 10], metavar="784,30,10",
                   help="with --init: neurons per layer. Default: 784,30,10.")
    p.add_argument("--activation", choices=network.ACTIVATIONS, default="sigmoid",
                   help="with --init: the hidden layers' activation. Default: %(default)s.")
    p.add_argument("--cost", choices=network.COSTS, default="quadratic",
                   help="with --init: the cost. Default: %(default)s.")
    p.add_argument("--seed", type=int, default=0,
                   help="with --init: the seed of the draw. Default: %(default)s.")
    p.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default="mnist",
                   help="the images to measure on. Default: %(default)s.")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="folder holding the dataset's files. Default: mnist_loader's search "
                        "($MNIST_DATA_DIR or $FASHION_MNIST_DATA_DIR, its cache, a download).")
    p.add_argument("--images", type=_positive, default=DEFAULT_IMAGES,
                   help="how many training images (the first ones). Default: %(default)s.")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--plot", default=None, metavar="PNG",
                   help="also draw z per layer over its activation, and the gradient norms")
    args = p.parse_args(argv)
    if (args.file is None) == (args.init is None):
        p.error("give a saved network's FILE, or --init NAME for a fresh network (not both)")
    if args.file is None and (args.sizes[0] != 784 or args.sizes[-1] != 10):
        p.error(f"--sizes must start with 784 (pixels) and end with 10 (classes), "
                f"got {args.sizes}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.file is not None:
            net: Any = args.file
        else:
            net = network.Network(args.sizes, args.init, seed=args.seed,
                                  activation=args.activation, cost=args.cost)
        report = diagnose(net, dataset=args.dataset, data_dir=args.data_dir,
                          images=args.images)
        if args.plot:
            report.plot(args.plot)
    except mnist_loader.DataError as error:  # in this command's words: --data-dir, not data_dir=
        print(f"python -m diagnostics: error: {error.for_command_line()}", file=sys.stderr)
        return 2
    except (OSError, ValueError, TypeError, KeyError) as error:
        print(f"python -m diagnostics: error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=1, allow_nan=False))
    else:
        print(report)
        if args.plot:
            print(f"wrote {args.plot}")
    return 1 if report.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
