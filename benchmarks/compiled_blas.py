"""The compiled epoch's loops against numpy's BLAS, one layer's products.

``SGD(compiled=True)`` (:mod:`nndl.compiled`) computes a layer's three
products (forward ``a @ w.T``, back ``d @ w``, the update ``w = decay w - d.T
@ a``) in its own blocked loops, or, from ``compiled.choose_blas_from``'s
size on, by numpy's OpenBLAS.  This script times the three, as the compiled
epoch runs them (its own kernels, with the elementwise work fused in), both
ways at growing sizes, interleaved, in each dtype, and prints the smallest
size from which BLAS won at every larger size measured: the figure for
``compiled.FASTER_KERNELS`` on this BLAS kernel (it names the kernel).  One
BLAS thread unless ``--blas-threads`` says otherwise.

    python -m benchmarks.compiled_blas [--quick] [--rounds 7]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

from benchmarks import common
from benchmarks.threads import threshold  # the smallest size from which ratio < 1 on

# (mini-batch, inputs, outputs): the book's layers, mid-sized ones, the depth study's.
SCAN = [(10, 784, 30), (10, 784, 100), (100, 784, 30), (100, 784, 100), (100, 300, 300),
        (100, 1000, 100), (100, 500, 500), (100, 784, 1000), (100, 1000, 1000)]
QUICK_SCAN = [(10, 784, 30), (100, 1000, 1000)]
DECAY = 0.999  # as with L2, so the update's decay is timed too


def layer(mb: int, n_in: int, n_out: int, dtype) -> dict:
    """One layer's arrays, as the compiled epoch's buffers hold them."""
    rng = np.random.default_rng(0)
    rows = mb + (-mb) % 4
    return {"a": rng.random((rows, n_in)).astype(dtype),
            "w": (rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(dtype),
            "b": np.zeros(n_out, dtype), "z": np.zeros((rows, n_out), dtype),
            "d": (rng.standard_normal((mb, n_out)) * 1e-3).astype(dtype),
            "back": np.empty((mb, n_in), dtype)}


def products(compiled, arrays: dict, mb: int, blas_from: int, repeat: int):
    """A call that runs the layer's three products ``repeat`` times."""
    a, w, b, z, d, back = (arrays[k] for k in ("a", "w", "b", "z", "d", "back"))
    exp_max = compiled.EXP_MAX[w.dtype][()]
    decay, total = w.dtype.type(DECAY), np.empty_like(b)

    def run():
        for _ in range(repeat):
            compiled.forward((a, z), (w,), (b,), mb, 0, 0, exp_max, blas_from)
            compiled.backward(d, w, a, back, mb, 0, blas_from)
            compiled.update(d, a, w, b, mb, decay, blas_from, total)
    return run


def scan_dtype(compiled, dtype, scan, rounds: int) -> tuple[list, int | None]:
    rows, ratios = [], []
    for mb, n_in, n_out in scan:
        work = mb * n_in * n_out
        repeat = max(1, 20_000_000 // work)
        arrays = layer(mb, n_in, n_out, dtype)
        runs = {"loops": products(compiled, arrays, mb, compiled.NEVER, repeat),
                "BLAS": products(compiled, arrays, mb, 0, repeat)}
        for run in runs.values():  # compile, and warm the caches
            run()
        t = common.race(runs, rounds)
        loops, blas_ = t["loops"].best / repeat, t["BLAS"].best / repeat
        ratios.append((work, blas_ / loops))
        rows.append((np.dtype(dtype).name, f"{mb} x {n_in} -> {n_out}", f"{work:.1e}",
                     f"{loops * 1e6:,.0f} us", f"{blas_ * 1e6:,.0f} us", f"{blas_ / loops:.2f}"))
    return rows, threshold(ratios)


def run(argv: Sequence[str] | None = None) -> int:
    p = common.parser("compiled_blas", __doc__.split("\n")[0], data=False)
    args = common.parse(p, argv)
    try:
        from nndl import compiled
    except ImportError:
        print("compiled_blas: Numba is not installed (pip install 'nndl-init[fast]'); skipped")
        return common.SKIPPED
    if compiled.BLAS is None:
        print("compiled_blas: numpy's BLAS is not OpenBLAS; the compiled epoch uses its loops")
        return common.SKIPPED
    rounds = args.rounds or (1 if args.quick else 7)
    scan = QUICK_SCAN if args.quick else SCAN
    print(common.header(f"compiled epoch: one layer's three products, loops against BLAS, "
                        f"best of {rounds} rounds", common.command("compiled_blas", argv)))
    rows, found = [], {}
    for dtype in (np.float32, np.float64):
        dtype_rows, found[np.dtype(dtype).name] = scan_dtype(compiled, dtype, scan, rounds)
        rows += dtype_rows
    print(common.table(rows, ("dtype", "layer (mini-batch x inputs -> outputs)",
                              "multiply-adds", "loops", "BLAS", "BLAS / loops")))
    for name, size in found.items():
        print(f"{name}: " + ("BLAS lost at the largest size" if size is None else
                             f"BLAS won at every size from {size:.1e} multiply-adds on"))
    kernel, threads = compiled.BLAS.kernel, common.blas_threads() or 1
    size = compiled.choose_blas_from(kernel, threads)
    print(f"in force for {kernel} with {threads} thread(s): the compiled epoch's products go "
          "to BLAS " + ("never" if size == compiled.NEVER else f"from {size:.1e} on"))
    return 0


if __name__ == "__main__":
    sys.exit(run())
