"""SGD(compiled=True), the optional compiled epoch (nndl.compiled, Numba),
against the default numpy path: the same shuffle and the same steps, equal to
float tolerance (the compiled sums run in another order and its exp and tanh
are not numpy's, so not bit for bit)."""

import importlib
import itertools
import sys

import numpy as np
import pytest

import network
from nndl import training

numba = pytest.importorskip("numba")
from nndl import compiled  # noqa: E402

RTOL = {np.float64: 1e-10, np.float32: 2e-4}  # relative to the largest entry


def data(n, dtype, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 20)).astype(dtype)
    X[rng.random(X.shape) < 0.5] = 0
    return X, rng.integers(0, 4, n)


def pair(dtype, **kw):
    return [network.Network([20, 9, 6, 4], seed=3, dtype=dtype, **kw) for _ in range(2)]


def assert_close(a, b, dtype):
    for p, q in zip(a.weights + a.biases, b.weights + b.biases):
        scale = float(np.abs(p).max())
        assert float(np.abs(p - q).max()) <= RTOL[dtype] * scale, (p, q)


@pytest.mark.parametrize("activation,cost", list(itertools.product(
    ("sigmoid", "tanh", "relu", "softsign"), ("quadratic", "cross_entropy", "log_likelihood"))))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("lmbda", [0.0, 5.0])
def test_compiled_steps_equal_numpys(activation, cost, dtype, lmbda):
    """Two epochs of 3 steps each, the last step 3 examples (a partial batch)."""
    a, b = pair(dtype, activation=activation, cost=cost)
    X, y = data(23, dtype)
    a.SGD((X, y), 2, 10, 0.5, lmbda=lmbda, verbose=False)
    b.SGD((X, y), 2, 10, 0.5, lmbda=lmbda, verbose=False, compiled=True)
    assert_close(a, b, dtype)
    # the same shuffles: each generator was drawn from alike
    assert a.rng.bit_generator.state == b.rng.bit_generator.state


@pytest.mark.parametrize("m", [1, 4, 10, 100])
def test_compiled_epoch_over_many_steps(m):
    """The book's network shape in small, a whole epoch of every mini-batch size
    (1: every row a remainder of the 4 x 4 blocks; 100: one batch)."""
    a, b = (network.Network([20, 30, 10], seed=0) for _ in range(2))
    X, y = data(250, np.float64)
    ha = a.SGD((X, y), 1, m, 3.0, verbose=False, test_data=(X, y))
    hb = b.SGD((X, y), 1, m, 3.0, verbose=False, test_data=(X, y), compiled=True)
    assert_close(a, b, np.float64)
    assert ha.test_accuracy == hb.test_accuracy


def test_blas_products_equal_the_loops():
    """Backpropagation's products through numpy's BLAS (large layers) give the
    steps that the loops give (small ones): both forced here on a small net."""
    if compiled.BLAS is None:
        pytest.skip("numpy's BLAS is not OpenBLAS: the compiled path uses its loops")
    X, y = data(37, np.float32)
    nets = []
    for blas_from in (0, 2**62):
        net = network.Network([20, 9, 6, 4], seed=3, dtype=np.float32)
        run = training.checked_run(net, (X, y), 1, 10, 0.5, None, 5.0, None,
                                   training.Monitor(), False, None)
        compiled.Step(net, 0.5, 1 - 0.5 * 5.0 / 37, 10, blas_from).epoch(run.train, 10, net.rng)
        nets.append(net)
    assert_close(*nets, np.float32)


def test_without_numba_the_error_names_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    monkeypatch.delitem(sys.modules, "nndl.compiled")
    net = network.Network([20, 5, 4], seed=0)
    with pytest.raises(ImportError, match=r"pip install 'nndl-init\[fast\]'.*compiled=False"):
        net.SGD(data(10, np.float64), 1, 5, 1.0, verbose=False, compiled=True)
    monkeypatch.undo()
    importlib.import_module("nndl.compiled")


def test_the_default_path_needs_no_numba():
    """Importing network does not import Numba (half a second): only compiled=True does."""
    import subprocess

    code = "import network, sys; print('numba' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=network.__file__.rsplit("/", 1)[0])
    assert done.stdout.strip() == "False", done.stderr
