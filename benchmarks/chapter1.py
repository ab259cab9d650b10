"""How long do the book's chapter-1 run and the default main job take, end to end?

Wall time from start to finish:

* **chapter 1, as printed**: ``load_data_wrapper()``, ``Network([784, 30,
  10])``, ``SGD(training_data, 30, 10, 3.0, test_data=test_data)`` on real
  MNIST (30 epochs of 50,000 images, the 10,000 test images evaluated after
  each), split into loading, training and the rest (evaluation, conversion);
* **chapter 1, arrays**: the same with ``load_data()`` and ``SGD((X, y), ...)``;
* **the default main job**: ``python -m experiments.compare_initializers``
  (6 initializers x 3 seeds x 30 epochs, its default ``--jobs``), in a child
  process, its output sent to a temporary folder so nothing is reused.

    python -m benchmarks.chapter1 [--quick] [--no-main-job] [--data-dir DIR]

``--quick`` trains 1 epoch on 5,000 images and skips the main job.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import mnist_loader
import network
from benchmarks import common
from experiments import cli


def chapter1(folder: Path, wrapper: bool, epochs: int, n: int | None) -> dict:
    start = time.perf_counter()
    load = mnist_loader.load_data_wrapper if wrapper else mnist_loader.load_data
    training_data, _, test_data = load(data_dir=folder, download=False, verbose=False)
    if n is not None:
        training_data = training_data[:n] if wrapper else tuple(a[:n] for a in training_data)
    loaded = time.perf_counter()
    net = network.Network([784, 30, 10], seed=0)
    history = net.SGD(training_data, epochs, 10, 3.0, test_data=test_data, verbose=False)
    total = time.perf_counter() - start
    return {"load": loaded - start, "train": sum(history.seconds),
            "rest": total - (loaded - start) - sum(history.seconds), "total": total,
            "accuracy": 100 * history.test_accuracy[-1]}


def main_job(folder: Path) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "experiments.compare_initializers",
                               "--data-dir", str(folder), "--out", out],
                              cwd=common.ROOT, capture_output=True, text=True)
        return time.perf_counter() - start, done.returncode


def run(argv: Sequence[str] | None = None) -> int:
    p = common.parser("chapter1", __doc__.split("\n")[0])
    p.add_argument("--no-main-job", action="store_true",
                   help="skip experiments.compare_initializers (minutes)")
    args = common.parse(p, argv)
    print(common.header("end to end: the book's chapter-1 run and the default main job",
                        common.command("chapter1", argv)))
    folder = common.mnist_dir(args.data_dir)
    if folder is None:
        print(f"{common.NO_MNIST}: skipped")
        return common.SKIPPED
    epochs, n = (1, 5000) if args.quick else (30, None)
    rows = []
    for label, wrapper in (("chapter 1, as printed (list of tuples)", True),
                           ("chapter 1, arrays", False)):
        r = chapter1(folder, wrapper, epochs, n)
        rows.append((f"{label}, {epochs} epoch(s)", f"{r['total']:.1f} s", f"{r['load']:.1f} s",
                     f"{r['train']:.1f} s", f"{r['rest']:.1f} s", f"{r['accuracy']:.2f} %"))
    ok = True
    if not (args.quick or args.no_main_job):
        seconds, code = main_job(folder)
        ok = code == 0
        rows.append(("python -m experiments.compare_initializers"
                     + ("" if ok else f" (FAILED, exit {code})"),
                     f"{seconds:.0f} s", "-", "-", "-", "-"))
    print(common.table(rows, ("run", "total", "loading", "training",
                              "evaluation + rest", "final test accuracy")))
    return common.status(ok)


if __name__ == "__main__":
    cli.main_guard(run)
