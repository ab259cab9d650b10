"""diagnostics.labels
~~~~~~~~~~~~~~~~~~

Whether the labels have the form the network and the user's code expect
(``labels_format``): labels outside the outputs (e.g. 1 to 10 for outputs 0
to 9), and integer labels given to a book-style ``backprop`` that needs
one-hot columns (the book's ``vectorized_result``).  With an integer ``y``,
the book's ``cost_derivative(a, y) = a - y`` subtracts the label from every
output, and the network learns nothing useful.
"""

from __future__ import annotations

import numpy as np

from . import verify
from .findings import Finding, Verification
from .subject import Subject
from .usercode import AGREE, EXAMPLES, user_gradient

# labels_imbalanced: one class DOMINANT times its share in balanced labels or
# more (10 classes: half the labels; MNIST's largest class: 1.1 times), or
# DOMINANT_SHARE of them whatever the classes (two classes: 90 to 10); or
# classes missing from a sample large enough to hold every class
# MISSING_EVERY times over.
DOMINANT = 5.0
DOMINANT_SHARE = 0.9
MISSING_EVERY = 5


def check(subject: Subject) -> list[Finding]:
    """The ``labels_format`` and ``labels_imbalanced`` findings of the subject's data."""
    return _outside(subject) + _integers_to_backprop(subject) + _imbalanced(subject)


def _imbalanced(subject: Subject) -> list[Finding]:
    """Labels of fewer classes than the network answers, or one class for
    most examples: a network learns to answer those alone, and looks broken
    when it is tested on every class (a filter, or a slice of data sorted by
    label, chose the examples)."""
    labels, classes = subject.sample.labels, max(subject.model.sizes[-1], 2)
    if not len(labels):
        return []
    counts = np.bincount(labels, minlength=classes)
    present, share = int(np.count_nonzero(counts)), float(counts.max() / len(labels))
    # classes missing because their labels lie outside the outputs are
    # labels_format's (labels 1 to 10: the 10s were left out)
    missing = (present < classes and len(labels) >= MISSING_EVERY * classes
               and not subject.sample.outside)
    if not (missing or share * classes >= DOMINANT or share >= DOMINANT_SHARE):
        return []
    order = np.argsort(-counts, kind="stable")[:min(present, 4)]
    shares = ", ".join(f"{k}: {counts[k] / len(labels):.0%}" for k in order) + (
        ", ..." if present > 4 else "")
    absent = [int(k) for k in np.flatnonzero(counts == 0)]
    gone = (f"no {', '.join(map(str, absent))}" if len(absent) <= 5
            else f"only {', '.join(str(int(k)) for k in np.flatnonzero(counts))}")
    what = (f"your labels hold {present} of the network's {classes} classes ({gone}; "
            f"{shares})" if missing else f"one class is {share:.0%} of your labels ({shares})")
    return [Finding(
        "labels_imbalanced", "error" if present == 1 else "warning",
        f"{what}: a network trained on them learns to answer " +
        ("that class alone, and nothing else can be measured" if present == 1 else
         "these classes above all, and fails on the others" if missing else
         "that class above all, and fails on the others"),
        "train on examples of every class, in their natural proportions: check the filter "
        "or the slice that chose them (the first examples of data sorted by label are all "
        "one class)", evidence={"classes_present": present, "classes": classes, "missing": absent,
                                "largest_share": share})]


def _outside(subject: Subject) -> list[Finding]:
    sample, n_out = subject.sample, subject.model.sizes[-1]
    if not sample.outside:
        return []
    lo, hi = sample.label_range
    top = max(n_out, 2) - 1
    total = len(sample.labels) + sample.outside
    if lo == 1 and hi == top + 1:
        fix = f"subtract 1 from every label: yours run from 1 to {hi}, the outputs from 0 to {top}"
    else:
        fix = (f"give the network one output per class (sizes[-1] = {hi + 1}), or map the "
               f"labels to 0 ... {top}")
    return [Finding(
        "labels_format", "error",
        f"{sample.outside:,} of {total:,} labels lie outside the network's answers 0 ... {top}: "
        f"the labels run from {lo} to {hi}; those examples were left out of the measurements",
        fix, evidence={"outside": sample.outside, "examples": total, "label_min": lo,
                       "label_max": hi, "outputs": n_out})]


def _integer_pairs(subject: Subject) -> list:
    return [(x.reshape(-1, 1), int(t)) for x, t in zip(subject.X, subject.sample.labels)]


def _integers_to_backprop(subject: Subject) -> list[Finding]:
    """Integer labels in the book's pairs, given to a ``backprop`` that
    computes something else with them than with one-hot columns."""
    sample = subject.sample
    if not (sample.pairs and sample.integer_labels and subject.model.sizes[-1] > 1
            and "backprop" in subject.methods and subject.finite):
        return []
    X, Y = subject.X[:EXAMPLES], subject.Y[:EXAMPLES]
    onehot = user_gradient(subject.obj, X, Y)
    try:
        ints = user_gradient(subject.obj, X, Y, _integer_pairs(subject)[:EXAMPLES])
    except Exception as error:  # the user's code may raise anything
        return [_finding(subject, f"your backprop raised {type(error).__name__} on them "
                                  f"({error})")]
    worst = 0.0
    for a, b in zip(ints[0] + ints[1], onehot[0] + onehot[1]):
        size = float(np.linalg.norm(b))
        worst = max(worst, float(np.linalg.norm(a - b)) / size if size else 0.0)
    if worst <= AGREE:
        return []  # the user's code turns labels into targets itself
    return [_finding(subject, f"your backprop's gradient with them differs from its gradient "
                              f"with one-hot targets by {worst:.3g} (relative)")]


def _finding(subject: Subject, what: str) -> Finding:
    n_out = subject.model.sizes[-1]
    return Finding(
        "labels_format", "error",
        f"the data's labels are integers (e.g. {int(subject.sample.labels[0])}), and {what}: "
        f"the book's backprop expects a one-hot column y of shape ({n_out}, 1), so that "
        f"cost_derivative(a, y) = a - y; with an integer it subtracts the label from every "
        f"output",
        "train on one-hot targets: y = mnist_loader.vectorized_result(label), as the book's "
        "load_data_wrapper does for the training data",
        evidence={"label_form": "integer", "outputs": n_out})


def verify_labels(finding: Finding, subject: Subject) -> Verification | None:
    """The user's own training with one-hot targets against the same with
    their integer labels, from the same weights on the same mini-batches."""
    if finding.evidence.get("label_form") != "integer":
        return None  # labels outside the outputs: there is no right label to try
    eta, m = subject.step_size, subject.mini_batch_size
    model = subject.model
    fixed, steps = verify.until_learns(lambda steps: verify.train_user(
        subject.user(), subject.X, subject.Y, eta, model.activation, model.cost, m, steps,
        **subject.l2))
    theirs = verify.train_user(subject.user(), subject.X, subject.Y, eta, model.activation,
                               model.cost, m, steps, pairs=_integer_pairs(subject),
                               **subject.l2)
    return verify.compare(fixed, theirs, "with one-hot targets and your own code",
                          "with your integer labels", eta, m)


VERIFIERS = {"labels_format": verify_labels}
