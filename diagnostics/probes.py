"""diagnostics.probes
~~~~~~~~~~~~~~~~~~

Short training runs on copies of the network: what a snapshot of the weights
cannot show (the step size, whether the network can learn at all, whether the
labels belong to the inputs, whether the data is shuffled) shows up only when
something trains.  Each probe trains a copy and never the user's object, for
a look of a few thousand examples of the sample (:func:`look_steps`), and
measures: the cost and the held-out accuracy along the way, the share of
saturated hidden units, divergence, and each layer's update-to-weight ratio
``||dw|| / ||w||`` per step (1e-4 to 1e-2, around 1e-3, is the usual band:
Karpathy, "A Recipe for Training Neural Networks", 2019).

* :func:`range_test` trains one copy per learning rate, the user's and a grid
  around it (Smith 2017's range test, fastai's ``lr_find``);
* :func:`learning_rate` names ``learning_rate_too_large`` or
  ``learning_rate_too_small`` when other rates learn clearly more than the
  user's (beyond the held-out accuracy's noise), and gives the rate that
  worked best, with what it measured;
* :func:`revise` re-reads the snapshot's findings with that evidence: a
  network the probe shows learning is healthy unless a fan-scaled draw
  learns several times as much, and the initialization is blamed only when
  the weights look like a known bad scheme's draw *and* a fan-scaled draw
  learns where theirs does not;
* :func:`cost_at_start`, :func:`cannot_overfit`, :func:`labels_misaligned`
  and :func:`data_unshuffled` are the other checks of that recipe.

Every fix is tried on a copy before it is printed, and what was measured is
the finding's ``verified``.  Every random draw comes from a ``Generator``
seeded with ``seed``: a diagnosis repeats exactly on the same machine.
:func:`probe` runs them all.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

import initializers
import network
from nndl import fused

from . import inputs, verify
from .adapter import Model
from .findings import FINDINGS, Finding, Verification
from .measures import cost_value, forward, predictions_of, saturated_fraction

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
# The rates of the range test: half decades from 1e-3 to 100, where every
# cost and activation of the book and this project learns (measured), plus the
# user's own rate.
GRID = tuple(10 ** (k / 2) for k in range(-6, 5))
# A copy "learned" when its held-out accuracy rose this far above always
# giving the most frequent label (10 classes: 11 % -> 21 %).  The book's
# network at eta = 1 gains 12 points in 300 steps, at eta = 1e-4 none.  The
# same measure as a verification trial's (diagnostics.verify).
LEARNED = verify.ACCURACY_GAIN
# The share of the sample held out to measure accuracy (drawn at random, so
# that data sorted by label still gives every class).
HOLD_OUT = 0.2
# Unscaled inputs are an error (what stops learning, not what slows it) when
# the scaled copy's gain above chance is more than this many times the user's
# in the same steps.  Raw MNIST pixels in the book's network: 0.52 scaled
# against 0.20-0.24 as they are, a factor 3-5 whichever BLAS kernel rounds;
# the user's own gain sits near LEARNED, too near to decide on.
SCALING_STOPS = 2.0
HOLD_OUT_MAX = 1000  # rows: the accuracy's sd is then at most 1.6 points
# A rate is called too large or too small only when the rate suggested instead
# is at least this factor away.
RATE_FACTOR = 3.0
# Rates whose held-out accuracy is within this of the best rate's learned as
# well, for a suggestion: 3 points, about the spread of one short look's
# accuracy on 200 held-out examples over draws.
NEAR_BEST = 0.03
# Two held-out accuracies differ clearly when their gap is more than this
# many standard deviations of the difference of two binomial shares on the
# n held-out examples, sqrt((p1 (1 - p1) + p2 (1 - p2)) / n) (taken as
# independent, which overstates the noise of two scores of the same
# examples).  3: the largest of the range test's 11 other rates is compared
# with the user's, and a 5 % chance of a false alarm over 11 comparisons is
# z = 2.84 (Bonferroni, two-sided).  On 200 examples near 25 % that is 13
# points: [784, 2, 10]'s 28 % at eta = 31.6 against 20 % at eta = 3 is noise.
NOISE_SDS = 3.0
# Rates of the grid this close to the user's (relative) are the user's rate,
# and not trained twice (0.0316 typed, 10 ** -1.5 in the grid).
SAME_RATE = 0.01
# An init finding of a network that learns at its rate stays a warning or an
# error when a fan-scaled draw's gain above chance in its look is more than
# this many times the user's in at least as many steps (the user's copy gets
# the longer look): what stops learning, not what slows it.  Measured: the
# book's randn draw gains 56 points in 1,000 steps at eta = 3 against the
# fan-scaled draw's 71 in 300 (1.3 times), 28 against 68 at eta = 1 (2.4
# times: slower, and it reaches 80 % in an epoch); zeros weights 12 against
# 71 at eta = 3 (6 times: one distinct unit caps the network near 30 %).
DRAW_STOPS = 3.0
# Measure the update-to-weight ratio every this many steps (a norm of every
# weight matrix costs about as much as a step).
RATIO_EVERY = 10
# The usual healthy band of ||dw|| / ||w|| per step, for the text and plots.
RATIO_BAND = (1e-4, 1e-2)
# Starting cost far from chance: more than this many times the cost of
# answering chance (ln n for softmax, 0.5 everywhere for sigmoid outputs).
# The book's randn draw starts at 1.8 times (seed 0), np.random.rand at 3.6.
START_FACTOR = 2.0
# cannot_overfit: so many examples, so many steps, and "near zero" as a share
# of the cost of knowing nothing (chance_cost: quadratic 1.25 for 10 outputs,
# so 0.25; answering 0 everywhere costs 0.5).  The book's [784, 30, 10] at
# eta = 3 memorises 20 MNIST images to 0.13 in 300 steps.
OVERFIT_EXAMPLES = 20
OVERFIT_STEPS = 300
OVERFIT_LEFT = 0.2
# data_unshuffled trains one pass in the user's order, at most this many steps.
ORDERED_STEPS = 1000
# Labels: a cyclic shift or permutation is named when it explains at least
# this share of the labels, with a chance-corrected agreement (Cohen's kappa)
# at least PERMUTATION_KAPPA and 0.1 above the identity's.  Shifted
# labels in a trained network: kappa about 0.9 against 0; answers that ignore
# the inputs: about 0 whatever the labels' classes.
PERMUTATION_SHARE = 0.5
PERMUTATION_KAPPA = 0.4
# The user's images are MNIST's when their mean image correlates with MNIST's
# above this (see looks_like_mnist); then the reference classifier's answers
# are trusted to judge each label.
MNIST_LIKE = 0.98
# labels_noisy: the reference agrees with the labels this much less than with
# MNIST's own (88 %): about 10 % of the labels wrong.  The agreement's sd on
# 1,000 examples is 1 point.
NOISY_DROP = 0.08
# ... and its answers are listed as examples when this confident.
CONFIDENT = 0.95
# Below this kappa the reference's answers and the labels are all but
# unrelated (81 % of the labels shuffled: 0.17): the labels may be moved as a
# whole, which _unrelated tries to undo.
UNRELATED_KAPPA = 0.2
# Data sorted by label: consecutive equal labels this often (shuffled MNIST:
# 10 %) and at least three times as often as chance would give.
SORTED_SHARE = 0.5


# --------------------------------------------------------------------------
# The sample and one training run
# --------------------------------------------------------------------------


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


def _copy_net(weights, biases, hidden: str, cost: str) -> network.Network:
    sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    net = network.Network(sizes, "zeros", seed=0, activation=hidden, cost=cost)
    net.weights = [np.array(w, dtype=np.float64) for w in weights]
    net.biases = [np.array(b, dtype=np.float64).reshape(-1, 1) for b in biases]
    return net


def _measure(run: Run, step: int, net: network.Network, sample: Split, hidden: str,
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
          X: np.ndarray | None = None) -> Run:
    """Train a copy of ``(weights, biases)`` for ``steps`` mini-batches of ``m``
    rows of ``sample`` (default: one look, :func:`look_steps`; ``X`` instead
    of its inputs, e.g. zeroed ones), at rate
    ``eta``, with the reference's update (``network.Network``'s step); in the
    sample's order when ``shuffle`` is false, else shuffled each pass with a
    generator seeded ``seed``.  Measures ``checks`` + 1 times.  Returns the
    :class:`Run`; the arguments are not changed."""
    net = _copy_net(weights, biases, hidden, cost)
    X = sample.X if X is None else np.asarray(X, dtype=np.float64)
    n, m = len(X), min(m, len(X))
    steps = look_steps(m, n) if steps is None else steps
    rng = np.random.default_rng(seed)
    plan = fused.plan(net)  # the fused step of network.py, without its per-call checks
    update = fused.update(net, 1.0)
    scale = np.array(eta / m)
    run = Run(eta, planned=steps, held_out=len(sample.labels_eval))
    every = max(1, steps // checks)
    with np.errstate(all="ignore"):  # divergence is measured, not warned about
        _measure(run, 0, net, sample, hidden, cost)
        order, pos = (rng.permutation(n) if shuffle else np.arange(n)), 0
        for step in range(1, steps + 1):
            if pos + m > n:
                order, pos = (rng.permutation(n) if shuffle else np.arange(n)), 0
            rows = order[pos:pos + m]
            pos += m
            norms = ([np.linalg.norm(w) for w in net.weights] if step % RATIO_EVERY == 1
                     else None)
            fused.backprop(plan, X[rows], sample.Y[rows], scale, update)
            if norms is not None:
                run.ratios.append([float(np.linalg.norm(d) / w) if w > 0 else math.nan
                                   for d, w in zip(update.buffers, norms)])
            if (step % every == 0 or step == steps) and not _measure(
                    run, step, net, sample, hidden, cost):
                run.diverged_at = step
                break
    run.weights, run.biases = net.weights, net.biases
    return run


# --------------------------------------------------------------------------
# The learning rate
# --------------------------------------------------------------------------


def range_test(model: Model, sample: Split, eta: float, m: int = 10, seed: int = 0,
               steps: int | None = None) -> dict[float, Run]:
    """One copy of ``model`` trained per rate of :data:`GRID` and at ``eta``
    (the same mini-batches for every rate; a grid rate within
    :data:`SAME_RATE` of ``eta`` is ``eta``), by rate, with the reference's
    update, for ``steps`` (default one look, :func:`look_steps`).  A copy
    that has not learned and shows no overshoot (divergence, a rising cost,
    growing saturation) gets the longer look when it is the user's rate, or
    when it lies between a tenth of the smallest rate that learned and the
    largest one: a copy on a plateau is not a wrong rate, and the rates
    beside those that learned are the ones a plateau hides."""
    kw = dict(hidden=model.activation, cost=model.cost, m=m, seed=seed)
    rates = {r for r in GRID if abs(math.log(r / eta)) > SAME_RATE} | {float(eta)}
    runs = {r: train(model.weights, model.biases, sample, r, steps=steps, **kw)
            for r in sorted(rates)}
    long = look_steps(m, len(sample.X), long=True)
    if runs[float(eta)].planned >= long:
        return runs
    longer = {float(eta)}
    learned = [r for r, run in runs.items() if run.learned(sample.chance)]
    if learned:
        longer |= {r for r in runs if min(learned) / 10 <= r <= max(learned)}
    for r in sorted(longer):
        if not runs[r].learned(sample.chance) and not _overshoots(runs[r]):
            runs[r] = train(model.weights, model.biases, sample, r, steps=long, **kw)
    return runs


def _look(runs: dict[float, Run]) -> int:
    """The steps of the range test's short look (the fewest any copy planned)."""
    return min(run.planned for run in runs.values())


def _overshoots(run: Run) -> bool:
    """The run diverged, its cost rose or its hidden units saturated."""
    return (run.diverged_at is not None or run.costs[-1] > run.costs[0]
            or run.saturated[-1] > run.saturated[0] + 0.1)


def learned_rates(runs: dict[float, Run], chance: float) -> list[float]:
    """The rates whose copy learned, in its look or its longer look."""
    return sorted(r for r, run in runs.items() if run.learned(chance))


def best_rate(runs: dict[float, Run], chance: float) -> float | None:
    """The rate to suggest: among the rates that learned (each in its own look,
    or, near the user's, the longer look), the smallest whose held-out
    accuracy is within :data:`NEAR_BEST` of the best one's; None if none
    learned.  The smallest of the near-best, because a short look favours
    large rates; never one far below a rate the same test shows learning
    better (a rate at the edge of the learned range can learn much less)."""
    learned = learned_rates(runs, chance)
    if not learned:
        return None
    top = max(runs[r].accuracy[-1] for r in learned)
    return min(r for r in learned if runs[r].accuracy[-1] >= top - NEAR_BEST)


def fastest_rate(runs: dict[float, Run], chance: float) -> float | None:
    """Among the copies that learned in the short look, the smallest rate
    whose held-out accuracy is within 3 points of the best one's: where an
    effect on learning (the data's order) shows most in a short run.  None if
    no copy learned in that many steps."""
    learned = [r for r, run in runs.items()
               if run.learned(chance) and run.steps[-1] <= _look(runs)]
    if not learned:
        return None
    top = max(runs[r].accuracy[-1] for r in learned)
    return min(r for r in learned if runs[r].accuracy[-1] >= top - NEAR_BEST)


def noise_margin(p: float, q: float, n: int) -> float:
    """The gap two held-out accuracies ``p`` and ``q`` on ``n`` examples must
    exceed to differ clearly: :data:`NOISE_SDS` binomial standard deviations
    of their difference."""
    return NOISE_SDS * math.sqrt((p * (1 - p) + q * (1 - q)) / max(n, 1))


def clearly_better(run: Run, yours: Run) -> bool:
    """``run`` learned clearly more than ``yours`` (beyond
    :func:`noise_margin`) in at most as many steps as ``yours`` had; in any
    number when ``yours`` overshoots (diverged, its cost rose or its units
    saturated: more steps do not undo that)."""
    theirs = run.accuracy[-1] if _overshoots(yours) else run.accuracy_by(yours.steps[-1])
    mine = yours.accuracy[-1]
    return theirs - mine > noise_margin(theirs, mine, yours.held_out)


def learning_rate(runs: dict[float, Run], eta: float, chance: float) -> list[Finding]:
    """``learning_rate_too_large`` / ``_too_small`` from a :func:`range_test`:
    rates that learned clearly more than the user's (:func:`clearly_better`,
    beyond the held-out accuracy's noise) are all smaller / larger, the
    suggested one at least :data:`RATE_FACTOR` times; the fix is the rates
    that learned and the smallest of those that learned about as well as the
    best of them, with what it measured.

    An error when the user's run did not learn and shows why (too large: it
    diverged, its saturation grew, its cost rose or its first steps were
    above the band of the update-to-weight ratio; too small: every layer's
    ratio below the band); else a warning: a copy that learns, only less, or
    one on a plateau that may still leave it later."""
    yours = runs[float(eta)]
    better = [r for r in sorted(runs) if runs[r].learned(chance) and r != float(eta)
              and clearly_better(runs[r], yours)]
    if not better:
        return []
    top = max(runs[r].accuracy[-1] for r in better)
    best = min(r for r in better if runs[r].accuracy[-1] >= top - NEAR_BEST)
    if best <= eta / RATE_FACTOR and better[-1] < eta:
        name, (why, sure) = "learning_rate_too_large", _too_large_why(yours)
    elif best >= eta * RATE_FACTOR and better[0] > eta:
        name, (why, sure) = "learning_rate_too_small", _too_small_why(yours)
    else:
        return []
    sure = sure and not yours.learned(chance)
    message = _rate_message(runs, eta, why, learned_rates(runs, chance))
    return [Finding(name, "error" if sure else "warning", message, _rate_fix(best, better),
                    evidence=_evidence(runs, eta, chance),
                    verified=_rate_verified(runs, eta, best, better, chance))]


def _rate_message(runs: dict[float, Run], eta: float, why: str, learned: list[float]) -> str:
    yours, tried = runs[float(eta)], sorted(runs)
    look, long = _look(runs), max(run.planned for run in runs.values())
    return (f"at your eta={eta:.3g}, {yours.summary()}: {why}. A range test of copies at "
            f"{len(tried)} rates from {tried[0]:.3g} to {tried[-1]:.3g} ({REFERENCE} from "
            f"your weights, {look} mini-batches each" + (
                f", {long} for those beside the rates that learned" if long > look else "")
            + f") learned at {_rates(learned, runs)}")


def _rate_verified(runs: dict[float, Run], eta: float, best: float, better: list[float],
                   chance: float) -> Verification:
    """The suggested rate's run against the user's: it learned more than the
    held-out accuracy's noise (the reason it is suggested); ``rates_learned``
    are the rates that learned clearly more than the user's (``better``)."""
    yours, fixed = runs[float(eta)], runs[best]
    margin = noise_margin(fixed.accuracy[-1], yours.accuracy[-1], yours.held_out)
    return Verification(
        f"with eta={best:.3g} ({REFERENCE}) the {fixed.summary()}; with yours, {eta:.3g}, "
        f"{yours.summary()} (on {yours.held_out} held-out examples, a difference above "
        f"{margin:.0%} is more than noise)", True,
        {"eta": eta, "best_eta": best, "rates_learned": better,
         "accuracy": fixed.accuracy[-1], "your_accuracy": yours.accuracy[-1],
         "cost": fixed.costs[-1], "your_cost": yours.costs[-1], "margin": margin,
         "chance": chance})


def _rate_fix(best: float, better: list[float]) -> str:
    """The fix: the rates that learned clearly more than the user's, and the
    one to start at."""
    if len(better) == 1:
        return (f"train with eta={best:.3g}, the one rate that learned clearly more than yours "
                f"in the probe (a short look: rates beside it may learn in a longer run)")
    return (f"train with a rate from {better[0]:.3g} to {better[-1]:.3g}, the rates that "
            f"learned clearly more than yours; start at eta={best:.3g}, the smallest that "
            f"learned about as well as the best (a short run favours large rates)")


def _too_large_why(run: Run) -> tuple[str, bool]:
    """Why the steps are too large, in words, and whether the run shows it."""
    first = run.ratios[0][0] if run.ratios else math.nan
    parts = []
    if run.diverged_at is not None:
        parts.append("the steps overshoot until the numbers overflow")
    if run.saturated[-1] > run.saturated[0] + 0.1:
        parts.append("the steps push the hidden units into saturation, where they stop "
                     "learning")
    if run.costs[-1] > run.costs[0]:
        parts.append("the cost rose")
    if first > RATIO_BAND[1]:
        parts.append(f"the first step changed the first layer's weights by {first:.2g} of "
                     f"their norm, {_band_words(first)}")
    return "; ".join(parts) or "smaller rates learned clearly more", bool(parts)


def _too_small_why(run: Run) -> tuple[str, bool]:
    """Why the steps are too small, in words, and whether the run shows it."""
    ratio = run.ratio()
    text = ", ".join(f"{r:.2g}" for r in ratio)
    if ratio and max(ratio) < RATIO_BAND[0]:
        return (f"each step changes the weights by only {text} of their norm (layer by "
                f"layer), {_band_words(max(ratio))}, so in {run.steps[-1]} steps they "
                f"hardly move"), True
    return (f"its update-to-weight ratio per layer is "
            f"{', '.join(f'{r:.2g} ({_band_words(r)})' for r in ratio)}, and in "
            f"{run.steps[-1]} steps larger rates learned clearly more"), False


def _band_words(ratio: float) -> str:
    """Where an update-to-weight ratio lies against :data:`RATIO_BAND`."""
    low, high = RATIO_BAND
    where = "below" if ratio < low else "above" if ratio > high else "in"
    return f"{where} the usual band, {low:g} to {high:g}"


def _rates(rates: list[float], runs: dict[float, Run] | None = None) -> str:
    """``eta=a`` or ``eta=a to b``; with ``runs``, the step count of each end
    that trained longer than the short look."""
    if not rates:
        return "no rate"

    def one(r: float) -> str:
        longer = runs is not None and runs[r].steps[-1] > _look(runs)
        return f"{r:.3g}" + (f" (in {runs[r].steps[-1]} steps)" if longer else "")

    return f"eta={one(rates[0])}" if len(rates) == 1 else \
        f"eta={one(rates[0])} to {one(rates[-1])}"


def _evidence(runs: dict[float, Run], eta: float, chance: float) -> dict:
    return {"eta": eta, "chance": chance, "steps": _look(runs),
            "rates": sorted(runs),
            "final_accuracy": [runs[r].accuracy[-1] for r in sorted(runs)],
            "final_cost": [runs[r].costs[-1] for r in sorted(runs)],
            "diverged_at": [runs[r].diverged_at for r in sorted(runs)],
            "update_ratio": [runs[r].ratio() for r in sorted(runs)],
            "saturated": [runs[r].saturated[-1] for r in sorted(runs)]}


# --------------------------------------------------------------------------
# The snapshot's findings, re-read with what the probes measured
# --------------------------------------------------------------------------

# Findings whose fix is a new initial draw (the snapshot's "why").
INIT_FINDINGS = ("symmetry", "saturation", "dead_units", "exploding_gradient",
                 "vanishing_gradient", "output_collapse", "output_saturation")
# Schemes whose draw is known to stop or slow a sigmoid network of MNIST's
# fan-in (identify_scheme's names).
BAD_SCHEMES = ("rand", "zeros", "randn")


def fan_scaled(model: Model, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A fan-scaled draw for ``model``'s shapes, zero biases: ``he_normal`` for
    ReLU layers, else ``xavier_normal``."""
    name = "he_normal" if model.activation == "relu" else "xavier_normal"
    rng = np.random.default_rng(seed)
    scheme = initializers.SCHEMES[name]
    weights = [scheme.weights(rng, w.shape, np.float64) for w in model.weights]
    return weights, [np.zeros_like(b) for b in model.biases]


def verdict_rate(runs: dict[float, Run], eta: float, chance: float) -> float:
    """The rate the other verdicts train at: the one :func:`learning_rate`
    suggests when it names the user's rate, else the user's when it learned
    (or none did), else the probe's best: a draw is judged at a rate that
    learns, not at one that stops any draw."""
    named = learning_rate(runs, eta, chance)
    if named:
        return named[0].verified.numbers["best_eta"]
    best = best_rate(runs, chance)
    return eta if runs[float(eta)].learned(chance) or best is None else best


def revise(findings: list[Finding], model: Model, sample: Split, eta: float,
           runs: dict[float, Run], schemes: list[list[str]], m: int = 10,
           seed: int = 0) -> list[Finding]:
    """The snapshot's ``findings`` re-read with the probes' evidence, at
    :func:`verdict_rate`, against a fan-scaled draw trained alike; only the
    findings whose fix is that draw (:func:`_tries`) get its run as their
    verification.

    * The copy learned: a finding is "info" (what was measured, and how much
      faster the draw learned), unless the draw's gain above chance is more
      than :data:`DRAW_STOPS` times the copy's, beyond the noise, in no more
      steps (the copy gets the longer look): then it stops learning and
      keeps its severity.
    * It did not: a finding keeps its fix only when the weights look like a
      draw of a known bad scheme (``schemes``: identify_scheme's names per
      layer) *and* the fan-scaled draw learns; otherwise the fix is marked
      unconfirmed, saying why.
    """
    if not any(f.name in INIT_FINDINGS for f in findings):
        return findings
    rate = verdict_rate(runs, eta, sample.chance)
    yours = runs[float(rate)]
    w, b = fan_scaled(model, seed)
    kw = dict(hidden=model.activation, cost=model.cost, m=m, seed=seed)
    scaled = train(w, b, sample, rate, **kw)
    long = look_steps(m, len(sample.X), long=True)
    if yours.learned(sample.chance) and yours.planned < long and clearly_better(scaled, yours):
        yours = train(model.weights, model.biases, sample, rate, steps=long, **kw)
    name = "he_normal" if model.activation == "relu" else "xavier_normal"
    out = []
    for f in findings:
        tried = scaled if _tries(f, name) else None
        if f.name not in INIT_FINDINGS:
            out.append(f)
        elif yours.learned(sample.chance):
            out.append(_learns_anyway(f, yours, tried, rate, sample.chance))
        else:
            out.append(_blame_init(f, yours, tried, rate, schemes, sample.chance))
    return out


def _tries(f: Finding, scheme: str) -> bool:
    """The finding's fix is the draw the probe trains (``init="scheme"``, the
    fan-scaled scheme for its activation), not another activation, fewer
    layers, scaled inputs or zero biases alone."""
    return f'init="{scheme}"' in f.fix and "activation=" not in f.fix


def _draw_verified(scaled: Run, yours: Run, eta: float, helped: bool,
                   chance: float) -> Verification:
    return Verification(
        f"with a fan-scaled draw (zero biases) at eta={eta:.3g} the {scaled.summary()}; with "
        f"your weights the {yours.summary()} (both with {REFERENCE})", helped,
        {"accuracy": scaled.accuracy[-1], "your_accuracy": yours.accuracy[-1],
         "chance": chance})


def _learns_anyway(f: Finding, yours: Run, scaled: Run | None, eta: float,
                   chance: float) -> Finding:
    """An init finding of a copy that learned at ``eta``: "info", unless the
    draw that is its fix (``scaled``, None when the probe did not try its
    fix) gains more than :data:`DRAW_STOPS` times as much, clearly."""
    run = f"at eta={eta:.3g}, with {REFERENCE}, its {yours.summary()}"
    if scaled is None:
        return replace(f, severity="info", message=f"{_stop(f.message)} The probe shows the "
                       f"network learns anyway: {run}.", fix=f"nothing needs fixing: the network "
                       f"learns (the snapshot's suggestion, not tried by the probe: {f.fix})")
    faster = clearly_better(scaled, yours)
    stops = faster and scaled.gain(chance) > DRAW_STOPS * yours.gain(chance)
    verified = _draw_verified(scaled, yours, eta, faster, chance)
    if stops:
        return replace(f, message=f"{_stop(f.message)} The probe shows the network learning "
                       f"only a little: {run}, while a fan-scaled draw gains more than "
                       f"{DRAW_STOPS:g} times as much above chance in no more steps.",
                       verified=verified)
    fix = (f"nothing needs fixing; a fan-scaled draw learns faster (measured below): {f.fix}"
           if faster else "nothing needs fixing: the network learns")
    return replace(f, severity="info", message=f"{_stop(f.message)} The probe shows the "
                   f"network learns anyway: {run}.", fix=fix, verified=verified)


def _stop(message: str) -> str:
    """``message`` ending with a full stop, for a sentence to follow."""
    return message if message.endswith(".") else message + "."


def _blame_init(f: Finding, yours: Run, scaled: Run | None, eta: float,
                schemes: list[list[str]], chance: float) -> Finding:
    """An init finding of a copy that did not learn: its fix stands when the
    weights look like a known bad scheme's draw and the draw that is its fix
    (``scaled``) learned."""
    if scaled is None and "(above)" in f.fix:
        return f  # its fix is another finding's, which is judged on its own
    layer_schemes = schemes[(f.layer or 1) - 1] if schemes else []
    drawn_badly = any(name in BAD_SCHEMES for name in layer_schemes)
    verified = None if scaled is None else _draw_verified(
        scaled, yours, eta, scaled.learned(chance), chance)
    if verified is not None and verified.helped and drawn_badly:
        return replace(f, verified=verified)
    if scaled is None:
        why = "its fix is not the fan-scaled draw the probe tries"
    elif drawn_badly:
        why = "a fan-scaled draw did not learn either"
    elif layer_schemes:
        why = (f"your weights look like a {layer_schemes[0]} draw, a known scheme that does "
               f"not stop learning ({', '.join(BAD_SCHEMES)} do)")
    else:
        why = "your weights do not look like an initial draw of a known scheme (trained?)"
    return replace(f, fix=f"not confirmed by the probe ({why}); the snapshot suggests: "
                          f"{f.fix}", verified=verified)


# --------------------------------------------------------------------------
# The recipe's checks
# --------------------------------------------------------------------------


def chance_cost(cost: str, n_out: int) -> float:
    """The cost of a network that knows nothing, per example: ln n for the
    log-likelihood (a uniform softmax); answering 0.5 on every sigmoid output
    for the others (quadratic n/8, cross-entropy n ln 2), against one-hot
    targets."""
    if cost == "log_likelihood":
        return math.log(n_out)
    return n_out * (math.log(2) if cost == "cross_entropy" else 0.125)


def cost_at_start(model: Model, sample: Split, seed: int = 0) -> list[Finding]:
    """The starting held-out cost more than :data:`START_FACTOR` times
    :func:`chance_cost`: the outputs start confidently wrong.  The fix, a
    fan-scaled draw with zero biases, is measured on the same examples."""
    with np.errstate(all="ignore"):
        zs, acts = forward(model.weights, model.biases, sample.X_eval, model.activation, model.cost)
        start = cost_value(zs[-1], acts[-1], sample.Y_eval, model.cost)
        chance = chance_cost(model.cost, sample.Y.shape[1])
        if not start > START_FACTOR * chance:  # NaN is non_finite's
            return []
        w, b = fan_scaled(model, seed)
        zs, acts = forward(w, b, sample.X_eval, model.activation, model.cost)
        fixed = cost_value(zs[-1], acts[-1], sample.Y_eval, model.cost)
    return [Finding(
        "cost_at_start", "warning",
        f"the cost starts at {start:.3g}, {start / chance:.1f} times the {chance:.3g} of a "
        f"network that knows nothing ({_chance_words(model.cost)}): the outputs start "
        f"confidently wrong, and the first steps go to undoing that",
        "start from a fan-scaled draw with zero biases (at least in the output layer)",
        layer=len(model.weights), evidence={"cost_start": start, "chance_cost": chance},
        verified=Verification(
            f"a fan-scaled draw with zero biases starts at cost {fixed:.3g} on the same "
            f"examples (yours: {start:.3g})", fixed < start, {"cost_start": fixed}))]


def _learns_anyway_start(f: Finding, yours: Run) -> Finding:
    """``cost_at_start`` of a network the probe shows learning at its rate:
    what to know, not what stops it."""
    return replace(f, severity="info", message=f"{f.message}. The probe shows the network "
                   f"learns anyway: at eta={yours.eta:.3g}, with {REFERENCE}, its "
                   f"{yours.summary()}")


def _chance_words(cost: str) -> str:
    return ("a uniform softmax, ln n" if cost == "log_likelihood"
            else "answering 0.5 on every output")


def _tiny(sample: Split, k: int = OVERFIT_EXAMPLES) -> Split:
    """``k`` training rows (the first ones), which are also the held-out ones:
    can the network memorise them?"""
    X, Y, labels = sample.X[:k], sample.Y[:k], sample.labels[:k]
    chance = float(np.bincount(labels).max() / len(labels))
    return Split(X, Y, labels, X, Y, labels, chance)


def cannot_overfit(model: Model, sample: Split, eta: float, m: int = 10,
                   user: object | None = None, seed: int = 0) -> list[Finding]:
    """Train on :data:`OVERFIT_EXAMPLES` examples for :data:`OVERFIT_STEPS`
    mini-batches, at ``eta``: a working update drives their cost near zero
    (below :data:`OVERFIT_LEFT` of where it started).  With the user's own
    ``update_mini_batch`` (``user``, run on a deep copy) and with the
    reference's; a gap between the two is a bug in the user's update; both
    stuck, also at the best of :data:`GRID`, is too little capacity."""
    tiny = _tiny(sample)
    kw = dict(hidden=model.activation, cost=model.cost, m=m, steps=OVERFIT_STEPS, seed=seed)
    ref = train(model.weights, model.biases, tiny, eta, **kw)
    theirs = _user_overfit(user, model, tiny, eta, m, seed) if user is not None else None
    if theirs is not None and _memorised(ref, model) and not _memorised(theirs, model):
        return [Finding(
            "cannot_overfit", "error",
            f"your update_mini_batch (your own code on a copy, with the methods it calls) "
            f"cannot memorise {len(tiny.X)} examples: in {OVERFIT_STEPS} steps at "
            f"eta={eta:.3g} the cost went from {theirs.costs[0]:.3g} to "
            f"{theirs.costs[-1]:.3g} (accuracy on them {theirs.accuracy[-1]:.0%})",
            "fix your update_mini_batch or a method it calls (a finding above names it when "
            "it was found): the reference's update (network.Network's) memorises them",
            evidence={"your_cost": theirs.costs, "reference_cost": ref.costs},
            verified=Verification(
                f"with the reference's update from the same weights the cost fell from "
                f"{ref.costs[0]:.3g} to {ref.costs[-1]:.3g} (accuracy "
                f"{ref.accuracy[-1]:.0%})", True, {"cost": ref.costs[-1]}))]
    if _memorised(ref, model):
        return []
    w, b = fan_scaled(model, seed)
    for r in sorted(GRID, key=lambda r: abs(math.log(r / eta))):  # nearest rates first
        if _memorised(train(model.weights, model.biases, tiny, r, **kw), model) or \
                _memorised(train(w, b, tiny, r, **kw), model):
            return []  # the rate's or the draw's problem, which their findings name
    return [_stuck(model, sample, ref, eta, kw, seed)]


def _stuck(model: Model, sample: Split, ref: Run, eta: float, kw: dict, seed: int) -> Finding:
    """``cannot_overfit`` when no rate and no draw memorises the examples:
    too little capacity only if a copy with every hidden layer four times as
    wide (at least 100 units) memorises them *and* learns on the whole
    sample clearly better than the user's weights at that rate, else the
    inputs, the labels or the gradient."""
    tiny = _tiny(sample)
    wide = [model.sizes[0]] + [max(4 * n, 100) for n in model.sizes[1:-1]] + [model.sizes[-1]]
    w, b = fan_scaled(sized(model, wide), seed)
    rate = next((r for r in (eta, *GRID[::2]) if _memorised(train(w, b, tiny, r, **kw), model)),
                None)
    stuck = (f"neither these weights nor a fan-scaled draw of the same sizes, at any rate from "
             f"{GRID[0]:.3g} to {GRID[-1]:.3g}, drives the cost of {len(tiny.X)} examples below "
             f"{OVERFIT_LEFT * chance_cost(model.cost, model.sizes[-1]):.3g} in {OVERFIT_STEPS} "
             f"steps (at eta={eta:.3g}: {ref.costs[0]:.3g} to {ref.costs[-1]:.3g})")
    if rate is not None:
        kw = {**kw, "steps": look_steps(kw["m"], len(sample.X))}
        wider, theirs = train(w, b, sample, rate, **kw), train(model.weights, model.biases,
                                                                sample, rate, **kw)
        if wider.learned(sample.chance) and wider.accuracy[-1] > theirs.accuracy[-1] + LEARNED:
            return Finding(
                "cannot_overfit", "warning", f"{stuck}: the network has too little capacity",
                f"widen the hidden layers (e.g. sizes {wide})", evidence={"cost": ref.costs[-1]},
                verified=Verification(
                    f"a fan-scaled draw with sizes {wide} memorised them at eta={rate:.3g}, and "
                    f"on the sample its {wider.summary()}; with your weights, the "
                    f"{theirs.summary()}", True, {"sizes": wide, "accuracy": wider.accuracy[-1]}))
    return Finding(
        "cannot_overfit", "warning",
        f"{stuck}, and a copy with sizes {wide} does no better on the sample: not the width; "
        f"memorising a few examples fails when the inputs tell them apart too little, the "
        f"labels contradict them, or no gradient reaches the first layers (a finding above "
        f"may name which)",
        f"look at the findings above, then at the first {len(tiny.X)} examples and their "
        f"labels as the network gets them (X[:{len(tiny.X)}], y[:{len(tiny.X)}])",
        evidence={"cost": ref.costs[-1]})


def _memorised(run: Run, model: Model) -> bool:
    """The run's cost ended below :data:`OVERFIT_LEFT` of knowing nothing."""
    limit = OVERFIT_LEFT * chance_cost(model.cost, model.sizes[-1])
    return run.diverged_at is None and run.costs[-1] <= limit


def _user_overfit(user: object, model: Model, tiny: Split, eta: float, m: int,
                  seed: int) -> Run | None:
    """The user's own ``update_mini_batch`` on a deep copy, the book's way:
    a list of ``(x, y)`` columns per mini-batch (with chapter 3's ``lmbda``
    and ``n`` when it takes them, :func:`diagnostics.verify.call_update`).
    None if it has none or it raises (the user-code checks report that)."""
    if not callable(getattr(user, "update_mini_batch", None)):
        return None
    net = copy.deepcopy(user)
    pairs = verify.columns(tiny.X, tiny.Y)
    rng = np.random.default_rng(seed)
    run = Run(eta)
    ref = _copy_net(net.weights, net.biases, model.activation, model.cost)
    every = OVERFIT_STEPS // 4
    try:
        with np.errstate(all="ignore"):
            _measure(run, 0, ref, tiny, model.activation, model.cost)
            for step in range(1, OVERFIT_STEPS + 1):
                rows = rng.permutation(len(pairs))[:m]
                verify.call_update(net.update_mini_batch, [pairs[i] for i in rows], eta)
                if step % every == 0:
                    ref = _copy_net(net.weights, net.biases, model.activation, model.cost)
                    if not _measure(run, step, ref, tiny, model.activation, model.cost):
                        run.diverged_at = step
                        break
    except Exception:  # noqa: BLE001  (their code's error is the user-code checks' finding)
        return None
    return run


def label_permutation(predicted: np.ndarray, labels: np.ndarray, n_out: int
                      ) -> tuple[int | None, dict[int, int] | None, float, float]:
    """How ``labels`` relate to ``predicted`` (a reference's answers for the
    same inputs): ``(shift, mapping, share, identity)``.  ``shift`` s when
    ``labels == (predicted + s) % n_out`` explains at least
    :data:`PERMUTATION_SHARE` of them and clearly more than the identity;
    ``mapping`` {predicted: label} when another permutation does; ``share``
    the share it explains, ``identity`` the identity's.

    "Clearly more" is measured beyond chance, as Cohen's kappa (Cohen 1960):
    answers that ignore the inputs agree with a relabelling as often as their
    frequencies alone make them (an untrained network answering 4 half the
    time "agrees" with half of labels that are all 3 after 4 -> 3).  A
    relabelling is named when its kappa is at least :data:`PERMUTATION_KAPPA`
    and 0.1 above the identity's (two classes swapped: 1.0 against 0.78)."""
    p_answer = np.bincount(predicted, minlength=n_out)[:n_out] / len(labels)
    p_label = np.bincount(labels, minlength=n_out)[:n_out] / len(labels)
    identity = float(np.mean(predicted == labels))
    base = _kappa(identity, p_answer, p_label, np.arange(n_out))
    shares = [float(np.mean((predicted + s) % n_out == labels)) for s in range(n_out)]
    s = int(np.argmax(shares[1:])) + 1
    if _named(shares[s], _kappa(shares[s], p_answer, p_label, (np.arange(n_out) + s) % n_out),
              base):
        return s, None, shares[s], identity
    confusion = np.zeros((n_out, n_out), dtype=np.intp)
    np.add.at(confusion, (predicted, labels), 1)
    mapping = _matching(confusion)
    share = float(confusion[np.arange(n_out), mapping].sum() / len(labels))
    if np.any(mapping != np.arange(n_out)) and _named(
            share, _kappa(share, p_answer, p_label, mapping), base):
        return None, {int(k): int(v) for k, v in enumerate(mapping)}, share, identity
    return None, None, share, identity


def _kappa(share: float, p_answer: np.ndarray, p_label: np.ndarray,
           mapping: np.ndarray) -> float:
    """Cohen's kappa of answers relabelled by ``mapping`` (answer k -> label
    mapping[k]) against the labels: ``(share - chance) / (1 - chance)``, where
    chance is the agreement answers independent of the labels would have."""
    chance = float(np.sum(p_answer * p_label[mapping]))
    return (share - chance) / (1.0 - chance) if chance < 1.0 else 0.0


def _named(share: float, kappa: float, identity_kappa: float) -> bool:
    """A relabelling explains enough of the labels, beyond chance, and
    beyond the identity, to be named."""
    return (share >= PERMUTATION_SHARE and kappa >= PERMUTATION_KAPPA
            and kappa >= identity_kappa + 0.1)


def _matching(confusion: np.ndarray) -> np.ndarray:
    """A one-to-one map of answers to labels, greedily by the largest counts
    of ``confusion`` (answers, labels): every answer gets a label even when a
    class is never answered (a row-wise argmax then maps two answers to one
    label and hides the permutation)."""
    n = len(confusion)
    mapping = np.full(n, -1)
    used = np.zeros(n, dtype=bool)
    for flat in np.argsort(-confusion, axis=None, kind="stable"):
        answer, label = divmod(int(flat), n)
        if mapping[answer] < 0 and not used[label]:
            mapping[answer], used[label] = label, True
    return mapping


class DigitReference(NamedTuple):
    """A classifier of MNIST digits trained on real, correctly labelled
    images, to tell which digit each of the user's images shows: the network,
    the share of held-out MNIST labels it agrees with, and the mean image of
    its training images (to tell whether the user's inputs are MNIST's
    images at MNIST's scale, where its answers can be trusted)."""

    net: network.Network
    accuracy: float
    mean_image: np.ndarray


# Kept per process: trained once, in about 0.1 s.
_REFERENCE: dict[str, DigitReference] = {}


def _digit_reference(seed: int = 0) -> DigitReference | None:
    """A small network trained on the first 2,000 MNIST training images (about
    88 % right on the next 2,000), or None when MNIST is not on this machine
    (nothing is downloaded for this)."""
    import mnist_loader

    if "mnist" not in _REFERENCE:
        try:
            (X, y), _, _ = mnist_loader.load_data(download=False)
        except (mnist_loader.DataError, OSError):
            return None
        net = network.Network([784, 30, 10], "xavier_normal", seed=seed, cost="log_likelihood")
        net.SGD((X[:2000], y[:2000]), 4, 10, 0.3, verbose=False)
        accuracy = float(np.mean(net.predict(X[2000:4000]) == y[2000:4000]))
        _REFERENCE["mnist"] = DigitReference(net, accuracy, X[:2000].mean(axis=0))
    return _REFERENCE["mnist"]


def looks_like_mnist(X: np.ndarray, ref: DigitReference) -> bool:
    """Inputs ``X`` (n, 784) whose mean image is MNIST's, at MNIST's scale:
    correlation above :data:`MNIST_LIKE` and a mean intensity within a
    factor 1.4.  MNIST's own images: 0.997 and 1.06; transposed: 0.75;
    upside down: 0.87; inverted: -0.997; Fashion-MNIST: 0.83."""
    mean = X.mean(axis=0)
    if not np.all(np.isfinite(mean)) or np.ptp(mean) == 0:
        return False
    similar = float(np.corrcoef(mean, ref.mean_image)[0, 1])
    ratio = float(mean.mean() / ref.mean_image.mean())
    return similar > MNIST_LIKE and 1 / 1.4 < ratio < 1.4


def labels_misaligned(model: Model, sample: Split, X_all: np.ndarray, labels_all: np.ndarray,
                      Y_all: np.ndarray, m: int = 10, seed: int = 0,
                      learns: bool = False) -> list[Finding]:
    """Labels that do not belong to their inputs.  MNIST's images: a
    reference classifier's answers against the labels (a cyclic shift, "label
    k given to digit k - s", another permutation, or a share of wrong labels,
    ``labels_noisy``); labels it agrees with as it agrees with MNIST's own are
    cleared.  Any network: its own answers a permutation of the labels (it
    was trained with other labels).  Any data, unless the range test showed
    the network learning (``learns``: then the labels do tell something) or
    the inputs are blank (a finding of their own): a fresh copy known to
    learn learns from the real inputs no better than from zeroed ones; then
    labels moved by a few positions are tried."""
    n_in, n_out = model.sizes[0], model.sizes[-1]
    if len(np.unique(labels_all)) < 2:
        return []  # nothing to align: labels_imbalanced names a single class
    X_scaled = _scaled(X_all)
    judged = None  # the reference's verdict on MNIST's own images: [] for right labels
    if (n_in, n_out) == (784, 10):
        ref = _digit_reference(seed)
        if ref is not None:
            answers = ref.net.predict(X_scaled)
            found = _permuted(answers, labels_all, n_out)
            if found:
                return found
            share, kappa = _agreement(answers, labels_all, n_out)
            if kappa >= UNRELATED_KAPPA and looks_like_mnist(X_scaled, ref):
                judged = labels_noisy(ref, X_scaled, answers, labels_all, share)
    with np.errstate(all="ignore"):
        zs, _ = forward(model.weights, model.biases, np.asarray(X_all, dtype=np.float64),
                        model.activation, model.cost)
    found = _permuted(predictions_of(zs[-1]), labels_all, n_out, own=True)
    if found or judged is not None:
        return found or judged
    if learns or inputs.blank(X_all):
        return []
    return _unrelated(model, sample, X_scaled, labels_all, Y_all, m, seed)


def _agreement(answers: np.ndarray, labels: np.ndarray, n_out: int) -> tuple[float, float]:
    """The share of ``labels`` equal to ``answers``, and its Cohen's kappa."""
    p_answer = np.bincount(answers, minlength=n_out)[:n_out] / len(labels)
    p_label = np.bincount(labels, minlength=n_out)[:n_out] / len(labels)
    share = float(np.mean(answers == labels))
    return share, _kappa(share, p_answer, p_label, np.arange(n_out))


def labels_noisy(ref: DigitReference, X: np.ndarray, answers: np.ndarray, labels: np.ndarray,
                 share: float) -> list[Finding]:
    """Some labels wrong, on MNIST's own images: the reference classifier
    agrees with ``share`` of ``labels``, :data:`NOISY_DROP` or more below its
    agreement with MNIST's own labels.  About ``1 - share / ref.accuracy`` of
    the labels are then wrong; the examples it reads otherwise with
    confidence :data:`CONFIDENT` or more are listed, for the user to look at
    (a separate shuffle or slice of images and labels leaves such pairs)."""
    if share >= ref.accuracy - NOISY_DROP:
        return []
    wrong = 1.0 - share / ref.accuracy
    net = ref.net
    _, acts = forward(net.weights, net.biases, X, net.activation, net.cost)
    confident = np.flatnonzero((answers != labels) & (acts[-1].max(axis=1) >= CONFIDENT))
    listed = ", ".join(f"example {i} is labelled {labels[i]} and reads as {answers[i]}"
                       for i in confident[:4])
    return [Finding(
        "labels_noisy", "error" if wrong >= 0.3 else "warning",
        f"a classifier trained on correctly labelled MNIST agrees with {share:.0%} of your "
        f"labels, and with {ref.accuracy:.0%} of MNIST's own: about {wrong:.0%} of your labels "
        f"look wrong" + (f" ({listed})" if listed else ""),
        "look at those examples (e.g. plt.imshow(X[i].reshape(28, 28))); if their labels are "
        "wrong, images and labels were shuffled, sliced or joined apart somewhere: move them "
        "together (one permutation p for both: X, y = X[p], y[p])",
        evidence={"share": share, "reference_accuracy": ref.accuracy, "wrong": wrong,
                  "examples": [int(i) for i in confident[:10]]})]


def _scaled(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    top = float(np.max(np.abs(X))) if X.size else 0.0
    return X / top if top > 5.0 and math.isfinite(top) else X


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


def _permuted(answers: np.ndarray, labels: np.ndarray, n_out: int,
              own: bool = False) -> list[Finding]:
    """``labels_misaligned`` when ``answers`` (a reference classifier's, or
    the network's ``own``) are a shift or a permutation of ``labels``."""
    shift, mapping, share, identity = label_permutation(answers, labels, n_out)
    if shift is None and mapping is None:
        return []
    if own:
        return [_answers_permuted(shift, mapping, share, identity, n_out)]
    if shift is not None:
        what = (f"each label is the digit shown plus {shift} (mod {n_out}): an image of 3 is "
                f"labelled {(3 + shift) % n_out}")
        fix = f"label each image with its own digit: labels = (labels - {shift}) % {n_out}"
        evidence = {"shift": shift, "share": share, "identity": identity}
    else:
        pairs = ", ".join(f"{k}->{v}" for k, v in mapping.items() if k != v)
        what = f"the labels are a permutation of the digits shown (digit->label: {pairs})"
        fix = "give each image its own digit's label (check the loader's label mapping)"
        evidence = {"mapping": mapping, "share": share, "identity": identity}
    return [Finding(
        "labels_misaligned", "error",
        f"{what}. A classifier trained on correctly labelled MNIST agrees with {identity:.0%} "
        f"of your labels as they are, and with {share:.0%} after undoing this", fix,
        evidence=evidence,
        verified=Verification(
            f"after undoing it, {share:.0%} of the labels agree with the reference classifier "
            f"(before: {identity:.0%})", True, {"share": share, "identity": identity}))]


def _answers_permuted(shift: int | None, mapping: dict[int, int] | None, share: float,
                      identity: float, n_out: int) -> Finding:
    """The network's own answers relabel the classes: it learned, but from
    labels other than these (or it is tested with another mapping)."""
    if shift is not None:
        what = (f"your network answers k - {shift} (mod {n_out}) where the label is k: it "
                f"answers {(3 - shift) % n_out} for an example labelled 3")
    else:
        pairs = ", ".join(f"{k}->{v}" for k, v in mapping.items() if k != v)
        what = f"your network's answers are a permutation of the labels (answer->label: {pairs})"
    return Finding(
        "labels_misaligned", "error",
        f"{what}. Its answers agree with {identity:.0%} of these labels as they are, and with "
        f"{share:.0%} after undoing this: it learned from labels that name the classes "
        f"differently from the ones it is measured with", "train and test with the same "
        "labels (the same loader and label mapping for both)",
        evidence={"shift": shift, "mapping": mapping, "share": share, "identity": identity},
        verified=Verification(
            f"after undoing it, {share:.0%} of your network's answers agree with the labels "
            f"(before: {identity:.0%})", True, {"share": share, "identity": identity}))


def _unrelated(model: Model, sample: Split, X_all: np.ndarray, labels_all: np.ndarray,
               Y_all: np.ndarray, m: int, seed: int) -> list[Finding]:
    if len(sample.X_eval) < 50:
        return []
    # A learner independent of the user's choices (their activation, cost or
    # input scaling may be what stops their network): sigmoid hidden layers,
    # the cross-entropy cost, a fan-scaled draw, each input column scaled.
    # One hidden layer of 30, whatever theirs: their depth or width may be
    # what stops them.
    sizes = [model.sizes[0], 30, model.sizes[-1]]
    learner = sized(model, sizes)._replace(activation="sigmoid", output="sigmoid",
                                           cost="cross_entropy")
    w, b = fan_scaled(learner, seed)
    X_all = standardized(X_all, X_all)
    scaled = replace(sample, X=standardized(sample.X, sample.X),
                     X_eval=standardized(sample.X_eval, sample.X))
    kw = dict(hidden=learner.activation, cost=learner.cost, m=m, seed=seed)
    rate = _reference_rate(learner.cost)
    real = train(w, b, scaled, rate, **kw)
    zero = train(w, b, scaled, rate, X=np.zeros_like(scaled.X), **kw)
    if real.accuracy[-1] > zero.accuracy[-1] + LEARNED / 2:
        return []
    moved = _realign(w, b, X_all, labels_all, Y_all, rate, kw, seed)
    verified = None if moved is None else Verification(
        f"with the labels moved by {moved[0]:+d} positions the copy's held-out accuracy "
        f"reached {moved[1].accuracy[-1]:.0%} (as they are: {real.accuracy[-1]:.0%})", True,
        {"offset": moved[0], "accuracy": moved[1].accuracy[-1]})
    offset = "" if moved is None else f" (they fit when moved by {moved[0]:+d} positions)"
    return [Finding(
        "labels_misaligned", "error",
        f"a fresh fan-scaled network {sizes} (sigmoid, cross-entropy, each input "
        f"standardised to mean 0 and sd 1) trained at eta={rate:.3g} on your inputs reaches "
        f"{real.accuracy[-1]:.0%} held-out accuracy, and {zero.accuracy[-1]:.0%} on inputs "
        f"set to zero: the inputs tell it nothing about the labels{offset}",
        "check that labels[i] belongs to inputs[i] (an offset or a separate shuffle of "
        "images and labels)", evidence={"accuracy": real.accuracy[-1],
                                        "zero_input_accuracy": zero.accuracy[-1]},
        verified=verified)]


def _reference_rate(cost: str) -> float:
    """A rate at which a fan-scaled [784, 30, 10] learns fast with this cost
    (the range test's best, xavier_normal, seed 0)."""
    return {"quadratic": 3.0, "cross_entropy": 0.5, "log_likelihood": 0.3}[cost]


def _realign(w, b, X: np.ndarray, labels: np.ndarray, Y: np.ndarray, rate: float,
             kw: dict, seed: int) -> tuple[int, Run] | None:
    """Labels moved by -2..2 positions against the inputs: the first offset
    whose copy learns, with its run."""
    for d in (1, -1, 2, -2):
        moved = split(X, np.roll(labels, d), np.roll(Y, d, axis=0), seed)
        run = train(w, b, moved, rate, **kw)
        if run.learned(moved.chance):
            return d, run
    return None


def data_unshuffled(model: Model, sample: Split, eta: float, m: int = 10,
                    shuffles: bool = False, seed: int = 0) -> list[Finding]:
    """Training rows sorted by label (consecutive labels equal at least
    :data:`SORTED_SHARE` of the time), and a copy trained on them in that
    order, whole passes without shuffling, learns clearly less than the same
    copy shuffled each pass.  ``shuffles``: the user's training shuffles (a
    ``network.Network``'s SGD does), which makes it a warning."""
    labels = sample.labels
    same = float(np.mean(labels[1:] == labels[:-1])) if len(labels) > 1 else 0.0
    expected = float(np.sum((np.bincount(labels) / len(labels)) ** 2))
    if same < SORTED_SHARE or same < 3 * expected:
        return []
    steps = min(len(labels) // m, ORDERED_STEPS)  # one pass in their order
    kw = dict(hidden=model.activation, cost=model.cost, m=m, steps=steps, seed=seed)
    ordered = train(model.weights, model.biases, sample, eta, shuffle=False, **kw)
    shuffled = train(model.weights, model.biases, sample, eta, **kw)
    if not shuffled.accuracy[-1] > ordered.accuracy[-1] + LEARNED:
        return []
    last = int(labels[-1])
    return [Finding(
        "data_unshuffled", "warning" if shuffles else "error",
        f"the training data is sorted by label ({same:.0%} of consecutive examples share "
        f"their label; shuffled: {expected:.0%}), and mini-batches taken in that order do not "
        f"learn: each run of one label pulls the network towards answering it (the last is "
        f"{last}); {ordered.summary()}",
        "shuffle the training data before every epoch (random.shuffle(training_data), as the "
        "book's SGD does)", evidence={"same_label_share": same, "expected": expected,
                                      "ordered_accuracy": ordered.accuracy[-1]},
        verified=Verification(
            f"shuffled before each pass, the same {steps} steps at eta={eta:.3g}: the "
            f"{shuffled.summary()}", True, {"accuracy": shuffled.accuracy[-1]}))]


def verify_scaling(f: Finding, model: Model, sample: Split, eta: float, yours: Run,
                   m: int = 10, seed: int = 0) -> Finding:
    """The ``unscaled_inputs`` finding with its fix tried: the same copy at
    ``eta`` on the inputs mapped to [0, 1] by the finding's own line,
    ``(X - lo) / (hi - lo)`` (``X / hi`` for inputs from 0)."""
    lo, hi = f.evidence["input_min"], f.evidence["input_max"]
    width = hi - lo if hi > lo else 1.0
    scaled = replace(sample, X=(sample.X - lo) / width, X_eval=(sample.X_eval - lo) / width)
    # as many steps as the user's run had (its longer look, too): runs of
    # the same length compete
    run = train(model.weights, model.biases, scaled, eta, hidden=model.activation,
                cost=model.cost, m=m, steps=yours.steps[-1], seed=seed)
    helped = run.learned(sample.chance) and run.accuracy[-1] > yours.accuracy[-1] + LEARNED / 2
    how = (f"divided by {hi:.10g}," if lo == 0
           else f"mapped to [0, 1], {inputs.rescale_fix(lo, hi)},")
    text = (f"with the inputs {how} at eta={eta:.3g}, the {run.summary()}; as they are, the "
            f"{yours.summary()}")
    verified = Verification(text, helped, {"accuracy": run.accuracy[-1],
                                           "your_accuracy": yours.accuracy[-1]})
    # What stops learning is an error; inputs that only slow it stay a warning.
    stops = helped and run.gain(sample.chance) > SCALING_STOPS * max(yours.gain(sample.chance), 0)
    return replace(f, severity="error" if stops else f.severity, verified=verified)


@dataclass
class Probes:
    """What the probes measured: the range test's runs by rate, the user's
    rate and mini-batch size, the held-out share of the most frequent label
    (``chance``) and the number of held-out examples, and the rate the probe
    suggests (None when no rate learned)."""

    runs: dict[float, Run]
    eta: float
    mini_batch_size: int
    chance: float
    best: float | None
    held_out: int = 0
    skipped: str = "non-finite weights or inputs cannot train"  # why there are no runs

    @property
    def learns(self) -> bool:
        """The copy learned at the user's own rate."""
        return bool(self.runs) and self.runs[float(self.eta)].learned(self.chance)

    def text(self) -> str:
        """The range test in one paragraph: which code trained, each rate's
        held-out accuracy (its step count and the user's rate marked), what
        the user's rate did, the rates that learned, and the probe's limits."""
        if not self.runs:
            return f"Step size: not probed ({self.skipped})."
        yours = self.runs[float(self.eta)]
        verdict = (f"the reference's update {'learns' if self.learns else 'does not learn'} "
                   f"from your weights in {yours.steps[-1]} steps")
        learned = learned_rates(self.runs, self.chance)
        found = ("; no rate learned" if not learned else
                 f"; rates that learned: {_rates(learned, self.runs)}" + (
                     f" (suggested start: eta={self.best:.3g}, the smallest near the best)"
                     if len(learned) > 2 and not self.learns else ""))
        return (f"Step size: a range test of copies trained with {REFERENCE} "
                f"(network.Network's) from your weights, {_look(self.runs)} mini-batches of "
                f"{self.mini_batch_size} per rate (longer where marked), held-out accuracy on "
                f"{self.held_out} examples (before training {yours.accuracy[0]:.0%}; always "
                f"answering their most frequent label {self.chance:.0%}; learned: "
                f"{LEARNED * 100:.0f} points above that): {', '.join(self._cells())}. At yours, "
                f"eta={self.eta:.3g}, {verdict}{found}. The look is short: a draw can sit on a "
                f"plateau longer (the book's randn draws at eta=3, for hundreds of steps), so a "
                f"rate that did not learn here may learn later"
                + (", and the fastest here need not be the best over an epoch." if learned
                   else "."))

    def _cells(self) -> list[str]:
        """``rate: accuracy`` per run, ``rate (yours, 1000 steps): ...`` marked."""
        cells = []
        for r, run in sorted(self.runs.items()):
            marks = (["yours"] if r == float(self.eta) else []) + (
                [f"{run.steps[-1]} steps"] if run.steps[-1] != _look(self.runs) else [])
            result = (f"NaN after {run.diverged_at}" if run.diverged_at is not None
                      else f"{run.accuracy[-1]:.0%}")
            cells.append(f"{r:.3g}" + (f" ({', '.join(marks)})" if marks else "") + f": {result}")
        return cells


def _behind(found: list[Finding], others: list[Finding]) -> list[Finding]:
    """Rate warnings with a later cause (in :data:`~diagnostics.findings.FINDINGS`,
    e.g. a ``bottleneck``) among ``others`` whose verified fix removed a
    larger share of its copy's cost than the suggested rate did: "info", so
    that the cause that explains more comes first."""
    rank = {name: i for i, name in enumerate(FINDINGS)}
    out = []
    for f in found:
        numbers = f.verified.numbers
        share = 1 - numbers["cost"] / numbers["your_cost"]
        later = [(o, 1 - o.verified.numbers["fixed_end"] / o.verified.numbers["yours_end"])
                 for o in others if o.severity != "info" and o.verified is not None
                 and o.verified.helped and "fixed_end" in o.verified.numbers
                 and rank.get(o.name, len(rank)) > rank[f.name]]
        later = [(o, s) for o, s in later if s > share]
        if f.severity == "warning" and later:
            o, s = later[0]
            f = replace(f, severity="info", message=(
                f"{f.message}. {o.name} explains more: its fix, tried, removed {s:.0%} of its "
                f"copy's cost, the suggested rate {share:.0%}; fix it first, then probe the "
                f"rate again"))
        out.append(f)
    return out


def probe(model: Model, X: np.ndarray, labels: np.ndarray, Y: np.ndarray,
          findings: list[Finding], *, eta: float, mini_batch_size: int = 10,
          user: object | None = None, schemes: list[list[str]] | None = None,
          shuffles: bool = False, seed: int = 0) -> tuple[list[Finding], Probes]:
    """Run every probe on copies of ``model`` and return ``(findings, probes)``:
    the snapshot's ``findings`` re-read with what was measured (see
    :func:`revise`), then the probes' own, and the :class:`Probes` record.

    ``X`` (n, n_in) the inputs as given, ``labels`` (n,) and ``Y`` (n, n_out)
    the targets, ``eta`` the user's learning rate, ``user`` the user's own
    object (its ``update_mini_batch`` runs on deep copies), ``schemes`` the
    snapshot's scheme names per layer, ``shuffles`` whether the user's
    training shuffles the data (``network.Network.SGD`` does).  Non-finite
    weights or inputs: nothing can train, and nothing is probed."""
    import blas

    m = int(mini_batch_size)
    X = np.asarray(X, dtype=np.float64)
    finite = np.isfinite(X).all() and all(np.isfinite(w).all() and np.isfinite(b).all()
                                          for w, b in zip(model.weights, model.biases))
    sample = split(X, labels, Y, seed)
    if not finite:
        return findings, Probes({}, eta, m, sample.chance, None, len(sample.X_eval))
    if len(np.unique(labels)) < 2:
        return findings, Probes({}, eta, m, sample.chance, None, len(sample.X_eval),
                                "every label is one class: nothing to tell apart")
    with blas.threads(model.sizes, m):
        runs = range_test(model, sample, eta, m, seed)
        best = best_rate(runs, sample.chance)
        yours = runs[float(eta)]
        rate = verdict_rate(runs, eta, sample.chance)
        revised = revise(findings, model, sample, eta, runs, schemes or [], m, seed)
        revised = [verify_scaling(f, model, sample, eta, yours, m, seed)
                   if f.name == "unscaled_inputs" else f for f in revised]
        start = [_learns_anyway_start(f, runs[rate]) if runs[rate].learned(sample.chance)
                 else f for f in cost_at_start(model, sample, seed)]
        new = (_behind(learning_rate(runs, eta, sample.chance), revised) + start
               + cannot_overfit(model, sample, rate, m, user, seed)
               + labels_misaligned(model, sample, X, labels, Y, m, seed, learns=best is not None)
               # the order's effect shows fastest at the rate that learns fastest
               + data_unshuffled(model, sample, fastest_rate(runs, sample.chance) or best or eta,
                                 m, shuffles, seed))
    return revised + new, Probes(runs, eta, m, sample.chance, best, len(sample.X_eval))
