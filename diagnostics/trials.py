"""diagnostics.trials
~~~~~~~~~~~~~~~~~~

One short training run of a copy, as every probe trains it: the sample split
into training rows in the user's order and a held-out part drawn at random
(:func:`split`), a run of the reference's update (``network.Network``'s fused
step) from given weights, and what it measured along the way (:class:`Run`):
the cost and the held-out accuracy, the share of saturated hidden units,
divergence, and each layer's update-to-weight ratio ``||dw|| / ||w||`` per
step (1e-4 to 1e-2, around 1e-3, is the usual band: Karpathy, "A Recipe for
Training Neural Networks", 2019).  A look is a few thousand examples
(:func:`look_steps`), whatever the mini-batch size.  Also the fresh
fan-scaled draw a fix is tried with, and the inputs standardised.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

import initializers
import network
from nndl import fused

from . import verify
from .adapter import Model
from .measures import cost_value, forward, predictions_of, saturated_fraction
from .schemes import fan_scheme

# Which code trained the probes' copies, said in the report beside what they
# measured (the user's own update runs only in cannot_overfit).
REFERENCE = "the reference's update"

# A look of the range test is sized by the examples it trains on, not by its
# mini-batches, so that every mini-batch size gets a comparable look: 3,000
# examples, 300 mini-batches of 10, take the book's [784, 30, 10] at eta = 3
# from 10 % to about 45 % held-out accuracy (randn) or 75 % (xavier_normal)
# in about 20 ms; mini-batches of 1 then take 3,000 steps (about 0.15 s, the
# most a look has, since a mini-batch holds at least one example).
LOOK = 3000

# A copy at the user's rate that has not learned in its look gets a longer
# one before the rate is blamed: the book's randn draws can sit on a plateau
# for a few hundred steps of 10 at eta = 3 (numpy's global seed 0: 12 % after
# 300 steps, 46 % after 600), and a slow start is not a wrong rate.
LOOK_LONG = 10_000

# ... but a look is at least this many steps: gradient descent learns by
# steps, and mini-batches as large as the sample's 800 training rows would
# make 3,000 examples 4 steps, in which no rate learns (measured, randn
# [784, 30, 10], 800 rows: at most 15 % in 30 steps, 38 % at eta = 10 in
# 100).  50 steps is one epoch of MNIST's 50,000 images in mini-batches of
# 1,000; 50 steps of 800 rows take about 0.15 s, so a range test at any
# mini-batch size takes seconds (it took 47 s at 1,000 with 300 steps).
MIN_STEPS = 50

MIN_STEPS_LONG = 150

# A copy "learned" when its held-out accuracy rose this far above always
# giving the most frequent label (10 classes: 11 % -> 21 %).  The book's
# network at eta = 1 gains 12 points in 300 steps, at eta = 1e-4 none.  The
# same measure as a verification trial's (diagnostics.verify).
LEARNED = verify.ACCURACY_GAIN

# The share of the sample held out to measure accuracy (drawn at random, so
# that data sorted by label still gives every class).
HOLD_OUT = 0.2

HOLD_OUT_MAX = 1000  # rows: the accuracy's sd is then at most 1.6 points

# Measure the update-to-weight ratio every this many steps (a norm of every
# weight matrix costs about as much as a step).
RATIO_EVERY = 10

# The usual healthy band of ||dw|| / ||w|| per step, for the text and plots.
RATIO_BAND = (1e-4, 1e-2)

@dataclass(frozen=True)
class Split:
    """The probe's data: training rows in the user's order, and a held-out part
    drawn at random.  ``X`` (n, n_in) float64, ``Y`` (n, n_out) targets,
    ``labels`` (n,) integers; ``chance`` is the held-out share of its most
    frequent label."""

    X: np.ndarray
    Y: np.ndarray
    labels: np.ndarray
    X_eval: np.ndarray
    Y_eval: np.ndarray
    labels_eval: np.ndarray
    chance: float


def split(X: np.ndarray, labels: np.ndarray, Y: np.ndarray, seed: int = 0) -> Split:
    """Hold out :data:`HOLD_OUT` of the rows, drawn with ``seed``; the others
    keep the user's order (their order is evidence).  Fewer than 50 rows: the
    same rows serve for both."""
    X = np.asarray(X, dtype=np.float64)
    n = len(X)
    if n < 50:
        held = np.arange(n)
        train = held
    else:
        size = min(int(n * HOLD_OUT), HOLD_OUT_MAX)
        held = np.sort(np.random.default_rng(seed).permutation(n)[:size])
        train = np.setdiff1d(np.arange(n), held)
    chance = float(np.bincount(labels[held]).max() / len(held))
    return Split(X[train], Y[train], labels[train], X[held], Y[held], labels[held], chance)


@dataclass
class Run:
    """One copy trained at rate ``eta``: ``steps[i]`` mini-batches done when the
    held-out ``costs[i]``, ``accuracy[i]`` and mean hidden ``saturated[i]``
    share were measured; ``ratios`` (checks, layers) the update-to-weight
    ratio ``||dw|| / ||w||`` per layer, every :data:`RATIO_EVERY` steps;
    ``diverged_at`` the step where the cost or a weight stopped being finite;
    ``planned`` the steps it was to train, ``held_out`` the examples its
    accuracy was measured on."""

    eta: float
    planned: int = 0
    held_out: int = 0
    steps: list[int] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    saturated: list[float] = field(default_factory=list)
    ratios: list[list[float]] = field(default_factory=list)
    diverged_at: int | None = None
    weights: list[np.ndarray] = field(default_factory=list, repr=False)
    biases: list[np.ndarray] = field(default_factory=list, repr=False)

    def gain(self, chance: float) -> float:
        """Held-out accuracy at the end above ``chance`` (-1 after divergence)."""
        return -1.0 if self.diverged_at is not None else self.accuracy[-1] - chance

    def learned(self, chance: float) -> bool:
        return self.gain(chance) >= LEARNED

    def accuracy_by(self, steps: int) -> float:
        """Held-out accuracy at the last measurement after at most ``steps``
        steps (0 after divergence there)."""
        done = [a for s, a in zip(self.steps, self.accuracy) if s <= steps]
        return 0.0 if self.diverged_at is not None and self.diverged_at <= steps else done[-1]

    def ratio(self) -> list[float]:
        """Each layer's median update-to-weight ratio over the run."""
        if not self.ratios:
            return []
        return [float(r) for r in np.nanmedian(np.array(self.ratios), axis=0)]

    def summary(self) -> str:
        """What happened, in words with the numbers."""
        if self.diverged_at is not None:
            return f"the cost was NaN or infinite after {self.diverged_at} steps"
        sat = (f", {self.saturated[-1]:.0%} of hidden (unit, example) pairs saturated (from "
               f"{self.saturated[0]:.0%})" if self.saturated[-1] > self.saturated[0] + 0.1
               else "")
        return (f"held-out accuracy went from {self.accuracy[0]:.0%} to {self.accuracy[-1]:.0%} "
                f"and the cost from {self.costs[0]:.3g} to {self.costs[-1]:.3g} in "
                f"{self.steps[-1]} steps{sat}")


def look_steps(m: int, rows: int, long: bool = False) -> int:
    """The steps of one look (``long``: the longer one) in mini-batches of
    ``m`` of ``rows`` training rows: :data:`LOOK` (:data:`LOOK_LONG`)
    examples, at least :data:`MIN_STEPS` (:data:`MIN_STEPS_LONG`) steps."""
    m = max(1, min(m, rows))
    examples, floor = (LOOK_LONG, MIN_STEPS_LONG) if long else (LOOK, MIN_STEPS)
    return max(floor, math.ceil(examples / m))


def copy_net(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], hidden: str,
             cost: str) -> network.Network:
    """A ``network.Network`` holding float64 copies of ``weights`` and
    ``biases`` (biases as columns), with ``hidden`` layers and ``cost``."""
    sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    net = network.Network(sizes, "zeros", seed=0, activation=hidden, cost=cost)
    net.weights = [np.array(w, dtype=np.float64) for w in weights]
    net.biases = [np.array(b, dtype=np.float64).reshape(-1, 1) for b in biases]
    return net


def measure_run(run: Run, step: int, net: network.Network, sample: Split, hidden: str,
                cost: str) -> bool:
    """Append the held-out figures after ``step`` steps; False once not finite."""
    zs, acts = forward(net.weights, net.biases, sample.X_eval, hidden, cost)
    c = cost_value(zs[-1], acts[-1], sample.Y_eval, cost)
    run.steps.append(step)
    run.costs.append(c)
    run.accuracy.append(float(np.mean(predictions_of(zs[-1]) == sample.labels_eval)))
    run.saturated.append(float(np.mean([saturated_fraction(z, hidden) for z in zs[:-1]]))
                         if len(zs) > 1 else 0.0)
    return math.isfinite(c) and all(np.isfinite(w).all() for w in net.weights)


def train(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], sample: Split,
          eta: float, *, hidden: str = "sigmoid", cost: str = "quadratic", m: int = 10,
          steps: int | None = None, shuffle: bool = True, seed: int = 0, checks: int = 12,
          X: np.ndarray | None = None, lmbda: float = 0.0, n: int | None = None) -> Run:
    """Train a copy of ``(weights, biases)`` for ``steps`` mini-batches of ``m``
    rows of ``sample`` (default: one look, :func:`look_steps`; ``X`` instead
    of its inputs, e.g. zeroed ones), at rate
    ``eta``, with the reference's update (``network.Network``'s step); in the
    sample's order when ``shuffle`` is false, else shuffled each pass with a
    generator seeded ``seed``.  With chapter 3's L2 term when ``lmbda > 0``:
    every step first shrinks the weights by :func:`decay` ``1 - eta lmbda / n``,
    ``n`` the user's training-set size (default the sample's rows), so that a
    copy decays per step as the user's network does.  Measures ``checks`` + 1
    times.  Returns the :class:`Run`; the arguments are not changed."""
    net = copy_net(weights, biases, hidden, cost)
    X = sample.X if X is None else np.asarray(X, dtype=np.float64)
    size, m = len(X), min(m, len(X))
    steps = look_steps(m, size) if steps is None else steps
    rng = np.random.default_rng(seed)
    plan = fused.plan(net)  # the fused step of network.py, without its per-call checks
    update = fused.update(net, decay(eta, lmbda, n or size))
    buffers = fused.buffers(plan, m, fuse=False)  # the gradients stay in update.buffers
    scale = np.array(eta / m)
    run = Run(eta, planned=steps, held_out=len(sample.labels_eval))
    every = max(1, steps // checks)
    with np.errstate(all="ignore"):  # divergence is measured, not warned about
        measure_run(run, 0, net, sample, hidden, cost)
        order, pos = (rng.permutation(size) if shuffle else np.arange(size)), 0
        for step in range(1, steps + 1):
            if pos + m > size:
                order, pos = (rng.permutation(size) if shuffle else np.arange(size)), 0
            rows = order[pos:pos + m]
            pos += m
            norms = ([np.linalg.norm(w) for w in net.weights] if step % RATIO_EVERY == 1
                     else None)
            np.take(X, rows, 0, buffers.X, "clip")
            fused.step(plan, update, buffers, sample.Y[rows], scale)
            if norms is not None:
                run.ratios.append([float(np.linalg.norm(d) / w) if w > 0 else math.nan
                                   for d, w in zip(update.buffers, norms)])
            if (step % every == 0 or step == steps) and not measure_run(
                    run, step, net, sample, hidden, cost):
                run.diverged_at = step
                break
    run.weights, run.biases = net.weights, net.biases
    return run


def decay(eta: float, lmbda: float, n: int) -> float:
    """Chapter 3's weight decay per step, ``1 - eta lmbda / n`` (``n`` training
    examples; 1 without L2): at most 0 the step zeroes or flips every weight
    before the gradient moves it."""
    return 1.0 - eta * lmbda / n if lmbda else 1.0


def fan_scaled(model: Model, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A fan-scaled draw (:func:`~diagnostics.schemes.fan_scheme`) for
    ``model``'s shapes, zero biases."""
    rng = np.random.default_rng(seed)
    scheme = initializers.SCHEMES[fan_scheme(model.activation)]
    weights = [scheme.weights(rng, w.shape, np.float64) for w in model.weights]
    return weights, [np.zeros_like(b) for b in model.biases]


def chance_cost(cost: str, n_out: int) -> float:
    """The cost of a network that knows nothing, per example: ln n for the
    log-likelihood (a uniform softmax); answering 0.5 on every sigmoid output
    for the others (quadratic n/8, cross-entropy n ln 2), against one-hot
    targets."""
    if cost == "log_likelihood":
        return math.log(n_out)
    return n_out * (math.log(2) if cost == "cross_entropy" else 0.125)


def standardized(X: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Each column of ``X`` shifted and scaled by the mean and sd of the same
    column of ``like`` (columns constant in ``like`` become 0): inputs at
    mean 0, sd 1 however they were shifted or scaled, so that a copy known to
    learn can show whether the labels follow the inputs (LeCun et al. 1998,
    "Efficient BackProp", section 4.3)."""
    mean, sd = like.mean(axis=0), like.std(axis=0)
    ok = np.isfinite(sd) & (sd > 0)
    return np.where(ok, (X - mean) / np.where(ok, sd, 1.0), 0.0)


def sized(model: Model, sizes: list[int]) -> Model:
    """``model`` with layers of ``sizes`` (zero parameters, for :func:`fan_scaled`)."""
    return model._replace(sizes=list(sizes),
                          weights=[np.zeros((y, x)) for x, y in zip(sizes[:-1], sizes[1:])],
                          biases=[np.zeros((y, 1)) for y in sizes[1:]])


def reference_rate(cost: str) -> float:
    """A rate at which a fan-scaled [784, 30, 10] learns fast with this cost
    (the range test's best, xavier_normal, seed 0)."""
    return {"quadratic": 3.0, "cross_entropy": 0.5, "log_likelihood": 0.3}[cost]
