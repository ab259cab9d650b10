"""experiments.saturation
~~~~~~~~~~~~~~~~~~~~~~~

Why ``rand`` does not learn: look at the weighted inputs ``z`` themselves.

For each initializer, at initialization and after one epoch of training, the
network is fed real images and every neuron's ``z = w . x + b`` is collected,
layer by layer.  We report

* the histogram of ``z``, drawn over the sigmoid and its derivative: where
  ``z`` falls on the flat part of the curve, ``sigma'(z)`` is nearly zero and
  backpropagation multiplies the neuron's error by that nearly-zero number;
* the fraction of saturated (neuron, image) pairs, saturated meaning
  ``sigma'(z)`` below 1 % of its largest value (0.25, at ``z = 0``), i.e.
  ``|z| > 5.99``: :mod:`diagnostics`' definition, the project's only one;
* the mean and variance of ``z`` that the initializer's formula predicts,
  beside the ones measured.  If each weight has mean ``m`` and variance ``v``
  and the bias mean ``m_b`` and variance ``v_b``, then for one input ``x``
  ``E[z] = m sum_k x_k + m_b`` and ``Var[z] = v sum_k x_k^2 + v_b``; over the
  images as well, ``Var[z] = v E[sum x_k^2] + v_b + m^2 Var[sum x_k]``.  For
  ``rand`` (``m = 1/2``) and MNIST (``sum_k x_k`` about 100) ``E[z]`` is about
  +50: every hidden neuron starts deep in the flat part.

    python -m experiments.saturation
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np

import diagnostics
import initializers
import network
from experiments import cli, datasets, records, report
from experiments.compare_initializers import DEFAULT_INITS
from nndl.activations import TABLE
from nndl.costs import output_activation

NAME = "saturation"


# --------------------------------------------------------------------------
# The measures (also used by the tests)
# --------------------------------------------------------------------------


def predicted_moments(init: str, inputs: np.ndarray, fan_out: int) -> tuple[float, float]:
    """Mean and variance of ``z`` over neurons and images that the scheme's
    formula predicts for a layer of ``fan_out`` neurons fed ``inputs`` (one
    row per image).  This is the expectation over the random draw of the
    weights: one draw of a few dozen neurons scatters around it."""
    scheme = initializers.get(init)
    m, v = scheme.weight_moments(inputs.shape[1], fan_out)
    mb, vb = scheme.bias_moments
    s1 = inputs.sum(axis=1)
    s2 = (inputs * inputs).sum(axis=1)
    return float(m * s1.mean() + mb), float(v * s2.mean() + vb + m * m * s1.var())


def measure(net: network.Network, X: np.ndarray, threshold: float) -> list[dict]:
    """Per layer: the weighted inputs ``z`` fed ``X``, their mean and variance,
    the saturated fraction (``diagnostics``' measures, saturated meaning the
    activation's derivative below ``threshold`` times its maximum), and the
    scheme's prediction from the layer's inputs."""
    zs, activations = net.forward(X)
    layers = []
    for l, z in enumerate(zs):
        f = net.activation if l < len(zs) - 1 else output_activation(net.cost)
        pred_mean, pred_var = predicted_moments(net.init, activations[l], z.shape[1])
        layers.append({"layer": l + 1, "neurons": z.shape[1], "z": z,
                       "mean": float(z.mean()), "var": float(z.var()),
                       "predicted_mean": pred_mean, "predicted_var": pred_var,
                       "saturated": diagnostics.saturated_fraction(z, f, threshold),
                       "saturated_units": diagnostics.saturated_units(z, f, threshold)})
    return layers


# --------------------------------------------------------------------------
# The script
# --------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=f"python -m experiments.{NAME}",
        description="For each initializer, measure the weighted inputs z of every layer on "
                    "real images, at initialization and after one epoch: their distribution "
                    "over the sigmoid curve, the fraction saturated, and the variance the "
                    "initializer predicts beside the variance measured.")
    cli.add_training_args(p, inits=list(DEFAULT_INITS), seed=0, sizes=[784, 30, 10])
    p.add_argument("--images", type=cli.positive_int, default=10_000,
                   help="how many training images z is measured on (the first ones). "
                        "Default: %(default)s.")
    p.add_argument("--threshold", type=cli.unit_interval,
                   default=diagnostics.SATURATION_LEVEL,
                   help="a neuron is saturated on an image when sigma'(z) is below THRESHOLD "
                        "times its maximum (0.25). Default: %(default)s, i.e. |z| > 5.99, "
                        "the definition of python -m diagnostics.")
    cli.add_training_args(
        p, batch=10, eta=3.0, cost="quadratic",
        helps={"batch": "mini-batch size of the training epoch. Default: %(default)s.",
               "eta": "learning rate of the training epoch. Default: %(default)s."})
    cli.add_data_args(p)
    cli.add_output_args(p, NAME)
    return cli.parse_args(p, argv)


def run(args: argparse.Namespace) -> list[dict]:
    training, _, test = datasets.load(args.dataset, args.data_dir)
    X = training[0][:args.images]
    results = []
    for init in args.inits:
        net = network.Network(args.sizes, init, seed=args.seed, cost=args.cost)
        before = measure(net, X, args.threshold)
        start = time.perf_counter()
        history = net.SGD(training, 1, args.batch, args.eta, test_data=test, verbose=False)
        after = measure(net, X, args.threshold)
        report.progress(
            f"{init}: hidden layer saturated {100 * before[0]['saturated']:.1f}% at init, "
            f"{100 * after[0]['saturated']:.1f}% after one epoch; test accuracy "
            f"{100 * history.test_accuracy[0]:.2f}% ({time.perf_counter() - start:.1f} s)")
        results.append({"init": init, "before": before, "after": after,
                        "test_accuracy": history.test_accuracy[0]})
    return results


def table(args: argparse.Namespace, results: list[dict], command: str) -> str:
    rows = []
    for r in results:
        for b, a in zip(r["before"], r["after"]):
            last = b["layer"] == len(r["before"])
            rows.append([
                f"`{r['init']}`", f"{b['layer']} ({'output' if last else 'hidden'})",
                f"{b['predicted_mean']:.3g} / {b['mean']:.3g}",
                f"{b['predicted_var']:.3g} / {b['var']:.3g}",
                f"{100 * b['saturated']:.1f}", f"{100 * a['saturated']:.1f}",
                f"{a['var']:.3g}",
                report.pct(r["test_accuracy"]) if b["layer"] == 1 else "",
            ])
    text = report.markdown_table(
        ["initializer", "layer", "mean z at init: predicted / measured",
         "Var z at init: predicted / measured", "% saturated at init",
         "% saturated after 1 epoch", "Var z after 1 epoch", "test accuracy % after 1 epoch"],
        rows)
    z_t = diagnostics.saturation_z("sigmoid", args.threshold)
    return (text + f"\nSaturated: sigma'(z) below {args.threshold:g} x its maximum 0.25 "
            f"(|z| > {z_t:.2f}), counted over "
            f"(neuron, image) pairs on the first {args.images} {args.dataset} training images. "
            f"Predicted: the scheme's formula given the layer's measured inputs. "
            f"{args.sizes}, seed {args.seed}, one epoch of 50,000 images, mini-batch "
            f"{args.batch}, eta {args.eta}, {args.cost} cost. {report.made_by(command)}\n")


def plot(args: argparse.Namespace, results: list[dict]):
    """One row per initializer; left at initialization, right after one epoch.
    Histograms of z per layer (density) over sigma(z) and 4 sigma'(z); each
    panel's title gives its layers' saturated share, one legend explains all."""
    from matplotlib.patches import Patch

    n = len(results)
    fig, axes = report.subplots(n, 2, 11, 2.1 * n + 1.2, squeeze=False)
    z_t = diagnostics.saturation_z("sigmoid", args.threshold)
    for row, r in zip(axes, results):
        for ax, stage, title in ((row[0], "before", "at initialization"),
                                 (row[1], "after", "after one epoch")):
            _panel(ax, r[stage], z_t, f"{r['init']}, {title}")
    axes[-1][0].set_xlabel("weighted input z (clipped to the 0.5-99.5 percentile range)")
    axes[-1][1].set_xlabel("weighted input z")
    names = " / ".join(["hidden"] * (len(results[0]["before"]) - 1) + ["output"])
    report.legend_outside(fig, "lower center", ncols=5, handles=[
        Patch(color="C0", alpha=0.55), Patch(fill=False, edgecolor="C1", lw=1.5),
        plt_line("-"), plt_line("--"), Patch(color="grey", alpha=0.15)], labels=[
        "z, hidden layer", "z, output layer", "sigma(z)", "4 sigma'(z)",
        f"saturated: sigma'(z) < {args.threshold:g} x 0.25, |z| > {z_t:.1f}"])
    fig.suptitle(f"Where the weighted inputs z fall on the sigmoid ({args.dataset}, "
                 f"{args.sizes}, seed {args.seed}, first {args.images} training images)\n"
                 f"in each title: the share of (neuron, image) pairs saturated, layer by "
                 f"layer ({names})")
    return fig


def _panel(ax, layers: list[dict], z_t: float, title: str) -> None:
    """One stage of one initializer: each layer's z as a histogram over the
    sigmoid and its scaled derivative, the saturated zones |z| > ``z_t``
    shaded; ``title`` then each layer's saturated share."""
    every = np.concatenate([m["z"].ravel() for m in layers])
    lo, hi = np.percentile(every, [0.5, 99.5])
    lo, hi = min(lo, -8.0), max(hi, 8.0)
    bins = np.linspace(lo, hi, 90)
    for m in layers:
        hidden = m["layer"] < len(layers)
        ax.hist(np.clip(m["z"].ravel(), lo, hi), bins=bins, density=True,
                alpha=0.55 if hidden else 0.9, lw=1.5,
                histtype="stepfilled" if hidden else "step",
                color="C0" if hidden else "C1")
    ax.set_yticks([])
    ax.axvspan(lo, -z_t, color="grey", alpha=0.15, lw=0)
    ax.axvspan(z_t, hi, color="grey", alpha=0.15, lw=0)
    _sigmoid_curves(ax.twinx(), lo, hi)
    ax.set_xlim(lo, hi)
    saturated = " / ".join(f"{100 * m['saturated']:.0f}%" for m in layers)
    ax.set_title(f"{title}: {saturated} saturated", loc="left")


def _sigmoid_curves(curve, lo: float, hi: float) -> None:
    """sigma(z) and sigma'(z) / max over ``[lo, hi]`` on a twin axis from 0 to 1."""
    grid = np.linspace(lo, hi, 600)
    sigmoid = TABLE["sigmoid"]
    s = sigmoid.f(grid)
    curve.plot(grid, s, color="k", lw=1.2)
    curve.plot(grid, sigmoid.prime(s) / sigmoid.max_prime, color="k", lw=1.2, ls="--")
    curve.set_ylim(0, 1.05)
    curve.set_yticks([0, 1])


def plt_line(style: str):
    """A black line for a legend (matplotlib's Line2D)."""
    from matplotlib.lines import Line2D

    return Line2D([], [], color="k", lw=1.2, ls=style)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    results = run(args)
    command = cli.command_line(f"experiments.{NAME}", argv)
    summary = [{"init": r["init"], "test_accuracy": r["test_accuracy"],
                **{stage: [{k: v for k, v in m.items() if k != "z"} for m in r[stage]]
                   for stage in ("before", "after")}} for r in results]
    record = {"threshold": args.threshold, "command": command,
              "versions": records.versions(), "results": summary}
    report.publish(args, NAME, plot(args, results), table(args, results, command), record,
                   dpi=72)
    return 0


if __name__ == "__main__":
    cli.main_guard(main)
