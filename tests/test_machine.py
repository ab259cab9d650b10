"""Records and captions say where their numbers were made (``nndl.machine``):
the CPU, the BLAS and the kernel it runs, its threads, numpy.  The kernel
decides the last bits of every product, so a result repeats bit for bit only
on the same kind of machine."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from benchmarks import common
from experiments import records, report
from nndl import machine


def test_machine_names_this_cpu_blas_kernel_threads_and_numpy():
    here = machine.machine()
    assert set(here) == {"cpu", "blas", "blas_kernel", "blas_threads", "numpy"}
    assert here["numpy"] == np.__version__
    assert here["cpu"] and here["cpu"] != "unknown CPU"
    blas = machine.numpy_blas()
    assert blas is not None and blas["filepath"] in {lib["filepath"] for lib in threadpool_info()}
    assert here["blas_kernel"] == blas.get("architecture")
    assert here["blas"].startswith(blas["internal_api"])


def test_the_thread_count_is_the_one_in_force():
    with threadpool_limits(1, user_api="blas"):
        assert machine.machine()["blas_threads"] == 1


def test_describe_is_one_line_with_every_part():
    here = {"cpu": "CPU X", "blas": "openblas 0.3.31", "blas_kernel": "SkylakeX",
            "blas_threads": 1, "numpy": "2.4.6"}
    assert machine.describe(here) == ("CPU X, openblas 0.3.31 (SkylakeX kernel, 1 thread), "
                                      "numpy 2.4.6")
    assert "2 threads" in machine.describe({**here, "blas_threads": 2})
    assert machine.describe(None) == "an unrecorded machine"


def test_every_record_stores_the_machine():
    assert records.versions()["machine"] == machine.machine()


def test_a_caption_names_each_kind_of_machine_its_records_came_from():
    a = {"cpu": "A", "blas": "openblas 1", "blas_kernel": "Haswell", "blas_threads": 1,
         "numpy": "2"}
    b = {**a, "blas_kernel": "SkylakeX"}
    runs = [{"versions": {"machine": m}} for m in (a, b, a)]
    one = report.made_by("python -m x", runs[:1])
    assert one == "Made by `python -m x` on A, openblas 1 (Haswell kernel, 1 thread), numpy 2."
    two = report.made_by("python -m x", runs)
    assert two.startswith("Made by `python -m x` on 2 kinds of machine: ")
    assert "Haswell kernel" in two and "SkylakeX kernel" in two
    assert "an unrecorded machine" in report.made_by("c", [{"versions": {}}])
    assert report.made_by("c") == f"Made by `c` on {machine.describe(machine.machine())}."
    assert report.made_by("c", names=["m1", "m1"]) == "Made by `c` on m1."
    assert report.made_by("c", []) == "Made by `c`."


def test_benchmarks_print_the_same_machine_line():
    assert machine.describe(machine.machine()) in common.machine()
