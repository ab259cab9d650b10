"""How fast does mnist_loader load the real files?

Times ``load_arrays()``, ``load_data()`` and ``load_data_wrapper()``
beside the floor: the bare decompression of the same four files
(``gzip.decompress`` + ``np.frombuffer``), measured in the same run.
Target: ``load_data()`` within 1.5x of the floor.  Exit status: 0 when
the target is met (or the files are absent: nothing to measure), 3 when
it is missed (1 is an error), as for the other benchmarks.

    python -m benchmarks.load [--repeat 5] [--dataset mnist]

The files are found as the experiments find them: $MNIST_DATA_DIR
($FASHION_MNIST_DATA_DIR), else ../shared/data/<dataset> beside the checkout.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so that `python benchmarks/load.py` works too
    sys.path.insert(0, str(ROOT))

import mnist_loader  # noqa: E402
from experiments.datasets import real_data_dir  # noqa: E402

TARGET = 1.5


def timings(
    cases: dict[str, Callable[[], object]], repeat: int
) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) times of ``repeat`` calls of each case.  The cases take
    turns, so that a change in the machine's load affects them all alike;
    each result is dropped before the next call."""
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in cases}
    for _ in range(repeat):
        for label, fn in cases.items():
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            result = fn()
            times[label].append((time.perf_counter() - wall, time.process_time() - cpu))
            del result
    return times


def peak_memory(fn: Callable[[], object]) -> tuple[int, int]:
    """Peak traced memory during ``fn()``, and the size of what it returned."""
    gc.collect()
    tracemalloc.start()
    result = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    size = sum(a.nbytes for pair in result for a in pair)  # type: ignore[attr-defined]
    return peak, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist", choices=mnist_loader.DATASETS)
    parser.add_argument("--repeat", type=int, default=5, help="best of this many runs")
    args = parser.parse_args(argv)

    folder = real_data_dir(args.dataset)
    if folder is None:  # nothing to measure: not a failure
        print(f"skipped: the {args.dataset} files are not found; set "
              f"{mnist_loader.ENV_VARS[args.dataset]} or put them in "
              f"{ROOT.parent / 'shared' / 'data' / args.dataset}")
        return 0
    paths = mnist_loader._idx_paths(folder)

    def floor() -> list[np.ndarray]:
        return [np.frombuffer(gzip.decompress(paths[name].read_bytes()), dtype=np.uint8)
                for name in mnist_loader.FILES]

    def arrays() -> object:
        return mnist_loader.load_arrays(args.dataset, folder, download=False)

    def data() -> object:
        return mnist_loader.load_data(args.dataset, folder, download=False)

    def wrapper() -> object:
        return mnist_loader.load_data_wrapper(args.dataset, folder, download=False)

    def data32() -> object:
        return mnist_loader.load_data(args.dataset, folder, download=False, dtype=np.float32)

    cases = {
        "floor: gzip.decompress + np.frombuffer": floor,
        "load_arrays()": arrays,
        "load_data()": data,
        "load_data(dtype=np.float32)": data32,
        "load_data_wrapper()": wrapper,
    }
    print(f"{args.dataset} from {folder}, {args.repeat} runs each, {os.cpu_count()} CPU(s), "
          f"load average {os.getloadavg()[0]:.1f} (other work skews the times)")
    print(f"  {'wall time:':<40} {'best':>7}    {'ratio':>5}  {'median':>7}    {'CPU time':>8}")
    times = timings(cases, args.repeat)
    best = {label: min(runs) for label, runs in times.items()}
    base = best["floor: gzip.decompress + np.frombuffer"][0]
    for label, runs in times.items():
        wall, cpu = best[label]
        median = statistics.median(w for w, _ in runs)
        print(f"  {label:<40} {wall:7.3f} s  {wall / base:5.2f}x  {median:7.3f} s  {cpu:7.3f} s")

    # Memory: the data is held at most twice, as the decompressed bytes of
    # the files and as the result.
    decompressed = sum(a.nbytes for a in floor())
    peak, size = peak_memory(data)
    print(f"load_data() peak memory {peak / 1e6:.0f} MB = {peak / (size + decompressed):.2f} x "
          f"(result {size / 1e6:.0f} MB + decompressed files {decompressed / 1e6:.0f} MB)")

    ratio = best["load_data()"][0] / base
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    print(f"load_data() / floor = {ratio:.2f} (target <= {TARGET}): {verdict}")
    return 0 if verdict == "PASS" else 3


if __name__ == "__main__":
    sys.exit(main())
