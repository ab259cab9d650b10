"""Symmetry, on any CPU: ``experiments.symmetry``'s exact-symmetry product keeps
equal hidden neurons bit-equal whatever the BLAS kernel; its training step
is ``network.Network``'s arithmetic bit for bit (two runs on this machine);
and where this machine's kernel breaks the symmetry of ``zeros``, the first
difference is a rounding error, which then grows.  Nothing here compares
with digits made on another machine."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import network
from experiments import datasets, symmetry


@pytest.fixture(scope="module")
def small(mnist_dir):
    return datasets.load("mnist", mnist_dir, 2000, download=False)


def test_the_distinct_product_gives_equal_neurons_equal_bits():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((7, 784))[[0, 1, 1, 2, 0, 3, 1]]  # rows 0 = 4, 1 = 2 = 6
    B = rng.standard_normal((784, 5))[:, [0, 0, 1, 2, 0]]     # columns 0 = 1 = 4
    by_rows = symmetry.distinct_matmul(A, B, "rows")
    assert np.allclose(by_rows, A @ B, rtol=1e-13, atol=1e-12)
    assert np.array_equal(by_rows[1], by_rows[2]) and np.array_equal(by_rows[1], by_rows[6])
    assert np.array_equal(by_rows[0], by_rows[4])
    by_cols = symmetry.distinct_matmul(A, B, "cols")
    assert np.allclose(by_cols, A @ B, rtol=1e-13, atol=1e-12)
    assert np.array_equal(by_cols[:, 0], by_cols[:, 1])
    assert np.array_equal(by_cols[:, 0], by_cols[:, 4])
    both = symmetry.distinct_matmul(A, B, "both")
    assert np.allclose(both, A @ B, rtol=1e-13, atol=1e-12)
    assert np.array_equal(both[1], both[6]) and np.array_equal(both[:, 0], both[:, 4])
    # -0.0 and 0.0 are the same number: one neuron
    rows, group = symmetry._distinct_rows(np.array([[0.0, 1.0], [-0.0, 1.0], [2.0, 1.0]]))
    assert len(rows) == 2 and group.tolist() == [0, 0, 1]


def _position_dependent(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A worst-case BLAS: it rounds each place of the product differently."""
    rows, cols = np.arange(A.shape[0])[:, None], np.arange(B.shape[1])
    return (A @ B) * (1 + 2.0 ** -50 * (rows + 3 * cols))


def test_exact_symmetry_survives_any_rounding_by_position():
    """Whatever a kernel does at each place of a product, the distinct product
    keeps equal neurons equal; the plain product, on such a kernel, does not."""
    rng = np.random.default_rng(1)
    X, Y = rng.random((200, 784)), np.eye(10)[rng.integers(0, 10, 200)]

    def train(matmul):
        weights, biases = [np.zeros((30, 784)), np.zeros((10, 30))], [np.zeros((1, 30)),
                                                                       np.zeros((1, 10))]
        for k in range(0, 200, 10):
            symmetry.step(weights, biases, X[k:k + 10], Y[k:k + 10], 0.3, matmul)
        return symmetry.spread(weights[0], biases[0]), np.abs(weights[0]).max()

    def kept(A, B, neurons):
        return symmetry.distinct_matmul(A, B, neurons, product=_position_dependent)

    spread, largest = train(kept)
    assert spread == 0 and largest > 0
    spread, _ = train(lambda A, B, neurons: _position_dependent(A, B))
    assert spread > 0


@pytest.mark.parametrize("init", ["randn", "zeros"])
def test_the_step_is_network_training_bit_for_bit(small, init):
    """The same start, the same mini-batches, one BLAS thread, this machine:
    the study's loop and ``Network.SGD`` end on the same bits."""
    (X, y), _, _ = small
    X, y = X[:500], y[:500]
    net = network.Network([784, 30, 10], init, seed=3)
    weights, biases = [w.copy() for w in net.weights], [b.T.copy() for b in net.biases]
    rng = copy.deepcopy(net.rng)  # SGD's shuffling, without using it up
    net.SGD((X, y), 2, 10, 3.0, verbose=False, blas_threads=1)
    Y = np.eye(10)[y]
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        for _ in range(2):
            order = rng.permutation(len(X))
            for k in range(0, len(X), 10):
                rows = order[k:k + 10]
                symmetry.step(weights, biases, X[rows], Y[rows], 3.0 / 10)
    for mine, its in zip(weights, net.weights):
        assert np.array_equal(mine, its)
    for mine, its in zip(biases, net.biases):
        assert np.array_equal(mine.T, its)


def test_zeros_keeps_every_hidden_neuron_identical_in_exact_arithmetic(small):
    run = symmetry.train_zeros(small, 30, 1, "distinct")
    assert run["distinct"] == 1
    assert max(run["per_batch"]) == 0 and run["per_epoch"][-1] == 0
    assert symmetry.growth(run) == {"first": None, "separated": None, "efold": None}
    assert run["largest_hidden_weight"] > 0  # it learned, as one neuron copied 30 times


def test_on_this_kernel_symmetry_breaks_only_by_rounding_then_growth(small):
    """Either the kernel adds equal neurons' terms in the same order (they
    stay equal), or their first difference is a rounding error, far below
    the weights, and whatever differs later grew from it."""
    run = symmetry.train_zeros(small, 30, 2, "blas")
    g = symmetry.growth(run)
    if g["first"] is None:
        assert run["distinct"] == 1 and run["per_epoch"][-1] == 0
        return
    t, s = symmetry.timeline(run)
    first = s[t == g["first"]][0]
    assert 0 < first < 1e-12, f"the first difference, {first:.1e}, is no rounding error"
    assert run["distinct"] > 1
    again = symmetry.train_zeros(small, 30, 2, "blas")  # and it repeats, on one machine
    assert again["per_batch"] == run["per_batch"] and again["per_epoch"] == run["per_epoch"]


def test_growth_reads_first_difference_separation_and_e_folding():
    spreads = [0.0, 0.0, 1e-16] + [1e-16 * np.exp(k / 20) for k in range(1, 998)]
    run = {"batches_per_epoch": 1000, "per_batch": spreads[:1001],
           "per_epoch": [0.0, spreads[-1], 1.0, 2.0]}
    g = symmetry.growth(run)
    assert g["first"] == 2
    assert g["efold"] == pytest.approx(20, rel=0.05)
    assert g["separated"] == 2 + int(np.ceil(20 * np.log(1e-2 / 1e-16)))
    assert symmetry.growth({"batches_per_epoch": 10, "per_batch": [0.0] * 11,
                            "per_epoch": [0.0, 0.0]})["first"] is None
