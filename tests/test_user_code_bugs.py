"""diagnostics on more of a newcomer's bugs in their own code
(experiments/their_network.py): an update that keeps state between calls, a
step that changes a parameter's shape, a backprop that computes another
cost's gradient, a network whose outputs collapse to 0, gradients returned
or unpacked in the other order, and errors raised inside the user's code.
Each was answered wrongly before (a silent update, flattened shapes, a fix
"verified" that learns worse than the user's code, "learned as well" for a
collapse, "a transposed product?", a fix blaming the inputs).  On the first
1,000 MNIST training images (skipped without the data)."""

from __future__ import annotations

import pytest

import diagnostics
from diagnostics.text import sentences
from diagnostics.userfile import construct
from diagnostics.verify import Trial
from experiments import their_network as bs

BOOK = [784, 30, 10]
_REPORTS: dict = {}


@pytest.fixture(scope="module")
def sample(mnist_dir):
    return diagnostics.load_sample("mnist", mnist_dir)


def diagnosed(cls, sample):
    """The report of ``cls(BOOK)`` at eta = 3 without the probes, once per run."""
    if cls not in _REPORTS:
        _REPORTS[cls] = diagnostics.diagnose(construct(cls, BOOK), sample)
    return _REPORTS[cls]


def code_finding(report, name):
    (found,) = [f for f in report.findings if f.name == name]
    return found


# ---- messages joined as sentences ------------------------------------------------


@pytest.mark.parametrize(("parts", "joined"), [
    (("a transposed product.", "In the trial"), "a transposed product. In the trial"),
    (("no stop", "Next"), "no stop. Next"),
    (("a question?", "", " Next. "), "a question? Next."),
    (("only",), "only")])
def test_sentences_end_with_one_stop(parts, joined):
    assert sentences(*parts) == joined


@pytest.mark.parametrize("cls", [bs.NoSigmoidPrime, bs.FrozenBiases, bs.NegSigmoid])
def test_no_message_has_a_doubled_stop(sample, cls):
    for f in diagnosed(cls, sample).findings:
        assert ".." not in f.message and ". ." not in f.message, f.message


# ---- an update that keeps state between calls --------------------------------------


def test_a_sum_kept_between_calls_is_named_at_the_second_call(sample):
    report = diagnosed(bs.StaleNabla, sample)
    found = report.cause
    assert found.name == "update_mismatch" and found.evidence["call"] == 2
    assert found.evidence["kept_sum"] and "never reset to zero" in found.message
    assert "inside update_mini_batch, not kept on self" in found.fix
    assert found.verified.helped
    assert report.code["update_mini_batch"] == "differs: see update_mismatch"


def test_a_rate_schedule_kept_on_self_is_named_by_its_ratio(sample):
    found = diagnosed(bs.DecayingEta, sample).cause
    assert found.name == "update_mismatch" and not found.evidence["kept_sum"]
    assert all(r == pytest.approx(0.5, rel=1e-6) for r in found.evidence["ratios"].values())
    assert "the second did not: every parameter moved 0.5 times the book's step" in found.message


# ---- a step that changes a parameter's shape ------------------------------------


def test_biases_given_the_weights_gradients_show_their_real_shapes(sample):
    report = diagnosed(bs.BiasGetsNablaW, sample)
    found = report.cause
    assert found.name == "update_mismatch"
    assert ("biases[0] from (30, 1) to (30, 784), biases[1] from (10, 1) to (10, 30)"
            in found.message)
    assert "23520" not in found.message and "backprop" not in found.fix
    assert found.fix.startswith("update the biases with nabla_b and the weights with nabla_w")
    assert report.code["backprop"] == "agrees"


def test_a_bias_step_of_another_shape_names_the_parameter(sample):
    found = diagnosed(bs.TransposedBiasStep, sample).cause
    assert found.name == "update_mismatch"
    assert "biases[0] from (30, 1) to (30, 30)" in found.message
    assert "subtract from biases[0], of shape (30, 1), a step of that same shape" in found.fix


# ---- the gradient of another cost, and a fix that does not learn better ----------


def test_a_backprop_of_the_cross_entropy_cost_is_said_so(sample):
    report = diagnosed(bs.NoOutputSigmaPrime, sample)
    found = report.cause
    assert found.name == "gradient_mismatch" and found.severity == "warning"
    assert found.evidence["computes_cost"] == "cross_entropy"
    assert "computes the gradient of the cross_entropy cost" in found.message
    assert 'cost="cross_entropy"' in found.fix
    # proven by comparing gradients on other examples, not by guessing
    assert found.verified.helped and max(found.verified.numbers["relative_errors"]) < 1e-4
    assert not report.errors


def test_a_fix_that_learns_worse_than_their_code_is_not_verified(sample):
    report = diagnosed(bs.NoSigmoidPrime, sample)
    found = report.cause
    v = found.verified
    assert v.numbers["yours_learns"] and v.numbers["yours_end"] < v.numbers["fixed_end"]
    assert not v.helped
    text = " ".join(str(report).split())
    assert "fix, not confirmed:" in text and "verified: with the reference's code" not in text
    assert "the copy with this fix did not do better than yours" in text


# ---- outputs that collapse to 0 are not learning ------------------------------------


def test_a_collapse_to_0_is_not_learning():
    collapsed = Trial(1.52, 0.5, 300, accuracy_start=0.1, accuracy=0.104, chance=0.132)
    learned = Trial(1.52, 0.2, 300, accuracy_start=0.1, accuracy=0.67, chance=0.132)
    assert not collapsed.learns and learned.learns
    assert Trial(1.52, 0.5, 300).learns  # without an accuracy, the cost alone


def test_a_negated_sigmoid_is_not_said_to_learn(sample):
    found = code_finding(diagnosed(bs.NegSigmoid, sample), "gradient_mismatch")
    n = found.verified.numbers
    assert n["yours_end"] < 0.9 * n["yours_start"]  # its cost fell...
    assert n["yours_accuracy"] < n["chance"] + 0.1 and not n["yours_learns"]  # ...to chance
    assert "learned as well" not in found.message and found.verified.helped


# ---- gradients in the other order -----------------------------------------------


def test_a_swapped_return_is_named_as_the_order(sample):
    report = diagnosed(bs.SwappedReturn, sample)
    found = report.cause
    assert found.name == "gradient_mismatch" and "transposed" not in found.message
    assert found.message.startswith("your backprop returned (nabla_w, nabla_b)")
    assert found.fix.startswith("return (nabla_b, nabla_w)")
    # their update is the book's: fed the reference's gradient it is right
    assert report.finding("update_mismatch") is None


def test_a_swapped_unpack_in_the_update_is_named_there(sample):
    report = diagnosed(bs.SwappedUnpack, sample)
    found = report.cause
    assert found.name == "update_mismatch" and report.code["backprop"] == "agrees"
    assert "the biases took the weights' shapes" in found.message


# ---- errors raised inside the user's code ---------------------------------------------


@pytest.mark.parametrize(("cls", "name", "method", "line"), [
    (bs.WrongWeightIndex, "gradient_mismatch", "backprop",
     "delta = np.dot(self.weights[-l].transpose(), delta) * sigmoid_prime(zs[-l])"),
    (bs.ReversedProductFeedforward, "forward_mismatch", "feedforward",
     "a = sigmoid(np.dot(a, w) + b)")])
def test_an_error_in_their_code_names_its_line(sample, cls, name, method, line):
    found = diagnosed(cls, sample).cause
    assert found.name == name
    with open(bs.__file__) as f:
        number = [k for k, text in enumerate(f, 1) if text.strip() == line][-1]
    assert f"at line {number} of {bs.__file__} ({line})" in found.message
    assert found.fix.startswith(f"the error is in your own code: correct line {number} of")
    assert "book's inputs" not in found.fix
    assert found.verified is not None


def with_rand_draw(cls):
    """``cls`` with the question's np.random.rand weights and biases too
    (``RandNetwork``'s ``__init__``, next in the method order)."""
    return type(f"Rand{cls.__name__}", (cls, bs.RandNetwork), {})


@pytest.mark.parametrize(("cls", "name"), [
    (bs.SignFlippedUpdate, "update_mismatch"),
    (bs.FlippedCostDerivative, "gradient_mismatch"),
])
def test_a_code_bug_behind_a_bad_draw_is_verified_from_a_fresh_draw(sample, cls, name):
    # the rand weights learn with neither code: the reference's is tried
    # against theirs from one fan-scaled draw, where only the reference learns
    report = diagnosed(with_rand_draw(cls), sample)
    found = report.finding(name)
    assert found is not None and found.severity == "error"
    assert found.verified.helped and "a fan-scaled draw" in found.verified.text
    assert not found.verified.numbers["yours_learns"]
    assert report.finding("saturation", layer=1).severity == "error"  # the draw, named too
