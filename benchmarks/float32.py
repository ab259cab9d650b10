"""Is ``dtype=np.float32`` faster than float64, and as accurate?

On ``[784, 100, 10]``, mini-batch 100, eta 3.0, quadratic cost, real MNIST
loaded by ``mnist_loader.load_data(dtype=...)`` in each dtype:

* speed: one training epoch in each dtype, interleaved; float32 at least
  1.5x faster;
* accuracy: both trained ``--epochs`` epochs from the same seed, the float32
  network starting from the float64 network's weights rounded to float32 and
  shuffling in the same order (its generator is a copy), so that the only
  difference is the precision; final test accuracy within 0.3 points.

Without the real files it falls back to synthetic data and skips the accuracy.

    python -m benchmarks.float32 [--quick] [--epochs 10] [--rounds 5] [--data-dir DIR]
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np

import network
from benchmarks import common
from experiments import cli

SIZES = [784, 100, 10]
BATCH, ETA, SEED = 100, 3.0, 0
SPEEDUP, ACCURACY_POINTS = 1.5, 0.3


def twin_networks() -> dict[str, network.Network]:
    """float64 and float32 networks from one seed, the float32 one a rounded
    copy of the float64 one (weights, biases and shuffling generator)."""
    net64 = network.Network(SIZES, seed=SEED)
    net32 = network.Network(SIZES, seed=SEED, dtype=np.float32)
    net32.weights = [w.astype(np.float32) for w in net64.weights]
    net32.biases = [b.astype(np.float32) for b in net64.biases]
    net32.rng = copy.deepcopy(net64.rng)
    return {"float64": net64, "float32": net32}


def run(argv: Sequence[str] | None = None) -> int:
    p = common.parser("float32", __doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=None,
                   help="epochs for the accuracy comparison (default 10; 1 with --quick)")
    args = common.parse(p, argv)
    rounds = args.rounds or (1 if args.quick else 5)
    epochs = args.epochs or (1 if args.quick else 10)
    data = _data(args.data_dir, args.quick)
    skipped = data["float64"][1] is None
    source = "synthetic (real MNIST not found)" if skipped else "real MNIST"
    n = len(data["float64"][0][0])

    t = _race_epochs(data, rounds)
    speedup = t["epoch, float64"].best / t["epoch, float32"].best
    rows = [("speed: float64 epoch / float32 epoch", f"{speedup:.2f}x", f">= {SPEEDUP:g}",
             common.verdict(speedup >= SPEEDUP))]
    ok = speedup >= SPEEDUP
    if skipped:
        rows.append(("accuracy", "-", f"<= {ACCURACY_POINTS:g}", common.verdict(None)))
    else:
        row, close = _accuracy_row(data, epochs)
        rows.append(row)
        ok = ok and close

    common.print_results(f"float32 vs float64, {SIZES}, mini-batch {BATCH}, {n:,} {source}",
                         common.command("float32", argv), t, rows, "float32 against float64")
    if skipped:
        print(f"{common.NO_MNIST}: the accuracy comparison is skipped")
    return common.status(ok, skipped)


def _data(data_dir: str | None, quick: bool) -> dict[str, tuple]:
    """For each dtype, (training (X, y), test (X, y) or None): real MNIST if
    found, else 50,000 synthetic images and no test set; 1,000 with --quick."""
    data = {}
    for name, dtype in (("float64", np.float64), ("float32", np.float32)):
        real = common.real_mnist(data_dir, dtype)
        if real is None:
            data[name] = (common.synthetic(50_000, dtype), None)
        else:
            data[name] = (real[0], real[2])
    if quick:  # a few seconds: 1,000 training images
        data = {k: ((tr[0][:1000], tr[1][:1000]), te) for k, (tr, te) in data.items()}
    return data


def _race_epochs(data: dict[str, tuple], rounds: int) -> dict[str, common.Timing]:
    """One training epoch in each dtype, interleaved, from twin networks."""
    nets: dict[str, network.Network] = {}

    def setup() -> None:
        nets.update(twin_networks())

    contenders = {
        f"epoch, {name}": (lambda name=name: nets[name].SGD(data[name][0], 1, BATCH, ETA,
                                                              verbose=False))
        for name in data
    }
    return common.race(contenders, rounds, setup)


def _accuracy_row(data: dict[str, tuple], epochs: int) -> tuple[tuple, bool]:
    """Train both twins ``epochs`` epochs; the table row of their final test
    accuracies, and whether they are within ``ACCURACY_POINTS``."""
    accuracy = {}
    for name, net in twin_networks().items():
        train, test = data[name]
        history = net.SGD(train, epochs, BATCH, ETA, test_data=test, verbose=False)
        accuracy[name] = 100 * history.test_accuracy[-1]
    gap = abs(accuracy["float64"] - accuracy["float32"])
    close = gap <= ACCURACY_POINTS
    return (f"accuracy after {epochs} epoch(s): float64 {accuracy['float64']:.2f} %, "
            f"float32 {accuracy['float32']:.2f} %", f"{gap:.2f} points",
            f"<= {ACCURACY_POINTS:g}", common.verdict(close)), close


if __name__ == "__main__":
    cli.main_guard(run)
