"""LSUV (Mishkin & Matas 2015): after it, every layer's weighted inputs have
variance 1 within the tolerance on data it has not seen; it is reproducible,
draws only from the network's generator, and says clearly when a layer cannot
reach the target."""

import math

import numpy as np
import pytest

import initializers
import network
from experiments import datasets


def batches(mnist_dir):
    """1,000 training images for LSUV and 1,000 validation images held out,
    each spread evenly over its set."""
    training, validation, _ = datasets.load("mnist", mnist_dir)
    return training[0][::50], validation[0][::10]


def z_variances(net, X):
    return [float(np.var(z)) for z in net.forward(X)[0]]


@pytest.mark.parametrize(("sizes", "activation"), [
    *(([784, 30, 10], activation) for activation in network.ACTIVATIONS),
    ([784, 100, 60, 30, 10], "relu"),
    ([784, 100, 60, 30, 10], "sigmoid"),
])
def test_every_layer_has_unit_variance_on_a_held_out_batch(mnist_dir, sizes, activation):
    X, held_out = batches(mnist_dir)
    net = network.Network(sizes, "orthogonal", seed=0, activation=activation)
    report = initializers.lsuv(net, X, tol=0.1)
    assert [r.layer for r in report] == list(range(1, len(sizes)))
    for r, var in zip(report, z_variances(net, X)):
        assert r.iterations >= 1 and abs(r.variance - 1) <= 0.1
        assert r.variance == pytest.approx(var, rel=1e-12)
    for layer, var in enumerate(z_variances(net, held_out), 1):
        assert abs(var - 1) <= 0.1, (layer, var)


@pytest.mark.parametrize("activation", network.ACTIVATIONS)
def test_any_activation_on_synthetic_data(activation):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((500, 20)) * 3 + 1
    net = network.Network([20, 40, 40, 40, 5], seed=2, activation=activation)
    report = initializers.lsuv(net, X, tol=0.05)
    assert all(abs(v - 1) <= 0.05 for v in z_variances(net, X))
    assert all(abs(v - 1) <= 0.1 for v in z_variances(net, rng.standard_normal((500, 20)) * 3
                                                      + 1))
    assert not any(b.any() for b in net.biases)  # the orthonormal start has zero biases
    text = str(report[0])
    assert text.startswith("layer 1: 1 iteration, Var z ") and text.endswith("-> 1")


def test_the_start_is_orthonormal_and_drawn_from_the_networks_generator():
    rng = np.random.default_rng(0)
    X = rng.random((300, 50))
    state = np.random.get_state()  # noqa: NPY002 (the legacy global generator must stay untouched)
    net = network.Network([50, 20, 30, 4], "zeros", seed=7)  # zeros draws nothing
    initializers.lsuv(net, X)
    assert np.random.get_state()[1].tolist() == state[1].tolist()  # noqa: NPY002
    # The same draws, made by hand from a generator of the same seed: each
    # layer is that orthogonal matrix times one positive number.
    mine = np.random.default_rng(7)
    for w in net.weights:
        q = initializers.orthogonal(mine, w.shape)
        ratio = w / q
        assert np.allclose(ratio, ratio.flat[0], rtol=1e-12) and ratio.flat[0] > 0
    assert net.rng.bit_generator.state == mine.bit_generator.state


def test_same_seed_same_data_same_weights_bit_for_bit():
    X = np.random.default_rng(1).random((200, 30))
    nets = [network.Network([30, 16, 16, 3], seed=s, activation="tanh") for s in (4, 4, 5)]
    reports = [initializers.lsuv(net, X) for net in nets]
    assert reports[0] == reports[1]
    for a, b in zip(nets[0].weights, nets[1].weights):
        assert np.array_equal(a, b)
    assert not np.array_equal(nets[0].weights[0], nets[2].weights[0])


def test_float32_networks():
    X = np.random.default_rng(3).random((300, 30))
    net = network.Network([30, 20, 5], seed=0, dtype=np.float32)
    report = initializers.lsuv(net, X)
    assert net.weights[0].dtype == np.float32
    assert all(abs(r.variance - 1) <= 0.1 for r in report)


# ---- a layer that cannot reach the target ---------------------------------------------


@pytest.mark.filterwarnings("ignore::network.UnscaledInputWarning")  # on purpose
def test_every_unit_dead_is_a_clear_error_and_leaves_the_network_as_it_was():
    # A 1 -> 1 -> 1 ReLU network: its orthonormal first layer is +1 or -1, so
    # one of X and -X makes every hidden output 0 for every example.
    X = np.array([[1.0], [2.0], [3.0]])
    messages = []
    for sign in (1, -1):
        net = network.Network([1, 1, 1], "randn", seed=0, activation="relu")
        before = [a.copy() for a in net.weights + net.biases]
        try:
            initializers.lsuv(net, sign * X)
        except ValueError as err:
            messages.append(str(err))
            for a, b in zip(net.weights + net.biases, before):
                assert np.array_equal(a, b)  # restored
    assert len(messages) == 1
    assert "layer 2 cannot reach Var z = 1" in messages[0]
    assert "every unit of layer 1 is dead" in messages[0] and "relu" in messages[0]


def test_constant_inputs_are_a_clear_error():
    net = network.Network([10, 5, 2], seed=0)
    with pytest.raises(ValueError, match=r"layer 1 cannot reach.*variance 0.*all zeros"):
        initializers.lsuv(net, np.zeros((50, 10)))


@pytest.mark.filterwarnings("ignore::network.UnscaledInputWarning")  # on purpose
def test_inputs_too_large_for_a_finite_variance_are_a_clear_error():
    net = network.Network([8, 4, 2], seed=0)
    before = [w.copy() for w in net.weights]
    with pytest.raises(ValueError, match=r"layer 1's weighted inputs z have variance (inf|nan)"
                                         r".*scale the inputs"):
        initializers.lsuv(net, np.full((20, 8), 1e300) * np.arange(1, 21)[:, None])
    assert all(np.array_equal(a, b) for a, b in zip(net.weights, before))


def test_a_target_out_of_reach_stops_after_max_iter(monkeypatch):
    # Units whose z carries an offset of its own, with variance 2 over the
    # units (as large random biases would give): Var z >= 2 whatever the scale.
    X = np.random.default_rng(0).random((100, 8))
    net = network.Network([8, 6, 2], seed=0)
    offset = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, 0.0]) * math.sqrt(2 / (10 / 6))
    forward = net.forward

    def offset_forward(X):
        zs, activations = forward(X)
        return [zs[0] + offset, *zs[1:]], activations

    monkeypatch.setattr(net, "forward", offset_forward)
    with pytest.raises(ValueError, match=r"layer 1 did not reach Var z = 1 \+- 0.1 in 4 "
                                         r"rescalings \(variances: "):
        initializers.lsuv(net, X, max_iter=4)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"X": np.zeros((5, 3))}, r"shape \(n, 8\)"),
    ({"X": np.zeros((0, 8))}, "n >= 1"),
    ({"X": np.full((5, 8), np.nan)}, "NaN or infinity"),
    ({"tol": 0.0}, "tol must be in"),
    ({"tol": 1.5}, "tol must be in"),
    ({"max_iter": 0}, "max_iter must be an integer"),
    ({"max_iter": 2.5}, "max_iter must be an integer"),
])
def test_bad_arguments(kwargs, message):
    net = network.Network([8, 4, 2], seed=0)
    args = {"X": np.ones((5, 8)), **kwargs}
    with pytest.raises(ValueError, match=message):
        initializers.lsuv(net, **args)


def test_network_init_lsuv_points_to_the_function():
    with pytest.raises(ValueError, match=r"initializers.lsuv\(net, X\)"):
        network.Network([784, 30, 10], init="lsuv")


def test_consecutive_mnist_images_are_not_a_fair_batch(mnist_dir):
    # What lsuv's docstring warns of: blocks of 1,000 training images differ
    # in mean ink by up to 8 %.
    training, _, _ = datasets.load("mnist", mnist_dir)
    ink = training[0].sum(axis=1)
    blocks = ink.reshape(50, 1000).mean(axis=1) / ink.mean()
    assert 0.07 < max(blocks.max() - 1, 1 - blocks.min()) <= 0.08
