"""diagnostics.weights
~~~~~~~~~~~~~~~~~~~

What the shapes and sizes of the weights show without any data: a hidden
layer too narrow for the classes (``bottleneck``), and weights that have blown
up far beyond any initial draw (``diverged``).  Each finding's fix is verified
by training copies (:mod:`diagnostics.verify`).
"""

from __future__ import annotations

import math

import numpy as np

import initializers
import network

from . import verify
from .adapter import Model
from .findings import Finding, Verification
from .subject import Subject

# Weights whose root mean square is this many times the largest of any known
# scheme's initial draw for the layer's shape (randn's 1.0 for every shape)
# have blown up: a warning at one order of magnitude, an error at two.  A
# network trained at a sensible rate stays within a few times its draw.
DIVERGED_WARNING = 10.0
DIVERGED_ERROR = 100.0


def rms(x: np.ndarray) -> float:
    """Root mean square of the entries of ``x``, without overflow for huge
    finite values (scaled by the largest first)."""
    x = np.asarray(x, dtype=np.float64)
    top = float(np.max(np.abs(x))) if x.size else 0.0
    if top == 0 or not math.isfinite(top):
        return top
    return top * float(np.sqrt(np.mean((x / top) ** 2)))


def largest_draw(fan_in: int, fan_out: int) -> float:
    """The largest root mean square of any scheme in ``initializers.SCHEMES``
    for a layer of this shape: ``sqrt(var + mean^2)`` of its weights."""
    largest = 0.0
    for scheme in initializers.SCHEMES.values():
        try:
            mean, var = scheme.weight_moments(fan_in, fan_out)
        except Exception:  # a scheme that does not apply to this shape
            continue
        largest = max(largest, math.sqrt(var + mean * mean))
    return largest


def diverged(model: Model) -> list[Finding]:
    """The layers whose finite weights are orders of magnitude larger than any
    initial draw: training with too large a step has blown them up."""
    found = []
    for l, w in enumerate(model.weights):
        size, draw = rms(w), largest_draw(w.shape[1], w.shape[0])
        times = size / draw if draw > 0 else math.inf
        if not times >= DIVERGED_WARNING:
            continue
        found.append(Finding(
            "diverged", "error" if times >= DIVERGED_ERROR else "warning",
            f"the weights have a root mean square of {size:.3g}, {times:.2g} times the largest "
            f"of any known initial draw for {w.shape[1]} -> {w.shape[0]} ({draw:.3g}, randn): "
            f"training has blown them up, and every z is far out on the activation's flat "
            f"part", "start again from a fresh fan-scaled draw (e.g. init=\"xavier_normal\") "
            "and train with a smaller learning rate; weights this large do not come back",
            layer=l + 1, evidence={"rms": size, "largest_draw": draw, "times": times}))
    return found


def bottleneck(sizes: list[int]) -> list[Finding]:
    """The hidden layers narrower than the number of classes (3 or more
    outputs): every answer must pass through fewer numbers than there are
    answers to tell apart."""
    classes = sizes[-1]
    if classes < 3:
        return []
    return [Finding(
        "bottleneck", "warning",
        f"it has {units} unit{'s' * (units != 1)} for {classes} classes: every input is "
        f"squeezed into {units} number{'s' * (units != 1)} before the output layer, too few "
        f"to tell {classes} classes apart well",
        f"make layer {l} at least {classes} units wide (the book uses 30)", layer=l,
        evidence={"units": units, "classes": classes})
        for l, units in enumerate(sizes[1:-1], 1) if units < classes]


def _fresh(sizes: list[int], subject: Subject, seed: int = 0) -> network.Network:
    return verify.fresh_draw(sizes, subject.model.activation, subject.model.cost, seed)


def verify_bottleneck(finding: Finding, subject: Subject) -> Verification:
    """Two fresh draws of the same scheme, theirs and one with every narrow
    layer widened to 30 units (at least the classes), trained alike: at the
    user's rate, or a tenth or a hundredth of it, whichever the wider one
    learns at first (a rate far too large, a finding of its own, would
    otherwise hide what the width does)."""
    sizes = subject.model.sizes
    wide = [sizes[0]] + [max(n, 30, sizes[-1]) for n in sizes[1:-1]] + [sizes[-1]]
    eta, m = subject.step_size, subject.mini_batch_size
    for rate in (eta, eta / 10, eta / 100):
        fixed_net = _fresh(wide, subject)
        fixed = verify.train_reference(fixed_net, subject.X, subject.Y, rate, m,
                                               **subject.l2)
        if fixed.learns:
            break
    theirs = verify.train_reference(_fresh(sizes, subject), subject.X, subject.Y, rate, m,
                                    **subject.l2)
    return verify.compare(fixed, theirs, f"with sizes {wide} (a {fixed_net.init} draw)",
                          f"with yours, {sizes} (the same draw)", rate, m,
                          {"sizes": wide, "eta_tried": rate})


def verify_diverged(finding: Finding, subject: Subject) -> Verification:
    """A fresh fan-scaled draw trained at the user's rate, or a tenth of it,
    or a hundredth, whichever learns first, against their weights at the same
    rate."""
    eta, m = subject.step_size, subject.mini_batch_size
    for rate in (eta, eta / 10, eta / 100):
        net = _fresh(subject.model.sizes, subject)
        fixed = verify.train_reference(net, subject.X, subject.Y, rate, m, **subject.l2)
        if fixed.learns:
            break
    theirs = verify.train_reference(subject.reference(), subject.X, subject.Y, rate, m,
                                    **subject.l2)
    return verify.compare(fixed, theirs, f"from a fresh {net.init} draw", "from your weights",
                          rate, m, {"eta_tried": rate})


VERIFIERS = {"bottleneck": verify_bottleneck, "diverged": verify_diverged}
