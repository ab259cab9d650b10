"""diagnostics.snapshot
~~~~~~~~~~~~~~~~~~~~

What a snapshot of the weights shows on a sample of inputs: each layer
measured (:mod:`diagnostics.measures`), and the findings those numbers give,
one small function per kind.  Each threshold says why it is where it is.
"""

from __future__ import annotations

import math

import numpy as np

from . import inputs, measures, weights
from .adapter import Model
from .findings import Finding, in_cause_order
from .measures import (
    SATURATION_LEVEL,
    UNIT_SATURATED_SHARE,
    activation,
    dead_units,
    distinct_units,
    layer_activations,
    saturated_fraction,
    saturated_units,
    saturation_z,
)
from .report import COLLAPSE_SHARE, LayerReport, Report
from .schemes import fan_scheme, identify_scheme

# Share of a hidden layer's (unit, example) pairs saturated.  At 90 % nearly
# no error reaches the layer's weights (``rand``: 100 %); the book's ``randn``
# starts at about 50 % and learns, but slower than a fan-scaled scheme (0 %),
# hence a warning from 25 %.
SATURATED_ERROR = 0.9
SATURATED_WARNING = 0.25
# A network has learned when its accuracy is at least this far from always
# giving the most frequent label to perfect (MNIST: 56 %; two classes: 75 %).
# Its saturated units are then confident ones, which is normal after
# training, so saturation is only reported (info).
TRAINED_GAIN = 0.5
# Share of a ReLU layer's units dead (z <= 0 on every example).  A few dead
# units are common after training; a tenth is worth a look, half is a layer
# that has lost most of its capacity.
DEAD_WARNING = 0.1
DEAD_ERROR = 0.5
# ||dC/db|| of the first layer over that of the last (the output layer).  The
# book's chapter 5 calls a first layer that learns an order of magnitude or
# more slower than the last the vanishing gradient problem.  Healthy
# [784, 30, 10] sigmoid networks measure 0.17 to 0.36 (seeds 0-9, randn and
# xavier_normal); [784, 30, 30, 30, 30, 10] measures 0.04 to 0.15 with randn
# and about 0.002 with chapter3.  Below 1e-4 the first layer is as good as frozen.
VANISHING_RATIO = 0.1
VANISHING_ERROR = 1e-4
EXPLODING_RATIO = 10.0  # the mirror image: the first layer 10x faster than the last
# Output collapse (one answer for at least report.COLLAPSE_SHARE of the examples)
# counts only with outputs saturated on at least this share of (unit,
# example) pairs: before training a healthy network often gives one answer
# for most images (xavier_normal, seed 0: 99 %), but its outputs are not flat.
OUTPUT_SATURATED = 0.5
# Outputs that differ by less than this between any two examples: the network
# gives the same answer to every input.
SAME_OUTPUT = 1e-6


def measure(model: Model, X_raw: np.ndarray, labels: np.ndarray, Y: np.ndarray) -> Report:
    with np.errstate(all="ignore"):  # non-finite values are findings, not warnings
        X = np.ascontiguousarray(X_raw, dtype=np.float64)
        zs, acts = measures.forward(model.weights, model.biases, X, model.activation,
                                    model.cost)
        nabla_b, nabla_w = measures.gradient(model.weights, model.biases, X, Y,
                                             model.activation, model.cost)
        layers = [_layer(l, model, zs[l], nabla_b[l], nabla_w[l])
                  for l in range(len(model.weights))]
        z_out, a_out = zs[-1], acts[-1]
        predictions = measures.predictions_of(z_out)
        counts = np.bincount(predictions, minlength=max(model.sizes[-1], 2))
        lo, hi, mean = _finite_range(X)
        grad_first, grad_last = layers[0].grad_b, layers[-1].grad_b
        report = Report(
            source=model.source, sizes=model.sizes, activation=model.activation,
            output=model.output, cost=model.cost, examples=len(X),
            input_min=lo, input_max=hi, input_mean=mean,
            input_dtype=str(np.asarray(X_raw).dtype),
            cost_start=measures.cost_value(z_out, a_out, Y, model.cost),
            cost_half=measures.cost_value(np.zeros_like(z_out), np.full_like(a_out, 0.5), Y,
                                          model.cost),
            accuracy=float(np.mean(predictions == labels)),
            chance=float(np.bincount(labels).max() / len(labels)),
            top_answer=int(counts.argmax()), top_share=float(counts.max() / len(X)),
            output_spread=float(np.max(np.ptp(a_out, axis=0))),
            gradient_ratio=(grad_first / grad_last if grad_last > 0 and math.isfinite(
                grad_first / grad_last) else None),
            layers=layers, findings=[], zs=zs)
        report.findings = _findings(report, model, X_raw, acts, nabla_b + nabla_w)
    return report


def _layer(l: int, model: Model, z: np.ndarray, nb: np.ndarray, nw: np.ndarray) -> LayerReport:
    w, b = model.weights[l], model.biases[l]
    act = layer_activations(model.activation, model.output, len(model.weights))[l]
    finite_w, finite_b = w[np.isfinite(w)], b[np.isfinite(b)]
    flat = act.flat_z is not None
    return LayerReport(
        index=l + 1, fan_in=w.shape[1], fan_out=w.shape[0], activation=act.name,
        weight_mean=_mean(finite_w), weight_sd=_sd(finite_w),
        weight_positive=float(np.mean(w > 0)),
        bias_mean=_mean(finite_b), bias_sd=_sd(finite_b),
        scheme=identify_scheme(w, b),
        z_mean=float(z.mean()), z_var=float(z.var()),
        saturated=saturated_fraction(z, act.name) if flat else None,
        saturated_units=saturated_units(z, act.name) if flat else None,
        dead=dead_units(z, act.name) if act.dead_below is not None else None,
        distinct=distinct_units(w, b),
        grad_b=float(np.linalg.norm(nb)), grad_w=float(np.linalg.norm(nw)))


def _finite_range(X: np.ndarray) -> tuple[float, float, float]:
    """Smallest, largest and mean finite entry of ``X`` (NaN when there is none)."""
    lo, hi = float(X.min()), float(X.max())
    if math.isfinite(lo) and math.isfinite(hi):  # a NaN would have made them NaN
        return lo, hi, float(X.mean())
    finite = X[np.isfinite(X)]
    if not finite.size:
        return math.nan, math.nan, math.nan
    return float(finite.min()), float(finite.max()), float(finite.mean())


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else math.nan


def _sd(x: np.ndarray) -> float:
    return float(x.std()) if x.size else math.nan


def _findings(report: Report, model: Model, X_raw: np.ndarray, acts: list[np.ndarray],
              grads: list[np.ndarray]) -> list[Finding]:
    non_finite = _non_finite(model, X_raw, report.zs, grads)
    architecture = weights.bottleneck(model.sizes)
    if non_finite and not all(np.isfinite(p).all() for p in model.weights + model.biases):
        # Every number computed from NaN weights is meaningless (NaN rows even
        # look like copied units): they are the one finding.
        return in_cause_order(non_finite + architecture)
    found = non_finite + architecture + weights.diverged(model)
    found += inputs.check(X_raw)
    symmetry = _symmetry(report, model)
    hidden = _saturation(report, model, acts) + _dead_units(report, model, acts)
    found += symmetry + hidden + _output_saturation(report, model, acts)
    causes = [f for f in hidden if f.severity == "error"]  # what stops a layer's gradient
    # A zero first-layer gradient behind all-zero weights is the symmetry finding's.
    if not (symmetry and report.layers[0].grad_b == 0):
        found += _gradient_flow(report, causes)
    found += _output_collapse(report, model, acts, causes)
    return in_cause_order(found)


def _count_non_finite(x: np.ndarray) -> tuple[int, int]:
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating) or not x.size:
        return 0, 0
    if math.isfinite(x.min()) and math.isfinite(x.max()):  # NaN would make them NaN
        return 0, 0
    nan = int(np.count_nonzero(np.isnan(x)))
    return nan, int(np.count_nonzero(~np.isfinite(x))) - nan


def _non_finite(model: Model, X_raw: np.ndarray, zs: list[np.ndarray],
                grads: list[np.ndarray]) -> list[Finding]:
    places = []
    named = [("inputs", X_raw)]
    named += [(f"weights[{l}]", w) for l, w in enumerate(model.weights)]
    named += [(f"biases[{l}]", b) for l, b in enumerate(model.biases)]
    for name, x in named:
        nan, inf = _count_non_finite(x)
        counts = [f"{nan:,} NaN"] * bool(nan) + [f"{inf:,} infinite"] * bool(inf)
        if counts:
            places.append(f"{name} ({', '.join(counts)})")
    for l, z in enumerate(zs):
        bad = int(np.count_nonzero(~np.isfinite(z).all(axis=1)))
        if bad:
            places.append(f"z of layer {l + 1} (on {bad:,} of {len(z):,} examples)")
    bad_grads = sum(int(np.count_nonzero(~np.isfinite(g))) for g in grads)
    if bad_grads:
        places.append(f"the gradient ({bad_grads:,} entries)")
    if not places:
        return []
    return [Finding(
        "non_finite", "error",
        f"NaN or infinity in {'; '.join(places)}: every number computed from them is "
        f"meaningless, and training spreads them to every weight",
        "find where they come from (an init function, a learning rate so large that "
        "training diverged, or NaN in the data: np.isfinite(w).all() checks) and start "
        "again from finite weights", evidence={"places": places})]


def _symmetry(report: Report, model: Model) -> list[Finding]:
    found = []
    for layer in report.layers[:-1]:  # output units differ through their targets
        units = layer.fan_out
        if units < 2 or layer.distinct == units:
            continue
        later_zero = any(not np.any(w) for w in model.weights[layer.index:])
        extra = (" The weights after it are all 0, so no error reaches it: its gradient is "
                 "exactly 0 at the start." if later_zero else "")
        found.append(Finding(
            "symmetry", "error" if layer.distinct == 1 else "warning",
            f"its {units} units are only {layer.distinct} distinct "
            f"unit{'s' if layer.distinct > 1 else ''} (equal rows of [weights | bias]): equal "
            f"units compute the same output, get the same gradient and stay equal forever, "
            f"so the layer works as {layer.distinct} unit{'s' if layer.distinct > 1 else ''}."
            + extra,
            f'draw the weights at random from a zero-centred scheme such as '
            f'init="{fan_scheme(model.activation)}": units must start different to learn '
            f'different features', layer=layer.index,
            evidence={"units": units, "distinct": layer.distinct}))
    return found


def _saturation(report: Report, model: Model, acts: list[np.ndarray]) -> list[Finding]:
    found = []
    trained = report.accuracy >= report.chance + TRAINED_GAIN * (1 - report.chance)
    for layer in report.layers[:-1]:  # the output layer's is output_saturation's
        share = layer.saturated
        if share is None or not share >= SATURATED_WARNING:
            continue
        severity = "error" if share >= SATURATED_ERROR else "warning"
        note = ""
        why, fix = _why_z(layer, model, acts, report)
        if trained:
            severity = "info"
            note = (f" The network already answers {report.accuracy:.1%} correctly: in a "
                    f"trained network, saturated units are confident ones, which is normal.")
            fix = "nothing to fix in a network that has learned"
        z_t = saturation_z(layer.activation)
        found.append(Finding(
            "saturation", severity,
            f"{share:.1%} of (unit, example) pairs are saturated ({layer.activation}'(z) below "
            f"{SATURATION_LEVEL:.0%} of its maximum, |z| > {z_t:.3g}), and "
            f"{layer.saturated_units:.0%} of the units are saturated on at least "
            f"{UNIT_SATURATED_SHARE:.0%} of the examples; z has mean {layer.z_mean:.3g} and "
            f"sd {math.sqrt(layer.z_var):.3g}. {why}. The error passing back through a "
            f"saturated unit is multiplied by almost 0, so its weights barely change.{note}",
            fix, layer=layer.index,
            evidence={"saturated": share, "saturated_units": layer.saturated_units,
                      "threshold_z": z_t, "z_mean": layer.z_mean, "z_var": layer.z_var}))
    return found


def _output_saturation(report: Report, model: Model, acts: list[np.ndarray]
                       ) -> list[Finding]:
    """A saturated output layer.  With the quadratic cost the output error is
    multiplied by sigma'(z) ~ 0, so nothing learns; the cross-entropy cost
    cancels that factor (the book, ch. 3), so there it is only noted."""
    out = report.layers[-1]
    share = out.saturated
    if share is None or not share >= SATURATED_WARNING:
        return []
    trained = report.accuracy >= report.chance + TRAINED_GAIN * (1 - report.chance)
    why, fix = _why_z(out, model, acts, report)
    if trained or model.cost != "quadratic":
        severity = "info"
        note = (f" The network already answers {report.accuracy:.1%} correctly: confident "
                f"outputs are normal after training." if trained else
                f" With the {model.cost} cost the output error is a - y, not multiplied by "
                f"{out.activation}'(z), so saturated outputs still learn (the book, ch. 3).")
        fix = "nothing to fix for this alone"
    else:
        severity = "error" if share >= SATURATED_ERROR else "warning"
        note = (f" With the quadratic cost the output error is multiplied by "
                f"{out.activation}'(z) ~ 0 there, so the whole network learns slowly.")
    return [Finding(
        "output_saturation", severity,
        f"{share:.1%} of the outputs are saturated (|z| > {saturation_z(out.activation):.3g}); "
        f"z has mean {out.z_mean:.3g} and sd {math.sqrt(out.z_var):.3g}. {why}.{note}",
        fix, layer=out.index, evidence={"saturated": share, "z_mean": out.z_mean,
                                        "z_var": out.z_var})]


def _dead_units(report: Report, model: Model, acts: list[np.ndarray]) -> list[Finding]:
    found = []
    for layer in report.layers:
        if not layer.dead:
            continue
        share = layer.dead / layer.fan_out
        severity = ("error" if share >= DEAD_ERROR else
                    "warning" if share >= DEAD_WARNING else "info")
        why, fix = _why_z(layer, model, acts, report)
        found.append(Finding(
            "dead_units", severity,
            f"{layer.dead} of {layer.fan_out} units are dead: z <= 0 on every one of the "
            f"{report.examples:,} examples (z has mean {layer.z_mean:.3g}, sd "
            f"{math.sqrt(layer.z_var):.3g}), so they output 0 and pass no gradient. {why}",
            fix, layer=layer.index,
            evidence={"dead": layer.dead, "units": layer.fan_out, "z_mean": layer.z_mean}))
    return found


def _gradient_flow(report: Report, causes: list[Finding]) -> list[Finding]:
    """The first layer's gradient against the last's; ``causes`` are the hidden
    layers' saturation and dead-unit errors, which stop the gradient."""
    ratio = report.gradient_ratio
    if ratio is None or len(report.layers) < 2 or not math.isfinite(ratio):
        return []
    first, last = report.layers[0], report.layers[-1]
    numbers = (f"||dC/db|| is {first.grad_b:.2g} in layer 1 and {last.grad_b:.2g} in layer "
               f"{last.index} (the last)")
    evidence = {"ratio": ratio, "grad_b": [layer.grad_b for layer in report.layers]}
    if ratio < VANISHING_RATIO:
        if causes:
            what = _what(causes[0])
            why = (f"the {what} of layer {causes[0].layer} pass{'es' * what.endswith('n')} "
                   f"almost no error back")
            fix = f"fix the {what} of layer {causes[0].layer} (above) first"
        else:
            why = (f"each {report.activation} layer multiplies the error by its derivative "
                   f"(at most {activation(report.activation).max_prime:g}) and by the weights")
            fix = ('use ReLU hidden layers with init="he_normal" (activation="relu"), whose '
                   'derivative is 1 where active, or fewer layers (the book, chapter 5)'
                   if report.activation != "relu" else
                   'use init="he_normal", which keeps the error\'s size from layer to layer')
        speed = ("gets no gradient at all" if ratio == 0 else
                 f"learns {ratio:.2g} times as fast as the last")
        return [Finding(
            "vanishing_gradient", "error" if ratio < VANISHING_ERROR else "warning",
            f"{numbers}: the first layer {speed}, because {why}", fix, evidence=evidence)]
    if ratio > EXPLODING_RATIO:
        return [Finding(
            "exploding_gradient", "warning",
            f"{numbers}: the first layer learns {ratio:.3g} times as fast as the last, because "
            f"the weights multiply the error at every layer back",
            f'use a fan-scaled scheme such as init="{fan_scheme(report.activation)}", which '
            f'keeps the error\'s size from layer to layer, or a smaller learning rate',
            evidence=evidence)]
    return []


def _output_collapse(report: Report, model: Model, acts: list[np.ndarray],
                     causes: list[Finding]) -> list[Finding]:
    """One answer for most inputs, with saturated or input-independent outputs;
    ``causes`` are the hidden layers' saturation and dead-unit errors."""
    out = report.layers[-1]
    flat = out.saturated if out.saturated is not None else 0.0
    same = report.output_spread < SAME_OUTPUT
    # One answer alone is no evidence (see COLLAPSE_SHARE): it needs flat outputs.
    if not (report.top_share >= COLLAPSE_SHARE and flat >= OUTPUT_SATURATED):
        return []
    parts = [f"the network answers {report.top_answer} for {report.top_share:.1%} of the "
             f"{report.examples:,} examples, and {flat:.1%} of its outputs are saturated "
             f"(|z| > {saturation_z(out.activation):.3g})"]
    if same:
        parts.append(f"the outputs are the same for every input (they differ by at most "
                     f"{report.output_spread:.2g})")
    largest = max(layer.grad_b for layer in report.layers)
    if report.cost == "quadratic":
        parts.append(f"with the quadratic cost the output error is multiplied by "
                     f"{out.activation}'(z) ~ 0, so the gradient is (nearly) 0 everywhere "
                     f"(largest ||dC/db|| {largest:.2g})")
    parts.append(f"the cost is {report.cost_start:.3g}, against {report.cost_half:.3g} for a "
                 f"net that outputs 0.5 everywhere")
    if causes:
        what = _what(causes[0])
        fix = f"fix the {what} of layer {causes[0].layer} (above): {causes[0].fix}"
        why = (f"Why: the {what} of layer {causes[0].layer} make{'s' * what.endswith('n')} "
               f"the outputs nearly the same for every input")
    else:
        why, fix = _why_z(out, model, acts, report)
    return [Finding(
        "output_collapse", "error", "; ".join(parts) + f". {why}.", fix, layer=out.index,
        evidence={"top_answer": report.top_answer, "top_share": report.top_share,
                  "output_saturated": flat, "output_spread": report.output_spread,
                  "cost_start": report.cost_start, "cost_half": report.cost_half})]


def _what(finding: Finding) -> str:
    return {"saturation": "saturation", "dead_units": "dead units"}[finding.name]


def _scheme_fix(hidden: str) -> str:
    """The fix for weights of the wrong mean or scale, in this project's terms
    and in the book's code (layer of x inputs and y units)."""
    name = fan_scheme(hidden)
    scale = "np.sqrt(2 / x)" if name == "he_normal" else "np.sqrt(2 / (x + y))"
    return (f'use a zero-centred, fan-scaled scheme such as init="{name}" (in your own code, '
            f"for each layer of x inputs and y units: w = np.random.randn(y, x) * {scale}, "
            f"b = np.zeros((y, 1)))")


def _why_z(layer: LayerReport, model: Model, acts: list[np.ndarray],
           report: Report) -> tuple[str, str]:
    """Why a layer's ``z`` is far from 0, and the fix: the largest of the three
    parts of a typical ``|z|``: the weights' mean times the inputs' sum, the
    biases, and the spread that the weights' variance gives."""
    lo, hi = report.input_min, report.input_max
    scale = max(abs(lo), abs(hi))
    if layer.index == 1 and scale > inputs.INPUT_MAX:
        extreme = lo if abs(lo) > abs(hi) else hi
        return (f"Why: the inputs reach {extreme:.4g}, so z is up to {scale:.3g} times "
                f"what it would be for inputs in [0, 1]",
                f"scale the inputs to [0, 1] ({inputs.rescale_fix(lo, hi)})")
    if layer.weight_sd == 0 and layer.weight_mean == 0:
        return ("Why: the weights are all 0, so z is the bias whatever the input",
                f'draw the weights at random, e.g. init="{fan_scheme(model.activation)}"')
    a_in = acts[layer.index - 1]
    with np.errstate(all="ignore"):
        input_sum = float(np.mean(a_in.sum(axis=1)))
        terms = float(np.mean(np.count_nonzero(a_in, axis=1)))
    from_mean = layer.weight_mean * input_sum
    spread = math.sqrt(layer.z_var) if layer.z_var >= 0 else math.nan
    parts = {"mean": abs(from_mean), "bias": abs(layer.bias_mean), "spread": spread}
    cause = max(parts, key=lambda k: parts[k] if math.isfinite(parts[k]) else -1)
    if cause == "mean":
        sign = "positive" if layer.weight_mean > 0 else "negative"
        every = ("all" if layer.weight_positive in (0.0, 1.0)
                 else f"{max(layer.weight_positive, 1 - layer.weight_positive):.0%}")
        return (f"Why: your weights are {every} {sign} with mean {layer.weight_mean:.3g}, so "
                f"each z sums about {terms:.0f} {sign} terms: the inputs add up to "
                f"{input_sum:.3g}, times {layer.weight_mean:.3g} is {from_mean:.3g}",
                _scheme_fix(model.activation))
    if cause == "bias":
        return (f"Why: the biases have mean {layer.bias_mean:.3g}, which moves every z by "
                f"that much",
                f"start the biases at 0 (bias_init=0; in your own code "
                f"b = np.zeros(({layer.fan_out}, 1)))")
    return (f"Why: weights of sd {layer.weight_sd:.3g} over {layer.fan_in} inputs give z an "
            f"sd of {spread:.3g}; a fan-scaled scheme keeps it near 1",
            _scheme_fix(model.activation))

