"""Run every benchmark, each in its own process, and sum up.

    python -m benchmarks            # the figures of docs/performance.md (several minutes)
    python -m benchmarks --quick    # seconds: checks that every script runs
    python -m benchmarks epoch scale --rounds 9   # some of them; options pass through

A fresh process per script, so that no script's imports (PyTorch) or BLAS
settings reach another.  Each script exits with 0 when its targets are met,
3 when one is missed, 4 when it measured nothing (no PyTorch, no real data)
and 5 when it met every target it could measure but skipped some (1 is an
error, 2 a bad flag or bad data).  The summary says which; this script
exits with 1 after an error, else 3 after a missed target, else 0.
``--quick`` figures are not meant to meet the targets: there a script that
ran to the end counts as passed.
"""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks import common

MISSED = common.MISSED  # the exit status of a script that missed a target

# Script: what it measures.
SCRIPTS = {
    "epoch": "an epoch against the book's loop and the floor",
    "torch_compare": "against PyTorch",
    "jax_compare": "against JAX jit + lax.scan, the fastest CPU peer",
    "float32": "float32 against float64",
    "evaluate": "evaluation in one matrix pass",
    "scale": "a big network against the matrix-multiply rate",
    "memory": "peak memory",
    "chapter1": "chapter 1 and the main job, end to end",
    "diagnose": "diagnose costs a small fraction of an epoch",
    "threads": "training's own choice of BLAS threads against one thread",
    "depth": "Glorot & Bengio's 5 x 1000 network against the matrix-multiply rate",
    "load": "(mnist_loader's speed)",
    "compiled_blas": "(the compiled epoch's loops against BLAS: nndl.compiled.BLAS_FROM)",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = [a for a in argv if a in SCRIPTS] or list(SCRIPTS)
    options = [a for a in argv if a not in SCRIPTS]
    results = []
    quick = "--quick" in options
    results, codes = [], []
    for name in names:
        start = time.perf_counter()
        code = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *options],
                              cwd=common.ROOT).returncode
        codes.append(code)
        results.append((name, SCRIPTS[name], summary(code, quick),
                        f"{time.perf_counter() - start:.0f} s"))
        print(flush=True)
    print(common.header("summary", " ".join(["python -m benchmarks", *argv])))
    print(common.table(results, ("script", "measures", "targets", "took")))
    if any(code not in OUTCOMES for code in codes):
        return 1
    return MISSED if MISSED in codes and not quick else 0


# A script's exit status, as the summary shows it.
OUTCOMES = {
    common.PASSED: "PASS",
    common.MISSED: "FAIL: a target missed",
    common.SKIPPED: "SKIPPED (see its output)",
    common.PARTLY_SKIPPED: "PASS, part SKIPPED (see its output)",
}


def summary(code: int, quick: bool) -> str:
    """What the summary row says of a script that exited with ``code``."""
    if quick and code == MISSED:
        return "ran (quick)"
    return OUTCOMES.get(code, f"ERROR (exit {code})")


if __name__ == "__main__":
    sys.exit(main())
