"""nndl.cblas
~~~~~~~~~~~

numpy's own BLAS ``gemm``, called directly, for the one product numpy cannot
ask of it: the weight update of gradient descent as a single call,

    w <- w - delta.T @ a        (gemm with alpha = -1 and beta = 1)

rather than ``delta.T @ a`` into a buffer and a subtraction over the whole
weight matrix.  For the book's first layer at mini-batch 10 that
subtraction is a pass over 23,520 numbers in every step, about as long as
the product itself.

The fused call must round exactly as the two calls do, or a seed would
train to other numbers.  It does whenever BLAS adds each product of the
``K = m`` terms into one accumulator and then makes ``w - acc`` in one
rounding, which is what OpenBLAS's kernels do for small ``K``; with ``K``
split into blocks (large mini-batches) it would round twice.  So a fused
update is used only for ``K <= MAX_K`` and after :func:`matches` has found
it bit-identical to numpy's two calls, on that very shape and dtype, on this
machine; anywhere else, and for any BLAS other than OpenBLAS, the two
numpy calls are made.
"""

from __future__ import annotations

import ctypes
import functools
from typing import NamedTuple

import numpy as np
from threadpoolctl import threadpool_info

ROW_MAJOR, N, T = 101, 111, 112  # CBLAS's constants: row-major, no transpose, transpose
MAX_K = 64  # the largest mini-batch fused: below every OpenBLAS kernel's K block
# From this many weights, one call beats numpy's two.  Measured at mini-batch 10
# (Haswell kernel, one thread), numpy's product and subtraction against the one
# call: 300 weights 1.44 against 1.55 us, 3,000 3.26 against 2.68 us, 23,520
# (the book's first layer) 15.9 against 11.6 us.
MIN_SIZE = 2048


class Library(NamedTuple):
    """Where numpy's OpenBLAS ``gemm`` is: ``path``, the symbols' ``prefix`` and
    ``suffix`` (numpy's wheels: ``scipy_cblas_dgemm64_``), ``int64`` for
    64-bit integers, and threadpoolctl's ``kernel`` name (``"Haswell"``)."""

    path: str
    prefix: str
    suffix: str
    int64: bool
    kernel: str | None


def numpy_openblas() -> Library | None:
    """The CBLAS ``gemm`` of the OpenBLAS numpy uses, so that the products are
    numpy's own; None for another BLAS (MKL, Accelerate)."""
    for lib in threadpool_info():
        if lib.get("internal_api") != "openblas":
            continue
        cdll = ctypes.CDLL(lib["filepath"])
        for prefix in ("scipy_cblas_", "cblas_"):
            for suffix, int64 in (("64_", True), ("", False)):
                if hasattr(cdll, f"{prefix}dgemm{suffix}"):
                    return Library(lib["filepath"], prefix, suffix, int64,
                                   lib.get("architecture"))
    return None


@functools.cache
def gemm(dtype: np.dtype):
    """numpy's OpenBLAS ``cblas_?gemm`` for ``dtype`` (float32 or float64) as
    a ctypes function, or None."""
    lib = numpy_openblas()
    if lib is None:
        return None
    f = getattr(ctypes.CDLL(lib.path), f"{lib.prefix}{'s' if dtype == np.float32 else 'd'}"
                                        f"gemm{lib.suffix}")
    integer = ctypes.c_int64 if lib.int64 else ctypes.c_int32
    real = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    pointer, flag = ctypes.c_void_p, ctypes.c_int
    f.argtypes = [flag, flag, flag, integer, integer, integer, real, pointer, integer,
                  pointer, integer, real, pointer, integer]
    f.restype = None
    return f


def subtract_product(w: np.ndarray, delta: np.ndarray, a: np.ndarray):
    """A call with no arguments that makes ``w -= delta.T @ a`` in place, in one
    ``gemm``, bit for bit as numpy's two calls; None where that cannot be
    promised (see the module's notes) or for a read-only ``w``.  ``w`` is
    ``(n_out, n_in)``, ``delta`` ``(m, n_out)`` and ``a`` ``(m, n_in)``, all
    C-contiguous and kept alive by the caller: the call holds their
    addresses, not the arrays."""
    (m, n_out), n_in = delta.shape, a.shape[1]
    # numpy refuses to write into a read-only array (a memory map, bytes); BLAS would not
    if not (w.size >= MIN_SIZE and m <= MAX_K and w.shape == (n_out, n_in) and w.flags.writeable
            and all(x.flags.c_contiguous and x.dtype == w.dtype for x in (w, delta, a))
            and matches(n_out, n_in, m, w.dtype)):
        return None
    return functools.partial(gemm(w.dtype), *_arguments(w, delta, a))


def _arguments(w: np.ndarray, delta: np.ndarray, a: np.ndarray) -> tuple:
    """``cblas_?gemm``'s arguments for ``w = -1 * delta.T @ a + 1 * w``, row-major."""
    (m, n_out), n_in = delta.shape, a.shape[1]
    return (ROW_MAJOR, T, N, n_out, n_in, m, -1.0, delta.ctypes.data, n_out, a.ctypes.data,
            n_in, 1.0, w.ctypes.data, n_in)


@functools.cache
def matches(n_out: int, n_in: int, m: int, dtype: np.dtype) -> bool:
    """Whether the fused ``w -= delta.T @ a`` gives the very bits of numpy's
    ``w - delta.T @ a`` for these shapes, on random numbers: checked once per
    shape in a process."""
    f = gemm(dtype)
    if f is None:
        return False
    rng = np.random.default_rng(0)
    w, delta, a = (rng.standard_normal(s).astype(dtype) for s in
                   ((n_out, n_in), (m, n_out), (m, n_in)))
    expected = w - delta.T @ a
    f(*_arguments(w, delta, a))
    return bool(np.array_equal(w, expected))
