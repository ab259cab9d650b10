"""nndl.machine
~~~~~~~~~~~~

Where a result was made: the CPU, the BLAS library numpy multiplies with, the
kernel that library chose for this CPU, its thread count, and numpy's version.

These decide the last bits of every matrix product.  OpenBLAS picks a kernel
per CPU at start-up (``Haswell`` for AVX2, ``SkylakeX`` for AVX-512, ...; the
environment variable ``OPENBLAS_CORETYPE`` overrides its choice), and
kernels, like thread counts, add a product's terms in different orders and so
round differently.  A training run repeats bit for bit only where all of
these are the same; elsewhere it agrees within the spread over seeds
(``docs/reproducibility.md``).  Every record stores :func:`machine`, and
every caption made from records names it with :func:`describe`.
"""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info


def cpu_model() -> str:
    """The CPU's model name, e.g. ``AMD EPYC 9B14``: Linux's ``/proc/cpuinfo``,
    else what :mod:`platform` knows (``arm``, ``x86_64``, ...)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def numpy_blas() -> dict | None:
    """threadpoolctl's entry for the BLAS numpy itself loaded (another
    library, scipy say, may have loaded a BLAS of its own), or ``None``."""
    blas = [lib for lib in threadpool_info() if lib.get("user_api") == "blas"]
    numpy_dir = Path(np.__file__).resolve().parent
    for lib in blas:
        if str(Path(lib.get("filepath", "")).resolve()).startswith(str(numpy_dir)):
            return lib
    return blas[0] if blas else None


def machine() -> dict[str, str | int | None]:
    """The machine a result is made on, as JSON-ready values:
    ``cpu`` (model name), ``blas`` (library and version, e.g. ``openblas
    0.3.31.188.0``), ``blas_kernel`` (the kernel it runs, e.g. ``Haswell``;
    ``None`` when the library does not say), ``blas_threads`` (its thread
    count now) and ``numpy`` (version)."""
    lib = numpy_blas() or {}
    name = lib.get("internal_api")
    return {"cpu": cpu_model(),
            "blas": f"{name} {lib.get('version') or ''}".strip() if name else "unknown",
            "blas_kernel": lib.get("architecture"),
            "blas_threads": lib.get("num_threads"),
            "numpy": np.__version__}


def describe(machine: dict | None) -> str:
    """One line naming a :func:`machine`: ``AMD EPYC 9B14, openblas 0.3.31.188.0
    (Haswell kernel, 1 thread), numpy 2.4.6``.  ``None`` (a record made before
    records named their machine) is ``an unrecorded machine``."""
    if not machine:
        return "an unrecorded machine"
    threads = machine.get("blas_threads")
    inside = [f"{machine.get('blas_kernel') or 'unnamed'} kernel"]
    if threads is not None:
        inside.append(f"{threads} thread{'' if threads == 1 else 's'}")
    return (f"{machine.get('cpu')}, {machine.get('blas')} ({', '.join(inside)}), "
            f"numpy {machine.get('numpy')}")


if __name__ == "__main__":  # python -m nndl.machine: where this Python would make its numbers
    print(describe(machine()))
