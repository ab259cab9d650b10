"""network.Network: gradients, the vectorised update, reproducibility, the
book's API and its data formats, bad input, saving and loading.

The reference below is the book's algorithm written plainly, one example at a
time, with its own activation functions, independent of ``network``'s.
"""

import io
import json
import math
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest

import initializers
import network
from nndl import files, fused
from nndl.data import all_finite

# ---- an independent per-example reference ---------------------------------


def ref_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def ref_softmax(z):
    e = np.exp(z)
    return e / np.sum(e)


REF_ACT = {
    "sigmoid": (ref_sigmoid, lambda z: ref_sigmoid(z) * (1 - ref_sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "softsign": (lambda z: z / (1 + np.abs(z)), lambda z: 1 / (1 + np.abs(z)) ** 2),
}


def ref_output(z, cost):
    """The output layer: a softmax with the log-likelihood cost, else a sigmoid."""
    return ref_softmax(z) if cost == "log_likelihood" else ref_sigmoid(z)


def ref_backprop(weights, biases, x, y, activation="sigmoid", cost="quadratic"):
    """The book's backprop for one column example, with a choice of hidden
    activation and cost; the output layer is a sigmoid, or a softmax with the
    log-likelihood cost (whose output error is also a - y, the book's ch. 3)."""
    f, f_prime = REF_ACT[activation]
    a, activations, zs = x, [x], []
    for l, (w, b) in enumerate(zip(weights, biases)):
        z = w @ a + b
        zs.append(z)
        a = ref_output(z, cost) if l == len(weights) - 1 else f(z)
        activations.append(a)
    delta = activations[-1] - y
    if cost == "quadratic":
        delta = delta * ref_sigmoid(zs[-1]) * (1 - ref_sigmoid(zs[-1]))
    nabla_b, nabla_w = [None] * len(weights), [None] * len(weights)
    nabla_b[-1], nabla_w[-1] = delta, delta @ activations[-2].T
    for l in range(2, len(weights) + 1):
        delta = (weights[-l + 1].T @ delta) * f_prime(zs[-l])
        nabla_b[-l], nabla_w[-l] = delta, delta @ activations[-l - 1].T
    return nabla_b, nabla_w


def ref_update(weights, biases, batch, eta, lmbda=0.0, n=1, **kw):
    """network2.py's update_mini_batch, example by example."""
    nb = [np.zeros_like(b) for b in biases]
    nw = [np.zeros_like(w) for w in weights]
    for x, y in batch:
        db, dw = ref_backprop(weights, biases, x, y, **kw)
        nb = [p + q for p, q in zip(nb, db)]
        nw = [p + q for p, q in zip(nw, dw)]
    m = len(batch)
    weights = [(1 - eta * lmbda / n) * w - (eta / m) * g for w, g in zip(weights, nw)]
    biases = [b - (eta / m) * g for b, g in zip(biases, nb)]
    return weights, biases


def ref_cost(weights, biases, x, y, activation, cost):
    f = REF_ACT[activation][0]
    a = x
    for l, (w, b) in enumerate(zip(weights, biases)):
        z = w @ a + b
        a = ref_output(z, cost) if l == len(weights) - 1 else f(z)
    if cost == "quadratic":
        return 0.5 * float(np.sum((a - y) ** 2))
    if cost == "log_likelihood":
        return float(-np.log(a[int(np.argmax(y)), 0]))  # C = -ln a_y
    return float(np.sum(-y * np.log(a) - (1 - y) * np.log(1 - a)))


def one_hot(j, n=10):
    e = np.zeros((n, 1))
    e[j] = 1.0
    return e


def book_data(n, n_in=784, n_out=10, seed=0, labels_as_int=False):
    rng = np.random.default_rng(seed)
    xs = rng.random((n, n_in, 1))
    ys = rng.integers(0, n_out, size=n)
    if labels_as_int:
        return [(x, int(y)) for x, y in zip(xs, ys)]
    return [(x, one_hot(y, n_out)) for x, y in zip(xs, ys)]


def as_arrays(data):
    X = np.stack([x.ravel() for x, _ in data])
    y = np.array([int(np.argmax(t)) if np.ndim(t) else int(t) for _, t in data])
    return X, y


# ---- gradients --------------------------------------------------------------

SMALL = [6, 5, 4, 3]  # three weight layers: every kind of layer is exercised


@pytest.mark.parametrize("cost", network.COSTS)
@pytest.mark.parametrize("activation", network.ACTIVATIONS)
def test_backprop_matches_finite_differences(activation, cost):
    net = network.Network(SMALL, init="xavier_normal", seed=3, activation=activation,
                          cost=cost, bias_init="randn")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((SMALL[0], 1))
    y = one_hot(1, SMALL[-1])
    nabla_b, nabla_w = net.backprop(x, y)
    eps = 1e-6
    for params, grads in ((net.weights, nabla_w), (net.biases, nabla_b)):
        for l, (p, g) in enumerate(zip(params, grads)):
            assert g.shape == p.shape
            numeric = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + eps
                up = ref_cost(net.weights, net.biases, x, y, activation, cost)
                p[idx] = old - eps
                down = ref_cost(net.weights, net.biases, x, y, activation, cost)
                p[idx] = old
                numeric[idx] = (up - down) / (2 * eps)
            np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8,
                                       err_msg=f"layer {l}")


@pytest.mark.parametrize("cost", network.COSTS)
@pytest.mark.parametrize("activation", network.ACTIVATIONS)
def test_backprop_matches_the_per_example_reference(activation, cost):
    net = network.Network([784, 30, 20, 10], init="randn", seed=5, activation=activation,
                          cost=cost)
    for x, y in book_data(5, seed=6):
        got_b, got_w = net.backprop(x, y)
        want_b, want_w = ref_backprop(net.weights, net.biases, x, y, activation, cost)
        for g, w in zip(got_b + got_w, want_b + want_w):
            np.testing.assert_allclose(g, w, rtol=0, atol=1e-10)


@pytest.mark.parametrize("lmbda", [0.0, 5.0])
@pytest.mark.parametrize("cost", network.COSTS)
@pytest.mark.parametrize("activation", network.ACTIVATIONS)
def test_vectorised_update_matches_the_per_example_reference(activation, cost, lmbda):
    # Fan-scaled weights keep ReLU's z small enough for the reference's plain exp.
    net = network.Network([784, 30, 10], init="xavier_normal", bias_init="randn", seed=7,
                          activation=activation, cost=cost)
    weights = [w.copy() for w in net.weights]
    biases = [b.copy() for b in net.biases]
    batch = book_data(10, seed=8)
    for _ in range(3):  # several steps, so that errors would compound
        net.update_mini_batch(batch, 0.5, lmbda=lmbda, n=1000)
        weights, biases = ref_update(weights, biases, batch, 0.5, lmbda=lmbda, n=1000,
                                     activation=activation, cost=cost)
    for got, want in zip(net.weights + net.biases, weights + biases):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


@pytest.mark.parametrize("activation", network.ACTIVATIONS)
def test_the_in_place_step_is_gradient_then_update_bit_for_bit(activation):
    # The training step subtracts each layer's gradient as soon as it is known;
    # it must give exactly what computing every gradient first, then updating, gives.
    stepped = network.Network([784, 20, 15, 10], init="xavier_normal", seed=3,
                            activation=activation)
    plain = network.Network([784, 20, 15, 10], init="xavier_normal", seed=3,
                            activation=activation)
    X, y = as_arrays(book_data(10, seed=4))
    Y = np.eye(10)[y]
    for _ in range(3):
        stepped.update_mini_batch((X, y), 0.5)
        nabla_b, nabla_w = fused.backprop(fused.plan(plain), X, Y, 0.5 / len(X))
        plain.weights = [w - nw for w, nw in zip(plain.weights, nabla_w)]
        plain.biases = [b - nb for b, nb in zip(plain.biases, nabla_b)]
    for got, want in zip(stepped.weights + stepped.biases, plain.weights + plain.biases):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("lmbda", [0.0, 5.0])
@pytest.mark.parametrize("cost", network.COSTS)
@pytest.mark.parametrize("activation", network.ACTIVATIONS)
def test_the_fused_step_is_the_readable_backprop_then_the_book_update(activation, cost, lmbda):
    # SGD and update_mini_batch train through nndl.fused; Network.backprop is the
    # book's BP1-BP4, written to be read.  One step of each must agree (their
    # roundings differ: the fused step scales the error by eta/m first).
    eta, n = 0.5, 1000
    net = network.Network([784, 30, 20, 10], init="xavier_normal", bias_init="randn", seed=9,
                          activation=activation, cost=cost)
    X, y = as_arrays(book_data(10, seed=10))
    Y = np.eye(10)[y]
    for _ in range(3):
        nabla_b, nabla_w = net.backprop(X.T, Y.T)  # the mini-batch as the book's columns
        weights = [(1 - eta * lmbda / n) * w - eta / len(X) * nw
                   for w, nw in zip(net.weights, nabla_w)]
        biases = [b - eta / len(X) * nb for b, nb in zip(net.biases, nabla_b)]
        net.update_mini_batch((X, y), eta, lmbda, n)
        for got, want in zip(net.weights + net.biases, weights + biases):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("activation,eta,lmbda", [
    ("relu", 1e300, 0.0),  # the weights reach 1e299: the second step's products overflow
    ("sigmoid", 1.0, 1e300)])  # the decay -5e299 overflows the weights in the second step
def test_update_mini_batch_that_overflows_warns_once_as_sgd_does(activation, eta, lmbda):
    # pytest turns numpy's RuntimeWarning ("overflow encountered in matmul") into an error
    net = network.Network([784, 100, 10], init="he_normal", seed=0, activation=activation)
    X, y = as_arrays(book_data(10, seed=13))
    with pytest.warns(network.TrainingDivergedWarning, match="lower the learning rate") as seen:
        for _ in range(2):
            net.update_mini_batch((X, y), eta, lmbda, 20)
    assert len(seen) == 1 and seen[0].filename == __file__  # the user's line


def test_backprop_of_a_mini_batch_is_the_sum_of_its_examples():
    net = network.Network([784, 20, 10], seed=11, cost="cross_entropy")
    batch = book_data(4, seed=12)
    X = np.hstack([x for x, _ in batch])
    labels = [int(np.argmax(y)) for _, y in batch]
    got_b, got_w = net.backprop(X, labels)
    each = [net.backprop(x, y) for x, y in batch]
    for l in range(2):
        np.testing.assert_allclose(got_b[l], sum(e[0][l] for e in each), rtol=0, atol=1e-12)
        np.testing.assert_allclose(got_w[l], sum(e[1][l] for e in each), rtol=0, atol=1e-12)


def test_weights_assigned_by_a_callback_are_the_ones_trained():
    # As in the book, weights are plain attributes: a callback may replace them,
    # and the next epoch must train the new ones.
    def restart(net):
        net.weights = [np.zeros_like(w) for w in net.weights]
        net.biases[0] = np.full((16, 1), 0.5, dtype=np.float32)  # another dtype: converted

    data = book_data(40, seed=2)
    net = network.Network([784, 16, 10], seed=1)
    net.SGD(data, 2, 10, 0.5, verbose=False,
            callback=lambda epoch, net, history: restart(net) if epoch == 0 else None)
    twin = network.Network([784, 16, 10], seed=1)  # the same, one epoch at a time
    twin.SGD(data, 1, 10, 0.5, verbose=False)
    restart(twin)
    twin.SGD(data, 1, 10, 0.5, verbose=False)
    assert np.any(net.weights[0] != 0)
    for got, want in zip(net.weights + net.biases, twin.weights + twin.biases):
        np.testing.assert_array_equal(got, want)


def test_sgd_epoch_matches_the_reference_with_the_same_shuffle():
    data = book_data(95, seed=9)  # 95: the last mini-batch is short
    net = network.Network([784, 16, 10], seed=10)
    weights = [w.copy() for w in net.weights]
    biases = [b.copy() for b in net.biases]
    # SGD shuffles with the network's generator, after the initial draws:
    # replay that permutation on a twin generator.
    twin = network.Network([784, 16, 10], seed=10).rng
    order = twin.permutation(len(data))
    net.SGD(data, 1, 10, 0.5, verbose=False)
    for k in range(0, len(data), 10):
        batch = [data[i] for i in order[k:k + 10]]
        weights, biases = ref_update(weights, biases, batch, 0.5)
    for got, want in zip(net.weights + net.biases, weights + biases):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_gradient_is_the_mean_of_per_example_gradients():
    net = network.Network([784, 12, 10], seed=11)
    data = book_data(7, seed=12)
    mean_b, mean_w = net.gradient(data)
    per_example = [ref_backprop(net.weights, net.biases, x, y) for x, y in data]
    for l in range(2):
        np.testing.assert_allclose(mean_b[l], np.mean([p[0][l] for p in per_example], axis=0),
                                   atol=1e-12)
        np.testing.assert_allclose(mean_w[l], np.mean([p[1][l] for p in per_example], axis=0),
                                   atol=1e-12)


# ---- the sigmoid --------------------------------------------------------------


def test_sigmoid_is_stable_and_accurate():
    z = np.array([-1e6, -5000.0, -710.0, -40.0, -1.0, 0.0, 1.0, 40.0, 710.0, 5000.0, 1e6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = network.sigmoid(z)
        sp = network.sigmoid_prime(z)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(sp))
    assert 0.0 <= s[0] < 1e-307 and s[-1] == 1.0  # 0 in all but the last bits
    moderate = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(network.sigmoid(moderate), 1 / (1 + np.exp(-moderate)),
                               rtol=1e-12, atol=1e-15)
    # Full relative precision in the negative tail, where (1 + tanh(z/2)) / 2 gives 0.
    tail = np.array([-40.0, -100.0, -700.0])
    np.testing.assert_allclose(network.sigmoid(tail), np.exp(tail) / (1 + np.exp(tail)),
                               rtol=1e-13)
    s32 = network.sigmoid(np.array([-1e6, -100.0, 0.0, 100.0], dtype=np.float32))
    assert s32.dtype == np.float32 and s32[0] < 1e-38 and s32[2] == 0.5 and s32[3] == 1.0
    assert network.sigmoid(np.float64(0.3)).shape == ()


# ---- softsign, softmax and the log-likelihood cost ------------------------------

EXTREME = [-np.inf, -1e300, -1e30, -40.0, -1.0, -1e-300, 0.0, 1e-300, 1.0, 40.0, 1e30, 1e300,
           np.inf]  # clipped to the largest finite float of each dtype before use


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softsign_is_finite_and_exact_at_any_z(dtype):
    big = np.finfo(dtype).max
    z = np.clip(np.array(EXTREME), -big, big).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, p = network.softsign(z), network.softsign_prime(z)
    assert a.dtype == p.dtype == dtype
    assert np.all(np.abs(a) <= 1) and np.all((p >= 0) & (p <= 1))
    assert a[0] == -1 and a[-1] == 1 and p[0] == 0 and a[6] == 0 and p[6] == 1
    moderate = np.linspace(-50, 50, 1001)
    np.testing.assert_allclose(network.softsign(moderate), moderate / (1 + abs(moderate)),
                               rtol=1e-15)
    np.testing.assert_allclose(network.softsign_prime(moderate),
                               1 / (1 + abs(moderate)) ** 2, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_is_a_distribution_at_any_z(dtype):
    big = np.finfo(dtype).max
    rng = np.random.default_rng(0)
    z = np.clip(rng.choice(EXTREME, size=(200, 10)), -big, big).astype(dtype)
    z[0] = big  # all equal and huge
    z[1] = [big, -big] * 5  # a spread beyond the float range
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = network.softmax(z)
    assert a.dtype == dtype and np.all(np.isfinite(a)) and np.all(a >= 0)
    np.testing.assert_allclose(a.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(a[0], 0.1, rtol=1e-6)
    np.testing.assert_array_equal(a[1], np.array([0.2, 0] * 5, dtype=dtype))
    moderate = rng.standard_normal((5, 10)) * 10
    want = np.exp(moderate) / np.exp(moderate).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(network.softmax(moderate), want, rtol=1e-13)
    np.testing.assert_allclose(network.softmax(moderate.T, axis=0), want.T, rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_likelihood_cost_is_finite_at_any_z(dtype):
    # A [2, 3] network whose weights make z any value we like: z = w @ x for x = (1, 0).
    big = float(np.finfo(dtype).max)
    net = network.Network([2, 3], init="zeros", cost="log_likelihood", dtype=dtype)
    x = np.array([[1.0, 0.0]], dtype=dtype)
    for z in ([big, -big, 0.0], [1e30, -1e30, 0.0], [0.0, 0.0, 0.0], [-big, -big, -big],
              [40.0, -40.0, 1.0]):
        net.weights[0] = np.array([[z[0], 0], [z[1], 0], [z[2], 0]], dtype=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            costs = [net.total_cost((x, np.array([label]))) for label in range(3)]
            out = net.feedforward(x.T)
        assert all(math.isfinite(c) and c >= 0 for c in costs), (z, costs)
        assert np.all(np.isfinite(out)) and float(out.sum()) == pytest.approx(1, rel=1e-6)
        # -ln a_y, where it does not underflow; a gap of g costs about g otherwise.
        z64 = [float(v) for v in np.array(z, dtype=dtype)]  # Python floats: inf, no warning
        m = max(z64)
        for label in range(3):
            gap = m - z64[label]
            if gap < 30:
                want = gap + math.log(sum(math.exp(v - m) for v in z64))
                assert costs[label] == pytest.approx(want, rel=1e-5, abs=1e-6)
            else:
                assert costs[label] >= min(gap, big / 4) * (1 - 1e-6)


def test_log_likelihood_cost_is_the_mean_of_minus_ln_a_y():
    net = network.Network([784, 20, 10], init="xavier_normal", bias_init="randn", seed=2,
                          activation="softsign", cost="log_likelihood")
    data = book_data(25, seed=3)
    want = np.mean([ref_cost(net.weights, net.biases, x, y, "softsign", "log_likelihood")
                    for x, y in data])
    assert net.total_cost(data) == pytest.approx(want, rel=1e-12)
    assert net.total_cost(data) == pytest.approx(net.total_cost(as_arrays(data)), rel=1e-12)
    np.testing.assert_allclose(net.feedforward(data[0][0]).sum(), 1.0, rtol=1e-12)


@pytest.mark.parametrize("cost", ["log_likelihood", "cross_entropy"])
@pytest.mark.parametrize("activation", ["softsign", "tanh"])
def test_float32_gradients_agree_with_float64(activation, cost):
    net64 = network.Network([784, 40, 30, 10], init="xavier_uniform", seed=4,
                            activation=activation, cost=cost)
    net32 = network.Network([784, 40, 30, 10], init="zeros", seed=4, activation=activation,
                            cost=cost, dtype=np.float32)
    net32.weights = [w.astype(np.float32) for w in net64.weights]
    net32.biases = [b.astype(np.float32) for b in net64.biases]
    data = book_data(20, seed=5)
    (b64, w64), (b32, w32) = net64.gradient(data), net32.gradient(data)
    for g64, g32 in zip(b64 + w64, b32 + w32):
        assert g32.dtype == np.float32
        np.testing.assert_allclose(g32, g64, rtol=2e-3, atol=2e-3 * np.abs(g64).max())
    history = net32.SGD(data, 2, 5, 0.1, test_data=data, verbose=False)
    assert all(p.dtype == np.float32 for p in net32.weights + net32.biases)
    assert all(math.isfinite(c) for c in history.test_cost)


def test_rand_init_training_raises_no_overflow_warning():
    # rand init gives z in the hundreds; with larger inputs, thousands.
    net = network.Network([784, 30, 10], init="rand", seed=0)
    data = [(x * 50, y) for x, y in book_data(20, seed=1)]
    with pytest.warns(network.UnscaledInputWarning):
        zs, _ = net.forward(as_arrays(data)[0])
    assert zs[0].min() > 1000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", network.UnscaledInputWarning)  # x * 50 is meant
        net.SGD(data, 1, 10, 3.0, test_data=book_data(10, labels_as_int=True), verbose=False)


# ---- the book's API and data formats ---------------------------------------------


def test_attributes_and_shapes_are_the_books():
    net = network.Network([784, 30, 10])
    assert net.num_layers == 3 and net.sizes == [784, 30, 10]
    assert [w.shape for w in net.weights] == [(30, 784), (10, 30)]
    assert [b.shape for b in net.biases] == [(30, 1), (10, 1)]
    assert net.feedforward(np.zeros((784, 1))).shape == (10, 1)
    assert net.cost_derivative(np.ones((10, 1)), np.zeros((10, 1))).shape == (10, 1)


def test_the_books_session_prints_the_books_lines():
    train, test = book_data(50, seed=2), book_data(20, seed=3, labels_as_int=True)
    net = network.Network([784, 30, 10], seed=1)
    out = io.StringIO()
    with redirect_stdout(out):
        history = net.SGD(train, 2, 10, 3.0, test_data=test)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Epoch 0: ") and lines[0].endswith(" / 20")
    assert int(lines[1].split()[2]) == round(history.test_accuracy[1] * 20)
    assert len(history.seconds) == 2 and len(history.test_cost) == 2
    out = io.StringIO()
    with redirect_stdout(out):
        net.SGD(train, 1, 10, 3.0)
    assert out.getvalue() == "Epoch 0 complete\n"
    out = io.StringIO()
    with redirect_stdout(out):
        net.SGD(train, 1, 10, 3.0, test_data=test, verbose=False)
    assert out.getvalue() == ""


def test_zip_lists_and_arrays_train_identically():
    """Python 3's zip (the book's loader returns one), lists and arrays."""
    train = book_data(40, seed=4)
    test = book_data(15, seed=5, labels_as_int=True)
    X, y = as_arrays(train)
    results = []
    for data, test_data in [
        (train, test),
        (zip([x for x, _ in train], [t for _, t in train]), zip(*zip(*test))),
        ((X, y), as_arrays(test)),
    ]:
        net = network.Network([784, 20, 10], seed=6)
        h = net.SGD(data, 2, 10, 3.0, test_data=test_data, verbose=False)
        results.append((net.weights[0], h.test_accuracy))
    for w, acc in results[1:]:
        np.testing.assert_array_equal(w, results[0][0])
        assert acc == results[0][1]


def test_flat_inputs_are_read_as_columns_not_broadcast():
    net = network.Network([784, 30, 10], seed=0)
    x = np.random.default_rng(0).random((784, 1))
    np.testing.assert_array_equal(net.feedforward(x.ravel()), net.feedforward(x))
    flat = [(x.ravel(), y) for x, y in book_data(10)]
    columns = book_data(10)
    a = network.Network([784, 30, 10], seed=1)
    b = network.Network([784, 30, 10], seed=1)
    a.update_mini_batch(flat, 1.0)
    b.update_mini_batch(columns, 1.0)
    np.testing.assert_array_equal(a.weights[0], b.weights[0])
    with pytest.raises(ValueError, match=r"expected x of shape \(784, 1\), got \(1, 784\)"):
        net.update_mini_batch([(x.T, one_hot(0))], 1.0)


def test_feedforward_takes_columns_of_inputs_like_the_book():
    net = network.Network([784, 30, 10], seed=0)
    X = np.random.default_rng(1).random((784, 5))
    out = net.feedforward(X)
    assert out.shape == (10, 5)
    np.testing.assert_allclose(out[:, [2]], net.feedforward(X[:, [2]]), atol=1e-15)


def test_assigned_weights_are_used():
    net = network.Network([784, 30, 10], seed=0)
    other = network.Network([784, 30, 10], seed=99)
    net.weights = [w.copy() for w in other.weights]
    net.biases = [b.copy() for b in other.biases]
    x = np.full((784, 1), 0.5)
    np.testing.assert_array_equal(net.feedforward(x), other.feedforward(x))
    net.SGD(book_data(20), 1, 10, 1.0, verbose=False)  # trains on the assigned arrays
    net.weights = [np.zeros((30, 783)), np.zeros((10, 30))]
    shape_error = r"weights\[0\].*expected shape \(30, 784\), got \(30, 783\)"
    with pytest.raises(ValueError, match=shape_error):
        net.SGD(book_data(20), 1, 10, 1.0, verbose=False)


def test_l2_cost_term_is_added_once_per_evaluation():
    net = network.Network([784, 30, 10], seed=0)
    data = book_data(25, seed=1)
    plain = net.total_cost(data)
    want = np.mean([ref_cost(net.weights, net.biases, x, y, "sigmoid", "quadratic")
                    for x, y in data])
    assert plain == pytest.approx(want, rel=1e-12)
    l2 = sum(float(np.sum(w ** 2)) for w in net.weights)
    assert net.total_cost(data, lmbda=2.0, n=1000) == pytest.approx(plain + 2.0 / 2000 * l2)


def test_cross_entropy_cost_is_finite_when_saturated():
    net = network.Network([784, 30, 10], init="rand", seed=0, cost="cross_entropy")
    cost = net.total_cost(book_data(10))
    assert math.isfinite(cost) and cost > 10  # saturated outputs that are wrong cost a lot


def test_monitoring_records_every_requested_series():
    net = network.Network([784, 20, 10], seed=0, cost="cross_entropy")
    out = io.StringIO()
    with redirect_stdout(out):
        h = net.SGD(book_data(40), 3, 10, 0.5, lmbda=1.0,
                    evaluation_data=book_data(10, seed=3, labels_as_int=True),
                    monitor_evaluation_cost=True, monitor_evaluation_accuracy=True,
                    monitor_training_cost=True, monitor_training_accuracy=True)
    for series in (h.evaluation_cost, h.evaluation_accuracy, h.training_cost,
                   h.training_accuracy, h.seconds):
        assert len(series) == 3
    assert h.test_accuracy == []
    text = out.getvalue()
    for phrase in ("Cost on training data", "Accuracy on training data",
                   "Cost on evaluation data", "Accuracy on evaluation data: "):
        assert text.count(phrase) == 3
    assert json.loads(json.dumps(h.to_dict()))["training_cost"] == h.training_cost


def test_callback_runs_after_each_epoch():
    seen = []
    net = network.Network([784, 10, 10], seed=0)
    net.SGD(book_data(20), 3, 10, 1.0, verbose=False,
            callback=lambda epoch, n, history: seen.append((epoch, n is net,
                                                            len(history.seconds))))
    assert seen == [(0, True, 1), (1, True, 2), (2, True, 3)]


def test_float32_network_stays_float32():
    net = network.Network([784, 30, 10], seed=0, dtype=np.float32)
    net.SGD(book_data(20), 1, 10, 3.0, test_data=book_data(10, labels_as_int=True),
            verbose=False)
    assert all(p.dtype == np.float32 for p in net.weights + net.biases)


@pytest.mark.parametrize("activation", network.ACTIVATIONS)
def test_every_activation_learns_a_separable_problem(activation):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 8))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    net = network.Network([8, 16, 2], init="xavier_normal", seed=1, activation=activation)
    before = net.accuracy((X, y))
    net.SGD((X, y), 20, 10, 0.5, verbose=False)
    assert net.accuracy((X, y)) > max(0.9, before)


# ---- reproducibility ------------------------------------------------------------


@pytest.mark.parametrize("init", ["randn", "xavier_uniform", "rand"])
def test_same_seed_gives_bit_identical_training(init):
    data = book_data(60, seed=1)

    def train(seed):
        net = network.Network([784, 30, 10], init=init, seed=seed)
        net.SGD(data, 2, 10, 3.0, verbose=False)
        return net

    a, b, c = train(42), train(42), train(43)
    for p, q in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(p, q)
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_no_seed_means_fresh_entropy():
    a, b = network.Network([784, 30, 10]), network.Network([784, 30, 10])
    assert not np.array_equal(a.weights[0], b.weights[0])


def test_init_and_bias_init_choices():
    net = network.Network([784, 30, 10], init="xavier_uniform", bias_init="randn", seed=0)
    assert np.std(net.biases[0]) > 0.5
    net = network.Network([784, 30, 10], init="randn", bias_init=0.25, seed=0)
    assert np.all(net.biases[0] == 0.25)
    net = network.Network([784, 30, 10], init=lambda rng, shape, dtype: np.ones(shape), seed=0)
    assert np.all(net.weights[0] == 1) and np.all(net.biases[0] == 0)
    net = network.Network([784, 30, 10], init=initializers.he_normal, seed=0)
    assert net.init == "he_normal"


# ---- bad input --------------------------------------------------------------------


@pytest.mark.parametrize("sizes, message", [
    ([784], "at least two layers"),
    ([], "at least two layers"),
    ([784, 0, 10], "positive integers"),
    ([784, -3, 10], "positive integers"),
    ([784, 2.5, 10], "positive integers"),
])
def test_bad_sizes(sizes, message):
    with pytest.raises(ValueError, match=message):
        network.Network(sizes)


def test_unknown_initializer_lists_the_valid_names():
    with pytest.raises(ValueError) as err:
        network.Network([784, 30, 10], init="uniform")
    assert "uniform" in str(err.value)
    for name in initializers.names():
        assert name in str(err.value)
    with pytest.raises(ValueError, match="zeros"):
        network.Network([784, 30, 10], bias_init="nope")


def test_unknown_activation_and_cost():
    with pytest.raises(ValueError, match="sigmoid, tanh, relu"):
        network.Network([784, 30, 10], activation="softplus")
    with pytest.raises(ValueError, match="quadratic, cross_entropy"):
        network.Network([784, 30, 10], cost="log")


def test_initializer_returning_the_wrong_shape():
    with pytest.raises(ValueError, match=r"expected shape \(30, 784\), got \(784, 30\)"):
        network.Network([784, 30, 10], init=lambda rng, shape, dtype: np.zeros(shape[::-1]))


@pytest.mark.parametrize("kwargs, message", [
    ({"mini_batch_size": 0}, "mini_batch_size must be an integer >= 1"),
    ({"mini_batch_size": 2.5}, "mini_batch_size must be an integer >= 1"),
    ({"eta": 0.0}, "eta must be a positive finite number"),
    ({"eta": -1.0}, "eta must be a positive finite number"),
    ({"eta": float("nan")}, "eta must be a positive finite number"),
    ({"eta": float("inf")}, "eta must be a positive finite number"),
    ({"epochs": -1}, "epochs must be an integer >= 0"),
])
def test_bad_training_settings_fail_before_training(kwargs, message):
    net = network.Network([784, 30, 10], seed=0)
    before = net.weights[0].copy()
    args = {"epochs": 1, "mini_batch_size": 10, "eta": 3.0} | kwargs
    with pytest.raises(ValueError, match=message):
        net.SGD(book_data(20), args["epochs"], args["mini_batch_size"], args["eta"])
    np.testing.assert_array_equal(net.weights[0], before)


def poisoned(data, index, x=None, y=None):
    data = list(data)
    old_x, old_y = data[index]
    data[index] = (old_x if x is None else x, old_y if y is None else y)
    return data


@pytest.mark.parametrize("make, message", [
    (lambda d: poisoned(d, 3, x=np.zeros((783, 1))),
     r"training_data\[3\]: expected x of shape \(784, 1\), got \(783, 1\)"),
    (lambda d: poisoned(d, 0, x=np.zeros((784, 2))), r"expected x of shape \(784, 1\)"),
    (lambda d: poisoned(d, 2, y=np.zeros((9, 1))),
     r"training_data\[2\]: expected y to be an int label or of shape \(10, 1\), got \(9, 1\)"),
    (lambda d: poisoned(d, 1, x=np.full((784, 1), np.nan)), "NaN or infinity"),
    (lambda d: poisoned(d, 1, x=np.full((784, 1), np.inf)), "NaN or infinity"),
    (lambda d: [(x, 10) for x, _ in d], "label 10 is out of range; labels run from 0 to 9"),
    (lambda d: [(x, -1) for x, _ in d], "label -1 is out of range"),
    (lambda d: [], "training_data is empty"),
    (lambda d: [d[0][0]] + d[1:], r"training_data\[0\]: expected an \(x, y\) pair"),
    (lambda d: (np.zeros((5, 783)), np.zeros(5, dtype=int)),
     r"expected inputs of shape \(n, 784\), got \(5, 783\)"),
    (lambda d: (np.zeros((5, 784)), np.zeros(4, dtype=int)), "5 inputs but 4 labels"),
    (lambda d: (np.zeros((5, 784)), np.full(5, 0.5)), "labels must be integers"),
    (lambda d: (np.zeros((5, 784)), np.zeros((5, 3))),
     r"expected labels of shape \(n,\) or targets of shape \(n, 10\), got \(5, 3\)"),
])
def test_bad_data_fails_with_a_message_that_names_the_problem(make, message):
    net = network.Network([784, 30, 10], seed=0)
    before = net.weights[0].copy()
    with pytest.raises(ValueError, match=message):
        net.SGD(make(book_data(6)), 1, 2, 3.0, verbose=False)
    np.testing.assert_array_equal(net.weights[0], before)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_non_finite_number_anywhere_is_refused(bad, dtype):
    X = np.random.default_rng(0).random((50, 784)).astype(dtype)
    X[37, 500] = bad
    net = network.Network([784, 30, 10], seed=0, dtype=dtype)
    with pytest.raises(ValueError, match="NaN or infinity"):
        net.SGD((X, np.zeros(50, dtype=int)), 1, 10, 3.0, verbose=False)
    Y = np.zeros((50, 10), dtype=dtype)
    Y[3, 4] = bad
    with pytest.raises(ValueError, match="targets contain NaN or infinity"):
        net.SGD((np.zeros((50, 784)), Y), 1, 10, 3.0, verbose=False)


def test_huge_finite_inputs_whose_sum_overflows_are_accepted():
    # The fast check sums each row; an overflowing sum must not be taken for
    # an infinity in the data.
    X = np.full((4, 784), np.finfo(np.float64).max / 2)
    with np.errstate(over="ignore"):
        assert np.isinf(X.sum(axis=1)).all()
    assert all_finite(X)
    X[2, 100] = np.nan
    assert not all_finite(X)


def test_bad_test_data_fails_before_training():
    net = network.Network([784, 30, 10], seed=0)
    before = net.weights[0].copy()
    with pytest.raises(ValueError, match=r"test_data: label 12 is out of range"):
        net.SGD(book_data(6), 1, 2, 3.0, test_data=[(np.zeros((784, 1)), 12)])
    np.testing.assert_array_equal(net.weights[0], before)


def test_feedforward_of_the_wrong_length():
    net = network.Network([784, 30, 10], seed=0)
    with pytest.raises(ValueError, match=r"expected an input of shape \(784, 1\), got \(10, 1\)"):
        net.feedforward(np.zeros((10, 1)))


# ---- saving and loading -------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_save_and_load_round_trip(tmp_path, suffix):
    net = network.Network([784, 20, 10], init="xavier_normal", seed=0, activation="tanh",
                          cost="cross_entropy")
    net.SGD(book_data(20), 1, 10, 1.0, verbose=False)
    path = tmp_path / f"net{suffix}"
    net.save(path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    loaded = network.Network.load(path)
    assert (loaded.sizes, loaded.activation, loaded.cost) == ([784, 20, 10], "tanh",
                                                              "cross_entropy")
    for p, q in zip(net.weights + net.biases, loaded.weights + loaded.biases):
        np.testing.assert_array_equal(p, q)


def test_save_replaces_atomically_and_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "net.npz"
    network.Network([784, 5, 10], seed=0).save(path)
    old = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        network.Network([784, 5, 10], seed=1).save(path)
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]


def test_load_refuses_pickles_and_foreign_files(tmp_path):
    evil = tmp_path / "evil.npz"
    np.savez(evil, meta=np.array([{"format": "nndl-init network"}], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        network.Network.load(evil)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError, match="not a saved nndl-init network"):
        network.Network.load(other)


def test_load_checks_shapes(tmp_path):
    path = tmp_path / "net.json"
    network.Network([784, 5, 10], seed=0).save(path)
    meta = json.loads(path.read_text())
    meta["weights"][0] = [[0.0] * 784] * 4
    path.write_text(json.dumps(meta))
    shape_error = r"weights\[0\]: expected shape \(5, 784\), got \(4, 784\)"
    with pytest.raises(ValueError, match=shape_error):
        network.Network.load(path)


def test_saved_file_has_the_usual_permissions(tmp_path):
    # mkstemp creates 0600 files; a saved network should be readable like any file.
    path = tmp_path / "net.npz"
    network.Network([784, 5, 10], seed=0).save(path)
    assert path.stat().st_mode & 0o777 == 0o666 & ~files.UMASK
