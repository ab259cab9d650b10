"""diagnostics.evaluation
~~~~~~~~~~~~~~~~~~~~~~

Whether the user's own ``evaluate`` counts what their network does
(``evaluate_mismatch``).  A network can learn while the number printed after
each epoch says it does not: an ``evaluate`` that compares the answer with a
one-hot column, takes ``np.argmax`` over the wrong thing or counts the wrong
examples prints 0 % or 10 % whatever the weights.  The book's ``evaluate``
(chapter 1) counts the examples whose most active output is the label:
``sum(int(np.argmax(self.feedforward(x)) == y) for (x, y) in test_data)``.
Their ``evaluate`` runs on a deep copy with the book's ``test_data`` (a
column ``x``, an int label ``y``), or with rows ``X`` and int labels ``y``
when it takes two arguments, and is compared with that count taken
from their own ``feedforward``, so that a wrong ``feedforward`` (a finding
of its own) is not blamed on ``evaluate``.
"""

from __future__ import annotations

import contextlib
import inspect
import io

import numpy as np

from .findings import Finding, Verification
from .subject import Subject

EXAMPLES = 1000  # the book's evaluate is one feedforward per example: about 10 ms


def check(subject: Subject) -> list[Finding]:
    """The ``evaluate_mismatch`` finding of the user's object, if any."""
    obj = subject.obj
    if not (callable(getattr(obj, "evaluate", None)) and callable(getattr(obj, "feedforward", None))
            and subject.finite):
        return []
    X, labels = subject.X[:EXAMPLES], subject.sample.labels[:EXAMPLES]
    test_data = [(x.reshape(-1, 1), int(t)) for x, t in zip(X, labels)]
    arrays = _parameters(obj.evaluate) == 2  # evaluate(X, y): rows and int labels
    try:  # what their evaluate prints (the book's SGD prints its count) stays out of the report
        with np.errstate(all="ignore"), contextlib.redirect_stdout(io.StringIO()):
            answers = [int(np.argmax(subject.user().feedforward(x))) for x, _ in test_data]
            evaluate = subject.user().evaluate
            theirs = evaluate(X, labels) if arrays else evaluate(test_data)
    except Exception:  # noqa: BLE001  (their feedforward's error is the user-code checks')
        return []
    right, n, value = int(np.sum(np.asarray(answers) == labels)), len(test_data), number(theirs)
    if value is None or counts_the_same(value, right, n):
        return []  # nothing to compare (it prints its count, say), or the same count
    given = ("X (n, 784) rows and int labels y" if arrays else
             "the book's test_data: a column x, an int label y")
    return [Finding(
        "evaluate_mismatch", "error",
        f"your evaluate returns {_short(theirs)} for {n:,} examples ({given}), where your own "
        f"feedforward's most active output is the label for {right:,} ({right / n:.0%}): what "
        f"it prints is not what the network does",
        "count the examples whose most active output is the label: sum(int(np.argmax("
        "self.feedforward(x)) == y) for (x, y) in test_data), with y an int label (the "
        "book's training_data holds one-hot columns: compare with np.argmax(y) there)",
        evidence={"returned": _short(theirs), "right": right, "examples": n},
        verified=Verification(
            f"counted as the book's evaluate counts, from your own feedforward on the same "
            f"copy: {right:,} of {n:,} ({right / n:.0%})", True, {"right": right}))]


def _parameters(method) -> int:
    """How many arguments ``method`` takes (1 for unknown)."""
    try:
        return len(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        return 1


def _short(value: object) -> str:
    """``value`` as the report shows it: a number as such, else its repr, cut."""
    text = f"{float(value):.4g}" if isinstance(value, int | float | np.number) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def number(returned: object) -> float | None:
    """What ``evaluate`` returned as a number: itself, the first of a tuple
    such as ``(count, n)``, or None (``None`` from an evaluate that prints)."""
    if isinstance(returned, tuple | list) and returned:
        returned = returned[0]
    try:
        return float(returned)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def counts_the_same(value: float, right: int, n: int) -> bool:
    """``value`` is ``right`` of ``n`` as a count, a fraction or a percentage."""
    return any(abs(value - right * unit) <= 0.5 * unit for unit in (1.0, 1.0 / n, 100.0 / n))
