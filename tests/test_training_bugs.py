"""Training that goes wrong, as the Monitor, SGD and the saved files see it:
a rate so large that training overflows (one clear warning, no numpy
RuntimeWarning), ReLU units killed by a rate far too large (a step too large,
not too small), a xavier network saturated by its rate (no advice to draw
xavier weights), zeros weights (their symmetry warned), and saved files that
are damaged or not a network's.  Each was answered wrongly before.  On
MNIST training images (skipped without the data)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import diagnostics
import network


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    import mnist_loader

    (X, y), _, _ = mnist_loader.load_data(data_dir=mnist_dir, download=False)
    return X[:3000], y[:3000]


def monitored(mnist, net, eta, epochs=2, monitor_eta=None):
    X, y = mnist
    monitor = diagnostics.Monitor((X[:1000], y[:1000]), eta=monitor_eta)
    monitor.start(net)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", diagnostics.TrainingHealthWarning)
        warnings.simplefilter("ignore", network.TrainingDivergedWarning)
        net.SGD((X, y), epochs, 10, eta, verbose=False, callback=monitor)
    return monitor


@pytest.mark.parametrize("cost", ["quadratic", "log_likelihood"])
def test_a_rate_that_overflows_warns_once_and_clearly(mnist, cost):
    # pytest turns numpy's RuntimeWarning into an error: none may escape
    X, y = mnist
    net = network.Network([784, 100, 10], "he_normal", seed=0, activation="relu", cost=cost)
    with pytest.warns(network.TrainingDivergedWarning, match="lower the learning rate"):
        net.SGD((X, y), 2, 10, 1e300, verbose=False, test_data=(X[:500], y[:500]))


def test_a_healthy_run_does_not_warn_of_divergence(mnist):
    X, y = mnist
    with warnings.catch_warnings():
        warnings.simplefilter("error", network.TrainingDivergedWarning)
        network.Network([784, 30, 10], seed=0).SGD((X, y), 1, 10, 3.0, verbose=False)


def test_relu_units_killed_by_a_large_rate_point_to_a_step_too_large(mnist):
    net = network.Network([784, 100, 10], "he_normal", seed=0, activation="relu")
    monitor = monitored(mnist, net, 300.0)
    found = {f.name for _, f in monitor.findings}
    assert "learning_rate_too_small" not in found
    assert "learning_rate_too_large" in found


@pytest.mark.parametrize("init", ["xavier_normal", "xavier_uniform"])
def test_a_network_saturated_by_training_is_not_told_to_redraw_its_weights(mnist, init):
    monitor = monitored(mnist, network.Network([784, 30, 10], init, seed=0), 100.0)
    for _, f in monitor.findings:
        if f.name in ("saturation", "output_collapse"):
            assert "init=" not in f.fix, f


def test_zeros_weights_warn_of_their_symmetry_and_report_no_absurd_change(mnist):
    monitor = monitored(mnist, network.Network([784, 30, 10], "zeros", seed=0), 3.0)
    # Units that are still copies are warned about.  Some BLAS kernels round
    # equal rows differently by position and split them (SkylakeX, here):
    # then there is no symmetry left to warn of (docs/symmetry_explained.md).
    copies = monitor.report.layers[0].distinct < monitor.report.layers[0].fan_out
    assert ("symmetry" in {f.name for _, f in monitor.findings}) is copies
    changes = [p.change for p in monitor.history if p.change is not None]
    assert all(c < 1e6 for c in changes)


def test_rand_weights_keep_the_advice_to_draw_again(mnist):
    monitor = monitored(mnist, network.Network([784, 30, 10], "rand", seed=0), 3.0, epochs=1)
    saturation = [f for _, f in monitor.findings if f.name == "saturation"]
    assert saturation and "init=" in saturation[0].fix


# ---- saved files that are not a network's ---------------------------------------


def test_a_damaged_npz_is_refused_naming_the_problem(tmp_path):
    path = tmp_path / "net.npz"
    network.Network([784, 30, 10], seed=0).save(path)
    data = bytearray(path.read_bytes())
    data[200:264] = bytes(64)  # zeroed inside the first array
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged|cannot read"):
        network.Network.load(path)
    assert diagnostics.main([str(path)]) == 2


@pytest.mark.parametrize("names", [("W1", "W2", "b1", "b2"), ("weights",)])
def test_an_npz_of_other_arrays_names_what_it_holds(tmp_path, names, capsys):
    path = tmp_path / "mine.npz"
    np.savez(path, **{name: np.zeros((3, 3)) for name in names})
    assert diagnostics.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert all(name in err for name in names) and "meta, w0, b0" in err
