"""diagnostics on a newcomer's own code (experiments/their_network.py, the book's
network.py with one bug each): the user-code checks, labels_format,
bottleneck, diverged, non_finite without symmetry, single outputs, the
log-likelihood network everywhere, the command line's --code, and the
100-column text.  On the first 1,000 MNIST training images (skipped, with the
reason, without the data)."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import diagnostics
import network
from diagnostics.userfile import construct
from experiments import their_network as bs

ROOT = Path(__file__).resolve().parent.parent
BOOK = [784, 30, 10]
CODE = str(ROOT / "experiments" / "their_network.py")


@pytest.fixture(scope="module")
def sample(mnist_dir):
    return diagnostics.load_sample("mnist", mnist_dir)


_REPORTS: dict = {}


def diagnosed(cls, sample, eta=None, sizes=BOOK):
    """The report of ``cls(sizes)`` (numpy's global generator seeded with 0),
    computed once per module run; the user's object is checked unchanged."""
    key = (cls, eta, tuple(sizes))
    if key not in _REPORTS:
        net = construct(cls, sizes)
        before = copy.deepcopy(net)
        _REPORTS[key] = diagnostics.diagnose(net, sample, eta=eta)
        for w, w0 in zip(net.weights + net.biases, before.weights + before.biases):
            assert np.array_equal(w, w0)  # diagnose never changes the user's object
    return _REPORTS[key]


def assert_verified_learns(finding):
    v = finding.verified
    assert v is not None and v.helped, finding
    assert v.numbers["fixed_end"] < 0.9 * v.numbers["fixed_start"]
    assert v.numbers["fixed_accuracy"] >= v.numbers["chance"] + 0.1  # and it answers better


def assert_said_as_measured(finding):
    """The fix is called verified exactly when the corrected copy learned and
    the user's own copy did not learn better; when it did, the message says so."""
    n = finding.verified.numbers
    theirs_better = n["yours_learns"] and n["yours_end"] <= n["fixed_end"]
    assert finding.verified.helped == (n["fixed_learns"] and not theirs_better), n
    assert ("In the trial below your own code learned" in finding.message) == theirs_better


# ---- the acceptance cases that are the user's code --------------------


def test_case_4_cost_derivative_returning_y_minus_a_is_a_gradient_mismatch(sample):
    report = diagnosed(bs.FlippedCostDerivative, sample, eta=3.0)  # with the probes too
    found = report.cause
    assert found.name == "gradient_mismatch" and found.severity == "error"
    for row in found.evidence["layers"]:  # every layer points against the gradient
        assert row["cosine_fd"] == pytest.approx(-1, abs=1e-3)
        assert row["relative_error"] == pytest.approx(2, rel=1e-3)
    assert "returns y - a" in found.message
    # The place is named in the fix, not only in the cause: a copy with a correct
    # cost_derivative computes the gradient exactly.
    assert found.evidence["place"] == "cost_derivative"
    assert found.fix.startswith("make cost_derivative return output_activations - y")
    assert report.code["cost_derivative"] == "differs: see gradient_mismatch"
    assert report.code["feedforward"] == "agrees"
    assert_verified_learns(found)
    # The user's own training climbs the cost: the fix's proof says so.
    assert found.verified.numbers["yours_end"] > found.verified.numbers["yours_start"]


def test_case_5_a_missing_division_by_the_batch_is_ratio_10(sample):
    found = diagnosed(bs.NoMeanUpdate, sample).cause
    assert found.name == "update_mismatch"
    ratios = found.evidence["ratios"]
    assert set(ratios) == {"weights[0]", "weights[1]", "biases[0]", "biases[1]"}
    assert all(r == pytest.approx(10, rel=1e-6) for r in ratios.values())
    assert "not divided by len(mini_batch) = 10" in found.message
    assert_verified_learns(found)


def test_case_6_biases_never_updated(sample):
    found = diagnosed(bs.FrozenBiases, sample).cause
    assert found.name == "update_mismatch"
    assert found.evidence["parameters"] == ["biases[0]", "biases[1]"]
    assert found.evidence["ratios"]["biases[0]"] == 0
    assert found.evidence["ratios"]["weights[0]"] == pytest.approx(1, rel=1e-9)
    assert "the biases moved 0 times" in found.message and "never updated" in found.message
    # With frozen biases the book's network learns about as well in the trial
    # (which side ends lower is within rounding): said as measured.
    assert found.verified.numbers["fixed_learns"]
    assert_said_as_measured(found)


def test_the_books_own_code_has_no_code_finding(sample):
    report = diagnosed(bs.Network, sample)
    assert report.checked == ["feedforward", "backprop", "update_mini_batch", "cost_derivative"]
    assert not {"forward_mismatch", "gradient_mismatch", "update_mismatch"} & {
        f.name for f in report.findings}
    assert report.code == dict.fromkeys(report.checked, "agrees")
    assert ("weights: feedforward agrees; backprop agrees; update_mini_batch agrees; "
            "cost_derivative agrees.") in " ".join(str(report).split())


def test_a_wrong_update_is_named_in_the_your_code_line(sample):
    report = diagnosed(bs.NoMeanUpdate, sample)
    assert report.code["update_mini_batch"] == "differs: see update_mismatch"
    assert report.code["backprop"] == "agrees"
    assert "update_mini_batch differs: see update_mismatch" in " ".join(str(report).split())


def test_a_backprop_bug_elsewhere_keeps_the_backprop_fix(sample):
    found = diagnosed(bs.NoSigmoidPrime, sample).cause
    assert found.evidence["place"] == "backprop"
    assert found.fix.startswith("compute layer 1's gradient as the book's backprop does")


# ---- variants the issue does not name ----------------------------------------


def test_a_missing_sigma_prime_points_the_hidden_gradient_another_way(sample):
    found = diagnosed(bs.NoSigmoidPrime, sample).cause
    assert found.name == "gradient_mismatch" and found.layer == 1  # the output layer is right
    (row,) = [r for r in found.evidence["layers"] if r["relative_error"] > 1e-4]
    assert row["layer"] == 1 and -0.99 < row["cosine_fd"] < 0.99
    assert "missing sigma'(z)" in found.message
    # Without sigma'(z) in the hidden layer their copy learns better than the
    # corrected one in the trial: the fix is not called verified.
    assert not found.verified.helped and found.verified.numbers["yours_learns"]
    assert "learned better than the corrected one" in found.message
    assert_said_as_measured(found)


def test_a_transposed_product_is_named_by_its_shapes(sample):
    found = diagnosed(bs.TransposedProduct, sample).cause
    assert found.name == "gradient_mismatch"
    assert "returned shapes (10, 1) and (30, 10) for layer 2; expected (10, 1) and (10, 30)" \
        in found.message and "a transposed product?" in found.message
    # Their training fails at its first step, which the trial says; the reference learns.
    assert "an error at step 1" in str(found.verified) and found.verified.helped


def test_a_sign_flipped_update_is_ratio_minus_1(sample):
    found = diagnosed(bs.SignFlippedUpdate, sample).cause
    assert found.name == "update_mismatch" and "(a sign error)" in found.message
    assert all(r == pytest.approx(-1, rel=1e-9) for r in found.evidence["ratios"].values())
    assert_verified_learns(found)
    assert found.verified.numbers["yours_end"] > found.verified.numbers["yours_start"]


def test_a_wrong_l2_term_is_measured_against_eta_lmbda_over_n(sample):
    found = diagnosed(bs.WrongL2, sample).cause
    assert found.name == "update_mismatch"
    decay = found.evidence["decay_ratios"]  # shrinks by eta*lmbda/m, m = 10, n = 1000
    assert decay["weights[0]"] == pytest.approx(100, rel=1e-6)
    assert decay["biases[0]"] == 1.0  # biases left alone, as they should be
    assert found.verified is not None and found.verified.helped
    assert "update_mismatch" not in {f.name for f in diagnosed(bs.RightL2, sample).findings}


@pytest.mark.parametrize(("cls", "looks"), [(bs.TanhFeedforward, "tanh(z)"),
                                            (bs.NoBiasFeedforward, "sigmoid(z) without the bias")])
def test_a_wrong_feedforward_names_its_first_layer(sample, cls, looks):
    found = diagnosed(cls, sample).cause
    assert found.name == "forward_mismatch" and found.layer == 1
    assert found.evidence["looks_like"] == looks
    # Tried honestly: the answers through their feedforward and the reference's
    # on the same trained weights, both reported.
    v = found.verified
    assert 0.5 < v.numbers["reference_accuracy"] <= 1
    assert v.helped == (v.numbers["reference_accuracy"] > v.numbers["your_accuracy"] + 0.05)


def test_integer_labels_given_to_the_books_backprop(sample):
    X, y = sample
    pairs = [(x.reshape(-1, 1), int(t)) for x, t in zip(X, y)]
    found = diagnostics.diagnose(construct(bs.Network, BOOK), pairs).cause
    assert found.name == "labels_format" and found.evidence["label_form"] == "integer"
    assert "vectorized_result" in found.fix
    assert_verified_learns(found)  # one-hot targets through their own update learn
    # The book's training pairs (one-hot) are fine.
    onehot = [(x, np.eye(10)[t].reshape(-1, 1)) for x, t in pairs]
    assert diagnostics.diagnose(construct(bs.Network, BOOK), onehot).finding(
        "labels_format") is None


def test_labels_from_1_to_10(sample):
    X, y = sample
    report = diagnostics.diagnose(network.Network(BOOK, "xavier_normal", seed=0), (X, y + 1))
    found = report.cause
    assert found.name == "labels_format" and "subtract 1" in found.fix
    assert found.evidence["outside"] == np.count_nonzero(y == 9)


# ---- the weights alone --------------------------------------------------------


def test_case_11_a_3_unit_hidden_layer_is_a_bottleneck(sample):
    report = diagnostics.diagnose(network.Network([784, 3, 10], "xavier_normal", seed=0),
                                  sample, eta=3.0)
    found = report.cause
    assert found.name == "bottleneck" and found.layer == 1
    assert found.evidence == {"units": 3, "classes": 10}
    assert_verified_learns(found)  # a wider draw does better than theirs, measured
    assert found.verified.numbers["sizes"] == [784, 30, 10]
    assert diagnostics.diagnose(network.Network([784, 10, 10], "xavier_normal", seed=0),
                                sample).finding("bottleneck") is None


@pytest.mark.parametrize(("scale", "severity"), [(3.8e33, "error"), (30.0, "warning")])
def test_weights_blown_up_have_diverged(sample, scale, severity):
    net = network.Network(BOOK, "randn", seed=0)
    net.weights = [w * scale for w in net.weights]
    report = diagnostics.diagnose(net, sample)
    found = report.finding("diverged", layer=1)
    assert found.severity == severity
    assert found.evidence["times"] == pytest.approx(scale, rel=0.05)
    if severity == "error":
        assert report.cause is found
        assert_verified_learns(found)  # a fresh draw learns; theirs does not


def test_case_12_a_nan_weight_is_non_finite_only(sample):
    for where in (0, 1):
        net = network.Network(BOOK, "xavier_normal", seed=0)
        net.weights[where][0, 0] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            report = diagnostics.diagnose(net, sample, eta=3.0)
        assert [f.name for f in report.findings] == ["non_finite"]
    net = network.Network(BOOK, "xavier_normal", seed=0)
    net.weights[0][:] = np.nan  # every unit NaN: the rows are equal bytes, not copies
    assert [f.name for f in diagnostics.diagnose(net, sample).findings] == ["non_finite"]


def test_a_saturated_output_layer_is_a_finding_of_its_own(sample):
    net = network.Network(BOOK, "randn", seed=0)
    net.biases[1] = net.biases[1] - 12  # every output near 0, the answers still vary
    report = diagnostics.diagnose(net, sample)
    found = report.finding("output_saturation")
    assert found.severity == "error" and found.evidence["saturated"] > 0.9
    assert report.top_share < diagnostics.COLLAPSE_SHARE and not report.healthy
    # With cross-entropy the output error is a - y: only a note.
    net.cost = "cross_entropy"
    assert diagnostics.diagnose(net, sample).finding("output_saturation").severity == "info"


# ---- networks of every kind -----------------------------------------------------


def test_a_single_output_is_scored_at_one_half(sample):
    X, y = sample
    zero = (y == 0).astype(int)  # is it a 0?
    net = network.Network([784, 30, 1], "xavier_normal", seed=0)
    report = diagnostics.diagnose(net, (X, zero))
    answers = (net.forward(X)[1][-1][:, 0] > 0.5).astype(int)
    assert report.accuracy == pytest.approx(np.mean(answers == zero))
    assert report.accuracy < 1  # not argmax over one output
    assert report.chance == pytest.approx(1 - zero.mean())


def test_log_likelihood_networks_everywhere(sample, tmp_path, mnist_dir):
    net = network.Network(BOOK, "xavier_normal", seed=0, cost="log_likelihood")
    report = diagnostics.diagnose(net, sample)
    assert report.output == "softmax" and report.cost_half == pytest.approx(math.log(10))
    assert not report.errors, str(report)
    net.save(tmp_path / "soft.npz")
    assert diagnostics.diagnose(tmp_path / "soft.npz", sample).to_dict()["findings"] == \
        report.to_dict()["findings"]
    assert diagnostics.main(["--init", "xavier_normal", "--cost", "log_likelihood",
                             "--images", "300", "--data-dir", str(mnist_dir)]) == 0
    X, y = sample
    monitor = diagnostics.Monitor(sample)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", diagnostics.TrainingHealthWarning)
        history = net.SGD((X, y), 2, 10, 0.1, verbose=False, callback=monitor)
    assert len(history.seconds) == 2 and monitor.stopped_at is None  # trained to the end


def test_any_object_with_weights_and_biases(sample):
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((30, 784)) * 0.05, rng.standard_normal((10, 30)) * 0.2]
    biases = [np.zeros((30, 1)), np.zeros((10, 1))]
    report = diagnostics.diagnose(bs.OnlyWeights(weights, biases), sample)
    assert report.checked == [] and report.sizes == BOOK
    assert report.to_dict()["layers"] == diagnostics.diagnose((weights, biases),
                                                              sample).to_dict()["layers"]
    ref = diagnostics.reference(bs.OnlyWeights(weights, biases), cost="cross_entropy")
    assert isinstance(ref, network.Network) and ref.cost == "cross_entropy"
    assert ref.weights[0] is not weights[0] and np.array_equal(ref.weights[0], weights[0])


# ---- the report and the command line ---------------------------------------------


def test_the_text_fits_100_columns_and_wide_does_not(sample):
    report = diagnosed(bs.FlippedCostDerivative, sample, eta=3.0)
    assert max(len(line) for line in str(report).splitlines()) <= 100
    assert max(len(line) for line in report.text(wide=True).splitlines()) > 100
    assert "fix gradient_mismatch first" in str(report)
    d = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert d["findings"][0]["verified"]["helped"] is True


def test_cli_code(mnist_dir, tmp_path):
    def run(*argv):
        return subprocess.run([sys.executable, "-m", "diagnostics", *argv, "--images", "300",
                               "--data-dir", str(mnist_dir)], cwd=ROOT, capture_output=True,
                              text=True, timeout=300)

    done = run("--code", CODE, "--class", "NoMeanUpdate", "--sizes", "784,30,10")
    assert done.returncode == 1, done.stderr
    assert "fix update_mismatch first" in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 100
    missing = run("--code", CODE, "--class", "Nope")
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert "has no class Nope (it defines" in missing.stderr
    broken = tmp_path / "their_network.py"
    broken.write_text("import numpy as np\n\nclass Network:\n    print 'hello'\n")
    done = run("--code", str(broken))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "their_network.py failed to import (line 4): SyntaxError" in done.stderr
