"""The Monitor's history: per layer and epoch, read by its step-size findings.

On real MNIST (skipped without it): the book's network at eta = 100 saturates
during the first epoch (too large a step, verified by a range test when the
monitor knows eta), at eta = 1e-3 its weights hardly move (too small a step,
never "try a smaller learning rate"), at eta = 3 nothing is said of the step.
"""

import warnings

import numpy as np
import pytest

import diagnostics
import network


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    import mnist_loader

    (X, y), _, _ = mnist_loader.load_data(data_dir=mnist_dir, download=False)
    return X[:5000], y[:5000]


def train(mnist, eta, monitor_eta=None, epochs=2, init="randn", cost="quadratic", start=True):
    X, y = mnist
    net = network.Network([784, 30, 10], init, seed=0, cost=cost)
    monitor = diagnostics.Monitor((X[:1000], y[:1000]), eta=monitor_eta)
    if start:
        monitor.start(net)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", diagnostics.TrainingHealthWarning)
        history = net.SGD((X, y), epochs, 10, eta, verbose=False, callback=monitor)
    return monitor, history


def names(monitor):
    return {f.name for _, f in monitor.findings}


def test_eta_100_saturates_during_training_and_the_lower_rate_is_verified(mnist):
    monitor, _ = train(mnist, 100, monitor_eta=100)
    found = [f for _, f in monitor.findings if f.name == "learning_rate_too_large"]
    assert found and "before training" in found[0].message
    assert found[0].verified.helped and found[0].verified.numbers["best_eta"] < 100
    assert "learning_rate_too_small" not in names(monitor)
    sat = monitor.series("saturated", 1)
    assert sat[-1] - sat[0] >= 0.2


def test_eta_1e_3_is_too_small_and_never_told_to_shrink(mnist):
    monitor, _ = train(mnist, 1e-3)
    assert "learning_rate_too_small" in names(monitor)
    assert "learning_rate_too_large" not in names(monitor)
    assert not any("smaller learning rate" in f.fix for _, f in monitor.findings)
    assert all(p.change is None or p.change < 0.01 for p in monitor.history if p.layer == 1)


def test_eta_3_says_nothing_of_the_step_and_keeps_the_history(mnist, tmp_path):
    monitor, history = train(mnist, 3.0, monitor_eta=3.0)
    assert not names(monitor) & {"learning_rate_too_large", "learning_rate_too_small"}
    assert [p.epoch for p in monitor.history if p.layer == 2] == [-1, 0, 1]
    ratios = monitor.series("update_ratio", 1)
    assert all(1e-5 < r < 1e-1 for r in ratios)
    monitor.plot(tmp_path / "history.png")
    assert (tmp_path / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_softmax_history_without_start(mnist):
    X, y = mnist
    net = network.Network([784, 30, 10], "xavier_normal", seed=0, cost="log_likelihood")
    monitor = diagnostics.Monitor((X[:1000], y[:1000]))
    history = net.SGD((X, y), 2, 10, 0.1, verbose=False, callback=monitor)
    assert len(history.seconds) == 2 and not monitor.findings
    assert monitor.series("change", 1)[0] is None and monitor.series("change", 1)[1] > 0
    assert np.isfinite(monitor.series("a_sd", 2)).all()


@pytest.mark.parametrize("init", ["xavier_normal", "randn"])
def test_without_start_a_first_epoch_saturated_by_eta_100_is_still_a_step_too_large(mnist,
                                                                                      init):
    # No "before" to compare with: the saturated weights, which look like no
    # bad draw, point to the step; the range test runs from a fresh draw.
    monitor, _ = train(mnist, 100, monitor_eta=100, init=init, start=False)
    found = [f for _, f in monitor.findings if f.name == "learning_rate_too_large"]
    assert found and found[0].severity == "error" and "start(net)" in found[0].message
    assert found[0].verified.helped and found[0].verified.numbers["best_eta"] < 100
    assert "fresh fan-scaled draw" in found[0].verified.text
    assert 'fresh draw with init="xavier_normal"' in found[0].fix  # what the rate was measured from
    later = [f for e, f in monitor.findings if e == 1 and f.name == "output_collapse"]
    assert all("too large a step" in f.fix for f in later)  # the advice outlives its epoch


def test_without_start_or_eta_the_step_is_only_suspected(mnist):
    monitor, _ = train(mnist, 100, init="xavier_normal", epochs=1, start=False)
    found = [f for _, f in monitor.findings if f.name == "learning_rate_too_large"]
    assert found and found[0].severity == "warning" and found[0].verified is None


@pytest.mark.filterwarnings("ignore::nndl.data.UnscaledInputWarning")
@pytest.mark.parametrize("eta,init,scale", [(3.0, "xavier_normal", 1.0), (3.0, "rand", 1.0),
                                            (3.0, "xavier_normal", 255.0)])
def test_without_start_saturation_from_the_draw_or_the_inputs_is_not_the_step(mnist, eta,
                                                                             init, scale):
    X, y = mnist
    monitor, _ = train((X * scale, y), eta, monitor_eta=eta, init=init, epochs=1, start=False)
    assert "learning_rate_too_large" not in names(monitor)


def test_without_start_a_step_too_small_is_measured_from_the_weights_seen(mnist):
    # Weights a short step barely moved are not stuck: no fresh draw is needed.
    monitor, _ = train(mnist, 1e-3, monitor_eta=1e-3, start=False)
    found = [f for _, f in monitor.findings if f.name == "learning_rate_too_small"]
    assert found and found[0].verified.helped
    assert "fresh" not in found[0].fix + found[0].verified.text
    assert "learning_rate_too_large" not in names(monitor)


# ---- chapter 3's L2 term, lmbda --------------------------------------------


@pytest.fixture(scope="module")
def three_thousand(mnist_dir):
    import mnist_loader

    (X, y), _, _ = mnist_loader.load_data(data_dir=mnist_dir, download=False, verbose=False)
    return X[:3000], y[:3000]


def trained_with_l2(data, lmbda, cost="cross_entropy", eta=0.5, epochs=2):
    X, y = data
    net = network.Network([784, 30, 10], seed=0, cost=cost)
    monitor = diagnostics.Monitor((X[:1000], y[:1000]), eta=eta, lmbda=lmbda, n=len(X))
    monitor.start(net)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", diagnostics.TrainingHealthWarning)
        net.SGD((X, y), epochs, 10, eta, lmbda=lmbda, verbose=False, callback=monitor)
    return [f for _, f in monitor.findings if f.name == "lmbda_too_large"]


@pytest.mark.parametrize(("lmbda", "cost", "eta"), [
    (300.0, "cross_entropy", 0.5),  # decay 0.95 a step, as lmbda 5000 for 50,000 images
    (60.0, "quadratic", 3.0),  # the same decay at the book's chapter-1 rate
])
def test_the_monitor_names_an_lmbda_far_too_large(three_thousand, lmbda, cost, eta):
    found = trained_with_l2(three_thousand, lmbda, cost, eta)
    assert len(found) == 1  # found once, not every epoch
    assert found[0].verified is not None and found[0].verified.helped
    assert "lmbda=" in found[0].fix


def test_the_monitor_leaves_the_books_lmbda_alone(three_thousand):
    # the book's 5.0 for 50,000 images is 0.3 for 3,000
    assert trained_with_l2(three_thousand, 0.3) == []


def test_the_monitor_needs_n_with_lmbda():
    with pytest.raises(ValueError, match="needs n="):
        diagnostics.Monitor(eta=0.5, lmbda=5.0)
    with pytest.raises(ValueError, match="lmbda must be a finite number"):
        diagnostics.Monitor(eta=0.5, lmbda=-1.0, n=50000)


def test_a_series_the_history_does_not_have_names_those_it_has():
    with pytest.raises(ValueError, match="a LayerPoint has epoch, layer"):
        diagnostics.Monitor().series("moved", 1)
