"""blas
~~~~

How many threads numpy's BLAS may use for a network's matrix products,
chosen per call from the sizes of those products.

numpy's BLAS (OpenBLAS in the wheels) starts one thread per core and splits a
matrix product between them.  On the book's small products the hand-over
costs more than the second thread saves, and on a machine whose other core
is busy it costs far more: an epoch of ``[784, 100, 10]`` at mini-batch 10
can take tens of times as long as with one thread (``python -m
benchmarks.threads`` measures it).  Large products, such as those of
``[784, 1000, 1000, 1000, 10]`` at mini-batch 100, do run faster on every
core of an idle machine.

So ``Network.SGD`` and the evaluation methods run inside :func:`threads`,
which sets the thread count for the call with ``threadpoolctl`` (what
scikit-learn uses for the same purpose; unlike ``OPENBLAS_NUM_THREADS`` it
acts on a numpy that is already loaded) and puts the user's own setting
back afterwards.  The setting is process-wide: threads of one process that
train at the same time share it.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from threadpoolctl import ThreadpoolController

# The size, in multiply-adds (m * n * k for an (m, n) @ (n, k) product), from
# which a product runs faster on every core than on one, on an idle machine.
# Below it a single thread is as fast or faster, and on a busy machine far
# faster.  Measured with
#     python -m benchmarks.threads --threshold
# which times the products of one layer at growing sizes with one thread and
# with all, and prints the smallest size from which all threads win.
# On 2 cores (AMD EPYC, OpenBLAS 0.3.31, float64, load average below 0.6),
# six scans gave 1e5, 9e5, 9e5, 2.2e6, 9e6 and 9e6: below about 1e6 the two
# threads' gain is within the noise, and from 9e6 on they won in every scan,
# by 1 % to 45 %.  The largest of the six is taken, so that a product counted
# large gains from all threads on any quiet run; smaller ones lose little
# with one thread idle and gain much on a busy machine, where two threads
# lost at every size (load average 2 to 20).
THRESHOLD = 9_000_000


def layer_products(sizes: Sequence[int], rows: int) -> list[int]:
    """The multiply-adds of each layer's matrix product when ``rows``
    examples go through a network of layer sizes ``sizes`` at once:
    ``rows * sizes[l] * sizes[l+1]``.  The forward product ``A @ w.T`` and
    backpropagation's ``delta.T @ A`` and ``delta @ w`` all have this count."""
    return [rows * n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def choose(products: Sequence[int], available: int, threshold: int = THRESHOLD) -> int:
    """The BLAS threads for a call whose matrix products have the given sizes
    (multiply-adds each): ``available`` when the products of at least
    ``threshold`` multiply-adds hold at least half of all the work, else 1.

    One thread is never much slower than several on products below the
    threshold, and is much faster on a busy machine; above it several threads
    win on an idle machine.  A call whose work is mostly in small products
    gains nothing from threads on its few big ones that it would not lose on
    the rest."""
    total = sum(products)
    large = sum(p for p in products if p >= threshold)
    return max(1, available) if total > 0 and 2 * large >= total else 1


@functools.cache
def _controller() -> ThreadpoolController:
    # Finding the loaded libraries takes about 0.4 ms; numpy's BLAS is loaded
    # with numpy, before this module, so one look suffices.
    return ThreadpoolController().select(user_api="blas")


def threads_in_force() -> int | None:
    """The BLAS thread count in force now (the largest, if several BLAS
    libraries are loaded); None when threadpoolctl finds no BLAS."""
    counts = [lib.num_threads for lib in _controller().lib_controllers]
    return max(counts) if counts else None


def check_threads(blas_threads) -> int | None:
    """``blas_threads`` as given to ``Network`` methods: None (choose) or a
    count >= 1.  A count above the cores this process may use is allowed,
    with a warning: the threads will take turns on the cores."""
    if blas_threads is None:
        return None
    if isinstance(blas_threads, bool) or not isinstance(blas_threads, int | np.integer) \
            or blas_threads < 1:
        raise ValueError(f"blas_threads must be None (chosen from the sizes of the products) "
                         f"or a number of threads >= 1, got {blas_threads!r}")
    if blas_threads > _cores():
        warnings.warn(f"blas_threads={blas_threads} is more than the {_cores()} cores this "
                      f"process may use; the threads will take turns on them (and the BLAS "
                      f"may start fewer: OpenBLAS stops at the maximum it was built for)",
                      UserWarning, stacklevel=5)  # the caller of the Network method
    return int(blas_threads)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@contextmanager
def threads(sizes: Sequence[int], rows: int, blas_threads: int | None = None) -> Iterator[int]:
    """Run the ``with`` block with numpy's BLAS limited to the threads that
    suit ``rows`` examples at once through layers ``sizes`` (see
    :func:`choose`; the threads in force stand for "all"), or to
    ``blas_threads`` when given.  Yields the count; puts the count in force
    before the block back afterwards, even on an error.

    Entering costs about 20 us: use it once per call, not per mini-batch.

    Raises ValueError for a ``blas_threads`` that is not None or a count >= 1.
    """
    n = check_threads(blas_threads)
    if n is None:
        n = choose(layer_products(sizes, rows), threads_in_force() or 1)
    with _controller().limit(limits=n, user_api="blas"):
        yield n
