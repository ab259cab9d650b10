"""diagnostics.report
~~~~~~~~~~~~~~~~~~

The diagnosis as a report: a table per layer, the whole network's figures and
the findings, as text (``str(report)``), as JSON-safe values
(``report.to_dict()``) and as a figure (``report.plot(path)``).
"""

from __future__ import annotations

import io
import os
import textwrap
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
# The text report's width in columns (a terminal's, and a pull request's).
WIDTH = 100


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
    eta: float | None = None  # the learning rate given to diagnose
    mini_batch_size: int = 10
    lmbda: float = 0.0  # the L2 regularization parameter given to diagnose
    n: int | None = None  # the training-set size of its term 1 - eta lmbda / n
    checked: list[str] = field(default_factory=list)  # the user's methods checked
    code: dict[str, str] = field(default_factory=dict)  # method -> "agrees" or what differs
    # the user's own methods when none is the book's: their code was not run
    other_methods: list[str] = field(default_factory=list)
    probes: Any = field(default=None, repr=False)  # diagnostics.rates.Probes, with eta

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

    def text(self, wide: bool = False) -> str:
        """The report as text: at most 100 columns, or with ``wide`` one
        line per paragraph and one table (``str(report)`` is ``text()``)."""
        return _format(self, wide)

    def plot(self, path: str | os.PathLike) -> None:
        """Write a PNG: for each layer, the histogram of ``z`` over its
        activation curve with the saturated (grey) or dead (red) zone shaded;
        last, ``||dC/db||`` and ``||dC/dw||`` per layer on a log scale."""
        from .plot import plot_report  # matplotlib only when drawing

        plot_report(self, Path(path))


def _format(report: Report, wide: bool = False) -> str:
    """The report as text: at most :data:`WIDTH` columns (two tables, prose
    wrapped), or with ``wide`` one table and one line per paragraph."""
    out = io.StringIO()

    def para(text: str, indent: str = "") -> None:
        out.write((text if wide else textwrap.fill(
            text, WIDTH, subsequent_indent=indent, break_long_words=False,
            break_on_hyphens=False)) + "\n")

    para(_inputs_text(report))
    out.write("\n" + _tables(report, wide) + "\n\n")
    for text, indent in _measured_paragraphs(report):
        para(text, indent)
    out.write("\n")
    for text in _verdict_paragraphs(report):
        para(text)
    if report.healthy and report.findings:
        out.write("Notes:\n")
    for f in report.findings:
        for text, indent in finding_lines(f):
            para(text, indent)
    return out.getvalue().rstrip() + "\n"


def _inputs_text(report: Report) -> str:
    """The first paragraph: the network, its cost and the examples it was measured on."""
    return (f"Diagnosis of {report.source}: sizes {report.sizes}, {report.activation} hidden "
            f"layers, {report.output} output, {report.cost} cost, on {report.examples:,} "
            f"examples, inputs from {g(report.input_min, 4)} to {g(report.input_max, 4)} "
            f"(mean {g(report.input_mean)}, {report.input_dtype})")


def _measured_paragraphs(report: Report) -> list[tuple[str, str]]:
    """The paragraphs under the tables, as ``(text, indent)``: each layer's
    scheme, the cost and answers, the user's code, and the step size."""
    paragraphs = [(f"layer {layer.index} weights: {scheme_text(layer.scheme)}", "    ")
                  for layer in report.layers]
    ratio = report.gradient_ratio
    answering = "1/n" if report.output == "softmax" else "0.5"
    paragraphs.append((
        f"cost {g(report.cost_start)} (a net answering {answering} everywhere: "
        f"{g(report.cost_half)}); accuracy {pct(report.accuracy)} (always answering the "
        f"most frequent label of these {report.examples:,}: {pct(report.chance)}); answers "
        f"{report.top_answer} for "
        f"{pct(report.top_share)} of the examples; |dC/db| first / last layer: "
        f"{g(ratio, 2) if ratio is not None else 'undefined'}", ""))
    if report.checked:
        found = "; ".join(f"{m} {report.code[m]}" if m in report.code else m
                          for m in report.checked)
        paragraphs.append((f"Your code, run on copies and compared with the reference for "
                           f"the same weights: {found}.", ""))
    elif report.other_methods:
        paragraphs.append((f"Your code was not run: it has none of the book's feedforward, "
                           f"backprop, update_mini_batch and cost_derivative (it has "
                           f"{', '.join(report.other_methods)}), so only your weights were "
                           f"measured.", ""))
    if report.eta is None:
        paragraphs.append(("Step size: not checked. Pass your learning rate, "
                           "diagnose(net, eta=...) or --eta, to train copies at your rate.", ""))
    elif report.probes is not None:
        paragraphs.append((report.probes.text(), ""))
    return paragraphs


def _verdict_paragraphs(report: Report) -> list[str]:
    """Healthy, with what was measured to be fine (never what a note below
    contradicts), and why an answer for most examples is normal; or how
    many errors and warnings were found and which to fix first."""
    # What the verdict says was measured to be fine, each with the findings
    # (of any severity) that say otherwise: a phrase is left out when one of
    # them is in the report, even as a note.
    fine_unless = (
        ("no saturated or dead layer", ("saturation", "dead_units", "output_saturation")),
        ("no copied units", ("symmetry",)),
        ("a gradient that reaches the first layer", ("vanishing_gradient",
                                                     "exploding_gradient")),
        ("scaled and finite inputs", ("unscaled_inputs", "non_finite")),
        ("outputs that are not flat", ("output_collapse", "output_saturation")))
    if report.healthy:
        noted = {f.name for f in report.findings}
        fine = [what for what, against in fine_unless if noted.isdisjoint(against)]
        healthy = ["Healthy: nothing here stops the network learning"
                   + (f" ({', '.join(fine)})." if fine else ".")]
        if report.top_share >= COLLAPSE_SHARE and "output_saturation" not in noted:
            healthy.append(f"One answer for {pct(report.top_share)} of the examples is normal "
                           f"before training: the outputs are not saturated.")
        return healthy
    errors = sum(f.severity == "error" for f in report.findings)
    warns = sum(f.severity == "warning" for f in report.findings)
    cause = report.cause
    return [f"Findings: {errors} error{'s' * (errors != 1)}, {warns} "
            f"warning{'s' * (warns != 1)}, most fundamental cause first"
            + (f"; fix {cause.name} first" if cause is not None else "")]


def finding_lines(f: Finding) -> list[tuple[str, str]]:
    """A finding's paragraphs as ``(text, indent of its wrapped lines)``: what
    was found, the fix, and what was measured when the fix was tried."""
    where = f", layer {f.layer}" if f.layer is not None else ""
    lines = [(f"[{f.severity}] {f.name}{where}: {f.message}", "    ")]
    confirmed = f.verified is None or f.verified.helped or f.severity == "info"
    lines.append((f"    fix: {f.fix}" if confirmed else f"    fix, not confirmed: {f.fix}",
                  "         "))
    if f.verified is not None:
        note = ("" if f.verified.helped or f.severity == "info"
                else " (the copy with this fix did not do better than yours: look at the "
                     "other findings)")
        lines.append((f"    verified: {f.verified}{note}" if f.verified.helped else
                      f"    tried: {f.verified}{note}", "         "))
    return lines


def _tables(report: Report, wide: bool) -> str:
    """The per-layer table: one, or split in two (the weights, then what they
    do on the sample) to fit :data:`WIDTH` columns."""
    weights = [[str(layer.index), f"{layer.fan_in} -> {layer.fan_out}", layer.activation,
                g(layer.weight_mean), g(layer.weight_sd), pct(layer.weight_positive),
                ", ".join(layer.scheme[:2]) or "-"] for layer in report.layers]
    sample = [[g(layer.z_mean), g(layer.z_var), pct(layer.saturated),
               "-" if layer.dead is None else str(layer.dead),
               f"{layer.distinct}/{layer.fan_out}", g(layer.grad_b, 2), g(layer.grad_w, 2)]
              for layer in report.layers]
    head_w = ["layer", "in -> out", "f", "w mean", "w sd", "w > 0", "looks like"]
    head_s = ["z mean", "z var", "saturated", "dead", "distinct", "|dC/db|", "|dC/dw|"]
    if wide:
        return table([a + b for a, b in zip(weights, sample)], head_w + head_s)
    on_sample = [[str(layer.index)] + row for layer, row in zip(report.layers, sample)]
    return table(weights, head_w) + "\n\n" + table(on_sample, ["layer"] + head_s)
