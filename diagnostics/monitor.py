"""diagnostics.monitor
~~~~~~~~~~~~~~~~~~~

The training monitor: ``SGD(..., callback=Monitor())`` diagnoses the network
after every epoch and warns (or stops) when training goes wrong.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from nndl.files import write_atomic

from . import rates, regularization, trials
from .data import DEFAULT_IMAGES, load_sample
from .diagnosis import check_l2, diagnose
from .findings import Finding, Verification
from .measures import activation as activation_row
from .report import Report
from .schemes import fan_scheme
from .snapshot import COLLAPSE_SHARE

# Monitor: accuracy within this of always giving the most frequent answer is
# "stuck at chance"; a layer whose weights moved less than this (relative to
# their norm) over an epoch no longer learns.
CHANCE_MARGIN = 0.05
FROZEN_CHANGE = 1e-6
# A hidden layer's saturation that grew by this much (absolute share) since
# the first epoch, to at least SATURATED_NOW: training pushed the units into
# saturation, which points to the step size (the book's network at eta = 100:
# 49 % to 82 % in 300 steps; at eta = 3 it stays near 50 %).
SATURATION_GROWTH = 0.2
SATURATED_NOW = 0.5
# The weights moved less than this share of their norm in an epoch: too
# short a step to learn (the book's network at eta = 1e-3: about 1e-3 per
# epoch of 5,000 steps; at eta = 3: about 0.3).
SMALL_CHANGE = 1e-2


class TrainingHealthWarning(UserWarning):
    """A finding of the training :class:`Monitor`.  Code that trains bad
    initializers on purpose silences it with
    ``warnings.simplefilter("ignore", diagnostics.TrainingHealthWarning)``."""


# What the Monitor checks in each epoch's report (at severity "error"; symmetry
# at any).
MONITORED = ("non_finite", "symmetry", "saturation", "output_collapse")
# The snapshot's findings whose fix is a new initial draw, and the draws
# whose look after training still means the draw is at fault (weights held
# still by saturation keep it: rand's after an epoch still look like rand).
DRAW_FIXED = ("saturation", "output_collapse")
STEP_FINDINGS = ("learning_rate_too_large", "learning_rate_too_small")
BAD_DRAWS = ("rand", "zeros", "randn")


@dataclass(frozen=True)
class LayerPoint:
    """One layer after one epoch, on the monitor's sample: its output's mean
    and sd, the share of saturated (unit, example) pairs and of dead units
    (None where the activation cannot), ``||dC/dw||``, how far its weights
    moved during the epoch (``||w - w_before|| / ||w_before||``, None for
    the first epoch seen and after all-zero weights), and the update-to-weight ratio of one step,
    ``eta * ||dC/dw|| / ||w||`` (None without the monitor's ``eta``)."""

    epoch: int
    layer: int
    a_mean: float
    a_sd: float
    saturated: float | None
    dead: float | None
    grad_w: float
    change: float | None
    update_ratio: float | None


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
    ``history`` holds a :class:`LayerPoint` per layer and epoch, and the
    findings read it: saturation that grew since the first epoch points to
    too large a step, weights that hardly move to too small a one, and no
    advice contradicts it.  With ``eta`` (the rate ``SGD`` trains with) the
    monitor also measures each step's update-to-weight ratio, and verifies
    its step-size advice with a range test from the first epoch's weights
    (:mod:`diagnostics.rates`).  With ``lmbda`` and ``n`` (chapter 3's L2
    term, as ``SGD`` takes it, and the training set's size) those copies
    train with it, and a network still far from learning is checked for an
    ``lmbda`` far too large (:mod:`diagnostics.regularization`).  ``plot(path)``
    draws the history.
    """

    def __init__(self, data: Any = None, *, stop: bool = False, images: int = DEFAULT_IMAGES,
                 dataset: str = "mnist", data_dir: str | os.PathLike | None = None,
                 eta: float | None = None, lmbda: float = 0.0, n: int | None = None) -> None:
        check_l2(lmbda, n)
        if lmbda and n is None:
            raise ValueError("Monitor(lmbda=...) needs n=, the size of the training set SGD "
                             "trains on (e.g. n=50000): the weight decay 1 - eta*lmbda/n of "
                             "every step depends on it")
        self.data, self.stop, self.eta = data, stop, eta
        self.l2 = {"lmbda": float(lmbda), "n": n}
        self.history: list[LayerPoint] = []
        self._verified: dict[str, Verification] = {}
        self._first: tuple[list[np.ndarray], list[np.ndarray]] | None = None
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
        points = self._record(epoch, net, report)
        step = self._step_size(epoch, net, report)
        # an earlier epoch's step-size finding still stands (growth is seen once)
        advice = _advice(step or [f for _, f in self.findings if f.name in STEP_FINDINGS])
        # copied units are warned of at any severity: a layer of 30 with
        # 28 copies learns as a layer of 2, and the copies stay copies
        found = [_trained(f, report, epoch, advice) for f in report.findings
                 if f.name in MONITORED and (f.severity == "error" or f.name == "symmetry")]
        found += step + self._regularized(epoch, report) + self._after_training(
            report, epoch, advice)
        found += _frozen(points, epoch)
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
    def _after_training(report: Report, epoch: int, advice: str) -> list[Finding]:
        """What counts only once the network has trained: one answer for most
        inputs (before training that is normal), accuracy at chance.
        ``advice``: what the history says of the step size (:func:`_advice`)."""
        found = []
        if report.top_share >= COLLAPSE_SHARE and report.finding("output_collapse") is None:
            found.append(Finding(
                "output_collapse", "error",
                f"after {epoch + 1} epoch{'s' * (epoch > 0)} of training the network still "
                f"answers {report.top_answer} for {report.top_share:.1%} of the examples",
                f"see the other findings; {advice}",
                layer=len(report.layers),
                evidence={"top_answer": report.top_answer, "top_share": report.top_share}))
        if report.accuracy <= report.chance + CHANCE_MARGIN:
            found.append(Finding(
                "chance_accuracy", "error",
                f"after {epoch + 1} epoch{'s' * (epoch > 0)} the accuracy on the sample is "
                f"{report.accuracy:.1%}, no better than always giving the most frequent label "
                f"({report.chance:.1%})",
                f"fix the other findings; check that the labels belong to the inputs; "
                f"{advice}",
                evidence={"accuracy": report.accuracy, "chance": report.chance}))
        return found

    def _record(self, epoch: int, net: Any, report: Report) -> list[LayerPoint]:
        """Append a :class:`LayerPoint` per layer to ``history``; return them."""
        weights = [np.array(w, dtype=np.float64) for w in net.weights]
        if self._first is None:
            self._first = (weights, [np.array(b, dtype=np.float64) for b in net.biases])
        with np.errstate(all="ignore"):
            for layer, z, w in zip(report.layers, report.zs, weights):
                a = activation_row(layer.activation).f(z)
                norm = float(np.linalg.norm(w))
                old = None if self._previous is None else self._previous[layer.index - 1]
                before = None if old is None else float(np.linalg.norm(old))
                change = (None if old is None or old.shape != w.shape or before == 0 else
                          float(np.linalg.norm(w - old)) / before)  # undefined from zeros
                self.history.append(LayerPoint(
                    epoch, layer.index, float(a.mean()), float(a.std()), layer.saturated,
                    None if layer.dead is None else layer.dead / layer.fan_out, layer.grad_w,
                    change, None if self.eta is None or norm == 0 else
                    self.eta * layer.grad_w / norm))
        self._previous = weights
        return self.history[-len(weights):]

    def start(self, net: Any) -> None:
        """Record the network before training (as epoch -1), so that the
        history can say what training changed: call it before ``SGD``."""
        if self.data is None:
            self.data = load_sample(self.dataset, self.data_dir, self.images)
        self._record(-1, net, diagnose(net, self.data))

    def series(self, name: str, layer: int) -> list[float | None]:
        """The history of one :class:`LayerPoint` field for ``layer`` (1 =
        the first weight layer), epoch by epoch."""
        names = [f.name for f in fields(LayerPoint)]
        if name not in names:
            raise ValueError(f"no series {name!r}: a LayerPoint has {', '.join(names)}")
        return [getattr(p, name) for p in self.history if p.layer == layer]

    def _step_size(self, epoch: int, net: Any, report: Report) -> list[Finding]:
        """``learning_rate_too_large`` when a hidden layer's saturation grew
        since the first epoch while the accuracy stays low;
        ``learning_rate_too_small`` when no layer's weights moved
        :data:`SMALL_CHANGE` of their norm in the epoch and the accuracy is at
        chance.  Verified with a range test when ``eta`` is known."""
        if _learned(report):
            return []  # it has learned: the step size is not what is wrong
        first = self.history[0].epoch
        since = "before training" if first < 0 else f"after epoch {first}"
        saturated_now = False
        # every layer: an output layer saturated by the steps stops the
        # gradient as surely as a hidden one (ReLU hidden units die instead)
        for layer in report.layers:
            sat = self._stuck(layer.index)
            saturated_now |= bool(sat) and sat[-1] >= SATURATED_NOW
            stuck = "dead" if layer.saturated is None else "saturated"
            if len(sat) >= 2 and sat[-1] - sat[0] >= SATURATION_GROWTH and sat[-1] >= SATURATED_NOW:
                return [self._step_finding(
                    "learning_rate_too_large", report, epoch, layer=layer.index,
                    what=f"layer {layer.index} was {sat[0]:.0%} {stuck} {since} and is "
                         f"{sat[-1]:.0%} after epoch {epoch}, with the accuracy at "
                         f"{report.accuracy:.1%}: the steps pushed its units there, which "
                         f"points to too large a step")]
        if first == epoch:  # no start(): this epoch is the first seen
            return self._saturated_unseen(report, epoch)
        changes = [p.change for p in self.history if p.epoch == epoch]
        # Weights held still by saturation are not a short step: saturation says so.
        if (changes and None not in changes and min(changes) < SMALL_CHANGE
                and not saturated_now and report.accuracy <= report.chance + CHANCE_MARGIN):
            return [self._step_finding(
                "learning_rate_too_small", report, epoch,
                what=f"in epoch {epoch} the weights of layer "
                     f"{int(np.argmin(changes)) + 1} moved only {min(changes):.2g} of their "
                     f"norm, no hidden layer is {SATURATED_NOW:.0%} saturated, and the accuracy is "
                     f"{report.accuracy:.1%}: the steps are too short to learn")]
        return []

    def _saturated_unseen(self, report: Report, epoch: int) -> list[Finding]:
        """Without :meth:`start`, a layer saturated (or dead) after the first
        epoch seen, whose weights look like no known bad draw
        (:data:`BAD_DRAWS`) and whose inputs are scaled: training most likely
        pushed it there with too large a step.  A warning unless the range
        test from a fresh draw (:meth:`_verify_rate`) confirms it."""
        if report.finding("unscaled_inputs") is not None:
            return []  # raw pixels saturate a layer from any draw
        for layer in report.layers:
            sat = self._stuck(layer.index)
            if not sat or sat[-1] < SATURATED_NOW or any(s in BAD_DRAWS for s in layer.scheme):
                continue
            stuck = "dead" if layer.saturated is None else "saturated"
            f = self._step_finding(
                "learning_rate_too_large", report, epoch, layer=layer.index,
                what=f"layer {layer.index} is {sat[-1]:.0%} {stuck} after epoch {epoch}, "
                     f"with the accuracy at {report.accuracy:.1%}, and its weights look like "
                     f"no bad initial draw: the steps most likely pushed its units there "
                     f"(call monitor.start(net) before SGD to see it happen)")
            return [f if f.verified is not None and f.verified.helped
                    else replace(f, severity="warning")]
        return []

    def _stuck(self, layer: int) -> list[float]:
        """``layer``'s share of saturated (unit, example) pairs per epoch, or
        of dead units for ReLU (which does not saturate: its units die)."""
        return [p.saturated if p.saturated is not None else p.dead
                for p in self.history if p.layer == layer
                and (p.saturated is not None or p.dead is not None)]

    def _step_finding(self, name: str, report: Report, epoch: int, what: str,
                      layer: int | None = None) -> Finding:
        direction = "lower" if name.endswith("large") else "raise"
        if self.eta is not None and name not in self._verified:  # one range test per kind
            self._verified[name] = self._verify_rate(name, report)
        verified = self._verified.get(name)
        if verified is not None and verified.helped:
            fix = f"{direction} the learning rate to eta={verified.numbers['best_eta']:.3g}"
            if name.endswith("large") and self.history[0].epoch >= 0:  # from a fresh draw
                fix += (f", starting again from a fresh draw with init="
                        f"\"{fan_scheme(report.activation)}\", the draw that rate was "
                        f"measured from: these weights are already stuck")
        else:
            fix = (f"{direction} the learning rate (not verified: give Monitor(eta=...) the rate "
                   f"you train with, or run diagnose(net, data, eta=...), to measure which "
                   f"rate learns)" if verified is None else
                   f"not confirmed: no rate on the {direction} side learned from the first "
                   f"weights seen; see the other findings")
        # refuted by its range test: a warning, the other findings come first
        severity = "warning" if verified is not None and not verified.helped else "error"
        return Finding(name, severity, what, fix, layer=layer, verified=verified,
                       evidence={"epoch": epoch, "accuracy": report.accuracy})

    def _verify_rate(self, name: str, report: Report) -> Verification | None:
        """A range test on the monitor's sample from the first weights seen
        (before training, after :meth:`start`); for a step too large seen
        without :meth:`start`, from a fresh fan-scaled draw
        (:func:`diagnostics.trials.fan_scaled`) instead: weights a first
        epoch has already saturated learn at no rate."""
        from .adapter import model_of

        model, split = self._first_seen(report)
        fresh = name == "learning_rate_too_large" and self.history[0].epoch >= 0
        if fresh:
            model = model_of(trials.fan_scaled(model), report.activation, report.cost)
        runs = rates.range_test(model, split, self.eta, **self.l2)
        found = rates.learning_rate(runs, self.eta, split.chance)
        start = "a fresh fan-scaled draw" if fresh else "the first weights seen"
        if found and found[0].name == name:
            verified = found[0].verified
            return replace(verified, text=f"from {start}: {verified.text}") if fresh else verified
        return Verification(f"a range test from {start} did not confirm it (best rate: "
                            f"{rates.best_rate(runs, split.chance)})", False)

    def _regularized(self, epoch: int, report: Report) -> list[Finding]:
        """``lmbda_too_large``, once, when the monitor knows ``eta`` and an
        ``lmbda``, the network is still far from learning (as
        :meth:`_step_size` judges it) and copies from the first weights seen,
        at ``eta``, learned clearly more with a smaller lmbda."""
        if (not self.l2["lmbda"] or self.eta is None or _learned(report)
                or any(f.name == "lmbda_too_large" for _, f in self.findings)):
            return []
        model, split = self._first_seen(report)
        lmbda, n = self.l2["lmbda"], self.l2["n"]
        runs = regularization.lmbda_test(model, split, self.eta, lmbda, n)
        found = regularization.lmbda_too_large(runs, lmbda, self.eta, n, split.chance)
        return [replace(f, evidence={**f.evidence, "epoch": epoch}) for f in found]

    def _first_seen(self, report: Report) -> tuple[Any, trials.Split]:
        """The first weights seen, as a model with ``report``'s activation and
        cost, and the monitor's sample split as the probes split it."""
        from .adapter import model_of
        from .data import sample_of

        model = model_of(self._first, report.activation, report.cost)
        data = sample_of(self.data, model.sizes)
        return model, trials.split(data.X, data.labels, data.Y)

    def plot(self, path: str | os.PathLike) -> None:
        """Write a PNG of the history: per layer (rows) the saturated and dead
        shares, the activation's mean +- sd, ``||dC/dw||``, and the
        update-to-weight ratio (or, without ``eta``, the epoch's relative
        change) over the epochs, with the healthy band of the ratio shaded."""
        _plot_history(self, Path(path))

    @staticmethod
    def _fatal(report: Report, found: list[Finding]) -> bool:
        if any(f.name == "non_finite" for f in found):
            return True
        hidden = report.layers[:-1]
        every_hidden_saturated = bool(hidden) and all(
            (layer.saturated_units is not None and layer.saturated_units == 1.0)
            or (layer.dead is not None and layer.dead == layer.fan_out)  # ReLU: all dead
            for layer in hidden)
        return every_hidden_saturated and any(f.name == "output_collapse" for f in found)


def _frozen(points: list[LayerPoint], epoch: int) -> list[Finding]:
    """``frozen_weights`` for each layer whose weights moved by less than
    ``FROZEN_CHANGE`` of their norm during ``epoch`` (the relative change
    :meth:`Monitor._record` measured)."""
    found = []
    for point in points:
        change = point.change
        if change is not None and change < FROZEN_CHANGE:
            found.append(Finding(
                "frozen_weights", "error",
                f"the weights of layer {point.layer} changed by {change:.2g} of their norm "
                f"during epoch {epoch}: they no longer learn",
                "fix what stops the gradient (saturation, dead units, a vanishing "
                "gradient), or raise the learning rate", layer=point.layer,
                evidence={"relative_change": change}))
    return found


def _trained(f: Finding, report: Report, epoch: int, advice: str) -> Finding:
    """``f`` as the Monitor reports it: a snapshot finding whose fix is a new
    draw keeps it only while the layer still looks like a known bad draw
    (:data:`BAD_DRAWS`); weights that training moved there (a xavier_normal
    network saturated by a rate too large) get the history's advice."""
    if f.name not in DRAW_FIXED:
        return f
    layer = report.layers[(f.layer or len(report.layers)) - 1]
    if any(scheme in BAD_DRAWS for scheme in layer.scheme):
        return f
    return replace(f, verified=None,
                   fix=f"the weights got there in training (after epoch {epoch}), not from "
                       f"their draw; {advice}")


def _learned(report: Report) -> bool:
    """The network answers the sample at least halfway from always giving the
    most frequent label to all right: what is wrong, if anything, is not
    the step size or the weight decay."""
    return report.accuracy >= report.chance + 0.5 * (1 - report.chance)


def _advice(step: list[Finding]) -> str:
    """The step-size advice the history supports, and nothing it does not."""
    if step and step[0].name == "learning_rate_too_large":
        return "the history points to too large a step (learning_rate_too_large)"
    if step and step[0].name == "learning_rate_too_small":
        return "the history points to too short a step (learning_rate_too_small)"
    return ("the history does not show the step size at fault; diagnose(net, data, "
            "eta=yours) measures which rate learns")


def _plot_history(monitor: Monitor, path: Path) -> None:
    from matplotlib.figure import Figure  # no pyplot: the user's backend is left alone

    layers = sorted({p.layer for p in monitor.history})
    fig = Figure(figsize=(12, 2.4 * max(len(layers), 1)))
    axes = fig.subplots(max(len(layers), 1), 4, squeeze=False)
    ratio = "update_ratio" if monitor.eta is not None else "change"
    for row, layer in zip(axes, layers):
        epochs = monitor.series("epoch", layer)
        for name, label in (("saturated", "saturated"), ("dead", "dead")):
            values = [np.nan if v is None else 100 * v for v in monitor.series(name, layer)]
            row[0].plot(epochs, values, marker="o", label=label)
        row[0].set_ylim(-5, 105)
        row[0].set_ylabel(f"layer {layer}\n%")
        mean = np.array(monitor.series("a_mean", layer))
        sd = np.array(monitor.series("a_sd", layer))
        row[1].plot(epochs, mean, marker="o", color="C2")
        row[1].fill_between(epochs, mean - sd, mean + sd, color="C2", alpha=0.2)
        row[2].semilogy(epochs, [max(v, 1e-300) for v in monitor.series("grad_w", layer)],
                        marker="o", color="C3")
        values = [np.nan if v is None or not v > 0 else v for v in monitor.series(ratio, layer)]
        row[3].semilogy(epochs, values, marker="o", color="C4")
        if ratio == "update_ratio":
            row[3].axhspan(*trials.RATIO_BAND, color="green", alpha=0.1, lw=0)
            row[3].axhline(1e-3, color="green", lw=0.8)
    titles = ("saturated / dead (%)", "activation mean +- sd", "||dC/dw||",
              "update / weight per step (band: healthy)" if ratio == "update_ratio"
              else "||w change|| / ||w|| per epoch")
    for ax, title in zip(axes[0], titles):
        ax.set_title(title, fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    for ax in axes.ravel():
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.93, bottom=0.08, wspace=0.3, hspace=0.4)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    write_atomic(path, lambda f: f.write(buffer.getvalue()))
