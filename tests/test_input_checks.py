"""Bad and unusual input to network.Network (issue 9, items 1 to 11): each case
gets a clear error or warning, before any work, and nothing is damaged.

One test per case of the issue, then a variant of each kind that the issue
does not list.  Every test here fails on the code before the issue, except
two cases of the shape test (SGD's own message, which the others now share).
"""

import json
import warnings

import numpy as np
import pytest

import network
import network2
from nndl import activations
from nndl.activations import TABLE

SIZES = [784, 30, 10]
NAN_ERROR = r"weights\[0\] contains NaN"
SHAPE_ERROR = r"weights\[0\]: expected shape \(30, 784\), got \(784, 30\)"


def arrays(n=20, seed=0):
    """``n`` examples as the array pair ``(X, y)``: pixels in [0, 1), labels 0..9."""
    rng = np.random.default_rng(seed)
    return rng.random((n, 784)), rng.integers(0, 10, n)


def book_list(n=20, seed=0):
    """The same examples in the book's format: ``(x (784, 1), label)``."""
    X, y = arrays(n, seed)
    return [(x.reshape(784, 1), int(label)) for x, label in zip(X, y)]


def snapshot(net):
    return [p.copy() for p in net.weights + net.biases]


def assert_unchanged(net, before):
    for p, q in zip(net.weights + net.biases, before):
        np.testing.assert_array_equal(p, q)


# Every public method that uses the parameters, called on good input.
def _calls(tmp_path):
    X, y = arrays()
    x = X[0].reshape(784, 1)
    return {
        "feedforward": lambda net: net.feedforward(x),
        "forward": lambda net: net.forward(X),
        "evaluate": lambda net: net.evaluate((X, y)),
        "accuracy": lambda net: net.accuracy((X, y)),
        "total_cost": lambda net: net.total_cost((X, y)),
        "predict": lambda net: net.predict(X),
        "backprop": lambda net: net.backprop(x, 3),
        "gradient": lambda net: net.gradient((X, y)),
        "update_mini_batch": lambda net: net.update_mini_batch((X[:10], y[:10]), 3.0),
        "SGD": lambda net: net.SGD((X, y), 1, 10, 3.0, verbose=False),
        "save": lambda net: net.save(tmp_path / "net.npz"),
    }


METHODS = list(_calls(None))


# ---- 1. non-finite parameters --------------------------------------------------------


def test_a_nan_weight_is_refused_by_sgd_before_any_work():
    net = network.Network(SIZES, seed=0)
    net.weights[0][0, 0] = np.nan
    before, state = snapshot(net), net.rng.bit_generator.state
    with pytest.raises(ValueError, match=NAN_ERROR):
        net.SGD(book_list(), 1, 10, 3.0, verbose=False)
    assert_unchanged(net, before)
    assert net.rng.bit_generator.state == state  # not even a shuffle was drawn


@pytest.mark.parametrize("method", METHODS)
def test_every_public_method_refuses_a_nan_weight(method, tmp_path):
    net = network.Network(SIZES, seed=0)
    net.weights[0][5, 7] = np.nan
    with pytest.raises(ValueError, match=NAN_ERROR + r" \(first at \[5, 7\]\)"):
        _calls(tmp_path)[method](net)
    assert not (tmp_path / "net.npz").exists()


def test_an_init_function_that_returns_nan_is_refused_at_construction():
    with pytest.raises(ValueError, match=NAN_ERROR):
        network.Network(SIZES, init=lambda rng, shape, dtype: np.full(shape, np.nan))


def test_variant_infinity_in_a_bias_of_the_last_layer():
    net = network.Network(SIZES, seed=0)
    net.biases[1][3, 0] = -np.inf
    with pytest.raises(ValueError, match=r"biases\[1\] contains infinity"):
        net.evaluate(arrays())


def test_variant_a_bias_init_function_that_returns_infinity():
    with pytest.raises(ValueError, match=r"biases\[0\] contains infinity"):
        network.Network(SIZES, bias_init=lambda rng, shape, dtype: np.full(shape, np.inf))


def test_variant_a_callback_that_writes_nan_stops_training_after_it():
    def poison(epoch, net, history):
        net.weights[1][0, 0] = np.nan

    net = network.Network(SIZES, seed=0)
    with pytest.raises(ValueError, match=r"weights\[1\] contains NaN"):
        net.SGD(arrays(), 3, 10, 3.0, verbose=False, callback=poison)


@pytest.mark.parametrize("cost", ["cross_entropy", "log_likelihood"])
def test_weights_training_made_nan_are_warned_not_refused_after_a_callback(cost):
    # SGD warns that training diverged; a callback that assigned nothing
    # does not turn that into an error that ends training and loses the history
    seen = []
    net = network.Network(SIZES, seed=0, cost=cost)
    with pytest.warns(network.TrainingDivergedWarning):
        history = net.SGD(arrays(), 3, 10, 1e300, verbose=False, test_data=arrays(),
                          callback=lambda j, n, h: seen.append(j))
    assert seen == [0, 1, 2] and len(history.test_accuracy) == 3


def test_network2_keeps_monitoring_a_diverged_training_as_the_book_prints_it():
    net = network2.Network(SIZES, seed=0)
    with pytest.warns(network.TrainingDivergedWarning):
        _, _, cost, accuracy = net.SGD(arrays(), 3, 10, 1e300, monitor_training_cost=True,
                                       monitor_training_accuracy=True)
    assert len(cost) == 3 and np.isnan(cost[-1]) and len(accuracy) == 3


def test_variant_a_saved_file_with_nan_is_refused_on_load(tmp_path):
    path = tmp_path / "net.json"
    network.Network(SIZES, seed=0).save(path)
    meta = json.loads(path.read_text())
    meta["biases"][0][2] = [float("nan")]
    path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"biases\[0\] contains NaN"):
        network.Network.load(path)


def test_variant_float64_weights_beyond_float32_range():
    net = network.Network(SIZES, seed=0, dtype=np.float32)
    w = net.weights[0].astype(np.float64)
    w[1, 2] = 1e300
    net.weights[0] = w
    with pytest.raises(ValueError, match=r"weights\[0\] contains 1e\+300, beyond the range of "
                                         r"float32"):
        net.predict(arrays()[0])


def test_variant_nan_inputs_to_predict_forward_and_feedforward():
    net = network.Network(SIZES, seed=0)
    X = arrays()[0]
    X[4, 100] = np.nan
    for call in (lambda: net.predict(X), lambda: net.forward(X),
                 lambda: net.feedforward(X[4].reshape(784, 1))):
        with pytest.raises(ValueError, match="the inputs contain NaN or infinity"):
            call()


def test_feedforward_checks_what_changed_since_its_last_call():
    # feedforward, called once per example, checks its parameters in full only
    # when they are new arrays; a NaN or an infinity written into them in place,
    # or given in the input, must still be refused, not returned.
    net = network.Network(SIZES, seed=0, activation="relu")
    x = arrays()[0][0].reshape(784, 1)
    net.feedforward(x)
    net.weights[0][5, 7] = np.nan
    with pytest.raises(ValueError, match=NAN_ERROR + r" \(first at \[5, 7\]\)"):
        net.feedforward(x)
    net.weights[0][5, 7] = 0.0
    net.biases[1][3, 0] = np.inf
    with pytest.raises(ValueError, match=r"biases\[1\] contains infinity"):
        net.feedforward(x)
    net.biases[1][3, 0] = 0.0
    for bad in (np.inf, -np.inf):
        x_bad = x.copy()
        x_bad[300, 0] = bad
        with pytest.raises(ValueError, match="the inputs contain NaN or infinity"):
            net.feedforward(x_bad)
    net.weights = [w.astype(np.float32) for w in net.weights]  # new arrays: converted
    assert net.feedforward(x).dtype == np.float64 and net.weights[0].dtype == np.float64


# ---- 2. wrongly shaped parameters outside SGD ----------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_every_public_method_reports_sgds_shape_error(method, tmp_path):
    # SGD and update_mini_batch gave this message before the issue; they are
    # kept here to show that every method now gives the same one.
    net = network.Network(SIZES, seed=0)
    net.weights[0] = np.zeros((784, 30))
    with pytest.raises(ValueError, match=SHAPE_ERROR):
        _calls(tmp_path)[method](net)


def test_variant_a_flat_bias_and_a_missing_layer():
    net = network.Network(SIZES, seed=0)
    net.biases[0] = np.zeros(30)
    with pytest.raises(ValueError, match=r"biases\[0\]: expected shape \(30, 1\), got \(30,\)"):
        net.feedforward(np.zeros((784, 1)))
    net = network.Network(SIZES, seed=0)
    net.weights = net.weights[:1]
    with pytest.raises(ValueError, match="expected 2 weight matrices and bias vectors, got 1"):
        net.predict(arrays()[0])


def test_variant_parameters_that_are_not_numbers():
    net = network.Network(SIZES, seed=0)
    net.weights[1] = np.full((10, 30), "0.5")
    with pytest.raises(ValueError, match=r"weights\[1\]: expected real numbers, got .*<U3"):
        net.accuracy(arrays())


# ---- 3. the sigmoid and the numeric helpers on plain Python numbers ------------------


def test_sigmoid_of_a_python_float_is_float64():
    s = network.sigmoid(0.5)
    assert s == 0.6224593312018546
    assert np.asarray(s).dtype == np.float64 and np.ndim(s) == 0


def test_sigmoid_of_a_list_is_a_float64_array():
    s = network.sigmoid([0.5, 1.0])
    assert s.dtype == np.float64
    np.testing.assert_array_equal(s, network.sigmoid(np.array([0.5, 1.0])))


def test_sigmoid_prime_and_cost_derivative_take_numbers_and_lists():
    assert network.sigmoid_prime(0.5) == 0.6224593312018546 * (1 - 0.6224593312018546)
    assert network.sigmoid_prime([0.0, 2]).dtype == np.float64
    net = network.Network([2, 2], seed=0)
    np.testing.assert_array_equal(net.cost_derivative([0.75, 0.5], [1, 0]), [-0.25, 0.5])


@pytest.mark.parametrize("name", list(TABLE))
def test_each_rows_f_is_its_in_place_function_on_a_copy(name):
    row = TABLE[name]
    z = np.random.default_rng(0).standard_normal((5, 4)) * 4
    kept = z.copy()
    a = row.f(z)
    np.testing.assert_array_equal(z, kept)  # f leaves its input alone
    np.testing.assert_array_equal(a, row.function(z.copy()))


def test_relu_takes_numbers_and_lists():
    assert activations.relu(-2.5) == 0.0 and activations.relu(3) == 3.0
    np.testing.assert_array_equal(activations.relu([-1, 0.5]), [0.0, 0.5])


def test_variant_float32_stays_float32_and_integers_become_float64():
    for z in (np.float32(0.5), np.array([0.5, -3.0], dtype=np.float32)):
        assert np.asarray(network.sigmoid(z)).dtype == np.float32
        assert np.asarray(network.sigmoid_prime(z)).dtype == np.float32
    assert network.sigmoid([[0, 1], [2, 3]]).dtype == np.float64
    assert network.sigmoid(np.array([1, 2], dtype=np.int8)).dtype == np.float64
    with pytest.raises(TypeError, match="sigmoid takes real numbers"):
        network.sigmoid("0.5")


# ---- 4. a numpy integer seed ---------------------------------------------------------


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_a_numpy_integer_seed_is_saved(tmp_path, suffix):
    net = network.Network(SIZES, seed=np.int64(7))
    net.save(tmp_path / f"n{suffix}")
    loaded = network.Network.load(tmp_path / f"n{suffix}")
    assert loaded.seed == 7 and type(loaded.seed) is int
    np.testing.assert_array_equal(net.weights[0], network.Network(SIZES, seed=7).weights[0])


def test_generators_and_seed_sequences_are_refused_at_construction():
    for seed in (np.random.default_rng(1), np.random.SeedSequence(1)):
        with pytest.raises(TypeError, match=r"seed must be None or an integer >= 0.*"
                                            r"seed=int\(rng.integers"):
            network.Network(SIZES, seed=seed)


def test_variant_other_integer_types_and_bad_seeds():
    net = network.Network(SIZES, seed=np.uint32(3))
    assert type(net.seed) is int and json.dumps({"seed": net.seed}) == '{"seed": 3}'
    for bad in (True, 2.0, "3"):
        with pytest.raises(TypeError, match="seed must be None or an integer"):
            network.Network(SIZES, seed=bad)
    with pytest.raises(ValueError, match="seed must be an integer >= 0, got -1"):
        network.Network(SIZES, seed=-1)


# ---- 5. unscaled pixels --------------------------------------------------------------


def test_raw_uint8_pixels_warn_before_training():
    X, y = arrays()
    pixels = (X * 255).astype(np.uint8)
    net = network.Network(SIZES, seed=0)
    with pytest.warns(network.UnscaledInputWarning, match=r"training_data: .*up to 25[0-9].*"
                                                          r"divide them by 255"):
        net.SGD((pixels, y), 0, 10, 3.0, verbose=False)  # 0 epochs: before any training
    assert issubclass(network.UnscaledInputWarning, UserWarning)


def test_the_real_uint8_mnist_pixels_warn_and_the_scaled_ones_do_not(mnist_dir):
    import mnist_loader

    raw = mnist_loader.load_arrays(data_dir=mnist_dir, dtype=np.uint8, download=False,
                                   verbose=False)
    net = network.Network(SIZES, seed=0)
    with pytest.warns(network.UnscaledInputWarning, match="integers up to 255"):
        net.SGD((raw.train_images, raw.train_labels), 0, 10, 3.0, verbose=False)
    scaled = mnist_loader.load_arrays(data_dir=mnist_dir, download=False, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.SGD((scaled.train_images, scaled.train_labels), 0, 10, 3.0, verbose=False)


def test_variant_unscaled_floats_warn_in_every_data_argument_and_evaluation():
    X, y = arrays()
    net = network.Network(SIZES, seed=0)
    with pytest.warns(network.UnscaledInputWarning) as record:
        net.SGD((X, y), 0, 10, 3.0, test_data=(X * 255, y), evaluation_data=(X * 255, y),
                verbose=False)
        net.evaluate((X * 255, y))
        net.predict(X * 255)
        net.feedforward(X[0].reshape(784, 1) * 255)
    names = [str(w.message).split(":")[0] for w in record]
    assert names == ["test_data", "evaluation_data", "test_data", "predict", "feedforward"]
    assert all(w.filename == __file__ for w in record)  # points at the caller's line


def test_variant_scaled_standardised_and_binary_inputs_do_not_warn():
    X, y = arrays()
    net = network.Network(SIZES, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.SGD((X, y), 1, 10, 3.0, verbose=False)
        net.SGD(((X - 0.5) * 4, y), 1, 10, 0.1, verbose=False)  # zero-mean, |x| up to 2
        net.evaluate(((X > 0.5).astype(np.int64), y))  # 0/1 integers
    with pytest.warns(network.UnscaledInputWarning, match="integers up to 3"):
        net.evaluate(((X > 0.5).astype(np.int64) * 3, y))  # but 0/3 integers are warned about


# ---- 6. image-shaped arrays ----------------------------------------------------------


def test_image_shaped_arrays_name_the_shape_and_the_fix():
    X, y = arrays()
    net = network.Network(SIZES, seed=0)
    before = snapshot(net)
    with pytest.raises(ValueError, match=r"training_data: expected inputs of shape \(n, 784\), "
                                         r"got \(20, 28, 28\).*X\.reshape\(len\(X\), -1\)"):
        net.SGD((X.reshape(-1, 28, 28), y), 1, 10, 3.0, verbose=False)
    assert_unchanged(net, before)


def test_variant_transposed_arrays_and_one_example_for_a_list():
    X, y = arrays()
    net = network.Network(SIZES, seed=0)
    with pytest.raises(ValueError, match=r"got \(784, 20\).*pass X\.T"):
        net.evaluate((X.T, y))
    with pytest.raises(ValueError, match=r"got \(20, 28, 28, 1\).*X\.reshape\(len\(X\), -1\)"):
        net.predict(X.reshape(-1, 28, 28, 1))
    with pytest.raises(ValueError, match=r"one example \(x, y\): pass a list of examples"):
        net.update_mini_batch((X[0].reshape(784, 1), 3), 3.0)


def test_variant_image_shaped_examples_in_the_books_format():
    X, y = arrays()
    net = network.Network(SIZES, seed=0)
    with pytest.raises(ValueError, match=r"training_data\[0\]: expected x of shape \(784, 1\), "
                                         r"got \(28, 28\); make it a column: x.reshape"):
        net.SGD([(x.reshape(28, 28), int(c)) for x, c in zip(X, y)], 1, 10, 3.0)
    with pytest.raises(ValueError, match=r"got \(28, 28\); make it a column: a\.reshape"):
        net.feedforward(X[0].reshape(28, 28))
    with pytest.raises(ValueError, match=r"got \(3, 784\); that is one input per row: pass a\.T"):
        net.feedforward(X[:3])


# ---- 7. nested lists -----------------------------------------------------------------


def test_nested_lists_train_as_the_arrays_do():
    X, y = arrays()
    a, b = network.Network(SIZES, seed=0), network.Network(SIZES, seed=0)
    a.SGD((X, y), 2, 10, 3.0, verbose=False)
    b.SGD((X.tolist(), y.tolist()), 2, 10, 3.0, verbose=False)
    for p, q in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(p, q)


def test_variant_mixed_pairs_and_one_hot_lists_are_read_as_arrays():
    X, y = arrays()
    net = network.Network(SIZES, seed=0)
    want = net.evaluate((X, y))
    assert net.evaluate((X, y.tolist())) == want
    assert net.evaluate((X.tolist(), np.eye(10)[y].tolist())) == want
    assert net.accuracy([X.tolist(), y]) == want / len(y)


def test_variant_something_that_is_not_a_data_set_says_what_to_pass():
    net = network.Network(SIZES, seed=0)
    with pytest.raises(TypeError, match=r"training_data: expected the book's list of \(x, y\) "
                                        r"pairs or a pair of arrays \(X, y\), got int"):
        net.SGD(5, 1, 10, 3.0)
    with pytest.raises(ValueError, match=r"expected an \(x, y\) pair, got a list of 784 items; "
                                         r"pass the book's list"):
        net.evaluate(arrays()[0][:3].tolist())  # rows without labels


# ---- 8. a zip read twice -------------------------------------------------------------


def test_a_zip_read_twice_says_it_can_be_read_only_once():
    X, y = arrays()
    training_data = zip(list(X.reshape(-1, 784, 1)), y.tolist())
    net = network.Network(SIZES, seed=0)
    net.SGD(training_data, 1, 10, 3.0, verbose=False)
    with pytest.raises(ValueError, match=r"training_data is empty: it is a zip, and a zip can "
                                         r"be read only once.*wrap it in list\(\.\.\.\)"):
        net.SGD(training_data, 1, 10, 3.0, verbose=False)


def test_variant_a_read_generator_in_evaluate_but_not_an_empty_list():
    X, y = arrays()
    test_data = ((x.reshape(784, 1), int(c)) for x, c in zip(X, y))
    net = network.Network(SIZES, seed=0)
    net.evaluate(test_data)
    with pytest.raises(ValueError, match="it is a generator, and a generator can be read only "
                                         "once"):
        net.evaluate(test_data)
    with pytest.raises(ValueError, match=r"^test_data is empty$"):
        net.evaluate([])
    with pytest.raises(ValueError, match=r"^data is empty$"):
        net.accuracy((np.zeros((0, 784)), np.zeros(0, dtype=int)))


# ---- 9. settings that are silently wrong ---------------------------------------------


def test_eta_as_a_string_is_refused():
    net = network.Network(SIZES, seed=0)
    with pytest.raises(TypeError, match=r"eta must be a number, got str '3.0'"):
        net.SGD(arrays(), 1, 10, "3.0", verbose=False)


@pytest.mark.parametrize("call, message", [
    (lambda net, d: net.SGD(d, 1, 10, True, verbose=False), "eta must be a number, got bool"),
    (lambda net, d: net.SGD(d, 1, 10, 3.0, lmbda="0.1", verbose=False),
     "lmbda must be a number, got str"),
    (lambda net, d: net.update_mini_batch(d, 3.0, lmbda=1.0, n=0),
     "n must be an integer >= 1, got 0"),
    (lambda net, d: net.update_mini_batch(d, 3.0, lmbda=1.0, n="50000"),
     "n must be an integer >= 1"),
    (lambda net, d: net.total_cost(d, lmbda="5"), "lmbda must be a number, got str"),
    (lambda net, d: net.total_cost(d, lmbda=1.0, n=0), "n must be an integer >= 1, got 0"),
], ids=["eta-bool", "lmbda-str", "update-n-0", "update-n-str", "cost-lmbda-str", "cost-n-0"])
def test_variant_every_numeric_setting_is_checked(call, message):
    net = network.Network(SIZES, seed=0)
    before = snapshot(net)
    with pytest.raises((TypeError, ValueError), match=message):
        call(net, arrays())
    assert_unchanged(net, before)


def test_monitoring_evaluation_without_evaluation_data_is_refused_before_training():
    net = network.Network(SIZES, seed=0)
    before = snapshot(net)
    with pytest.raises(ValueError, match=r"monitor_evaluation_accuracy=True needs "
                                         r"evaluation_data"):
        net.SGD(arrays(), 1, 10, 3.0, monitor_evaluation_accuracy=True, verbose=False)
    assert_unchanged(net, before)


@pytest.mark.parametrize("kwargs, message", [
    ({"monitor_evaluation_cost": True}, "monitor_evaluation_cost=True needs evaluation_data"),
    ({"monitor_training_cost": "yes"}, "monitor_training_cost must be True or False"),
    ({"verbose": None}, "verbose must be True or False"),
    ({"callback": True}, r"callback must be a function callback\(epoch, net, history\)"),
])
def test_variant_other_switches_are_checked_before_training(kwargs, message):
    net = network.Network(SIZES, seed=0)
    before = snapshot(net)
    with pytest.raises((TypeError, ValueError), match=message):
        net.SGD(arrays(), 1, 10, 3.0, **({"verbose": False} | kwargs))
    assert_unchanged(net, before)


@pytest.mark.parametrize("name", ["net.pkl", "net"])
def test_save_accepts_only_npz_and_json(tmp_path, name):
    with pytest.raises(ValueError, match=r"must end in \.npz .* or \.json"):
        network.Network(SIZES, seed=0).save(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_variant_save_other_suffixes_and_any_case(tmp_path):
    with pytest.raises(ValueError, match=r"for example '.*net\.npz'"):
        network.Network(SIZES, seed=0).save(tmp_path / "net.npy")
    for name in ("a.NPZ", "b.Json"):
        network.Network(SIZES, seed=0).save(tmp_path / name)
        loaded = network.Network.load(tmp_path / name)
        assert loaded.sizes == SIZES
    assert json.loads((tmp_path / "b.Json").read_text())["sizes"] == SIZES


def test_sizes_as_a_string_says_sizes_must_be_a_list_of_integers():
    with pytest.raises(TypeError, match=r"sizes must be a list of integers.*got '784,30,10'"):
        network.Network("784,30,10")


def test_variant_sizes_as_a_set_or_a_number_and_a_bool_bias():
    for sizes in ({784, 30, 10}, 784, b"784"):
        with pytest.raises(TypeError, match="sizes must be a list of integers"):
            network.Network(sizes)
    with pytest.raises(TypeError, match="bias_init must be a scheme name, a finite number"):
        network.Network(SIZES, bias_init=True)
    assert network.Network(np.array(SIZES), seed=0).sizes == SIZES


# ---- 10. numpy-style init functions --------------------------------------------------


@pytest.mark.parametrize("function, name", [(np.random.rand, "rand"),
                                            (np.random.randn, "randn")])
def test_numpy_random_functions_as_init_name_the_convention_and_the_scheme(function, name):
    with pytest.raises(TypeError, match=rf"init={name} failed for weights\[0\].*called as "
                                        rf"f\(rng, shape, dtype\).*numpy's {name} is "
                                        rf"init='{name}'"):
        network.Network(SIZES, init=function)


def test_variant_other_init_functions_that_cannot_be_called_so():
    with pytest.raises(TypeError, match=r"numpy's zeros is bias_init='zeros'"):
        network.Network(SIZES, bias_init=np.zeros)
    with pytest.raises(TypeError, match=r"takes 2 positional arguments.*f\(rng, shape, "
                                        r"dtype\).*or use a scheme name: rand, randn"):
        network.Network(SIZES, init=lambda rng, shape: rng.random(shape))
    with pytest.raises(ValueError, match=r"expected shape \(30, 784\), got \(\)\. Init "
                                         r"functions are called as f\(rng, shape, dtype\)"):
        network.Network(SIZES, init=lambda rng, shape, dtype: 0.1)


# ---- 11. the REPL echo ---------------------------------------------------------------


def test_history_repr_is_short():
    h = network.History(seconds=[1.0] * 30, test_accuracy=[0.9] * 27 + [0.951, 0.95, 0.9502])
    assert repr(h) == "History(30 epochs, best test accuracy 95.10 % at epoch 27, final 95.02 %)"


def test_variant_history_repr_with_other_series_and_after_training():
    h = network.History(seconds=[1.0], evaluation_accuracy=[0.5])
    assert repr(h) == ("History(1 epoch, best evaluation accuracy 50.00 % at epoch 0, "
                       "final 50.00 %)")
    assert repr(network.History()) == "History(0 epochs)"
    net = network.Network(SIZES, seed=0)
    h = net.SGD(arrays(), 3, 10, 3.0, test_data=arrays(10, seed=1), verbose=False,
                monitor_training_accuracy=True)
    assert repr(h).startswith("History(3 epochs, best test accuracy ")
    assert "best training accuracy" in repr(h) and len(repr(h)) < 200


# ---- parameters that cannot be written ------------------------------------------------
# Training updates the weights and biases in place: a read-only array is refused
# by name, with its fix, before any work (numpy's own "output array is read-only"
# came mid-step, after the later layers had been updated).


def test_read_only_weights_are_named_before_any_work():
    X, y = arrays()
    net = network.Network(SIZES, seed=0)
    net.weights[0].flags.writeable = False
    before, state = snapshot(net), net.rng.bit_generator.state
    for call in (lambda: net.SGD((X, y), 1, 10, 3.0, verbose=False),
                 lambda: net.update_mini_batch((X[:10], y[:10]), 3.0)):
        with pytest.raises(ValueError, match=r"weights\[0\] is read-only.*"
                                             r"net\.weights\[0\] = net\.weights\[0\]\.copy\(\)"):
            call()
        assert_unchanged(net, before)  # weights[1] and biases[1] too, updated first
        assert net.rng.bit_generator.state == state
    net.evaluate((X, y))  # reading is fine


def test_variant_a_callbacks_read_only_array_and_one_the_check_copies():
    X, y = arrays()
    net = network.Network(SIZES, seed=0)

    def freeze(epoch, net, history):
        net.biases[1] = np.frombuffer(net.biases[1].tobytes()).reshape(10, 1)

    with pytest.raises(ValueError, match=r"biases\[1\] is read-only"):
        net.SGD((X, y), 3, 10, 3.0, verbose=False, callback=freeze)
    # a read-only array of another dtype or layout is converted into a writable copy
    frozen = np.asfortranarray(net.weights[0].astype(np.float32))
    frozen.flags.writeable = False
    net.weights[0], net.biases[1] = frozen, net.biases[1].copy()
    net.update_mini_batch((X[:10], y[:10]), 3.0)
    assert net.weights[0].flags.writeable and net.weights[0].dtype == np.float64


# ---- a step beyond the network's dtype ------------------------------------------------
# eta / m, or the decay 1 - eta * lmbda / n, beyond float32's range was cast to
# infinity with numpy's "overflow encountered in cast": now refused, naming the
# range and the fix, before any work.  A rate that fits but diverges is warned
# about as training runs (TrainingDivergedWarning).

RANGE_ERROR = r"beyond float32's range \(up to 3.4e\+38\); use a smaller eta"


@pytest.mark.parametrize("call", ["SGD", "update_mini_batch", "network2"])
def test_an_eta_beyond_float32s_range_names_the_range_and_the_fix(call):
    import network2

    X, y = arrays()
    book = network2.Network(SIZES, seed=0, dtype=np.float32)
    net = book.network if call == "network2" else network.Network(SIZES, seed=0,
                                                                   dtype=np.float32)
    before, state = snapshot(net), net.rng.bit_generator.state
    train = {"SGD": lambda: net.SGD((X, y), 1, 10, 1e300, verbose=False),
             "update_mini_batch": lambda: net.update_mini_batch((X[:10], y[:10]), 1e300),
             "network2": lambda: book.SGD((X, y), 1, 10, 1e300)}[call]
    with pytest.raises(ValueError, match=r"eta/m = 1e\+299 \(m = 10.*" + RANGE_ERROR +
                       r", or a float64 network \(dtype=np.float64\)"):
        train()
    assert_unchanged(net, before)
    assert net.rng.bit_generator.state == state


def test_variant_the_last_short_mini_batch_and_the_weight_decay():
    X, y = arrays(21)  # the last mini-batch holds one example: eta / 1
    net = network.Network(SIZES, seed=0, dtype=np.float32)
    with pytest.raises(ValueError, match=r"eta/m = 1e\+39 \(m = 1, the smallest"):
        net.SGD((X, y), 1, 10, 1e39, verbose=False)
    with pytest.warns(network.TrainingDivergedWarning):  # 1e38 fits: no cast warning
        net.SGD((X[:20], y[:20]), 1, 10, 1e39, verbose=False)
    net = network.Network(SIZES, seed=0, dtype=np.float32)
    with pytest.raises(ValueError, match=r"1 - eta\*lmbda/n = -5e\+38 \(n = 20\) is " +
                       RANGE_ERROR + " or lmbda"):
        net.update_mini_batch((X[:10], y[:10]), 1.0, 1e40, 20)
    wide = network.Network(SIZES, seed=0)  # float64: only an infinite decay is beyond it
    with pytest.raises(ValueError, match=r"= -inf \(n = 21\) is beyond float64's range "
                                         r"\(up to 1.8e\+308\); use a smaller eta or lmbda$"):
        wide.SGD((X, y), 1, 10, 1e300, lmbda=1e300, verbose=False)


@pytest.mark.parametrize(("dtype", "eta"), [(np.float32, 1e-46), (np.float64, 1e-323)])
def test_a_rate_whose_step_rounds_to_zero_is_refused(dtype, eta):
    net = network.Network(SIZES, seed=0, dtype=dtype)
    with pytest.raises(ValueError, match="rounds to 0"):
        net.SGD(arrays(), 1, 10, eta, verbose=False)
    with pytest.raises(ValueError, match="rounds to 0"):
        net.update_mini_batch(book_list(10), eta)


@pytest.mark.parametrize(("dtype", "eta"), [(np.float64, 1e-300), (np.float32, 1e-30)])
def test_an_epoch_that_changes_nothing_is_warned(dtype, eta):
    # a rate far too small but not 0: the steps fall below every weight's last bit
    net = network.Network(SIZES, seed=0, dtype=dtype)
    before = [w.copy() for w in net.weights]
    with pytest.warns(network.TrainingStalledWarning, match="epoch 0 changed no weight") as w:
        net.SGD(arrays(), 1, 10, eta, verbose=False)
    assert w[0].filename == __file__  # the user's line, not the library's
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights))


def test_an_epoch_that_learns_is_not_warned_of_stalling():
    with warnings.catch_warnings():
        warnings.simplefilter("error", network.TrainingStalledWarning)
        network.Network(SIZES, seed=0).SGD(arrays(), 2, 10, 3.0, verbose=False)
        network.Network(SIZES, seed=0).SGD(arrays(), 1, 10, 1e-6, verbose=False)  # tiny, not 0


def test_a_rate_python_reads_as_zero_says_so():
    with pytest.raises(ValueError, match="1e-330, as 0.0"):
        network.Network(SIZES, seed=0).SGD(arrays(), 1, 10, 1e-330, verbose=False)
