"""The speed path of an epoch (nndl.fused.epoch, nndl.cblas) computes what
one update_mini_batch per mini-batch computes, bit for bit, and the checks of
large inputs (nndl.data.row_sums) find every NaN and infinity."""

import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import blas
import network
from nndl import cblas, data


def _arrays(n, seed):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784)), rng.integers(0, 10, n)


def _step_by_step(net, X, y, m, eta, lmbda):
    """What one epoch of SGD does, one update_mini_batch at a time."""
    order = net.rng.permutation(len(X))
    for k in range(0, len(X), m):
        rows = order[k:k + m]
        net.update_mini_batch((X[rows], y[rows]), eta, lmbda, len(X))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation,cost,lmbda", [
    ("sigmoid", "quadratic", 0.0), ("tanh", "cross_entropy", 5.0),
    ("relu", "log_likelihood", 0.0), ("softsign", "quadratic", 2.0)])
@pytest.mark.parametrize("sizes,m", [([784, 30, 10], 10), ([784, 70, 60, 10], 7),
                                     ([784, 10], 100)])
def test_an_epoch_is_its_mini_batch_steps_bit_for_bit(sizes, m, activation, cost, lmbda,
                                                      dtype):
    # 203 examples: the last mini-batch is short.  [784, 30, 10] at m = 10 takes
    # the fused subtraction of nndl.cblas where numpy's BLAS allows it; m = 100
    # never does (above cblas.MAX_K); the 70 x 60 layer is large enough too.
    X, y = _arrays(203, seed=1)
    X = X.astype(dtype)
    nets = [network.Network(sizes, seed=2, activation=activation, cost=cost, dtype=dtype)
            for _ in range(2)]
    nets[0].SGD((X, y), 1, m, 0.3, lmbda=lmbda, verbose=False)
    with blas.threads(sizes, m):  # SGD's thread count: a product split otherwise rounds otherwise
        _step_by_step(nets[1], X, y, m, 0.3, lmbda)
    for got, want in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases):
        np.testing.assert_array_equal(got, want)


def test_without_the_fused_subtraction_an_epoch_computes_the_same(monkeypatch):
    X, y = _arrays(95, seed=3)
    fused = network.Network([784, 30, 10], seed=4)
    fused.SGD((X, y), 2, 10, 3.0, verbose=False)
    monkeypatch.setattr(cblas, "subtract_product", lambda w, delta, a: None)
    plain = network.Network([784, 30, 10], seed=4)
    plain.SGD((X, y), 2, 10, 3.0, verbose=False)
    for got, want in zip(fused.weights + fused.biases, plain.weights + plain.biases):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_out,n_in,m", [(30, 784, 10), (100, 784, 1), (64, 64, 64),
                                          (50, 200, 3)])
def test_the_fused_subtraction_is_the_two_numpy_calls_where_it_is_offered(n_out, n_in, m,
                                                                           dtype):
    rng = np.random.default_rng(5)
    w = rng.standard_normal((n_out, n_in)).astype(dtype)
    delta, a = rng.standard_normal((m, n_out)).astype(dtype), rng.random((m, n_in)).astype(dtype)
    want = w - delta.T @ a
    subtract = cblas.subtract_product(w, delta, a)
    if subtract is None:  # another BLAS, or this one rounds otherwise: numpy's calls are made
        assert not cblas.matches(n_out, n_in, m, np.dtype(dtype))
        return
    subtract()
    np.testing.assert_array_equal(w, want)
    delta *= 2  # the call reads the arrays as they are when it runs
    want = w - delta.T @ a
    subtract()
    np.testing.assert_array_equal(w, want)


def test_the_fused_subtraction_is_refused_where_it_is_not_promised():
    def offered(w, delta, a):
        return cblas.subtract_product(w, delta, a) is not None

    w, delta, a = np.zeros((30, 784)), np.zeros((10, 30)), np.zeros((10, 784))
    assert not offered(np.zeros((10, 30)), delta[:, :10], np.zeros((10, 30)))  # too small
    assert not offered(w, np.zeros((cblas.MAX_K + 1, 30)), np.zeros((cblas.MAX_K + 1, 784)))
    assert not offered(np.asfortranarray(w), delta, a)
    assert not offered(w, delta.astype(np.float32), a)
    assert not offered(w, delta, np.zeros((10, 783)))


def test_no_openblas_means_no_fused_subtraction(monkeypatch):
    monkeypatch.setattr(cblas, "numpy_openblas", lambda: None)
    for cached in (cblas.gemm, cblas.matches):
        cached.cache_clear()
    try:
        assert cblas.gemm(np.dtype(np.float64)) is None
        assert cblas.subtract_product(np.zeros((30, 784)), np.zeros((10, 30)),
                                      np.zeros((10, 784))) is None
    finally:
        for cached in (cblas.gemm, cblas.matches):
            cached.cache_clear()


def test_the_library_found_is_numpys_own():
    lib = cblas.numpy_openblas()
    openblas = [i for i in threadpool_info() if i.get("internal_api") == "openblas"]
    if not openblas:
        assert lib is None
        return
    assert lib is not None and lib.path == openblas[0]["filepath"]


# ---- the checks of large inputs ------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_large_inputs_with_nan_or_infinity_are_refused(bad, dtype):
    X, y = _arrays(200, seed=6)  # 156,800 numbers: summed as a product
    X = X.astype(dtype)
    assert X.size >= data.LARGE
    X[123, 456] = bad
    assert not data.all_finite(X)
    with pytest.raises(ValueError, match="NaN or infinity"):
        network.Network([784, 10], seed=0).SGD((X, y), 1, 10, 1.0, verbose=False)


def test_large_finite_inputs_whose_sums_overflow_are_finite():
    X = np.full((100, 784), 1e306)  # each row sums beyond the float range
    assert not np.isfinite(data.row_sums(X)).all()
    assert data.all_finite(X)


def test_row_sums_of_a_large_matrix_are_its_row_sums_in_any_layout():
    X, _ = _arrays(120, seed=7)
    for A in (X, np.asfortranarray(X), X.astype(np.float32), (X * 100).astype(np.int64)):
        np.testing.assert_allclose(data.row_sums(A), A.astype(np.float64).sum(axis=1),
                                   rtol=1e-5)


def test_the_users_blas_threads_are_kept_by_the_input_checks():
    before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    data.row_sums(np.ones((200, 784)))
    assert [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] == before


def test_read_only_weights_are_refused_as_numpy_refuses_them():
    # A memory map or an array over bytes cannot be written: the fused call must
    # not write into it either, and SGD raises as update_mini_batch does.
    X, y = _arrays(40, seed=8)
    net = network.Network([784, 30, 10], seed=9)
    frozen = net.weights[0].copy()
    net.weights[0].flags.writeable = False
    assert cblas.subtract_product(net.weights[0], np.zeros((10, 30)), np.zeros((10, 784))) is None
    with pytest.raises(ValueError, match="read-only"):
        net.SGD((X, y), 1, 10, 3.0, verbose=False)
    np.testing.assert_array_equal(net.weights[0], frozen)


@pytest.mark.parametrize("given,net_dtype", [(np.float32, np.float64), (np.float64, np.float32)])
def test_prepared_data_of_another_dtype_trains_in_the_networks(given, net_dtype):
    X, y = _arrays(50, seed=10)
    prepared = data.prepare((X.astype(given), y), 784, 10, given, "training_data")
    nets = [network.Network([784, 30, 10], seed=11, dtype=net_dtype) for _ in range(2)]
    nets[0].SGD(prepared, 1, 10, 3.0, verbose=False)
    nets[1].SGD((X.astype(given), y), 1, 10, 3.0, verbose=False)
    for got, want in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases):
        assert got.dtype == net_dtype
        np.testing.assert_array_equal(got, want)


def test_inputs_beyond_float32s_range_are_named_not_called_infinite():
    X, y = _arrays(20, seed=12)
    X[3, 7] = 1e306  # finite in float64, infinite in float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no overflow warning on the way
        with pytest.raises(ValueError, match="beyond float32's range"):
            network.Network([784, 10], seed=0, dtype=np.float32).SGD((X, y), 1, 10, 1.0,
                                                                      verbose=False)
    X[3, 7] = np.inf  # a real infinity is still one
    with pytest.raises(ValueError, match="NaN or infinity"):
        network.Network([784, 10], seed=0, dtype=np.float32).SGD((X, y), 1, 10, 1.0,
                                                                  verbose=False)
