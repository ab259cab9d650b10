"""One BLAS thread or the library's default?

numpy's OpenBLAS starts one thread per core and splits a matrix product
between them once it is big enough.  On an idle machine that helps (a little
for these networks, up to 2x for a large product); on a shared machine whose
other core is busy, the hand-over can cost far more than it saves (we saw
mid-sized products of ``[784, 100, 10]`` at mini-batch 10 go 10-170x
slower).  This times the same trainings (one epoch, synthetic MNIST-shaped
data) and one large product with 1 thread and with the default, interleaved,
switching through ctypes.  No target: it explains the ``--blas-threads 1``
default of the other scripts, chosen so that their figures hold still.

    python -m benchmarks.threads [--quick] [--rounds 3]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

import network
from benchmarks import common

CASES = (([784, 30, 10], 10), ([784, 100, 10], 10), ([784, 100, 10], 100))


def run(argv: Sequence[str] | None = None) -> bool:
    p = common.parser(__doc__.split("\n")[0])
    args = common.parse(p, argv)
    default = common.DEFAULT_BLAS_THREADS
    if default is None:
        print("threads: numpy's BLAS is not OpenBLAS; nothing to compare")
        return True
    rounds = args.rounds or (1 if args.quick else 3)
    n = 100 if args.quick else 2000
    X, y = common.synthetic(n)
    A = np.random.default_rng(0).random((1000, 1000))

    def with_threads(k, fn):
        def call():
            common.set_blas_threads(k)
            fn()
        return call

    contenders = {}
    for sizes, m in CASES:
        for k in (1, default):
            contenders[f"{sizes} batch {m}, {k} thread(s)"] = with_threads(
                k, lambda sizes=sizes, m=m: network.Network(sizes, seed=0).SGD(
                    (X, y), 1, m, 3.0, verbose=False))
    for k in (1, default):
        contenders[f"(1000, 1000) @ (1000, 1000), {k} thread(s)"] = with_threads(k, lambda: A @ A)
    t = common.race(contenders, rounds)
    common.set_blas_threads(args.blas_threads or default)

    names = list(t)
    rows = [(names[i].rsplit(",", 1)[0], common.ms(t[names[i]].best),
             common.ms(t[names[i + 1]].best), f"{t[names[i + 1]].best / t[names[i]].best:.2f}x")
            for i in range(0, len(names), 2)]
    print(common.header(f"BLAS threads: 1 against the default ({default}), {n:,} examples",
                        common.command("threads", argv)))
    print(common.table(rows, ("one epoch of", "1 thread", f"{default} threads",
                              "default / 1 thread")))
    return True


if __name__ == "__main__":
    sys.exit(0 if run() else 3)
