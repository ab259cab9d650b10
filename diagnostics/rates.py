"""diagnostics.rates
~~~~~~~~~~~~~~~~~

The step size.  :func:`range_test` trains one copy per learning rate, the
user's and half decades around it (Smith 2017's range test, fastai's
``lr_find``); :func:`learning_rate` names ``learning_rate_too_large`` or
``learning_rate_too_small`` when other rates learn clearly more than the
user's (beyond the held-out accuracy's noise), and gives the rate that
worked best, with what it measured; :class:`Probes` is the range test's
record and paragraph in the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .adapter import Model
from .findings import Finding, Verification
from .trials import LEARNED, RATIO_BAND, REFERENCE, Run, Split, look_steps, train

# The rates of the range test: half decades from 1e-3 to 100, where every
# cost and activation of the book and this project learns (measured), plus the
# user's own rate.
GRID = tuple(10 ** (k / 2) for k in range(-6, 5))

# A rate is called too large or too small only when the rate suggested instead
# is at least this factor away.
RATE_FACTOR = 3.0

# Rates whose held-out accuracy is within this of the best rate's learned as
# well, for a suggestion: 3 points, about the spread of one short look's
# accuracy on 200 held-out examples over draws.
NEAR_BEST = 0.03

# Two held-out accuracies differ clearly when their gap is more than this
# many standard deviations of the difference of two binomial shares on the
# n held-out examples, sqrt((p1 (1 - p1) + p2 (1 - p2)) / n) (taken as
# independent, which overstates the noise of two scores of the same
# examples).  3: the largest of the range test's 11 other rates is compared
# with the user's, and a 5 % chance of a false alarm over 11 comparisons is
# z = 2.84 (Bonferroni, two-sided).  On 200 examples near 25 % that is 13
# points: [784, 2, 10]'s 28 % at eta = 31.6 against 20 % at eta = 3 is noise.
NOISE_SDS = 3.0

# Rates of the grid this close to the user's (relative) are the user's rate,
# and not trained twice (0.0316 typed, 10 ** -1.5 in the grid).
SAME_RATE = 0.01

def range_test(model: Model, sample: Split, eta: float, m: int = 10, seed: int = 0,
               steps: int | None = None, *, lmbda: float = 0.0, n: int | None = None
               ) -> dict[float, Run]:
    """One copy of ``model`` trained per rate of :data:`GRID` and at ``eta``
    (the same mini-batches for every rate; a grid rate within
    :data:`SAME_RATE` of ``eta`` is ``eta``), by rate, with the reference's
    update, for ``steps`` (default one look, :func:`look_steps`).  A copy
    that has not learned and shows no overshoot (divergence, a rising cost,
    growing saturation) gets the longer look when it is the user's rate, or
    when it lies between a tenth of the smallest rate that learned and the
    largest one: a copy on a plateau is not a wrong rate, and the rates
    beside those that learned are the ones a plateau hides.  ``lmbda`` and
    ``n``: the user's L2 term, with which every copy trains (its decay per
    step, ``1 - r lmbda / n``, grows with the rate ``r``)."""
    kw = dict(hidden=model.activation, cost=model.cost, m=m, seed=seed, lmbda=lmbda, n=n)
    rates = {r for r in GRID if abs(math.log(r / eta)) > SAME_RATE} | {float(eta)}
    runs = {r: train(model.weights, model.biases, sample, r, steps=steps, **kw)
            for r in sorted(rates)}
    long = look_steps(m, len(sample.X), long=True)
    if runs[float(eta)].planned >= long:
        return runs
    longer = {float(eta)}
    learned = [r for r, run in runs.items() if run.learned(sample.chance)]
    if learned:
        longer |= {r for r in runs if min(learned) / 10 <= r <= max(learned)}
    for r in sorted(longer):
        if not runs[r].learned(sample.chance) and not _overshoots(runs[r]):
            runs[r] = train(model.weights, model.biases, sample, r, steps=long, **kw)
    return runs


def _look(runs: dict[float, Run]) -> int:
    """The steps of the range test's short look (the fewest any copy planned)."""
    return min(run.planned for run in runs.values())


def _overshoots(run: Run) -> bool:
    """The run diverged, its cost rose or its hidden units saturated."""
    return (run.diverged_at is not None or run.costs[-1] > run.costs[0]
            or run.saturated[-1] > run.saturated[0] + 0.1)


def learned_rates(runs: dict[float, Run], chance: float) -> list[float]:
    """The rates whose copy learned, in its look or its longer look."""
    return sorted(r for r, run in runs.items() if run.learned(chance))


def best_rate(runs: dict[float, Run], chance: float) -> float | None:
    """The rate to suggest: among the rates that learned (each in its own look,
    or, near the user's, the longer look), the smallest whose held-out
    accuracy is within :data:`NEAR_BEST` of the best one's; None if none
    learned.  The smallest of the near-best, because a short look favours
    large rates; never one far below a rate the same test shows learning
    better (a rate at the edge of the learned range can learn much less)."""
    learned = learned_rates(runs, chance)
    if not learned:
        return None
    top = max(runs[r].accuracy[-1] for r in learned)
    return min(r for r in learned if runs[r].accuracy[-1] >= top - NEAR_BEST)


def fastest_rate(runs: dict[float, Run], chance: float) -> float | None:
    """Among the copies that learned in the short look, the smallest rate
    whose held-out accuracy is within 3 points of the best one's: where an
    effect on learning (the data's order) shows most in a short run.  None if
    no copy learned in that many steps."""
    learned = [r for r, run in runs.items()
               if run.learned(chance) and run.steps[-1] <= _look(runs)]
    if not learned:
        return None
    top = max(runs[r].accuracy[-1] for r in learned)
    return min(r for r in learned if runs[r].accuracy[-1] >= top - NEAR_BEST)


def noise_margin(p: float, q: float, n: int, n_q: int | None = None) -> float:
    """The gap two held-out accuracies ``p`` and ``q`` on ``n`` examples (``q``
    on ``n_q`` when given) must exceed to differ clearly: :data:`NOISE_SDS`
    binomial standard deviations of their difference."""
    if n_q is None:
        return NOISE_SDS * math.sqrt((p * (1 - p) + q * (1 - q)) / max(n, 1))
    return NOISE_SDS * math.sqrt(p * (1 - p) / max(n, 1) + q * (1 - q) / max(n_q, 1))


def clearly_better(run: Run, yours: Run) -> bool:
    """``run`` learned clearly more than ``yours`` (beyond
    :func:`noise_margin`) in at most as many steps as ``yours`` had; in any
    number when ``yours`` overshoots (diverged, its cost rose or its units
    saturated: more steps do not undo that)."""
    theirs = run.accuracy[-1] if _overshoots(yours) else run.accuracy_by(yours.steps[-1])
    mine = yours.accuracy[-1]
    return theirs - mine > noise_margin(theirs, mine, yours.held_out)


def learning_rate(runs: dict[float, Run], eta: float, chance: float) -> list[Finding]:
    """``learning_rate_too_large`` / ``_too_small`` from a :func:`range_test`:
    rates that learned clearly more than the user's (:func:`clearly_better`,
    beyond the held-out accuracy's noise) are all smaller / larger, the
    suggested one at least :data:`RATE_FACTOR` times; the fix is the rates
    that learned and the smallest of those that learned about as well as the
    best of them, with what it measured.

    An error when the user's run did not learn and shows why (too large: it
    diverged, its saturation grew, its cost rose or its first steps were
    above the band of the update-to-weight ratio; too small: every layer's
    ratio below the band); else a warning: a copy that learns, only less, or
    one on a plateau that may still leave it later."""
    yours = runs[float(eta)]
    better = [r for r in sorted(runs) if runs[r].learned(chance) and r != float(eta)
              and clearly_better(runs[r], yours)]
    if not better:
        return []
    top = max(runs[r].accuracy[-1] for r in better)
    best = min(r for r in better if runs[r].accuracy[-1] >= top - NEAR_BEST)
    if best <= eta / RATE_FACTOR and better[-1] < eta:
        name, (why, sure) = "learning_rate_too_large", _too_large_why(yours)
    elif best >= eta * RATE_FACTOR and better[0] > eta:
        name, (why, sure) = "learning_rate_too_small", _too_small_why(yours)
    else:
        return []
    sure = sure and not yours.learned(chance)
    message = _rate_message(runs, eta, why, learned_rates(runs, chance))
    return [Finding(name, "error" if sure else "warning", message, _rate_fix(best, better),
                    evidence=_evidence(runs, eta, chance),
                    verified=_rate_verified(runs, eta, best, better, chance))]


def _rate_message(runs: dict[float, Run], eta: float, why: str, learned: list[float]) -> str:
    yours, tried = runs[float(eta)], sorted(runs)
    look, long = _look(runs), max(run.planned for run in runs.values())
    return (f"at your eta={eta:.3g}, {yours.summary()}: {why}. A range test of copies at "
            f"{len(tried)} rates from {tried[0]:.3g} to {tried[-1]:.3g} ({REFERENCE} from "
            f"your weights, {look} mini-batches each" + (
                f", {long} for those beside the rates that learned" if long > look else "")
            + f") learned at {_rates(learned, runs)}")


def _rate_verified(runs: dict[float, Run], eta: float, best: float, better: list[float],
                   chance: float) -> Verification:
    """The suggested rate's run against the user's (:func:`measured_better`);
    ``rates_learned`` are the rates that learned clearly more than the
    user's (``better``)."""
    return measured_better(runs[best], runs[float(eta)], f"eta={best:.3g} ({REFERENCE})",
                           f"{eta:.3g}", {"eta": eta, "best_eta": best, "rates_learned": better},
                           chance)


def measured_better(fixed: Run, yours: Run, tried: str, mine: str, numbers: dict,
                    chance: float) -> Verification:
    """A suggested setting's run (``fixed``, the setting in words ``tried``)
    against the user's (``yours``, their value ``mine``): it learned more than
    the held-out accuracy's noise, the reason it is suggested; ``numbers``
    first, then both accuracies and costs, the margin and ``chance``."""
    margin = noise_margin(fixed.accuracy[-1], yours.accuracy[-1], yours.held_out)
    return Verification(
        f"with {tried} the {fixed.summary()}; with yours, {mine}, {yours.summary()} (on "
        f"{yours.held_out} held-out examples, a difference above {margin:.0%} is more than "
        f"noise)", True,
        {**numbers, "accuracy": fixed.accuracy[-1], "your_accuracy": yours.accuracy[-1],
         "cost": fixed.costs[-1], "your_cost": yours.costs[-1], "margin": margin,
         "chance": chance})


def _rate_fix(best: float, better: list[float]) -> str:
    """The fix: the rates that learned clearly more than the user's, and the
    one to start at."""
    if len(better) == 1:
        return (f"train with eta={best:.3g}, the one rate that learned clearly more than yours "
                f"in the probe (a short look: rates beside it may learn in a longer run)")
    return (f"train with a rate from {better[0]:.3g} to {better[-1]:.3g}, the rates that "
            f"learned clearly more than yours; start at eta={best:.3g}, the smallest that "
            f"learned about as well as the best (a short run favours large rates)")


def _too_large_why(run: Run) -> tuple[str, bool]:
    """Why the steps are too large, in words, and whether the run shows it."""
    first = run.ratios[0][0] if run.ratios else math.nan
    parts = []
    if run.diverged_at is not None:
        parts.append("the steps overshoot until the numbers overflow")
    if run.saturated[-1] > run.saturated[0] + 0.1:
        parts.append("the steps push the hidden units into saturation, where they stop "
                     "learning")
    if run.costs[-1] > run.costs[0]:
        parts.append("the cost rose")
    if first > RATIO_BAND[1]:
        parts.append(f"the first step changed the first layer's weights by {first:.2g} of "
                     f"their norm, {_band_words(first)}")
    return "; ".join(parts) or "smaller rates learned clearly more", bool(parts)


def _too_small_why(run: Run) -> tuple[str, bool]:
    """Why the steps are too small, in words, and whether the run shows it."""
    ratio = run.ratio()
    text = ", ".join(f"{r:.2g}" for r in ratio)
    if ratio and max(ratio) == 0:
        return (f"no step changes any weight at all: each is below the last bit of the "
                f"weights it updates, so in {run.steps[-1]} steps they do not move"), True
    if ratio and max(ratio) < RATIO_BAND[0]:
        return (f"each step changes the weights by only {text} of their norm (layer by "
                f"layer), {_band_words(max(ratio))}, so in {run.steps[-1]} steps they "
                f"hardly move"), True
    # not below the band: the ratio does not show it (for mini-batches as
    # large as the data each step is long, and the steps are few)
    return (f"its update-to-weight ratio per layer is "
            f"{', '.join(f'{r:.2g} ({_band_words(r)})' for r in ratio)}, so the ratio does "
            f"not show it, but in {run.steps[-1]} steps larger rates learned clearly more"
            ), False


def _band_words(ratio: float) -> str:
    """Where an update-to-weight ratio lies against :data:`RATIO_BAND`."""
    low, high = RATIO_BAND
    where = "below" if ratio < low else "above" if ratio > high else "in"
    return f"{where} the usual band, {low:g} to {high:g}"


def _rates(rates: list[float], runs: dict[float, Run] | None = None) -> str:
    """``eta=a`` or ``eta=a to b``; with ``runs``, the step count of each end
    that trained longer than the short look."""
    if not rates:
        return "no rate"

    def one(r: float) -> str:
        longer = runs is not None and runs[r].steps[-1] > _look(runs)
        return f"{r:.3g}" + (f" (in {runs[r].steps[-1]} steps)" if longer else "")

    return f"eta={one(rates[0])}" if len(rates) == 1 else \
        f"eta={one(rates[0])} to {one(rates[-1])}"


def _evidence(runs: dict[float, Run], eta: float, chance: float) -> dict:
    return {"eta": eta, "chance": chance, "steps": _look(runs),
            "rates": sorted(runs),
            "final_accuracy": [runs[r].accuracy[-1] for r in sorted(runs)],
            "final_cost": [runs[r].costs[-1] for r in sorted(runs)],
            "diverged_at": [runs[r].diverged_at for r in sorted(runs)],
            "update_ratio": [runs[r].ratio() for r in sorted(runs)],
            "saturated": [runs[r].saturated[-1] for r in sorted(runs)]}


def verdict_rate(runs: dict[float, Run], eta: float, chance: float) -> float:
    """The rate the other verdicts train at: the one :func:`learning_rate`
    suggests when it names the user's rate, else the user's when it learned
    (or none did), else the probe's best: a draw is judged at a rate that
    learns, not at one that stops any draw."""
    named = learning_rate(runs, eta, chance)
    if named:
        return named[0].verified.numbers["best_eta"]
    best = best_rate(runs, chance)
    return eta if runs[float(eta)].learned(chance) or best is None else best


@dataclass
class Probes:
    """What the probes measured: the range test's runs by rate, the user's
    rate and mini-batch size, the held-out share of the most frequent label
    (``chance``) and the number of held-out examples, and the rate the probe
    suggests (None when no rate learned); ``lmbda`` and ``n``, the L2 term
    every copy trained with (``lmbda`` 0: none)."""

    runs: dict[float, Run]
    eta: float
    mini_batch_size: int
    chance: float
    best: float | None
    held_out: int = 0
    skipped: str = "non-finite weights or inputs cannot train"  # why there are no runs
    lmbda: float = 0.0
    n: int | None = None
    rows: int | None = None  # the sample's training rows: no mini-batch holds more

    @property
    def learns(self) -> bool:
        """The copy learned at the user's own rate."""
        return bool(self.runs) and self.runs[float(self.eta)].learned(self.chance)

    def text(self) -> str:
        """The range test in one paragraph: which code trained, each rate's
        held-out accuracy (its step count and the user's rate marked), what
        the user's rate did, the rates that learned, and the probe's limits."""
        if not self.runs:
            return f"Step size: not probed ({self.skipped})."
        yours = self.runs[float(self.eta)]
        verdict = (f"the reference's update {'learns' if self.learns else 'does not learn'} "
                   f"from your weights in {yours.steps[-1]} steps")
        if self.learns and yours.accuracy[-1] <= yours.accuracy[0]:
            # "learned" is accuracy above chance, which trained weights start at
            verdict = (f"your weights stay above chance with the reference's update, but their "
                       f"held-out accuracy did not rise in {yours.steps[-1]} steps "
                       f"({yours.accuracy[0]:.0%} to {yours.accuracy[-1]:.0%})")
        learned = learned_rates(self.runs, self.chance)
        found = ("; no rate learned" if not learned else
                 f"; rates that learned: {_rates(learned, self.runs)}" + (
                     f" (suggested start: eta={self.best:.3g}, the smallest near the best)"
                     if len(learned) > 2 and not self.learns else ""))
        return (f"Step size: a range test of copies trained with {REFERENCE} "
                f"(network.Network's) from your weights, {_look(self.runs)} mini-batches of "
                f"{self._batch()} per rate (longer where marked)" + (
                    f" with your L2 term, lmbda={self.lmbda:g} and n={self.n:,}" if self.lmbda
                    else "") + f", held-out accuracy on "
                f"{self.held_out} examples (before training {yours.accuracy[0]:.0%}; always "
                f"answering their most frequent label {self.chance:.0%}; learned: "
                f"{LEARNED * 100:.0f} points above that): {', '.join(self._cells())}. At yours, "
                f"eta={self.eta:.3g}, {verdict}{found}. The look is short: a draw can sit on a "
                f"plateau longer (the book's randn draws at eta=3, for hundreds of steps), so a "
                f"rate that did not learn here may learn later"
                + (", and the fastest here need not be the best over an epoch." if learned
                   else "."))

    def _batch(self) -> str:
        """The mini-batch the copies trained in: the user's, or all the
        sample's training rows when theirs is larger."""
        if self.rows is None or self.mini_batch_size <= self.rows:
            return str(self.mini_batch_size)
        return (f"{self.rows} (all the sample's training rows: yours, {self.mini_batch_size}, "
                f"is larger)")

    def _cells(self) -> list[str]:
        """``rate: accuracy`` per run, ``rate (yours, 1000 steps): ...`` marked."""
        cells = []
        for r, run in sorted(self.runs.items()):
            marks = (["yours"] if r == float(self.eta) else []) + (
                [f"{run.steps[-1]} steps"] if run.steps[-1] != _look(self.runs) else [])
            result = (f"NaN after {run.diverged_at}" if run.diverged_at is not None
                      else f"{run.accuracy[-1]:.0%}")
            cells.append(f"{r:.3g}" + (f" ({', '.join(marks)})" if marks else "") + f": {result}")
        return cells
