"""Training and evaluation choose numpy's BLAS threads (issue 16).

No timing here: ``python -m benchmarks.threads`` measures whether the choice
pays.  These tests check the choice itself, the ``blas_threads=`` override,
that the user's own setting is back after every call, that the results do
not depend on it, and the errors.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import blas
import network
from benchmarks import threads as bench
from nndl import fused

ROOT = Path(__file__).resolve().parent.parent
LARGE = [784, 1000, 1000, 1000, 10]


def blas_counts() -> list[int]:
    """The thread count of every BLAS loaded, as threadpoolctl reports it."""
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture
def two_threads():
    """Two BLAS threads in force, as a user's default on two cores; the
    tests below skip where a BLAS cannot be given two."""
    with threadpool_limits(2, user_api="blas"):
        if set(blas_counts()) != {2}:
            pytest.skip("the BLAS here cannot be set to 2 threads")
        yield


def data(n, sizes, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, sizes[0])), rng.integers(0, sizes[-1], n)


def threads_seen(monkeypatch) -> list[int]:
    """Record the BLAS threads in force at every forward pass and training step."""
    seen = []

    def spy(original):
        def spied(*args, **kwargs):
            seen.append(blas.threads_in_force())
            return original(*args, **kwargs)
        return spied

    for name in ("forward", "step"):
        monkeypatch.setattr(fused, name, spy(getattr(fused, name)))
    return seen


# ---- the choice ------------------------------------------------------------


def test_layer_products_count_multiply_adds():
    assert blas.layer_products([784, 30, 10], 10) == [10 * 784 * 30, 10 * 30 * 10]
    assert blas.layer_products([5, 7], 1) == [35]


@pytest.mark.parametrize("sizes, rows, expected", [
    ([784, 30, 10], 10, 1),  # the book's network at mini-batch 10
    ([784, 100, 10], 10, 1),  # the case that became 3x to 5x slower on a busy machine
    ([784, 100, 10], 100, 1),
    (LARGE, 100, 4),  # the deep-network study: every thread
    ([784, 30, 10], 10_000, 4),  # evaluating 10,000 images at once
])
def test_choose_small_products_one_thread_large_ones_all(sizes, rows, expected):
    assert blas.choose(blas.layer_products(sizes, rows), available=4) == expected


def test_choose_follows_where_most_of_the_work_is():
    big, small = 100, 10
    assert blas.choose([big, small], 8, threshold=50) == 8
    assert blas.choose([big, big, small], 8, threshold=100) == 8
    assert blas.choose([big] + [small] * 9, 8, threshold=50) == 8  # 100 of 190
    assert blas.choose([big] + [small] * 11, 8, threshold=50) == 1  # 100 of 210
    assert blas.choose([small, small], 8, threshold=50) == 1
    assert blas.choose([], 8) == 1  # no products: nothing to share
    assert blas.choose([big], 0, threshold=50) == 1  # never fewer than one thread


def test_threshold_is_measured_not_guessed():
    # The constant's comment gives the command that measures it.
    source = Path(blas.__file__).read_text()
    assert "python -m benchmarks.threads --threshold" in source
    assert blas.THRESHOLD > blas.layer_products([784, 100, 10], 10)[0]


# ---- in the network --------------------------------------------------------


def test_small_network_trains_on_one_thread_and_restores_the_users_two(two_threads,
                                                                         monkeypatch):
    seen = threads_seen(monkeypatch)
    net = network.Network([784, 30, 10], seed=1)
    net.SGD(data(50, net.sizes), 2, 10, 3.0, test_data=data(20, net.sizes, 1), verbose=False)
    assert seen and set(seen) == {1}
    assert set(blas_counts()) == {2}


def test_large_network_trains_on_every_thread_in_force(two_threads, monkeypatch):
    seen = threads_seen(monkeypatch)
    net = network.Network(LARGE, init="xavier_normal", seed=1)
    net.SGD(data(100, LARGE), 1, 100, 0.1, verbose=False)
    assert set(seen) == {2}
    assert set(blas_counts()) == {2}


def test_the_users_one_thread_is_never_raised(monkeypatch):
    seen = threads_seen(monkeypatch)
    net = network.Network(LARGE, init="xavier_normal", seed=1)
    with threadpool_limits(1, user_api="blas"):
        assert net.predict(data(100, LARGE)[0]).shape == (100,)
        assert set(blas_counts()) == {1}
    assert set(seen) == {1}


@pytest.mark.parametrize("method", ["SGD", "evaluate", "accuracy", "total_cost", "gradient",
                                    "predict", "forward"])
@pytest.mark.parametrize("override", [1, 3])
def test_blas_threads_overrides_the_choice_and_is_undone(method, override, two_threads,
                                                         monkeypatch):
    seen = threads_seen(monkeypatch)
    net = network.Network([784, 30, 10], seed=2)
    d = data(30, net.sizes)
    calls = {
        "SGD": lambda: net.SGD(d, 1, 10, 3.0, verbose=False, blas_threads=override),
        "evaluate": lambda: net.evaluate(d, blas_threads=override),
        "accuracy": lambda: net.accuracy(d, blas_threads=override),
        "total_cost": lambda: net.total_cost(d, 0.1, blas_threads=override),
        "gradient": lambda: net.gradient(d, blas_threads=override),
        "predict": lambda: net.predict(d[0], blas_threads=override),
        "forward": lambda: net.forward(d[0], blas_threads=override),
    }
    if override > blas._cores():
        with pytest.warns(UserWarning, match="more than the"):
            calls[method]()
    else:
        calls[method]()
    assert seen and set(seen) == {override}
    assert set(blas_counts()) == {2}


def test_update_mini_batch_keeps_the_users_threads(two_threads, monkeypatch):
    # Setting them (threadpoolctl) at every call would slow the book's small step:
    # update_mini_batch's docstring says how to step on SGD's threads instead.
    seen = threads_seen(monkeypatch)
    net = network.Network([784, 30, 10], seed=1)
    X, y = data(10, net.sizes)
    net.update_mini_batch((X, y), 3.0)
    assert seen == [2]


def _steps(net, X, y, m):
    """One epoch of SGD's mini-batches, one update_mini_batch each."""
    order = net.rng.permutation(len(X))
    for k in range(0, len(X), m):
        net.update_mini_batch((X[order[k:k + m]], y[order[k:k + m]]), 0.3, 1.0, len(X))


@pytest.mark.parametrize("sizes", [[784, 70, 60, 10], [784, 1000, 1000, 10]])
@pytest.mark.parametrize("users", [1, 2])
def test_update_mini_batch_on_sgds_threads_gives_sgds_numbers(sizes, users):
    # On SGD's threads, as update_mini_batch's docstring says, whatever the
    # user's setting (the large network takes every thread in force, the
    # other one); the last mini-batch is short (53 examples, 10 a batch).
    X, y = data(53, sizes)
    nets = [network.Network(sizes, init="xavier_normal", seed=2) for _ in range(2)]
    with threadpool_limits(users, user_api="blas"):
        nets[0].SGD((X, y), 1, 10, 0.3, lmbda=1.0, verbose=False)
        with blas.threads(sizes, 10):
            _steps(nets[1], X, y, 10)
    for got, want in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases):
        np.testing.assert_array_equal(got, want)


def test_the_users_setting_is_back_after_an_error(two_threads):
    def stop(epoch, net, history):
        assert blas.threads_in_force() == 1
        raise KeyboardInterrupt

    net = network.Network([784, 30, 10], seed=3)
    with pytest.raises(KeyboardInterrupt):
        net.SGD(data(20, net.sizes), 3, 10, 3.0, verbose=False, callback=stop)
    assert set(blas_counts()) == {2}


def test_results_are_the_same_bit_for_bit_chosen_or_one_thread(two_threads):
    nets = [network.Network([784, 20, 10], seed=4, cost="cross_entropy") for _ in range(2)]
    train, test = data(60, nets[0].sizes), data(25, nets[0].sizes, 1)
    histories = [net.SGD(train, 3, 7, 0.5, test_data=test, lmbda=0.1, verbose=False,
                         blas_threads=k) for net, k in zip(nets, (None, 1))]
    assert histories[0].test_cost == histories[1].test_cost
    for w0, w1 in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases):
        np.testing.assert_array_equal(w0, w1)
    g0, g1 = (net.gradient(test, blas_threads=k) for net, k in zip(nets, (None, 1)))
    for a, b in zip(g0[0] + g0[1], g1[0] + g1[1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True, [1]])
def test_a_bad_blas_threads_is_refused_with_the_fix(bad):
    net = network.Network([784, 30, 10], seed=5)
    d = data(10, net.sizes)
    with pytest.raises(ValueError, match=r"blas_threads must be None .* or a number of "
                                         r"threads >= 1"):
        net.SGD(d, 1, 10, 3.0, verbose=False, blas_threads=bad)
    with pytest.raises(ValueError, match="blas_threads"):
        net.evaluate(d, blas_threads=bad)


def test_blas_threads_accepts_numpy_integers(two_threads, monkeypatch):
    seen = threads_seen(monkeypatch)
    network.Network([784, 30, 10], seed=6).accuracy(data(10, [784, 30, 10]),
                                                     blas_threads=np.int64(1))
    assert set(seen) == {1}


# ---- the benchmark's own logic (its timing is not checked here) -----------


def test_benchmark_threshold_is_the_start_of_the_winning_run():
    pairs = [(10, 2.0), (100, 0.9), (1000, 1.3), (10_000, 0.7), (100_000, 0.6)]
    assert bench.threshold(pairs) == 10_000
    assert bench.threshold([(10, 0.9), (100, 0.8)]) == 10
    assert bench.threshold([(10, 0.9), (100, 1.0)]) is None
    # Two shapes of one size: both must win.
    assert bench.threshold([(10, 0.5), (100, 0.5), (100, 1.2), (1000, 0.5)]) == 1000


def test_benchmark_workers_start_without_thread_caps_but_keep_other_variables(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("NNDL_INIT_TEST_VARIABLE", "kept")
    env = bench.default_environment()
    assert "OPENBLAS_NUM_THREADS" not in env and "OMP_NUM_THREADS" not in env
    assert env["NNDL_INIT_TEST_VARIABLE"] == "kept"


def test_threshold_scan_runs_in_quick_mode():
    done = subprocess.run([sys.executable, "-m", "benchmarks.threads", "--threshold", "--quick",
                           "--rounds", "1"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "multiply-adds" in done.stdout and "blas.THRESHOLD" in done.stdout


@pytest.mark.parametrize("override, expected", [(None, 1), (1, 1)])
def test_diagnose_chooses_threads_too_and_restores_the_users(override, expected, two_threads,
                                                             monkeypatch):
    import diagnostics

    seen = []
    forward = diagnostics.forward

    def spy(*args, **kwargs):
        seen.append(blas.threads_in_force())
        return forward(*args, **kwargs)

    monkeypatch.setattr(diagnostics.measures, "forward", spy)
    net = network.Network([784, 30, 10], "xavier_normal", seed=0)
    diagnostics.diagnose(net, data(200, net.sizes), blas_threads=override)
    assert seen == [expected]  # a small network: one thread, as SGD would choose
    assert set(blas_counts()) == {2}
