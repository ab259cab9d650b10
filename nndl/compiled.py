"""nndl.compiled
~~~~~~~~~~~~~~

An optional compiled training epoch (Numba, the extra ``fast``): the same
gradient steps as :func:`nndl.fused.step`, for the whole epoch in one call.

Why: at mini-batch 10 a numpy step is some 30 numpy calls (5 matrix products,
the rest elementwise work on 100 to 300 numbers), each with its fixed cost,
and OpenBLAS's products of these skinny shapes cost more in their set-up
(packing the weights) than in their arithmetic.  A compiled epoch does the
gathering, both passes and the update in loops, with no call between them,
as ``jax.jit`` over ``lax.scan`` does.

The numbers equal the numpy path's to float tolerance, not bit for bit: the
sums are taken in another order, ``tanh`` is the C library's and ``exp`` is
:func:`fast_exp`, written here so that the sigmoid's and softmax's loops
compile to SIMD (Numba calls the C library's ``exp`` one number at a time),
within 2 ulp of numpy's.  So the default stays the numpy path, whose numbers
the records are stamped with.  ``tests/test_compiled.py`` holds the two
together.  A seed repeats a compiled run bit for bit on one machine, whether
the epoch was compiled in the process or loaded from Numba's disk cache
(the helpers are inlined into the epoch: see ``_inline``).

Large layers (from ``BLAS_FROM`` multiply-adds a product, such as the depth
study's 1000 x 1000) send their three products to numpy's own OpenBLAS,
linked by symbol, when its kernel beats the loops (AVX-512's ``SkylakeX``)
or it has several threads: the forward ``a @ w.T``, the error carried back
``d @ w``, and the update as one call, ``w = decay w - d.T @ a``.  Which
route is a function of the BLAS kernel and thread count
(:func:`choose_blas_from`), never of a timing, so a kind of machine always
computes the same numbers; the two routes agree to float tolerance.
"""

from __future__ import annotations

import math

import llvmlite.binding
import numba
import numpy as np
from numba import types
from numba.extending import overload

import blas
from nndl.activations import EXP_MAX
from nndl.cblas import ROW_MAJOR, N, T, numpy_openblas

HIDDEN = {"sigmoid": 0, "tanh": 1, "relu": 2, "softsign": 3}
OUTPUT = {"quadratic": 0, "cross_entropy": 1, "log_likelihood": 2}
# Reassociation lets the compiler vectorise the sums; no approximate
# functions and no assumption that every number is finite.
FASTMATH = {"reassoc", "contract", "nsz", "arcp"}
# From this size, in multiply-adds (mb * n_in * n_out, the same for a layer's
# three products), a layer's products go to numpy's BLAS instead of the loops
# below, when choose_blas_from says BLAS can win here.  Chosen from what
# threadpoolctl reports of the BLAS, never by timing during the run, so that
# one kind of machine always takes the same route and computes the same
# numbers.  Measured with
#     python -m benchmarks.compiled_blas [--blas-threads 2]
# (a layer's three products, loops against BLAS, float32 and float64, sizes
# 2.4e5 to 1e8) on AMD EPYC with AVX-512, OpenBLAS 0.3.31, pinned to one core
# for one thread.  The loops are compiled for the CPU itself (AVX-512 here);
# the BLAS kernel is the one OpenBLAS picks, or OPENBLAS_CORETYPE names:
# * Haswell (AVX2), 1 thread: BLAS lost at every size, by 1.12x to 1.88x.
# * SkylakeX (AVX-512), 1 thread: BLAS won from 9.0e6 (float32) and 7.8e6
#   (float64) on, by up to 1.3x (float32) and 1.5x (float64) at 100 x 1000
#   -> 1000; it lost by 1.05x to 1.14x at mini-batch 100's 2.4e6 and 7.8e6
#   (it won at mini-batch 10's 2.4e5 and 7.8e5, which a size rule leaves
#   to the loops).
# * Haswell, 2 threads (the loops keep one): BLAS won from 2.4e6 on, by
#   1.03x to 1.5x from 9e6, where blas.THRESHOLD also gives SGD its threads.
# Other kernels are not measured and keep the loops on one thread.
BLAS_FROM = 9_000_000
NEVER = 2**62  # a size no product reaches
FASTER_KERNELS = frozenset({"SkylakeX"})  # one thread of these beats the loops
BLAS = numpy_openblas()  # where numpy's own gemm is, or None for another BLAS


def _jit(fn, inline="never"):
    # Cached to disk only when the BLAS symbols are there to link against.
    # numpy's error model: a division gives inf or NaN, as numpy's does, with
    # no test for zero, whose branch to an exception keeps LLVM from
    # vectorising a loop (the sigmoid's 1 / (1 + exp(-z)), the softsign's).
    return numba.njit(fastmath=FASTMATH, cache=BLAS is not None, nogil=True,
                      error_model="numpy", inline=inline)(fn)


def _inline(fn):
    # A helper of the epoch, inlined into its caller by Numba (in Numba's IR,
    # before LLVM), so that the epoch's machine code holds all of its own
    # arithmetic.  Called as a function, a helper would run either its own
    # compiled copy (in the process that compiled it, which loaded that copy
    # first) or the copy inside the epoch's cached object, which LLVM
    # optimised again after linking it in; with reassociation allowed the two
    # round differently, and a seed would give other numbers once the epoch
    # comes from Numba's disk cache (tests/test_compiled.py).  fast_exp stays
    # an overload of its own (inlined by LLVM, which keeps its flags): inlined
    # by Numba it would take the caller's reassociation.
    return _jit(fn, inline="always")


if BLAS is not None:
    llvmlite.binding.load_library_permanently(BLAS.path)
    # A pointer passes as a machine word (x86-64, arm64).
    _I, _P = types.int64 if BLAS.int64 else types.int32, types.uintp

    def _external(t, real):
        return types.ExternalFunction(f"{BLAS.prefix}{t}gemm{BLAS.suffix}", types.void(
            types.int32, types.int32, types.int32, _I, _I, _I, real, _P, _I, _P, _I, real, _P, _I))

    _sgemm, _dgemm = _external("s", types.float32), _external("d", types.float64)

    @_inline
    def _gemm(ta, tb, m, n, k, alpha, a, b, beta, c):
        """``c = alpha op(a) op(b) + beta c`` by numpy's BLAS, row-major
        (``op`` transposes for ``T``); ``c`` has ``n`` columns, its first ``m`` rows."""
        lda, ldb = a.shape[1], b.shape[1]
        if c.itemsize == 4:  # float32
            _sgemm(ROW_MAJOR, ta, tb, m, n, k, np.float32(alpha), a.ctypes.data, lda,
                   b.ctypes.data, ldb, np.float32(beta), c.ctypes.data, n)
        else:
            _dgemm(ROW_MAJOR, ta, tb, m, n, k, np.float64(alpha), a.ctypes.data, lda,
                   b.ctypes.data, ldb, np.float64(beta), c.ctypes.data, n)
else:
    @_inline
    def _gemm(ta, tb, m, n, k, alpha, a, b, beta, c):
        raise NotImplementedError("no BLAS")


# ---- exp, vectorisable ------------------------------------------------------
# Numba calls the C library's exp one number at a time; this one is plain
# arithmetic that LLVM turns into SIMD loops (AVX-512 here): about 4 times
# as fast on a row.  Cody & Waite's reduction (1980), x = n ln2 + r with
# |r| <= ln2 / 2 and ln2 split in two parts (the high one with enough zero
# bits that n times it is exact), then the Taylor series of exp(r) to the
# degree that rounds below the last bit (13 in float64, 7 in float32), then
# the factor 2^n built in two halves from the exponent bits, so that results
# in the subnormal range round once and x beyond the range gives 0 or inf.
EXACT = {"contract"}  # reassociation would undo the split of ln2
LOG2E = 1.4426950408889634


def fast_exp(x):
    """``e ** x`` for a float32 or float64 number ``x``; in compiled code
    vectorised by LLVM and within 2 ulp of ``np.exp`` (at most 1 in float64
    and 2 in float32 measured, ``tests/test_compiled.py``), for any ``x``
    (-inf and inf give 0 and inf, NaN gives NaN).  Python: ``np.exp``."""
    return np.exp(x)


def _exp_of(t, it, mantissa, degree, ln2_hi, ln2_lo, lo, hi):
    """The compiled ``fast_exp`` for float type ``t``, whose bits ``it`` holds:
    ``mantissa`` bits, clamped to [lo, hi], where exp is 0 and inf."""
    bias = it(np.finfo(t).maxexp - 1)
    taylor = tuple(t(1 / math.factorial(k)) for k in range(degree, -1, -1))
    ln2_hi, ln2_lo, lo, hi, log2e, half = map(t, (ln2_hi, ln2_lo, lo, hi, LOG2E, 0.5))

    def exp(x):
        x = lo if x < lo else (hi if x > hi else x)  # NaN passes
        nf = np.floor(x * log2e + half)
        r = (x - nf * ln2_hi) - nf * ln2_lo
        p = taylor[0]
        for c in taylor[1:]:
            p = p * r + c
        n = it(nf)
        n1 = n >> 1
        return (p * it((n1 + bias) << mantissa).view(t)) * it((n - n1 + bias) << mantissa).view(t)
    return exp


@overload(fast_exp, jit_options={"fastmath": EXACT})
def _fast_exp(x):
    if isinstance(x, types.Float):
        if x.bitwidth == 32:
            return _exp_of(np.float32, np.int32, 23, 7, 0.693359375, -2.12194440e-4, -104, 89)
        return _exp_of(np.float64, np.int64, 52, 13, 6.93147180369123816490e-01,
                       1.90821492927058770002e-10, -746, 710)
    return None


@_jit
def exp_(a):
    """``a`` (1-d) overwritten with :func:`fast_exp` of each entry, for tests."""
    for j in range(a.shape[0]):
        a[j] = fast_exp(a[j])
    return a


@_inline
def _activate(row, code, exp_max):
    """``row`` overwritten with f(row): the hidden activation ``code`` 0-3, as
    in :mod:`nndl.activations` (the sigmoid clamped as there)."""
    one = row.dtype.type(1)
    if code == 0:
        for j in range(row.shape[0]):
            row[j] = one / (one + fast_exp(min(-row[j], exp_max)))
    elif code == 1:
        for j in range(row.shape[0]):
            row[j] = math.tanh(row[j])
    elif code == 2:
        for j in range(row.shape[0]):
            row[j] = max(row[j], 0)
    else:
        for j in range(row.shape[0]):
            row[j] = row[j] / (one + abs(row[j]))


@_inline
def _prime(a, code):
    """f'(z) from the output ``a = f(z)`` of hidden activation ``code``."""
    one = a - a + 1
    if code == 0:
        return (one - a) * a
    if code == 1:
        return one - a * a
    if code == 2:
        return one if a > 0 else one - one
    p = one - abs(a)
    return p * p


@_inline
def _softmax(row):
    # the largest by a loop, not row.max(): Numba's max is a function of its
    # own, which the epoch would call (see _inline)
    top, total = row[0], row.dtype.type(0)
    for j in range(1, row.shape[0]):
        top = max(top, row[j])
    for j in range(row.shape[0]):
        row[j] = fast_exp(row[j] - top)
        total += row[j]
    for j in range(row.shape[0]):
        row[j] /= total


@_inline
def _dots(a_in, w, z, mb):
    """``z[:mb] = a_in[:mb] @ w.T`` in loops: dot products of contiguous rows,
    in blocks of four examples by four neurons, so that each number loaded
    serves four sums (about twice OpenBLAS's speed on these shapes)."""
    n_out = w.shape[0]
    mb4, n4 = mb - mb % 4, n_out - n_out % 4
    for j in range(0, n4, 4):
        for i in range(0, mb4, 4):
            _block44(a_in, w, z, i, j)
    for i in range(0, mb4, 4):
        for j in range(n4, n_out):
            _block41(a_in, w, z, i, j)
    for i in range(mb4, mb):
        for j in range(n_out):
            s = w.dtype.type(0)
            x, wj = a_in[i], w[j]
            for k in range(w.shape[1]):
                s += x[k] * wj[k]
            z[i, j] = s


@_inline
def _block44(a, w, z, i, j):
    """``z[i:i+4, j:j+4] = a[i:i+4] @ w[j:j+4].T``."""
    x0, x1, x2, x3 = a[i], a[i + 1], a[i + 2], a[i + 3]
    w0, w1, w2, w3 = w[j], w[j + 1], w[j + 2], w[j + 3]
    s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = w.dtype.type(0)
    s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = w.dtype.type(0)
    for k in range(w.shape[1]):
        a0, a1, a2, a3, b0, b1, b2, b3 = x0[k], x1[k], x2[k], x3[k], w0[k], w1[k], w2[k], w3[k]
        s00, s01, s02, s03 = s00 + a0 * b0, s01 + a0 * b1, s02 + a0 * b2, s03 + a0 * b3
        s10, s11, s12, s13 = s10 + a1 * b0, s11 + a1 * b1, s12 + a1 * b2, s13 + a1 * b3
        s20, s21, s22, s23 = s20 + a2 * b0, s21 + a2 * b1, s22 + a2 * b2, s23 + a2 * b3
        s30, s31, s32, s33 = s30 + a3 * b0, s31 + a3 * b1, s32 + a3 * b2, s33 + a3 * b3
    z[i, j], z[i, j + 1], z[i, j + 2], z[i, j + 3] = s00, s01, s02, s03
    z[i + 1, j], z[i + 1, j + 1], z[i + 1, j + 2], z[i + 1, j + 3] = s10, s11, s12, s13
    z[i + 2, j], z[i + 2, j + 1], z[i + 2, j + 2], z[i + 2, j + 3] = s20, s21, s22, s23
    z[i + 3, j], z[i + 3, j + 1], z[i + 3, j + 2], z[i + 3, j + 3] = s30, s31, s32, s33


@_inline
def _block41(a, w, z, i, j):
    """``z[i:i+4, j] = a[i:i+4] @ w[j]``."""
    x0, x1, x2, x3, wj = a[i], a[i + 1], a[i + 2], a[i + 3], w[j]
    s0 = s1 = s2 = s3 = w.dtype.type(0)
    for k in range(w.shape[1]):
        b = wj[k]
        s0, s1, s2, s3 = s0 + x0[k] * b, s1 + x1[k] * b, s2 + x2[k] * b, s3 + x3[k] * b
    z[i, j], z[i + 1, j], z[i + 2, j], z[i + 3, j] = s0, s1, s2, s3


@_inline
def forward(A, W, B, mb, hidden, output, exp_max, blas_from):
    """Each layer's activations for the first ``mb`` rows of ``A[0]``: ``z =
    a @ w.T`` by BLAS from ``blas_from`` multiply-adds on, else by the loops."""
    L = len(W)
    rows = min(mb + (-mb) % 4, A[0].shape[0])  # whole blocks of 4 (the rest unused)
    for l in range(L):
        w, z, b = W[l], A[l + 1], B[l]
        if mb * w.shape[0] * w.shape[1] >= blas_from:
            _gemm(N, T, mb, w.shape[0], w.shape[1], 1.0, A[l], w, 0.0, z)
        else:
            _dots(A[l], w, z, rows)
        for i in range(mb):
            row = z[i]
            for j in range(row.shape[0]):
                row[j] += b[j]
            if l < L - 1:
                _activate(row, hidden, exp_max)
            elif output == 2:
                _softmax(row)
            else:
                _activate(row, 0, exp_max)


@_inline
def _output_error(a, y, d, mb, output, scale):
    """BP1 times ``scale``: (a - y) sigma'(z) for the quadratic cost, else a - y."""
    one = scale - scale + 1
    for i in range(mb):
        for j in range(a.shape[1]):
            e = a[i, j] - y[i, j]
            if output == 0:
                e *= (one - a[i, j]) * a[i, j]
            d[i, j] = e * scale


@_inline
def backward(d, w, a, back, mb, hidden, blas_from):
    """BP2: ``back[:mb] = (d @ w) * f'(a)``, through the weights before this step."""
    n_out, n_in = w.shape
    if mb * n_in * n_out >= blas_from:
        _gemm(N, N, mb, n_in, n_out, 1.0, d, w, 0.0, back)
        sign = 1
    else:  # -back, as the update's blocks subtract: d.T holds the coefficients
        for i in range(mb):
            for k in range(n_in):
                back[i, k] = 0
        for i in range(0, mb - mb % 4, 4):
            _subtract4(d.T, w, back, i, n_out)
        for i in range(mb - mb % 4, mb):
            _subtract1(d.T, w, back, i, n_out)
        sign = -1
    for i in range(mb):
        row, ai = back[i], a[i]
        for k in range(n_in):
            row[k] *= sign * _prime(ai[k], hidden)


@_inline
def update(d, a, w, b, mb, decay, blas_from, total):
    """BP3 and BP4, subtracted: ``w = decay w - d.T @ a`` (one BLAS call from
    ``blas_from`` multiply-adds on, else the loops), ``b -= sum(d)`` (the
    biases not decayed, as L2 leaves them in the book); ``total`` is work
    space of at least ``b``'s length."""
    n_out, n_in = w.shape
    _subtract_sums(d, b, mb, total)
    if mb * n_in * n_out >= blas_from:
        _gemm(T, N, n_out, n_in, mb, -1.0, d, a, decay, w)
        return
    if decay != 1:
        for j in range(n_out):
            for k in range(n_in):
                w[j, k] *= decay
    n4 = n_out - n_out % 4
    for j in range(0, n4, 4):
        _subtract4(d, a, w, j, mb)
    for j in range(n4, n_out):
        _subtract1(d, a, w, j, mb)


@_inline
def _subtract_sums(d, b, mb, total):
    """``b -= d[:mb].sum(axis=0)``: each column summed from ``d[0]`` down,
    the rows added whole (contiguous, so the adds are vectorised, where a
    column at a time would wait on each add in turn)."""
    n = b.shape[0]
    for j in range(n):
        total[j] = d[0, j]
    for i in range(1, mb):
        row = d[i]
        for j in range(n):
            total[j] += row[j]
    for j in range(n):
        b[j] -= total[j]


@_inline
def _subtract4(d, a, w, j, mb):
    """``w[j:j+4] -= d[:mb, j:j+4].T @ a[:mb]``, four examples at a time:
    each loaded number of ``a`` serves four weight rows."""
    w0, w1, w2, w3 = w[j], w[j + 1], w[j + 2], w[j + 3]
    for i in range(0, mb - mb % 4, 4):
        a0, a1, a2, a3 = a[i], a[i + 1], a[i + 2], a[i + 3]
        d00, d01, d02, d03 = d[i, j], d[i + 1, j], d[i + 2, j], d[i + 3, j]
        d10, d11, d12, d13 = d[i, j + 1], d[i + 1, j + 1], d[i + 2, j + 1], d[i + 3, j + 1]
        d20, d21, d22, d23 = d[i, j + 2], d[i + 1, j + 2], d[i + 2, j + 2], d[i + 3, j + 2]
        d30, d31, d32, d33 = d[i, j + 3], d[i + 1, j + 3], d[i + 2, j + 3], d[i + 3, j + 3]
        for k in range(a.shape[1]):
            b0, b1, b2, b3 = a0[k], a1[k], a2[k], a3[k]
            w0[k] -= d00 * b0 + d01 * b1 + d02 * b2 + d03 * b3
            w1[k] -= d10 * b0 + d11 * b1 + d12 * b2 + d13 * b3
            w2[k] -= d20 * b0 + d21 * b1 + d22 * b2 + d23 * b3
            w3[k] -= d30 * b0 + d31 * b1 + d32 * b2 + d33 * b3
    for i in range(mb - mb % 4, mb):
        ai, e0, e1, e2, e3 = a[i], d[i, j], d[i, j + 1], d[i, j + 2], d[i, j + 3]
        for k in range(a.shape[1]):
            w0[k] -= e0 * ai[k]
            w1[k] -= e1 * ai[k]
            w2[k] -= e2 * ai[k]
            w3[k] -= e3 * ai[k]


@_inline
def _subtract1(d, a, w, j, mb):
    """``w[j] -= d[:mb, j] @ a[:mb]``."""
    wj = w[j]
    for i in range(mb):
        ai, dij = a[i], d[i, j]
        for k in range(a.shape[1]):
            wj[k] -= dij * ai[k]


@_inline
def _copy(source, target):
    """``target[:] = source``, as a loop: 3 times as fast as Numba's slice
    assignment for the rows of a mini-batch."""
    for k in range(source.shape[0]):
        target[k] = source[k]


@_jit
def _epoch(X, Y, order, m, W, B, A, D, scale, scale_last, decay, hidden, output, exp_max,
           blas_from):
    """One epoch of mini-batch SGD over ``X[order]``, ``m`` rows a step."""
    n, L = order.shape[0], len(W)
    x, y = A[0], D[L]  # D[L] holds the batch's targets
    width = 0
    for l in range(L):
        width = max(width, W[l].shape[0])
    total = np.empty(width, x.dtype)  # the bias gradient's sums
    for start in range(0, n, m):
        mb = min(m, n - start)
        for i in range(mb):
            _copy(X[order[start + i]], x[i])
            _copy(Y[order[start + i]], y[i])
        forward(A, W, B, mb, hidden, output, exp_max, blas_from)
        _output_error(A[L], y, D[L - 1], mb, output, scale if mb == m else scale_last)
        for l in range(L - 1, -1, -1):
            if l > 0:
                backward(D[l], W[l], A[l], D[l - 1], mb, hidden, blas_from)
            update(D[l], A[l], W[l], B[l], mb, decay, blas_from, total)


def choose_blas_from(kernel: str | None, threads: int) -> int:
    """The size, in multiply-adds, from which a layer's three products (``a @
    w.T``, ``d @ w``, ``d.T @ a``) go to numpy's BLAS rather than the loops,
    when OpenBLAS runs ``kernel`` (threadpoolctl's ``architecture``) on
    ``threads`` threads: ``BLAS_FROM`` for a kernel measured to beat the
    loops on one thread, or for several threads (the loops have one core),
    else ``NEVER``.  A function of what the machine is, not of timings, so
    that the same kind of machine takes the same route."""
    return BLAS_FROM if kernel in FASTER_KERNELS or threads > 1 else NEVER


class Step:
    """Whole epochs of ``net.SGD`` with the compiled kernels: the same shuffle
    (one ``rng.permutation`` an epoch, as :func:`nndl.fused.epoch`
    draws) and the same steps as :class:`nndl.training.Step`, to float
    tolerance.  ``eta``, ``decay`` (``1 - eta lmbda / n``) and the mini-batch
    size ``m`` are fixed for the run; the work buffers are made once."""

    def __init__(self, net, eta: float, decay: float, m: int, blas_from: int | None = None
                 ) -> None:
        dtype, sizes = net.dtype, net.sizes
        self.blas_from = blas_from  # None: choose_blas_from's, each epoch
        self.net, self.m, self.eta, self.t = net, m, eta, dtype.type
        self.decay = dtype.type(decay)
        rows = m + (-m) % 4  # forward computes whole blocks of 4 rows
        self.A = tuple(np.zeros((rows, s), dtype) for s in sizes)  # each layer's activations
        self.D = tuple(np.empty((m, s), dtype) for s in (*sizes[1:], sizes[-1]))  # errors, Y
        self.codes = HIDDEN[net.activation], OUTPUT[net.cost], EXP_MAX[dtype][()]

    def epoch(self, data, m: int, rng: np.random.Generator) -> None:
        """One epoch over ``data`` (:class:`nndl.data.Data`), shuffled with ``rng``."""
        net, t = self.net, self.t
        order = rng.permutation(len(data))
        last = len(data) % m or m
        blas_from = self.blas_from
        if blas_from is None:
            blas_from = NEVER if BLAS is None else choose_blas_from(
                BLAS.kernel, blas.threads_in_force() or 1)
        _epoch(data.X, data.Y, order, m, tuple(net.weights),
               tuple(b[:, 0] for b in net.biases), self.A, self.D, t(self.eta / m),
               t(self.eta / last), self.decay, *self.codes, blas_from)
