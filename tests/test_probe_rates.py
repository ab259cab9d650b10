"""The range test's verdicts: a rate is named only when another learns
clearly more (beyond the held-out accuracy's noise), each look is sized by
the examples it sees, an init finding keeps its severity when its own fix
learns far more, and the healthy verdict says only what was measured fine.

The end-to-end cases run on the first 1,000 MNIST training images (skipped
without real MNIST, see conftest.py).
"""

import math

import numpy as np
import pytest

import diagnostics
import network
from diagnostics import probes, rates, trials
from diagnostics.adapter import model_of
from diagnostics.findings import Finding


@pytest.fixture(scope="module")
def sample(mnist_dir):
    import mnist_loader

    (X, y), _, _ = mnist_loader.load_data(data_dir=mnist_dir, download=False)
    return X[:1000], y[:1000]


@pytest.fixture(scope="module")
def split(sample):
    X, y = sample
    return trials.split(X, y, np.eye(10)[y])


def run(eta, accuracy, *, steps=300, held_out=200, saturated=(0.4, 0.4), ratios=(1e-3,),
        cost=(1.5, 0.5)):
    """A made-up Run: accuracy 10 % at step 0, ``accuracy`` at ``steps``."""
    return trials.Run(eta, planned=steps, held_out=held_out, steps=[0, steps],
                      costs=list(cost), accuracy=[0.1, accuracy], saturated=list(saturated),
                      ratios=[list(ratios)])


def book(**kw):
    return network.Network([784, 30, 10], seed=0, **kw)


# --------------------------------------------------------------------------
# A rate is named only beyond the noise of the held-out accuracy
# --------------------------------------------------------------------------


@pytest.mark.parametrize("yours, other, eta", [(0.20, 0.28, 3.0), (0.20, 0.29, 100.0)])
def test_a_gap_within_the_noise_names_no_rate(yours, other, eta):
    # 8-9 points on 200 held-out examples: about 2 sd of the difference
    # (the first is [784, 2, 10] at eta = 3 against 31.6; the second the
    # same gap on the other side, a user's rate above the one that learned)
    other_eta = 31.6 if eta == 3.0 else 10.0
    runs = {eta: run(eta, yours), other_eta: run(other_eta, other)}
    assert rates.learning_rate(runs, eta, chance=0.14) == []


def test_a_gap_beyond_the_noise_names_the_rate_with_its_margin():
    runs = {3.0: run(3.0, 0.20), 31.6: run(31.6, 0.45)}
    found = rates.learning_rate(runs, 3.0, chance=0.14)
    assert [f.name for f in found] == ["learning_rate_too_small"]
    numbers = found[0].verified.numbers
    assert numbers["margin"] == pytest.approx(
        3 * math.sqrt((0.45 * 0.55 + 0.2 * 0.8) / 200))
    assert "more than noise" in found[0].verified.text


def test_the_same_gap_on_more_held_out_examples_is_not_noise():
    runs = {3.0: run(3.0, 0.20, held_out=5000), 31.6: run(31.6, 0.28, held_out=5000)}
    assert rates.learning_rate(runs, 3.0, chance=0.14)[0].name == "learning_rate_too_small"


def test_a_rate_that_learned_is_too_large_when_smaller_ones_learn_clearly_more():
    # the user's copy learned (48 %, 34 points above chance) and saturated;
    # eta = 1 reached 76 % in as many steps: a warning, the rate first
    runs = {10.0: run(10.0, 0.48, saturated=(0.49, 0.99)), 1.0: run(1.0, 0.76),
            3.16: run(3.16, 0.77), 0.1: run(0.1, 0.44)}
    found = rates.learning_rate(runs, 10.0, chance=0.14)
    assert [(f.name, f.severity) for f in found] == [("learning_rate_too_large", "warning")]
    assert found[0].verified.numbers["best_eta"] == 1.0
    assert "from 1 to 3.16" in found[0].fix  # the rates that beat yours, not yours


def test_a_longer_look_does_not_beat_a_shorter_one():
    # eta = 1 reached 42 % only in 1,000 steps; at 300 (the user's look) it
    # was at 12 %: runs of unequal length do not compete
    slow = trials.Run(1.0, planned=1000, held_out=200, steps=[0, 250, 1000],
                      costs=[1.5, 1.2, 0.5], accuracy=[0.1, 0.12, 0.42],
                      saturated=[0.4, 0.4, 0.4], ratios=[[1e-3]])
    runs = {3.0: run(3.0, 0.32), 1.0: slow}
    assert rates.learning_rate(runs, 3.0, chance=0.14) == []


@pytest.mark.parametrize("ratio, where", [(0.015, "above"), (1e-5, "below"), (1e-3, "in")])
def test_the_update_ratio_is_placed_against_the_band_truthfully(ratio, where):
    assert rates._band_words(ratio).startswith(f"{where} the usual band")
    why, _ = rates._too_small_why(run(3.0, 0.2, ratios=(1e-3, ratio)))
    assert f"{ratio:.2g} ({where} the usual band" in why


def test_narrow_network_blames_its_bottleneck_not_the_rate(sample):
    report = diagnostics.diagnose(network.Network([784, 2, 10], seed=0), sample, eta=3.0)
    assert report.cause.name == "bottleneck"
    assert report.finding("learning_rate_too_small") is None


def test_a_rate_warning_behind_a_cause_that_explains_more_is_a_note():
    rate = rates.learning_rate({3.0: run(3.0, 0.20, cost=(1.6, 0.42)),
                                 31.6: run(31.6, 0.45, cost=(1.6, 0.38))}, 3.0, chance=0.14)
    wide = diagnostics.Finding("bottleneck", "warning", "2 units", "widen", layer=1,
                               verified=diagnostics.Verification("", True, {
                                   "fixed_end": 0.07, "yours_end": 0.40}))
    behind = probes._behind(rate, [wide])
    assert behind[0].severity == "info" and "bottleneck explains more" in behind[0].message
    assert probes._behind(rate, [])[0].severity == "warning"


# --------------------------------------------------------------------------
# A rate that learns, but clearly less than another
# --------------------------------------------------------------------------


def test_softmax_randn_at_eta_10_is_too_large_and_the_draw_is_judged_at_a_rate_that_learns(
        sample):
    report = diagnostics.diagnose(book(cost="log_likelihood"), sample, eta=10.0)
    assert not report.healthy
    assert report.cause.name == "learning_rate_too_large"
    # a warning where the copy at eta=10 learns a little (the Haswell kernel's
    # rounding), an error where it does not (SkylakeX's): eta=10 is chaotic
    assert report.cause.severity in ("warning", "error")
    numbers = report.cause.verified.numbers
    assert numbers["best_eta"] < 10 and numbers["accuracy"] > numbers["your_accuracy"] + 0.15
    saturation = report.finding("saturation")
    assert f"at eta={numbers['best_eta']:.3g}" in saturation.message
    assert "at eta=10" not in saturation.verified.text


def test_a_fan_scaled_draw_at_a_slow_rate_is_too_small(sample):
    report = diagnostics.diagnose(book(init="xavier_normal"), sample, eta=0.03)
    assert report.cause.name == "learning_rate_too_small"
    assert report.cause.verified.numbers["best_eta"] >= 0.3


# --------------------------------------------------------------------------
# Init findings: severity kept when their own fix learns far more
# --------------------------------------------------------------------------


def test_zeros_weights_that_learn_a_little_keep_the_symmetry_error(sample):
    report = diagnostics.diagnose(network.Network([784, 30, 10], "zeros", seed=0), sample,
                                  eta=3.0)
    assert not report.healthy
    assert report.cause.name == "symmetry" and report.cause.severity == "error"
    assert report.cause.verified.helped


def test_copied_random_units_keep_the_symmetry_finding(sample):
    # every hidden unit the same random row, and every output unit reading
    # them alike (symmetric, not zero): the units get the same gradient and
    # stay one distinct unit, which learns a little, a fan-scaled draw far
    # more (with differing output weights the units part, and learn)
    rng = np.random.default_rng(0)
    weights = [np.repeat(rng.normal(0, 0.05, (1, 784)), 30, axis=0),
               np.repeat(rng.normal(0, 0.2, (10, 1)), 30, axis=1)]
    biases = [np.zeros((30, 1)), np.zeros((10, 1))]
    report = diagnostics.diagnose((weights, biases), sample, eta=3.0)
    symmetry = report.finding("symmetry")
    assert symmetry is not None and symmetry.severity == "error"


def test_the_books_slow_draw_stays_a_note(sample):
    report = diagnostics.diagnose(book(), sample, eta=3.0)
    assert report.healthy
    assert report.finding("saturation").severity == "info"


def test_a_finding_whose_fix_was_not_tried_gets_no_verification(sample):
    report = diagnostics.diagnose(network.Network([784, 5, 10], seed=0), sample, eta=3.0)
    vanishing = report.finding("vanishing_gradient")
    assert vanishing is not None and vanishing.verified is None
    assert "not tried by the probe" in vanishing.fix
    assert report.finding("saturation").verified is not None  # its fix is the draw


@pytest.mark.parametrize("fix, tried", [
    ('use init="xavier_normal"', True),
    ('use ReLU hidden layers with init="he_normal" (activation="relu")', False),
    ("scale the inputs to [0, 1] (X / 255.0)", False),
    ("start the biases at 0 (bias_init=0)", False)])
def test_only_a_fix_that_is_the_fan_scaled_draw_is_tried_by_it(fix, tried):
    assert probes._tries(Finding("saturation", "error", "", fix), "xavier_normal") is tried


@pytest.mark.parametrize("scheme", ["xavier_normal", "he_normal"])
def test_a_known_good_draw_is_named_not_called_trained(scheme):
    f = Finding("saturation", "error", "saturated", 'use init="xavier_normal"', layer=1)
    stuck = run(3.0, 0.1)
    out = probes._blame_init(f, stuck, run(3.0, 0.1), 3.0, [[scheme]], 0.14)
    assert f"look like a {scheme} draw" in out.fix and "trained?" not in out.fix
    assert "trained?" in probes._blame_init(f, stuck, stuck, 3.0, [[]], 0.14).fix


# --------------------------------------------------------------------------
# The healthy verdict
# --------------------------------------------------------------------------


def test_healthy_lists_only_what_no_note_contradicts(sample):
    report = diagnostics.diagnose(book(), sample, eta=3.0)
    verdict = " ".join(str(report).split("Notes:")[0].split("Healthy:")[1].split())
    assert report.finding("saturation") is not None
    assert "saturated" not in verdict
    assert "no copied units" in verdict  # measured, and no note says otherwise


def test_healthy_without_notes_lists_everything(sample):
    report = diagnostics.diagnose(book(init="xavier_normal"), sample)
    assert report.healthy and not report.findings
    assert "no saturated or dead layer, no copied units" in " ".join(str(report).split())


# --------------------------------------------------------------------------
# The look is sized by examples
# --------------------------------------------------------------------------


@pytest.mark.parametrize("m, steps", [(1, 3000), (10, 300), (100, 50), (1000, 50)])
def test_each_look_sees_examples_not_a_fixed_number_of_mini_batches(split, m, steps):
    model = model_of(book(init="xavier_normal"), None, None)
    runs = rates.range_test(model, split, 3.0, m)
    assert rates._look(runs) == steps
    assert all(r.planned in (steps, trials.look_steps(m, len(split.X), long=True))
               for r in runs.values())


def test_look_steps_floor_and_long_look():
    assert trials.look_steps(10, 800) == 300 and trials.look_steps(10, 800, long=True) == 1000
    assert trials.look_steps(1, 800, long=True) == 10_000
    assert trials.look_steps(5000, 800) == trials.MIN_STEPS  # a mini-batch is the sample


@pytest.mark.parametrize("eta", [10 ** -1.5 * (1 + 1e-12), 0.0316])
def test_a_rate_beside_a_grid_rate_is_trained_once(split, eta):
    model = model_of(book(init="xavier_normal"), None, None)
    runs = rates.range_test(model, split, eta, steps=20)
    near = [r for r in runs if abs(math.log(r / 0.0316)) < 0.01]
    assert near == [eta]


def test_trained_weights_whose_accuracy_does_not_rise_are_not_said_to_learn(sample):
    # trained weights start far above chance, which is what "learned" measures;
    # at a rate too small to move them, the text says their accuracy did not rise
    X, y = sample
    net = network.Network([784, 30, 10], "xavier_normal", seed=0)
    net.SGD((X, y), 2, 10, 3.0, verbose=False)
    probes_ = diagnostics.diagnose(net, (X, y), eta=1e-9).probes  # moves no answer
    yours = probes_.runs[1e-9]
    assert yours.learned(probes_.chance) and yours.accuracy[-1] <= yours.accuracy[0]
    assert "held-out accuracy did not rise" in probes_.text()
    assert "learns from your weights" not in probes_.text()


def test_steps_below_every_weights_last_bit_are_said_not_to_move_them(sample):
    X, y = sample
    report = diagnostics.diagnose(network.Network([784, 30, 10], "xavier_normal", seed=0),
                                  (X, y), eta=1e-300)
    found = report.finding("learning_rate_too_small")
    assert found is not None and "no step changes any weight at all" in found.message
    assert found.verified.helped
