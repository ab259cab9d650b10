"""diagnostics.probes
~~~~~~~~~~~~~~~~~~

Short training runs on copies of the network: what a snapshot of the weights
cannot show (the step size, whether the network can learn at all, whether the
labels belong to the inputs, whether the data is shuffled) shows up only when
something trains.  Each probe trains a copy and never the user's object, for
a look of a few thousand examples of the sample (:mod:`diagnostics.trials`:
the split, one run and what it measures).

* the range test and the learning-rate findings (:mod:`diagnostics.rates`);
* with chapter 3's L2 term, whether a smaller ``lmbda`` learns clearly more
  (:mod:`diagnostics.regularization`); every copy trains with the user's
  ``lmbda`` and ``n``, but for :func:`cannot_overfit` and the label checks'
  own learner;
* :func:`revise` re-reads the snapshot's findings with that evidence: a
  network the probe shows learning is healthy unless a fan-scaled draw
  learns several times as much, and the initialization is blamed only when
  the weights look like a known bad scheme's draw *and* a fan-scaled draw
  learns where theirs does not;
* whether the labels belong to the inputs (:mod:`diagnostics.alignment`);
* :func:`cost_at_start`, :func:`cannot_overfit` and :func:`data_unshuffled`,
  the other checks of Karpathy's recipe ("A Recipe for Training Neural
  Networks", 2019), and :func:`verify_scaling`.

Every fix is tried on a copy before it is printed, and what was measured is
the finding's ``verified``.  Every random draw comes from a ``Generator``
seeded with ``seed``: a diagnosis repeats exactly on the same machine.
:func:`probe` runs them all.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from . import inputs, regularization, verify
from .adapter import Model
from .alignment import labels_misaligned
from .batches import mini_batch_too_large
from .findings import FINDINGS, Finding, Verification
from .measures import cost_value, forward
from .rates import (
    GRID,
    Probes,
    best_rate,
    clearly_better,
    fastest_rate,
    learning_rate,
    range_test,
    verdict_rate,
)
from .schemes import fan_scheme
from .trials import (
    LEARNED,
    REFERENCE,
    Run,
    Split,
    chance_cost,
    copy_net,
    fan_scaled,
    look_steps,
    measure_run,
    reference_rate,
    sized,
    split,
    train,
)

# Unscaled inputs are an error (what stops learning, not what slows it) when
# the scaled copy's gain above chance is more than this many times the user's
# in the same steps.  Raw MNIST pixels in the book's network: 0.52 scaled
# against 0.20-0.24 as they are, a factor 3-5 whichever BLAS kernel rounds;
# the user's own gain sits near LEARNED, too near to decide on.
SCALING_STOPS = 2.0
# An init finding of a network that learns at its rate stays a warning or an
# error when a fan-scaled draw's gain above chance in its look is more than
# this many times the user's in at least as many steps (the user's copy gets
# the longer look): what stops learning, not what slows it.  Measured: the
# book's randn draw gains 56 points in 1,000 steps at eta = 3 against the
# fan-scaled draw's 71 in 300 (1.3 times), 28 against 68 at eta = 1 (2.4
# times: slower, and it reaches 80 % in an epoch); zeros weights 12 against
# 71 at eta = 3 (6 times: one distinct unit caps the network near 30 %).
DRAW_STOPS = 3.0
# Starting cost far from chance: more than this many times the cost of
# answering chance (ln n for softmax, 0.5 everywhere for sigmoid outputs).
# The book's randn draw starts at 1.8 times (seed 0), np.random.rand at 3.6.
START_FACTOR = 2.0
# cannot_overfit: so many examples, so many steps, and "near zero" as a share
# of the cost of knowing nothing (chance_cost: quadratic 1.25 for 10 outputs,
# so 0.25; answering 0 everywhere costs 0.5).  The book's [784, 30, 10] at
# eta = 3 memorises 20 MNIST images to 0.13 in 300 steps.
OVERFIT_EXAMPLES = 20
OVERFIT_STEPS = 300
OVERFIT_LEFT = 0.2
# nothing_learns needs this many training rows: on fewer a held-out accuracy
# that does not rise says little.
NOTHING_ROWS = 200
# The book's hidden layer, the shallow network nothing_learns tries too.
BOOK_HIDDEN = 30
# Findings whose cause a fresh draw of the same sizes and data keeps.
KEPT_BY_A_DRAW = ("bottleneck", "labels_misaligned", "labels_noisy", "labels_imbalanced",
                  "inputs_blank", "unscaled_inputs", "labels_format", "inputs_format",
                  "lmbda_too_large")
# data_unshuffled trains one pass in the user's order, at most this many steps.
ORDERED_STEPS = 1000
# Data sorted by label: consecutive equal labels this often (shuffled MNIST:
# 10 %) and at least three times as often as chance would give.
SORTED_SHARE = 0.5


# --------------------------------------------------------------------------
# The snapshot's findings, re-read with what the probes measured
# --------------------------------------------------------------------------

# Findings whose fix is a new initial draw (the snapshot's "why").
INIT_FINDINGS = ("symmetry", "saturation", "dead_units", "exploding_gradient",
                 "vanishing_gradient", "output_collapse", "output_saturation")
# Schemes whose draw is known to stop or slow a sigmoid network of MNIST's
# fan-in (identify_scheme's names).
BAD_SCHEMES = ("rand", "zeros", "randn")


def revise(findings: list[Finding], model: Model, sample: Split, eta: float,
           runs: dict[float, Run], schemes: list[list[str]], m: int = 10,
           seed: int = 0, draws: dict[float, Run] | None = None, *, lmbda: float = 0.0,
           n: int | None = None) -> list[Finding]:
    """The snapshot's ``findings`` re-read with the probes' evidence, at
    :func:`verdict_rate`, against a fan-scaled draw trained alike; only the
    findings whose fix is that draw (:func:`_tries`) get its run as their
    verification.

    * The copy learned: a finding is "info" (what was measured, and how much
      faster the draw learned), unless the draw's gain above chance is more
      than :data:`DRAW_STOPS` times the copy's, beyond the noise, in no more
      steps (the copy gets the longer look): then it stops learning and
      keeps its severity.
    * It did not: a finding keeps its fix only when the weights look like a
      draw of a known bad scheme (``schemes``: identify_scheme's names per
      layer) *and* the fan-scaled draw learns; otherwise the fix is marked
      unconfirmed, saying why.  When it does not learn at the user's rate
      either, the draw's own range test (``draws``, :func:`draw_range_test`)
      gives the rate: a bad draw and a bad rate are fixed only together.

    Both draws train with the user's L2 term (``lmbda``, ``n``).
    """
    if not any(f.name in INIT_FINDINGS for f in findings):
        return findings
    rate = verdict_rate(runs, eta, sample.chance)
    yours = runs[float(rate)]
    w, b = fan_scaled(model, seed)
    kw = dict(hidden=model.activation, cost=model.cost, m=m, seed=seed, lmbda=lmbda, n=n)
    scaled, draw_rate = train(w, b, sample, rate, **kw), rate
    best = None if draws is None else best_rate(draws, sample.chance)
    if best is not None and not (yours.learned(sample.chance) or scaled.learned(sample.chance)):
        draw_rate, scaled = best, draws[best]
    long = look_steps(m, len(sample.X), long=True)
    if yours.learned(sample.chance) and yours.planned < long and clearly_better(scaled, yours):
        yours = train(model.weights, model.biases, sample, rate, steps=long, **kw)
    name = fan_scheme(model.activation)
    out = []
    for f in findings:
        tried = scaled if _tries(f, name) else None
        if f.name not in INIT_FINDINGS:
            out.append(f)
        elif yours.learned(sample.chance):
            out.append(_learns_anyway(f, yours, tried, rate, sample.chance))
        else:
            out.append(_blame_init(f, yours, tried, rate, schemes, sample.chance, draw_rate))
    return out


def draw_range_test(model: Model, sample: Split, eta: float, m: int = 10, seed: int = 0,
                    **l2) -> dict[float, Run]:
    """:func:`~diagnostics.rates.range_test` of a fan-scaled draw (zero biases)
    of ``model``'s shapes (``l2``: the user's ``lmbda`` and ``n``): where no
    rate learns from the user's weights, a fresh draw shows whether any rate
    learns at all."""
    w, b = fan_scaled(model, seed)
    return range_test(model._replace(weights=w, biases=b), sample, eta, m, seed, **l2)


def _tries(f: Finding, scheme: str) -> bool:
    """The finding's fix is the draw the probe trains (``init="scheme"``, the
    fan-scaled scheme for its activation), not another activation, fewer
    layers, scaled inputs or zero biases alone."""
    return f'init="{scheme}"' in f.fix and "activation=" not in f.fix


def _draw_verified(scaled: Run, yours: Run, eta: float, helped: bool, chance: float,
                   draw_rate: float | None = None) -> Verification:
    """What the fan-scaled draw's run (``scaled``, at ``draw_rate``, default
    ``eta``) measured against the user's weights' (``yours``, at ``eta``)."""
    numbers = {"accuracy": scaled.accuracy[-1], "your_accuracy": yours.accuracy[-1],
               "chance": chance}
    if draw_rate is None or draw_rate == eta:
        draw_at, yours_at = eta, ""
    else:
        numbers["draw_eta"] = draw_at = draw_rate
        yours_at = f" at eta={eta:.3g}"
    return Verification(
        f"with a fan-scaled draw (zero biases) at eta={draw_at:.3g} the {scaled.summary()}; "
        f"with your weights{yours_at} the {yours.summary()} (both with {REFERENCE})", helped,
        numbers)


def _learns_anyway(f: Finding, yours: Run, scaled: Run | None, eta: float,
                   chance: float) -> Finding:
    """An init finding of a copy that learned at ``eta``: "info", unless the
    draw that is its fix (``scaled``, None when the probe did not try its
    fix) gains more than :data:`DRAW_STOPS` times as much, clearly."""
    run = f"at eta={eta:.3g}, with {REFERENCE}, its {yours.summary()}"
    if scaled is None:
        return replace(f, severity="info", message=f"{_stop(f.message)} The probe shows the "
                       f"network learns anyway: {run}.", fix=f"nothing needs fixing: the network "
                       f"learns (the snapshot's suggestion, not tried by the probe: {f.fix})")
    faster = clearly_better(scaled, yours)
    stops = faster and scaled.gain(chance) > DRAW_STOPS * yours.gain(chance)
    verified = _draw_verified(scaled, yours, eta, faster, chance)
    if stops:
        return replace(f, message=f"{_stop(f.message)} The probe shows the network learning "
                       f"only a little: {run}, while a fan-scaled draw gains more than "
                       f"{DRAW_STOPS:g} times as much above chance in no more steps.",
                       verified=verified)
    fix = (f"nothing needs fixing; a fan-scaled draw learns faster (measured below): {f.fix}"
           if faster else "nothing needs fixing: the network learns")
    return replace(f, severity="info", message=f"{_stop(f.message)} The probe shows the "
                   f"network learns anyway: {run}.", fix=fix, verified=verified)


def _stop(message: str) -> str:
    """``message`` ending with a full stop, for a sentence to follow."""
    return message if message.endswith(".") else message + "."


def _blame_init(f: Finding, yours: Run, scaled: Run | None, eta: float,
                schemes: list[list[str]], chance: float, draw_rate: float | None = None
                ) -> Finding:
    """An init finding of a copy that did not learn: its fix stands when the
    weights look like a known bad scheme's draw and the draw that is its fix
    (``scaled``, trained at ``draw_rate``) learned; when that rate is not the
    user's ``eta``, the fix is both changes, which learned only together."""
    if scaled is None and "(above)" in f.fix:
        return f  # its fix is another finding's, which is judged on its own
    layer_schemes = schemes[(f.layer or 1) - 1] if schemes else []
    drawn_badly = any(name in BAD_SCHEMES for name in layer_schemes)
    verified = None if scaled is None else _draw_verified(
        scaled, yours, eta, scaled.learned(chance), chance, draw_rate)
    if verified is not None and verified.helped:
        both = ("" if draw_rate is None or draw_rate == eta else
                f"; and train at eta={draw_rate:.3g}: at your eta={eta:.3g} neither your "
                f"weights nor a fan-scaled draw learned, only both changes together did")
        if drawn_badly:
            return replace(f, verified=verified, fix=f.fix + both)
        # weights of no bad scheme (trained ones, or a good scheme's that
        # training stuck): the draw is not blamed, but starting again from one learned
        was = (f"a {layer_schemes[0]} draw" if layer_schemes
               else "no initial draw of a known scheme (trained?)")
        return replace(f, verified=verified, fix=(
            f"start again from a fresh draw: your weights look like {was}, so the draw is not "
            f"blamed, but a fresh fan-scaled one learned where they did not; {f.fix}{both}"))
    if scaled is None:
        why = "its fix is not the fan-scaled draw the probe tries"
    elif drawn_badly:
        why = "a fan-scaled draw did not learn either"
    elif layer_schemes:
        why = (f"your weights look like a {layer_schemes[0]} draw, a known scheme that does "
               f"not stop learning ({', '.join(BAD_SCHEMES)} do)")
    else:
        why = "your weights do not look like an initial draw of a known scheme (trained?)"
    return replace(f, fix=f"not confirmed by the probe ({why}); the snapshot suggests: "
                          f"{f.fix}", verified=verified)


# --------------------------------------------------------------------------
# The recipe's checks
# --------------------------------------------------------------------------


def cost_at_start(model: Model, sample: Split, seed: int = 0) -> list[Finding]:
    """The starting held-out cost more than :data:`START_FACTOR` times
    :func:`chance_cost`: the outputs start confidently wrong.  The fix, a
    fan-scaled draw with zero biases, is measured on the same examples."""
    with np.errstate(all="ignore"):
        zs, acts = forward(model.weights, model.biases, sample.X_eval, model.activation, model.cost)
        start = cost_value(zs[-1], acts[-1], sample.Y_eval, model.cost)
        chance = chance_cost(model.cost, sample.Y.shape[1])
        if not start > START_FACTOR * chance:  # NaN is non_finite's
            return []
        w, b = fan_scaled(model, seed)
        zs, acts = forward(w, b, sample.X_eval, model.activation, model.cost)
        fixed = cost_value(zs[-1], acts[-1], sample.Y_eval, model.cost)
    return [Finding(
        "cost_at_start", "warning",
        f"the cost starts at {start:.3g}, {start / chance:.1f} times the {chance:.3g} of a "
        f"network that knows nothing ({_chance_words(model.cost)}): the outputs start "
        f"confidently wrong, and the first steps go to undoing that",
        "start from a fan-scaled draw with zero biases (at least in the output layer)",
        layer=len(model.weights), evidence={"cost_start": start, "chance_cost": chance},
        verified=Verification(
            f"a fan-scaled draw with zero biases starts at cost {fixed:.3g} on the same "
            f"examples (yours: {start:.3g})", fixed < start, {"cost_start": fixed}))]


def _learns_anyway_start(f: Finding, yours: Run) -> Finding:
    """``cost_at_start`` of a network the probe shows learning at its rate:
    what to know, not what stops it."""
    return replace(f, severity="info", message=f"{f.message}. The probe shows the network "
                   f"learns anyway: at eta={yours.eta:.3g}, with {REFERENCE}, its "
                   f"{yours.summary()}")


def _chance_words(cost: str) -> str:
    return ("a uniform softmax, ln n" if cost == "log_likelihood"
            else "answering 0.5 on every output")


def nothing_learns(model: Model, sample: Split, draws: dict[float, Run] | None,
                   found: list[Finding], m: int = 10, seed: int = 0, **l2) -> list[Finding]:
    """``nothing_learns`` when no copy learned at any rate of the range test:
    neither from the user's weights (``draws`` is then given), nor from a
    fan-scaled draw of the same sizes (``draws``, :func:`draw_range_test`),
    nor from one of the book's ``[n_in, 30, n_out]`` (a network deep enough
    to learn slowly, chapter 5, is not the data's fault), on at least
    :data:`NOTHING_ROWS` training rows.  Not when a finding already names a
    cause that a fresh draw keeps (a layer too narrow, labels that do not
    belong to the inputs)."""
    if (draws is None or best_rate(draws, sample.chance) is not None
            or len(sample.X) < NOTHING_ROWS
            or any(f.name in KEPT_BY_A_DRAW and f.severity != "info" for f in found)):
        return []
    book, copies = _book_sized(model), list(draws.values())
    if book.sizes != model.sizes:
        books = range_test(book, sample, min(draws), m, seed, **l2)
        if best_rate(books, sample.chance) is not None:
            return []
        copies += books.values()
    rates = sorted(draws)
    best = max(run.accuracy[-1] for run in copies)
    also = "" if book.sizes == model.sizes else f", nor the book's {book.sizes}"
    return [Finding(
        "nothing_learns", "error",
        f"no copy learned at any rate: neither your weights nor a fan-scaled draw (zero "
        f"biases){also}, each at {len(rates)} rates from {rates[0]:.3g} to {rates[-1]:.3g} "
        f"with {REFERENCE} (the best: {best:.0%} held-out, against {sample.chance:.0%} for "
        f"always giving the most frequent label), so neither the draw, the rate nor the "
        f"architecture is what stops it; {inputs.common_value(sample.X)}",
        "nothing measured to help: look at the data. Are the inputs the images, scaled once "
        "to about [0, 1] (arithmetic on uint8 pixels wraps around: X + 100 turns 200 into "
        "44), and do the labels belong to them (the same order, the same source)?",
        evidence={"best_accuracy": best, "chance": sample.chance, "rates": rates})]


def _book_sized(model: Model) -> Model:
    """A fan-scaled draw of the book's ``[n_in, 30, n_out]`` with ``model``'s
    activation and cost (``model`` itself when it is that already)."""
    sizes = [model.sizes[0], BOOK_HIDDEN, model.sizes[-1]]
    if model.sizes == sizes:
        return model
    shaped = model._replace(weights=[np.zeros((o, i)) for i, o in zip(sizes, sizes[1:])],
                            biases=[np.zeros((o, 1)) for o in sizes[1:]], sizes=sizes)
    w, b = fan_scaled(shaped)
    return shaped._replace(weights=w, biases=b)


def _tiny(sample: Split, k: int = OVERFIT_EXAMPLES) -> Split:
    """``k`` training rows (the first ones), which are also the held-out ones:
    can the network memorise them?"""
    X, Y, labels = sample.X[:k], sample.Y[:k], sample.labels[:k]
    chance = float(np.bincount(labels).max() / len(labels))
    return Split(X, Y, labels, X, Y, labels, chance)


def cannot_overfit(model: Model, sample: Split, eta: float, m: int = 10,
                   user: object | None = None, seed: int = 0) -> list[Finding]:
    """Train on :data:`OVERFIT_EXAMPLES` examples for :data:`OVERFIT_STEPS`
    mini-batches, at ``eta``: a working update drives their cost near zero
    (below :data:`OVERFIT_LEFT` of where it started).  With the user's own
    ``update_mini_batch`` (``user``, run on a deep copy) and with the
    reference's; a gap between the two is a bug in the user's update; both
    stuck, also at the best of :data:`GRID`, is too little capacity.
    Without the user's L2 term: memorising is what regularization opposes,
    and this checks the code and the capacity (Karpathy's recipe overfits
    with regularization off); ``lmbda_too_large`` judges the term."""
    tiny = _tiny(sample)
    kw = dict(hidden=model.activation, cost=model.cost, m=m, steps=OVERFIT_STEPS, seed=seed)
    ref = train(model.weights, model.biases, tiny, eta, **kw)
    theirs = _user_overfit(user, model, tiny, eta, m, seed) if user is not None else None
    if theirs is not None and _memorised(ref, model) and not _memorised(theirs, model):
        return [Finding(
            "cannot_overfit", "error",
            f"your update_mini_batch (your own code on a copy, with the methods it calls) "
            f"cannot memorise {len(tiny.X)} examples: in {OVERFIT_STEPS} steps at "
            f"eta={eta:.3g} the cost went from {theirs.costs[0]:.3g} to "
            f"{theirs.costs[-1]:.3g} (accuracy on them {theirs.accuracy[-1]:.0%})",
            "fix your update_mini_batch or a method it calls (a finding above names it when "
            "it was found): the reference's update (network.Network's) memorises them",
            evidence={"your_cost": theirs.costs, "reference_cost": ref.costs},
            verified=Verification(
                f"with the reference's update from the same weights the cost fell from "
                f"{ref.costs[0]:.3g} to {ref.costs[-1]:.3g} (accuracy "
                f"{ref.accuracy[-1]:.0%})", True, {"cost": ref.costs[-1]}))]
    if _memorised(ref, model):
        return []
    w, b = fan_scaled(model, seed)
    for r in sorted(GRID, key=lambda r: abs(math.log(r / eta))):  # nearest rates first
        if _memorised(train(model.weights, model.biases, tiny, r, **kw), model) or \
                _memorised(train(w, b, tiny, r, **kw), model):
            return []  # the rate's or the draw's problem, which their findings name
    return [_stuck(model, sample, ref, eta, kw, seed)]


def _stuck(model: Model, sample: Split, ref: Run, eta: float, kw: dict, seed: int) -> Finding:
    """``cannot_overfit`` when no rate and no draw memorises the examples:
    too little capacity only if a copy with every hidden layer four times as
    wide (at least 100 units) memorises them *and* learns on the whole
    sample clearly better than the user's weights at that rate, else the
    inputs, the labels or the gradient."""
    tiny = _tiny(sample)
    wide = [model.sizes[0]] + [max(4 * n, 100) for n in model.sizes[1:-1]] + [model.sizes[-1]]
    w, b = fan_scaled(sized(model, wide), seed)
    rate = next((r for r in (eta, *GRID[::2]) if _memorised(train(w, b, tiny, r, **kw), model)),
                None)
    stuck = (f"neither these weights nor a fan-scaled draw of the same sizes, at any rate from "
             f"{GRID[0]:.3g} to {GRID[-1]:.3g}, drives the cost of {len(tiny.X)} examples below "
             f"{OVERFIT_LEFT * chance_cost(model.cost, model.sizes[-1]):.3g} in {OVERFIT_STEPS} "
             f"steps (at eta={eta:.3g}: {ref.costs[0]:.3g} to {ref.costs[-1]:.3g})")
    if rate is not None:
        kw = {**kw, "steps": look_steps(kw["m"], len(sample.X))}
        wider, theirs = train(w, b, sample, rate, **kw), train(model.weights, model.biases,
                                                                sample, rate, **kw)
        if wider.learned(sample.chance) and wider.accuracy[-1] > theirs.accuracy[-1] + LEARNED:
            return Finding(
                "cannot_overfit", "warning", f"{stuck}: the network has too little capacity",
                f"widen the hidden layers (e.g. sizes {wide})", evidence={"cost": ref.costs[-1]},
                verified=Verification(
                    f"a fan-scaled draw with sizes {wide} memorised them at eta={rate:.3g}, and "
                    f"on the sample its {wider.summary()}; with your weights, the "
                    f"{theirs.summary()}", True, {"sizes": wide, "accuracy": wider.accuracy[-1]}))
    return Finding(
        "cannot_overfit", "warning",
        f"{stuck}, and a copy with sizes {wide} does no better on the sample: not the width; "
        f"memorising a few examples fails when the inputs tell them apart too little, the "
        f"labels contradict them, or no gradient reaches the first layers (a finding above "
        f"may name which)",
        f"look at the findings above, then at the first {len(tiny.X)} examples and their "
        f"labels as the network gets them (X[:{len(tiny.X)}], y[:{len(tiny.X)}])",
        evidence={"cost": ref.costs[-1]})


def _memorised(run: Run, model: Model) -> bool:
    """The run's cost ended below :data:`OVERFIT_LEFT` of knowing nothing."""
    limit = OVERFIT_LEFT * chance_cost(model.cost, model.sizes[-1])
    return run.diverged_at is None and run.costs[-1] <= limit


def _user_overfit(user: object, model: Model, tiny: Split, eta: float, m: int,
                  seed: int) -> Run | None:
    """The user's own ``update_mini_batch`` on a deep copy, the book's way:
    a list of ``(x, y)`` columns per mini-batch (with chapter 3's ``lmbda``
    and ``n`` when it takes them, :func:`diagnostics.verify.call_update`).
    None if it has none or it raises (the user-code checks report that)."""
    if not callable(getattr(user, "update_mini_batch", None)):
        return None
    net = copy.deepcopy(user)
    pairs = verify.columns(tiny.X, tiny.Y)
    rng = np.random.default_rng(seed)
    run = Run(eta)
    ref = copy_net(net.weights, net.biases, model.activation, model.cost)
    every = OVERFIT_STEPS // 4
    try:
        with np.errstate(all="ignore"):
            measure_run(run, 0, ref, tiny, model.activation, model.cost)
            for step in range(1, OVERFIT_STEPS + 1):
                rows = rng.permutation(len(pairs))[:m]
                verify.call_update(net.update_mini_batch, [pairs[i] for i in rows], eta)
                if step % every == 0:
                    ref = copy_net(net.weights, net.biases, model.activation, model.cost)
                    if not measure_run(run, step, ref, tiny, model.activation, model.cost):
                        run.diverged_at = step
                        break
    except Exception:  # noqa: BLE001  (their code's error is the user-code checks' finding)
        return None
    return run


def data_unshuffled(model: Model, sample: Split, eta: float, m: int = 10,
                    shuffles: bool = False, seed: int = 0, *, lmbda: float = 0.0,
                    n: int | None = None) -> list[Finding]:
    """Training rows sorted by label (consecutive labels equal at least
    :data:`SORTED_SHARE` of the time), and a copy trained on them in that
    order, whole passes without shuffling, learns clearly less than the same
    copy shuffled each pass.  ``shuffles``: the user's training shuffles (a
    ``network.Network``'s SGD does), which makes it a warning."""
    labels = sample.labels
    same = float(np.mean(labels[1:] == labels[:-1])) if len(labels) > 1 else 0.0
    expected = float(np.sum((np.bincount(labels) / len(labels)) ** 2))
    if same < SORTED_SHARE or same < 3 * expected:
        return []
    steps = min(len(labels) // m, ORDERED_STEPS)  # one pass in their order
    kw = dict(hidden=model.activation, cost=model.cost, m=m, steps=steps, seed=seed,
              lmbda=lmbda, n=n)
    found = _order_matters(model, sample, eta, kw, seed)
    if found is None:
        return []
    ordered, shuffled, rate, start = found
    last = int(labels[-1])
    return [Finding(
        "data_unshuffled", "warning" if shuffles else "error",
        f"the training data is sorted by label ({same:.0%} of consecutive examples share "
        f"their label; shuffled: {expected:.0%}), and mini-batches taken in that order do not "
        f"learn: each run of one label pulls the network towards answering it (the last is "
        f"{last}); {start} at eta={rate:.3g}, in that order the {ordered.summary()}",
        "shuffle the training data before every epoch (random.shuffle(training_data), as the "
        "book's SGD does)", evidence={"same_label_share": same, "expected": expected,
                                      "ordered_accuracy": ordered.accuracy[-1]},
        verified=Verification(
            f"shuffled before each pass, the same {steps} steps {start} at eta={rate:.3g}: "
            f"the {shuffled.summary()}", True, {"accuracy": shuffled.accuracy[-1]}))]


def _order_matters(model: Model, sample: Split, eta: float, kw: dict, seed: int
                   ) -> tuple[Run, Run, float, str] | None:
    """``(ordered, shuffled, rate, start)``: one pass in the sample's order and
    one shuffled, where the shuffled one learns clearly more; from the user's
    weights at their rate, else, since those may sit on a plateau either way
    (the book's randn draw), from a fan-scaled draw at a rate known to learn.
    None when neither shows it."""
    tries = ((model.weights, model.biases, eta, "from your weights"),
             (*fan_scaled(model, seed), reference_rate(model.cost), "from a fan-scaled draw"))
    for w, b, rate, start in tries:
        ordered = train(w, b, sample, rate, shuffle=False, **kw)
        shuffled = train(w, b, sample, rate, **kw)
        if shuffled.accuracy[-1] > ordered.accuracy[-1] + LEARNED:
            return ordered, shuffled, rate, start
    return None


def verify_scaling(f: Finding, model: Model, sample: Split, eta: float, yours: Run,
                   m: int = 10, seed: int = 0, *, lmbda: float = 0.0,
                   n: int | None = None) -> Finding:
    """The ``unscaled_inputs`` finding with its fix tried: the same copy at
    ``eta`` on the inputs mapped to [0, 1] by the finding's own line,
    ``(X - lo) / (hi - lo)`` (``X / hi`` for inputs from 0).  When that alone
    does not learn, the rescaling together with a fan-scaled draw: raw
    pixels *and* ``np.random.rand`` weights learn only when both are fixed.
    With the user's L2 term (``lmbda``, ``n``), as ``yours`` was trained."""
    lo, hi = f.evidence["input_min"], f.evidence["input_max"]
    width = hi - lo if hi > lo else 1.0
    scaled = replace(sample, X=(sample.X - lo) / width, X_eval=(sample.X_eval - lo) / width)
    # as many steps as the user's run had (its longer look, too): runs of
    # the same length compete
    kw = dict(hidden=model.activation, cost=model.cost, m=m, steps=yours.steps[-1], seed=seed,
              lmbda=lmbda, n=n)
    run, draw = train(model.weights, model.biases, scaled, eta, **kw), ""
    if not run.learned(sample.chance):
        both = train(*fan_scaled(model, seed), scaled, eta, **kw)
        if both.learned(sample.chance) and clearly_better(both, yours):
            run, draw = both, " and a fan-scaled draw (zero biases) in place of your weights"
    # better beyond the held-out accuracy's noise (rates.clearly_better)
    helped = run.learned(sample.chance) and clearly_better(run, yours)
    how = (f"divided by {hi:.10g}," if lo == 0
           else f"mapped to [0, 1], {inputs.rescale_fix(lo, hi)},")
    text = (f"with the inputs {how}{draw} at eta={eta:.3g}, the {run.summary()}; as they are, "
            f"the {yours.summary()}" + ("; the inputs alone did not learn: fix the weights too "
                                        "(a finding below names them)" if draw else ""))
    verified = Verification(text, helped, {"accuracy": run.accuracy[-1],
                                           "your_accuracy": yours.accuracy[-1],
                                           "with_fan_scaled_draw": bool(draw)})
    # What stops learning is an error; inputs that only slow it stay a
    # warning; inputs the network learns from as they are, where the
    # rescaling did not do better, are a note (their own scale, such as
    # inputs standardised per pixel, may suit it better).
    stops = helped and run.gain(sample.chance) > SCALING_STOPS * max(yours.gain(sample.chance), 0)
    if not helped and yours.learned(sample.chance):
        return replace(f, severity="info", verified=verified,
                       fix=f"nothing needs fixing: the network learns from the inputs as they "
                           f"are, and rescaling them ({inputs.rescale_fix(lo, hi)}) did not do "
                           f"better")
    fix = f.fix + ("; and draw the weights fan-scaled (init=\"xavier_normal\"): only both "
                   "together learned" if draw else "")
    return replace(f, severity="error" if stops else f.severity, verified=verified, fix=fix)


def _behind(found: list[Finding], others: list[Finding]) -> list[Finding]:
    """Rate warnings with a later cause (in :data:`~diagnostics.findings.FINDINGS`,
    e.g. a ``bottleneck``) among ``others`` whose verified fix removed a
    larger share of its copy's cost than the suggested rate did: "info", so
    that the cause that explains more comes first."""
    rank = {name: i for i, name in enumerate(FINDINGS)}
    out = []
    for f in found:
        numbers = f.verified.numbers
        share = 1 - numbers["cost"] / numbers["your_cost"]
        later = [(o, 1 - o.verified.numbers["fixed_end"] / o.verified.numbers["yours_end"])
                 for o in others if o.severity != "info" and o.verified is not None
                 and o.verified.helped and "fixed_end" in o.verified.numbers
                 and rank.get(o.name, len(rank)) > rank[f.name]]
        later = [(o, s) for o, s in later if s > share]
        if f.severity == "warning" and later:
            o, s = later[0]
            f = replace(f, severity="info", message=(
                f"{f.message}. {o.name} explains more: its fix, tried, removed {s:.0%} of its "
                f"copy's cost, the suggested rate {share:.0%}; fix it first, then probe the "
                f"rate again"))
        out.append(f)
    return out


def _regularization(model: Model, sample: Split, eta: float, m: int, seed: int, lmbda: float,
                    n: int | None, rows: int) -> list[Finding]:
    """``lmbda_too_large`` from an lmbda test at the user's rate, when they
    train with L2 (``n`` None: the ``rows`` diagnosed)."""
    if not lmbda:
        return []
    runs = regularization.lmbda_test(model, sample, eta, lmbda, n or rows, m, seed)
    return regularization.lmbda_too_large(runs, lmbda, eta, n or rows, sample.chance,
                                          n_given=n is not None)


def _rate_under_l2(found: list[Finding]) -> list[Finding]:
    """With ``lmbda_too_large`` measured to help, the learning-rate findings
    as notes: the range test trained with the user's lmbda, whose decay per
    step ``1 - eta lmbda / n`` shrinks with the rate, so a smaller rate only
    slows the decay; the weights settle where the decay and the gradient
    balance, ``w = -(n / lmbda) dC/dw``, at any rate (chapter 3)."""
    return _rates_behind(found, "lmbda_too_large", lambda l2: (
        f"Measured with your lmbda={l2.evidence['lmbda']:g}: a smaller rate slows its weight "
        f"decay, 1 - eta*lmbda/n per step, but the weights settle where the decay balances the "
        f"gradient at any rate"), "under your lmbda")


def _rate_behind_batches(found: list[Finding]) -> list[Finding]:
    """With ``mini_batch_too_large`` measured to help, the learning-rate
    findings as notes: their range test stepped in the user's large
    mini-batches, where a larger rate stands in for the steps an epoch lacks;
    with mini-batches of 10 the rate that learns is another (a full batch at
    eta = 10 learned less from a fresh draw than at 3)."""
    return _rates_behind(found, "mini_batch_too_large", lambda batches: (
        f"Measured in your mini-batches of {batches.evidence['mini_batch_size']}"),
        "in your mini-batches")


def _rates_behind(found: list[Finding], name: str, measured: Callable[[Finding], str],
                  under: str) -> list[Finding]:
    """The learning-rate findings of ``found`` as notes behind the finding
    ``name`` when its fix was measured to help: the rate is probed again once
    that is fixed.  ``measured(cause)`` says what the rate was measured
    under, ``under`` the same in the fix."""
    cause = next((f for f in found if f.name == name and f.verified is not None
                  and f.verified.helped), None)
    if cause is None:
        return found
    return [replace(f, severity="info", message=(
        f"{f.message}. {measured(cause)}; fix {name} first, then probe the rate again"),
        fix=f"fix {name} first (above), then diagnose the rate again; {under} the probe "
            f"measured: {f.fix}")
        if f.name.startswith("learning_rate_") else f for f in found]


def probe(model: Model, X: np.ndarray, labels: np.ndarray, Y: np.ndarray,
          findings: list[Finding], *, eta: float, mini_batch_size: int = 10,
          user: object | None = None, schemes: list[list[str]] | None = None,
          shuffles: bool = False, seed: int = 0, lmbda: float = 0.0,
          n: int | None = None) -> tuple[list[Finding], Probes]:
    """Run every probe on copies of ``model`` and return ``(findings, probes)``:
    the snapshot's ``findings`` re-read with what was measured (see
    :func:`revise`), then the probes' own, and the :class:`Probes` record.

    ``X`` (n, n_in) the inputs as given, ``labels`` (n,) and ``Y`` (n, n_out)
    the targets, ``eta`` the user's learning rate, ``user`` the user's own
    object (its ``update_mini_batch`` runs on deep copies), ``schemes`` the
    snapshot's scheme names per layer, ``shuffles`` whether the user's
    training shuffles the data (``network.Network.SGD`` does), ``lmbda`` and
    ``n`` the user's L2 term (``n`` None: the size of ``X``), with which the
    copies train (not :func:`cannot_overfit`'s, nor the label checks'
    learner, which stand apart from the user's choices), and which
    :func:`~diagnostics.regularization.lmbda_test` judges; ``n`` also sizes
    an epoch for :func:`~diagnostics.batches.mini_batch_too_large`.  Non-finite
    weights or inputs: nothing can train, and nothing is probed."""
    import blas

    m = int(mini_batch_size)
    X = np.asarray(X, dtype=np.float64)
    finite = np.isfinite(X).all() and all(np.isfinite(w).all() and np.isfinite(b).all()
                                          for w, b in zip(model.weights, model.biases))
    sample = split(X, labels, Y, seed)
    if not finite:
        return findings, Probes({}, eta, m, sample.chance, None, len(sample.X_eval))
    if len(np.unique(labels)) < 2:
        return findings, Probes({}, eta, m, sample.chance, None, len(sample.X_eval),
                                "every label is one class: nothing to tell apart")
    l2 = dict(lmbda=lmbda, n=n or len(X))
    with blas.threads(model.sizes, m):
        runs = range_test(model, sample, eta, m, seed, **l2)
        best = best_rate(runs, sample.chance)
        yours = runs[float(eta)]
        rate = verdict_rate(runs, eta, sample.chance)
        # no rate learned from the user's weights: does any learn from a fresh draw?
        draws = None if best is not None else draw_range_test(model, sample, eta, m, seed, **l2)
        revised = revise(findings, model, sample, eta, runs, schemes or [], m, seed, draws, **l2)
        revised = [verify_scaling(f, model, sample, eta, yours, m, seed, **l2)
                   if f.name == "unscaled_inputs" else f for f in revised]
        start = [_learns_anyway_start(f, runs[rate]) if runs[rate].learned(sample.chance)
                 else f for f in cost_at_start(model, sample, seed)]
        new = (_behind(learning_rate(runs, eta, sample.chance), revised) + start
               + cannot_overfit(model, sample, rate, m, user, seed)
               + labels_misaligned(model, sample, X, labels, Y, m, seed, learns=best is not None)
               # the order's effect shows fastest at the rate that learns fastest
               + data_unshuffled(model, sample, fastest_rate(runs, sample.chance) or best or eta,
                                 m, shuffles, seed, **l2)
               + _regularization(model, sample, eta, m, seed, lmbda, n, len(X))
               + mini_batch_too_large(model, sample, eta, m, l2["n"], seed, lmbda,
                                      n_given=n is not None))
        new += nothing_learns(model, sample, draws, revised + new, m, seed, **l2)
    probes = Probes(runs, eta, m, sample.chance, best, len(sample.X_eval), lmbda=lmbda,
                    n=l2["n"], rows=len(sample.X))
    return revised + _rate_behind_batches(_rate_under_l2(new)), probes
