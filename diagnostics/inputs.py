"""diagnostics.inputs
~~~~~~~~~~~~~~~~~~

Whether the inputs have a scale the book's network can learn from: pixel
intensities in [0, 1], as ``mnist_loader`` gives them, or inputs
standardised to mean 0 and sd 1 (LeCun et al. 1998, "Efficient BackProp",
section 4.3).  Three ways a scale goes wrong, each undone by mapping the
inputs back to [0, 1] with their own smallest and largest value,
``(X - lo) / (hi - lo)`` (``unscaled_inputs``):

* **too large**: raw pixels reach 255 and multiply every first-layer z;
* **too small**: inputs divided by 255 twice reach 0.0039, and the first
  layer sees little but its biases;
* **offset**: inputs shifted far from 0 and barely spread (``X / 255 -
  127.5`` runs from -127.5 to -126.5), so that every image gives nearly the
  same z and the shift swamps what differs.

And one that no rescaling undoes (``inputs_blank``): inputs almost all
exactly 0, as an integer division leaves them (``X // 255`` keeps only the
pixels of value 255).  :func:`diagnostics.probes.verify_scaling` tries the
rescaling on a copy before the fix is believed.
"""

from __future__ import annotations

import numpy as np

from .findings import Finding, Verification
from .subject import Subject

# Inputs scaled to [0, 1], to [-1, 1] or standardised stay below this in
# absolute value; raw pixels reach 255.  Large inputs are this share of the
# values beyond it or more: inputs standardised per pixel reach 100 where a
# pixel is almost always 0, in 0.3 % of the values; raw MNIST pixels, 19 %.
INPUT_MAX = 5.0
LARGE_SHARE = 0.01
# ... and reach above this: [0, 1] pixels reach 1, standardised inputs 2 or
# more; pixels divided by 255 twice reach 0.0039.
INPUT_TINY = 0.05
# Offset inputs: their mean beyond half their largest magnitude, and their sd
# below this share of it (MNIST in [0, 1]: mean 0.13, sd 0.31; X / 255 -
# 127.5: mean -127.4, sd 0.0024 of 127.5; per-pixel standardised inputs have
# a small sd share too, from rare pixels in the hundreds, but mean 0).
OFFSET_SPREAD = 0.01
# Blank inputs: this share of the values exactly 0 or more (MNIST: 81 %,
# Fashion-MNIST: 51 %; MNIST after X // 255: 99.3 %).
BLANK_ZEROS = 0.98


def check(X_raw: np.ndarray) -> list[Finding]:
    """The inputs' scale findings for the sample ``X_raw`` (n, n_in), as given."""
    X = np.asarray(X_raw, dtype=np.float64).ravel()
    finite = X if np.isfinite(X).all() else X[np.isfinite(X)]
    if finite.size == 0:
        return []  # non-finite inputs are the snapshot's finding
    zeros = zero_share(finite)
    if zeros >= BLANK_ZEROS:
        return [_blank(finite, zeros, X_raw)]
    lo, hi = float(finite.min()), float(finite.max())
    # the bulk's magnitude, not the rarest value's (see LARGE_SHARE)
    large = np.count_nonzero(np.abs(finite) > INPUT_MAX) >= LARGE_SHARE * finite.size
    kind = scale_kind(lo, hi, float(finite.mean()), float(finite.std()), large)
    return [] if kind is None else [_unscaled(kind, lo, hi, finite, X_raw)]


def blank(X: np.ndarray) -> bool:
    """Inputs ``X`` at least :data:`BLANK_ZEROS` exactly 0."""
    X = np.asarray(X)
    return bool(X.size) and zero_share(X) >= BLANK_ZEROS


def zero_share(X: np.ndarray) -> float:
    """The share of the values of ``X`` that are exactly 0."""
    return 1.0 - np.count_nonzero(X) / X.size


def common_value(X: np.ndarray) -> str:
    """A sentence on the inputs' range and their most common value.  In MNIST
    that is the background, 0, the smallest value (81 % of the training
    pixels; Fashion-MNIST 50 %); inputs whose most common value lies inside
    their range are not images prepared so (uint8 pixels that wrapped
    around, ``X + 100``, have 100 there and the strokes below it)."""
    values, counts = np.unique(np.asarray(X, dtype=np.float64), return_counts=True)
    top = int(counts.argmax())
    where = ("their smallest" if top == 0 else "their largest" if top == len(values) - 1
             else "inside their range, where an image's background is at one end")
    return (f"the inputs run from {values[0]:.4g} to {values[-1]:.4g}, and their most common "
            f"value, {counts[top] / X.size:.0%} of them, is {values[top]:.4g}: {where}")


def scale_kind(lo: float, hi: float, mean: float, sd: float, large: bool) -> str | None:
    """``"offset"``, ``"large"``, ``"tiny"`` or None for inputs from ``lo``
    to ``hi`` with ``mean`` and standard deviation ``sd``; ``large``: at
    least :data:`LARGE_SHARE` of them beyond :data:`INPUT_MAX`."""
    biggest = max(abs(lo), abs(hi))
    if abs(mean) > biggest / 2 and sd < OFFSET_SPREAD * biggest:
        return "offset"
    if large:
        return "large"
    if 0 < biggest < INPUT_TINY:
        return "tiny"
    return None


def rescale_fix(lo: float, hi: float) -> str:
    """The line that maps inputs from ``lo`` to ``hi`` onto [0, 1], exactly
    as a user would type it (``X / 255`` for raw pixels)."""
    if lo == 0:
        return "X / 255.0" if hi == 255 else f"X / {hi:.10g}; for raw pixels X / 255.0"
    return f"(X - ({lo:.10g})) / {hi - lo:.10g}"


def _unscaled(kind: str, lo: float, hi: float, X: np.ndarray, X_raw: np.ndarray) -> Finding:
    integer = np.issubdtype(np.asarray(X_raw).dtype, np.integer)
    what = f"the inputs range from {lo:.4g} to {hi:.4g}" + (
        f" (integer type {np.asarray(X_raw).dtype})" if integer else "")
    why = {
        "large": "the book's network expects pixel intensities in [0, 1], and inputs this "
                 "large multiply every first-layer z",
        "tiny": "the book's network expects pixel intensities in [0, 1]; inputs this small "
                "(divided by 255 twice?) leave the first layer little but its biases",
        "offset": f"they are shifted far from 0 and barely spread (mean {X.mean():.4g}, sd "
                  f"{X.std():.3g}), so the shift swamps what differs between examples (an "
                  f"offset subtracted after scaling, or before it?)",
    }[kind]
    return Finding(
        "unscaled_inputs", "warning", f"{what}: {why}",
        f"scale them to [0, 1], as mnist_loader does: {rescale_fix(lo, hi)}",
        evidence={"input_min": lo, "input_max": hi, "input_sd": float(X.std()),
                  "input_dtype": str(np.asarray(X_raw).dtype), "kind": kind})


def _blank(X: np.ndarray, zeros: float, X_raw: np.ndarray) -> Finding:
    values = np.unique(X[X != 0])
    if not len(values):
        share = "every input value is exactly 0"
    elif len(values) <= 3:
        share = (f"{zeros:.1%} of the input values are exactly 0 and the others are "
                 f"{', '.join(f'{v:.4g}' for v in values)}")
    else:
        share = (f"{zeros:.1%} of the input values are exactly 0 and the others run from "
                 f"{values.min():.4g} to {values.max():.4g}")
    return Finding(
        "inputs_blank", "warning",
        f"{share} (MNIST's images in "
        f"[0, 1]: 81% zeros): the images are nearly blank, and a network can learn little "
        f"from them",
        "check how the inputs were made: an integer division (X // 255, or / on integer "
        "arrays in Python 2) keeps only the pixels of value 255; divide floats: "
        "X.astype(np.float64) / 255",
        evidence={"zero_share": zeros, "input_dtype": str(np.asarray(X_raw).dtype)})


def columns(subject: Subject) -> list[Finding]:
    """``inputs_format``: the book's pairs whose ``x`` is not the column
    ``(n_in, 1)`` (a ``(784,)`` vector, say), given to a book-style
    ``feedforward`` that fails on it where it works on the column.  With
    ``x`` of shape ``(784,)``, the book's ``np.dot(w, x) + b`` adds the
    ``(30, 1)`` bias to every entry of a ``(30,)`` vector: a ``(30, 30)``
    matrix, and a shape error in the next layer."""
    shape, (n_in, n_out) = subject.sample.x_shape, (subject.model.sizes[0],
                                                    subject.model.sizes[-1])
    if (shape is None or shape == (n_in, 1) or "feedforward" not in subject.methods
            or not subject.finite):
        return []
    x = subject.X[0]
    problem = _feedforward_on(subject, x.reshape(shape), n_out)
    if problem is None or _feedforward_on(subject, x.reshape(n_in, 1), n_out) is not None:
        return []  # it works as given, or not on columns either (the forward check's)
    return [Finding(
        "inputs_format", "error",
        f"each example's x has shape {shape}, and your feedforward on one {problem}: the "
        f"book's code needs a column ({n_in}, 1) (with x of shape ({n_in},), np.dot(w, x) + b "
        f"adds the bias column to every entry and makes a matrix)",
        f"make each x a column: x.reshape({n_in}, 1), as mnist_loader.load_data_wrapper does",
        evidence={"x_shape": list(shape)},
        verified=Verification(f"on x.reshape({n_in}, 1) your feedforward returns shape "
                              f"({n_out}, 1)", True))]


def _feedforward_on(subject: Subject, x: np.ndarray, n_out: int) -> str | None:
    """What the user's ``feedforward`` (on a copy) does wrong with ``x``, or
    None when it returns the ``(n_out, 1)`` column."""
    try:
        with np.errstate(all="ignore"):
            a = np.asarray(subject.user().feedforward(x))
    except Exception as error:  # noqa: BLE001  (the user's code may raise anything)
        return f"raises {type(error).__name__} ({error})"
    return None if a.shape == (n_out, 1) else f"returns shape {a.shape}"
