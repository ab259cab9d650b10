"""diagnose(..., test_data=...): test inputs not prepared as the training
inputs were, named only where a mapping of them, tried with the network
itself, closes most of the gap; on real MNIST (skipped without it)."""

from __future__ import annotations

import numpy as np
import pytest

import diagnostics
import network


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    import mnist_loader

    (X, y), _, (Xt, yt) = mnist_loader.load_data(data_dir=mnist_dir, download=False,
                                                 verbose=False)
    return X[:1000], y[:1000], Xt[:3000], yt[:3000]


@pytest.fixture(scope="module", params=[("sigmoid", "quadratic", 3.0),
                                        ("relu", "cross_entropy", 0.1)])
def trained(request, mnist_dir):
    import mnist_loader

    activation, cost, eta = request.param
    (X, y), _, _ = mnist_loader.load_data(data_dir=mnist_dir, download=False, verbose=False)
    init = "he_normal" if activation == "relu" else "xavier_normal"
    net = network.Network([784, 30, 10], init, seed=0, activation=activation, cost=cost)
    net.SGD((X[:10_000], y[:10_000]), 1, 10, eta, verbose=False)
    return net


def finding(net, mnist, X_test):
    X, y, _, yt = mnist
    return diagnostics.diagnose(net, (X, y), test_data=(X_test, yt)).finding(
        "test_inputs_differ")


def transposed(X):
    return X.reshape(-1, 28, 28).transpose(0, 2, 1).reshape(len(X), 784)


@pytest.mark.parametrize(("prepare", "lines"), [
    (transposed, [".transpose(0, 2, 1)"]),
    # centred test inputs only: mapped by their range or by their moments
    (lambda X: X - 0.5, ["X_test = (X_test + 0.5)", "X_test = (X_test + 0.37"]),
])
def test_test_inputs_prepared_otherwise_are_named_and_the_fix_measured(
        trained, mnist, prepare, lines):
    X_test, yt = prepare(mnist[2]), mnist[3]
    found = finding(trained, mnist, X_test)
    assert found is not None and found.severity == "error", found
    assert any(line in found.fix for line in lines), found.fix
    assert found.verified.helped
    # the printed line, applied: the network answers the test images as if
    # they had been prepared right
    line = found.evidence["line"]
    assert line in found.fix
    fixed = eval(line.split(", or")[0].replace("X_test = ", ""), {"X_test": X_test, "np": np})
    clean = trained.accuracy((mnist[2], yt))
    assert trained.accuracy((fixed, yt)) == pytest.approx(clean, abs=0.03)
    assert trained.accuracy((X_test, yt)) < clean - 0.2


def test_a_gap_no_mapping_closes_prints_no_fix(trained, mnist):
    # inverted images: transposing them answers a few more right, but far
    # from closing the gap, so no line is printed as a fix
    found = finding(trained, mnist, 1.0 - mnist[2])
    assert found is not None and found.severity == "info" and found.verified is None
    assert "nothing measured to help" in found.fix


def test_test_images_prepared_alike_are_not_named(trained, mnist):
    assert finding(trained, mnist, mnist[2]) is None


def test_the_command_line_reads_test_data(tmp_path, mnist, capsys):
    X, y, Xt, yt = mnist
    np.savez(tmp_path / "train.npz", X=X, y=y)
    np.savez(tmp_path / "test.npz", X=transposed(Xt), y=yt)
    code = diagnostics.main(["--init", "xavier_normal", "--data", str(tmp_path / "train.npz"),
                             "--test-data", str(tmp_path / "test.npz")])
    # an untrained network answers both near chance: nothing to compare
    assert code in (0, 1) and "test_inputs_differ" not in capsys.readouterr().out
