"""experiments.gradient_flow
~~~~~~~~~~~~~~~~~~~~~~~~~~

How fast each layer learns, for each initializer, in a deeper network.

Chapter 5 of the book measures the speed of learning of a layer by the norm of
``dC/db`` over its neurons (the gradient of the cost with respect to its
biases), on ``[784, 30, 30, 30, 10]``, and finds the early layers learning
far slower than the late ones: the vanishing gradient.  Each layer backwards
multiplies the error by ``w * sigma'(z)``; saturated neurons (``sigma' ~ 0``)
and a bad scale of ``w`` shrink it further.

This script trains that network once per initializer and measures, at
initialization and after every epoch, the norm of the mean ``dC/db`` of each
layer over the first ``--images`` training images (1,000 by default).

    python -m experiments.gradient_flow

Each initializer's run is recorded in ``--out``/``runs/`` as it finishes and
reused by the same command; a run cut off mid-way resumes from its
checkpoint in ``checkpoints/`` after its last whole epoch
(``docs/checkpoints.md``); ``--jobs`` and
``--scheduler`` choose where the runs train (:mod:`experiments.runner`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import diagnostics
import network
from experiments import checkpoints, cli, datasets, records, report, runner
from experiments.compare_initializers import DEFAULT_INITS

NAME = "gradient_flow"
_FORMAT = "nndl-init gradient_flow run"
RUN_CODE_VERSION = 1  # bump when what a run computes changes (its records' "version")


def bias_gradient_norms(net: network.Network, data) -> list[float]:
    """``||dC/db||`` of each layer (hidden layers first, output last), the
    gradient averaged over ``data``: the measure of ``python -m diagnostics``."""
    nabla_b, _ = diagnostics.gradient(net.weights, net.biases, *data, hidden=net.activation,
                                      cost=net.cost)
    return [float(np.linalg.norm(nb)) for nb in nabla_b]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=f"python -m experiments.{NAME}",
        description="Per initializer, train a deeper network and record the norm of dC/db "
                    "of each layer at initialization and after every epoch.")
    cli.add_training_args(
        p, inits=list(DEFAULT_INITS), sizes=[784, 30, 30, 30, 10], epochs=10, seed=0,
        helps={"sizes": "neurons per layer (chapter 5's). Default: {default}."})
    p.add_argument("--images", type=cli.positive_int, default=1000,
                   help="the gradient is averaged over the first IMAGES training images. "
                        "Default: %(default)s.")
    cli.add_training_args(p, batch=10, eta=3.0, cost="quadratic", activation="sigmoid",
                             train_size=None, jobs=runner.default_jobs())
    cli.add_sweep_args(p)
    cli.add_data_args(p)
    cli.add_output_args(p, NAME)
    args = cli.parse_args(p, argv)
    return args


def run_config(args: argparse.Namespace, init: str) -> dict:
    """Everything that determines one initializer's numbers (not the data
    folder, not where it trains)."""
    return {"dataset": args.dataset, "sizes": args.sizes, "init": init, "seed": args.seed,
            "epochs": args.epochs, "mini_batch_size": args.batch, "eta": args.eta,
            "cost": args.cost, "activation": args.activation,
            "train_size": args.train_size or 50_000, "images": args.images, "dtype": "float64"}


def record_path(out: Path, config: dict) -> Path:
    return out / "runs" / f"{config['init']}-{records.config_key(config)}.json"


def train(task: dict) -> dict:
    """One initializer: norms per layer at init and after each epoch; returns
    the run's record (a worker runs this; the client writes the record).  It
    checkpoints after every epoch (:class:`experiments.checkpoints.Training`)."""
    c = task["config"]
    training, _, test = datasets.load(c["dataset"], task["data_dir"], c["train_size"])
    probe = (training[0][:c["images"]], training[1][:c["images"]])
    net = network.Network(c["sizes"], c["init"], seed=c["seed"], cost=c["cost"],
                          activation=c["activation"])
    run = checkpoints.Training(net, task, records.code_version(),
                               extra={"norms": [bias_gradient_norms(net, probe)]})
    norms = run.extra["norms"]

    def record(epoch, net, history):
        norms.append(bias_gradient_norms(net, probe))
        report.progress(f"[{c['init']}] epoch {epoch + 1}/{c['epochs']}: ||dC/db|| "
                        + " ".join(f"{n:.2e}" for n in norms[-1])
                        + f"; test {100 * history.test_accuracy[-1]:.2f}%")

    net.SGD(training, run.left(c["epochs"]), c["mini_batch_size"], c["eta"], test_data=test,
            verbose=False, callback=run.callback(record))
    return {"format": _FORMAT, "version": RUN_CODE_VERSION, "key": records.config_key(c),
            "config": c, "versions": records.versions(), "init": c["init"], "norms": norms,
            "test_accuracy": run.history.test_accuracy, "seconds": run.wall_seconds()}


def runs(args: argparse.Namespace) -> list[runner.Run]:
    """The sweep's runs, one per initializer, keyed by it."""
    return [runner.Run(init, c, record_path(args.out, c), init)
            for init in args.inits for c in [run_config(args, init)]]


def read(run: runner.Run) -> dict | None:
    """The run's saved record, if made by this code for its configuration."""
    return records.read_record(run.path, run.config, _FORMAT, RUN_CODE_VERSION,
                               records.code_version())


def sweep(args: argparse.Namespace) -> list[dict]:
    """Run (or reuse) one training per initializer; return the records in
    the order of ``--inits``."""
    done = runner.sweep(args, train, runs(args), read,
                        lambda: datasets.load(args.dataset, args.data_dir, args.train_size),
                        summary=lambda r: f"test {100 * r['test_accuracy'][-1]:.2f}%")
    return [done[init] for init in args.inits]


def plot(args: argparse.Namespace, results: list[dict]):
    """One panel per initializer, ||dC/db|| of each layer per epoch on one
    shared log axis; one legend for the layers, below the panels."""
    from matplotlib.ticker import MaxNLocator

    n = len(results)
    cols = min(3, n)
    rows = -(-n // cols)
    fig, axes = report.subplots(rows, cols, 11, 3.1 * rows + 1.4, squeeze=False, sharey=True)
    for ax, r in zip(axes.flat, results):
        norms = np.array(r["norms"])
        epochs = np.arange(len(norms))
        for l in range(norms.shape[1]):
            kind = "output" if l == norms.shape[1] - 1 else "hidden"
            y = np.where(norms[:, l] > 0, norms[:, l], np.nan)  # log axis: 0 is not drawn
            ax.plot(epochs, y, marker=".", label=f"layer {l + 1} ({kind})")
        ax.set_yscale("log")
        ax.set_title(f"{r['init']} (test {100 * r['test_accuracy'][-1]:.1f}%)")
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes[-1]:
        ax.set_xlabel("epoch (0 = at initialization)")
    for ax in axes[:, 0]:
        ax.set_ylabel("||dC/db||")
    for ax in axes.flat[n:]:
        ax.axis("off")
    report.legend_outside(fig, "lower center", ncols=min(4, len(results[0]["norms"][0])))
    fig.suptitle(f"Gradient per layer: {args.dataset}, {args.sizes}, {args.activation}, "
                 f"{args.cost} cost, mini-batch {args.batch}, eta {args.eta}, seed {args.seed}\n"
                 f"over the first {args.images} training images (a zero norm is not drawn)")
    return fig


def table(args: argparse.Namespace, results: list[dict], command: str) -> str:
    def norms(values):
        return ", ".join(f"{v:.2g}" for v in values)

    rows = [[f"`{r['init']}`", norms(r["norms"][0]), norms(r["norms"][1]),
             norms(r["norms"][-1]), report.pct(r["test_accuracy"][-1])] for r in results]
    text = report.markdown_table(
        ["initializer", "||dC/db|| per layer at init (first to last)", "after epoch 1",
         f"after epoch {args.epochs}", f"test % after epoch {args.epochs}"], rows)
    return (text + f"\n{args.dataset}, {args.sizes}, {args.activation}, {args.cost} cost, "
            f"{report.plural(args.epochs, 'epoch')}, mini-batch {args.batch}, eta {args.eta}, "
            f"seed {args.seed}. "
            f"Made by `{command}`.\n")


def main(argv: Sequence[str] | None = None) -> int:
    return runner.main(NAME, argv, parse_args, runs, read, work)


def work(args: argparse.Namespace, command: str) -> None:
    """The sweep, then its figure, table and summary record into ``--out``."""
    results = sweep(args)
    record = {"command": command, "versions": records.versions(),
              "results": [{k: r[k] for k in ("init", "norms", "test_accuracy", "seconds")}
                          for r in results]}
    report.publish(args, NAME, plot(args, results), table(args, results, command), record)


if __name__ == "__main__":
    cli.main_guard(main)
