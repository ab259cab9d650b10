"""diagnostics.diagnosis
~~~~~~~~~~~~~~~~~~~~~

``diagnose``: read the network and the data, measure, and name what stops it
learning.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import Any

import numpy as np

import blas
import network

from . import (
    evaluation,
    functions,
    inputs,
    labels,
    probes,
    settings,
    shift,
    usercode,
    verify,
    weights,
)
from .adapter import model_of
from .data import DEFAULT_IMAGES, load_sample, sample_of
from .findings import Finding, Verification, in_cause_order
from .report import Report
from .snapshot import measure
from .subject import Subject
from .text import sentences

# The checks that need more than a snapshot: each takes the Subject and
# returns findings.  (The probes, short training runs, join them here.)
CHECKS: tuple[Callable[[Subject], list[Finding]], ...] = (
    inputs.columns, labels.check, functions.check, usercode.check, evaluation.check)
# How each finding's fix is tried on copies before it is printed: the
# finding's name to ``verify(finding, subject) -> Verification | None``.
VERIFIERS: dict[str, Callable[[Finding, Subject], Verification | None]] = {
    **weights.VERIFIERS, **usercode.VERIFIERS, **labels.VERIFIERS}


def diagnose(net: Any, data: Any = None, *, eta: float | None = None,
             mini_batch_size: int = 10, cost: Any = None, activation: str | None = None,
             dataset: str = "mnist", data_dir: str | os.PathLike | None = None,
             images: int = DEFAULT_IMAGES, blas_threads: int | None = None,
             test_data: Any = None, lmbda: float = 0.0, n: int | None = None) -> Report:
    """Measure ``net`` on a sample of inputs, check the user's own code, and
    name what stops it learning, each fix tried on a copy first.

    ``net``: a ``network.Network`` or ``network2.Network``, a saved network's
    path (this project's ``.npz``/``.json``, the book's ``network2.save()``
    file), the plain ``(weights, biases)`` lists of your own code, or any
    object with ``weights`` and ``biases`` lists in the book's shapes
    (``weights[l]`` ``(sizes[l+1], sizes[l])``, ``biases[l]`` ``(sizes[l+1], 1)``).
    Its own ``feedforward(a)``, ``backprop(x, y)``, ``update_mini_batch(mini_batch,
    eta)`` and ``cost_derivative(a, y)``, where it has them, run on deep copies
    and are compared with the reference (:mod:`diagnostics.usercode`).
    ``activation`` (the hidden layers'; the output is a sigmoid, or a softmax
    for ``"log_likelihood"``) and ``cost`` say what it computes when the object
    does not say it (default the book's chapter 1: ``"sigmoid"``, ``"quadratic"``).

    ``data``: ``(X, y)`` arrays (``X`` (n, sizes[0]), ``y`` labels (n,) or
    targets (n, sizes[-1]); a single output takes labels 0 and 1) or the book's
    list of ``(x, y)`` pairs, all of it used.  Default: the first ``images``
    training images of ``dataset`` through ``mnist_loader`` (``data_dir`` as there).

    ``eta`` and ``mini_batch_size``: how you train; copies that verify a fix
    train with them (at the book's rate for the cost when ``eta`` is None).
    ``lmbda``: chapter 3's L2 regularization parameter you train with
    (``network2``'s ``SGD(..., lmbda=...)``; 0, the default, for none), and
    ``n`` the training-set size of its weight decay ``1 - eta * lmbda / n``
    per step (default: the size of the data diagnosed; pass your training
    set's, e.g. 50000): every copy that verifies a fix trains with them, and
    with ``eta`` the probes measure whether a smaller lmbda learns clearly
    more (``lmbda_too_large``, :mod:`diagnostics.regularization`).
    ``test_data``: the data you measure the network on, in the same forms as
    ``data``; a network that answers it far worse than ``data`` is checked
    for test inputs prepared otherwise (:mod:`diagnostics.shift`).
    ``blas_threads``: numpy's BLAS threads during the call; None chooses them
    from the sizes of the products, as training does (:mod:`blas`).

    Returns a :class:`Report`: ``report.cause`` is the finding to fix first.
    ``net`` is never changed; NaN or infinite values are reported
    (``non_finite``), never raised.  Raises ``ValueError`` for input that
    cannot be a network or its data.
    """
    _check_training(eta, mini_batch_size)
    check_l2(lmbda, n)
    model = model_of(net, activation, cost)
    sample = sample_of(_default_data(model.sizes, dataset, data_dir, images)
                       if data is None else data, model.sizes)
    read = _settings_read(net, model, sample.X, activation, cost)
    if read is not None:  # their feedforward's own activation and output
        model = model_of(net, *read)
    subject = Subject(model, _own_code(net), sample, eta, mini_batch_size, float(lmbda),
                      None if n is None else int(n))
    _check_update_takes_l2(subject)
    with blas.threads(model.sizes, len(sample.X), blas_threads):
        report = _checked(subject)
        if test_data is not None and subject.finite:
            found = shift.test_inputs_differ(model, sample, sample_of(test_data, model.sizes))
            report.findings = in_cause_order(report.findings + found)
        if read is not None:
            report.findings = in_cause_order(report.findings + [settings.note(*read)])
        if eta is not None:  # short training runs on copies, at the user's rate
            _probe(report, subject, net)
    return _with_code(report, subject)


def _settings_read(net: Any, model, X: np.ndarray, activation: str | None,
                   cost: Any) -> tuple[str, str] | None:
    """The activation and cost the user's own ``feedforward`` computes, when
    neither the call nor the object says them (:mod:`diagnostics.settings`)."""
    own = _own_code(net)
    if own is None or activation is not None or cost is not None or any(
            isinstance(getattr(own, name, None), str) for name in ("activation", "cost")):
        return None
    return settings.read(own, model, X)


def _with_code(report: Report, subject: Subject) -> Report:
    """``report`` with how the user trains, the methods checked and the
    verdict on each."""
    report.eta, report.mini_batch_size = subject.eta, subject.mini_batch_size
    report.lmbda, report.n = subject.lmbda, subject.training_size
    report.checked = subject.methods
    if subject.obj is not None and not subject.methods:
        report.other_methods = sorted(
            name for name in dir(type(subject.obj))
            if not name.startswith("_") and callable(getattr(type(subject.obj), name, None)))
    report.code = (usercode.verdicts(subject, report.findings) if subject.finite else
                   dict.fromkeys(subject.methods, "not run (non-finite weights)"))
    return report


def _check_training(eta: float | None, mini_batch_size: int) -> None:
    """Raise ``ValueError`` unless ``eta`` is None or positive and
    ``mini_batch_size`` a positive integer."""
    if eta is not None and not eta > 0:
        raise ValueError(f"eta must be a positive learning rate, got {eta!r}")
    if not (isinstance(mini_batch_size, int) and mini_batch_size >= 1):
        raise ValueError(f"mini_batch_size must be a positive integer, got "
                         f"{mini_batch_size!r}")


def check_l2(lmbda: float, n: int | None) -> None:
    """Raise ``ValueError`` unless ``lmbda`` is a finite number >= 0 and ``n``
    None or a positive integer."""
    if isinstance(lmbda, bool) or not isinstance(lmbda, int | float | np.number) or not (
            np.isfinite(lmbda) and lmbda >= 0):
        raise ValueError(f"lmbda must be a finite number >= 0, the L2 regularization "
                         f"parameter you train with (network2's SGD(..., lmbda=5.0); 0 for "
                         f"none), got {lmbda!r}")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int | np.integer)
                          or n < 1):
        raise ValueError(f"n must be a positive integer, the size of the training set the L2 "
                         f"term 1 - eta*lmbda/n divides by (e.g. n=50000), or None for the "
                         f"size of the data diagnosed; got {n!r}")


def _check_update_takes_l2(subject: Subject) -> None:
    """Raise ``ValueError`` when ``lmbda > 0`` is given for a user's object
    whose ``update_mini_batch`` cannot take chapter 3's ``lmbda`` and ``n``:
    its copies could not train as the user says they do."""
    update = getattr(subject.obj, "update_mini_batch", None)
    if subject.lmbda and callable(update) and not verify.accepts_l2(update):
        raise ValueError(f"lmbda={subject.lmbda:g} was given, but your update_mini_batch takes "
                         f"no lmbda and n (chapter 3's is update_mini_batch(mini_batch, eta, "
                         f"lmbda, n)), so it cannot train with L2: pass lmbda=0, or give it "
                         f"the L2 term")


def _default_data(sizes: list[int], dataset: str, data_dir: str | os.PathLike | None,
                  images: int) -> Any:
    """The first ``images`` training images of ``dataset``; ``ValueError``
    unless the network reads MNIST's 784 pixels into 10 classes."""
    if sizes[0] != 784 or sizes[-1] != 10:
        raise ValueError(f"the default data is MNIST (784 pixels in, 10 classes out); for "
                         f"a network of sizes {sizes} pass data=(X, y)")
    return load_sample(dataset, data_dir, images)


def _checked(subject: Subject) -> Report:
    """The snapshot's report with the checks' findings added, each fix tried
    on copies, in cause order."""
    sample = subject.sample
    report = measure(subject.model, sample.X, sample.labels, sample.Y)
    found = list(report.findings)
    # The user's own code runs in the checks and the fixes' trials: its
    # overflows (an exp of a large z) are measured as results, not warned
    # about, and never abort the diagnosis.
    with np.errstate(all="ignore"):
        for check in CHECKS:
            found += check(subject)
        report.findings = in_cause_order([_verified(f, subject) for f in found])
    return report


def _probe(report: Report, subject: Subject, net: Any) -> None:
    """Re-read the findings with the probes' runs and add theirs
    (:func:`diagnostics.probes.probe`)."""
    shuffles = isinstance(net, network.Network) or isinstance(
        getattr(net, "network", None), network.Network)  # their SGD shuffles every epoch
    findings, report.probes = probes.probe(
        subject.model, subject.X, subject.sample.labels, subject.Y, report.findings,
        eta=subject.eta, mini_batch_size=subject.mini_batch_size, user=subject.obj,
        lmbda=subject.lmbda, n=subject.n,
        schemes=[layer.scheme for layer in report.layers], shuffles=shuffles)
    report.findings = in_cause_order(findings)


def _own_code(net: Any) -> Any:
    """The user's object whose own methods to check, or None: lists, files
    and this project's networks (``network.Network``, and ``network2``'s,
    which wraps one) are the reference itself."""
    if isinstance(net, str | os.PathLike | tuple | list | network.Network):
        return None
    if isinstance(getattr(net, "network", None), network.Network):
        return None
    return net


def _verified(finding: Finding, subject: Subject) -> Finding:
    """``finding`` with its fix tried on copies (when it can be: a verifier
    for its kind, a problem, and finite weights to train)."""
    verifier = VERIFIERS.get(finding.name)
    if verifier is None or finding.severity == "info" or not subject.finite:
        return finding
    return _learns_anyway(dataclasses.replace(finding, verified=verifier(finding, subject)))


def _learns_anyway(finding: Finding) -> Finding:
    """An error whose trial shows the user's own copy learning (its cost fell
    below :data:`~diagnostics.verify.LEARNS` of its start and its accuracy
    rose :data:`~diagnostics.verify.ACCURACY_GAIN` above chance) and ending
    no higher than the corrected one: the difference is real, but the trial
    does not show it stopping the network, and the message says so rather
    than let the fix look proven to help (a sigma'(a) for sigma'(z), biases
    aliased across two layers); it is then a warning.  A copy whose outputs
    collapsed to 0 lowers the quadratic cost too, and is not said to learn."""
    numbers = finding.verified.numbers if finding.verified is not None else {}
    start, end, fixed = (numbers.get(k) for k in ("yours_start", "yours_end", "fixed_end"))
    if finding.severity != "error" or not numbers.get("yours_learns") or None in (
            start, end, fixed) or end > fixed:
        return finding
    how = "as well as" if end == fixed else "better than"
    accuracy = numbers.get("yours_accuracy")
    accuracy = "" if accuracy is None else f", accuracy on the sample {accuracy:.0%}"
    # Not what stops it learning: a warning, after any error that does.
    return dataclasses.replace(finding, severity="warning", message=sentences(
        finding.message,
        f"In the trial below your own code learned {how} the corrected one (cost {start:.3g} "
        f"to {end:.3g}{accuracy}; corrected: {fixed:.3g}): it is a bug all the same, but the "
        f"trial does not show it stopping your network"))
