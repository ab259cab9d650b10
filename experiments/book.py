"""experiments.book
~~~~~~~~~~~~~~~~~

The book's numbers, side by side with ours: every quantitative claim of
chapters 1, 3 and 5 of Nielsen's *Neural Networks and Deep Learning* that
this code can make, rerun over seeds.

    python -m experiments.book --docs docs/results/book     # 5 seeds: 35 min on 2 cores
    python -m experiments.book --quick              # a one-minute look (not comparable)
    python -m experiments.book --rows ch5-speed-3-h1,ch5-speed-3-h2,ch5-speed-3-h3
    python -m experiments.book --scheduler tcp://A:8786 --docs docs/results/book  # Dask

Each of the book's figures comes from one unseeded run (or, in chapter 1, the
best of three runs), so it is one draw from a distribution.  This script
measures that distribution: it trains each of the book's settings once per
seed, driving the code exactly as the book does (chapter 1 through
``network.Network``, chapters 3 and 5 through ``network2``), and places the
book's figure in it (``experiments.book_stats``): its z-score, the share of
our seeds below it, and whether one run like the book's is a plausible draw
from ours.  The settings and the figures, with their sources, are in
``experiments.book_numbers``.

A *run* is one training setting (``RUNS``); a *row* is one of the book's
figures (``ROWS``), read from one run's record by a metric (accuracy after the
first epoch, at the best epoch, at the last, or a layer's speed of learning).
Several rows share a run.  Each (run, seed) is one task for the process pool
(or, with ``--scheduler``, a Dask cluster): the worker returns its record and
this process writes it, so a killed sweep resumes with the tasks not yet
written, each from its checkpoint in ``checkpoints/`` after its last whole
epoch if it had begun (``docs/checkpoints.md``).  Records are keyed by the
task's configuration and stamped with the numerical fingerprint of the code
that made the numbers (:func:`nndl.provenance.fingerprint`, which runs
``network``, ``network2``, ``initializers`` and ``mnist_loader`` on a fixed
probe) and this script's ``RUN_CODE_VERSION``: other numbers, other records.

Into ``--out`` go ``runs/<run>-seed<k>-<hash>.json``, ``book.md`` (the
table), ``book.png`` (the figure) and ``book.json`` (each row's numbers, read
by ``tests/test_book.py`` to derive its thresholds); ``--docs PREFIX`` writes
the last three to ``PREFIX.md``, ``PREFIX.png`` and ``PREFIX.json`` too.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import itertools
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

import network
import network2
from experiments import checkpoints, cli, datasets, records, report, runner
from experiments.book_numbers import (
    CLAIM_MEANS,
    CLAIMS,
    METRIC_WORDS,
    ROW_NAMES,
    ROWS,
    RUNS,
    Row,
)
from experiments.book_stats import (
    SHORT_VERDICTS,
    short_verdict,
    summarize,
    summarize_best_of_three,
    verdict,
)

NAME = "book"
_FORMAT = "nndl-init book run"
RUN_CODE_VERSION = 1  # bump when a driver below changes what a run computes
QUICK_TRAIN = 2_000
QUICK_SEEDS = 2
SPEED_SEEDS = 100


# ---- command line ------------------------------------------------------------


def row_names(text: str) -> list[str]:
    """``"ch1-30-best,ch3-98"`` -> those rows, each checked against ``ROWS``."""
    names = cli.comma_items(text, "row name")
    unknown = [n for n in names if n not in ROW_NAMES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown row {unknown[0]!r}; valid rows: {', '.join(ROW_NAMES)}")
    return list(dict.fromkeys(names))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=f"python -m experiments.{NAME}",
        description="Rerun the quantitative claims of the book's chapters 1, 3 and 5 over "
                    "seeds, and place each of the book's figures in our distribution. "
                    "Writes a table (book.md), a figure (book.png) and the rows' numbers "
                    "(book.json).",
        epilog="rows: " + ", ".join(ROW_NAMES))
    p.add_argument("--rows", type=row_names, default=list(ROW_NAMES), metavar="A,B,...",
                   help="comma-separated rows to run (listed below). Default: all.")
    p.add_argument("--seeds", type=cli.seed_list, default=None, metavar="N|S,..",
                   help="seeds per run: a count (5 means 0,...,4) or a list (4,7). Default: 5 "
                        f"({QUICK_SEEDS} with --quick).")
    p.add_argument("--slow-seeds", type=cli.positive_int, default=None, metavar="N",
                   help="use only the first N seeds for the runs with 100 hidden neurons "
                        "(2 to 3 times slower per epoch than the others), when time is short. "
                        "The table says how many seeds each row has. Default: all of --seeds.")
    p.add_argument("--speed-seeds", type=cli.positive_int, default=None, metavar="N",
                   help="seeds 0, ..., N-1 for chapter 5's speed-of-learning rows, which "
                        "train nothing (about a second each) and spread widely. Default: "
                        f"{SPEED_SEEDS} (with --quick, the seeds of --seeds).")
    p.add_argument("--quick", action="store_true",
                   help=f"a first look in about a minute: {QUICK_SEEDS} seeds, the first "
                        f"{QUICK_TRAIN} training images, a fifteenth of the epochs. Its "
                        "numbers are NOT comparable with the book's (the table says so).")
    p.add_argument("--pixels", type=int, choices=(255, 256), default=255,
                   help="divide the pixel values by 255 (the IDX files read as [0, 1]) or by "
                        "256, as the book's mnist.pkl.gz does (its maximum is 255/256): to "
                        "see whether that difference in the data matters. Default: 255.")
    cli.add_sweep_script_args(p, NAME, docs=(".png", ".md", ".json"), quick=True)
    args = cli.parse_args(p, argv)
    if args.dataset != "mnist":
        p.error("the book's numbers are for MNIST: --dataset must be mnist")
    if args.seeds is None:
        args.seeds = list(range(QUICK_SEEDS if args.quick else 5))
    if args.speed_seeds is None and args.quick:
        args.speed_seeds = args.seeds
    else:  # from here on a list, as --seeds
        args.speed_seeds = list(range(args.speed_seeds or SPEED_SEEDS))
    return args


# ---- one task: train (or measure) one run with one seed ------------------------


def run_config(run_name: str, seed: int, quick: bool, pixels: int = 255) -> dict:
    """Everything that determines a task's numbers (not the data folder, not
    ``--jobs``).  ``--quick`` shortens the run, so its records are apart;
    ``pixels=256`` (the book's scaling) is recorded only when asked for."""
    run = RUNS[run_name]
    epochs, train_size = run.epochs, run.train_size
    if quick and run.driver != "speed":
        epochs, train_size = max(1, epochs // 15), min(train_size, QUICK_TRAIN)
    return {"run": run_name, "driver": run.driver, "sizes": list(run.sizes), "eta": run.eta,
            "epochs": epochs, "lmbda": run.lmbda, "init": run.init, "data": run.data,
            "train_size": train_size, "mini_batch_size": run.mini_batch_size, "seed": seed,
            "dataset": "mnist", "dtype": "float64", **({"pixels": pixels} if pixels != 255 else {})}


def code_version() -> str:
    """The stamp of a run's record and of ``book.json``: the numerical
    fingerprint of :func:`records.code_version` (its probe trains through
    ``network2`` too, as chapters 3 and 5 do) and this script's
    ``RUN_CODE_VERSION``, bumped by hand when a driver below changes what a
    run computes."""
    text = f"{records.code_version()} {RUN_CODE_VERSION}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def record_path(out: Path, config: dict) -> Path:
    return out / "runs" / f"{config['run']}-seed{config['seed']}-{records.config_key(config)}.json"


def train(task: dict) -> dict:
    """Run one task and return its record; the caller writes it.

    Module-level so that a pool worker (or a cluster) can run it; it writes
    nothing but the run's checkpoint after every epoch (when the task names
    one: :class:`experiments.checkpoints.Training`), so a task can run
    anywhere the data is."""
    config, label = task["config"], task.get("label", "")
    training, validation, test = load(task["data_dir"], config.get("pixels", 255))
    n = config["train_size"]
    training = (training[0][:n], training[1][:n])
    start = time.perf_counter()
    if config["driver"] == "speed":
        result = {"speed": speed_of_learning(config["sizes"], config["seed"], training)}
        report.progress(f"{label}: speed of learning "
                        + ", ".join(f"{v:.4f}" for v in result["speed"]))
        seconds = time.perf_counter() - start
    else:
        evaluation = test if config["data"] == "test" else validation
        drive = chapter1 if config["driver"] == "network" else chapter3
        accuracy, run = drive(task, training, evaluation)
        result = {"accuracy": accuracy}
        seconds = run.wall_seconds()
        report.progress(f"{label}: best {100 * max(accuracy):.2f}%, last "
                        f"{100 * accuracy[-1]:.2f}% on the {config['data']} data "
                        f"({seconds:.0f} s)")
    return {"format": _FORMAT, "version": RUN_CODE_VERSION, "key": records.config_key(config),
            "config": config, "versions": {**records.versions(), "code": code_version()},
            **result, "wall_seconds": seconds}


_BOOK_PIXELS: dict[str | None, tuple] = {}


def load(data_dir: str | None, pixels: int = 255) -> tuple:
    """MNIST as ``datasets.load`` gives it, pixel values k/255 in [0, 1];
    with ``pixels=256``, k/256 in [0, 255/256] instead, as in the book's
    ``mnist.pkl.gz`` (deeplearning.net's conversion divides by 256:
    https://github.com/lisa-lab/pylearn2/issues/93).  Same images, same split."""
    data = datasets.load("mnist", data_dir)
    if pixels == 255:
        return data
    if data_dir not in _BOOK_PIXELS:  # once per process
        _BOOK_PIXELS[data_dir] = tuple((book_pixels(X), y) for X, y in data)
    return _BOOK_PIXELS[data_dir]


def book_pixels(X: np.ndarray) -> np.ndarray:
    """Images of pixel values k/255 as the book's file holds them, k/256."""
    return np.rint(X * 255) / 256


def chapter1(task: dict, training, evaluation) -> tuple[list[float], checkpoints.Training]:
    """Chapter 1 as the book runs it: ``network.Network(sizes)`` (N(0, 1)
    weights and biases, quadratic cost), ``SGD(..., test_data=test_data)``,
    for ``task["config"]``.  Returns the test accuracy after each epoch, as
    fractions, and the run's :class:`experiments.checkpoints.Training`."""
    config, label = task["config"], task.get("label", "")
    net = network.Network(config["sizes"], "randn", seed=config["seed"])
    run = checkpoints.Training(net, task, code_version())
    epochs = config["epochs"]

    def show(epoch, net, history):
        if report.shows_epoch(epoch + 1, epochs):
            report.progress(f"{label} epoch {epoch + 1}/{epochs}: "
                            f"{100 * history.test_accuracy[-1]:.2f}%")

    net.SGD(training, run.left(epochs), config["mini_batch_size"], config["eta"],
            test_data=evaluation, verbose=False, callback=run.callback(show))
    return run.history.test_accuracy, run


def chapter3(task: dict, training, evaluation) -> tuple[list[float], checkpoints.Training]:
    """Chapters 3 and 5 as the book runs them: ``network2.Network(sizes,
    cost=CrossEntropyCost)``, ``large_weight_initializer()`` where the book calls
    it, ``SGD(..., lmbda, evaluation_data=..., monitor_evaluation_accuracy=True)``,
    for ``task["config"]``.  The book's printed lines are caught and shown
    every 10 epochs.  Returns the evaluation accuracy after each epoch, as
    fractions, and the run's :class:`experiments.checkpoints.Training`.

    ``SGD`` is called once per epoch, so that a checkpoint is saved after
    each: the numbers are those of one call for all the epochs, since the
    weights, the biases and the generator are all that passes from one epoch
    to the next (``tests/test_book.py`` checks it against
    ``network.Network.SGD``)."""
    config = task["config"]
    net = network2.Network(config["sizes"], cost=network2.CrossEntropyCost,
                           seed=config["seed"])
    if config["init"] == "large":
        net.large_weight_initializer()
    run = checkpoints.Training(net.network, task, code_version(), extra={"counts": []})
    counts = run.extra["counts"]
    shown = _EveryTenth(task.get("label", ""), config["epochs"], sys.stdout, run.epoch)
    with contextlib.redirect_stdout(shown):
        for _ in range(run.left(config["epochs"])):
            _, count, _, _ = net.SGD(training, 1, config["mini_batch_size"], config["eta"],
                                     lmbda=config["lmbda"], evaluation_data=evaluation,
                                     monitor_evaluation_accuracy=True)
            counts += count
            run.epoch_done()
    return [c / len(evaluation[1]) for c in counts], run


class _EveryTenth(io.StringIO):
    """Where ``network2``'s printed lines go during a run: every tenth epoch's
    accuracy line is passed on, with the run's label, to ``out``; ``done``
    epochs were trained before (a resumed run)."""

    def __init__(self, label: str, epochs: int, out, done: int = 0) -> None:
        super().__init__()
        self.label, self.epochs, self.out, self.epoch = label, epochs, out, done

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.startswith("Accuracy on evaluation data"):
                self.epoch += 1
                if report.shows_epoch(self.epoch, self.epochs):
                    print(f"{self.label} epoch {self.epoch}/{self.epochs}: {line}",
                          file=self.out, flush=True)
        return len(text)


def speed_of_learning(sizes: list[int], seed: int, training) -> list[float]:
    """Chapter 5's "speed of learning" of each hidden layer at initialization:
    the Euclidean norm of ∂C/∂b for the layer's neurons, averaged over
    ``training`` (the book: the first 1,000 training images), for a new
    ``network2.Network(sizes)`` (N(0, 1/n_in) weights, N(0, 1) biases,
    cross-entropy).  The book's ``fig/generate_gradient.py`` sums
    ``backprop(x, y)[0]`` over the images and divides by their number;
    ``network.Network.gradient`` is that mean, one matrix pass for all images
    (``tests/test_book.py`` checks the two agree)."""
    net = network2.Network(sizes, seed=seed)
    nabla_b, _ = net.network.gradient(training)
    return [float(np.linalg.norm(nb)) for nb in nabla_b[:-1]]


# ---- the sweep -----------------------------------------------------------------


def run_seeds(args: argparse.Namespace, run_name: str) -> list[int]:
    """The seeds of a run: ``--seeds``; ``--speed-seeds`` for the speeds of
    learning; the first ``--slow-seeds`` for the runs with 100 hidden neurons."""
    if RUNS[run_name].driver == "speed":
        return args.speed_seeds
    if args.slow_seeds is not None and RUNS[run_name].slow():
        return args.seeds[:args.slow_seeds]
    return args.seeds


def tasks_for(args: argparse.Namespace) -> list[tuple[str, int]]:
    """The (run, seed) pairs the chosen rows need, in the order they are
    trained: the quicker runs for every seed first, then the runs with 100
    hidden neurons seed by seed, so that an interrupted sweep has every seed
    of the cheap rows and the first seeds of every costly one (then
    ``--slow-seeds`` makes the table from those)."""
    names = list(dict.fromkeys(row.run for row in ROWS if row.name in args.rows))
    pairs = [(name, seed) for name in names for seed in run_seeds(args, name)]
    order = {seed: i for i, seed in enumerate(dict.fromkeys([*args.seeds, *args.speed_seeds]))}
    return sorted(pairs, key=lambda p: (RUNS[p[0]].slow(), order[p[1]]))


def runs(args: argparse.Namespace) -> list[runner.Run]:
    """The (run, seed) tasks the chosen rows need, keyed ``(run, seed)``."""
    configs = [run_config(name, seed, args.quick, args.pixels) for name, seed in tasks_for(args)]
    return [runner.Run((c["run"], c["seed"]), c, record_path(args.out, c),
                       f"{c['run']} seed {c['seed']}") for c in configs]


def read(run: runner.Run) -> dict | None:
    """The task's saved record, if made by this code for its configuration."""
    return records.read_record(run.path, run.config, _FORMAT, RUN_CODE_VERSION, code_version())


def sweep(args: argparse.Namespace) -> dict[tuple[str, int], dict]:
    """Run (or reuse) every task the chosen rows need; return the records."""
    return runner.sweep(args, train, runs(args), read,
                        lambda: datasets.load("mnist", args.data_dir), doing="to do on",
                        cost=_cost)


def _cost(config: dict) -> float:
    """A task's work, for the estimate of the time left: a speed of learning
    trains nothing (one gradient over its images)."""
    epochs = 0.01 if config["driver"] == "speed" else config["epochs"]
    sizes = config["sizes"]
    return epochs * config["train_size"] * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def metric_value(record: dict, metric: str) -> float:
    if metric.startswith("speed"):
        return record["speed"][int(metric[5:]) - 1]
    acc = record["accuracy"]
    return {"epoch1": acc[0], "best": max(acc), "last": acc[-1]}[metric]


def best_of_three(records_: list[dict], metric: str) -> list[float]:
    """For every three of our seeds, the metric of the one with the best peak
    accuracy: the book's chapter 1 reports "best-of-three runs".  (The triples
    overlap, so these values are not independent.)"""
    out = []
    for triple in itertools.combinations(records_, 3):
        best = max(triple, key=lambda r: max(r["accuracy"]))
        out.append(metric_value(best, metric))
    return out


def results(args: argparse.Namespace, done: dict[tuple[str, int], dict]) -> list[dict]:
    """One entry per chosen row: its numbers, summaries and verdicts."""
    out = []
    for row in ROWS:
        if row.name not in args.rows:
            continue
        seeds = run_seeds(args, row.run)
        runs = [done[row.run, s] for s in seeds]
        entry = {"row": row.name, "run": row.run, "metric": row.metric, "seeds": seeds,
                 "per_seed": summarize([metric_value(r, row.metric) for r in runs], row.book)}
        entry["verdict"] = verdict(entry["per_seed"])
        if row.metric == "best":
            entry["last"] = report.mean_sd([r["accuracy"][-1] for r in runs])
        if row.best_of_three and len(runs) >= 3:
            entry["best_of_three"] = summarize_best_of_three(
                best_of_three(runs, row.metric), entry["per_seed"], row.metric)
            entry["best_of_three_verdict"] = verdict(entry["best_of_three"])
        if row.claim is not None:
            held = [CLAIMS[row.claim](r["accuracy"]) for r in runs]
            entry["claim_holds"] = sum(held)
            entry["verdict"] = (f"the book's \"{row.claim}\" holds for {sum(held)} of "
                                f"{report.plural(len(held), 'seed')} ({CLAIM_MEANS[row.claim]})")
        out.append(entry)
    return out


# ---- the table and the figure ----------------------------------------------------


def _is_accuracy(row: Row) -> bool:
    return not row.metric.startswith("speed")


def fmt(row: Row, value: float) -> str:
    return f"{100 * value:.2f} %" if _is_accuracy(row) else f"{value:.4f}"


def fmt_sd(row: Row, s: dict) -> str:
    if _is_accuracy(row):
        return f"{100 * s['mean']:.2f} ± {100 * s['sd']:.2f} %"
    return f"{s['mean']:.4f} ± {s['sd']:.4f}"


def place(s: dict) -> str:
    parts = [] if s["z"] is None else [f"z = {s['z']:+.1f}"]
    parts.append(f"above {s['percentile']:.0f} % of ours")
    if s["p"] is not None:
        parts.append(f"p = {s['p']:.3f}")
    return "; ".join(parts)


def setting(row: Row, config: dict) -> str:
    run = RUNS[row.run]
    what = {"epoch1": "accuracy after epoch 1", "best": "accuracy at the best epoch",
            "last": "accuracy after the last epoch"}
    if row.metric.startswith("speed"):
        measure = f"hidden layer {row.metric[5:]}'s speed of learning"
    else:
        measure = f"{config['data']} {what[row.metric]}"
    text = f"{run.call()}: {measure}"
    if config.get("pixels") == 256:
        text += " (pixels k/256, as in the book's mnist.pkl.gz)"
    if config["epochs"] != run.epochs or config["train_size"] != run.train_size:
        text += f" (QUICK: {config['epochs']} epochs on {config['train_size']} images)"
    return text


def table(args: argparse.Namespace, entries: list[dict], done: dict, command: str) -> str:
    """docs/results/book.md: the tally, the summary table, the notes on seeds
    and statistics, and every row in full with the book's calls and sources."""
    rows_by_name = {row.name: row for row in ROWS}
    lines = []
    for e in entries:
        row = rows_by_name[e["row"]]
        lines += _full_rows(row, e, done[row.run, e["seeds"][0]]["config"])
    header = ["row", "chapter, section", "exact setting", "the book", "the book's source",
              "ours: mean ± sd", "ours: min to max", "the book's place in ours", "verdict"]
    text = ""
    if args.quick:
        text += ("**QUICK RUN: fewer epochs, fewer images and seeds. These numbers are NOT "
                 "comparable with the book's.**\n\n")
    text += (f"{tally(entries)}\n\n{summary_table(entries)}\n"
             f"{_notes(args, entries, done, command)}\n"
             "The same rows in full, with the book's exact calls and sources:\n\n"
             + report.markdown_table(header, lines))
    return text


def _full_rows(row: Row, e: dict, config: dict) -> list[list[str]]:
    """One entry's lines of the full table: its seeds, then (where the book
    took it) the best of three."""
    s = e["per_seed"]
    ours = f"{fmt_sd(row, s)} (n = {s['n']})"
    if "last" in e:
        ours += f"; last epoch {100 * e['last'][0]:.2f} ± {100 * e['last'][1]:.2f} %"
    lines = [[f"`{row.name}`", row.section, setting(row, config),
              f"**{fmt(row, row.book)}**", row.source, ours,
              f"{fmt(row, s['min'])} to {fmt(row, s['max'])}", place(s), e["verdict"]]]
    if "best_of_three" in e:
        b = e["best_of_three"]
        lines.append([f"`{row.name}` (best of 3)", row.section,
                      f"the same, best of three seeds (by best accuracy), over all "
                      f"{report.plural(b['n'], 'triple')} of our "
                      f"{report.plural(s['n'], 'seed')}",
                      f"**{fmt(row, row.book)}**", "the text: \"To generate results in "
                      "this chapter I've taken best-of-three runs\"",
                      f"{fmt_sd(row, b)} (over {report.plural(b['n'], 'triple')})",
                      f"{fmt(row, b['min'])} to {fmt(row, b['max'])}", place(b),
                      e["best_of_three_verdict"]])
    return lines


def _notes(args: argparse.Namespace, entries: list[dict], done: dict, command: str) -> str:
    """The paragraph under the summary: the seeds, the statistics and who made it."""
    seeds = ",".join(map(str, args.seeds))
    speed = args.speed_seeds
    return (f"Seeds {seeds}" + (f" ({', '.join(map(str, args.seeds[:args.slow_seeds]))} for "
                                "the runs with 100 hidden neurons)" if args.slow_seeds else "")
            + (f"; {speed[0]} to {speed[-1]} for the speeds of learning"
               if speed != args.seeds and any(e["run"].startswith("ch5-speed") for e in entries)
               else "")
            + ". sd is the sample standard deviation over seeds; z = (book − mean) / sd; "
            "\"above x % of ours\" is the share of our values below the book's figure; p is "
            "the chance that one new run of ours is at most the book's figure (Student's t "
            "with n − 1 degrees of freedom, scaled by sd √(1 + 1/n); for the best of three, "
            "one run's p cubed at the best epoch, since three runs must all stay at or "
            "below it, and one run's p after epoch 1, since only the run picked for its "
            "peak is reported). The book's figure is \"inside the central 95 %\" when "
            "0.025 ≤ p ≤ 0.975: one run like the book's is then a plausible draw from ours. "
            "Speeds of learning are norms of the mean ∂C/∂b over the first 1,000 training "
            f"images. {report.made_by(command, done.values())}\n")


def summary_table(entries: list[dict]) -> str:
    """Every comparison in one line: the short table for docs/book_numbers.md."""
    rows_by_name = {row.name: row for row in ROWS}
    lines = []
    for e in entries:
        row = rows_by_name[e["row"]]
        what = METRIC_WORDS.get(row.metric, f"hidden layer {row.metric[5:]}")
        for key, label in (("per_seed", row.name), ("best_of_three", f"{row.name}, best of 3")):
            if key not in e:
                continue
            s = e[key]
            word = e["verdict" if key == "per_seed" else "best_of_three_verdict"]
            if "claim_holds" in e:
                word = f"\"{row.claim}\": {e['claim_holds']} of {report.plural(s['n'], 'seed')}"
            lines.append([f"`{label}`", f"{RUNS[row.run].short()}; {what}",
                          fmt(row, row.book), f"{fmt_sd(row, s)} ({s['n']})",
                          f"{fmt(row, s['min'])} to {fmt(row, s['max'])}",
                          "" if s["z"] is None else f"{s['z']:+.1f}",
                          "" if s["p"] is None else f"{s['p']:.3f}",
                          word if "claim_holds" in e else short_verdict(word)])
    return report.markdown_table(["row", "setting; measured", "the book", "ours (n)",
                                  "ours: min to max", "z", "p", "verdict"], lines)


def tally(entries: list[dict]) -> str:
    """One line: how many of the book's figures each verdict got."""
    counts = dict.fromkeys((short for _, short in SHORT_VERDICTS), 0)
    claims = held = 0
    for e in entries:
        if "claim_holds" in e:
            claims += 1
            held += e["claim_holds"] == e["per_seed"]["n"]
            continue
        for key in ("verdict", "best_of_three_verdict"):
            if key in e:
                counts[short_verdict(e[key])] += 1
    parts = [f"{n} {word}" for word, n in counts.items() if n]
    if claims:
        parts.append(f"{held} of {report.plural(claims, 'qualitative claim')} hold"
                     f"{'s' * (claims == 1)} for every seed")
    n = sum(counts.values())
    return (f"**The book's figures against our seeds ({report.plural(n, 'comparison')}): "
            + "; ".join(parts) + ".**")


ACC_CLIP = 3.0  # percentage points shown either side of the book's figure


def _clipped(ax, xs: list[float], y: float, color: str) -> list[float]:
    """``xs`` within ±ACC_CLIP; each one outside is drawn as an arrowhead at
    the edge with its value, so that a stuck run (30 points below) does not
    squeeze every other row into the middle of the panel."""
    for side in (-1, 1):
        beyond = sorted((x for x in xs if side * x > ACC_CLIP), key=abs)
        if beyond:
            edge = side * ACC_CLIP
            ax.plot([edge], [y], ">" if side > 0 else "<", color=color, ms=6, alpha=0.7)
            ax.annotate(", ".join(f"{x:+.1f}" for x in beyond), (edge, y),
                        xytext=(-3 * side, 4), textcoords="offset points", fontsize=6,
                        color=color, ha="right" if side > 0 else "left")
    ax.set_xlim(-ACC_CLIP * 1.05, ACC_CLIP * 1.05)
    return [x for x in xs if abs(x) <= ACC_CLIP]


def plot(args: argparse.Namespace, entries: list[dict]):
    """Each row's seeds as dots, the book's figure as a red diamond: accuracies
    in points from the book's figure, speeds of learning as ratios to it."""
    plt = report.pyplot()
    panels = _panels(entries)
    heights = [len(p[0]) + sum("best_of_three" in e for e in p[0]) for p in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 0.28 * sum(heights) + 1.2 * len(panels)),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (group, xlabel, to_x, log, kind) in zip(axes[:, 0], panels):
        labels = _plot_group(ax, group, to_x, clip=kind == "accuracy")
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.set_xlabel(xlabel, fontsize=8)
        if log:
            _log_ratio_axis(ax)
        if kind != "claims":  # the book's figure, as the reference line
            ax.axvline(1.0 if log else 0.0, color="C3", lw=0.8, alpha=0.5)
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelsize=7)
    title = ("The book's figures (red diamonds) against our runs (blue: one dot per seed; "
             f"green: best of three seeds; arrowheads: beyond ±{ACC_CLIP:g} points)")
    if args.quick:
        title = "QUICK RUN, NOT COMPARABLE WITH THE BOOK\n" + title
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def _panels(entries: list[dict]) -> list[tuple]:
    """The figure's panels that have entries, each ``(entries, x label,
    x of (value, book), log scale, kind)``: accuracies, speeds of learning,
    and the book's qualitative claims."""
    rows_by_name = {row.name: row for row in ROWS}
    acc = [e for e in entries if _is_accuracy(rows_by_name[e["row"]])
           and rows_by_name[e["row"]].claim is None]
    speed = [e for e in entries if not _is_accuracy(rows_by_name[e["row"]])]
    qual = [e for e in entries if rows_by_name[e["row"]].claim is not None]
    panels = [(acc, "ours − the book (percentage points)", lambda v, b: 100 * (v - b), False,
               "accuracy"),
              (speed, "ours / the book (speed of learning)", lambda v, b: v / b, True, "speed"),
              (qual, "accuracy (%), the book's learning-rate failures",
               lambda v, b: 100 * v, False, "claims")]
    return [p for p in panels if p[0]]


def _plot_group(ax, group: list[dict], to_x: Callable, clip: bool) -> list[str]:
    """One panel's rows, top down: each seed a dot (blue, green for the best
    of three), the book's figure a red diamond; its row labels."""
    rows_by_name = {row.name: row for row in ROWS}
    labels = []
    y = 0
    for e in group:
        book = rows_by_name[e["row"]].book
        for key, name in (("per_seed", e["row"]), ("best_of_three", e["row"] + " (best of 3)")):
            if key not in e:
                continue
            xs = [to_x(v, book) for v in e[key]["values"]]
            color = "C0" if key == "per_seed" else "C2"
            if clip:
                xs = _clipped(ax, xs, y, color)
            ax.plot(xs, [y] * len(xs), "o", color=color, ms=4, alpha=0.7)
            ax.plot([to_x(book, book)], [y], "D", color="C3", ms=6)
            labels.append(name)
            y += 1
    return labels


def _log_ratio_axis(ax) -> None:
    """A log x axis labelled at 1, 2, 5 per decade, as plain numbers."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_minor_locator(LogLocator(subs="auto"))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def main(argv: Sequence[str] | None = None) -> int:
    return runner.main(NAME, argv, parse_args, runs, read, work)


def work(args: argparse.Namespace, command: str) -> None:
    """The sweep, then the table, the figure and the rows' numbers into ``--out``
    (and ``--docs``)."""
    done = sweep(args)
    entries = results(args, done)
    text = table(args, entries, done, command)
    fig = plot(args, entries)
    summary = {"command": command, "quick": args.quick, "pixels": args.pixels,
               "seeds": args.seeds, "speed_seeds": args.speed_seeds,
               "slow_seeds": args.slow_seeds, "code": code_version(), "rows": entries}
    records.write_json(args.out / "book.json", summary)
    if args.docs:
        records.write_json(Path(args.docs + ".json"), summary)
    report.write_outputs(args.out / "book.png", args.out / "book.md", args.docs, fig, text)
    print(text, flush=True)


if __name__ == "__main__":
    cli.main_guard(main)
