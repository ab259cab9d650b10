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
reused by the same command (a killed run resumes); ``--jobs`` and
``--scheduler`` choose where the runs train (:mod:`experiments.runner`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import diagnostics
import network
from experiments import cli, datasets, records, report, runner
from experiments.compare_initializers import DEFAULT_INITS

NAME = "gradient_flow"
_FORMAT = "nndl-init gradient_flow run"
_VERSION = 1


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
    the run's record (a worker runs this; the client writes the record)."""
    c = task["config"]
    training, _, test = datasets.load(c["dataset"], task["data_dir"], c["train_size"])
    probe = (training[0][:c["images"]], training[1][:c["images"]])
    net = network.Network(c["sizes"], c["init"], seed=c["seed"], cost=c["cost"],
                          activation=c["activation"])
    norms = [bias_gradient_norms(net, probe)]

    def record(epoch, net, history):
        norms.append(bias_gradient_norms(net, probe))
        report.progress(f"[{c['init']}] epoch {epoch + 1}/{c['epochs']}: ||dC/db|| "
                        + " ".join(f"{n:.2e}" for n in norms[-1])
                        + f"; test {100 * history.test_accuracy[-1]:.2f}%")

    start = time.perf_counter()
    history = net.SGD(training, c["epochs"], c["mini_batch_size"], c["eta"], test_data=test,
                      verbose=False, callback=record)
    return {"format": _FORMAT, "version": _VERSION, "key": records.config_key(c),
            "config": c, "versions": records.versions(), "init": c["init"], "norms": norms,
            "test_accuracy": history.test_accuracy, "seconds": time.perf_counter() - start}


def saved(args: argparse.Namespace) -> dict[str, dict]:
    """The records already saved for the sweep's runs (made by this code), by
    initializer."""
    done = {}
    code = records.code_version()
    for init in args.inits:
        config = run_config(args, init)
        record = records.read_record(record_path(args.out, config), config, _FORMAT,
                                     _VERSION, code)
        if record is not None:
            done[init] = record
    return done


def sweep(args: argparse.Namespace) -> list[dict]:
    """Run (or reuse) one training per initializer; return the records in
    the order of ``--inits``."""
    done = saved(args)
    todo = [{"config": run_config(args, init), "data_dir": args.data_dir}
            for init in args.inits if init not in done]
    backend = runner.backend(args)
    report.progress(f"{report.plural(len(args.inits), 'run')}: {len(done)} reused from "
                    f"{args.out / 'runs'}, "
                    f"{len(todo)} to train with {backend.describe(len(todo))}")
    if todo:
        datasets.load(args.dataset, args.data_dir, args.train_size)  # fail early if no data
    for record in runner.run_all(train, todo, backend):
        records.write_json(record_path(args.out, record["config"]), record)  # by the client
        done[record["init"]] = record
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
            f"seed {args.seed}. {report.made_by(command, results)}\n")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    # Ctrl-C, at any moment, is one line (and a cluster's error too).
    with runner.resumable(lambda: (len(saved(args)), len(args.inits)), args.out / "runs"):
        results = sweep(args)
        command = cli.command_line(f"experiments.{NAME}", argv)
        record = {"command": command, "versions": records.versions(),
                  "results": [{k: r[k] for k in ("init", "norms", "test_accuracy", "seconds")}
                              for r in results]}
        report.publish(args, NAME, plot(args, results), table(args, results, command), record)
    return 0


if __name__ == "__main__":
    cli.main_guard(main)
