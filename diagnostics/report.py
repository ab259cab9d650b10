"""diagnostics.report
~~~~~~~~~~~~~~~~~~

The diagnosis as a report: a table per layer, the whole network's figures and
the findings, as text (``str(report)``), as JSON-safe values
(``report.to_dict()``) and as a figure (``report.plot(path)``).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .findings import Finding, root_cause
from .schemes import scheme_text
from .text import g, json_safe, pct, table

# Output collapse: one answer for at least this share of the examples (the
# snapshot's output_collapse finding also needs flat outputs: see
# snapshot.OUTPUT_SATURATED).
COLLAPSE_SHARE = 0.9


@dataclass
class LayerReport:
    """What was measured in one weight layer (``index`` 1 is the first)."""

    index: int
    fan_in: int
    fan_out: int
    activation: str
    weight_mean: float
    weight_sd: float
    weight_positive: float  # share of weights > 0
    bias_mean: float
    bias_sd: float
    scheme: list[str]  # identify_scheme's names, best first; [] for none
    z_mean: float
    z_var: float
    saturated: float | None  # share of (unit, example) pairs; None where f never flattens
    saturated_units: float | None  # share of units saturated on >= 90 % of examples
    dead: int | None  # units with z <= 0 on every example; None where units cannot die
    distinct: int  # distinct units (rows of [weights | bias])
    grad_b: float  # ||dC/db||
    grad_w: float  # ||dC/dw||

    def to_dict(self) -> dict[str, Any]:
        return json_safe(dict(self.__dict__))


@dataclass
class Report:
    """The diagnosis of a network on a sample of inputs.

    ``print(report)`` shows a table per layer, the whole network's figures and
    the findings; ``to_dict()`` is the same as JSON-safe values; ``plot(path)``
    draws each layer's ``z`` over its activation curve, and the gradient norms.
    ``healthy`` is true when no finding is above ``"info"``.
    """

    source: str
    sizes: list[int]
    activation: str
    output: str
    cost: str
    examples: int
    input_min: float
    input_max: float
    input_mean: float
    input_dtype: str
    cost_start: float  # the mean cost on the sample
    cost_half: float  # the cost of a net that outputs 0.5 everywhere
    accuracy: float
    chance: float  # the accuracy of always giving the most frequent label
    top_answer: int
    top_share: float  # share of the most frequent prediction
    output_spread: float  # largest difference of an output between two examples
    gradient_ratio: float | None  # ||dC/db|| first layer / last layer
    layers: list[LayerReport]
    findings: list[Finding]
    zs: list[np.ndarray] = field(default_factory=list, repr=False)  # for plot()
    probes: Any = field(default=None, repr=False)  # diagnostics.probes.Probes, with eta

    @property
    def healthy(self) -> bool:
        return all(f.severity == "info" for f in self.findings)

    @property
    def cause(self) -> Finding | None:
        """The root finding: the first (in cause order) that is not "info",
        what to fix first; ``None`` when there is none."""
        return root_cause(self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def finding(self, name: str, layer: int | None = None) -> Finding | None:
        """The first finding called ``name`` (in ``layer``, if given), or None."""
        for f in self.findings:
            if f.name == name and (layer is None or f.layer == layer):
                return f
        return None

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items()
               if k not in ("layers", "findings", "zs", "probes")}
        out["healthy"] = self.healthy
        out["layers"] = [layer.to_dict() for layer in self.layers]
        out["findings"] = [f.to_dict() for f in self.findings]
        return json_safe(out)

    def __str__(self) -> str:
        return _format(self)

    def plot(self, path: str | os.PathLike) -> None:
        """Write a PNG: for each layer, the histogram of ``z`` over its
        activation curve with the saturated (grey) or dead (red) zone shaded;
        last, ``||dC/db||`` and ``||dC/dw||`` per layer on a log scale."""
        from .plot import plot_report  # matplotlib only when drawing

        plot_report(self, Path(path))


def _format(report: Report) -> str:
    out = io.StringIO()
    out.write(f"Diagnosis of {report.source}: sizes {report.sizes}, {report.activation} "
              f"hidden layers, {report.output} output, {report.cost} cost\n")
    out.write(f"on {report.examples:,} examples, inputs from {g(report.input_min, 4)} to "
              f"{g(report.input_max, 4)} (mean {g(report.input_mean)}, "
              f"{report.input_dtype})\n\n")
    rows = []
    for layer in report.layers:
        rows.append([
            str(layer.index), f"{layer.fan_in} -> {layer.fan_out}", layer.activation,
            g(layer.weight_mean), g(layer.weight_sd), pct(layer.weight_positive),
            ", ".join(layer.scheme[:2]) or "-", g(layer.z_mean), g(layer.z_var),
            pct(layer.saturated), "-" if layer.dead is None else str(layer.dead),
            f"{layer.distinct}/{layer.fan_out}", g(layer.grad_b, 2), g(layer.grad_w, 2)])
    out.write(table(rows, ["layer", "in -> out", "f", "w mean", "w sd", "w > 0",
                            "looks like", "z mean", "z var", "saturated", "dead",
                            "distinct", "|dC/db|", "|dC/dw|"]) + "\n\n")
    for layer in report.layers:
        out.write(f"layer {layer.index} weights: {scheme_text(layer.scheme)}\n")
    ratio = report.gradient_ratio
    out.write(f"cost {g(report.cost_start)} (a net answering 0.5 everywhere: "
              f"{g(report.cost_half)}); accuracy {pct(report.accuracy)} (always the most "
              f"frequent label: {pct(report.chance)}); answers {report.top_answer} for "
              f"{pct(report.top_share)} of the examples; |dC/db| first / last layer: "
              f"{g(ratio, 2) if ratio is not None else 'undefined'}\n\n")
    errors = sum(f.severity == "error" for f in report.findings)
    warns = sum(f.severity == "warning" for f in report.findings)
    if report.healthy:
        out.write("Healthy: nothing here stops the network learning (no saturated or dead "
                  "layer, no copied units, a gradient that reaches the first layer, scaled "
                  "and finite inputs, outputs that are not flat).\n")
        if report.top_share >= COLLAPSE_SHARE:
            out.write(f"One answer for {pct(report.top_share)} of the examples is normal "
                      f"before training: the outputs are not saturated.\n")
        if report.findings:
            out.write("Notes:\n")
    else:
        out.write(f"Findings: {errors} error{'s' * (errors != 1)}, {warns} "
                  f"warning{'s' * (warns != 1)}, most fundamental first\n")
    for f in report.findings:
        out.write(str(f) + "\n")
    return out.getvalue().rstrip() + "\n"

