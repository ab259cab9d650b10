"""Does Glorot & Bengio's deep network train near the matrix-multiply rate?

The network of X. Glorot and Y. Bengio, "Understanding the difficulty of
training deep feedforward neural networks" (AISTATS 2010),
``[784, 1000, 1000, 1000, 1000, 1000, 10]`` (five hidden layers of 1,000
tanh units, softmax output, log-likelihood cost), one epoch of synthetic
MNIST-shaped examples at mini-batch 10 and 100, in float32 and in float64,
beside one large product ``A @ B`` (two 3000 x 3000 matrices) of the same
dtype, all interleaved, with the same BLAS threads.  As in
:mod:`benchmarks.scale`, the training rate counts the multiply-adds of the
matrix products only: 27.2 MFLOP per example here (a
count of "about 29" would also carry the error back into the input layer,
which backpropagation does not need).
Target: at least 0.6 of the large product's rate at mini-batch 100, in each
dtype.  Mini-batch 10, the paper's, is published without a target: its
products are thin (10 rows against a 1000 x 1000 matrix), which no BLAS runs
at its large-product rate.  Last, each operation of one hidden layer's
training step is timed alone, to show what share of a step the three matrix
products take.

    python -m benchmarks.depth [--quick] [--rounds 3] [--blas-threads N]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import numpy as np

import network
from benchmarks import common
from benchmarks.scale import training_flops

SIZES = [784, 1000, 1000, 1000, 1000, 1000, 10]
# Examples per timed epoch, per mini-batch size: runs of about a second, like
# the large product's, so that best-of-rounds finds a quiet moment for each
# alike on a shared machine.
EXAMPLES = {10: 500, 100: 1000}
BATCHES = tuple(EXAMPLES)
QUICK_EXAMPLES = {10: 50, 100: 100}
# 3000 x 3000: the product takes about as long as a timed epoch, so that both
# are as exposed to the bursts of a shared machine.
GEMM_N, SHARE = 3000, 0.6
ACTIVATION, COST, INIT, ETA = "tanh", "log_likelihood", "xavier_uniform", 0.01
DTYPES = (np.float32, np.float64)


def race_dtype(dtype, examples: dict[int, int], gemm_n: int,
               rounds: int) -> dict[str, common.Timing]:
    """One epoch per mini-batch size and one ``A @ B``, in ``dtype``, interleaved."""
    X, y = common.synthetic(max(examples.values()), dtype)
    rng = np.random.default_rng(0)
    A, B = (rng.random((gemm_n, gemm_n)).astype(dtype) for _ in range(2))
    nets: dict[str, network.Network] = {}

    def setup():  # a fresh network for every run: each epoch starts from the same weights
        nets["net"] = network.Network(SIZES, INIT, seed=0, activation=ACTIVATION, cost=COST,
                                      dtype=dtype)

    name = np.dtype(dtype).name
    contenders = {f"epoch of {n:,}, mini-batch {m}, {name}": (lambda m=m, n=n: nets["net"].SGD(
        (X[:n], y[:n]), 1, m, ETA, verbose=False)) for m, n in examples.items()}
    contenders[f"A @ B, {gemm_n} x {gemm_n}, {name}"] = lambda: A @ B
    return common.race(contenders, rounds, setup)


def layer_step(dtype, m: int, width: int = 1000) -> dict[str, Callable[[], object]]:
    """The operations of one hidden layer's training step, as ``nndl.fused``'s
    ``forward`` and ``backprop`` run them (tanh, in place where they are in
    place), on a ``width`` x ``width`` layer and ``m`` examples."""
    rng = np.random.default_rng(0)
    W = (rng.standard_normal((width, width)) / np.sqrt(width)).astype(dtype)
    b = np.zeros((1, width), dtype=dtype)
    a, delta = (rng.standard_normal((m, width)).astype(dtype) for _ in range(2))
    z, gradient = a.copy(), np.empty_like(W)
    step = np.full_like(W, 1e-9)  # tiny, so that W stays as it is, round after round
    return {
        "product: forward a @ W.T": lambda: a @ W.T,
        "product: weight gradient delta.T @ a": lambda: np.matmul(delta.T, a, out=gradient),
        "product: error back delta @ W": lambda: delta @ W,
        "bias and tanh, in place": lambda: np.tanh(np.add(z, b, out=z), out=z),
        "derivative 1 - a * a, times the error": lambda: np.subtract(1, a * a) * delta,
        "update W -= gradient, in place": lambda: np.subtract(W, step, out=W),
        "bias gradient and update": lambda: np.subtract(b, np.add.reduce(delta, axis=0), out=b),
    }


def profile(rounds: int) -> list[tuple]:
    """Each operation of a layer's step, timed alone (best of ``rounds``), per
    dtype and mini-batch size: what share of the step the products take."""
    rows = []
    for dtype in DTYPES:
        for m in BATCHES:
            ops = layer_step(dtype, m)
            best = {name: t.best for name, t in common.race(ops, rounds).items()}
            step = sum(best.values())
            for name, seconds in best.items():
                rows.append((np.dtype(dtype).name, m, name, common.ms(seconds),
                             f"{100 * seconds / step:.0f} %"))
            products = sum(s for name, s in best.items() if name.startswith("product"))
            rows.append((np.dtype(dtype).name, m, "the three products, together",
                         common.ms(products), f"{100 * products / step:.0f} %"))
    return rows


def run(argv: Sequence[str] | None = None) -> bool:
    p = common.parser("depth", __doc__.split("\n")[0], data=False)
    args = common.parse(p, argv)
    rounds = args.rounds or (1 if args.quick else 5)
    examples = QUICK_EXAMPLES if args.quick else EXAMPLES
    gemm_n = 500 if args.quick else GEMM_N
    timings, rows, ok = {}, [], True
    for dtype in DTYPES:
        t = race_dtype(dtype, examples, gemm_n, rounds)
        timings.update(t)
        *epochs, gemm = (timing.best for timing in t.values())
        gemm_rate = 2 * gemm_n**3 / gemm / 1e9
        name = np.dtype(dtype).name
        rows.append((f"A @ B ({gemm_n} x {gemm_n}), {name}", f"{gemm_rate:.1f} GFLOP/s", "",
                     ""))
        for (m, n), seconds in zip(examples.items(), epochs):
            rate = training_flops(SIZES, n) / seconds / 1e9
            share = rate / gemm_rate
            target = m == max(examples)
            met = share >= SHARE if target else None
            ok = ok and met is not False
            rows.append((f"training, mini-batch {m}, {name}: rate", f"{rate:.1f} GFLOP/s",
                         "", ""))
            rows.append((f"training, mini-batch {m}, {name}: / A @ B", f"{share:.2f}",
                         f">= {SHARE:g}" if target else "(published)",
                         common.verdict(met) if target else ""))
    per_example = training_flops(SIZES, 1) / 1e6
    print(common.header(f"depth: {SIZES}, {ACTIVATION}, {COST} cost, "
                        f"{per_example:.1f} MFLOP of products per example",
                        common.command("depth", argv)))
    print(common.table(common.timing_rows(timings), common.TIMING_HEADER))
    print()
    print(common.table(rows, ("deep network", "measured", "target", "")))
    print()
    print(f"Where a {SIZES[1]}-unit hidden layer's step goes (each operation timed alone, "
          f"best of {rounds}):")
    print(common.table(profile(rounds), ("dtype", "mini-batch", "operation", "time",
                                         "share of the step")))
    return ok


if __name__ == "__main__":
    sys.exit(0 if run() else 3)
