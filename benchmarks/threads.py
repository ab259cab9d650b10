"""Does training choose its BLAS threads well?  A default install against one thread.

The claim: ``Network.SGD`` sets numpy's BLAS threads for the call from the
sizes of its products (:mod:`blas`): one thread for small products, all of
them for large ones.  Timed side by side in one run, in fresh processes
started in a default environment (no ``*_NUM_THREADS`` variable):

* **the small networks, one core busy**: ``[784, 30, 10]`` and ``[784, 100,
  10]``, mini-batch 10, while a busy-loop process occupies one core.  The
  default (threads chosen) against one thread for the whole call (what
  ``OPENBLAS_NUM_THREADS=1`` gives), and, for the record, with every thread
  forced (the library's default, before training chose).  Target: the
  default within 1.1x of one thread.
* **the large network, idle machine** (no load added by this script):
  ``[784, 1000, 1000, 1000, 10]``, mini-batch 100.  Target: the default at
  least as fast as one thread.

Epoch times on a shared machine are bimodal (a run sits in a fast or a slow
mode for a while), so each figure is the mean of many epochs over several
processes, the contenders interleaved in shuffled order within each process.
An epoch's time is ``SGD``'s own (``History.seconds``: the training steps,
without the once-per-call data check).  The ratios are ratios of means;
the range of the per-process ratios is printed beside them.

``--threshold`` measures ``blas.THRESHOLD`` instead: it times the three
products of one layer (forward, weight gradient, error carried back; the
layouts of ``network.py``) at growing sizes with one thread and with all,
and prints the smallest size from which all threads win.  Run it on an idle
machine.

    python -m benchmarks.threads [--quick] [--rounds 8] [--processes 4]
    python -m benchmarks.threads --threshold [--quick] [--rounds 7]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence

import numpy as np

import blas
from benchmarks import common
from experiments.cli import positive_int

SMALL = (([784, 30, 10], 10), ([784, 100, 10], 10))
LARGE = ([784, 1000, 1000, 1000, 10], 100)
SMALL_RATIO, LARGE_RATIO = 1.1, 1.0  # the targets: default / one thread
CHOSEN, ONE, ALL = "default (chosen)", "1 thread", "all threads forced"
# The variables that cap a BLAS's threads; the workers start without them.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "GOTO_NUM_THREADS")
# The threshold scan: (rows, layer width) for a width x width layer.
SCAN = ((10, 100), (10, 300), (10, 600), (10, 1000), (10, 3000), (100, 100), (100, 150),
        (100, 200), (100, 300), (100, 1000), (100, 3000), (1000, 30), (1000, 60), (1000, 100),
        (1000, 300), (1000, 1000))
QUICK_SCAN = ((10, 100), (100, 300), (1000, 100))


# --------------------------------------------------------------------------
# In the worker processes
# --------------------------------------------------------------------------


def epochs(sizes: list[int], m: int, n: int, rounds: int, per_call: int, names: list[str],
           seed: int) -> dict:
    """Train one network per contender of ``names``, ``rounds`` calls of
    ``per_call`` epochs each, interleaved in shuffled order.  Returns each
    contender's epoch times and the threads in force and chosen."""
    import threadpoolctl

    import network

    X, y = common.synthetic(n)
    default = blas.threads_in_force() or 1
    nets = {name: network.Network(sizes, seed=0) for name in names}

    def train(name: str) -> list[float]:
        net = nets[name]
        if name == ONE:
            with threadpoolctl.threadpool_limits(1, user_api="blas"):
                return net.SGD((X, y), per_call, m, 3.0, verbose=False).seconds
        threads = default if name == ALL else None
        return net.SGD((X, y), per_call, m, 3.0, verbose=False, blas_threads=threads).seconds

    times: dict[str, list[float]] = {name: [] for name in nets}
    order = np.random.default_rng(seed)
    for _ in range(rounds):
        for i in order.permutation(len(names)):
            times[names[i]] += train(names[i])
    chosen = blas.choose(blas.layer_products(sizes, m), default)
    return {"times": times, "default_threads": default, "chosen_threads": chosen}


def products(scan: Sequence[tuple[int, int]], rounds: int) -> dict:
    """Median time of one layer's three products, per (rows, width), with one
    thread and with the library's default; interleaved rounds."""
    default = blas.threads_in_force() or 1
    rng = np.random.default_rng(0)
    contenders = {}
    for m, width in scan:
        A, delta = rng.random((m, width)), rng.random((m, width))
        w = rng.random((width, width))
        w_t = w.T
        repeats = max(1, round(3e7 / (m * width * width)))  # calls of about 10 ms or more

        def layer(A=A, delta=delta, w=w, w_t=w_t, repeats=repeats):
            for _ in range(repeats):
                A @ w_t, delta.T @ A, delta @ w

        for k in (1, default):
            contenders[f"{m} {width} {k}"] = (layer, [width, width], m, k, repeats)

    def call(fn, sizes, m, k):
        def run():
            with blas.threads(sizes, m, blas_threads=k):
                fn()
        return run

    t = common.race({name: call(*c[:4]) for name, c in contenders.items()}, rounds)
    return {"default_threads": default,
            "median": {name: t[name].median / contenders[name][4] for name in t}}


def worker(job: str) -> None:
    """Run one job (JSON: a function of this module and its arguments) and
    print its result as JSON on the last line."""
    spec = json.loads(job)
    result = {"epochs": epochs, "products": products}[spec.pop("job")](**spec)
    print(json.dumps(result))


# --------------------------------------------------------------------------
# In the parent
# --------------------------------------------------------------------------


def default_environment() -> dict[str, str]:
    """This process's environment without the variables that cap BLAS threads
    (the others, such as ``OPENBLAS_CORETYPE``, are kept)."""
    return {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}


def in_worker(job: str, **arguments) -> dict:
    """Run ``job`` in a fresh Python process started in a default environment."""
    code = "import sys; from benchmarks.threads import worker; worker(sys.argv[1])"
    done = subprocess.run([sys.executable, "-c", code, json.dumps({"job": job, **arguments})],
                          cwd=common.ROOT, env=default_environment(), capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"a worker process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class BusyCore:
    """A busy-loop process, occupying one core while the ``with`` block runs."""

    def __enter__(self):
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        return self

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait()


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def compare(sizes: list[int], m: int, n: int, processes: int, rounds: int, per_call: int,
            forced: bool) -> dict:
    """Mean epoch time of the default and of one thread over ``processes``
    worker processes, and the range of the per-process ratios.  With
    ``forced``, one more process times all threads forced against one thread
    (apart, because a forced run leaves BLAS threads spinning for a while
    after it, which would slow whatever ran next)."""
    results = [in_worker("epochs", sizes=sizes, m=m, n=n, rounds=rounds, per_call=per_call,
                         names=[CHOSEN, ONE], seed=p) for p in range(processes)]
    means = {name: float(np.mean([t for r in results for t in r["times"][name]]))
             for name in (CHOSEN, ONE)}
    per_process = [np.mean(r["times"][CHOSEN]) / np.mean(r["times"][ONE]) for r in results]
    c = {"means": means, "range": (min(per_process), max(per_process)),
         "epochs": len(results[0]["times"][ONE]) * processes,
         "threads": (results[0]["default_threads"], results[0]["chosen_threads"])}
    if forced:
        r = in_worker("epochs", sizes=sizes, m=m, n=n, rounds=1, per_call=per_call,
                      names=[ALL, ONE], seed=processes)
        c["forced"] = float(np.mean(r["times"][ALL]) / np.mean(r["times"][ONE]))
    return c


def row(sizes: list[int], m: int, c: dict, target: float, forced: bool) -> list[str]:
    chosen, one = c["means"][CHOSEN], c["means"][ONE]
    ratio = chosen / one
    low, high = c["range"]
    default, picked = c["threads"]
    cells = [f"{sizes}, batch {m}", f"{picked} of {default}", common.ms(chosen), common.ms(one),
             f"{ratio:.2f}x ({low:.2f}-{high:.2f})", f"<= {target:g}x",
             common.verdict(ratio <= target), c["epochs"]]
    if forced:
        cells.insert(4, f"{c['forced']:.1f}x")
    return cells


def run_epochs(args, argv) -> bool:
    processes = args.processes or (1 if args.quick else 4)
    rounds = args.rounds or (1 if args.quick else 8)
    n_small, n_large = (200, 200) if args.quick else (2000, 1000)
    print(common.header("BLAS threads: the default (chosen by training) against one thread",
                        common.command("threads", argv)), flush=True)

    ok = True
    with BusyCore():
        before = load()
        small = [(sizes, m, compare(sizes, m, n_small, processes, rounds, per_call=2,
                                    forced=True)) for sizes, m in SMALL]
    print(f"\nthe small networks, {n_small:,} examples an epoch, with a busy-loop process "
          f"occupying one core ({before} at the start)")
    header = ["network", "threads chosen", CHOSEN, ONE, "default / 1 thread (per process)",
              "target", "", "epochs each"]
    header.insert(4, f"{ALL} / 1 thread (1 process)")
    rows = []
    for sizes, m, c in small:
        rows.append(row(sizes, m, c, SMALL_RATIO, forced=True))
        ok &= c["means"][CHOSEN] / c["means"][ONE] <= SMALL_RATIO
    print(common.table(rows, header), flush=True)

    before = load()
    sizes, m = LARGE
    c = compare(sizes, m, n_large, processes, max(1, rounds // 2), per_call=1, forced=False)
    print(f"\nthe large network, {n_large:,} examples an epoch, no load added ({before} at "
          f"the start)")
    header = ["network", "threads chosen", CHOSEN, ONE, "default / 1 thread (per process)",
              "target", "", "epochs each"]
    print(common.table([row(sizes, m, c, LARGE_RATIO, forced=False)], header))
    ok &= c["means"][CHOSEN] / c["means"][ONE] <= LARGE_RATIO
    return ok


def threshold(ratios: Sequence[tuple[int, float]]) -> int | None:
    """The smallest product size from which on all threads were faster than
    one at every measured size, from ``(multiply-adds, all / one)`` pairs;
    None when they lost at the largest."""
    worst: dict[int, float] = {}
    for work, ratio in ratios:
        worst[work] = max(ratio, worst.get(work, 0.0))
    found = None
    for work in sorted(worst, reverse=True):
        if worst[work] >= 1.0:
            break
        found = work
    return found


def run_threshold(args, argv) -> bool:
    rounds = args.rounds or (3 if args.quick else 7)
    scan = QUICK_SCAN if args.quick else SCAN
    before = load()
    result = in_worker("products", scan=scan, rounds=rounds)
    default = result["default_threads"]
    t = result["median"]
    print(common.header(f"BLAS threads: one layer's products, 1 thread against {default}, "
                        f"median of {rounds} rounds", common.command("threads", argv)))
    print(f"({before} at the start)")
    rows, ratios = [], []
    for m, width in sorted(scan, key=lambda s: s[0] * s[1] ** 2):
        one, every = t[f"{m} {width} 1"], t[f"{m} {width} {default}"]
        work = m * width * width
        ratios.append((work, every / one))
        rows.append((f"({m}, {width}) @ ({width}, {width})", f"{work:.1e}",
                     f"{one * 1e6:,.0f} us", f"{every * 1e6:,.0f} us", f"{every / one:.2f}"))
    print(common.table(rows, ("product (and its two others)", "multiply-adds", "1 thread",
                              f"{default} threads", f"{default} / 1")))
    found = threshold(ratios)
    if found is None:
        print("\nall threads lost at the largest size: one thread suits this machine")
    else:
        print(f"\nall threads won at every size from {found:.1e} multiply-adds on")
    print(f"blas.THRESHOLD, in force: {blas.THRESHOLD:.1e}")
    return True


def run(argv: Sequence[str] | None = None) -> bool:
    p = common.parser("threads", __doc__.split("\n")[0], blas_threads=False, data=False)
    p.add_argument("--processes", type=positive_int, default=None,
                   help="worker processes per network (default 4; 1 with --quick)")
    p.add_argument("--threshold", action="store_true",
                   help="measure blas.THRESHOLD instead (run it on an idle machine)")
    args = common.parse(p, argv)
    if (blas.threads_in_force() or 1) < 2 and common.cores() < 2:
        print("threads: one core, one BLAS thread; nothing to compare")
        return True
    return run_threshold(args, argv) if args.threshold else run_epochs(args, argv)


if __name__ == "__main__":
    sys.exit(0 if run() else 3)
