"""diagnostics.diagnosis
~~~~~~~~~~~~~~~~~~~~~

``diagnose``: read the network and the data, measure, and name what stops it
learning.
"""

from __future__ import annotations

import os
from typing import Any

import blas

from . import probes
from .adapter import _model
from .data import DEFAULT_IMAGES, _sample, load_sample
from .findings import in_cause_order
from .report import Report
from .snapshot import _measure


def diagnose(net: Any, data: Any = None, *, activation: str | None = None, cost: Any = None,
             dataset: str = "mnist", data_dir: str | os.PathLike | None = None,
             images: int = DEFAULT_IMAGES, blas_threads: int | None = None,
             eta: float | None = None, mini_batch_size: int = 10) -> Report:
    """Measure ``net`` on a sample of inputs and name what stops it learning.

    ``net``: a ``network.Network``, a ``network2.Network`` (any object with
    ``sizes``, ``weights``, ``biases``, and ``activation``/``cost`` if not the
    book's sigmoid and quadratic cost), the path of a saved network (this
    project's ``.npz``/``.json`` or the book's ``network2.save()`` file), or the
    plain ``(weights, biases)`` lists of your own code in the book's shapes;
    for those, ``activation`` (hidden layers; the output is a sigmoid) and
    ``cost`` say what the network computes (default the book's chapter 1:
    ``"sigmoid"``, ``"quadratic"``; ``"cross_entropy"`` for chapter 3).

    ``data``: ``(X, y)`` arrays (``X`` of shape (n, sizes[0]), ``y`` labels (n,)
    or targets (n, sizes[-1])) or the book's list of ``(x, y)`` pairs; all of it
    is used.  Default: the first ``images`` (1,000) training images of
    ``dataset`` through ``mnist_loader`` (``data_dir`` as there).

    ``blas_threads``: numpy's BLAS threads during the call; None chooses them
    from the sizes of the products, as training does (:mod:`blas`).

    Returns a :class:`Report`.  Nothing is trained and ``net`` is not changed;
    NaN or infinite values are reported (``non_finite``), never raised.
    Raises ``ValueError`` for input that cannot be a network or its data.
    """
    model = _model(net, activation, cost)
    if data is None:
        if model.sizes[0] != 784 or model.sizes[-1] != 10:
            raise ValueError(f"the default data is MNIST (784 pixels in, 10 classes out); for "
                             f"a network of sizes {model.sizes} pass data=(X, y)")
        data = load_sample(dataset, data_dir, images)
    X, labels, Y = _sample(data, model.sizes)
    with blas.threads(model.sizes, len(X), blas_threads):
        report = _measure(model, X, labels, Y)
    if eta is not None:  # short training runs on copies (diagnostics.probes)
        _probe(report, model, net, X, labels, Y, eta, mini_batch_size)
    return report


def _probe(report: Report, model, net: Any, X, labels, Y, eta: float, m: int) -> None:
    """Add the probes' findings to ``report`` and re-read the snapshot's."""
    import network

    user = net if callable(getattr(net, "update_mini_batch", None)) and not isinstance(
        net, network.Network) else None
    findings, report.probes = probes.probe(
        model, X, labels, Y, report.findings, eta=eta, mini_batch_size=m, user=user,
        schemes=[layer.scheme for layer in report.layers],
        shuffles=isinstance(net, network.Network))
    report.findings = in_cause_order(findings)

