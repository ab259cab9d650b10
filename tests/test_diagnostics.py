"""diagnostics: the measures, the nine acceptance cases on real MNIST, the
report's outputs, the command line and the training Monitor.

The acceptance cases diagnose on the first 1,000 MNIST training images, as
``diagnose`` does by default (skipped, with the reason, without the data)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import diagnostics
import initializers
import network

ROOT = Path(__file__).resolve().parent.parent
BOOK = [784, 30, 10]
DEEP = [784, 30, 30, 30, 30, 10]  # the book's chapter 5


@pytest.fixture(scope="module")
def sample(mnist_dir):
    return diagnostics.load_sample("mnist", mnist_dir)


@pytest.fixture(scope="module")
def training(mnist_dir):
    import mnist_loader

    (X, y), _, _ = mnist_loader.load_data(data_dir=mnist_dir, verbose=False)
    return X[:5000], y[:5000]


def names(report: diagnostics.Report, at_least: str = "warning") -> set[str]:
    level = diagnostics.SEVERITIES.index(at_least)
    return {f.name for f in report.findings if diagnostics.SEVERITIES.index(f.severity) >= level}


def diagnose_fresh(sample, sizes, init, seed=0, **kw) -> diagnostics.Report:
    return diagnostics.diagnose(network.Network(sizes, init, seed=seed, **kw), sample)


# ---- the measures ---------------------------------------------------------


@pytest.mark.parametrize("name", [n for n, a in diagnostics.ACTIVATIONS.items() if a.flat_z])
@pytest.mark.parametrize("level", [0.01, 0.04, 0.5])
def test_saturation_z_is_where_the_derivative_falls_to_level_times_its_maximum(name, level):
    act = diagnostics.ACTIVATIONS[name]
    z = diagnostics.saturation_z(name, level)
    prime = float(act.prime(act.f(np.array([z])))[0])
    assert prime == pytest.approx(level * act.max_prime, rel=1e-9)
    # ... and above it, for either sign, the unit counts as saturated
    assert diagnostics.saturated_fraction(np.array([[z * 0.99, z * 1.01, -z * 1.01]]),
                                          name, level) == pytest.approx(2 / 3)


def test_the_definition_of_saturated():
    assert diagnostics.saturation_z("sigmoid") == pytest.approx(5.9864, abs=1e-4)
    assert diagnostics.saturation_z("tanh") == pytest.approx(2.9932, abs=1e-4)
    assert diagnostics.saturation_z("relu") is None  # ReLU never flattens on both sides
    z = np.array([[0.0, 7.0, np.nan], [-7.0, 50.0, 1.0]])  # NaN is not saturated
    assert diagnostics.saturated_fraction(z) == 0.5
    assert diagnostics.saturated_units(z, share=0.9) == pytest.approx(1 / 3)
    assert diagnostics.saturated_fraction(z, "relu") == 0.0
    with pytest.raises(ValueError, match="fraction of the derivative's maximum"):
        diagnostics.saturation_z("sigmoid", 0.0)
    with pytest.raises(ValueError, match="add a row to nndl.activations.TABLE"):
        diagnostics.saturation_z("swish")


def test_dead_and_distinct_units():
    z = np.array([[-1.0, 0.0, 2.0], [-3.0, 0.0, -1.0]])
    assert diagnostics.dead_units(z, "relu") == 2  # z <= 0 on every example
    assert diagnostics.dead_units(z, "sigmoid") == 0  # a sigmoid unit cannot die
    w = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, -0.0], [-0.0, 0.0]])
    assert diagnostics.distinct_units(w, np.zeros((4, 1))) == 2  # -0.0 equals 0.0
    assert diagnostics.distinct_units(w, np.array([0.0, 1.0, 0.0, 0.0])) == 3


@pytest.mark.parametrize("cost", network.COSTS)
@pytest.mark.parametrize("activation", network.ACTIVATIONS)
def test_gradient_is_the_networks_bit_for_bit(activation, cost):
    rng = np.random.default_rng(1)
    X, y = rng.random((50, 20)), rng.integers(0, 4, 50)
    for init in ("rand", "randn", "xavier_normal"):
        net = network.Network([20, 8, 6, 4], init, seed=2, activation=activation, cost=cost)
        want = net.gradient((X, y))
        got = diagnostics.gradient(net.weights, net.biases, X, y, activation, cost=cost)
        for a, b in zip(want[0] + want[1], got[0] + got[1]):
            assert np.array_equal(a, b), init
        zs, activations = net.forward(X)
        zs2, activations2 = diagnostics.forward(net.weights, net.biases, X, activation, cost)
        assert all(np.array_equal(a, b) for a, b in zip(zs + activations, zs2 + activations2))


def test_the_passes_measure_nan_weights_where_the_network_refuses_them():
    rng = np.random.default_rng(4)
    net = network.Network([6, 5, 3], "randn", seed=0)
    X, y = rng.random((8, 6)), rng.integers(0, 3, 8)
    net.weights[1][2, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        net.gradient((X, y))
    with np.errstate(all="raise"):  # NaN propagates without a warning
        zs, _ = diagnostics.forward(net.weights, net.biases, X, "sigmoid", "quadratic")
        nabla_b, nabla_w = diagnostics.gradient(net.weights, net.biases, X, y)
    assert np.isfinite(zs[0]).all() and np.isnan(zs[1][:, 2]).all()
    assert np.isfinite(zs[1][:, [0, 1]]).all()  # only the unit that reads the NaN
    assert np.isnan(nabla_w[0]).any() and np.isnan(nabla_b[1][2])
    with pytest.raises(ValueError, match="unknown cost 'softmax'"):  # the cost, not the output
        diagnostics.forward(net.weights, net.biases, X, "sigmoid", "softmax")


@pytest.mark.parametrize("cost", network.COSTS)
@pytest.mark.parametrize("activation", [a for a in diagnostics.ACTIVATIONS if a != "softmax"])
def test_gradient_matches_finite_differences(activation, cost):
    rng = np.random.default_rng(3)
    sizes = [5, 4, 3, 3]
    weights = [rng.standard_normal((y, x)) for x, y in zip(sizes[:-1], sizes[1:])]
    biases = [rng.standard_normal((y, 1)) for y in sizes[1:]]
    X, y = rng.standard_normal((7, 5)), rng.integers(0, 3, 7)
    Y = np.eye(3)[y]

    def cost_of() -> float:
        zs, acts = diagnostics.forward(weights, biases, X, activation, cost)
        return diagnostics.cost_value(zs[-1], acts[-1], Y, cost)

    nabla_b, nabla_w = diagnostics.gradient(weights, biases, X, y, activation, cost=cost)
    eps = 1e-6
    for params, grads in ((weights, nabla_w), (biases, nabla_b)):
        for p, g in zip(params, grads):
            numeric = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + eps
                up = cost_of()
                p[idx] = old - eps
                numeric[idx] = (up - cost_of()) / (2 * eps)
                p[idx] = old
            np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", initializers.names())
def test_every_scheme_is_recognised_in_the_books_shapes(name):
    # identity exists only for square layers: it is refused for 784 -> 30.
    sizes = [30, 30, 30] if name == "identity" else BOOK

    def moments(scheme_name):
        scheme = initializers.get(scheme_name)
        return scheme.weight_moments(sizes[0], sizes[1]), scheme.bias_moments

    for seed in (0, 1):
        net = network.Network(sizes, name, seed=seed)
        found = diagnostics.identify_scheme(net.weights[0], net.biases[0])
        assert name in found
        # First, unless another scheme draws with the very same moments
        # (each of the ten schemes of docs/initializers.md's table comes first today).
        assert found[0] == name or moments(found[0]) == moments(name), found


def test_weights_of_no_known_scheme_are_not_matched():
    rng = np.random.default_rng(0)
    assert diagnostics.identify_scheme(0.003 * rng.standard_normal((30, 784))) == []
    assert diagnostics.identify_scheme(np.full((30, 784), 0.5)) == []  # constant, not U[0, 1)
    w = rng.random((30, 784))
    assert diagnostics.identify_scheme(w) == ["rand"]
    w[3, 4] = np.nan
    assert diagnostics.identify_scheme(w) == []
    # Uniform and normal draws with the same moments are told apart by their shape.
    xn = initializers.xavier_normal(rng, (30, 784))
    assert diagnostics.identify_scheme(xn)[0] == "xavier_normal"
    assert "xavier_uniform" not in diagnostics.identify_scheme(xn)


# ---- the acceptance cases, on real MNIST ------------------------------------


def test_case_1_rand_saturates_layer_1_and_is_named(sample):
    report = diagnose_fresh(sample, BOOK, "rand")
    found = report.finding("saturation", layer=1)
    assert found is not None and found.severity == "error"
    assert found.evidence["saturated"] >= 0.99
    assert report.layers[0].saturated >= 0.99
    assert report.layers[0].scheme[0] == "rand"
    assert "U[0, 1)" in str(report) and "numpy.random.rand" in str(report)
    assert "zero-centred, fan-scaled" in found.fix and 'init="xavier_normal"' in found.fix
    assert "all positive with mean 0.5" in found.message
    assert not report.healthy and report.errors


@pytest.mark.parametrize(("init", "eta", "name"), [
    ("rand", 100.0, "saturation"),  # a rate far too large on top of the question's bug
    ("zeros", 1e-4, "symmetry"),  # a rate far too small on top of one distinct unit
])
def test_a_bad_draw_and_a_bad_rate_are_fixed_together(sample, init, eta, name):
    # Neither fix learns alone: a fan-scaled draw at the user's rate does not,
    # and the user's weights learn at no rate.  The draw's own range test
    # finds a rate, and the fix names both changes, measured together.
    report = diagnostics.diagnose(network.Network(BOOK, init, seed=0), sample, eta=eta)
    found = report.finding(name, layer=1)
    assert found is not None and found.severity == "error"
    assert found.verified is not None and found.verified.helped
    draw_eta = found.verified.numbers["draw_eta"]
    assert 0.3 <= draw_eta <= 31.6
    assert found.verified.numbers["accuracy"] > found.verified.numbers["your_accuracy"] + 0.3
    assert f"train at eta={draw_eta:.3g}" in found.fix and "only both changes together" in found.fix
    assert 'init="xavier_normal"' in found.fix


def test_a_bad_draw_at_a_good_rate_names_the_draw_alone(sample):
    report = diagnostics.diagnose(network.Network(BOOK, "rand", seed=0), sample, eta=3.0)
    found = report.finding("saturation", layer=1)
    assert found.verified.helped and "draw_eta" not in found.verified.numbers
    assert "train at eta=" not in found.fix


def test_case_2_zeros_is_one_distinct_unit(sample):
    report = diagnose_fresh(sample, BOOK, "zeros")
    found = report.finding("symmetry", layer=1)
    assert found.severity == "error" and found.evidence == {"units": 30, "distinct": 1}
    assert report.layers[0].distinct == 1
    assert "vanishing_gradient" not in names(report)  # the zero gradient is symmetry's


def test_symmetry_of_a_few_copied_units_is_a_warning(sample):
    net = network.Network(BOOK, "xavier_normal", seed=0)
    net.weights[0][1], net.biases[0][1] = net.weights[0][0], net.biases[0][0]
    found = diagnostics.diagnose(net, sample).finding("symmetry")
    assert (found.severity, found.evidence["distinct"]) == ("warning", 29)


@pytest.mark.parametrize("init", ["randn", "chapter3"])
def test_case_3_deep_sigmoid_networks_have_a_vanishing_gradient(sample, init):
    report = diagnose_fresh(sample, DEEP, init)
    found = report.finding("vanishing_gradient")
    assert found is not None and found.severity in ("warning", "error")
    norms = [layer.grad_b for layer in report.layers]
    assert found.evidence["ratio"] == report.gradient_ratio == norms[0] / norms[-1]
    assert report.gradient_ratio < diagnostics.VANISHING_RATIO
    assert "chapter 5" in found.fix


@pytest.mark.parametrize("init", ["xavier_normal", "xavier_uniform"])
def test_case_4_xavier_is_healthy(sample, init):
    report = diagnose_fresh(sample, BOOK, init)
    assert report.healthy, str(report)
    assert all(f.severity == "info" for f in report.findings)
    assert "Healthy" in str(report)


def test_one_answer_before_training_is_not_a_collapse(sample):
    # The trap: xavier_normal with seed 0 answers one digit for 99 % of the
    # images, but its outputs are not saturated.
    report = diagnose_fresh(sample, BOOK, "xavier_normal")
    assert report.top_share >= diagnostics.COLLAPSE_SHARE
    assert report.finding("output_collapse") is None


@pytest.mark.parametrize("scale", ["uint8", "float"])
def test_case_5_raw_pixels_are_unscaled_inputs(sample, scale):
    X, y = sample
    raw = np.round(X * 255).astype(np.uint8 if scale == "uint8" else np.float64)
    report = diagnostics.diagnose(network.Network(BOOK, "xavier_normal", seed=0), (raw, y))
    found = report.finding("unscaled_inputs")
    assert found is not None and found.evidence["input_max"] == 255
    assert "255" in found.fix
    # The saturation they cause is blamed on them, not on the weights.
    assert "X / 255.0" in report.finding("saturation", layer=1).fix


def test_case_6_relu_with_biases_of_minus_10_has_dead_units(sample):
    report = diagnose_fresh(sample, BOOK, "he_normal", activation="relu", bias_init=-10)
    found = report.finding("dead_units", layer=1)
    assert found.severity == "error" and found.evidence["dead"] == 30
    assert "biases have mean -10" in found.message and "start the biases at 0" in found.fix


def test_case_7_relu_with_rand_collapses_its_outputs(sample):
    report = diagnose_fresh(sample, BOOK, "rand", activation="relu")
    found = report.finding("output_collapse")
    assert found.severity == "error"
    assert found.evidence["top_share"] >= 0.9 and found.evidence["output_saturated"] >= 0.9
    assert 'init="he_normal"' in found.fix  # the ReLU network's scheme


@pytest.mark.parametrize("where", ["weight", "bias", "input", "huge"])
def test_case_8_non_finite_values_are_reported_without_a_crash(sample, where):
    net = network.Network(BOOK, "xavier_normal", seed=0)
    X, y = sample[0].copy(), sample[1]
    if where == "weight":
        net.weights[0][0, 0] = np.nan
    elif where == "bias":
        net.biases[1][3] = np.inf
    elif where == "input":
        X[5, 300] = np.nan
    else:  # finite weights whose products overflow
        net.weights[0][:] = 1e306
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a RuntimeWarning
        report = diagnostics.diagnose(net, (X, y))
    found = report.finding("non_finite")
    assert found is not None and found.severity == "error"
    if where == "weight":
        assert "weights[0] (1 NaN)" in found.message
    json.dumps(report.to_dict(), allow_nan=False)
    assert str(report)


def test_case_9_your_own_lists_give_the_report_of_case_1(sample):
    sizes = BOOK
    rng = np.random.RandomState(0)  # the legacy generator behind np.random.rand
    biases = [rng.rand(y, 1) for y in sizes[1:]]
    weights = [rng.rand(y, x) for x, y in zip(sizes[:-1], sizes[1:])]
    own = diagnostics.diagnose((weights, biases), sample)
    case_1 = diagnose_fresh(sample, BOOK, "rand")

    def summary(report):
        return [(f.name, f.severity, f.layer) for f in report.findings]

    assert summary(own) == summary(case_1)
    assert [layer.scheme[0] for layer in own.layers] == ["rand", "rand"]
    assert own.finding("saturation", 1).evidence["saturated"] >= 0.99
    assert own.source == "(weights, biases) lists"


# ---- other networks, data forms and inputs ----------------------------------


def test_tanh_saturates_too(sample):
    report = diagnose_fresh(sample, BOOK, "rand", activation="tanh")
    assert report.finding("saturation", 1).evidence["threshold_z"] == pytest.approx(2.9932,
                                                                                     abs=1e-4)


def test_exploding_gradient(sample):
    report = diagnose_fresh(sample, [784, 100, 100, 100, 10], "randn", activation="relu",
                            cost="cross_entropy")
    assert report.finding("exploding_gradient").evidence["ratio"] > diagnostics.EXPLODING_RATIO


def test_a_trained_network_is_healthy(sample, training):
    net = network.Network(BOOK, "xavier_normal", seed=0)
    net.SGD(training, 1, 10, 3.0, verbose=False)
    report = diagnostics.diagnose(net, sample)
    assert report.healthy and report.accuracy > 0.8
    assert report.layers[0].scheme == []  # trained weights are no scheme's draw


def test_the_books_lists_and_arrays_give_the_same_report(sample):
    X, y = sample
    net = network.Network(BOOK, "rand", seed=0)
    arrays = diagnostics.diagnose(net, (X[:200], y[:200])).to_dict()
    pairs = [(x.reshape(784, 1), np.eye(10)[t].reshape(10, 1))
             for x, t in zip(X[:200], y[:200])]
    assert diagnostics.diagnose(net, pairs).to_dict() == arrays
    images = (X[:200].reshape(200, 28, 28), np.eye(10)[y[:200]])
    assert diagnostics.diagnose(net, images).to_dict() == arrays
    nested = (X[:200].tolist(), y[:200].tolist())
    assert diagnostics.diagnose(net, nested).to_dict() == arrays
    # Targets other than one-hot are the cost's targets as given.
    assert diagnostics.diagnose(net, (X[:200], np.full((200, 10), 0.5))).cost_half == 0


def test_the_default_data_is_the_first_1000_mnist_images(mnist_dir, sample, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(mnist_dir))
    report = diagnostics.diagnose(network.Network(BOOK, "rand", seed=0))
    assert report.examples == 1000
    assert report.to_dict() == diagnose_fresh(sample, BOOK, "rand").to_dict()


@pytest.mark.parametrize(("net", "kw", "message"), [
    (([np.zeros((784, 30))], [np.zeros((30, 1))]), {}, "looks transposed"),
    (([np.zeros((30, 784)), np.zeros((10, 20))], [np.zeros(30), np.zeros(10)]), {},
     "does not follow"),
    (([np.zeros((10, 784))], [np.zeros((10, 1))]), {"activation": "swish"}, "swish"),
    (([np.zeros((10, 784))], [np.zeros((10, 1))]), {"cost": "hinge"}, "unknown cost"),
    (network.Network(BOOK, seed=0), {"activation": "relu"}, "activation is 'sigmoid'"),
    ("no/such/net.npz", {}, "no such file"),
])
def test_bad_networks_are_refused_clearly(sample, net, kw, message):
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        diagnostics.diagnose(net, sample, **kw)


def test_bad_data_is_refused_clearly(sample):
    net = network.Network([784, 30, 3], "randn", seed=0)
    with pytest.raises(ValueError, match="pass data="):
        diagnostics.diagnose(net)
    # Some labels outside the outputs: a finding, measured on the others.
    report = diagnostics.diagnose(net, sample)
    found = report.finding("labels_format")
    assert found.severity == "error" and report.cause is found
    assert found.evidence["outside"] == np.count_nonzero(sample[1] > 2) == 1000 - report.examples
    # None inside: nothing to measure.
    with pytest.raises(ValueError, match="labels must run from 0 to 2"):
        diagnostics.diagnose(net, (sample[0][:5], np.full(5, 7)))
    with pytest.raises(ValueError, match=r"expected inputs of shape \(n, 784\)"):
        diagnostics.diagnose(net, (np.zeros((5, 10)), np.zeros(5, dtype=int)))
    with pytest.raises(ValueError, match="can be read only once"):
        diagnostics.diagnose(net, zip([], []))


def test_saved_networks_are_diagnosed_from_their_files(sample, tmp_path):
    net = network.Network(BOOK, "rand", seed=0, cost="cross_entropy")
    direct = diagnostics.diagnose(net, sample).to_dict()
    for suffix in (".npz", ".json"):
        net.save(tmp_path / f"net{suffix}")
        report = diagnostics.diagnose(tmp_path / f"net{suffix}", sample).to_dict()
        assert report["source"] == f"file {tmp_path / f'net{suffix}'}"
        assert {**report, "source": None} == {**direct, "source": None}
    (tmp_path / "junk.npz").write_bytes(b"not a network")
    with pytest.raises(ValueError, match="cannot read it as a saved network"):
        diagnostics.diagnose(tmp_path / "junk.npz", sample)


def test_network2_is_diagnosed_like_its_lists(sample):
    network2 = pytest.importorskip("network2")
    net = network2.Network(BOOK)  # chapter 3: cross-entropy, N(0, 1/n_in) weights
    report = diagnostics.diagnose(net, sample)
    assert report.cost == "cross_entropy"
    lists = diagnostics.diagnose((net.weights, net.biases), sample, cost="cross_entropy")
    assert [(f.name, f.severity) for f in report.findings] == \
        [(f.name, f.severity) for f in lists.findings]
    assert report.layers[0].scheme[0] in ("chapter3", "lecun_normal")


def test_a_file_saved_by_the_books_network2_is_diagnosed(sample, tmp_path):
    pytest.importorskip("network2")  # Network.load reads the book's format with it
    rng = np.random.RandomState(1)
    weights = [rng.randn(y, x) / np.sqrt(x) for x, y in zip(BOOK[:-1], BOOK[1:])]
    biases = [rng.randn(y, 1) for y in BOOK[1:]]
    path = tmp_path / "book.json"
    path.write_text(json.dumps({"sizes": BOOK, "weights": [w.tolist() for w in weights],
                                "biases": [b.tolist() for b in biases],
                                "cost": "CrossEntropyCost"}))
    report = diagnostics.diagnose(path, sample)
    lists = diagnostics.diagnose((weights, biases), sample, cost="CrossEntropyCost")
    assert report.cost == "cross_entropy"
    assert [layer.to_dict() for layer in report.layers] == \
        [layer.to_dict() for layer in lists.layers]


def test_the_readme_case_end_to_end(mnist_dir, tmp_path, capsys):
    from experiments import my_network

    docs = tmp_path / "docs" / "my_network"
    assert my_network.main(["--train-size", "2000", "--data-dir", str(mnist_dir),
                            "--out", str(tmp_path / "out"), "--docs", str(docs)]) == 0
    text = docs.with_suffix(".md").read_text()
    before, after = text.split("After the fix")
    assert "[error] saturation, layer 1" in before and "rand: w, b ~ U[0, 1)" in before
    assert "Healthy" in after and "[error]" not in after
    assert docs.with_suffix(".png").stat().st_size > 0
    record = json.loads((tmp_path / "out" / "my_network.json").read_text())
    low, high = record["test_accuracy_after_one_epoch"]
    assert low < 0.2 < 0.6 < high


# ---- what the report shows ---------------------------------------------------


def test_the_report_prints_a_table_and_the_findings(sample):
    text = str(diagnose_fresh(sample, BOOK, "rand"))
    for phrase in ("layer  in -> out", "784 -> 30", "saturated", "|dC/db|", "looks like",
                   "answers 8 for 100.0%", "[error] saturation, layer 1",
                   "a net answering 0.5 everywhere", "    fix: "):
        assert phrase in text, phrase


def test_showing_a_report_computes_nothing_again(sample, tmp_path, monkeypatch):
    report = diagnose_fresh(sample, BOOK, "rand")

    def refuse(*args, **kwargs):
        raise AssertionError("a report recomputed a pass")

    for name in ("forward", "gradient", "cost_value"):
        monkeypatch.setattr(diagnostics.measures, name, refuse)
    monkeypatch.setattr(diagnostics, "diagnose", refuse)
    monkeypatch.setattr(network.Network, "SGD", refuse)
    str(report), report.to_dict(), report.plot(tmp_path / "r.png")


def test_the_report_is_json_safe(sample):
    report = diagnose_fresh(sample, BOOK, "rand", activation="relu")
    d = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert d["gradient_ratio"] is None  # undefined: the last layer's gradient is 0
    assert d["layers"][0]["fan_in"] == 784 and d["layers"][0]["dead"] == 0
    assert {f["name"] for f in d["findings"]} == names(report, "info")
    assert d["healthy"] is False


@pytest.mark.parametrize(("sizes", "activation"), [([784, 30, 30, 10], "sigmoid"),
                                                  (BOOK, "relu")])
def test_the_plot_is_written(sample, tmp_path, sizes, activation):
    path = tmp_path / "sub" / "report.png"
    diagnose_fresh(sample, sizes, "randn", activation=activation).plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in path.parent.iterdir()] == ["report.png"]


# ---- command line -------------------------------------------------------------


def test_cli_exit_codes(mnist_dir, tmp_path, capsys):
    data = ["--data-dir", str(mnist_dir)]
    assert diagnostics.main(["--init", "xavier_normal", *data]) == 0
    assert "Healthy" in capsys.readouterr().out
    assert diagnostics.main(["--init", "rand", *data]) == 1
    assert "[error] saturation, layer 1" in capsys.readouterr().out
    net = network.Network(BOOK, "zeros", seed=0)
    net.save(tmp_path / "zeros.npz")
    assert diagnostics.main([str(tmp_path / "zeros.npz"), "--plot", str(tmp_path / "z.png"),
                             *data]) == 1
    assert (tmp_path / "z.png").stat().st_size > 0
    assert diagnostics.main([str(tmp_path / "missing.npz"), *data]) == 2
    assert "no such file" in capsys.readouterr().err


def test_cli_json(mnist_dir, capsys):
    code = diagnostics.main(["--init", "chapter3", "--sizes", "784,30,30,30,30,10", "--json",
                             "--images", "300", "--data-dir", str(mnist_dir)])
    report = json.loads(capsys.readouterr().out)
    assert code == 0  # warnings only
    assert report["examples"] == 300 and report["sizes"] == DEEP
    assert "vanishing_gradient" in {f["name"] for f in report["findings"]}


@pytest.mark.parametrize(("argv", "message"), [
    ([], "give one of: a saved network's FILE, --init NAME"),
    (["net.npz", "--init", "rand"], "give one of"),
    (["--init", "rand", "--code", "mine.py"], "--code YOUR_FILE.py"),
    (["--code", "mine.py", "--eta", "-1"], "expected a positive learning rate"),
    (["--init", "gaussian"], "invalid choice: 'gaussian'"),
    (["--init", "rand", "--sizes", "784,30"], "--sizes must start with 784"),
    (["--init", "rand", "--images", "0"], "expected a positive integer"),
])
def test_cli_bad_usage(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        diagnostics.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_python_m_diagnostics(mnist_dir):
    done = subprocess.run([sys.executable, "-m", "diagnostics", "--init", "rand", "--json",
                           "--data-dir", str(mnist_dir)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["findings"][0]["name"] == "saturation"


# ---- training: SGD's stop and the Monitor -------------------------------------


def test_sgd_stops_when_the_callback_returns_false(training):
    seen = []

    def callback(epoch, net, history):
        seen.append(epoch)
        return epoch != 1 and None  # False after epoch 1; None (go on) otherwise

    history = network.Network(BOOK, seed=0).SGD(training, 5, 10, 3.0, verbose=False,
                                                callback=callback)
    assert seen == [0, 1] and len(history.seconds) == 2


def test_monitor_warns_saturation_after_epoch_0_and_can_stop(training, sample):
    net = network.Network(BOOK, "rand", seed=0)
    monitor = diagnostics.Monitor(sample)
    with pytest.warns(diagnostics.TrainingHealthWarning) as caught:
        history = net.SGD(training, 2, 10, 3.0, verbose=False, callback=monitor)
    texts = [str(w.message) for w in caught]
    assert texts[0].startswith("after epoch 0: [error] saturation, layer 1")
    assert len(history.seconds) == 2  # warned, not stopped
    assert len(texts) == len({t.split("]")[1].split(":")[0] for t in texts})  # once each
    assert any("frozen_weights, layer 1" in t for t in texts)  # layer 1 no longer learns
    assert issubclass(diagnostics.TrainingHealthWarning, UserWarning)

    net = network.Network(BOOK, "rand", seed=0)
    stopping = diagnostics.Monitor(sample, stop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", diagnostics.TrainingHealthWarning)  # as experiments do
        history = net.SGD(training, 5, 10, 3.0, verbose=False, callback=stopping)
    assert len(history.seconds) == 1 and stopping.stopped_at == 0
    assert {f.name for _, f in stopping.findings} >= {"saturation", "output_collapse"}


def test_monitor_is_silent_on_a_healthy_network(training, sample):
    net = network.Network(BOOK, "xavier_normal", seed=0)
    monitor = diagnostics.Monitor(sample, stop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", diagnostics.TrainingHealthWarning)
        history = net.SGD(training, 2, 10, 3.0, verbose=False, callback=monitor)
    assert len(history.seconds) == 2 and monitor.findings == [] and monitor.report.healthy


def test_monitor_stops_on_non_finite_weights(training, sample):
    net = network.Network(BOOK, "xavier_normal", seed=0)
    monitor = diagnostics.Monitor(sample, stop=True)

    def poison_then_monitor(epoch, net, history):
        net.weights[1][0, 0] = math.nan  # as a diverging run would
        return monitor(epoch, net, history)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = net.SGD(training, 3, 10, 3.0, verbose=False, callback=poison_then_monitor)
    assert len(history.seconds) == 1 and monitor.stopped_at == 0
    assert "[error] non_finite: NaN or infinity in weights[1] (1 NaN)" in str(caught[0].message)
    assert all(w.category is diagnostics.TrainingHealthWarning for w in caught)


@pytest.mark.parametrize(("init", "eta", "trained"), [
    ("rand", 100.0, True),  # trained weights that no longer look like rand's draw
    ("rand", 3.0, False),
    ("zeros", 1e-4, False),
])
def test_no_fix_is_both_not_confirmed_and_verified(sample, training, init, eta, trained):
    net = network.Network(BOOK, init, seed=0)
    if trained:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", network.TrainingDivergedWarning)
            net.SGD(training, 1, 10, eta, verbose=False)
    report = diagnostics.diagnose(net, sample, eta=eta)
    for f in report.findings:
        if f.verified is not None and f.verified.helped:
            assert "not confirmed" not in f.fix, f
    if trained:  # the draw is not blamed for trained weights, but a fresh one is measured
        collapse = report.finding("output_collapse")
        assert collapse is not None and collapse.verified.helped
        assert collapse.fix.startswith("start again from a fresh draw")
