"""diagnostics.monitor
~~~~~~~~~~~~~~~~~~~

The training monitor: ``SGD(..., callback=Monitor())`` diagnoses the network
after every epoch and warns (or stops) when training goes wrong.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from .data import DEFAULT_IMAGES, load_sample
from .diagnosis import diagnose
from .findings import Finding
from .report import Report
from .snapshot import COLLAPSE_SHARE

# Monitor: accuracy within this of always giving the most frequent answer is
# "stuck at chance"; a layer whose weights moved less than this (relative to
# their norm) over an epoch no longer learns.
CHANCE_MARGIN = 0.05
FROZEN_CHANGE = 1e-6


class TrainingHealthWarning(UserWarning):
    """A finding of the training :class:`Monitor`.  Code that trains bad
    initializers on purpose silences it with
    ``warnings.simplefilter("ignore", diagnostics.TrainingHealthWarning)``."""


# What the Monitor checks in each epoch's report (at severity "error").
MONITORED = ("non_finite", "saturation", "output_collapse")


class Monitor:
    """Checks a network's health after every epoch: ``SGD(..., callback=Monitor())``.

    On a fixed sample (``data``, else the first ``images`` training images of
    ``dataset``) it looks for non-finite weights, saturation, output collapse,
    accuracy stuck at chance and weights that no longer change.  Each finding
    is warned once, with its text, as a :class:`TrainingHealthWarning`.  With
    ``stop=True`` it ends training (by returning ``False`` to ``SGD``) after
    an epoch with a fatal finding: non-finite weights, or outputs collapsed
    with every hidden unit saturated.

    ``findings`` holds ``(epoch, Finding)`` for everything found, ``report``
    the last epoch's :class:`Report`, ``stopped_at`` the epoch it stopped.
    """

    def __init__(self, data: Any = None, *, stop: bool = False, images: int = DEFAULT_IMAGES,
                 dataset: str = "mnist", data_dir: str | os.PathLike | None = None) -> None:
        self.data, self.stop = data, stop
        self.images, self.dataset, self.data_dir = images, dataset, data_dir
        self.findings: list[tuple[int, Finding]] = []
        self.report: Report | None = None
        self.stopped_at: int | None = None
        self._warned: set[str] = set()
        self._previous: list[np.ndarray] | None = None

    def __call__(self, epoch: int, net: Any, history: Any = None) -> bool | None:
        if self.data is None:
            self.data = load_sample(self.dataset, self.data_dir, self.images)
        report = diagnose(net, self.data)
        found = [f for f in report.findings if f.name in MONITORED and f.severity == "error"]
        found += self._after_training(report, epoch)
        found += self._frozen(net, epoch)
        self.report = report
        for f in found:
            self.findings.append((epoch, f))
            if f.name not in self._warned:
                self._warned.add(f.name)
                warnings.warn(f"after epoch {epoch}: {f}", TrainingHealthWarning, stacklevel=2)
        if self.stop and self._fatal(report, found):
            self.stopped_at = epoch
            return False
        return None

    @staticmethod
    def _after_training(report: Report, epoch: int) -> list[Finding]:
        """What counts only once the network has trained: one answer for most
        inputs (before training that is normal), accuracy at chance."""
        found = []
        if report.top_share >= COLLAPSE_SHARE and report.finding("output_collapse") is None:
            found.append(Finding(
                "output_collapse", "error",
                f"after {epoch + 1} epoch{'s' * (epoch > 0)} of training the network still "
                f"answers {report.top_answer} for {report.top_share:.1%} of the examples",
                "see the other findings; if there are none, try a smaller learning rate",
                layer=len(report.layers),
                evidence={"top_answer": report.top_answer, "top_share": report.top_share}))
        if report.accuracy <= report.chance + CHANCE_MARGIN:
            found.append(Finding(
                "chance_accuracy", "error",
                f"after {epoch + 1} epoch{'s' * (epoch > 0)} the accuracy on the sample is "
                f"{report.accuracy:.1%}, no better than always giving the most frequent label "
                f"({report.chance:.1%})",
                "fix the other findings; if there are none, check that the labels belong to "
                "the inputs and try a smaller learning rate",
                evidence={"accuracy": report.accuracy, "chance": report.chance}))
        return found

    def _frozen(self, net: Any, epoch: int) -> list[Finding]:
        weights = [np.array(w, dtype=np.float64) for w in net.weights]
        previous, self._previous = self._previous, weights
        if previous is None or len(previous) != len(weights):
            return []
        found = []
        for l, (old, new) in enumerate(zip(previous, weights)):
            with np.errstate(all="ignore"):
                change = float(np.linalg.norm(new - old) / max(np.linalg.norm(old), 1e-300))
            if change < FROZEN_CHANGE:
                found.append(Finding(
                    "frozen_weights", "error",
                    f"the weights of layer {l + 1} changed by {change:.2g} of their norm during "
                    f"epoch {epoch}: they no longer learn",
                    "fix what stops the gradient (saturation, dead units, a vanishing "
                    "gradient), or raise the learning rate", layer=l + 1,
                    evidence={"relative_change": change}))
        return found

    @staticmethod
    def _fatal(report: Report, found: list[Finding]) -> bool:
        if any(f.name == "non_finite" for f in found):
            return True
        hidden = report.layers[:-1]
        every_hidden_saturated = bool(hidden) and all(
            layer.saturated_units is not None and layer.saturated_units == 1.0
            for layer in hidden)
        return every_hidden_saturated and any(f.name == "output_collapse" for f in found)
