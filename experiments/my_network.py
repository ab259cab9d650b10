"""experiments.my_network
~~~~~~~~~~~~~~~~~~~~~~~

The worked example of the README's "Is my network healthy?" and of
docs/diagnostics.md: the question this project started from, end to end.
Someone's own re-implementation of the book's network draws its weights and
biases with ``np.random.rand`` in the book's shapes; it trains to chance and
its weights hardly change.  Here

1. their ``(weights, biases)`` lists are diagnosed, as they are, with
   ``diagnostics.diagnose``;
2. the fix the report gives (zero-centred, fan-scaled weights, zero biases) is
   applied in their own code, and the new lists are diagnosed again;
3. to show that the fix is the fix, both are trained for one epoch
   (``network.Network.SGD`` on the same lists, the book's settings).

The legacy generator behind ``np.random.rand`` is seeded (``--seed``), so the
output repeats.  Writes the two reports (``my_network.md``), both as JSON, and
the figure of the first report (``my_network.png``).

    python -m experiments.my_network --docs docs/results/my_network
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import diagnostics
import network
from experiments import cli, datasets, records, report

NAME = "my_network"
SIZES = [784, 30, 10]


def own_network(rng: np.random.RandomState, sizes: list[int]):
    """The question's network: ``np.random.rand`` in the book's shapes."""
    biases = [rng.rand(y, 1) for y in sizes[1:]]
    weights = [rng.rand(y, x) for x, y in zip(sizes[:-1], sizes[1:])]
    return weights, biases


def fixed_network(rng: np.random.RandomState, sizes: list[int]):
    """The report's fix in the same code: Xavier normal weights, zero biases."""
    weights = [rng.randn(y, x) * np.sqrt(2 / (x + y)) for x, y in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros((y, 1)) for y in sizes[1:]]
    return weights, biases


def one_epoch(weights, biases, training, test, seed: int) -> float:
    """Test accuracy after one epoch of the book's SGD from these lists."""
    net = network.Network(SIZES, seed=seed)
    net.weights, net.biases = [w.copy() for w in weights], [b.copy() for b in biases]
    return net.SGD(training, 1, 10, 3.0, test_data=test, verbose=False).test_accuracy[0]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=f"python -m experiments.{NAME}",
        description="Diagnose a network drawn with np.random.rand in the book's shapes, "
                    "apply the report's fix, diagnose again, and train both for one epoch.")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of np.random's legacy generator. Default: %(default)s.")
    cli.add_training_args(p, train_size=None)
    cli.add_data_args(p)
    cli.add_output_args(p, NAME)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    training, _, test = datasets.load(args.dataset, args.data_dir)
    sample = (training[0][:diagnostics.DEFAULT_IMAGES], training[1][:diagnostics.DEFAULT_IMAGES])
    if args.train_size is not None:
        training = (training[0][:args.train_size], training[1][:args.train_size])
    rng = np.random.RandomState(args.seed)
    before_lists, after_lists = own_network(rng, SIZES), fixed_network(rng, SIZES)
    before = diagnostics.diagnose(before_lists, sample)
    after = diagnostics.diagnose(after_lists, sample)
    accuracy = [one_epoch(*lists, training, test, args.seed)
                for lists in (before_lists, after_lists)]
    command = cli.command_line(f"experiments.{NAME}", argv)
    text = (f"Your own `np.random.rand` network:\n\n```text\n{before}```\n\n"
            f"After the fix (Xavier normal weights, zero biases):\n\n```text\n{after}```\n\n"
            f"Test accuracy after one epoch of `SGD` (mini-batch 10, eta 3.0, "
            f"{len(training[0]):,} {args.dataset} training images): "
            f"**{report.pct(accuracy[0])} %** from the "
            f"`rand` lists, **{report.pct(accuracy[1])} %** after the fix. "
            f"Made by `{command}`.\n")
    records.write_json(args.out / f"{NAME}.json",
                      {"command": command, "versions": records.versions(),
                       "before": before.to_dict(), "after": after.to_dict(),
                       "test_accuracy_after_one_epoch": accuracy})
    for folder, prefix in ((args.out, args.out / NAME), (args.docs, args.docs)):
        if folder is not None:
            before.plot(Path(f"{prefix}.png"))
            records.write_text(Path(f"{prefix}.md"), text)
            report.progress(f"wrote {prefix}.png and {prefix}.md")
    print(text, flush=True)
    return 1 if after.errors else 0


if __name__ == "__main__":
    cli.main_guard(main)
