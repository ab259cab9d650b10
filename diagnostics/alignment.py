"""diagnostics.alignment
~~~~~~~~~~~~~~~~~~~~~~

Whether the labels belong to the inputs (``labels_misaligned``,
``labels_noisy``).  For MNIST's images, a small classifier trained on
correctly labelled MNIST reads each image: its answers against the labels
show a cyclic shift, another permutation, or a share of wrong labels, and
labels it agrees with as it agrees with MNIST's own are cleared.  For any
network, its own answers against the labels show a network trained with
other labels.  For any data, a fresh copy known to learn is trained on the
inputs and on zeroed ones: learning no better from the real ones means the
labels tell nothing about them, and labels moved by a few positions are
tried.  Agreement is measured beyond chance, as Cohen's kappa (Cohen 1960).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import NamedTuple

import numpy as np

import network

from . import inputs
from .adapter import Model
from .findings import Finding, Verification
from .measures import forward, predictions_of
from .trials import (
    LEARNED,
    Run,
    Split,
    fan_scaled,
    reference_rate,
    sized,
    split,
    standardized,
    train,
)

# Labels: a cyclic shift or permutation is named when it explains at least
# this share of the labels, with a chance-corrected agreement (Cohen's kappa)
# at least PERMUTATION_KAPPA and 0.1 above the identity's.  Shifted
# labels in a trained network: kappa about 0.9 against 0; answers that ignore
# the inputs: about 0 whatever the labels' classes.
PERMUTATION_SHARE = 0.5

PERMUTATION_KAPPA = 0.4

# The user's images are MNIST's when their mean image correlates with MNIST's
# above this and the reference is about as confident on them (see
# looks_like_mnist); then its answers are trusted to judge each label.
MNIST_LIKE = 0.95
CONFIDENCE_DROP = 0.05

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
    p_answer, p_label = _marginals(predicted, labels, n_out)
    identity, base = _agreement(predicted, labels, n_out)
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
    the share of held-out MNIST labels it agrees with, its mean confidence
    (largest output) on those images, and the mean image of its training
    images (to tell whether the user's inputs are MNIST's images as MNIST
    has them, where its answers can be trusted)."""

    net: network.Network
    accuracy: float
    confidence: float
    mean_image: np.ndarray


# Kept per process: trained once, in about 0.1 s.
_REFERENCE: dict[str, DigitReference] = {}


def _digit_reference(seed: int = 0) -> DigitReference | None:
    """A small network trained on the first 2,000 MNIST validation images
    (about 88 % right on the next 2,000; not the training images, which a
    diagnosis measures on by default), or None when MNIST is not on this
    machine (nothing is downloaded for this)."""
    import mnist_loader

    if "mnist" not in _REFERENCE:
        try:
            _, (X, y), _ = mnist_loader.load_data(download=False)
        except (mnist_loader.DataError, OSError):
            return None
        net = network.Network([784, 30, 10], "xavier_normal", seed=seed, cost="log_likelihood")
        net.SGD((X[:2000], y[:2000]), 4, 10, 0.3, verbose=False)
        accuracy = float(np.mean(net.predict(X[2000:4000]) == y[2000:4000]))
        _REFERENCE["mnist"] = DigitReference(net, accuracy, _confidence(net, X[2000:4000]),
                                             X[:2000].mean(axis=0))
    return _REFERENCE["mnist"]


def _confidence(net: network.Network, X: np.ndarray) -> float:
    """``net``'s mean largest output (softmax) on the rows of ``X``."""
    _, acts = forward(net.weights, net.biases, X, net.activation, net.cost)
    return float(acts[-1].max(axis=1).mean())


def _answers(net: network.Network, X: np.ndarray) -> np.ndarray:
    """``net``'s answers for the rows of ``X``, without ``predict``'s input
    checks (whose warnings about the user's inputs are findings here)."""
    zs, _ = forward(net.weights, net.biases, X, net.activation, net.cost)
    return predictions_of(zs[-1])


def looks_like_mnist(X: np.ndarray, ref: DigitReference) -> bool:
    """Inputs ``X`` (n, 784) that are MNIST's images as MNIST has them: a mean
    image correlated with MNIST's above :data:`MNIST_LIKE`, a mean intensity
    within a factor 1.4, and the reference as confident on them as on MNIST's
    own, within :data:`CONFIDENCE_DROP`.  Label noise changes none of these;
    images moved or changed do.  MNIST's training images: correlation 0.997,
    confidence 0.88 (held out: 0.87); its test images: 0.969 and 0.84;
    shifted by up to 1 pixel at random: 0.99 but 0.80, by 2: 0.75;
    transposed: correlation 0.75; upside down 0.87; inverted -0.997;
    Fashion-MNIST 0.83."""
    match = _mean_image(X, ref)
    return (match is not None and match[0] > MNIST_LIKE and match[1]
            and _confidence(ref.net, X) >= ref.confidence - CONFIDENCE_DROP)


def _mean_image(X: np.ndarray, ref: DigitReference) -> tuple[float, bool] | None:
    """How the mean image of the rows of ``X`` compares with MNIST's: its
    correlation with it, and whether its mean intensity is within a factor
    1.4 of MNIST's; None for a mean image that is constant or not finite."""
    mean = np.asarray(X, dtype=np.float64).mean(axis=0)
    if not np.all(np.isfinite(mean)) or np.ptp(mean) == 0:
        return None
    ratio = float(mean.mean() / ref.mean_image.mean())
    return float(np.corrcoef(mean, ref.mean_image)[0, 1]), 1 / 1.4 < ratio < 1.4


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
    # classes: a single output answers 0 or 1 (above 0.5)
    n_in, n_out = model.sizes[0], max(model.sizes[-1], 2)
    if len(np.unique(labels_all)) < 2:
        return []  # nothing to align: labels_imbalanced names a single class
    X_scaled = _scaled(X_all)
    judged = None  # the reference's verdict on MNIST's own images: [] for right labels
    if (n_in, n_out) == (784, 10):
        ref = _digit_reference(seed)
        if ref is not None:
            answers = _answers(ref.net, X_scaled)  # unchecked: their inputs are the subject
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
    share = float(np.mean(answers == labels))
    return share, _kappa(share, *_marginals(answers, labels, n_out), np.arange(n_out))


def _marginals(answers: np.ndarray, labels: np.ndarray, n_out: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Each class's share of ``answers`` and of ``labels``."""
    n = len(labels)
    return (np.bincount(answers, minlength=n_out)[:n_out] / n,
            np.bincount(labels, minlength=n_out)[:n_out] / n)


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
    """``labels_misaligned`` when a fresh copy learns from the inputs no
    better than from zeroed ones, with labels moved by a few positions tried."""
    if len(sample.X_eval) < 50:
        return []
    # A learner independent of the user's choices (their activation, cost or
    # input scaling may be what stops their network): sigmoid hidden layers,
    # the cross-entropy cost, a fan-scaled draw, each input standardised.
    # One hidden layer of 30, whatever theirs: their depth or width may be
    # what stops them.
    sizes = [model.sizes[0], 30, model.sizes[-1]]
    learner = sized(model, sizes)._replace(activation="sigmoid", output="sigmoid",
                                           cost="cross_entropy")
    w, b = fan_scaled(learner, seed)
    scaled = replace(sample, X=standardized(sample.X, sample.X),
                     X_eval=standardized(sample.X_eval, sample.X))
    kw = dict(hidden=learner.activation, cost=learner.cost, m=m, seed=seed)
    rate = reference_rate(learner.cost)
    real = train(w, b, scaled, rate, **kw)
    zero = train(w, b, scaled, rate, X=np.zeros_like(scaled.X), **kw)
    if real.accuracy[-1] > zero.accuracy[-1] + LEARNED / 2:
        return []
    moved = _realign(w, b, standardized(X_all, X_all), labels_all, Y_all, rate, kw, seed)
    what = (f"a fresh fan-scaled network {sizes} (sigmoid, cross-entropy, each input "
            f"standardised to mean 0 and sd 1) trained at eta={rate:.3g} on your inputs reaches "
            f"{real.accuracy[-1]:.0%} held-out accuracy, and {zero.accuracy[-1]:.0%} on inputs "
            f"set to zero: the inputs tell it nothing about the labels")
    if moved is None:
        return [_unrelated_finding(
            what + ": the labels do not belong to the inputs, or the inputs were scrambled"
            + _scrambled(X_all if model.sizes[0] == 784 else None, seed),
            ", and that each row of X is one whole example (plot one: plt.imshow(X[0]"
            ".reshape(28, 28)); X.reshape(784, -1).T is not X.T)", real, zero, None)]
    return [_unrelated_finding(
        what + f" (they fit when moved by {moved[0]:+d} positions)", "", real, zero,
        Verification(f"with the labels moved by {moved[0]:+d} positions the copy's held-out "
                     f"accuracy reached {moved[1].accuracy[-1]:.0%} (as they are: "
                     f"{real.accuracy[-1]:.0%})", True,
                     {"offset": moved[0], "accuracy": moved[1].accuracy[-1]}))]


def _unrelated_finding(message: str, more: str, real: Run, zero: Run,
                       verified: Verification | None) -> Finding:
    return Finding(
        "labels_misaligned", "error", message,
        "check that labels[i] belongs to inputs[i] (an offset or a separate shuffle of "
        "images and labels)" + more,
        evidence={"accuracy": real.accuracy[-1], "zero_input_accuracy": zero.accuracy[-1]},
        verified=verified)


def _scrambled(X: np.ndarray | None, seed: int) -> str:
    """A sentence when 784 inputs ``X`` have MNIST's pixel values (a mean
    intensity within a factor 1.4 of MNIST's) but not its shapes (a mean
    image correlated below 0.5 with MNIST's): pixels moved, as a reshape
    that is not a transpose moves them.  Empty otherwise."""
    ref = None if X is None else _digit_reference(seed)
    match = None if ref is None else _mean_image(X, ref)
    if match is None or match[0] >= 0.5 or not match[1]:
        return ""
    return (f" (your inputs have MNIST's pixel values but not its shapes: their mean image "
            f"correlates {match[0]:.2f} with MNIST's, where MNIST's own give 0.99)")


def _realign(w, b, X: np.ndarray, labels: np.ndarray, Y: np.ndarray, rate: float,
             kw: dict, seed: int) -> tuple[int, Run] | None:
    """Labels moved by 1, 2 or 8 positions either way against the inputs: the
    first offset whose copy learns, with its run."""
    # one or two positions (an off-by-one), and eight (the labels file read
    # past the images' 16-byte IDX header instead of its own 8 bytes, or from 0)
    for d in (1, -1, 2, -2, 8, -8):
        moved = split(X, np.roll(labels, d), np.roll(Y, d, axis=0), seed)
        run = train(w, b, moved, rate, **kw)
        if run.learned(moved.chance):
            return d, run
    return None
