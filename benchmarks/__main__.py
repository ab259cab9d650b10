"""Run every benchmark, each in its own process, and sum up.

    python -m benchmarks            # the figures of the README (several minutes)
    python -m benchmarks --quick    # seconds: checks that every script runs
    python -m benchmarks epoch scale --rounds 9   # some of them; options pass through

A fresh process per script, so that no script's imports (PyTorch) or BLAS
settings reach another.  Each script exits with 0 when its targets are met
and 3 when one is missed (1 is an error); so does this one, summing up.
``--quick`` figures are not meant to meet the targets: there a script that
ran to the end counts as passed.
"""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks import common

MISSED = 3  # the exit status of a script that missed a target
QUICK_LOAD = ["--repeat", "1"]  # benchmarks.load's tiny mode

# Script: what it measures (issue 5's target numbers; issue 2's is in epoch).
SCRIPTS = {
    "epoch": "targets 1 (and issue 2): an epoch against the book's loop and the floor",
    "torch_compare": "target 2: against PyTorch",
    "float32": "target 3: float32 against float64",
    "evaluate": "target 4: evaluation in one matrix pass",
    "scale": "target 5: a big network against the matrix-multiply rate",
    "memory": "target 6: peak memory",
    "chapter1": "target 7: chapter 1 and the main job, end to end",
    "diagnose": "issue 11: diagnose costs a small fraction of an epoch",
    "threads": "issue 16: training's own choice of BLAS threads against one thread",
    "load": "(mnist_loader's speed)",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = [a for a in argv if a in SCRIPTS] or list(SCRIPTS)
    options = [a for a in argv if a not in SCRIPTS]
    results = []
    for name in names:
        opts = options
        if name == "load":  # mnist_loader's benchmark has options of its own
            opts = QUICK_LOAD if "--quick" in options else []
        start = time.perf_counter()
        code = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *opts],
                              cwd=common.ROOT).returncode
        if code == 0:
            status = "PASS"
        elif code == MISSED:
            status = "ran (quick)" if "--quick" in options else "FAIL: a target missed"
        else:
            status = f"ERROR (exit {code})"
        results.append((name, SCRIPTS[name], status, f"{time.perf_counter() - start:.0f} s"))
        print(flush=True)
    print(common.header("summary", " ".join(["python -m benchmarks", *argv])))
    print(common.table(results, ("script", "measures", "targets", "took")))
    if any(r[2].startswith("ERROR") for r in results):
        return 1
    return 0 if all(r[2] in ("PASS", "ran (quick)") for r in results) else MISSED


if __name__ == "__main__":
    sys.exit(main())
