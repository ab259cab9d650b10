"""diagnostics.verify
~~~~~~~~~~~~~~~~~~

A fix proves itself before it is printed: train a copy with the fix and a copy
without it for the same mini-batches, and measure the cost on the sample.

Two ways to train a copy:

- :func:`train_reference`: a ``network.Network`` (``adapter.reference``) with
  its own ``update_mini_batch`` on arrays;
- :func:`train_user`: the user's own object (a deep copy) with its own
  ``update_mini_batch`` on the book's list of ``(x, y)`` columns, or, when it
  has only ``backprop``, the book's update built from that ``backprop``.

Both are measured the same way (:func:`cost_of`: the reference's cost of the
copy's weights on the sample), so that their numbers compare.  The
mini-batches come from a seeded generator: two trials with the same ``seed``
see the same examples in the same order.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import network

from . import measures
from .findings import Verification
from .schemes import fan_scheme
from .text import g

# A trial "learns" when its cost falls below this share of the starting cost
# and its accuracy on the measured examples ends at least ACCURACY_GAIN above
# always answering their most frequent label (also the probes' measure of
# learning, diagnostics.probes.LEARNED): outputs collapsing to 0 everywhere lower the
# quadratic cost from 1.5 to 0.5 without learning anything.
LEARNS = 0.9
ACCURACY_GAIN = 0.1
# The steps a verification trains for ("a few hundred mini-batches"): enough
# for the book's randn network to move from chance to most answers right on
# MNIST at eta = 3, few enough that the user's own per-example loops take a
# fraction of a second.
STEPS = 300
# A trial whose fixed copy has not learned in STEPS looks again this long: the
# book's randn draw at eta = 3 sits on a plateau (every output near 0) for
# several hundred mini-batches before its accuracy rises.
LONG_STEPS = 1000
# The book's learning rate for each cost, used when the user gave none
# (chapter 1: 3.0 with the quadratic cost; chapter 3: 0.5 with cross-entropy;
# the softmax network of this project's tests: 0.1).
# The cost is measured on the first MEASURED examples of the sample, and
# checked for NaN every CHECK_EVERY steps (to say when a run diverged).
MEASURED = 500
CHECK_EVERY = 25
BOOK_ETA = {"quadratic": 3.0, "cross_entropy": 0.5, "log_likelihood": 0.1}


@dataclass(frozen=True)
class Trial:
    """What a copy did in training: the cost on the sample at ``start`` and
    after ``steps`` mini-batches (``end``, NaN when it diverged), and the step
    after which the cost was first not finite (``None``: never)."""

    start: float
    end: float
    steps: int
    nan_after: int | None = None
    error: str | None = None  # what the training code raised, if it did
    accuracy_start: float | None = None  # share of the measured examples answered right
    accuracy: float | None = None  # the same after training (None when not measured)
    chance: float | None = None  # share of the measured examples' most frequent label

    @property
    def learns(self) -> bool:
        """The cost fell below :data:`LEARNS` of its start and, when measured,
        the accuracy ended :data:`ACCURACY_GAIN` above chance."""
        return (math.isfinite(self.end) and self.end < LEARNS * self.start
                and (self.accuracy is None or self.accuracy - self.chance >= ACCURACY_GAIN))

    def accuracy_text(self) -> str:
        """``", accuracy on the sample 10% to 67%"``, or ``""`` when not measured."""
        if self.accuracy is None or self.error is not None or self.nan_after is not None:
            return ""
        return f", accuracy on the sample {self.accuracy_start:.0%} to {self.accuracy:.0%}"

    def ended(self) -> str:
        """``"0.0912"``, ``"NaN after 12 steps"`` or ``"an error at step 1 (...)"``."""
        if self.error is not None:
            return f"an error at step {self.steps} ({self.error})"
        if self.nan_after is not None:
            return f"NaN after {self.nan_after} step{'s' * (self.nan_after != 1)}"
        return g(self.end)


def cost_of(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], X: np.ndarray,
            Y: np.ndarray, hidden: str, cost: str) -> float:
    """The reference's mean cost of ``(weights, biases)`` on ``(X, Y)``; NaN
    when the weights or the result are not finite (never a warning)."""
    with np.errstate(all="ignore"):
        ws = [np.asarray(w, dtype=np.float64) for w in weights]
        bs = [np.asarray(b, dtype=np.float64).reshape(-1, 1) for b in biases]
        zs, acts = measures.forward(ws, bs, X, hidden, cost)
        value = measures.cost_value(zs[-1], acts[-1], Y, cost)
    return value if math.isfinite(value) else math.nan


def labels_of(Y: np.ndarray) -> np.ndarray:
    """The labels of targets ``Y`` (n, n_out): the largest, or for a single
    output 1 above 0.5."""
    return (Y[:, 0] > 0.5).astype(np.intp) if Y.shape[1] == 1 else Y.argmax(axis=1)


def accuracy_of(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], X: np.ndarray,
                Y: np.ndarray, hidden: str, cost: str) -> float:
    """The share of ``(X, Y)`` the reference's forward pass of ``(weights,
    biases)`` answers right (:func:`labels_of` ``Y``); 0 when not finite."""
    with np.errstate(all="ignore"):
        ws = [np.asarray(w, dtype=np.float64) for w in weights]
        bs = [np.asarray(b, dtype=np.float64).reshape(-1, 1) for b in biases]
        zs, _ = measures.forward(ws, bs, X, hidden, cost)
    if not np.isfinite(zs[-1]).all():
        return 0.0
    return float(np.mean(measures.predictions_of(zs[-1]) == labels_of(Y)))


def batches(n: int, mini_batch_size: int, steps: int, seed: int = 0) -> list[np.ndarray]:
    """``steps`` mini-batches of row indices into ``n`` examples: shuffled
    epochs from a seeded generator, as ``SGD`` draws them."""
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    while len(out) < steps:
        order = rng.permutation(n)
        out += [order[k:k + mini_batch_size] for k in range(0, n - mini_batch_size + 1,
                                                              mini_batch_size)]
    return out[:steps]


def _trial(step: Callable[[np.ndarray], None], params: Callable[[], tuple], X: np.ndarray,
           Y: np.ndarray, hidden: str, cost: str, order: list[np.ndarray]) -> Trial:
    X, Y = X[:MEASURED], Y[:MEASURED]
    start = cost_of(*params(), X, Y, hidden, cost)
    counts = np.bincount(labels_of(Y))
    acc = {"accuracy_start": accuracy_of(*params(), X, Y, hidden, cost), "accuracy": 0.0,
           "chance": float(counts.max() / counts.sum())}
    for k, rows in enumerate(order, 1):
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the user's code may warn at every step
                step(rows)
        except (ValueError, FloatingPointError, OverflowError) as error:
            if not all(np.isfinite(p).all() for p in params()[0]):
                return Trial(start, math.nan, k, k, **acc)  # network.Network refuses NaN
            return Trial(start, math.nan, k, None, f"{type(error).__name__}: {error}", **acc)
        except Exception as error:  # the user's code may raise anything
            return Trial(start, math.nan, k, None, f"{type(error).__name__}: {error}", **acc)
        if k % CHECK_EVERY == 0 and not math.isfinite(cost_of(*params(), X, Y, hidden, cost)):
            return Trial(start, math.nan, k, k, **acc)
    end = cost_of(*params(), X, Y, hidden, cost)
    acc["accuracy"] = accuracy_of(*params(), X, Y, hidden, cost)
    return Trial(start, end, len(order), None if math.isfinite(end) else len(order), **acc)


def train_reference(net: network.Network, X: np.ndarray, Y: np.ndarray, eta: float,
                    mini_batch_size: int = 10, steps: int = STEPS, seed: int = 0, *,
                    lmbda: float = 0.0, n: int | None = None) -> Trial:
    """Train ``net`` (a copy: it is changed) for ``steps`` mini-batches of
    ``(X, Y)`` (inputs (n, sizes[0]), targets (n, sizes[-1])) at ``eta``, with
    chapter 3's L2 term when ``lmbda > 0`` (``n`` training examples, default
    ``len(X)``)."""
    X64 = np.asarray(X, dtype=np.float64)
    n = n or len(X)
    return _trial(lambda rows: net.update_mini_batch((X64[rows], Y[rows]), eta, lmbda, n),
                  lambda: (net.weights, net.biases), X64, Y, net.activation, net.cost,
                  batches(len(X), mini_batch_size, steps, seed))


def user_step(obj: Any, eta: float, lmbda: float = 0.0, n: int | None = None
              ) -> Callable[[list], None]:
    """One step of the user's own training on a list of ``(x, y)`` columns:
    their ``update_mini_batch`` (called as the book's chapter 1 does, or with
    ``lmbda`` and ``n`` as chapter 3's takes them), else the book's update
    built from their ``backprop``."""
    update = getattr(obj, "update_mini_batch", None)
    if callable(update):
        if lmbda or takes_l2(update):  # looked up once, not at every step
            return lambda pairs: update(pairs, eta, lmbda, n or len(pairs))
        return lambda pairs: update(pairs, eta)

    def book_update(pairs: list) -> None:
        nabla_b = [np.zeros(np.shape(b)) for b in obj.biases]
        nabla_w = [np.zeros(np.shape(w)) for w in obj.weights]
        for x, y in pairs:
            db, dw = obj.backprop(x, y)
            nabla_b = [nb + d for nb, d in zip(nabla_b, db)]
            nabla_w = [nw + d for nw, d in zip(nabla_w, dw)]
        obj.weights = [w - eta / len(pairs) * nw for w, nw in zip(obj.weights, nabla_w)]
        obj.biases = [b - eta / len(pairs) * nb for b, nb in zip(obj.biases, nabla_b)]

    return book_update


def takes_l2(update: Callable) -> bool:
    """Whether ``update`` needs chapter 3's ``(mini_batch, eta, lmbda, n)``:
    four positional parameters without defaults."""
    try:
        return len([p for p in inspect.signature(update).parameters.values()
                    if p.default is inspect.Parameter.empty
                    and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]) >= 4
    except (TypeError, ValueError):
        return False


def accepts_l2(update: Callable) -> bool:
    """Whether ``update`` can be called as ``update(mini_batch, eta, lmbda,
    n)``: four positional parameters or ``*args`` (True when its signature
    cannot be read)."""
    try:
        params = list(inspect.signature(update).parameters.values())
    except (TypeError, ValueError):
        return True
    return any(p.kind is p.VAR_POSITIONAL for p in params) or len(
        [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]) >= 4


def call_update(update: Callable, pairs: list, eta: float, lmbda: float = 0.0,
                n: int | None = None) -> None:
    """``update(pairs, eta)`` as chapter 1 has it, or ``update(pairs, eta,
    lmbda, n)`` when it needs chapter 3's L2 arguments or ``lmbda`` is not 0
    (``n`` defaults to the batch's size)."""
    if lmbda or takes_l2(update):
        update(pairs, eta, lmbda, n or len(pairs))
    else:
        update(pairs, eta)


def columns(X: np.ndarray, Y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The book's list of ``(x, y)``: a ``(n_in, 1)`` input column and a
    ``(n_out, 1)`` target column per example."""
    return [(x.reshape(-1, 1), y.reshape(-1, 1)) for x, y in zip(X, Y)]


def train_user(obj: Any, X: np.ndarray, Y: np.ndarray, eta: float, hidden: str, cost: str,
               mini_batch_size: int = 10, steps: int = STEPS, seed: int = 0,
               pairs: list | None = None, *, lmbda: float = 0.0, n: int | None = None
               ) -> Trial:
    """Train the user's object ``obj`` (a deep copy: it is changed) with its
    own code, as :func:`user_step` does, on the same mini-batches as
    :func:`train_reference` with the same ``seed``; measured by the
    reference's cost (``hidden``, ``cost``) of its weights on ``(X, Y)``.
    ``pairs``: the ``(x, y)`` pairs to train on instead of ``columns(X, Y)``
    (e.g. with the user's own label format).  ``lmbda`` and ``n`` as for
    :func:`train_reference`, given to an ``update_mini_batch`` that takes them."""
    pairs = columns(np.asarray(X, dtype=np.float64), Y) if pairs is None else pairs
    step = user_step(obj, eta, lmbda, n or len(X))
    return _trial(lambda rows: step([pairs[i] for i in rows]),
                  lambda: (obj.weights, obj.biases), np.asarray(X, dtype=np.float64), Y,
                  hidden, cost, batches(len(X), mini_batch_size, steps, seed))


def compare(fixed: Trial, theirs: Trial, fix: str, yours: str, eta: float,
            mini_batch_size: int, numbers: dict[str, Any] | None = None, *,
            must_beat: bool = True) -> Verification:
    """The :class:`Verification` of a fix: ``fixed`` (the copy with the fix)
    against ``theirs`` (the copy without), named ``fix`` and ``yours`` in the
    sentence.  It helped when the fixed copy learns (:attr:`Trial.learns`:
    its cost fell and its accuracy rose) and, with ``must_beat``, ended no
    higher than theirs.  A correction of the user's code need not beat a copy
    that does not learn (a missing ``/len(mini_batch)`` takes ``m`` times
    larger steps, whose cost can fall faster while every output collapses to
    0); when theirs learned and ended lower, the fix is not confirmed."""
    beats = not math.isfinite(theirs.end) or fixed.end <= theirs.end
    helped = fixed.learns and (beats or not (must_beat or theirs.learns))
    text = (f"{fix}, the cost went from {g(fixed.start)} to {fixed.ended()}"
            f"{fixed.accuracy_text()} in {fixed.steps} steps (eta={eta:g}, mini-batches of "
            f"{mini_batch_size}); {yours}, from {g(theirs.start)} to {theirs.ended()}"
            f"{theirs.accuracy_text()}")
    return Verification(text, helped, {
        "eta": eta, "steps": fixed.steps, "mini_batch_size": mini_batch_size,
        "fixed_start": fixed.start, "fixed_end": fixed.end, "yours_start": theirs.start,
        "yours_end": theirs.end, "yours_nan_after": theirs.nan_after,
        "fixed_accuracy": fixed.accuracy, "yours_accuracy": theirs.accuracy,
        "chance": fixed.chance, "fixed_learns": fixed.learns, "yours_learns": theirs.learns,
        **(numbers or {})})


def until_learns(train: Callable[[int], Trial]) -> tuple[Trial, int]:
    """``train(steps)`` for :data:`STEPS`, or again for :data:`LONG_STEPS`
    when that trial did not learn: the trial of a fix and its steps, which
    the trial without it then takes too."""
    trial = train(STEPS)
    return (trial, STEPS) if trial.learns else (train(LONG_STEPS), LONG_STEPS)


def fresh_draw(sizes: list[int], activation: str, cost: str, seed: int = 0) -> network.Network:
    """A fresh network of ``sizes`` drawn from the fan-scaled scheme for its
    activation: ``he_normal`` for ReLU, ``xavier_normal`` otherwise."""
    return network.Network(sizes, fan_scheme(activation), seed=seed, activation=activation,
                           cost=cost)
