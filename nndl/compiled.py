"""nndl.compiled
~~~~~~~~~~~~~~

An optional compiled training epoch (Numba, the extra ``fast``): the same
gradient steps as :func:`nndl.fused.backprop`, for the whole epoch in one call.

Why: at mini-batch 10 a numpy step is some 30 numpy calls (5 matrix products,
the rest elementwise work on 100 to 300 numbers), each with its fixed cost,
and OpenBLAS's products of these skinny shapes cost more in their set-up
(packing the weights) than in their arithmetic.  A compiled epoch does the
gathering, both passes and the update in loops, with no call between them,
as ``jax.jit`` over ``lax.scan`` does.

The numbers equal the numpy path's to float tolerance, not bit for bit: the
sums are taken in another order (and ``exp`` and ``tanh`` are not numpy's),
so the default stays the numpy path, whose numbers the records are stamped
with.  ``tests/test_compiled.py`` holds the two together.
"""

from __future__ import annotations

import math

import numpy as np

try:
    import numba
except ImportError:  # the optional extra is not installed
    numba = None

HIDDEN = {"sigmoid": 0, "tanh": 1, "relu": 2, "softsign": 3}
OUTPUT = {"quadratic": 0, "cross_entropy": 1, "log_likelihood": 2}
# Reassociation lets the compiler vectorise the sums; no approximate
# functions and no assumption that every number is finite.
FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


def available() -> bool:
    """Whether Numba is installed (``pip install nndl-init[fast]``)."""
    return numba is not None


def _jit(fn):
    return numba.njit(fastmath=FASTMATH, cache=True, nogil=True)(fn) if numba else fn


@_jit
def _activate(row, code):
    """``row`` overwritten with f(row): the hidden activation ``code`` 0-3."""
    n = row.shape[0]
    if code == 0:
        for j in range(n):
            row[j] = 1.0 / (1.0 + math.exp(min(-row[j], 700.0)))
    elif code == 1:
        for j in range(n):
            row[j] = math.tanh(row[j])
    elif code == 2:
        for j in range(n):
            row[j] = max(row[j], 0.0)
    else:
        for j in range(n):
            row[j] = row[j] / (1.0 + abs(row[j]))


@_jit
def _prime(a, code):
    """f'(z) from the output ``a = f(z)`` of hidden activation ``code``."""
    if code == 0:
        return a * (1.0 - a)
    if code == 1:
        return 1.0 - a * a
    if code == 2:
        return 1.0 if a > 0 else 0.0
    p = 1.0 - abs(a)
    return p * p


@_jit
def _softmax(row):
    top = row.max()
    total = 0.0
    for j in range(row.shape[0]):
        row[j] = math.exp(row[j] - top)
        total += row[j]
    for j in range(row.shape[0]):
        row[j] /= total


@_jit
def _layer(a_in, w, b, a_out, mb):
    """``a_out[:mb] = a_in[:mb] @ w.T + b``, four output neurons at a time
    (each input number loaded once for four sums)."""
    n_out, n_in = w.shape
    zero = w.dtype.type(0)
    for i in range(mb):
        x = a_in[i]
        for j in range(0, n_out - 3, 4):
            w0, w1, w2, w3 = w[j], w[j + 1], w[j + 2], w[j + 3]
            s0 = s1 = s2 = s3 = zero
            for k in range(n_in):
                xk = x[k]
                s0 += xk * w0[k]
                s1 += xk * w1[k]
                s2 += xk * w2[k]
                s3 += xk * w3[k]
            a_out[i, j], a_out[i, j + 1] = s0 + b[j], s1 + b[j + 1]
            a_out[i, j + 2], a_out[i, j + 3] = s2 + b[j + 2], s3 + b[j + 3]
        for j in range(n_out - n_out % 4, n_out):
            s0 = zero
            wj = w[j]
            for k in range(n_in):
                s0 += x[k] * wj[k]
            a_out[i, j] = s0 + b[j]


@_jit
def _forward(A, W, B, mb, hidden, output):
    L = len(W)
    for l in range(L):
        _layer(A[l], W[l], B[l], A[l + 1], mb)
        for i in range(mb):
            row = A[l + 1][i]
            if l < L - 1:
                _activate(row, hidden)
            elif output == 2:
                _softmax(row)
            else:
                _activate(row, 0)


@_jit
def _output_error(a, y, d, mb, output, scale):
    """BP1 times ``scale``: (a - y) sigma'(z) for the quadratic cost, else a - y."""
    for i in range(mb):
        for j in range(a.shape[1]):
            e = a[i, j] - y[i, j]
            if output == 0:
                e *= a[i, j] * (1.0 - a[i, j])
            d[i, j] = e * scale


@_jit
def _back(d, w, a, back, mb, hidden):
    """BP2: ``back[:mb] = (d @ w) * f'(a)``, through the weights before this
    step, four rows of ``w`` at a time."""
    n_out, n_in = w.shape
    for i in range(mb):
        row, di = back[i], d[i]
        row[:] = 0
        for j in range(0, n_out - 3, 4):
            d0, d1, d2, d3 = di[j], di[j + 1], di[j + 2], di[j + 3]
            w0, w1, w2, w3 = w[j], w[j + 1], w[j + 2], w[j + 3]
            for k in range(n_in):
                row[k] += d0 * w0[k] + d1 * w1[k] + d2 * w2[k] + d3 * w3[k]
        for j in range(n_out - n_out % 4, n_out):
            d0, w0 = di[j], w[j]
            for k in range(n_in):
                row[k] += d0 * w0[k]
        ai = a[i]
        for k in range(n_in):
            row[k] *= _prime(ai[k], hidden)


@_jit
def _update(d, a, w, b, mb, decay):
    """BP3 and BP4, subtracted: ``w = decay w - d.T @ a``, ``b -= sum(d)``,
    four examples at a time."""
    n_out, n_in = w.shape
    for j in range(n_out):
        wj = w[j]
        if decay != 1:
            for k in range(n_in):
                wj[k] *= decay
        s = w.dtype.type(0)
        for i in range(mb):
            s += d[i, j]
        b[j] -= s
        for i in range(0, mb - 3, 4):
            d0, d1, d2, d3 = d[i, j], d[i + 1, j], d[i + 2, j], d[i + 3, j]
            a0, a1, a2, a3 = a[i], a[i + 1], a[i + 2], a[i + 3]
            for k in range(n_in):
                wj[k] -= d0 * a0[k] + d1 * a1[k] + d2 * a2[k] + d3 * a3[k]
        for i in range(mb - mb % 4, mb):
            d0, a0 = d[i, j], a[i]
            for k in range(n_in):
                wj[k] -= d0 * a0[k]


@_jit
def _epoch(X, Y, order, m, W, B, A, D, scale, scale_last, decay, hidden, output):
    """One epoch of mini-batch SGD over ``X[order]``, ``m`` rows a step."""
    n = order.shape[0]
    L = len(W)
    for start in range(0, n, m):
        mb = min(m, n - start)
        x, y = A[0], D[L]  # D[L] holds the batch's targets
        for i in range(mb):
            x[i, :] = X[order[start + i]]
            y[i, :] = Y[order[start + i]]
        _forward(A, W, B, mb, hidden, output)
        _output_error(A[L], y, D[L - 1], mb, output, scale if mb == m else scale_last)
        for l in range(L - 1, -1, -1):
            if l > 0:
                _back(D[l], W[l], A[l], D[l - 1], mb, hidden)
            _update(D[l], A[l], W[l], B[l], mb, decay)


class Step:
    """Whole epochs of ``net.SGD`` with the compiled kernels: the same shuffle
    (one ``rng.permutation`` an epoch, as :func:`nndl.training.mini_batches`
    draws) and the same steps as :class:`nndl.training.Step`, to float
    tolerance.  ``eta``, ``decay`` (``1 - eta lmbda / n``) and the mini-batch
    size ``m`` are fixed for the run; the work buffers are made once."""

    def __init__(self, net, eta: float, decay: float, m: int) -> None:
        if numba is None:
            raise ImportError("compiled=True needs Numba, the optional extra 'fast': "
                              "pip install 'nndl-init[fast]' (or pip install numba), or "
                              "leave compiled=False")
        dtype, sizes = net.dtype, net.sizes
        self.net, self.m, self.eta = net, m, eta
        self.decay = dtype.type(decay)
        self.A = tuple(np.empty((m, s), dtype) for s in sizes)  # each layer's activations
        self.D = tuple(np.empty((m, s), dtype) for s in (*sizes[1:], sizes[-1]))  # errors, Y
        self.codes = HIDDEN[net.activation], OUTPUT[net.cost]

    def epoch(self, data, m: int, rng: np.random.Generator) -> None:
        """One epoch over ``data`` (:class:`nndl.data.Data`), shuffled with ``rng``."""
        net, t = self.net, self.net.dtype.type
        order = rng.permutation(len(data))
        last = len(data) % m or m
        _epoch(data.X, data.Y, order, m, tuple(net.weights),
               tuple(b.reshape(-1) for b in net.biases), self.A, self.D, t(self.eta / m),
               t(self.eta / last), self.decay, *self.codes)
