"""diagnostics.functions
~~~~~~~~~~~~~~~~~~~~~

Whether the user's own ``sigmoid`` and ``sigmoid_prime`` compute the book's
functions (``activation_mismatch``).  The book's ``network.py`` defines them
at the bottom of the file, and a re-implementation that gets one wrong
(``z * (1 - z)`` for ``sigmoid(z) * (1 - sigmoid(z))``, say) has a
``backprop`` whose body is the book's, letter for letter: the gradient check
then says *that* the gradient is wrong, and this check says *where*.  Each
function, as a method of the user's object or a function of its module, is
evaluated on a column of weighted inputs from -8 to 8 and compared with
chapter 1's definitions, eqs. (3) and (after BP4) sigma'(z) = sigma(z)(1 -
sigma(z)).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable

import numpy as np

from .findings import Finding, Verification
from .subject import Subject

Z = np.linspace(-8.0, 8.0, 33).reshape(-1, 1)  # a column, as the book's code passes z


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


# name -> (the book's formula in words, the reference, the line that computes it)
BOOK = {
    "sigmoid": ("1 / (1 + exp(-z))", _sigmoid, "return 1.0 / (1.0 + np.exp(-z))"),
    "sigmoid_prime": ("sigmoid(z) * (1 - sigmoid(z))", lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
                      "return sigmoid(z) * (1 - sigmoid(z))"),
}


def check(subject: Subject) -> list[Finding]:
    """An ``activation_mismatch`` finding for each of the user's sigmoid
    functions that differs from the book's (sigmoid networks only)."""
    obj = subject.obj
    if obj is None or subject.model.activation != "sigmoid":
        return []
    found = []
    for name, (formula, reference, line) in BOOK.items():
        function = _theirs(obj, name)
        wrong = None if function is None else _first_difference(function, reference)
        if wrong is not None:
            found.append(_finding(name, formula, line, *wrong))
    return found


def _theirs(obj: object, name: str) -> Callable | None:
    """The user's ``name``: a method of ``obj``, or a global of the module its
    class's methods run in (a file loaded by ``--code`` may not be in
    ``sys.modules``)."""
    method = getattr(obj, name, None)
    if callable(method):
        return method
    for namespace in _namespaces(type(obj)):
        function = namespace.get(name)
        if callable(function):
            return function
    return None


def _namespaces(cls: type) -> list[dict]:
    """The globals the methods of ``cls`` (its own first, then its bases')
    see, and its module's."""
    spaces = [f.__globals__
              for klass in cls.__mro__ for f in vars(klass).values()
              if inspect.isfunction(f)]
    module = sys.modules.get(cls.__module__)
    return spaces + ([vars(module)] if module is not None else [])


def _first_difference(function: Callable, reference: Callable) -> tuple[float, str, float] | None:
    """``(z, what it returned, the book's value)`` at the first z where
    ``function`` differs from ``reference`` (relative 1e-6), or None."""
    want = reference(Z)
    try:
        with np.errstate(all="ignore"):
            got = np.asarray(function(Z.copy()), dtype=np.float64)
    except Exception as error:  # noqa: BLE001  (the user's code may raise anything)
        return float(Z[0, 0]), f"raises {type(error).__name__} ({error})", float(want[0, 0])
    if got.shape != want.shape:
        return float(Z[0, 0]), f"returns shape {got.shape} for z of shape {Z.shape}", \
            float(want[0, 0])
    bad = np.flatnonzero(~np.isclose(got, want, rtol=1e-6, atol=1e-12))
    if not bad.size:
        return None
    i = int(bad[np.argmax(np.abs(got - want).ravel()[bad])])  # the largest difference
    return float(Z.ravel()[i]), f"returns {got.ravel()[i]:.4g}", float(want.ravel()[i])


def _finding(name: str, formula: str, line: str, z: float, got: str, want: float) -> Finding:
    return Finding(
        "activation_mismatch", "error",
        f"your {name}(z) is not {formula}: at z = {z:g} it {got}, where {formula} is "
        f"{want:.4g}; " + ("feedforward and backprop, which call it, compute"
                             if name == "sigmoid" else "backprop, which calls it, computes")
        + " something else than the book's network",
        f"def {name}(z): {line}  (the book's, chapter 1)",
        evidence={"function": name, "z": z, "expected": want},
        verified=Verification(f"the book's {formula} at the same z: {want:.4g}", True,
                              {"expected": want}))
