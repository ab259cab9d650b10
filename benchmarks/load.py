"""How fast does mnist_loader load the real files?

Times ``load_arrays()``, ``load_data()`` and ``load_data_wrapper()``
beside the floor: the bare decompression of the same four files
(``gzip.decompress`` + ``np.frombuffer``), measured in the same run.
Target: ``load_data()`` within 1.5x of the floor.  Exit status: 0 when
the target is met, 3 when it is missed, 4 when the files are absent
(nothing to measure; 1 is an error), as for the other benchmarks.

    python -m benchmarks.load [--quick] [--rounds 5] [--dataset mnist] [--data-dir DIR]

The files are found as the loader finds them, without downloading:
``--data-dir``, else $MNIST_DATA_DIR ($FASHION_MNIST_DATA_DIR), else the cache
data/<dataset>/.
"""

from __future__ import annotations

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
from benchmarks import common  # noqa: E402
from experiments import cli  # noqa: E402
from experiments.datasets import real_data_dir  # noqa: E402
from nndl import locate  # noqa: E402

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


FLOOR = "floor: gzip.decompress + np.frombuffer"


def main(argv: list[str] | None = None) -> int:
    parser = common.parser("load", __doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist", choices=mnist_loader.DATASETS)
    args = common.parse(parser, argv)
    args.repeat = args.rounds or (1 if args.quick else 5)  # best of this many runs

    folder = real_data_dir(args.dataset, args.data_dir)
    if folder is None:  # nothing to measure: not a failure, but not a pass either
        print(f"skipped: the {args.dataset} files are not found; pass --data-dir DIR or set "
              f"{mnist_loader.ENV_VARS[args.dataset]} to a folder holding its four IDX files")
        return common.SKIPPED
    cases = load_cases(args.dataset, folder)
    print(f"{args.dataset} from {folder}, {args.repeat} runs each, {os.cpu_count()} CPU(s), "
          f"load average {os.getloadavg()[0]:.1f} (other work skews the times)")
    ratio = print_times(timings(cases, args.repeat))
    print_memory(cases)
    print(f"load_data() / floor = {ratio:.2f} (target <= {TARGET}): "
          f"{common.verdict(ratio <= TARGET)}")
    return common.status(ratio <= TARGET)


def load_cases(dataset: str, folder: Path) -> dict[str, Callable[[], object]]:
    """The floor (decompressing the four files, nothing else) and the
    loader's calls on the files in ``folder``."""
    paths = locate.idx_paths(folder)

    def floor() -> list[np.ndarray]:
        return [np.frombuffer(gzip.decompress(paths[name].read_bytes()), dtype=np.uint8)
                for name in mnist_loader.FILES]

    def load(fn: Callable[..., object], **options: object) -> Callable[[], object]:
        return lambda: fn(dataset, folder, download=False, **options)

    return {
        FLOOR: floor,
        "load_arrays()": load(mnist_loader.load_arrays),
        "load_data()": load(mnist_loader.load_data),
        "load_data(dtype=np.float32)": load(mnist_loader.load_data, dtype=np.float32),
        "load_data_wrapper()": load(mnist_loader.load_data_wrapper),
    }


def print_times(times: dict[str, list[tuple[float, float]]]) -> float:
    """Print each case's best and median times and its ratio to the floor;
    return load_data()'s ratio."""
    print(f"  {'wall time:':<40} {'best':>7}    {'ratio':>5}  {'median':>7}    {'CPU time':>8}")
    best = {label: min(runs) for label, runs in times.items()}
    base = best[FLOOR][0]
    for label, runs in times.items():
        wall, cpu = best[label]
        median = statistics.median(w for w, _ in runs)
        print(f"  {label:<40} {wall:7.3f} s  {wall / base:5.2f}x  {median:7.3f} s  {cpu:7.3f} s")
    return best["load_data()"][0] / base


def print_memory(cases: dict[str, Callable[[], object]]) -> None:
    """load_data()'s peak memory against the data held twice: as the
    decompressed bytes of the files and as the result."""
    decompressed = sum(a.nbytes for a in cases[FLOOR]())
    peak, size = peak_memory(cases["load_data()"])
    print(f"load_data() peak memory {peak / 1e6:.0f} MB = {peak / (size + decompressed):.2f} x "
          f"(result {size / 1e6:.0f} MB + decompressed files {decompressed / 1e6:.0f} MB)")


if __name__ == "__main__":
    cli.main_guard(main)
