"""What does the Dask backend cost? The main job on a LocalCluster of 2
workers against the local pool of 2 processes, side by side in one run.

Each contender is the default main job, ``python -m
experiments.compare_initializers`` (6 initializers x 3 seeds x 30 epochs on
the 50,000 training images), in a child process, its records sent to a fresh
temporary folder so nothing is reused:

* **local pool**: ``--jobs 2`` (the default on 2 cores);
* **Dask**: ``--scheduler local --jobs 2``: a ``distributed.LocalCluster`` of
  2 worker processes, started and closed by the sweep, the data sent to each
  worker once.

The overhead is the difference of the wall times (Dask / pool - 1).  Beside
the wall time, the CPU time of each contender's whole process tree (the
sweep and its workers, which it waits for) is printed: on a shared machine
it moves far less with the load than the wall time does.  The records of
the two must be the same bit for bit (timings aside): the script fails
(exit status 1) if they are not.

    python -m benchmarks.cluster [--rounds N] [--quick]

``--rounds`` alternates the order (pool first, then Dask first, ...) and
reports each contender's best time.  ``--quick`` times a sweep of 2 runs of
1 epoch on 1,000 images instead (seconds: startup costs only).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import common
from experiments import cli

CONTENDERS = {"local pool (--jobs 2)": ["--jobs", "2"],
              "Dask LocalCluster (--scheduler local --jobs 2)": ["--scheduler", "local",
                                                                 "--jobs", "2"]}
QUICK = ["--epochs", "1", "--train-size", "1000", "--inits", "randn,xavier_normal",
         "--seeds", "1"]


def children_cpu() -> float:
    """CPU seconds (user + system) of the processes this one has waited for,
    and of those they waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main_job(argv: Sequence[str], out: Path) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds, exit status and standard error of the main job."""
    cpu, start = children_cpu(), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "experiments.compare_initializers", *argv,
                           "--out", str(out)], cwd=common.ROOT, capture_output=True, text=True)
    return time.perf_counter() - start, children_cpu() - cpu, done.returncode, done.stderr


def numbers(out: Path) -> dict[str, dict]:
    """The records of a sweep, without their timings."""
    result = {}
    for path in sorted((out / "runs").glob("*.json")):
        record = json.loads(path.read_text())
        record.pop("wall_seconds")
        record["history"].pop("seconds")
        result[path.name] = record
    return result


def run(argv: Sequence[str] | None = None) -> int:
    # The sweeps choose their own BLAS threads (one per run).
    p = common.parser("cluster", __doc__.split("\n")[0], blas_threads=False)
    args = common.parse(p, argv)
    rounds = args.rounds or 1
    folder = common.mnist_dir(args.data_dir)
    extra = [*(QUICK if args.quick else []), *(["--data-dir", str(folder)] if folder else [])]
    print(common.header("the main job on a Dask LocalCluster against the local pool",
                        common.command("cluster", argv)))
    if folder is None:
        print(f"{common.NO_MNIST}: skipped")
        return 0
    try:
        import distributed  # noqa: F401
    except ImportError:
        print('Dask is not installed (pip install -e ".[cluster]"): skipped')
        return 0
    raced = _race(extra, rounds)
    if raced is None:
        return 1
    return 0 if _report(*raced) else 1


def _race(extra: list[str], rounds: int
          ) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, dict]] | None:
    """Run each contender ``rounds`` times, alternating which goes first;
    return the wall and CPU times of every round and each contender's
    records, or None (after printing why) if a run failed."""
    times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    cpu: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    records: dict[str, dict] = {}
    for r in range(rounds):
        order = list(CONTENDERS) if r % 2 == 0 else list(reversed(CONTENDERS))
        for name in order:
            with tempfile.TemporaryDirectory() as out:
                seconds, cpu_seconds, code, err = main_job([*extra, *CONTENDERS[name]],
                                                           Path(out))
                if code != 0:
                    print(f"{name}: FAILED (exit {code})\n{err[-2000:]}")
                    return None
                times[name].append(seconds)
                cpu[name].append(cpu_seconds)
                records[name] = numbers(Path(out))
            print(f"round {r + 1}: {name}: {seconds:.1f} s wall, {cpu_seconds:.1f} s CPU",
                  flush=True)
    return times, cpu, records


def _report(times: dict[str, list[float]], cpu: dict[str, list[float]],
            records: dict[str, dict]) -> bool:
    """Print the best times, the overheads, and whether the records agree;
    return whether they do."""
    pool, dask = (min(times[name]) for name in CONTENDERS)
    pool_cpu, dask_cpu = (min(cpu[name]) for name in CONTENDERS)
    rows = [(name, f"{min(times[name]):.1f} s", ", ".join(f"{s:.1f}" for s in times[name]),
             f"{min(cpu[name]):.1f} s", ", ".join(f"{s:.1f}" for s in cpu[name]))
            for name in CONTENDERS]
    print(common.table(rows, ("backend", "best wall time", "every round (s)", "best CPU time",
                              "every round (s)")))
    runs = len(next(iter(records.values())))
    print(f"wall: Dask / pool = {dask / pool:.3f}, overhead {dask - pool:+.1f} s "
          f"({100 * (dask / pool - 1):+.1f} %) for {runs} runs")
    print(f"CPU: Dask / pool = {dask_cpu / pool_cpu:.3f}, overhead {dask_cpu - pool_cpu:+.1f} s "
          f"({100 * (dask_cpu / pool_cpu - 1):+.1f} %)")
    same = len({json.dumps(r, sort_keys=True) for r in records.values()}) == 1
    print("records: " + ("the same bit for bit (timings aside)" if same else
                         "DIFFERENT between the backends"))
    return same


if __name__ == "__main__":
    cli.main_guard(run)
