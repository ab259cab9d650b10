"""experiments.symmetry
~~~~~~~~~~~~~~~~~~~~~

Why ``zeros`` learns only a little: symmetry is never broken.

With every weight and bias 0, all hidden neurons compute the same function of
the input.  Backpropagation then hands each of them the same error, so the same
update, and they stay equal forever: the hidden layer of 30 neurons is really
one neuron copied 30 times.  (Only the output layer's neurons differ, through
their targets.)  A random start breaks the tie on the first step.

This script trains the book's network from ``zeros`` (and, for contrast, from
``randn``) and counts, after each epoch, how many *distinct* hidden neurons
there are: neurons whose incoming weights and bias are not all bit-for-bit equal
to another's (``diagnostics.distinct_units``, which ``python -m diagnostics``
reports too).  It also records what the network still learns.

    python -m experiments.symmetry
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np

import diagnostics
import network
from experiments import cli, datasets, records, report

NAME = "symmetry"


def distinct_units(net: network.Network, layer: int = 0) -> int:
    """How many different neurons layer ``layer + 1`` holds (diagnostics' measure)."""
    return diagnostics.distinct_units(net.weights[layer], net.biases[layer])


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=f"python -m experiments.{NAME}",
        description="Train from zeros (and randn for contrast) and count, after each epoch, "
                    "how many hidden neurons are distinct, beside the test accuracy.")
    cli.add_training_args(p, inits=["zeros", "randn"], epochs=30, seed=0,
                             sizes=[784, 30, 10], batch=10, eta=3.0, cost="quadratic",
                             train_size=None)
    cli.add_data_args(p)
    cli.add_output_args(p, NAME)
    args = cli.parse_args(p, argv)
    return args


def run(args: argparse.Namespace) -> list[dict]:
    training, _, test = datasets.load(args.dataset, args.data_dir, args.train_size)
    hidden = len(args.sizes) - 2
    results = []
    for init in args.inits:
        net = network.Network(args.sizes, init, seed=args.seed, cost=args.cost)
        distinct = [[distinct_units(net, l) for l in range(hidden)]]

        def count(epoch, net, history, init=init, distinct=distinct):
            distinct.append([distinct_units(net, l) for l in range(hidden)])
            report.progress(f"{init} epoch {epoch + 1}/{args.epochs}: distinct hidden neurons "
                            f"{distinct[-1]}, test {100 * history.test_accuracy[-1]:.2f}%")

        start = time.perf_counter()
        history = net.SGD(training, args.epochs, args.batch, args.eta, test_data=test,
                          verbose=False, callback=count)
        results.append({"init": init, "distinct": distinct,
                        "test_accuracy": history.test_accuracy,
                        "seconds": time.perf_counter() - start})
    return results


def table(args: argparse.Namespace, results: list[dict], command: str) -> str:
    rows = []
    for r in results:
        acc = r["test_accuracy"]
        rows.append([f"`{r['init']}`", ", ".join(map(str, r["distinct"][0])),
                     ", ".join(map(str, r["distinct"][-1])),
                     ", ".join(map(str, sorted({d for e in r["distinct"] for d in e}))),
                     report.pct(acc[0]), report.pct(acc[-1]), report.pct(max(acc))])
    epochs = report.plural(args.epochs, "epoch")
    text = report.markdown_table(
        ["initializer", "distinct hidden neurons at init", f"after {epochs}",
         "values seen in any epoch", "test % after epoch 1", f"after epoch {args.epochs}",
         "best"], rows)
    return (text + f"\n{args.dataset}, {args.sizes}, {epochs}, mini-batch "
            f"{args.batch}, eta {args.eta}, {args.cost} cost, seed {args.seed}; hidden layer "
            f"sizes {args.sizes[1:-1]}. Made by `{command}`.\n")


def plot(args: argparse.Namespace, results: list[dict]):
    """Distinct hidden neurons (left) and test accuracy (right) per epoch;
    one legend, outside the panels."""
    from matplotlib.ticker import MaxNLocator

    fig, (left, right) = report.subplots(1, 2, 10, 4)
    for r in results:
        epochs = np.arange(len(r["distinct"]))
        (line,) = left.plot(epochs, [d[0] for d in r["distinct"]], marker=".", label=r["init"])
        right.plot(epochs[1:], 100 * np.array(r["test_accuracy"]), marker=".",
                   color=line.get_color(), label=r["init"])
    left.set_ylabel("distinct neurons in hidden layer 1")
    left.set_ylim(0, args.sizes[1] + 2)
    right.set_ylabel("test accuracy (%)")
    right.set_ylim(0, 100)
    for ax in (left, right):
        ax.set_xlabel("epoch (0 = at initialization)")
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    report.legend_outside(fig, "right center", title="initializer")
    fig.suptitle(f"{args.dataset}, {args.sizes}, mini-batch {args.batch}, eta {args.eta}, "
                 f"seed {args.seed}")
    return fig


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    results = run(args)
    command = cli.command_line(f"experiments.{NAME}", argv)
    record = {"command": command, "versions": records.versions(), "results": results}
    report.publish(args, NAME, plot(args, results), table(args, results, command), record)
    return 0


if __name__ == "__main__":
    cli.main_guard(main)
