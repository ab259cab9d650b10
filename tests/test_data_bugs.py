"""diagnostics on broken data that is not the labels' fault, and on labels
that are partly wrong: inputs wiped by an integer division, shifted far from
0, scaled twice; labels of one or two classes; some labels shuffled apart
from their images; and a deep network whose labels are right.  Each was
answered wrongly before (the labels blamed for the inputs, an untrained
network said to "answer k - 9", "too little capacity, widen" never tried).
On MNIST training images (skipped without the data)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import diagnostics
import network
from diagnostics.userfile import build, construct
from experiments import their_network as bs


@pytest.fixture(scope="module")
def sample(mnist_dir):
    return diagnostics.load_sample("mnist", mnist_dir)


def names(report) -> list[str]:
    return [f.name for f in report.findings]


def book() -> network.Network:
    return network.Network([784, 30, 10], seed=0)


@pytest.mark.parametrize("wipe", ["floor_divide", "truncate", "zeros"])
def test_inputs_wiped_by_integer_arithmetic_are_blank_not_misaligned(sample, wipe):
    X, y = sample
    raw = np.round(X * 255).astype(np.uint8)
    blank = {"floor_divide": raw // 255, "truncate": (raw / 255).astype(np.int64),
             "zeros": np.zeros_like(raw)}[wipe]  # 255 -> 1, anything else -> 0
    report = diagnostics.diagnose(book(), (blank, y), eta=3.0)
    assert report.cause.name == "inputs_blank"
    assert "labels_misaligned" not in names(report) and "labels_noisy" not in names(report)
    assert "astype" in report.cause.fix


@pytest.mark.parametrize("shift", [-127.5, 40.0])
def test_inputs_shifted_far_from_zero_are_offset_and_the_fix_is_measured(sample, shift):
    X, y = sample
    report = diagnostics.diagnose(book(), (X + shift, y), eta=3.0)
    cause = report.cause
    assert cause.name == "unscaled_inputs" and cause.evidence["kind"] == "offset"
    assert f"(X - ({shift:.10g}))" in cause.fix
    assert cause.verified.helped
    assert "labels_misaligned" not in names(report)
    overfit = report.finding("cannot_overfit")
    assert overfit is None or "widen" not in overfit.fix


@pytest.mark.parametrize("divisor", [255.0, 1000.0])
def test_inputs_scaled_twice_are_tiny(sample, divisor):
    X, y = sample
    report = diagnostics.diagnose(book(), (X / divisor, y), eta=3.0)
    assert report.cause.name == "unscaled_inputs" and report.cause.evidence["kind"] == "tiny"
    assert report.cause.verified.helped


def test_labels_of_one_class_are_named_and_nothing_is_misaligned(sample):
    X, y = sample
    threes = y == 3
    report = diagnostics.diagnose(book(), (X[threes], y[threes]), eta=3.0)
    assert report.cause.name == "labels_imbalanced" and report.cause.severity == "error"
    assert "labels_misaligned" not in names(report)
    assert "not probed (every label is one class" in str(report)


def test_the_first_examples_of_data_sorted_by_label_hold_two_classes(sample):
    X, y = sample
    order = np.argsort(y, kind="stable")[:150]  # zeros and ones only
    report = diagnostics.diagnose(book(), (X[order], y[order]), eta=3.0)
    found = report.finding("labels_imbalanced")
    assert found is not None and found.evidence["classes_present"] == 2
    assert "labels_misaligned" not in names(report)


def test_a_third_of_the_labels_shuffled_apart_are_noisy_with_examples(sample):
    X, y = sample
    rng = np.random.default_rng(0)
    noisy = y.copy()
    part = rng.choice(len(y), len(y) // 3, replace=False)
    noisy[part] = noisy[rng.permutation(part)]
    report = diagnostics.diagnose(book(), (X, noisy), eta=3.0)
    found = report.finding("labels_noisy")
    assert found is not None and 0.15 < found.evidence["wrong"] < 0.45
    wrong = [i for i in found.evidence["examples"] if noisy[i] != y[i]]
    assert len(wrong) >= 0.8 * len(found.evidence["examples"]) > 0  # the listed ones are wrong


def test_right_labels_on_a_deep_network_that_does_not_learn_are_not_blamed(sample):
    net = network.Network([784] + [30] * 5 + [10], "xavier_normal", seed=0)
    report = diagnostics.diagnose(net, sample, eta=3.0)
    assert not {"labels_misaligned", "labels_noisy"} & set(names(report))


@pytest.mark.parametrize("given, fix", [
    ("X.T", "pass X.T, one example per row"),
    ("Y.T", "pass y.T, one example per row"),
    ("dict", "got dict"),
    ("text labels", "labels must be numbers"),
])
def test_data_in_the_wrong_form_is_refused_naming_the_fix(sample, given, fix):
    X, y = sample
    Y = np.eye(10)[y]
    data = {"X.T": (X.T, y), "Y.T": (X, Y.T), "dict": {"X": X, "y": y},
            "text labels": (X, y.astype(str))}[given]
    with pytest.raises(ValueError, match="^data: .*" + fix.replace(".", r"\.")):
        diagnostics.diagnose(book(), data)


def test_labels_as_a_column_are_the_same_labels(sample):
    X, y = sample
    column = diagnostics.diagnose(book(), (X[:200], y[:200].reshape(-1, 1)))
    flat = diagnostics.diagnose(book(), (X[:200], y[:200]))
    assert [str(f) for f in column.findings] == [str(f) for f in flat.findings]


# ---- the user's evaluate: a network that learns, measured wrongly ------------


class OneHotEvaluate(bs.Network):
    """Written for one-hot y: with the book's int test labels, np.argmax(y)
    is 0, so it counts the answers 0."""

    def evaluate(self, test_data):
        return sum(int(np.argmax(self.feedforward(x)) == np.argmax(y)) for x, y in test_data)


class NoAxisEvaluate(bs.Network):
    """Vectorised, with np.argmax over the whole (10, n) output: one index."""

    def evaluate(self, X, y):
        return float(np.mean(np.argmax(self.feedforward(X.T)) == y))


class BookEvaluate(bs.Network):
    def evaluate(self, test_data):
        return sum(int(np.argmax(self.feedforward(x)) == y) for x, y in test_data)


class FractionEvaluate(bs.Network):
    def evaluate(self, X, y):
        return float(np.mean(np.argmax(self.feedforward(X.T), axis=0) == y))


@pytest.mark.parametrize("cls", [OneHotEvaluate, NoAxisEvaluate])
def test_an_evaluate_that_miscounts_is_named(sample, cls):
    net = construct(cls, [784, 30, 10])
    right = int(np.sum(np.argmax(net.feedforward(sample[0].T), axis=0) == sample[1]))
    report = diagnostics.diagnose(net, sample)
    found = report.finding("evaluate_mismatch")
    assert found is not None and found.evidence["right"] == right
    assert report.cause.name == "evaluate_mismatch"


@pytest.mark.parametrize("cls", [BookEvaluate, FractionEvaluate])
def test_an_evaluate_that_counts_right_is_not_named(sample, cls):
    report = diagnostics.diagnose(construct(cls, [784, 30, 10]), sample)
    assert report.finding("evaluate_mismatch") is None


@pytest.mark.parametrize("shape", [(784,), (1, 784)])
def test_examples_that_are_not_columns_are_named_for_the_books_code(sample, shape):
    X, y = sample
    pairs = [(x.reshape(shape), int(t)) for x, t in zip(X[:300], y[:300])]
    report = diagnostics.diagnose(construct(BookEvaluate, [784, 30, 10]), pairs)
    found = report.finding("inputs_format")
    assert found is not None and found.evidence["x_shape"] == list(shape)
    assert "x.reshape(784, 1)" in found.fix and found.verified.helped
    # the same examples as columns: nothing to name
    columns = [(x.reshape(784, 1), t) for x, t in pairs]
    report = diagnostics.diagnose(construct(BookEvaluate, [784, 30, 10]), columns)
    assert report.finding("inputs_format") is None


# ---- the command line with the user's own examples ----------------------------


def test_cli_reads_the_users_examples_from_an_npz(sample, tmp_path, capsys):
    X, y = sample
    np.savez(tmp_path / "mine.npz", X=np.round(X * 255).astype(np.uint8) // 255, y=y)
    assert diagnostics.main(["--init", "xavier_normal", "--data", str(tmp_path / "mine.npz"),
                             "--eta", "3", "--json"]) == 0  # warnings only
    found = {f["name"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert "inputs_blank" in found and "labels_misaligned" not in found


@pytest.mark.parametrize("write, message", [
    (lambda path, X, y: np.savez(path, images=X, labels=y), "found images, labels"),
    (lambda path, X, y: np.save(path, X), "holds one array"),
    (lambda path, X, y: np.savez(path, X=np.array([X[0], "a"], dtype=object), y=y),
     "allow_pickle"),
])
def test_cli_refuses_an_npz_it_cannot_read_naming_how_to_write_it(sample, tmp_path, capsys,
                                                                  write, message):
    path = tmp_path / "mine.npz"
    write(path, *sample)
    path = path if path.exists() else tmp_path / "mine.npz.npy"
    assert diagnostics.main(["--init", "xavier_normal", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "np.savez(" in err


# ---- no false alarms on data that is fine -------------------------------------


def shifted(X: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Each image moved by up to ``k`` pixels each way, at random: augmentation."""
    rng = np.random.default_rng(seed)
    images = X.reshape(-1, 28, 28).copy()
    for i, (dy, dx) in enumerate(rng.integers(-k, k + 1, (len(images), 2))):
        images[i] = np.roll(images[i], (dy, dx), axis=(0, 1))
    return images.reshape(len(X), 784)


@pytest.mark.parametrize("k", [1, 2])
def test_shifted_images_with_their_own_labels_are_not_noisy_labels(sample, k):
    X, y = sample
    report = diagnostics.diagnose(network.Network([784, 30, 10], "xavier_normal", seed=0),
                                  (shifted(X, k), y), eta=3.0)
    assert not {"labels_noisy", "labels_misaligned"} & set(names(report))


def test_noisy_labels_on_mnists_test_images_are_seen(mnist_dir):
    import mnist_loader

    _, _, (X, y) = mnist_loader.load_data(data_dir=mnist_dir, download=False)
    X, y = X[:1000], y[:1000].copy()
    part = np.random.default_rng(1).choice(1000, 300, replace=False)
    y[part] = (y[part] + 1 + np.random.default_rng(2).integers(0, 9, 300)) % 10  # all wrong
    found = diagnostics.diagnose(book(), (X, y), eta=3.0).finding("labels_noisy")
    assert found is not None and 0.2 < found.evidence["wrong"] < 0.4


@pytest.mark.parametrize("outputs", [1, 2])
def test_two_balanced_classes_are_not_imbalanced(sample, outputs):
    X, y = sample
    keep = y < 2
    report = diagnostics.diagnose(network.Network([784, 30, outputs], "xavier_normal", seed=0),
                                  (X[keep], y[keep]), eta=3.0)  # one output: no crash either
    assert report.finding("labels_imbalanced") is None


def test_two_classes_of_95_to_5_are_imbalanced(sample):
    X, y = sample
    ones, zeros = np.flatnonzero(y == 1)[:95], np.flatnonzero(y == 0)[:5]
    keep = np.concatenate([ones, zeros])
    report = diagnostics.diagnose(network.Network([784, 30, 2], "xavier_normal", seed=0),
                                  (X[keep], y[keep]))
    assert report.finding("labels_imbalanced") is not None


class PrintingEvaluate(bs.Network):
    """Prints its count, as the book's SGD prints evaluate's, and returns
    nothing, or returns ``(count, n)``."""

    def evaluate(self, test_data):
        right = sum(int(np.argmax(self.feedforward(x)) == y) for x, y in test_data)
        print(f"{right} / {len(test_data)}")
        return None


class PairEvaluate(bs.Network):
    def evaluate(self, test_data):
        return sum(int(np.argmax(self.feedforward(x)) == y) for x, y in test_data), len(test_data)


class WrongPairEvaluate(bs.Network):
    def evaluate(self, test_data):
        return sum(int(np.argmax(self.feedforward(x)) == 0) for x, y in test_data), len(test_data)


@pytest.mark.parametrize("cls, named", [(PrintingEvaluate, False), (PairEvaluate, False),
                                        (WrongPairEvaluate, True)])
def test_an_evaluate_returning_no_count_is_not_called_wrong(sample, cls, named, capsys):
    report = diagnostics.diagnose(construct(cls, [784, 30, 10]), sample)
    assert (report.finding("evaluate_mismatch") is not None) is named
    assert " / 1000" not in capsys.readouterr().out  # what it prints stays out of the report


def test_the_label_checks_do_not_warn_about_the_users_inputs(sample):
    # Inputs from 1 to 2 (a background of 1, as a uint8 wrap leaves it) once
    # made the reference classifier's predict() warn "divide them by 255".
    X, y = sample
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        diagnostics.diagnose(book(), (X + 1.0, y), eta=3.0)


def test_data_sorted_by_label_is_named_even_from_a_plateau(sample):
    # The book's randn draw at eta = 3 sits on a plateau in either order; a
    # draw known to learn shows the order's effect.
    X, y = sample
    order = np.argsort(y, kind="stable")
    report = diagnostics.diagnose(construct(bs.Network, [784, 30, 10]), (X[order], y[order]),
                                  eta=3.0)
    found = report.finding("data_unshuffled")
    assert found is not None and found.verified.helped


def test_a_narrow_layer_at_a_rate_far_too_large_is_still_shown_to_be_narrow(sample):
    report = diagnostics.diagnose(construct(bs.Network, [784, 5, 10]), sample, eta=100.0)
    found = report.finding("bottleneck")
    assert found is not None and found.verified.helped
    assert found.verified.numbers["eta_tried"] < 100


def test_labels_1_to_10_do_not_also_make_a_class_missing(sample):
    X, y = sample
    report = diagnostics.diagnose(book(), (X, y + 1))
    assert report.finding("labels_format") is not None
    assert report.finding("labels_imbalanced") is None


def test_raw_pixels_come_before_a_gradient_bug_that_learns_better_than_its_fix(sample):
    # Without sigma' the gradient passes the saturated units that raw pixels
    # make: the trial shows the bug learning better than its correction, so
    # the inputs, whose fix is verified, are the cause to fix first.
    X, y = sample
    report = diagnostics.diagnose(construct(bs.NoSigmoidPrime, [784, 30, 10]), (X * 255, y),
                                  eta=3.0)
    assert report.cause.name == "unscaled_inputs" and report.cause.verified.helped
    mismatch = report.finding("gradient_mismatch")
    assert mismatch is not None and mismatch.severity == "warning"


@pytest.mark.parametrize("scale", [255.0, 1000.0])
def test_raw_pixels_and_rand_weights_are_verified_together(sample, scale):
    # Neither fix alone learns (the rand weights saturate [0, 1] inputs too;
    # raw pixels saturate any draw): the rescaling is tried with a
    # fan-scaled draw, and the inputs come first.
    X, y = sample
    report = diagnostics.diagnose(construct(bs.RandNetwork, [784, 30, 10]), (X * scale, y),
                                  eta=3.0)
    cause = report.cause
    assert cause.name == "unscaled_inputs" and cause.verified.helped
    assert cause.verified.numbers["with_fan_scaled_draw"]
    assert report.finding("saturation", layer=1) is not None


def test_pixels_scrambled_by_a_reshape_are_named_beside_the_labels(sample):
    X, y = sample
    scrambled = X.reshape(784, -1).T  # not X.T: each row now mixes many images
    report = diagnostics.diagnose(book(), (np.ascontiguousarray(scrambled), y), eta=3.0)
    found = report.finding("labels_misaligned")
    assert found is not None and "scrambled" in found.message
    assert "MNIST's pixel values but not its shapes" in found.message
    assert "X.reshape(784, -1).T is not X.T" in found.fix


def test_a_class_filtered_out_is_named(sample):
    X, y = sample
    keep = y != 7
    found = diagnostics.diagnose(book(), (X[keep], y[keep])).finding("labels_imbalanced")
    assert found is not None and found.evidence["missing"] == [7] and "no 7" in found.message


# ---- the user's own sigmoid functions -------------------------------------------


@pytest.mark.parametrize("wrong", ["z * (1 - z)", "sigmoid(z) * (1 + sigmoid(z))"])
def test_a_wrong_sigmoid_prime_in_the_users_file_is_named(sample, tmp_path, wrong):
    import inspect

    source = inspect.getsource(bs).replace(
        "def sigmoid_prime(z):\n    return sigmoid(z) * (1 - sigmoid(z))",
        f"def sigmoid_prime(z):\n    return {wrong}")
    assert f"return {wrong}" in source
    (tmp_path / "mine.py").write_text(source)
    net = build(tmp_path / "mine.py", "Network", [784, 30, 10])
    report = diagnostics.diagnose(net, sample, eta=3.0)
    found = report.finding("activation_mismatch")
    assert found is not None and found.evidence["function"] == "sigmoid_prime"
    assert "return sigmoid(z) * (1 - sigmoid(z))" in found.fix
    assert report.finding("gradient_mismatch") is not None  # what it does to backprop


def test_the_books_own_sigmoid_functions_are_not_named(sample):
    report = diagnostics.diagnose(construct(bs.Network, [784, 30, 10]), sample)
    assert report.finding("activation_mismatch") is None


class VectorisedUpdate(bs.Network):
    """A correct update with its own signature: columns X (784, m), Y (10, m)."""

    def update_mini_batch(self, X, Y, eta):
        bs.Network.update_mini_batch(self, list(zip(X.T[..., None], Y.T[..., None])), eta)


def test_a_method_with_its_own_arguments_is_not_checked_and_not_called_wrong(sample):
    report = diagnostics.diagnose(construct(VectorisedUpdate, [784, 30, 10]), sample, eta=3.0)
    found = report.finding("update_mismatch")
    assert found is not None and found.severity == "info"
    assert "(mini_batch, eta)" in found.message and "not checked" in found.message
    assert report.cause is None or report.cause.name != "update_mismatch"


# ---- settings read from the user's own feedforward -----------------------------


class ReluFeedforward(bs.Network):
    """ReLU hidden layers, a sigmoid output, written in the book's style."""

    def feedforward(self, a):
        for b, w in zip(self.biases[:-1], self.weights[:-1]):
            a = np.maximum(np.dot(w, a) + b, 0)
        return bs.sigmoid(np.dot(self.weights[-1], a) + self.biases[-1])


class SoftmaxFeedforward(bs.Network):
    def feedforward(self, a):
        for b, w in zip(self.biases[:-1], self.weights[:-1]):
            a = bs.sigmoid(np.dot(w, a) + b)
        z = np.dot(self.weights[-1], a) + self.biases[-1]
        e = np.exp(z - z.max())
        return e / e.sum()


@pytest.mark.parametrize("cls, activation, cost", [
    (ReluFeedforward, "relu", "quadratic"), (SoftmaxFeedforward, "sigmoid", "log_likelihood")])
def test_the_settings_are_read_from_the_users_feedforward(sample, cls, activation, cost):
    report = diagnostics.diagnose(construct(cls, [784, 30, 10]), sample)
    found = report.finding("settings_read")
    assert found is not None and found.evidence == {"activation": activation, "cost": cost}
    assert report.activation == activation and report.cost == cost
    assert report.finding("forward_mismatch") is None
    # said explicitly, the user's settings are used as given
    given = diagnostics.diagnose(construct(cls, [784, 30, 10]), sample, activation="sigmoid")
    assert given.finding("settings_read") is None


def test_the_books_own_feedforward_reads_as_the_books_settings(sample):
    report = diagnostics.diagnose(construct(bs.Network, [784, 30, 10]), sample)
    assert report.finding("settings_read") is None


def test_labels_read_past_the_images_header_are_moved_back_by_eight(sample):
    X, y = sample
    report = diagnostics.diagnose(book(), (X, np.roll(y, -8)), eta=3.0)
    found = report.finding("labels_misaligned")
    assert found is not None and found.verified is not None
    assert abs(found.verified.numbers["offset"]) == 8


class OwnNames:
    """Weights and biases in the book's shapes, methods of its own."""

    def __init__(self, sizes):
        rng = np.random.default_rng(0)
        self.weights = [rng.standard_normal((y, x)) for x, y in zip(sizes[:-1], sizes[1:])]
        self.biases = [rng.standard_normal((y, 1)) for y in sizes[1:]]

    def forward(self, x):
        return x

    def fit(self, data):
        return None


def test_code_with_its_own_method_names_is_said_to_be_unchecked(sample):
    text = str(diagnostics.diagnose(OwnNames([784, 30, 10]), sample))
    assert "Your code was not run" in text and "fit, forward" in text


def test_an_object_without_weights_lists_is_told_how_to_pass_its_parameters():
    class MLP:
        def __init__(self):
            self.layers = [(np.zeros((30, 784)), np.zeros((30, 1)))]

    with pytest.raises(TypeError, match="yours holds layers: from Python, pass its parameters"):
        diagnostics.diagnose(MLP())
