"""experiments.depth
~~~~~~~~~~~~~~~~~

Glorot & Bengio (2010), "Understanding the difficulty of training deep
feedforward neural networks" (AISTATS), on MNIST: the paper that introduced
the "Xavier" (normalized) initialization makes its case with deep networks.

Its setting, our default: five hidden layers of 1,000 units, a softmax output
layer with the log-likelihood cost ``C = -ln a_y`` (the book's chapter 3),
SGD with mini-batches of 10, for each hidden activation (``sigmoid``,
``tanh``, ``softsign``) and each initialization:

* *standard*, ``W ~ U[-1/sqrt(n_in), 1/sqrt(n_in)]`` (``glorot_standard``);
* *normalized*, ``W ~ U[-sqrt(6/(n_in + n_out)), +]`` (``xavier_uniform``);

biases 0.  The learning rate is chosen per configuration on the validation
set, from the ``--eta`` list, as in the paper.

    python -m experiments.depth --quick     # a narrow network, about a minute
    python -m experiments.depth             # the paper's network: hours on 2 cores

Into ``--out`` go:

* ``runs/<activation>-<init>-eta<eta>-seed<k>-<hash>.json``: one record per
  run: its configuration, the validation and test accuracy and cost after
  every epoch, and the *dynamics*: the mean, standard deviation and 2nd and
  98th percentiles of each hidden layer's activations on the first 300 test
  images, at initialization, at a few points of the first epoch and after
  every epoch.  A record made by the same code for the same configuration is
  reused, so a killed sweep resumes where it stopped; a run cut off mid-way
  resumes from its checkpoint in ``checkpoints/`` after its last whole
  epoch (``docs/checkpoints.md``).
* ``dynamics.png`` / ``.md``: those activations through training, per
  configuration at its chosen learning rate (the paper's Figures 2 to 4).
* ``init.png`` / ``.md``: at initialization, with ``tanh``, the histograms of
  each hidden layer's activations and of the back-propagated gradients
  ``dC/dz``, standard against normalized (the paper's Figures 6 and 7).
* ``table.png`` / ``.md``: the test error of each configuration at the end of
  the run, beside the paper's Table 1, with both training budgets.

Runs are independent: they go to a pool of ``--jobs`` processes, or with
``--scheduler`` to the workers of a Dask cluster (:mod:`experiments.runner`),
which is how the full study (hours here) is meant to run.  Each run draws
every random number from its own seed, so the numbers do not depend on where
it trained.
"""

from __future__ import annotations

import argparse
import functools
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import network
from experiments import checkpoints, cli, datasets, records, report, runner
from nndl.activations import TABLE

NAME = "depth"
_FORMAT = "nndl-init depth run"
RUN_CODE_VERSION = 1  # bump when what a run computes changes (its records' "version")

ACTIVATIONS = ("sigmoid", "tanh", "softsign")
INITS = ("glorot_standard", "xavier_uniform")
PAPER_INIT_NAMES = {"glorot_standard": "standard", "xavier_uniform": "normalized"}
# Table 1 of the paper, MNIST column: test error (%) with 5 hidden layers of
# 1,000 units; ("activation", "init") -> error.  The paper has no sigmoid row
# with normalized initialization.
PAPER_TABLE1 = {("softsign", "glorot_standard"): 1.64, ("softsign", "xavier_uniform"): 1.72,
                ("tanh", "glorot_standard"): 1.76, ("tanh", "xavier_uniform"): 1.64,
                ("sigmoid", "glorot_standard"): 2.21}
# The paper's budget: the learning rate is chosen on the validation error
# "after a large number of updates (5 million)", of mini-batches of 10.
PAPER_UPDATES = 5_000_000
PAPER_BATCH = 10

PROBE = 300  # the fixed test images the dynamics are measured on (the paper's 300)
FIRST_EPOCH = (0.02, 0.1, 0.3)  # fractions of the first epoch also measured
DEFAULT_ETAS = (0.01, 0.03, 0.1, 0.3)
QUICK = {"width": 100, "epochs": 2, "train_size": 10_000, "eta": [0.03, 0.3]}
FULL = {"width": 1000, "epochs": 30, "train_size": None, "eta": list(DEFAULT_ETAS)}
CHECKED_COSTS = ("log_likelihood", "cross_entropy")  # output error a - y
PARTS = ("dynamics", "init", "table")  # the three outputs, as <part>.png and <part>.md


# --------------------------------------------------------------------------
# The measures (also used by the tests)
# --------------------------------------------------------------------------


def layer_stats(net: network.Network, X: np.ndarray) -> dict[str, list[float]]:
    """Per hidden layer, over its units and the rows of ``X``: the mean, the
    standard deviation and the 2nd and 98th percentiles of the activations.
    The paper's Figure 2 plots the mean and sd, Figures 3 and 4 the 98th
    percentile: a sigmoid layer at 0, or a tanh layer at +-1, is saturated."""
    _, activations = net.forward(X)
    hidden = [a.astype(np.float64) for a in activations[1:-1]]
    return {"mean": [float(a.mean()) for a in hidden],
            "sd": [float(a.std()) for a in hidden],
            "p2": [float(np.percentile(a, 2)) for a in hidden],
            "p98": [float(np.percentile(a, 98)) for a in hidden]}


def backprop_errors(net: network.Network, X: np.ndarray,
                    labels: np.ndarray) -> list[np.ndarray]:
    """``dC/dz`` of every layer, one row per row of ``X``: the book's error
    ``delta^l`` of each example, layer 1 first.

    ``delta^L = a^L - y`` at the output (the log-likelihood cost with a
    softmax output layer, or cross-entropy with a sigmoid one) and
    ``delta^l = (delta^{l+1} W^{l+1}) * f'(z^l)`` below it (the book's
    equations BP1 and BP2, for rows).  These are the "back-propagated
    gradients" of the paper's Figure 7; ``net.backprop`` gives the same for one
    example as its bias gradient."""
    if net.cost not in CHECKED_COSTS:
        raise ValueError(f"backprop_errors needs an output error a - y, that is the cost "
                         f"{' or '.join(CHECKED_COSTS)}; got {net.cost!r}")
    zs, activations = net.forward(X)
    delta = activations[-1] - np.eye(net.sizes[-1], dtype=net.dtype)[labels]
    deltas = [delta]
    prime = TABLE[net.activation].prime  # f'(z) from the output a = f(z), as training has it
    for l in range(len(zs) - 2, -1, -1):
        delta = (delta @ net.weights[l + 1]) * prime(activations[l + 1])
        deltas.append(delta)
    return deltas[::-1]


def at_initialization(sizes: list[int], init: str, seed: int, dtype: str,
                      X: np.ndarray, labels: np.ndarray) -> dict:
    """A fresh ``tanh`` network's hidden activations and ``dC/dz`` on ``X``, per
    layer (the paper's Figures 6 and 7), with their standard deviations."""
    net = network.Network(sizes, init, seed=seed, activation="tanh", cost="log_likelihood",
                          dtype=dtype)
    _, activations = net.forward(X)
    hidden = activations[1:-1]
    errors = backprop_errors(net, X, labels)[:-1]
    return {"init": init, "activations": hidden, "errors": errors,
            "activation_sd": [float(a.std()) for a in hidden],
            "error_sd": [float(e.std()) for e in errors]}


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------


def activation_names(text: str) -> list[str]:
    """``"tanh,softsign"`` -> ``["tanh", "softsign"]``, each one of network's."""
    return cli.choices(text, "activation", network.ACTIVATIONS)


def eta_list(text: str) -> list[float]:
    """``"0.01,0.1"`` -> ``[0.01, 0.1]``: the learning rates to choose from."""
    items = cli.comma_items(text, "learning rate")
    try:
        etas = [cli.positive_float(s) for s in items]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive learning rates such as 0.01,0.1, "
            f"got {text!r}") from None
    if len(set(etas)) != len(etas):
        raise argparse.ArgumentTypeError(f"expected distinct learning rates, got {text!r}")
    return sorted(etas)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=f"python -m experiments.{NAME}",
        description="Glorot & Bengio (2010) on MNIST: deep networks with sigmoid, tanh and "
                    "softsign units, standard against normalized initialization; the "
                    "activations through training, the histograms at initialization, and "
                    "the test error beside the paper's Table 1.")
    _add_network_args(p)
    _add_training_args(p)
    cli.add_sweep_script_args(p, NAME, docs=[f"_{part}{ending}" for part in PARTS
                                             for ending in (".png", ".md")], quick=True)
    return _settled(p, cli.parse_args(p, argv))


def _add_network_args(p: argparse.ArgumentParser) -> None:
    """--width, --depth, --activations, --inits: the networks."""
    p.add_argument("--width", type=cli.positive_int, default=None,
                   help=f"units per hidden layer. Default: 1000 ({QUICK['width']} with "
                        "--quick).")
    p.add_argument("--depth", type=cli.positive_int, default=5,
                   help="hidden layers. Default: %(default)s.")
    p.add_argument("--activations", type=activation_names, default=list(ACTIVATIONS),
                   metavar="A,B,...",
                   help=f"hidden activations, of {', '.join(network.ACTIVATIONS)}. "
                        f"Default: {','.join(ACTIVATIONS)}.")
    cli.add_training_args(
        p, inits=list(INITS),
        helps={"inits": "comma-separated initializers; the paper's standard is "
                        "glorot_standard, its normalized xavier_uniform. Valid: {valid}. "
                        "Default: {default}."})


def _add_training_args(p: argparse.ArgumentParser) -> None:
    """--epochs, --batch, --train-size, --eta, --seeds, --dtype, --quick: the training."""
    cli.add_training_args(
        p, epochs=None, batch=10, train_size=None,
        helps={"epochs": f"passes over the training data. Default: 30 ({QUICK['epochs']} "
                         "with --quick).",
               "batch": "mini-batch size. Default: %(default)s, the paper's.",
               "train_size": "train on the first N of the 50,000 training images. Default: "
                             f"all ({QUICK['train_size']} with --quick). Validation and test "
                             "stay whole."})
    p.add_argument("--eta", type=eta_list, default=None, metavar="E1,E2,...",
                   help="learning rates to try; each configuration keeps the one with the "
                        "lowest final validation error (mean over seeds), as in the paper. "
                        f"Default: {','.join(map(str, DEFAULT_ETAS))} "
                        f"({','.join(map(str, QUICK['eta']))} with --quick).")
    p.add_argument("--seeds", type=cli.seed_list, default=[0], metavar="N|S,..",
                   help="seeds per configuration and learning rate: a count (3 means seeds "
                        "0,1,2) or a list (4,7; one seed as 5,). Default: 1.")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="floating-point type of the networks; float32 is about twice as "
                        "fast. Default: %(default)s.")
    p.add_argument("--quick", action="store_true",
                   help=f"a first look in about a minute: hidden layers of {QUICK['width']}, "
                        f"{QUICK['epochs']} epochs on {QUICK['train_size']} training images, "
                        f"learning rates {','.join(map(str, QUICK['eta']))}, unless --width, "
                        "--epochs, --train-size or --eta say otherwise.")


def _settled(p: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """The defaults that depend on --quick, the checks across flags, and the
    layer sizes."""
    for key in QUICK:
        if getattr(args, key) is None:
            setattr(args, key, (QUICK if args.quick else FULL)[key])
    if args.train_size is not None and args.train_size > 50_000:
        p.error(f"--train-size must be at most 50000, got {args.train_size}")
    if (args.train_size or 50_000) < args.batch:
        p.error(f"--train-size ({args.train_size}) must be at least --batch ({args.batch})")
    args.sizes = [784] + [args.width] * args.depth + [10]
    args.inits = cli.drop_unfit(p, args)
    return args


# --------------------------------------------------------------------------
# The runs
# --------------------------------------------------------------------------


def run_config(args: argparse.Namespace, activation: str, init: str, eta: float,
               seed: int) -> dict:
    """Everything that determines a run's numbers (not the data folder, not --jobs)."""
    return {"dataset": args.dataset, "sizes": args.sizes, "activation": activation,
            "init": init, "eta": eta, "seed": seed, "epochs": args.epochs,
            "mini_batch_size": args.batch, "cost": "log_likelihood", "lmbda": 0.0,
            "train_size": args.train_size or 50_000, "dtype": args.dtype,
            "probe": PROBE, "first_epoch": list(FIRST_EPOCH)}


def record_path(out: Path, config: dict) -> Path:
    name = (f"{config['activation']}-{config['init']}-eta{config['eta']:g}-seed"
            f"{config['seed']}-{records.config_key(config)}.json")
    return out / "runs" / name


def first_epoch_bounds(n: int, m: int, fractions: Sequence[float]) -> list[int]:
    """Where the first epoch is cut to be measured: each fraction of ``n``
    rounded to whole mini-batches of ``m``, increasing, ending at ``n``."""
    bounds = []
    for f in fractions:
        b = min(n, max(m, round(f * n / m) * m))
        if b < n and (not bounds or b > bounds[-1]):
            bounds.append(b)
    return bounds + [n]


def train(task: dict) -> dict:
    """Train one network as ``task["config"]`` says and return its record
    (the sweep writes it).  Module-level so that a pool worker can run it.

    The first epoch goes through the training data in one shuffled order, in
    pieces cut at ``config["first_epoch"]``, each trained by ``SGD`` (which
    shuffles within the piece), so that the activations can be measured early
    in training, where the paper's Figure 2 shows the most.  Later epochs are
    one ``SGD`` call whose callback measures them after each epoch.  A
    checkpoint is saved after every whole epoch
    (:class:`experiments.checkpoints.Training`)."""
    config, label = task["config"], task.get("label", "")
    dtype = np.dtype(config["dtype"])
    (X, y), validation, test = _load(config["dataset"], task["data_dir"], config["train_size"],
                                     dtype.name)
    probe = test[0][:config["probe"]]
    net = network.Network(config["sizes"], config["init"], seed=config["seed"],
                          activation=config["activation"], cost=config["cost"], dtype=dtype)
    m, eta, epochs = config["mini_batch_size"], config["eta"], config["epochs"]
    run = checkpoints.Training(net, task, records.code_version(), extra={
        "dynamics": [{"epoch": 0.0, **layer_stats(net, probe)}],
        "history": {"test_accuracy": [], "test_cost": [], "validation_accuracy": [],
                    "validation_cost": [], "seconds": []}})
    history, dynamics = run.extra["history"], run.extra["dynamics"]

    def keep(h: network.History, epoch: float, seconds: float | None = None) -> None:
        history["test_accuracy"].append(h.test_accuracy[-1])
        history["test_cost"].append(h.test_cost[-1])
        history["validation_accuracy"].append(h.evaluation_accuracy[-1])
        history["validation_cost"].append(h.evaluation_cost[-1])
        history["seconds"].append(h.seconds[-1] if seconds is None else seconds)
        dynamics.append({"epoch": epoch, **layer_stats(net, probe)})
        report.progress(f"{label} epoch {round(epoch)}/{epochs}: validation "
                        f"{100 * h.evaluation_accuracy[-1]:.2f}%  test "
                        f"{100 * h.test_accuracy[-1]:.2f}%  ({history['seconds'][-1]:.1f} s)")

    if run.epoch == 0 and epochs > 0:
        keep(*_first_epoch(net, (X, y), config, dynamics, probe, validation, test))
        run.epoch_done()
    net.SGD((X, y), run.left(epochs), m, eta, test_data=test, evaluation_data=validation,
            verbose=False, callback=run.callback(lambda j, net, h: keep(h, j + 1.0)))
    return _record(config, run)


def _record(config: dict, run: checkpoints.Training) -> dict:
    """A trained run's record: its history and dynamics (JSON's null for
    NaN or infinity), and its times."""
    return {
        "format": _FORMAT, "version": RUN_CODE_VERSION, "key": records.config_key(config),
        "config": config, "versions": records.versions(),
        "history": {k: records.finite_or_none(v) if k.endswith("cost") else v
                    for k, v in run.extra["history"].items()},
        "dynamics": [{k: v if k == "epoch" else records.finite_or_none(v)
                      for k, v in point.items()} for point in run.extra["dynamics"]],
        # Wall time depends on what else the machine runs; CPU time much less.
        "wall_seconds": run.wall_seconds(),
        "cpu_seconds": run.cpu_seconds(),
    }


def _first_epoch(net: network.Network, data: tuple, config: dict, dynamics: list[dict],
                 probe: np.ndarray, validation, test) -> tuple[network.History, float, float]:
    """Train the first epoch in pieces (see :func:`train`), measuring the
    dynamics after each piece but the last; returns the last piece's history,
    the epoch (1.0) and the epoch's training seconds."""
    X, y = data
    m, eta, n = config["mini_batch_size"], config["eta"], len(X)
    order = net.rng.permutation(n)
    seconds, lo = 0.0, 0
    for hi in first_epoch_bounds(n, m, config["first_epoch"])[:-1]:
        h = net.SGD((X[order[lo:hi]], y[order[lo:hi]]), 1, m, eta, verbose=False)
        seconds += h.seconds[0]
        dynamics.append({"epoch": hi / n, **layer_stats(net, probe)})
        lo = hi
    h = net.SGD((X[order[lo:]], y[order[lo:]]), 1, m, eta, test_data=test,
                evaluation_data=validation, verbose=False)
    return h, 1.0, seconds + h.seconds[0]


@functools.lru_cache(maxsize=2)
def _load(dataset: str, data_dir: str | None, n_train: int, dtype: str):
    """The data in the networks' dtype, converted once per process: a pool
    worker trains several runs, and SGD would otherwise convert (and check)
    the validation and test sets at every call."""
    return tuple((X.astype(dtype, copy=False), labels)
                 for X, labels in datasets.load(dataset, data_dir, n_train))


def runs(args: argparse.Namespace) -> list[runner.Run]:
    """The sweep's runs: activation x init x eta x seed, keyed so."""
    configs = [run_config(args, act, init, eta, seed) for act in args.activations
               for init in args.inits for eta in args.eta for seed in args.seeds]
    return [runner.Run(_key(c), c, record_path(args.out, c),
                       f"{c['activation']} {c['init']} eta {c['eta']:g} seed {c['seed']}")
            for c in configs]


def read(run: runner.Run) -> dict | None:
    """The run's saved record, if made by this code for its configuration."""
    return records.read_record(run.path, run.config, _FORMAT, RUN_CODE_VERSION,
                               records.code_version())


def sweep(args: argparse.Namespace) -> dict[tuple, dict]:
    """Run (or reuse) every activation x init x eta x seed; records by
    ``(activation, init, eta, seed)``.  Workers return records; the client
    writes them, one file each, as they arrive (:func:`experiments.runner.sweep`)."""
    return runner.sweep(args, train, runs(args), read,
                        lambda: datasets.load(args.dataset, args.data_dir, args.train_size),
                        summary=_summary)


def _summary(record: dict) -> str:
    return (f"test error {100 * (1 - record['history']['test_accuracy'][-1]):.2f}% "
            f"({record['wall_seconds']:.0f} s, {record['cpu_seconds']:.0f} s of CPU)")


def _key(config: dict) -> tuple:
    return config["activation"], config["init"], config["eta"], config["seed"]


# --------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------


def choose(args: argparse.Namespace, done: dict[tuple, dict]) -> list[dict]:
    """Per configuration (activation, init): the learning rate with the lowest
    final validation error, mean over seeds (ties, as when no rate learns:
    the lower validation cost, then the smaller rate), and the test error
    there, mean and sd over seeds."""
    rows = []
    for act in args.activations:
        for init in args.inits:
            by_eta = {eta: [done[act, init, eta, s] for s in args.seeds] for eta in args.eta}
            validation = {eta: float(np.mean([1 - r["history"]["validation_accuracy"][-1]
                                              for r in runs])) for eta, runs in by_eta.items()}
            cost = {eta: _mean_cost(runs) for eta, runs in by_eta.items()}
            eta = min(args.eta, key=lambda e: (validation[e], cost[e], e))
            runs = by_eta[eta]
            test = report.mean_sd([1 - r["history"]["test_accuracy"][-1] for r in runs])
            rows.append({"activation": act, "init": init, "eta": eta, "runs": runs,
                         "validation": validation, "test": test,
                         "paper": PAPER_TABLE1.get((act, init)),
                         "cpu_seconds": sum(r.get("cpu_seconds", math.nan)
                                            for rs in by_eta.values() for r in rs)})
    return rows


def _mean_cost(runs: list[dict]) -> float:
    """The final validation cost, mean over seeds; infinite if a run diverged."""
    costs = [r["history"]["validation_cost"][-1] for r in runs]
    return math.inf if None in costs else float(np.mean(costs))


def config_name(activation: str, init: str) -> str:
    """The paper's naming: ``Tanh`` for standard, ``Tanh N`` for normalized."""
    paper = PAPER_INIT_NAMES.get(init)
    if paper is None:
        return f"{activation.capitalize()} ({init})"
    return activation.capitalize() + (" N" if paper == "normalized" else "")


def budget(args: argparse.Namespace) -> str:
    n = args.train_size or 50_000
    updates = args.epochs * math.ceil(n / args.batch)
    paper_epochs = PAPER_UPDATES * PAPER_BATCH / 50_000
    return (f"Our budget: {report.plural(args.epochs, 'epoch')} of {n:,} training images at "
            f"mini-batch {args.batch}, {report.plural(updates, 'update')} per run, {args.dtype}, "
            f"{report.plural(len(args.seeds), 'seed')}, learning rates "
            f"{', '.join(f'{e:g}' for e in args.eta)}. The paper's: the learning rate chosen "
            f"on the validation error after {PAPER_UPDATES:,} updates of mini-batches of "
            f"{PAPER_BATCH} ({paper_epochs:,.0f} epochs of 50,000 images), "
            f"{PAPER_UPDATES / updates:,.0f}x ours")


def describe(args: argparse.Namespace) -> str:
    return (f"{args.dataset}, {args.sizes}, softmax output, log-likelihood cost, "
            f"mini-batch {args.batch}")


def table(args: argparse.Namespace, rows: list[dict], command: str) -> str:
    seeds = len(args.seeds)
    text = report.markdown_table(
        ["configuration", "initialization", "learning rate (chosen)",
         "validation error % per learning rate",
         f"test error % (ours, {report.plural(seeds, 'seed')})", "test error % (paper, Table 1)"],
        [[config_name(r["activation"], r["init"]),
          f"{PAPER_INIT_NAMES.get(r['init'], r['init'])} (`{r['init']}`)", f"{r['eta']:g}",
          ", ".join(f"{e:g}: {100 * v:.2f}" for e, v in r["validation"].items()),
          report.pct(*r["test"]) if seeds > 1 else report.pct(r["test"][0]),
          "—" if r["paper"] is None else f"{r['paper']:.2f}"] for r in rows])
    cpu, runs = sum(r["cpu_seconds"] for r in rows), len(rows) * len(args.eta) * seeds
    return (text + f"\n{describe(args)}. {budget(args)}. Test error on the 10,000 test images "
            f"after the last epoch, at the learning rate with the lowest final validation "
            f"error. The {report.plural(runs, 'run')} took "
            f"{f'{cpu / 60:.0f} min' if cpu >= 120 else f'{cpu:.0f} s'} of CPU time, "
            f"{cpu / (runs * args.epochs):.1f} s per epoch (evaluation and measures included). "
            f"{report.made_by(command, [run for r in rows for run in r['runs']])}\n")


def checkpoints_of(rows: list[dict]) -> list[float]:
    return [p["epoch"] for p in rows[0]["runs"][0]["dynamics"]]


def dynamics_table(args: argparse.Namespace, rows: list[dict], done: dict[tuple, dict],
                   command: str) -> str:
    """The top hidden layer's mean activation and 98th percentile at a few
    points, per configuration and learning rate (first seed)."""
    points = checkpoints_of(rows)
    shown = sorted({0.0, *[p for p in points if p < 1], 1.0, points[-1]})
    seed = args.seeds[0]
    lines = []
    for r in rows:
        for eta in args.eta:
            chosen = eta == r["eta"]
            lines.append([config_name(r["activation"], r["init"]),
                          f"**{eta:g}** (chosen)" if chosen else f"{eta:g}"]
                         + [_mean_p98(done[r["activation"], r["init"], eta, seed]["dynamics"], p)
                            for p in shown])
    text = report.markdown_table(
        ["configuration", "learning rate"] + [f"epoch {p:g}" for p in shown], lines)
    return (text + f"\nEach cell: the top (layer {args.depth}) hidden layer's mean activation / "
            f"its 98th percentile, over its units and the first {PROBE} test images, seed "
            f"{seed}. {describe(args)}. {report.made_by(command, done.values())}\n")


def layers_table(args: argparse.Namespace, rows: list[dict], command: str) -> str:
    """Every hidden layer's mean activation and 98th percentile after the
    first and the last epoch, per configuration at its chosen learning rate
    (first seed): the numbers behind the figure's ends."""
    shown = sorted({1.0, float(args.epochs)})
    lines = [[config_name(r["activation"], r["init"]), f"{r['eta']:g}", f"{p:g}"]
             + [_mean_p98(r["runs"][0]["dynamics"], p, l) for l in range(args.depth)]
             for r in rows for p in shown]
    text = report.markdown_table(
        ["configuration", "learning rate (chosen)", "after epoch"]
        + [f"layer {l + 1}" for l in range(args.depth)], lines)
    return (text + f"\nEach cell: that hidden layer's mean activation / its 98th percentile, "
            f"over its units and the first {PROBE} test images, seed {args.seeds[0]}, at the "
            f"learning rate chosen on validation. {describe(args)}. "
            f"{report.made_by(command, [run for r in rows for run in r['runs']])}\n")


def _mean_p98(dynamics: list[dict], epoch: float, layer: int = -1) -> str:
    point = next(p for p in dynamics if p["epoch"] == epoch)
    mean, p98 = point["mean"][layer], point["p98"][layer]
    return "diverged" if mean is None or p98 is None else f"{mean:.2f} / {p98:.2f}"


def ratio(numerator: float, denominator: float) -> str:
    """``numerator / denominator`` to 2 decimals, or "—" (undefined) where the
    denominator is 0: a ``zeros`` network's layers all have sd 0."""
    return "—" if denominator == 0 else f"{numerator / denominator:.2f}"


def init_table(args: argparse.Namespace, results: list[dict], command: str) -> str:
    rows = []
    for r in results:
        a, e = r["activation_sd"], r["error_sd"]
        rows.append([f"{PAPER_INIT_NAMES.get(r['init'], r['init'])} (`{r['init']}`)",
                     ", ".join(f"{v:.3f}" for v in a), ratio(a[-1], a[0]),
                     ", ".join(f"{v:.2e}" for v in e), ratio(e[0], e[-1])])
    text = report.markdown_table(
        ["initialization", "sd of activations, layer 1 to " + str(args.depth),
         f"layer {args.depth} / layer 1", "sd of dC/dz, layer 1 to " + str(args.depth),
         f"layer 1 / layer {args.depth}"], rows)
    undefined = (" A ratio shown as — is undefined: its denominator, an sd, is 0."
                 if any("—" in row for row in rows) else "")
    return (text + f"\nAt initialization, tanh, {args.sizes}, seed {args.seeds[0]}, "
            f"{args.dtype}, on the first {PROBE} test images; dC/dz of the log-likelihood "
            f"cost of each image. A ratio of 1 means the layers look alike.{undefined} "
            f"{report.made_by(command)}\n")


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------


def plot_dynamics(args: argparse.Namespace, rows: list[dict]):
    """Rows: activations; columns: initializations.  Per hidden layer, the mean
    activation (solid) and its 98th percentile (dashed) on the 300 test
    images, against epochs on a symmetric-log axis (the first epoch's points)."""
    plt = report.pyplot()
    acts, inits = args.activations, args.inits
    fig, axes = plt.subplots(len(acts), len(inits), figsize=(4.6 * len(inits),
                                                              2.8 * len(acts) + 0.6),
                             squeeze=False, sharex=True)
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, args.depth))
    ticks = [0, *FIRST_EPOCH, *[e for e in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
                                if e <= args.epochs]]
    for r in rows:
        ax = axes[acts.index(r["activation"])][inits.index(r["init"])]
        dyn = r["runs"][0]["dynamics"]
        epochs = [p["epoch"] for p in dyn]
        for l in range(args.depth):
            mean = [np.nan if p["mean"][l] is None else p["mean"][l] for p in dyn]
            p98 = [np.nan if p["p98"][l] is None else p["p98"][l] for p in dyn]
            ax.plot(epochs, mean, color=colors[l], marker=".", lw=1.4, label=f"layer {l + 1}")
            ax.plot(epochs, p98, color=colors[l], ls="--", lw=1)
        ax.set_xscale("symlog", linthresh=FIRST_EPOCH[0] if FIRST_EPOCH else 1.0)
        ax.xaxis.set_major_locator(FixedLocator(ticks))  # symlog's own ticks are slow to lay out
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        ax.set_ylim(*((-0.02, 1.02) if r["activation"] == "sigmoid" else (-1.02, 1.02)))
        ax.axhline(0, color="grey", lw=0.5)
        ax.grid(alpha=0.3)
        ax.set_title(f"{config_name(r['activation'], r['init'])} (eta {r['eta']:g}), test error "
                     f"{100 * (1 - r['runs'][0]['history']['test_accuracy'][-1]):.2f}%",
                     fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("epoch (symmetric log scale)")
    for ax in axes[:, 0]:
        ax.set_ylabel("activation")
    axes[0][0].legend(fontsize=7, ncol=2)
    fig.suptitle(f"Hidden activations on {PROBE} test images through training: mean (solid) "
                 f"and 98th percentile (dashed).\n{describe(args)}, seed {args.seeds[0]}, "
                 "each at the learning rate chosen on validation", fontsize=8)
    fig.tight_layout()
    return fig


def plot_init(args: argparse.Namespace, results: list[dict]):
    """Rows: initializations; left the activations, right dC/dz, one
    normalized histogram per hidden layer (the paper's Figures 6 and 7)."""
    plt = report.pyplot()
    fig, axes = plt.subplots(len(results), 2, figsize=(10, 2.6 * len(results) + 0.6),
                             squeeze=False)
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, args.depth))
    a_bins = np.linspace(-1, 1, 101)
    # The central 99.5 % of every layer's dC/dz fits in the gradients' range;
    # if all are 0 (a zeros network sends nothing back), any range holds them.
    limit = max(float(np.percentile(np.abs(e), 99.5)) for r in results for e in r["errors"])
    limit = limit or 1.0
    e_bins = np.linspace(-limit, limit, 101)
    for row, r in zip(axes, results):
        name = PAPER_INIT_NAMES.get(r["init"], r["init"])
        for l, (a, e) in enumerate(zip(r["activations"], r["errors"])):
            row[0].hist(a.ravel(), bins=a_bins, density=True, histtype="step", color=colors[l],
                        label=f"layer {l + 1}")
            row[1].hist(e.ravel(), bins=e_bins, density=True, histtype="step",
                        color=colors[l], label=f"layer {l + 1}")
        row[0].set_title(f"{name} ({r['init']}): activation values", fontsize=9)
        row[1].set_title(f"{name}: back-propagated gradients dC/dz", fontsize=9)
        for ax in row:
            ax.set_yscale("log")
            ax.grid(alpha=0.3)
        row[0].legend(fontsize=7)
    axes[-1][0].set_xlabel("tanh activation")
    axes[-1][1].set_xlabel("dC/dz")
    fig.suptitle(f"At initialization, tanh: normalized histograms per hidden layer (log "
                 f"density). {args.dataset}, {args.sizes}, seed {args.seeds[0]}, first {PROBE} "
                 "test images", fontsize=8)
    fig.tight_layout()
    return fig


def plot_errors(args: argparse.Namespace, rows: list[dict]):
    """Test error per epoch per configuration at its chosen learning rate
    (mean over seeds), with the paper's Table 1 figure as a dotted line.
    The log axis is labelled at 1, 2, 5, 10, 20, 50 and 100 %, so that the
    paper's 1.6 to 2.2 % read off it."""
    plt = report.pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter

    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    epochs = np.arange(1, args.epochs + 1)
    for r in rows:
        err = 100 * (1 - np.array([run["history"]["test_accuracy"] for run in r["runs"]]))
        (line,) = ax.plot(epochs, err.mean(axis=0), marker=".",
                          ls="-" if PAPER_INIT_NAMES.get(r["init"]) == "normalized" else "--",
                          label=f"{config_name(r['activation'], r['init'])} (eta {r['eta']:g})")
        if r["paper"] is not None:
            ax.axhline(r["paper"], color=line.get_color(), ls=":", lw=1)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(FixedLocator([0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g} %"))
    ax.yaxis.set_minor_formatter(NullFormatter())  # minor ticks: grid lines, no labels
    ax.set_ylim(bottom=min(1.0, ax.get_ylim()[0]))  # 1 % and 2 % frame the paper's figures
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("test error (log scale)")
    ax.grid(alpha=0.3, which="both")
    handles, _ = ax.get_legend_handles_labels()
    if any(r["paper"] is not None for r in rows):
        handles.append(Line2D([], [], color="grey", ls=":", lw=1,
                              label="the paper's Table 1 (dotted, in its configuration's colour)"))
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1),
              frameon=False)
    fig.suptitle(f"Test error through training (dotted: the paper's Table 1, after "
                 f"{PAPER_UPDATES:,} updates). {describe(args)}, "
                 f"{report.plural(len(args.seeds), 'seed')}", fontsize=8)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# The script
# --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    return runner.main(NAME, argv, parse_args, runs, read,
                       lambda args, command: publish(args, sweep(args), command))


def publish(args: argparse.Namespace, done: dict[tuple, dict], command: str) -> None:
    """The three outputs, into ``--out`` (and ``--docs``), and a summary record."""
    rows = choose(args, done)
    _, _, test = datasets.load(args.dataset, args.data_dir, args.train_size)
    results = [at_initialization(args.sizes, init, args.seeds[0], args.dtype,
                                 test[0][:PROBE], test[1][:PROBE]) for init in args.inits]
    out = args.out
    for part, fig, text in (
            ("dynamics", plot_dynamics(args, rows),
             dynamics_table(args, rows, done, command) + "\n" + layers_table(args, rows, command)),
            ("init", plot_init(args, results), init_table(args, results, command)),
            ("table", plot_errors(args, rows), table(args, rows, command))):
        docs = None if args.docs is None else f"{args.docs}_{part}"
        report.write_outputs(out / f"{part}.png", out / f"{part}.md", docs, fig, text)
        print(text, flush=True)
    records.write_json(out / f"{NAME}.json", {
        "command": command, "versions": records.versions(),
        "table": [{k: v for k, v in r.items() if k != "runs"} for r in rows],
        "init": [{k: v for k, v in r.items() if k.endswith("_sd") or k == "init"}
                 for r in results]})


if __name__ == "__main__":
    cli.main_guard(main)
