"""experiments.unseeded
~~~~~~~~~~~~~~~~~~~~~

How often does the book's chapter-1 session end far below 95 %?

The book's session is unseeded::

    >>> net = network.Network([784, 30, 10])
    >>> net.SGD(training_data, 30, 10, 3.0, test_data=test_data)

so each reader's run is one draw of the starting weights and the shuffling.
One newcomer ran it four times: three ended near 95 %, one at 85.94 %.  An
unseeded run is a run with a seed nobody wrote down, so this script trains
the same session once per seed, 0 to N-1, and counts the runs that end
badly, and for each bad run shows what went wrong: the recall of each digit
(the share of its test images answered correctly), the most frequent answer,
and the output neurons that are never the answer or whose activation stays
near 0 on every test image.

    python -m experiments.unseeded --seeds 40 --docs docs/results/unseeded
    python -m experiments.unseeded --quick      # seconds: 4 seeds, 2 epochs, 5,000 images

Each (seed) run is one task for the sweep backend (:mod:`experiments.runner`:
``--jobs`` processes, or ``--scheduler`` for Dask); its record goes to
``runs/seed<k>-<hash>.json`` in ``--out`` as it finishes, so a killed sweep,
or one asked for more seeds, trains only the runs not yet saved.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import network
from experiments import cli, datasets, records, report, runner

NAME = "unseeded"
_FORMAT = "nndl-init unseeded run"
_VERSION = 1
BAD = 0.90  # a run is "bad" when its final test accuracy is below this
STUCK_RECALL = 0.5  # a digit is "lost" when less than half its images are recognised
SILENT = 0.1  # an output neuron is "silent" when its activation never reaches this
LONG = 10  # epochs with a lost digit that make a run worth a colour in the figure
QUICK = {"seeds": 4, "epochs": 2, "train_size": 5_000}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=f"python -m experiments.{NAME}",
        description="Train the book's chapter-1 session once per seed and count the runs "
                    f"that end below {100 * BAD:.0f} %; show what went wrong in each.")
    p.add_argument("--seeds", type=cli.seed_list, default=None, metavar="N|S,..",
                   help="a count (40 means seeds 0 to 39) or a list (4,7; one seed as 5,). "
                        f"Default: 40 ({QUICK['seeds']} with --quick).")
    cli.add_training_args(p, epochs=None, sizes=[784, 30, 10], batch=10, eta=3.0,
                          train_size=None, jobs=runner.default_jobs(),
                          helps={"epochs": "passes over the training data. Default: 30 "
                                           f"({QUICK['epochs']} with --quick).",
                                 "jobs": cli.SWEEP_JOBS_HELP})
    p.add_argument("--quick", action="store_true",
                   help=f"a check that it runs: {QUICK['seeds']} seeds, {QUICK['epochs']} "
                        f"epochs on {QUICK['train_size']:,} images, unless flags say otherwise")
    cli.add_sweep_args(p)
    cli.add_data_args(p)
    cli.add_output_args(p, NAME)
    args = cli.parse_args(p, argv)
    for name, value in QUICK.items():
        if getattr(args, name) is None and args.quick:
            setattr(args, name, list(range(value)) if name == "seeds" else value)
    args.seeds = list(range(40)) if args.seeds is None else args.seeds
    args.epochs = args.epochs or 30
    return args


def run_config(args: argparse.Namespace, seed: int) -> dict:
    return {"dataset": args.dataset, "sizes": args.sizes, "init": "randn", "seed": seed,
            "epochs": args.epochs, "mini_batch_size": args.batch, "eta": args.eta,
            "cost": "quadratic", "train_size": args.train_size or 50_000}


def record_path(out: Path, config: dict) -> Path:
    return out / "runs" / f"seed{config['seed']}-{records.config_key(config)}.json"


def answers(net: network.Network, X: np.ndarray, y: np.ndarray) -> dict:
    """What the network answers on ``X`` (n, 784) with labels ``y`` (n,):
    ``recall`` per digit (share of its images answered right), ``counts``
    of each answer, and per output neuron its largest and mean activation."""
    output = net.forward(X)[1][-1]
    predicted = output.argmax(axis=1)
    n = net.sizes[-1]
    recall = [float(np.mean(predicted[y == d] == d)) for d in range(n)]
    return {"recall": recall, "counts": np.bincount(predicted, minlength=n).tolist(),
            "max_activation": output.max(axis=0).tolist(),
            "mean_activation": output.mean(axis=0).tolist()}


def train(task: dict) -> dict:
    """Train the session for one seed; return its record (the client writes it)."""
    config = task["config"]
    training, _, test = datasets.load(config["dataset"], task["data_dir"], config["train_size"])
    net = network.Network(config["sizes"], config["init"], seed=config["seed"])
    per_epoch = []

    def look(epoch, net, history):
        per_epoch.append(answers(net, *test))
        report.progress(f"{task['label']} epoch {epoch + 1}/{config['epochs']}: test "
                        f"{100 * history.test_accuracy[-1]:.2f}%")

    history = net.SGD(training, config["epochs"], config["mini_batch_size"], config["eta"],
                      test_data=test, verbose=False, callback=look)
    return {"format": _FORMAT, "version": _VERSION, "key": records.config_key(config),
            "config": config, "versions": records.versions(),
            "test_accuracy": history.test_accuracy, "seconds": history.seconds,
            "epochs": per_epoch}


def saved(args: argparse.Namespace) -> tuple[list[dict], dict[int, dict]]:
    """The sweep's configurations and the records already saved for them, by seed."""
    configs = [run_config(args, seed) for seed in args.seeds]
    code = records.code_version()
    done = {}
    for config in configs:
        record = records.read_record(record_path(args.out, config), config, _FORMAT, _VERSION,
                                     code)
        if record is not None:
            done[config["seed"]] = record
    return configs, done


def sweep(args: argparse.Namespace) -> list[dict]:
    configs, done = saved(args)
    todo = [{"config": c, "data_dir": args.data_dir, "label": f"[seed {c['seed']}]"}
            for c in configs if c["seed"] not in done]
    backend = runner.backend(args)
    report.progress(f"{report.plural(len(configs), 'run')}: {len(done)} reused from "
                    f"{args.out / 'runs'}, {len(todo)} to train with "
                    f"{backend.describe(len(todo))}")
    if todo:
        datasets.load(args.dataset, args.data_dir, args.train_size)  # fail now, once
    for record in runner.run_all(train, todo, backend):
        records.write_json(record_path(args.out, record["config"]), record)
        done[record["config"]["seed"]] = record
        report.progress(f"done seed {record['config']['seed']}: final test "
                        f"{100 * record['test_accuracy'][-1]:.2f}%")
    return [done[seed] for seed in args.seeds]


def what_went_wrong(record: dict) -> dict:
    """A run's end, read from its last epoch: the lost digits (recall below
    :data:`STUCK_RECALL`), the most frequent answer and its share, the output
    neurons that are never the answer, and the silent ones (activation never
    reaching :data:`SILENT` on any test image)."""
    last = record["epochs"][-1]
    counts = np.array(last["counts"])
    return {"seed": record["config"]["seed"], "final": record["test_accuracy"][-1],
            "best": max(record["test_accuracy"]),
            "lost": [d for d, r in enumerate(last["recall"]) if r < STUCK_RECALL],
            "recall": last["recall"], "top": (int(counts.argmax()), counts.max() / counts.sum()),
            "never": [d for d, c in enumerate(counts) if c == 0],
            "silent": [d for d, a in enumerate(last["max_activation"]) if a < SILENT],
            "max_activation": last["max_activation"],
            "lost_at": {e + 1: [d for d, r in enumerate(epoch["recall"]) if r < STUCK_RECALL]
                        for e, epoch in enumerate(record["epochs"])
                        if min(epoch["recall"]) < STUCK_RECALL}}


def since(record: dict, digits: list[int]) -> str:
    """From which epoch on the ``digits`` stayed lost (recall below
    :data:`STUCK_RECALL` at that epoch and every later one)."""
    if not digits:
        return ""
    lost = [all(e["recall"][d] < STUCK_RECALL for d in digits) for e in record["epochs"]]
    first = len(lost)
    while first > 0 and lost[first - 1]:
        first -= 1
    return str(first + 1)


def lost_at(w: dict) -> str:
    """``2, 6 in epoch 1; 2 in epochs 2-12`` from :func:`what_went_wrong`'s
    ``lost_at``: runs of epochs that lost the same digits, together."""
    spans: list[list] = []  # [first epoch, last epoch, digits]
    for epoch, digits in ((int(e), d) for e, d in w["lost_at"].items()):
        if spans and spans[-1][2] == digits and spans[-1][1] == epoch - 1:
            spans[-1][1] = epoch
        else:
            spans.append([epoch, epoch, digits])
    return "; ".join(f"{', '.join(map(str, d))} in epoch{'s' if a < b else ''} "
                     f"{a}{f'-{b}' if a < b else ''}" for a, b, d in spans)


def while_lost(record: dict, w: dict) -> str:
    """Per lost digit, over the epochs it was lost: the most test images its
    output neuron answered, and its largest activation on any test image
    (a silent neuron: a few answers at most, activation far below 1)."""
    parts = []
    for d in sorted({d for digits in w["lost_at"].values() for d in digits}):
        epochs = [record["epochs"][int(e) - 1] for e, ds in w["lost_at"].items() if d in ds]
        parts.append(f"{d}: {max(e['counts'][d] for e in epochs)}, "
                     f"{max(e['max_activation'][d] for e in epochs):.2f}")
    return "; ".join(parts)


def lost_epochs(w: dict) -> int:
    return len(w["lost_at"])


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion ``k / n`` (Wilson 1927):
    unlike k/n ± 1.96 sd it stays inside [0, 1] and is not empty at k = 0."""
    p, z2 = k / n, z * z
    centre, half = (p + z2 / (2 * n)) / (1 + z2 / n), \
        z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def summary(args: argparse.Namespace, runs: list[dict]) -> str:
    finals = np.array([r["test_accuracy"][-1] for r in runs])
    firsts = [r["test_accuracy"][0] for r in runs]
    n, bad = len(runs), int(np.sum(finals < BAD))
    lost = sum(1 for r in runs if what_went_wrong(r)["lost"])
    ever = [max(what_went_wrong(r)["lost_at"]) for r in runs if what_went_wrong(r)["lost_at"]]
    low, high = wilson(bad, n)
    mean, sd = report.mean_sd(finals)
    four = 1 - (1 - bad / n) ** 4
    return (f"**{bad} of {report.plural(n, 'run')} ({100 * bad / n:.0f} %; 95 % interval "
            f"{100 * low:.0f} to {100 * high:.0f} %) ended below {100 * BAD:.0f} %**; "
            f"{lost} ended with a lost digit (recall below {100 * STUCK_RECALL:.0f} %). "
            f"Final test accuracy {report.pct(mean, sd)} % (mean ± sd), median "
            f"{report.pct(float(np.median(finals)))} %, from {report.pct(finals.min())} to "
            f"{report.pct(finals.max())} %. At this rate, at least one of four unseeded runs "
            f"is bad with probability {100 * four:.0f} %. After the first epoch the runs "
            f"reached {report.pct(min(firsts))} to {report.pct(max(firsts))} %, and "
            f"{sum(1 for r in runs if min(r['test_accuracy']) < BAD)} of them were below "
            f"{100 * BAD:.0f} % after some epoch; {len(ever)} lost a digit after some epoch"
            + (f", the last of them after epoch {max(ever)}" if ever else "") + ".\n")


def table(args: argparse.Namespace, runs: list[dict], command: str) -> str:
    """The summary, then one row per run that ended badly or lost a digit."""
    shown = [r for r in runs if r["test_accuracy"][-1] < BAD or what_went_wrong(r)["lost_at"]]
    rows = []
    for r in sorted(shown, key=lambda r: (-lost_epochs(what_went_wrong(r)),
                                          r["test_accuracy"][-1])):
        w = what_went_wrong(r)
        low = int(np.argmin(r["test_accuracy"]))
        during = [r["test_accuracy"][int(e) - 1] for e in w["lost_at"]]
        rows.append([w["seed"], report.pct(w["final"]), report.pct(w["best"]),
                     f"{report.pct(r['test_accuracy'][low])} (epoch {low + 1})",
                     f"{report.pct(min(during))} to {report.pct(max(during))}" if during else "",
                     while_lost(r, w),
                     ", ".join(map(str, w["lost"])) or "none", since(r, w["lost"]),
                     f"{w['top'][0]} ({100 * w['top'][1]:.0f} %)",
                     ", ".join(map(str, w["never"])) or "none",
                     ", ".join(f"{d} ({w['max_activation'][d]:.1e})" for d in w["silent"])
                     or "none",
                     " ".join(f"{100 * v:.0f}" for v in w["recall"]), lost_at(w)])
    text = summary(args, runs) + "\n"
    if rows:
        text += report.markdown_table(
            ["seed", "final test %", "best %", "lowest % (epoch)", "test % while a digit was lost",
             "the lost digit's output neuron meanwhile: most answers, largest activation",
             "lost digits at the end",
             "lost since epoch",
             "most frequent answer (share)", "digits never answered",
             f"silent output neurons (largest activation < {SILENT:g})",
             "recall % of digits 0 to 9", "lost digits, by epoch"], rows)
    else:
        text += "No run ended badly or lost a digit after any epoch.\n"
    return (text + f"\nThe book's chapter-1 session, once per seed {args.seeds[0]} to "
            f"{args.seeds[-1]}: {args.dataset}, {args.sizes}, N(0, 1) weights and biases, "
            f"quadratic cost, {report.plural(args.epochs, 'epoch')} on "
            f"{args.train_size or 50_000:,} training images, mini-batch {args.batch}, eta "
            f"{args.eta}; accuracy and recall on the 10,000 test images after the last "
            f"epoch. A run is listed when it ended below {100 * BAD:.0f} % or lost a digit "
            f"after any epoch. {report.made_by(command, runs)}\n")


def plot(args: argparse.Namespace, runs: list[dict]):
    """Left: every run's test accuracy per epoch, the bad ones in colour.
    Right: the final accuracies, sorted."""
    fig, (left, right) = report.subplots(1, 2, 11, 4.4)
    finals = np.array([r["test_accuracy"][-1] for r in runs])
    for r in runs:
        acc = 100 * np.array(r["test_accuracy"])
        epochs = np.arange(1, len(acc) + 1)
        w = what_went_wrong(r)
        if acc[-1] < 100 * BAD or lost_epochs(w) >= LONG:
            left.plot(epochs, acc, lw=1.6,
                      label=f"seed {w['seed']}: lost {lost_at(w) or 'none'}")
        else:
            left.plot(epochs, acc, color="0.7", lw=0.7)
    left.set_xlabel("epoch")
    left.set_ylabel("test accuracy (%)")
    left.set_title(f"{report.plural(len(runs), 'run')}; in colour: ended below "
                   f"{100 * BAD:.0f} % or lost a digit for {LONG}+ epochs", fontsize=10)
    order = np.sort(finals)
    right.plot(np.arange(1, len(order) + 1), 100 * order, "o", ms=4)
    right.axhline(100 * BAD, color="C3", lw=1, ls="--", label=f"{100 * BAD:.0f} %")
    right.set_xlabel("run, sorted by final accuracy")
    right.set_ylabel("final test accuracy (%)")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    report.legend_outside(fig, "right center")
    fig.suptitle(f"The book's chapter-1 session, once per seed: {args.sizes}, eta {args.eta}, "
                 f"{report.plural(args.epochs, 'epoch')}")
    return fig


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    # Ctrl-C at any moment: one line with (runs saved, runs in all), and exit 130.
    with runner.resumable(lambda: tuple(len(part) for part in saved(args)[::-1]),
                          args.out / "runs"):
        start, runs = time.perf_counter(), sweep(args)
        command = cli.command_line(f"experiments.{NAME}", argv)
        summary_record = {"command": command, "versions": records.versions(),
                          "runs": [what_went_wrong(r) for r in runs]}
        report.publish(args, NAME, plot(args, runs), table(args, runs, command),
                       summary_record)
        report.progress(f"total {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    cli.main_guard(main)
