"""experiments.runner
~~~~~~~~~~~~~~~~~~~~

Running a sweep's independent trainings: here, one after another, or in a
pool of worker processes, each limited to one BLAS thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Any

# Environment variables that cap the threads of the BLAS numpy may be linked to.
_BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
             "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def default_jobs() -> int:
    return os.cpu_count() or 1


def _exit_with_parent(parent: int) -> None:
    """Make this worker exit once the sweep that started it is gone.

    Ctrl-C reaches the workers too, but a ``kill`` of the sweep alone would
    leave them to finish their runs for nobody (and to compete with the
    rerun that resumes the sweep).  A finished run's record is written
    whole or not at all, so exiting at any moment loses nothing else."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def run_all(fn: Callable[[Any], Any], tasks: Sequence[Any], jobs: int) -> Iterator[Any]:
    """Yield ``fn(task)`` for every task, in order of completion.

    With ``jobs == 1`` the tasks run here, one after another.  Otherwise they go
    to ``jobs`` fresh (spawned) processes.  Each worker is limited to one BLAS
    thread: ``jobs`` workers each spawning as many BLAS threads as there are
    cores would fight over them.  The limit must be in the environment before
    numpy loads, so it is set here, in the parent, just before the workers are
    spawned (they inherit it), and restored afterwards.  ``fn`` must seed all its
    randomness from its task, so results do not depend on ``jobs``.
    """
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield fn(task)
        return
    saved = {name: os.environ.get(name) for name in _BLAS_ENV}
    os.environ.update({name: "1" for name in _BLAS_ENV})
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)),
                                 mp_context=get_context("spawn"),
                                 initializer=_exit_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(fn, task) for task in tasks]
            try:
                for future in as_completed(futures):
                    yield future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

