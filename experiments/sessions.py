"""experiments.sessions
~~~~~~~~~~~~~~~~~~~~~

The book's two sessions, as a reader types them, with a seed so that the
transcript repeats on the same machine kind: chapter 1's ``network.py`` (30
epochs of mini-batch 10 at eta 3.0, the quadratic cost) and chapter 3's
``network2.py`` (cross-entropy, the old large-weight initialization, eta 0.5,
accuracy on the test data every epoch).  The book's own sessions are
unseeded, so a reader's lines differ a little from these.

Writes what each session prints (``sessions.md``), with the final accuracy of
every seed asked for, and the machine that made them: the README's
transcripts are quoted from it.

    python -m experiments.sessions --docs docs/results/sessions
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Sequence
from pathlib import Path

import mnist_loader
import network
import network2
from experiments import cli, records, report

NAME = "sessions"


def chapter1(data, seed: int, epochs: int) -> tuple[str, float]:
    """Chapter 1's session: what it prints (the returned ``History`` last, as
    the REPL shows it), and its final test accuracy."""
    training_data, _, test_data = data
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        net = network.Network([784, 30, 10], seed=seed)
        history = net.SGD(training_data, epochs, 10, 3.0, test_data=test_data)
    return out.getvalue() + repr(history) + "\n", history.test_accuracy[-1]


def chapter3(data, seed: int, epochs: int) -> tuple[str, float]:
    """Chapter 3's session: what it prints (the returned lists last, as the
    REPL shows them), and its final test accuracy."""
    training_data, _, test_data = data
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        net = network2.Network([784, 30, 10], cost=network2.CrossEntropyCost, seed=seed)
        net.large_weight_initializer()
        lists = net.SGD(training_data, epochs, 10, 0.5, evaluation_data=test_data,
                        monitor_evaluation_accuracy=True)
    return out.getvalue() + repr(lists) + "\n", lists[1][-1] / len(test_data)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=f"python -m experiments.{NAME}",
        description="Run the book's chapter-1 and chapter-3 sessions with seeds; write what "
                    "they print and their final accuracies.")
    p.add_argument("--seeds", type=cli.positive_int, default=3,
                   help="seeds 0 to N-1 for the final accuracies; the transcripts are seed 0's. "
                        "Default: %(default)s.")
    p.add_argument("--epochs", type=cli.positive_int, default=30,
                   help="epochs of each session. Default: %(default)s (the book's).")
    p.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                   help="the folder of the MNIST files. Default: where the loader looks "
                        "($MNIST_DATA_DIR, else the cache data/mnist/).")
    cli.add_output_args(p, NAME, docs=(".md",))
    return p.parse_args(argv)


def page(transcripts: dict[str, str], finals: dict[str, list[float]], command: str) -> str:
    """The markdown: each session's seed-0 transcript, then every seed's final."""
    parts = []
    for title, text in transcripts.items():
        accuracies = ", ".join(f"{report.pct(a)} %" for a in finals[title])
        parts.append(f"## {title}, seed 0\n\n```text\n{text}```\n\n"
                     f"Final test accuracy, seeds 0 to {len(finals[title]) - 1}: {accuracies}.\n")
    return "\n".join(parts) + f"\n{report.made_by(command)}\n"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    data = mnist_loader.load_data_wrapper(data_dir=args.data_dir)
    runs = {"Chapter 1, `network.py`": chapter1, "Chapter 3, `network2.py`": chapter3}
    transcripts, finals = {}, {}
    for title, session in runs.items():
        results = [session(data, seed, args.epochs) for seed in range(args.seeds)]
        transcripts[title] = results[0][0]
        finals[title] = [accuracy for _, accuracy in results]
        report.progress(f"{title}: {', '.join(report.pct(a) for a in finals[title])} %")
    command = cli.command_line(f"experiments.{NAME}", argv)
    text = page(transcripts, finals, command)
    records.write_json(args.out / f"{NAME}.json", {"command": command,
                                                   "versions": records.versions(),
                                                   "final_test_accuracy": finals})
    for prefix in (args.out / NAME, args.docs):
        if prefix is not None:
            records.write_text(Path(f"{prefix}.md"), text)
    print(text, flush=True)
    return 0


if __name__ == "__main__":
    cli.main_guard(main)
