"""How much memory does training on the full 50,000 images take?

The claim: at the peak, at most about three copies of the training arrays
(50,000 x 784 float64 images and their labels, 299 MiB).  Each case
runs in a fresh Python process, which reports its peak resident set size
(VmHWM) before the data and after one epoch of ``[784, 30, 10]``,
mini-batch 10; the difference, divided by the size of the training arrays,
is the number of copies:

* **arrays, synthetic**: the training arrays alone, made in place: what the
  network adds to the caller's data;
* **arrays, real**: ``mnist_loader.load_data()`` then ``SGD((X, y), ...)``:
  the whole program, the loader's validation and test images included;
* **list of tuples, real**: ``load_data_wrapper()`` then the book's
  ``SGD(training_data, ...)``, converted to arrays inside ``SGD``.

    python -m benchmarks.memory [--quick] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence

import numpy as np

from benchmarks import common
from experiments import cli

COPIES = 3.0
CASES = ("arrays, synthetic", "arrays, real", "list of tuples, real")


def child(case: str, n: int, data_dir: str | None) -> dict:
    """Run in the child process: load or make the data, train one epoch."""
    import mnist_loader
    import network

    before = common.peak_rss_mb()
    if case == "arrays, synthetic":
        X = np.zeros((n, common.N_IN))
        X[:, ::7] = 0.5  # no temporary the size of X
        y = np.arange(n) % common.N_OUT
        training = (X, y)
    else:
        folder = common.mnist_dir(data_dir)
        if folder is None:
            return {"skipped": "real MNIST not found"}
        load = mnist_loader.load_data_wrapper if case.startswith("list") else \
            mnist_loader.load_data
        training = load(data_dir=folder, download=False, verbose=False)[0][:n]
        if case.startswith("arrays"):
            X, y = training
    arrays_mb = (n * common.N_IN * 8 + n * 8) / 2**20
    after_data = common.peak_rss_mb()
    network.Network([784, 30, 10], seed=0).SGD(training, 1, 10, 3.0, verbose=False)
    return {"before_mb": before, "data_mb": after_data, "peak_mb": common.peak_rss_mb(),
            "arrays_mb": arrays_mb}


def measure(case: str, n: int, data_dir: str | None) -> dict:
    data = [] if data_dir is None else ["--data-dir", data_dir]
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", "--child", case, "--n", str(n), *data],
        capture_output=True, text=True, cwd=common.ROOT)
    if out.returncode != 0:  # bad data (2) or an error: the child has said why
        sys.stderr.write(out.stderr)
        raise SystemExit(out.returncode)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(argv: Sequence[str] | None = None) -> int:
    p = common.parser("memory", __doc__.split("\n")[0])
    p.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, default=None, help="training images (default 50000)")
    args = common.parse(p, argv)
    n = args.n or (2000 if args.quick else 50_000)
    if args.child:
        print(json.dumps(child(args.child, n, args.data_dir)))
        return common.PASSED

    common.mnist_dir(args.data_dir)  # a --data-dir without the files: say so now
    rows, ok, skipped = [], True, False
    for case in CASES:
        r = measure(case, n, args.data_dir)
        if "skipped" in r:
            skipped = True
            rows.append((case, "-", "-", "-", "-", f"<= {COPIES:g}", common.verdict(None)))
            continue
        copies = (r["peak_mb"] - r["before_mb"]) / r["arrays_mb"]
        ok = ok and copies <= COPIES
        rows.append((case, f"{r['before_mb']:,.0f} MiB", f"{r['data_mb']:,.0f} MiB",
                     f"{r['peak_mb']:,.0f} MiB", f"{copies:.2f}", f"<= {COPIES:g}",
                     common.verdict(copies <= COPIES)))
    print(common.header(f"peak memory of one epoch on {n:,} training images "
                        f"({(n * 785 * 8) / 2**20:,.0f} MiB of training arrays)",
                        common.command("memory", argv)))
    print(common.table(rows, ("case", "peak before data", "peak with data",
                              "peak after training", "copies", "target", "")))
    if skipped:
        print(f"{common.NO_MNIST}: the real-data cases are skipped")
    return common.status(ok, skipped)


if __name__ == "__main__":
    cli.main_guard(run)
