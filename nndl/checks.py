"""nndl.checks
~~~~~~~~~~~~

The checks of the settings and arguments that ``network.Network`` is given,
each with a message that names the problem and the fix.  They run once, at
the public method's entry, before any work: a bad argument never costs a
half-trained network.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np


def check_sizes(sizes) -> list[int]:
    """``sizes`` as a list of Python ints, each >= 1, at least two of them."""
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence | np.ndarray):
        raise TypeError(f"sizes must be a list of integers, the neurons per layer such as "
                        f"[784, 30, 10], got {sizes!r}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"a network needs at least two layers (input and output), got {sizes}")
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 1:
            raise ValueError(f"layer sizes must be positive integers, got {sizes}")
    return [int(s) for s in sizes]


def check_dtype(dtype) -> np.dtype:
    """``dtype`` as a ``np.dtype``, float32 or float64."""
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


def check_seed(seed) -> int | None:
    """``seed`` as a Python ``int`` (numpy integers too), or None.

    Only these are accepted because the seed is saved and recorded (JSON) and
    must make the same numbers again: a ``Generator`` has no seed to save, and
    a ``SeedSequence`` is not written by ``save``.  Refused at construction,
    not after training when ``save`` would fail."""
    if seed is None:
        return None
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool | np.bool_):
        if seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {seed}")
        return int(seed)
    raise TypeError(f"seed must be None or an integer >= 0 (it is saved with the network and "
                    f"recorded), got {type(seed).__name__}; to seed from a Generator rng, pass "
                    f"seed=int(rng.integers(2**63))")


def check_choice(what: str, value: str, valid: Sequence[str]) -> str:
    """``value`` when it is one of ``valid``."""
    if value not in valid:
        raise ValueError(f"unknown {what} {value!r}; valid: {', '.join(valid)}")
    return value


def check_count(what: str, value, minimum: int) -> int:
    """``value`` as an int when it is an integer >= ``minimum`` (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_number(what: str, value) -> float:
    """``value`` as a float when it is a real number (Python or numpy; not a
    bool, not a string such as ``"3.0"``, which ``float()`` would accept)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number, got {type(value).__name__} {value!r}")
    return float(value)


def check_positive(what: str, value) -> float:
    """``value`` as a float when it is a positive finite number (``eta``)."""
    value = check_number(what, value)
    if not (math.isfinite(value) and value > 0):
        zero = (" (Python reads a literal below 5e-324, such as 1e-330, as 0.0)"
                if value == 0 else "")
        raise ValueError(f"{what} must be a positive finite number, got {value!r}{zero}")
    return value


def check_nonnegative(what: str, value) -> float:
    """``value`` as a float when it is a finite number >= 0 (``lmbda``)."""
    value = check_number(what, value)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{what} must be a finite number >= 0, got {value!r}")
    return value


def check_step_fits(eta: float, lmbda: float, n: int, m: int, dtype) -> None:
    """Refuse a step that a network of ``dtype`` cannot hold: the factor
    ``eta / m`` of the gradient (``m`` the smallest mini-batch's examples)
    or the weight decay ``1 - eta lmbda / n`` (``n`` the training set's
    size, ch. 3, eq. 93) beyond the dtype's largest number (about 3.4e38
    in float32), where it would be infinity.  Smaller rates that diverge
    are warned about as training runs (``TrainingDivergedWarning``).  A
    factor so small that it rounds to 0 in ``dtype`` would train nothing,
    and is refused too."""
    dtype = np.dtype(dtype)
    largest = float(np.finfo(dtype).max)
    decay = 1.0 - eta * lmbda / n
    with np.errstate(over="ignore"):  # a factor beyond the range is refused below
        rounds_to_zero = np.asarray(eta / m, dtype=dtype) == 0
    if rounds_to_zero:
        raise ValueError(f"eta={eta:g}: the step's factor eta/m = {eta / m:g} (m = {m}) rounds "
                         f"to 0 in {dtype}, so no step would change a weight; use a larger eta "
                         f"(the book's are 0.1 to 3.0)")
    if eta / m > largest:
        what, fix = (f"eta={eta:g}: the step's factor eta/m = {eta / m:g} (m = {m}, the "
                     f"smallest mini-batch)"), "a smaller eta"
    elif not abs(decay) <= largest:
        what, fix = (f"eta={eta:g} and lmbda={lmbda:g}: the weight decay 1 - eta*lmbda/n = "
                     f"{decay:g} (n = {n})"), "a smaller eta or lmbda"
    else:
        return
    if dtype != np.float64:
        fix += ", or a float64 network (dtype=np.float64)"
    raise ValueError(f"{what} is beyond {dtype}'s range (up to {largest:.3g}); use {fix}")


def check_monitoring(evaluation_data, verbose, callback, **monitor) -> None:
    """SGD's switches: each ``monitor_*`` flag and ``verbose`` a bool, a
    ``monitor_evaluation_*`` flag only with ``evaluation_data`` to measure,
    ``callback`` a function or None; checked before training."""
    for what, flag in {"verbose": verbose, **monitor}.items():
        if not isinstance(flag, bool | np.bool_):
            raise TypeError(f"{what} must be True or False, got {flag!r}")
    for what, flag in monitor.items():
        if flag and what.startswith("monitor_evaluation") and evaluation_data is None:
            raise ValueError(f"{what}=True needs evaluation_data to measure; pass "
                             f"evaluation_data=..., e.g. the validation data")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function callback(epoch, net, history) or None, "
                        f"got {callback!r}")


def check_not_lmbda(test_data) -> None:
    """Refuse a number as ``network.Network.SGD``'s ``test_data``: the book's
    ``network2`` takes ``lmbda`` fifth, where this ``SGD`` takes ``test_data``."""
    if isinstance(test_data, int | float):
        raise TypeError(f"test_data is the number {test_data!r}: give lmbda by keyword, "
                        f"lmbda={test_data!r} (network2.Network.SGD takes it fifth)")


def check_real(a: np.ndarray, what: str) -> None:
    """Refuse an array that does not hold real numbers (strings, objects, complex)."""
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{what} must be real numbers, got an array of dtype {a.dtype}")


def listed(items: list[str]) -> str:
    """``items`` as an English list: ``"a"``, ``"a and b"``, ``"a, b and c"``."""
    return " and ".join(filter(None, (", ".join(items[:-1]), items[-1])))


def describe(obj) -> str:
    """``obj``'s type, with its shape or length: what an error message shows."""
    if isinstance(obj, np.ndarray):
        return f"an array of shape {obj.shape}"
    if isinstance(obj, list | tuple):
        return f"a {type(obj).__name__} of {len(obj)} items"
    return type(obj).__name__


def rows_fix(shape: tuple, n_in: int) -> str:
    """How to make inputs of ``shape`` into rows ``(n, n_in)``, when it is clear."""
    if len(shape) >= 3 and math.prod(shape[1:]) == n_in:
        return "; flatten each example into a row: X.reshape(len(X), -1)"
    if len(shape) == 2 and shape[0] == n_in:
        return "; that is one example per column: pass X.T, one example per row"
    if len(shape) == 1 and shape[0] == n_in:
        return "; that is one example: pass X.reshape(1, -1), one example per row"
    return ""


def column_fix(shape: tuple, n_in: int, name: str = "x") -> str:
    """How to make an input of ``shape`` into the book's column ``(n_in, 1)``."""
    if math.prod(shape) == n_in:
        return f"; make it a column: {name}.reshape({n_in}, 1)"
    return ""
