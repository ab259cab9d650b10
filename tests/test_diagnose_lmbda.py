"""diagnose(..., lmbda=, n=): chapter 3's L2 term.  The copies that verify
fixes train with the user's weight decay; ``lmbda_too_large`` is named only
when a smaller lmbda was measured to learn clearly more (beyond the held-out
accuracy's noise), never for the book's own setting or for lmbda = 0; bad
values are refused with the fix.

The end-to-end cases diagnose on the first 1,000 MNIST training images
(skipped without real MNIST, see conftest.py), a few seconds each.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import diagnostics
import network
import network2
from diagnostics import regularization, trials, verify
from diagnostics.findings import FINDINGS


@pytest.fixture(scope="module")
def sample(mnist_dir):
    return diagnostics.load_sample("mnist", mnist_dir)


def book2() -> network2.Network:
    """The book's chapter 3 network: [784, 30, 10], cross-entropy."""
    return network2.Network([784, 30, 10], seed=0)


def made_up(accuracy: float, steps: int = 1000) -> trials.Run:
    """A Run from 10 % to ``accuracy`` on 200 held-out examples."""
    return trials.Run(0.5, planned=steps, held_out=200, steps=[0, steps], costs=[3.0, 1.0],
                      accuracy=[0.1, accuracy], saturated=[0.0, 0.0], ratios=[[1e-3]])


# ---- the L2 term in the copies' training ----------------------------------------


def test_a_copy_decays_its_weights_as_network_update_mini_batch_does(sample):
    net = network.Network([784, 30, 10], "xavier_normal", seed=0, cost="cross_entropy")
    X, y = sample
    split = trials.split(X, y, np.eye(10)[y])
    eta, lmbda, n, m = 0.5, 400.0, 1000, 10
    run = trials.train(net.weights, net.biases, split, eta, cost="cross_entropy", m=m,
                       steps=1, lmbda=lmbda, n=n)
    rows = np.random.default_rng(0).permutation(len(split.X))[:m]  # train's first batch
    net.update_mini_batch((split.X[rows], split.Y[rows]), eta, lmbda, n)
    for mine, theirs in zip(run.weights + run.biases, net.weights + net.biases):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-15)
    assert trials.decay(eta, lmbda, n) == pytest.approx(0.8)
    assert trials.decay(eta, 0.0, n) == 1.0


def test_the_copies_that_verify_fixes_train_with_the_users_lmbda(sample, monkeypatch):
    seen = []
    real = verify.train_reference

    def spy(*args, **kw):
        seen.append((kw.get("lmbda"), kw.get("n")))
        return real(*args, **kw)

    monkeypatch.setattr(verify, "train_reference", spy)
    # a 2-unit hidden layer: its bottleneck finding is verified on fresh copies
    report = diagnostics.diagnose(network.Network([784, 2, 10], seed=0), sample,
                                  lmbda=5.0, n=50_000)
    assert report.finding("bottleneck").verified is not None
    assert seen and set(seen) == {(5.0, 50_000)}
    assert (report.lmbda, report.n) == (5.0, 50_000)


# ---- lmbda_too_large from measured runs -----------------------------------------


def test_the_smaller_lmbdas_tried_include_the_books_scaled_to_n():
    tried = regularization.smaller(5000.0, 50_000)
    assert tried[-1] == pytest.approx(5000 / 10 ** 0.5) and tried[0] == pytest.approx(5.0)
    assert len(tried) == regularization.DOWN  # the book's 5.0 is 5,000 / 1,000, tried once
    assert regularization.BOOK_LMBDA * 1000 / regularization.BOOK_N in \
        regularization.smaller(5.0, 1000)  # 0.1, chapter 3's lmbda for 1,000 images
    assert all(lm < 5.0 for lm in regularization.smaller(5.0, 50_000))


def test_a_smaller_lmbda_within_the_noise_is_not_named():
    # 8 points on 200 held-out examples near 80 %: within 3 sd of the difference
    runs = {0.5: made_up(0.86), 5.0: made_up(0.78)}
    assert regularization.lmbda_too_large(runs, 5.0, 0.5, 1000, chance=0.14) == []


def test_the_books_lmbda_near_the_best_is_suggested_with_its_numbers():
    runs = {5.0: made_up(0.85), 50.0: made_up(0.86), 500.0: made_up(0.60),
            5000.0: made_up(0.20)}
    [f] = regularization.lmbda_too_large(runs, 5000.0, 0.5, 50_000, chance=0.14)
    assert f.name == "lmbda_too_large" and f.severity == "error"  # 6 points above chance
    assert f.verified.helped and f.verified.numbers["best_lmbda"] == 5.0
    assert "train with lmbda=5, the book's own for n=50,000" in f.fix
    assert "lmbdas from 5 to 50 did" in f.fix and "0.95" in f.message
    assert "85%" in f.verified.text and "20%" in f.verified.text


def test_else_the_largest_lmbda_near_the_best_is_suggested():
    # n = 1,000: the book's lmbda is 0.1, not among those tried here
    runs = {0.5: made_up(0.86), 5.0: made_up(0.85), 50.0: made_up(0.40)}
    [f] = regularization.lmbda_too_large(runs, 50.0, 0.5, 1000, chance=0.14)
    assert f.verified.numbers["best_lmbda"] == 5.0
    assert "the largest lmbda tried" in f.fix and "0.1 for your n" in f.fix
    runs[0.1] = made_up(0.85)  # the book's 0.1 for n = 1,000 learned as well: it is suggested
    [f] = regularization.lmbda_too_large(runs, 50.0, 0.5, 1000, chance=0.14)
    assert f.verified.numbers["best_lmbda"] == 0.1 and "scaled to your n" in f.fix


def test_a_copy_that_learns_only_less_is_a_warning():
    runs = {0.5: made_up(0.86), 5.0: made_up(0.64)}
    [f] = regularization.lmbda_too_large(runs, 5.0, 3.0, 1000, chance=0.14)
    assert f.severity == "warning" and f.verified.numbers["best_lmbda"] == 0.5


def test_a_decay_factor_at_most_zero_is_an_error_even_unconfirmed():
    runs = {5.0: made_up(0.12), 50_000.0: made_up(0.12)}
    [f] = regularization.lmbda_too_large(runs, 50_000.0, 1.0, 50_000, chance=0.14)
    assert f.severity == "error" and f.verified is None
    assert "at most 0" in f.message and f.fix.startswith("not confirmed")
    assert "lmbda < n/eta = 5e+04" in f.fix


def test_lmbda_is_judged_before_the_rate_it_scales():
    assert FINDINGS.index("lmbda_too_large") < FINDINGS.index("learning_rate_too_large")


# ---- end to end, on MNIST -------------------------------------------------------


def test_a_far_too_large_lmbda_is_named_with_the_lmbda_that_learned(sample):
    report = diagnostics.diagnose(book2(), sample, eta=0.5, lmbda=5000.0, n=50_000)
    f = report.cause
    assert f.name == "lmbda_too_large" and f.severity == "error"
    numbers = f.verified.numbers
    assert f.verified.helped and numbers["best_lmbda"] < 5000
    assert numbers["accuracy"] > numbers["your_accuracy"] + numbers["margin"]
    assert f"train with lmbda={numbers['best_lmbda']:.3g}" in f.fix
    assert f"{numbers['accuracy']:.0%}" in f.verified.text
    assert "with your L2 term, lmbda=5000 and n=50,000" in report.probes.text()


def test_a_moderate_lmbda_on_a_small_training_set_with_the_quadratic_cost(sample):
    # chapter 1's network and rate: lmbda = 20 over n = 1,000 decays the
    # weights by 0.94 per step; the rate test, run under that decay, favours
    # smaller rates only because they decay less, and becomes a note
    report = diagnostics.diagnose(network.Network([784, 30, 10], seed=0), sample, eta=3.0,
                                  lmbda=20.0, n=1000)
    assert report.cause.name == "lmbda_too_large"
    assert report.cause.verified.numbers["best_lmbda"] < 20
    rate = report.finding("learning_rate_too_large")
    assert rate is None or (rate.severity == "info" and "fix lmbda_too_large first" in rate.fix)


@pytest.mark.parametrize("lmbda", [5.0, 0.0])
def test_the_books_setting_and_no_lmbda_are_not_named(sample, lmbda):
    report = diagnostics.diagnose(book2(), sample, eta=0.5, lmbda=lmbda, n=50_000)
    assert report.finding("lmbda_too_large") is None
    assert report.healthy


def test_lmbda_zero_changes_nothing(sample):
    plain = diagnostics.diagnose(book2(), sample, eta=0.5)
    zero = diagnostics.diagnose(book2(), sample, eta=0.5, lmbda=0.0, n=50_000)
    assert [f.to_dict() for f in zero.findings] == [f.to_dict() for f in plain.findings]
    assert zero.probes.text() == plain.probes.text()


def test_a_decay_factor_at_most_zero_is_named_precisely(sample):
    report = diagnostics.diagnose(book2(), sample, eta=0.5, lmbda=200_000.0, n=50_000)
    f = report.finding("lmbda_too_large")
    assert f.severity == "error"
    assert "1 - eta*lmbda/n = -1, at most 0: every step zeroes or flips" in f.message


# ---- the command line and bad input ---------------------------------------------


def test_cli_lmbda_and_n(mnist_dir, capsys):
    code = diagnostics.main(["--init", "chapter3", "--cost", "cross_entropy", "--eta", "0.5",
                             "--lmbda", "5000", "--n", "50000", "--json",
                             "--data-dir", str(mnist_dir)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and (report["lmbda"], report["n"]) == (5000.0, 50_000)
    assert report["findings"][0]["name"] == "lmbda_too_large"


@pytest.mark.parametrize(("argv", "message"), [
    (["--init", "rand", "--lmbda", "-1"], "expected a finite number >= 0"),
    (["--init", "rand", "--lmbda", "nan"], "expected a finite number >= 0"),
    (["--init", "rand", "--lmbda", "5", "--n", "0"], "expected a positive integer"),
])
def test_cli_bad_lmbda(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        diagnostics.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(("kw", "message"), [
    ({"lmbda": -1.0}, "lmbda must be a finite number >= 0"),
    ({"lmbda": float("inf")}, "lmbda must be a finite number >= 0"),
    ({"lmbda": "5"}, "lmbda must be a finite number >= 0"),
    ({"lmbda": 5.0, "n": 0}, "n must be a positive integer"),
    ({"lmbda": 5.0, "n": 1.5}, "n must be a positive integer"),
])
def test_bad_lmbda_or_n_is_refused_with_the_fix(kw, message):
    X, y = np.zeros((20, 4)), np.arange(20) % 2
    with pytest.raises(ValueError, match=message):
        diagnostics.diagnose(([np.zeros((3, 4)), np.zeros((2, 3))],
                              [np.zeros((3, 1)), np.zeros((2, 1))]), (X, y), **kw)


def test_lmbda_for_an_update_without_l2_is_refused():
    class ChapterOne:
        def __init__(self):
            self.weights = [np.zeros((3, 4)), np.zeros((2, 3))]
            self.biases = [np.zeros((3, 1)), np.zeros((2, 1))]

        def update_mini_batch(self, mini_batch, eta):
            pass

    X, y = np.zeros((20, 4)), np.arange(20) % 2
    with pytest.raises(ValueError, match="takes no lmbda and n"):
        diagnostics.diagnose(ChapterOne(), (X, y), lmbda=5.0)


def test_the_suggested_lmbda_learns_in_a_real_training(mnist_dir, sample):
    """docs/diagnostics.md's fifth case, trained for real: three epochs of the
    50,000 images from the same draw, with lmbda = 5,000 and with the lmbda
    the diagnosis suggests."""
    import mnist_loader

    training, _, test = mnist_loader.load_data_wrapper(data_dir=mnist_dir)
    report = diagnostics.diagnose(book2(), sample, eta=0.5, lmbda=5000.0, n=50_000)
    suggested = report.cause.verified.numbers["best_lmbda"]

    def accuracy(lmbda: float) -> float:
        net = book2()
        net.SGD(training, 3, 10, 0.5, lmbda=lmbda)
        return net.accuracy(test) / len(test)

    assert accuracy(5000.0) < 0.4 and accuracy(suggested) > 0.9
