"""experiments.compare_initializers
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~

The main experiment: train the book's network once per initializer and seed,
and compare how (and whether) each learns.

    python -m experiments.compare_initializers            # the full sweep
    python -m experiments.compare_initializers --quick    # a one-minute look

By default this is chapter 1's setting, ``[784, 30, 10]``, sigmoid neurons,
quadratic cost, mini-batches of 10, ``eta = 3.0``, 30 epochs, for the five
initializers of the question (``rand``, ``randn``, ``zeros``,
``xavier_uniform``, ``xavier_normal``) plus the book's chapter 3 scheme
(``chapter3``: weights ``N(0, 1/n_in)``), with seeds 0, 1 and 2.

``--inits`` takes any scheme of :mod:`initializers`, ``lsuv`` (an orthogonal
start rescaled by :func:`initializers.lsuv` on 1,000 training images spread
evenly over the training set), or ``all``: every scheme that can initialize
the network, and ``lsuv``.  A scheme that cannot (``identity`` needs layers
of equal size) is left out of ``all`` with a note, and is an error when named.

Into ``--out`` go:

* ``runs/<init>-seed<k>-<hash>.json``: one record per run, its full
  configuration, seed, Python and numpy versions, and per epoch the test and
  validation accuracy and cost and the training seconds.  The hash names the
  configuration: a record already there for the same configuration, made
  by code that computes the same numbers (the numerical fingerprint of
  :func:`experiments.records.code_version`), is reused, so a killed sweep
  resumes where it stopped.  Records are written whole or not at
  all (temporary file, then rename).
* ``checkpoints/<init>-seed<k>-<hash>.npz``, while a run trains: its state
  after its last whole epoch, from which a killed sweep resumes it
  (``docs/checkpoints.md``); removed once the run's record is written.
* ``accuracy.png``: test accuracy against epoch, one line per initializer,
  the mean over seeds, shaded from the worst seed to the best.
* ``table.md``: final and best test accuracy per initializer, mean ± sample
  standard deviation over seeds.

Runs are independent, so they go to a pool of ``--jobs`` processes, or with
``--scheduler`` to a Dask cluster (:mod:`experiments.runner`); each run draws
every random number from its own seed, so the numbers do not depend on
``--jobs`` or on the backend.  Records are written here, by the client, as
the runs finish.  Ctrl-C stops the sweep with one line; the same command
resumes it.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import initializers
import network
from experiments import checkpoints, cli, datasets, records, report, runner

NAME = "compare_initializers"
DEFAULT_INITS = (*initializers.QUESTION_SCHEMES, "chapter3")
LSUV = "lsuv"  # not a per-layer scheme: initializers.lsuv on an orthogonal start
LSUV_SETTINGS = {"batch": 1000, "tol": 0.1, "max_iter": 10}  # the paper's tol and max_iter
QUICK_EPOCHS = 5
QUICK_TRAIN = 10_000
_FORMAT = "nndl-init compare_initializers run"
RUN_CODE_VERSION = 2  # bump when what a run computes changes (its records' "version")


def lsuv_batch(X: np.ndarray, size: int) -> np.ndarray:
    """``size`` rows of ``X`` spread evenly over it (all of them if fewer).
    Not the first ``size``: MNIST's training images come in blocks that
    differ in mean ink, so consecutive images are not a fair sample."""
    return X[::max(1, len(X) // size)][:size]


def init_names(text: str) -> list[str]:
    """:func:`experiments.cli.init_names`, plus ``lsuv``; ``all`` is every
    registered scheme and ``lsuv``."""
    if text.strip() == "all":
        return [*cli.init_names("all"), LSUV]
    names = cli.comma_items(text, "initializer name")
    registered = [n for n in names if n != LSUV]
    if registered:
        cli.init_names(",".join(registered))  # raises, naming the valid names
    if names.count(LSUV) > 1:
        raise argparse.ArgumentTypeError(f"an initializer is named twice in {text!r}")
    return names


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, with ``--quick``'s epochs and training images filled
    in where not given (an argparse error for more than 50,000 images)."""
    p = argparse.ArgumentParser(
        prog=f"python -m experiments.{NAME}",
        description="Train the book's network once per initializer and seed on real data; "
                    "write a JSON record per run, a plot of test accuracy per epoch and a "
                    "table of final and best accuracy.",
    )
    _sweep_arguments(p)
    cli.add_sweep_script_args(p, NAME, quick=True)
    args = cli.parse_args(p, argv)
    if args.epochs is None:
        args.epochs = QUICK_EPOCHS if args.quick else 30
    if args.train_size is None and args.quick:
        args.train_size = QUICK_TRAIN
    if args.train_size is not None and args.train_size > 50_000:
        p.error(f"--train-size must be at most 50000, got {args.train_size}")
    return args


def _sweep_arguments(p: argparse.ArgumentParser) -> None:
    """What to compare (initializers, seeds) and how each network trains."""
    p.add_argument("--inits", type=init_names, default=list(DEFAULT_INITS), metavar="A,B,...",
                   help="comma-separated initializers, or all (every one that can initialize "
                        f"the network). Valid: {', '.join(initializers.names())}, and {LSUV} "
                        "(an orthogonal start rescaled layer by layer to Var z = 1 on "
                        f"{LSUV_SETTINGS['batch']} training images spread over the set, "
                        f"Mishkin & Matas 2015). Default: {','.join(DEFAULT_INITS)}.")
    p.add_argument("--seeds", type=cli.seed_list, default=[0, 1, 2], metavar="N|S,..",
                   help="seeds per initializer: a count (3 means seeds 0,1,2) or a list "
                        "(4,7; one seed as 5,). Each seed fixes the initial weights and the "
                        "shuffling. Default: 3.")
    cli.add_training_args(
        p, epochs=None, sizes=[784, 30, 10], batch=10, eta=3.0, cost="quadratic",
        activation="sigmoid", train_size=None,
        helps={"epochs": f"passes over the training data. Default: 30 ({QUICK_EPOCHS} with "
                         "--quick).",
               "sizes": "neurons per layer, input first; the input must be 784 and the "
                        "output 10. Default: {default}.",
               "eta": "learning rate. Default: %(default)s (the book's for the quadratic "
                      "cost; chapter 3 uses 0.5 with cross-entropy).",
               "activation": "hidden-layer activation (the output layer is a sigmoid, or a "
                             "softmax with --cost log_likelihood). Default: %(default)s.",
               "train_size": "train on the first N of the 50,000 training images. Default: "
                             f"all ({QUICK_TRAIN} with --quick). Validation and test stay "
                             "whole."})
    p.add_argument("--quick", action="store_true",
                   help=f"a first look in well under a minute: {QUICK_EPOCHS} epochs on "
                        f"{QUICK_TRAIN} training images (still real data), unless --epochs "
                        "or --train-size say otherwise.")


def run_config(args: argparse.Namespace, init: str, seed: int) -> dict:
    """Everything that determines a run's numbers (and nothing that does not:
    not the data folder, not ``--jobs``)."""
    config = {"dataset": args.dataset, "sizes": args.sizes, "init": init, "seed": seed,
              "epochs": args.epochs, "mini_batch_size": args.batch, "eta": args.eta,
              "lmbda": 0.0, "cost": args.cost, "activation": args.activation,
              "train_size": args.train_size or 50_000, "dtype": "float64"}
    if init == LSUV:
        config["lsuv"] = dict(LSUV_SETTINGS)
    return config


def record_path(out: Path, config: dict) -> Path:
    return out / "runs" / f"{config['init']}-seed{config['seed']}-{records.config_key(config)}.json"


def train(task: dict) -> dict:
    """Train one network as ``task["config"]`` says; return its record.

    Module-level so that a worker (of the pool or of a Dask cluster) can run
    it.  The record is written by the client, as it arrives; the run's
    checkpoint (``task["checkpoint"]``, if any), after every epoch, by this
    function (:class:`experiments.checkpoints.Training`)."""
    config, label = task["config"], task.get("label", "")
    training, validation, test = datasets.load(config["dataset"], task["data_dir"],
                                             config["train_size"])
    init = config["init"]
    net = network.Network(config["sizes"], "orthogonal" if init == LSUV else init,
                          seed=config["seed"], activation=config["activation"],
                          cost=config["cost"])
    run = checkpoints.Training(net, task, records.code_version())
    if init == LSUV and run.epoch == 0:  # a resumed run has its LSUV start in its weights
        run.extra["lsuv"] = lsuv_start(net, training[0], config["lsuv"], label)
    epochs = config["epochs"]

    def show_epoch(epoch, net, history):
        report.progress(
            f"{label} epoch {epoch + 1}/{epochs}: test {100 * history.test_accuracy[-1]:.2f}%"
            f"  validation {100 * history.evaluation_accuracy[-1]:.2f}%"
            f"  ({history.seconds[-1]:.2f} s)")

    net.SGD(training, run.left(epochs), config["mini_batch_size"], config["eta"],
            test_data=test, lmbda=config["lmbda"], evaluation_data=validation, verbose=False,
            callback=run.callback(show_epoch))
    return _record(config, net, run, test[0])


def _record(config: dict, net: network.Network, run: checkpoints.Training,
            test_X: np.ndarray) -> dict:
    """The record of a trained run: its config, its history per epoch, the
    trained network's answers on the test images and its wall time."""
    history = run.history
    # "It repeats one answer": how often the trained network gives each label.
    answers = np.bincount(net.predict(test_X), minlength=config["sizes"][-1])
    record = {
        "format": _FORMAT, "version": RUN_CODE_VERSION, "key": records.config_key(config),
        "config": config, "versions": records.versions(),
        "history": {
            "test_accuracy": history.test_accuracy,
            "test_cost": records.finite_or_none(history.test_cost),
            "validation_accuracy": history.evaluation_accuracy,
            "validation_cost": records.finite_or_none(history.evaluation_cost),
            "seconds": history.seconds,
        },
        "final_test_answers": answers.tolist(),
        "wall_seconds": run.wall_seconds(),
    }
    if config["init"] == LSUV:
        record["lsuv"] = run.extra["lsuv"]
    return record


def lsuv_start(net: network.Network, X: np.ndarray, settings: dict, label: str) -> list[dict]:
    """Rescale ``net``'s orthogonal start by :func:`initializers.lsuv` on
    ``settings["batch"]`` rows of ``X`` spread over it; its report, per layer."""
    layers = initializers.lsuv(net, lsuv_batch(X, settings["batch"]), tol=settings["tol"],
                               max_iter=settings["max_iter"])
    report.progress(f"{label} lsuv: " + "; ".join(map(str, layers)))
    return [dataclasses.asdict(layer) for layer in layers]


def runs(args: argparse.Namespace) -> list[runner.Run]:
    """The sweep's runs, one per initializer and seed, keyed ``(init, seed)``."""
    configs = [run_config(args, init, seed) for init in args.inits for seed in args.seeds]
    return [runner.Run((c["init"], c["seed"]), c, record_path(args.out, c),
                       f"{c['init']} seed {c['seed']}") for c in configs]


def read(run: runner.Run) -> dict | None:
    """The run's saved record, if made by this code for its configuration."""
    return records.read_record(run.path, run.config, _FORMAT, RUN_CODE_VERSION,
                               records.code_version())


def sweep(args: argparse.Namespace) -> dict[str, list[dict]]:
    """Run (or reuse) every initializer x seed; return the records by initializer."""
    done = runner.sweep(
        args, train, runs(args), read,
        lambda: datasets.load(args.dataset, args.data_dir, args.train_size),
        summary=lambda r: f"final test {100 * r['history']['test_accuracy'][-1]:.2f}%")
    return {init: [done[init, seed] for seed in args.seeds] for init in args.inits}


def summarize(by_init: dict[str, list[dict]]) -> list[dict]:
    """Per initializer: final and best test accuracy, mean and sd over seeds."""
    rows = []
    for init, runs in by_init.items():
        finals = [r["history"]["test_accuracy"][-1] for r in runs]
        bests = [max(r["history"]["test_accuracy"]) for r in runs]
        seconds = [s for r in runs for s in r["history"]["seconds"]]
        # Per seed, the trained network's most frequent answer on the test set
        # and its share: about 11% when it learned, 100% when it "repeats one answer".
        counts = [np.array(r["final_test_answers"]) for r in runs]
        rows.append({"init": init, "final": report.mean_sd(finals),
                     "best": report.mean_sd(bests), "finals": finals,
                     "top_answer": [(int(c.argmax()), c.max() / c.sum()) for c in counts],
                     "seconds_per_epoch": sum(seconds) / len(seconds),
                     "machines": report.machines(runs)})
    return rows


def table(args: argparse.Namespace, rows: list[dict], command: str) -> str:
    n = len(args.seeds)
    text = report.markdown_table(
        ["initializer", f"final test accuracy % (mean ± sd, {report.plural(n, 'seed')})",
         "best test accuracy % (mean ± sd)", "final, per seed %",
         "most frequent final answer, per seed (share of test images)"],
        [[f"`{r['init']}`", report.pct(*r["final"]), report.pct(*r["best"]),
          ", ".join(report.pct(f) for f in r["finals"]),
          ", ".join(f"{label} ({100 * share:.0f}%)" for label, share in r["top_answer"])]
         for r in rows])
    if LSUV in args.inits:
        text += (f"\n`{LSUV}`: an orthogonal start, rescaled by `initializers.lsuv` until each "
                 f"layer's Var z is 1 ± {LSUV_SETTINGS['tol']} on "
                 f"{LSUV_SETTINGS['batch']:,} training images spread evenly over the "
                 f"training set.\n")
    made = report.made_by(command, names=[m for r in rows for m in r["machines"]])
    return (text + f"\n{describe(args)}. sd is the sample standard deviation over seeds. "
            f"{made}\n")


def describe(args: argparse.Namespace) -> str:
    seeds = ",".join(str(s) for s in args.seeds)
    return (f"{args.dataset}, {args.sizes}, {args.activation} hidden layer(s), {args.cost} "
            f"cost, {report.plural(args.epochs, 'epoch')} on {args.train_size or 50_000} "
            f"training images, mini-batch {args.batch}, eta {args.eta}, "
            f"{'seed' if len(args.seeds) == 1 else 'seeds'} {seeds}; accuracy on the 10,000 "
            f"test images")


def plot(args: argparse.Namespace, by_init: dict[str, list[dict]]):
    """Test accuracy per epoch: mean over seeds, band from min to max; the
    right panel zooms in on the initializers that learn (the shaded band of
    the left panel).  One legend, outside the panels, serves both."""
    from matplotlib.ticker import MaxNLocator

    fig, axes = report.subplots(1, 2, 11, 4.4)
    epochs = np.arange(1, args.epochs + 1)
    top = 0.0
    for i, (init, runs) in enumerate(by_init.items()):
        acc = 100 * np.array([r["history"]["test_accuracy"] for r in runs])
        style = ("-", "--", ":")[i // 10 % 3]  # the 10 colours repeat; the line style does not
        for ax in axes:
            (line,) = ax.plot(epochs, acc.mean(axis=0), label=init, lw=1.6, ls=style)
            ax.fill_between(epochs, acc.min(axis=0), acc.max(axis=0),
                            color=line.get_color(), alpha=0.2, lw=0)
        top = max(top, acc.max())
    zoom = (max(0.0, top - 8), min(100.0, top + 0.5))
    axes[0].set_ylim(0, 100)
    axes[0].axhspan(*zoom, color="grey", alpha=0.12, lw=0)
    axes[0].set_title("all initializers")
    axes[1].set_ylim(*zoom)
    axes[1].set_title("zoom on the best (the grey band on the left)")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    many = len(by_init) > 10
    report.legend_outside(fig, "right center", title="initializer", ncols=2 if many else 1)
    seeds = len(args.seeds)
    fig.suptitle(f"{args.dataset}, {args.sizes}, {args.activation}, {args.cost} cost, "
                 f"eta {args.eta}, mini-batch {args.batch}, {args.train_size or 50_000} "
                 f"training images\ntest accuracy on the 10,000 test images; line: mean of "
                 f"{report.plural(seeds, 'seed')}, band: worst to best seed")
    return fig


def main(argv: Sequence[str] | None = None) -> int:
    return runner.main(NAME, argv, parse_args, runs, read, work)


def work(args: argparse.Namespace, command: str) -> None:
    """The sweep, then its figure and table into ``--out`` (and ``--docs``)."""
    by_init = sweep(args)
    text = table(args, summarize(by_init), command)
    report.write_outputs(args.out / "accuracy.png", args.out / "table.md", args.docs,
                         plot(args, by_init), text)
    print(text, flush=True)


if __name__ == "__main__":
    cli.main_guard(main)
