"""diagnostics.regularization
~~~~~~~~~~~~~~~~~~~~~~~~~~

Chapter 3's L2 regularization, ``lmbda``.  Every step of ``network2``'s SGD
first shrinks each weight by the factor ``1 - eta * lmbda / n`` (``n`` the
training set's size), then moves it down the gradient.  The weights settle
where the two balance, ``w = -(n / lmbda) dC/dw``, whatever the rate: an
lmbda far too large holds them near zero, and the network near chance (the
book's 5.0 for 50,000 images shrinks them by 0.99995 per step at eta = 0.5;
5,000 by 0.95).  At ``eta * lmbda / n >= 1`` the factor is at most 0: every
step zeroes or flips the weights.

:func:`lmbda_test` trains copies at the user's rate with their lmbda and
with smaller ones (half decades down to a thousandth of it, and the book's
5.0 scaled to ``n``), each for the longer look (the decay acts over about
``n / (eta lmbda)`` steps); :func:`lmbda_too_large` names the user's lmbda
when a smaller one learned clearly more (beyond the held-out accuracy's
noise, :func:`diagnostics.rates.clearly_better`) and suggests, of those
that learned about as well as the best, the book's lmbda scaled to ``n``
when it is one of them, else the largest: a short run cannot tell those
apart (regularization pays, or costs, over a whole training), and the book's
setting is the one known to work for the whole (chapter 3: 5.0 for 50,000
images, 0.1 for 1,000).  Measured on MNIST, [784, 30, 10], eta = 0.5, 30
epochs of 50,000 images: lmbda = 5,000 reaches 20 % of the test images, the
book's 5.0 96 %, and 158, the largest that learned as well in the look, 88 %.
"""

from __future__ import annotations

import math

from .adapter import Model
from .findings import Finding, Verification
from .rates import NEAR_BEST, clearly_better, measured_better
from .trials import REFERENCE, Run, Split, decay, look_steps, train

# The book's setting (chapter 3): lmbda = 5.0 with n = 50,000 training images.
BOOK_LMBDA, BOOK_N = 5.0, 50_000

# What stops learning, not what slows it: the suggested lmbda's gain above
# chance is more than this many times the user's (as an init finding's draw,
# diagnostics.probes.DRAW_STOPS).  Measured, [784, 30, 10], 1,000 MNIST
# images, 1,000 steps: lmbda = 5,000 with n = 50,000 at eta = 0.5 gains 12
# points where lmbda = 158 gains 70; lmbda = 5 with n = 1,000 at eta = 3
# (quadratic) 50 where 0.5 gains 71, a warning.
STOPS = 3.0

# The smaller lmbdas tried: the user's divided by 10 ** (k / 2), k = 1 .. DOWN
# (down to a thousandth).
DOWN = 6


def book_lmbda(n: int) -> float:
    """The book's lmbda scaled to ``n`` training examples, ``BOOK_LMBDA * n /
    BOOK_N``: the book's decay per step at the same rate."""
    return BOOK_LMBDA * n / BOOK_N


def smaller(lmbda: float, n: int) -> list[float]:
    """The lmbdas below ``lmbda`` that :func:`lmbda_test` tries, ascending:
    half decades down to a thousandth of it, and the book's ``BOOK_LMBDA *
    n / BOOK_N`` when that is smaller."""
    tried = {lmbda * 10 ** (-k / 2) for k in range(1, DOWN + 1)}
    book = book_lmbda(n)
    if book < lmbda / 1.01 and not any(math.isclose(book, lm) for lm in tried):
        tried.add(book)
    return sorted(tried)


def lmbda_test(model: Model, sample: Split, eta: float, lmbda: float, n: int, m: int = 10,
               seed: int = 0) -> dict[float, Run]:
    """One copy of ``model`` per lmbda, the user's and :func:`smaller` ones,
    by lmbda: each trained at ``eta`` with the reference's update and the L2
    term over ``n`` examples, on the same mini-batches, for the longer look
    (:func:`~diagnostics.trials.look_steps`)."""
    kw = dict(hidden=model.activation, cost=model.cost, m=m, seed=seed, n=n,
              steps=look_steps(m, len(sample.X), long=True))
    return {lm: train(model.weights, model.biases, sample, eta, lmbda=lm, **kw)
            for lm in [*smaller(lmbda, n), float(lmbda)]}


def lmbda_too_large(runs: dict[float, Run], lmbda: float, eta: float, n: int, chance: float,
                    n_given: bool = True) -> list[Finding]:
    """``lmbda_too_large`` from an :func:`lmbda_test`: smaller lmbdas learned
    clearly more than the user's (beyond the held-out accuracy's noise); the
    fix is, of those whose held-out accuracy is within
    :data:`~diagnostics.rates.NEAR_BEST` of the best one's, the book's lmbda
    scaled to ``n`` (:func:`book_lmbda`) when it is one, else the largest,
    with what it measured.  An error when the user's copy did not learn, the decay factor
    is at most 0 or the suggested lmbda gains more than :data:`STOPS` times
    as much above chance, else a warning.  A factor at most 0 with no smaller
    lmbda measured to help is an error whose fix says it is not confirmed.
    ``n_given``: the user gave ``n`` (else it is the data's size, and the
    message says so)."""
    yours, factor = runs[float(lmbda)], decay(eta, lmbda, n)
    better = [lm for lm in sorted(runs) if lm < lmbda and runs[lm].learned(chance)
              and clearly_better(runs[lm], yours)]
    message = _message(runs, lmbda, eta, n, n_given, better)
    evidence = {"lmbda": lmbda, "n": n, "eta": eta, "decay": factor, "chance": chance,
                "lmbdas": sorted(runs), "steps": yours.steps[-1],
                "final_accuracy": [runs[lm].accuracy[-1] for lm in sorted(runs)]}
    if not better:
        if factor > 0:
            return []
        return [Finding("lmbda_too_large", "error", message, (
            f"not confirmed by the probe (no smaller lmbda learned clearly more at "
            f"eta={eta:.3g}: a finding above may name why); the factor is above 0 only for "
            f"lmbda < n/eta = {n / eta:.4g}, and the book's is lmbda={BOOK_LMBDA:g} for "
            f"n={BOOK_N:,}"), evidence=evidence)]
    top = max(runs[lm].accuracy[-1] for lm in better)
    near = [lm for lm in better if runs[lm].accuracy[-1] >= top - NEAR_BEST]
    book = [lm for lm in near if math.isclose(lm, book_lmbda(n))]
    best = book[0] if book else max(near)
    sure = factor <= 0 or not yours.learned(chance) or (
        runs[best].gain(chance) > STOPS * yours.gain(chance))
    return [Finding("lmbda_too_large", "error" if sure else "warning", message,
                    _fix(best, near, n), evidence=evidence,
                    verified=_verified(runs, lmbda, best, better, eta, chance))]


def n_note(n: int, n_given: bool) -> str:
    """Where the training set's size ``n`` came from, when the user did not
    give it: the data diagnosed, which may be a sample of theirs."""
    return "" if n_given else (f" (n: the {n:,} examples diagnosed, as none was given; pass "
                               f"n=, or --n, your training set's size)")


def _message(runs: dict[float, Run], lmbda: float, eta: float, n: int, n_given: bool,
             better: list[float]) -> str:
    factor, yours = decay(eta, lmbda, n), runs[float(lmbda)]
    where = n_note(n, n_given)
    if factor <= 0:
        shrink = f"{factor:.4g}, at most 0: every step zeroes or flips the sign of every weight"
    else:
        half = math.log(0.5) / math.log(factor) if factor < 1 else math.inf
        shrink = f"{factor:.4g}, which halves them every {half:.3g} steps"
    tried = sorted(runs)
    learned = ", ".join(f"lmbda={lm:.3g}: {runs[lm].accuracy[-1]:.0%}" for lm in tried)
    return (f"with lmbda={lmbda:g} and n={n:,}{where}, every step at your eta={eta:g} shrinks "
            f"the weights by the factor 1 - eta*lmbda/n = {shrink}; at that lmbda, "
            f"{yours.summary()}. Copies at {len(tried)} lmbdas from {tried[0]:.3g} to "
            f"{tried[-1]:.3g} ({REFERENCE} from your weights at your eta, "
            f"{yours.planned} mini-batches each) reached held-out accuracy {learned}"
            + (f"; {len(better)} smaller lmbda{'s' * (len(better) != 1)} learned clearly more"
               if better else ""))


def _fix(best: float, near: list[float], n: int) -> str:
    """The fix: the lmbda to train with, and the ones that learned about as
    well as the best (``near``)."""
    if math.isclose(best, book_lmbda(n)):
        book = (f"the book's own for n={BOOK_N:,}" if n == BOOK_N else
                f"the book's {BOOK_LMBDA:g} for n={BOOK_N:,} scaled to your n (lmbda = "
                f"{BOOK_LMBDA:g} * n / {BOOK_N:,})")
        why = f"{book}, which learned about as well as the best"
    else:
        why = (f"the largest lmbda tried that learned about as well as the best (the book "
               f"uses {BOOK_LMBDA:g} for n={BOOK_N:,}, {book_lmbda(n):.3g} for your n)")
    return (f"train with lmbda={best:.3g}, {why}" + (
        f"; lmbdas from {near[0]:.3g} to {near[-1]:.3g} did (a short run cannot tell them "
        f"apart)" if len(near) > 1 else ""))


def _verified(runs: dict[float, Run], lmbda: float, best: float, better: list[float],
              eta: float, chance: float) -> Verification:
    """The suggested lmbda's run against the user's
    (:func:`~diagnostics.rates.measured_better`)."""
    return measured_better(runs[best], runs[float(lmbda)],
                           f"lmbda={best:.3g} ({REFERENCE}, eta={eta:g})", f"{lmbda:g}",
                           {"lmbda": lmbda, "best_lmbda": best, "lmbdas_learned": better,
                            "eta": eta}, chance)
