"""diagnostics.shift
~~~~~~~~~~~~~~~~~~

Test inputs not prepared as the training inputs were.

"It learns, but the test accuracy stays near chance": a network answers its
test images as well as its training images when both come from the same
distribution and are prepared alike.  Most often they were not:

* divided by 255 in training and not in test (or twice);
* standardised with the training set's mean and standard deviation in one
  and not in the other;
* read in another pixel order, the 28 x 28 images transposed.

:func:`test_inputs_differ` sees a network that answers its training sample
clearly better than its test sample, maps the test inputs onto the training
inputs' range, moments or pixel order, each on a copy, and names the mapping
only where the network itself, unchanged and untrained, then answers the test
images clearly better: the fix is measured by the network that will use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .adapter import Model
from .data import Sample
from .findings import Finding, Verification
from .rates import noise_margin
from .verify import accuracy_of

# A gap between the training and the test accuracy this large is an error
# when a mapping of the inputs closes it, and a note when none does: the book's
# network over-fits 1,000 images by about 10 points (chapter 3: 100 % against
# 82 % after 400 epochs), while a test set prepared otherwise can sit near
# chance.  A smaller gap beyond the noise that a mapping closes is a warning.
# (Raw 0-255 test pixels are not always far worse: a sigmoid [784, 30, 10]
# trained on scaled ones answered 91.1 % of the raw test images, 91.9 % of the
# scaled, its first layer saturating into on-off features.)
GAP = 0.2
# The share of the gap a mapping must close to be the fix.
CLOSES = 0.5


def test_inputs_differ(model: Model, train: Sample, test: Sample) -> list[Finding]:
    """``test_inputs_differ`` when ``model`` answers ``train`` clearly better
    than ``test`` (beyond the noise) and one of :func:`mappings` of the test
    inputs onto the training inputs makes it answer ``test`` clearly better:
    an error for a gap of :data:`GAP` or more, else a warning; a note when
    the gap is that large and no mapping closes it; [] otherwise."""
    X_train, X_test = (np.asarray(s.X, dtype=np.float64) for s in (train, test))
    ours, theirs = accuracy(model, X_train, train), accuracy(model, X_test, test)
    if ours - theirs <= noise_margin(ours, theirs, len(train.labels), len(test.labels)):
        return []
    tried = [(what, line, accuracy(model, f(X_test), test))
             for what, line, f in mappings(X_train, X_test)]
    what, line, fixed = max(tried, key=lambda t: t[2], default=("", "", theirs))
    # each mapping tried is a comparison: a wider margin for several
    # (Bonferroni-like); and a mapping must close most of the gap, not only
    # beat the inputs as they are (inverted images answered 0.4 % as they
    # are and 7 % transposed: both wrong)
    clear = noise_margin(fixed, theirs, len(test.labels)) * math.sqrt(len(tried))
    if fixed - theirs <= max(clear, CLOSES * (ours - theirs)):
        return [_gap(ours, theirs)] if ours - theirs >= GAP else []
    return [Finding(
        "test_inputs_differ", "error" if ours - theirs >= GAP else "warning",
        f"the network answers {ours:.0%} of the training sample and {theirs:.0%} of the test "
        f"sample: the test inputs are not prepared as the training inputs were ({what})",
        f"prepare the test inputs as the training inputs: {line} (X_test: your test inputs, "
        f"one example per row)",
        evidence={"train_accuracy": ours, "test_accuracy": theirs, "line": line,
                  "train": moments(X_train), "test": moments(X_test)},
        verified=Verification(
            f"the same network, as it is (not retrained), answers {fixed:.1%} of the "
            f"{len(X_test):,} test examples with their inputs so mapped ({theirs:.1%} as they "
            f"are; {ours:.1%} of the training sample)", True,
            {"accuracy": fixed, "your_accuracy": theirs, "train_accuracy": ours}))]


def _gap(ours: float, theirs: float) -> Finding:
    """A note: the gap is real, and no mapping of the inputs closes it."""
    return Finding(
        "test_inputs_differ", "info",
        f"the network answers {ours:.0%} of the training sample and {theirs:.0%} of the test "
        f"sample, and neither the training inputs' range, nor their mean and sd, nor another "
        f"pixel order brings the test inputs closer",
        "nothing measured to help: check that the test set comes from the same source as the "
        "training set, with its labels in the same order; a network that over-fits (chapter 3) "
        "answers its training data better too, by less",
        evidence={"train_accuracy": ours, "test_accuracy": theirs})


def accuracy(model: Model, X: np.ndarray, sample: Sample) -> float:
    """The share of rows of ``X`` (``sample``'s inputs, or a mapping of them)
    that ``model`` answers with ``sample``'s labels
    (:func:`diagnostics.verify.accuracy_of`)."""
    return accuracy_of(model.weights, model.biases, X, sample.Y, model.activation, model.cost)


def moments(X: np.ndarray) -> dict[str, float]:
    """The smallest, largest and mean input and the standard deviation."""
    return {"min": float(X.min()), "max": float(X.max()), "mean": float(X.mean()),
            "sd": float(X.std())}


def mappings(X_train: np.ndarray, X_test: np.ndarray
             ) -> list[tuple[str, str, Callable[[np.ndarray], np.ndarray]]]:
    """Ways to bring the test inputs to the training inputs, each as ``(what
    differs, the line to type, the mapping)``: their range, their mean and
    standard deviation, and for square images their pixel order."""
    r, t = moments(X_train), moments(X_test)
    out = []
    if t["max"] > t["min"] and not np.isclose([r["min"], r["max"]], [t["min"], t["max"]],
                                              rtol=0.05).all():
        out.append(_range(r, t))
    if t["sd"] > 0 and not np.isclose([r["mean"], r["sd"]], [t["mean"], t["sd"]],
                                      rtol=0.2, atol=0.02 * r["sd"]).all():
        out.append((
            f"training inputs have mean {r['mean']:.3g} and sd {r['sd']:.3g}, test inputs "
            f"{t['mean']:.3g} and {t['sd']:.3g}",
            f"X_test = {_minus('X_test', t['mean'])} / {t['sd']:.6g} * {r['sd']:.6g}"
            f"{_plus(r['mean'])}, or better the very preprocessing of the training inputs",
            lambda X: (X - t["mean"]) / t["sd"] * r["sd"] + r["mean"]))
    side = math.isqrt(X_test.shape[1])
    if side > 1 and side * side == X_test.shape[1]:
        out.append((
            f"the test images look transposed: their {side} x {side} pixels in another order",
            f"X_test = X_test.reshape(-1, {side}, {side}).transpose(0, 2, 1).reshape(-1, "
            f"{side * side})",
            lambda X: X.reshape(-1, side, side).transpose(0, 2, 1).reshape(len(X), -1)))
    return out


def _range(r: dict[str, float], t: dict[str, float]
           ) -> tuple[str, str, Callable[[np.ndarray], np.ndarray]]:
    """The test inputs' range mapped onto the training inputs'."""
    what = (f"training inputs range from {r['min']:.4g} to {r['max']:.4g}, test inputs from "
            f"{t['min']:.4g} to {t['max']:.4g}")
    scale = (r["max"] - r["min"]) / (t["max"] - t["min"])
    times = "" if scale == 1 else f" / {1 / scale:.6g}" if scale < 1 else f" * {scale:.6g}"
    line = f"X_test = {_minus('X_test', t['min'])}{times}{_plus(r['min'])}"
    return what, line, lambda X: (X - t["min"]) * scale + r["min"]


def _minus(name: str, value: float) -> str:
    """``name - value`` as typed: ``name`` for 0, ``(name + 0.5)`` for -0.5."""
    if value == 0:
        return name
    return f"({name} {'-' if value > 0 else '+'} {abs(value):.6g})"


def _plus(value: float) -> str:
    """`` + value`` as typed, nothing for 0."""
    return "" if value == 0 else f" {'+' if value > 0 else '-'} {abs(value):.6g}"
