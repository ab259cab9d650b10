"""Does a big network train near the machine's matrix-multiply throughput?

``[784, 1000, 1000, 1000, 10]``, mini-batch 100, float64,
one epoch on synthetic MNIST-shaped examples, beside one large product
``A @ B`` (two 2000 x 2000 matrices), interleaved, with the same BLAS
threads.  The network's rate counts the multiply-adds of its matrix products
only (2 flops each): per mini-batch of m, ``2 m n_in n_out`` per layer for the
forward pass, as much again for the weight gradients, and again for carrying
the error back through every layer but the first.  Target: at least half the
rate of the large product.

    python -m benchmarks.scale [--quick] [--rounds 3] [--blas-threads N]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

import network
from benchmarks import common

SIZES = [784, 1000, 1000, 1000, 10]
BATCH, GEMM_N, SHARE = 100, 2000, 0.5


def training_flops(sizes: list[int], n: int) -> float:
    layers = list(zip(sizes[:-1], sizes[1:]))
    per_example = sum(2 * a * b for a, b in layers) * 2 + sum(2 * a * b for a, b in layers[1:])
    return float(per_example * n)


def run(argv: Sequence[str] | None = None) -> bool:
    p = common.parser("scale", __doc__.split("\n")[0], data=False)
    args = common.parse(p, argv)
    rounds = args.rounds or (1 if args.quick else 3)
    n = 300 if args.quick else 3000
    gemm_n = 500 if args.quick else GEMM_N
    X, y = common.synthetic(n)
    rng = np.random.default_rng(0)
    A, B = rng.random((gemm_n, gemm_n)), rng.random((gemm_n, gemm_n))
    nets: dict[str, network.Network] = {}

    def setup():
        nets["net"] = network.Network(SIZES, init="xavier_normal", seed=0)

    t = common.race({
        f"one epoch of {SIZES}, {n:,} examples": lambda: nets["net"].SGD(
            (X, y), 1, BATCH, 0.1, verbose=False),
        f"A @ B, {gemm_n} x {gemm_n}": lambda: A @ B,
    }, rounds, setup)
    train, gemm = (timing.best for timing in t.values())
    train_rate = training_flops(SIZES, n) / train / 1e9
    gemm_rate = 2 * gemm_n**3 / gemm / 1e9
    share = train_rate / gemm_rate

    common.print_results(f"scale: {SIZES}, mini-batch {BATCH}, float64",
                         common.command("scale", argv), t, [
        ("training, matrix products only", f"{train_rate:.1f} GFLOP/s", "", ""),
        (f"A @ B ({gemm_n} x {gemm_n})", f"{gemm_rate:.1f} GFLOP/s", "", ""),
        ("training / A @ B", f"{share:.2f}", f">= {SHARE:g}", common.verdict(share >= SHARE)),
    ], "big network")
    return share >= SHARE


if __name__ == "__main__":
    sys.exit(0 if run() else 3)
