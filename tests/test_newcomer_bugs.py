"""diagnostics on the variants a newcomer meets that the acceptance cases do
not name: ReLU networks (healthy, and with dead units), a softmax network
drawn with randn, inputs standardized per pixel or left at 0-255 in the
user's own class (whose exp overflows), a network trained on permuted
labels, biases aliased across layers, a weight decay without /n, and a
constructor the command line cannot call.  Each was answered wrongly
before (a false labels_misaligned, a false warning, a miss, a RuntimeWarning
from the user's code, an unverified fix).  On the first 1,000 MNIST training
images (skipped without the data)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import diagnostics
import network
from diagnostics import alignment
from diagnostics.userfile import construct
from experiments import their_network as bs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sample(mnist_dir):
    return diagnostics.load_sample("mnist", mnist_dir)


def relu_net(bias: float = 0.0) -> network.Network:
    net = network.Network([784, 30, 10], "he_normal", seed=0, activation="relu")
    net.biases[0] = net.biases[0] + bias
    return net


def test_a_healthy_relu_network_is_healthy(sample):
    # A copy at the quadratic cost's rate (3.0) with ReLU units does not
    # learn, which was read as "the labels do not belong to the inputs".
    report = diagnostics.diagnose(relu_net(), sample, eta=0.1)
    assert report.healthy, report.findings


def test_relu_units_dead_from_negative_biases_are_dead_units(sample):
    report = diagnostics.diagnose(relu_net(bias=-5.0), sample, eta=0.1)
    assert report.cause.name == "dead_units"
    assert "labels_misaligned" not in [f.name for f in report.findings]


def test_a_softmax_network_drawn_with_randn_that_learns_is_healthy(sample):
    report = diagnostics.diagnose(network.Network([784, 30, 10], seed=0, cost="log_likelihood"),
                                  sample, eta=0.3)
    assert report.healthy, report.findings
    start = [f for f in report.findings if f.name == "cost_at_start"]
    assert start and start[0].severity == "info" and "learns anyway" in start[0].message


def test_inputs_standardized_per_pixel_are_not_misaligned_labels(sample):
    X, y = sample
    Xs = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8)  # rare pixels reach hundreds
    report = diagnostics.diagnose(network.Network([784, 30, 10], seed=0), (Xs, y), eta=3.0)
    assert "labels_misaligned" not in [f.name for f in report.findings]
    # 99 % of the values are within +-5: not "unscaled", whatever the rarest pixels reach
    unscaled = report.finding("unscaled_inputs")
    assert unscaled is None or unscaled.severity == "info"


def test_raw_pixels_in_the_users_own_class_verified_without_warnings(sample):
    # Their sigmoid overflows in np.exp at z of -800; pytest makes that
    # RuntimeWarning an error, so this also checks that none escapes.
    X, y = sample
    report = diagnostics.diagnose(construct(bs.Network, [784, 30, 10]), (X * 255, y), eta=3.0)
    assert report.cause.name == "unscaled_inputs" and report.cause.severity == "error"
    v = report.cause.verified
    assert v.helped and v.numbers["accuracy"] > v.numbers["your_accuracy"] + 0.1


def test_a_network_trained_on_permuted_labels_answers_a_permutation(sample, mnist_dir):
    import mnist_loader

    (X, y), _, _ = mnist_loader.load_data(data_dir=mnist_dir, download=False)
    perm = np.roll(np.arange(10), 3)[::-1]
    net = network.Network([784, 30, 10], "xavier_normal", seed=0)
    net.SGD((X[:10000], perm[y[:10000]]), 1, 10, 3.0, verbose=False)
    report = diagnostics.diagnose(net, sample, eta=3.0)
    assert report.cause.name == "labels_misaligned"
    mapping = report.cause.evidence["mapping"]
    assert sum(mapping[int(perm[k])] == k for k in range(10)) >= 8  # answer perm[k] is label k


def test_label_permutation_when_a_class_is_never_answered():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 2000)
    perm = rng.permutation(10)
    answers = perm[labels]
    answers[answers == perm[4]] = perm[9]  # answer perm[4] never given
    shift, mapping, share, identity = alignment.label_permutation(answers, labels, 10)
    assert shift is None and mapping is not None and share > 0.85
    assert sorted(mapping.values()) == list(range(10))  # one to one


def test_biases_aliased_across_layers_are_named(sample):
    report = diagnostics.diagnose(construct(bs.AliasedBiases, [784, 30, 30, 10]), sample,
                                  eta=3.0)
    f = report.cause
    assert f.name == "update_mismatch"
    assert "biases[1] and biases[0] are the same array" in f.message
    # the aliasing barely changes the cost: the report must not look as if
    # the correction were proven to help
    if f.verified.numbers["yours_end"] <= f.verified.numbers["fixed_end"]:
        assert "does not show it stopping your network" in f.message


def test_a_weight_decay_without_n_is_named(sample):
    report = diagnostics.diagnose(construct(bs.DecayWithoutN, [784, 30, 10]), sample, eta=0.5)
    f = report.cause
    assert f.name == "update_mismatch" and "multiplies every weight by -1.5" in f.message
    assert "eta * lmbda / n" in f.fix


def test_cli_code_constructor_with_more_arguments(mnist_dir):
    done = subprocess.run(
        [sys.executable, "-m", "diagnostics", "--code", str(ROOT / "experiments" /
                                                             "their_network.py"),
         "--class", "NeedsCost", "--images", "300", "--data-dir", str(mnist_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    line = done.stderr.strip().splitlines()[-1]
    assert "missing 1 required positional argument: 'cost'" in line
    assert "give its other parameters defaults" in line
