"""benchmarks.common
~~~~~~~~~~~~~~~~~~~

What the benchmark scripts share: the machine's description, timing of
several contenders *interleaved* in one run (the machines are shared and
noisy, so every target is a ratio of times taken side by side), MNIST-shaped
data, and the table printed at the end.

Timing protocol (:func:`race`): each round runs every contender once, in
turn; a contender's figure is its best time over the rounds (the least
disturbed run), and its median is printed beside it.  Ratios are ratios of
best times.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so that `python benchmarks/<name>.py` works too
    sys.path.insert(0, str(ROOT))

N_IN, N_OUT = 784, 10


# --------------------------------------------------------------------------
# The machine
# --------------------------------------------------------------------------


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def machine() -> str:
    """One line: cores, Python, and :func:`nndl.machine.describe`'s CPU, BLAS
    (its kernel and threads) and numpy."""
    from nndl.machine import describe
    from nndl.machine import machine as this_machine

    return f"{cores()} cores, Python {platform.python_version()}, {describe(this_machine())}"


# OpenBLAS's thread count, set and read through ctypes on the library numpy has
# loaded (what threadpoolctl does, without the dependency).  Other BLAS: None.
_OPENBLAS_FUNCTIONS = (("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
                       ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
                       ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
                       ("openblas_set_num_threads", "openblas_get_num_threads"))


def _openblas():
    import ctypes
    import re

    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    for path in sorted(set(re.findall(r"(/\S*openblas\S*\.so\S*)", maps))):
        lib = ctypes.CDLL(path)
        for set_name, get_name in _OPENBLAS_FUNCTIONS:
            if hasattr(lib, set_name) and hasattr(lib, get_name):
                return getattr(lib, set_name), getattr(lib, get_name)
    return None


def blas_threads() -> int | None:
    functions = _openblas()
    return None if functions is None else int(functions[1]())


DEFAULT_BLAS_THREADS = blas_threads()  # the library's own choice, before any script's


def set_blas_threads(n: int | None) -> int | None:
    """Set OpenBLAS's thread count (``None`` leaves it); return the count in force."""
    functions = _openblas()
    if functions is None:
        return None
    if n is not None:
        functions[0](int(n))
    return int(functions[1]())


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    times: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return float(np.median(self.times))


def race(contenders: dict[str, Callable[[], object]], rounds: int,
         setup: Callable[[], object] | None = None) -> dict[str, Timing]:
    """Time each contender ``rounds`` times, interleaved (round-robin), so that
    a burst of load on the machine hits all of them alike.  The order within
    a round is shuffled (with a fixed seed), so that no contender always runs
    right after the same neighbour: a run that churns memory, like the book's
    loop, can slow the next one down.  ``setup()`` runs before each call,
    untimed.  Garbage collection is off while timing."""
    timings = {name: Timing(name) for name in contenders}
    names = list(contenders)
    order = np.random.default_rng(0)
    for _ in range(rounds):
        for i in order.permutation(len(names)):
            name, fn = names[i], contenders[names[i]]
            if setup is not None:
                setup()
            timings[name].times.append(timed(fn))
    return timings


def timed(fn: Callable[[], object]) -> float:
    """Wall time of one call of ``fn``, with the garbage collector off."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def synthetic(n: int, dtype=np.float64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` MNIST-shaped examples: pixels in [0, 1), about 80 % of them 0 as
    in MNIST, and labels 0..9.  Speed does not depend on the values."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, N_IN))
    X[rng.random((n, N_IN)) < 0.8] = 0.0
    return X.astype(dtype, copy=False), rng.integers(0, N_OUT, n)


NO_MNIST = ("real MNIST not found: pass --data-dir DIR or set MNIST_DATA_DIR to a folder "
            "holding its four IDX files (the benchmarks never download)")


def mnist_dir(data_dir: str | None = None) -> Path | None:
    """The folder of the real MNIST files, looked for as the loader looks
    (``--data-dir``, else ``$MNIST_DATA_DIR``, else the cache ``data/mnist/``)
    but never downloaded; None when absent.  A ``--data-dir`` without them
    raises ``mnist_loader.DataNotFoundError``."""
    from experiments.datasets import real_data_dir

    return real_data_dir("mnist", data_dir)


def real_mnist(data_dir: str | None = None, dtype=np.float64):
    """``mnist_loader.load_data`` on the real files, or None when they are absent."""
    folder = mnist_dir(data_dir)
    if folder is None:
        return None
    import mnist_loader

    return mnist_loader.load_data(data_dir=folder, dtype=dtype, download=False, verbose=False)


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


# A script's exit status, which ``python -m benchmarks`` sums up; 1 is an
# error, 2 a bad flag or bad data (experiments.cli.main_guard).
PASSED, MISSED, SKIPPED, PARTLY_SKIPPED = 0, 3, 4, 5


def status(ok: bool, skipped: bool = False) -> int:
    """The exit status of a script whose measured targets were all met
    (``ok``) or not, and some of whose measurements could not be made
    (``skipped``: no real data, no PyTorch).  A missed target comes first."""
    if not ok:
        return MISSED
    return PARTLY_SKIPPED if skipped else PASSED


_quick = False  # a --quick run: its figures check only that the script runs


def verdict(ok: bool | None) -> str:
    """A target's verdict: PASS, FAIL, skip; in a --quick run, whose figures
    are too small to mean anything, "quick (met)" or "quick (missed)"."""
    if ok is None:
        return "skip"
    if _quick:
        return "quick (met)" if ok else "quick (missed)"
    return "PASS" if ok else "FAIL"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A plain-text table, columns padded to their widest cell."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def timing_rows(timings: dict[str, Timing], per: str = "") -> list[list[str]]:
    return [[t.name, ms(t.best) + per, ms(t.median) + per, len(t.times)]
            for t in timings.values()]


TIMING_HEADER = ("contender", "best", "median", "runs")


def header(title: str, command: str) -> str:
    return f"== {title} ==\n$ {command}\nmachine: {machine()}"


def print_results(title: str, command: str, timings: dict[str, Timing],
                  rows: Sequence[Sequence[object]], subject: str) -> None:
    """A benchmark's output: its :func:`header`, the timings, a blank line,
    then ``rows`` (what, measured, target, verdict) under ``subject``."""
    print(header(title, command))
    print(table(timing_rows(timings), TIMING_HEADER))
    print()
    print(table(rows, (subject, "measured", "target", "")))


def parser(name: str, description: str, blas_threads: bool = True,
           data: bool = True) -> argparse.ArgumentParser:
    """The flags every benchmark takes, for the script ``benchmarks/<name>.py``
    (its usage line says ``python -m benchmarks.<name>``, as it is run).
    ``--blas-threads`` and ``--data-dir`` are shown only where the script
    uses them (``blas_threads``, ``data``); elsewhere they are accepted and
    ignored, so that ``python -m benchmarks`` can pass its options to every
    script."""
    p = argparse.ArgumentParser(prog=f"python -m benchmarks.{name}", description=description)
    p.add_argument("--quick", action="store_true",
                   help="a tiny run (seconds) that checks the script works; its figures "
                        "are not meant to meet the targets (a missed one still gives exit "
                        "status 3; `python -m benchmarks --quick` counts it as run)")
    from experiments.cli import positive_int

    p.add_argument("--rounds", type=positive_int, default=None,
                   help="interleaved rounds per contender (default: the script's own)")
    if blas_threads:
        _add_blas_flag(p)
    else:
        p.add_argument("--blas-threads", type=int, default=0, help=argparse.SUPPRESS)
    if data:
        _add_data_flag(p)
    else:
        p.add_argument("--data-dir", default=None, help=argparse.SUPPRESS)
    return p


def _add_blas_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--blas-threads", type=int, default=1, metavar="N",
                   help="OpenBLAS threads (default 1, for figures that hold still: on a "
                        "shared machine whose other core is busy, a second BLAS thread can "
                        "make mid-sized products 10-100x slower; see benchmarks.threads); "
                        "0 leaves the library's default")


def _add_data_flag(p: argparse.ArgumentParser) -> None:
    from experiments.cli import existing_folder

    p.add_argument("--data-dir", type=existing_folder, default=None, metavar="DIR",
                   help="an existing folder holding the real data's four IDX files. "
                        "Default: $MNIST_DATA_DIR, else the cache data/mnist/. Without them "
                        "the measurements on real data are skipped: nothing is downloaded")


# What a --quick run's verdicts mean, said once at its start.
QUICK_NOTE = ("--quick: the figures of a quick run are too small to hold still; its verdicts, "
              "quick (met) and quick (missed), check only that the script runs, not the "
              "targets")


def parse(p: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the arguments and apply ``--blas-threads``; with ``--quick``,
    print :data:`QUICK_NOTE`."""
    global _quick
    args = p.parse_args(argv)
    set_blas_threads(args.blas_threads or DEFAULT_BLAS_THREADS)
    _quick = args.quick
    if args.quick:
        print(QUICK_NOTE, flush=True)
    return args


def command(module: str, argv: Sequence[str] | None) -> str:
    """The command line that produced the figures, for docs/performance.md."""
    from experiments.cli import command_line

    return command_line(f"benchmarks.{module}", sys.argv[1:] if argv is None else list(argv))
