"""Convergence regression tests, on the real data.

Each trains the book's network ``[784, 30, 10]`` (mini-batch 10, eta 3.0,
quadratic cost) for one epoch over the 50,000 training images, about a second,
and checks that each initializer lands where it should: the fan-scaled Xavier
schemes learn fast, the book's ``randn`` well, ``rand`` not at all (and the
saturation measure says why), ``zeros`` keeps its hidden neurons identical in
exact arithmetic.

Data: ``$MNIST_DATA_DIR`` / ``$FASHION_MNIST_DATA_DIR``, else the cache
``data/<dataset>/`` (see conftest.py); the tests of a data set are skipped,
with the reason, when its files are absent.
"""

from __future__ import annotations

import numpy as np
import pytest

import diagnostics
import network
from experiments import datasets, symmetry

SEED = 0


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return datasets.load("mnist", mnist_dir, download=False)


@pytest.fixture(scope="module")
def fashion(fashion_mnist_dir):
    return datasets.load("fashion-mnist", fashion_mnist_dir, download=False)


def _one_epoch(data, init: str, seed: int = SEED) -> tuple[network.Network, float]:
    training, _, test = data
    net = network.Network([784, 30, 10], init, seed=seed)
    history = net.SGD(training, 1, 10, 3.0, test_data=test, verbose=False)
    return net, history.test_accuracy[0]


@pytest.mark.parametrize(("init", "minimum"), [
    ("xavier_uniform", 0.92),
    ("xavier_normal", 0.92),
    ("randn", 0.80),  # 89.7% to 90.8% after one epoch over seeds 0-5
])
def test_one_epoch_mnist(mnist, init, minimum):
    _, accuracy = _one_epoch(mnist, init)
    assert accuracy >= minimum, f"{init}: {accuracy:.2%} after one epoch"


@pytest.mark.parametrize("init", ["xavier_uniform", "xavier_normal", "randn"])
def test_one_epoch_fashion_mnist(fashion, init):
    # One epoch on Fashion-MNIST depends more on the seed than on MNIST: over
    # seeds 0-5, randn gave 69.7% (seed 0), then 77.2-80.4%; xavier 78-83%
    # (python -m experiments.compare_initializers --dataset fashion-mnist
    # --inits randn,xavier_uniform,xavier_normal --seeds 6 --epochs 1).  So the
    # claim tested is about the typical run: the median of seeds 0, 1, 2.
    accuracies = [_one_epoch(fashion, init, seed)[1] for seed in (0, 1, 2)]
    assert np.median(accuracies) >= 0.75, \
        f"{init}: {[f'{a:.2%}' for a in accuracies]} after one epoch on Fashion-MNIST"


def test_rand_stays_near_chance_because_hidden_units_saturate(mnist):
    training, _, _ = mnist
    X = training[0][:1000]
    net = network.Network([784, 30, 10], "rand", seed=SEED)
    hidden_z = net.forward(X)[0][0]
    # Why: at initialization nearly every hidden neuron sits where sigma' is below
    # 1 % of its maximum, on (almost) every image.
    assert diagnostics.saturated_fraction(hidden_z, "sigmoid") > 0.95
    assert diagnostics.saturated_units(hidden_z, "sigmoid") > 0.9
    # ... while a fan-scaled scheme starts on the slope.
    xavier_z = network.Network([784, 30, 10], "xavier_normal", seed=SEED).forward(X)[0][0]
    assert diagnostics.saturated_fraction(xavier_z, "sigmoid") < 0.05
    _, accuracy = _one_epoch(mnist, "rand")
    assert accuracy <= 0.20, f"rand learned: {accuracy:.2%} after one epoch"


def test_zeros_keeps_every_hidden_unit_identical_in_exact_arithmetic(mnist):
    """What holds on any CPU: with every product computed so that equal
    neurons get equal sums (as in exact arithmetic), the 30 hidden neurons
    stay one neuron, which still learns a little.  On a real BLAS kernel they
    may come apart by rounding (``tests/test_symmetry.py``, docs/results/symmetry.md)."""
    run = symmetry.train_zeros(mnist, 30, 1, "distinct")
    assert run["distinct"] == 1 and run["per_epoch"][-1] == 0
    assert run["largest_hidden_weight"] > 0
    assert 0.11 < run["test_accuracy"][-1] < 0.6, f"zeros: {run['test_accuracy'][-1]:.2%}"


@pytest.mark.slow
def test_book_reproduction(mnist):
    """Chapter 1: [784, 30, 10], 30 epochs, mini-batch 10, eta 3.0: about 95%."""
    training, _, test = mnist
    net = network.Network([784, 30, 10], "randn", seed=SEED)
    history = net.SGD(training, 30, 10, 3.0, test_data=test, verbose=False)
    assert max(history.test_accuracy) >= 0.945, history.test_accuracy
