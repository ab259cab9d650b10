"""diagnostics.findings
~~~~~~~~~~~~~~~~~~~~

A finding: one thing wrong (or worth knowing), with the numbers that show it,
the fix in one sentence and what was measured when the fix was tried.  The
severities, and the order of the causes (most fundamental first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .text import json_safe

SEVERITIES = ("info", "warning", "error")
# The findings' stable names, most fundamental cause first: a finding earlier
# in this list can produce the ones after it, never the reverse (NaN weights
# make every other number meaningless; a wrong gradient or update makes the
# step size meaningless; unscaled inputs saturate the first layer; saturation
# flattens the outputs and stops the gradient).  The report lists findings in
# this order and ``report.cause`` is the first that is not "info".  Some come
# only from the probes (short training runs on copies) or the Monitor.
FINDINGS = (
    # the numbers themselves
    "non_finite", "diverged",
    # the user's own code, against the reference
    "settings_read", "activation_mismatch", "forward_mismatch", "gradient_mismatch",
    "update_mismatch", "evaluate_mismatch",
    # the data and labels
    "inputs_format", "labels_format", "labels_imbalanced", "inputs_blank", "unscaled_inputs",
    "labels_misaligned", "labels_noisy", "data_unshuffled", "test_inputs_differ",
    "nothing_learns",
    # the step size, and the weight decay it scales (L2's 1 - eta lmbda / n:
    # with lmbda far too large a smaller rate only slows the decay, the
    # weights settle where they would at the user's rate)
    "lmbda_too_large", "learning_rate_too_large", "mini_batch_too_large",
    "learning_rate_too_small",
    # the architecture and the initial draw
    "symmetry", "bottleneck", "saturation", "dead_units", "output_saturation",
    "exploding_gradient", "vanishing_gradient",
    # symptoms
    "cost_at_start", "cannot_overfit", "output_collapse", "chance_accuracy", "frozen_weights",
)


@dataclass(frozen=True)
class Verification:
    """What was measured when a fix was applied on a copy of the network.

    ``text`` is one sentence with the numbers, e.g. ``"with eta=0.5 the cost
    fell from 0.45 to 0.09 in 300 steps; with yours, 3.0, it was NaN after
    12"``; ``helped`` says whether the fix did better than the user's own
    setting by the measure the sentence names; ``numbers`` holds those
    numbers (JSON-safe values).
    """

    text: str
    helped: bool
    numbers: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"text": self.text, "helped": self.helped, "numbers": self.numbers})


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or worth knowing): a stable ``name`` (see
    :data:`FINDINGS`), a ``severity`` (``"info"``, ``"warning"``, ``"error"``),
    what was measured in ``message``, the ``fix`` in one sentence, the
    ``layer`` concerned (1 = the first weight layer), the ``evidence`` as
    numbers, and ``verified``: what was measured when the fix was applied on
    a copy (:class:`Verification`), or ``None`` when it could not be tried."""

    name: str
    severity: str
    message: str
    fix: str
    layer: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    verified: Verification | None = None

    def __str__(self) -> str:
        where = f", layer {self.layer}" if self.layer is not None else ""
        text = f"[{self.severity}] {self.name}{where}: {self.message}\n    fix: {self.fix}"
        if self.verified is not None:
            text += f"\n    verified: {self.verified}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"name": self.name, "severity": self.severity, "layer": self.layer,
                          "message": self.message, "fix": self.fix, "evidence": self.evidence,
                          "verified": None if self.verified is None
                          else self.verified.to_dict()})


def in_cause_order(findings: list[Finding]) -> list[Finding]:
    """``findings`` most fundamental cause first (:data:`FINDINGS`), the
    "info" ones last, each kind by layer."""
    rank = {name: i for i, name in enumerate(FINDINGS)}
    return sorted(findings, key=lambda f: (f.severity == "info", rank.get(f.name, len(rank)),
                                           f.layer or 0))


def root_cause(findings: list[Finding]) -> Finding | None:
    """What to fix first: the first error of ``findings`` in cause order, else
    the first warning (what stops learning before what slows it: a bug in
    the user's gradient that the trial shows learning better than its
    correction is a warning, and raw pixels that stop it are fixed first);
    ``None`` when there is neither."""
    ordered = in_cause_order(findings)
    for severity in ("error", "warning"):
        for f in ordered:
            if f.severity == severity:
                return f
    return None
