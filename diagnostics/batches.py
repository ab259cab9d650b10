"""diagnostics.batches
~~~~~~~~~~~~~~~~~~~~

Mini-batches so large that an epoch is a handful of steps.

Gradient descent learns by steps, and an epoch of ``n`` examples in
mini-batches of ``m`` is ``n / m`` of them: the book's 50,000 images in
mini-batches of 10 are 5,000 steps, the same images as one batch (gradient
descent on the whole training set) one step.  A larger mini-batch averages
its gradient over more examples, so each step is less noisy but not longer:
at the same rate, the same examples move the weights ``m / 10`` times less
far than mini-batches of 10 do.  The book (chapter 1) trains with 10; Bengio
("Practical recommendations for gradient-based training of deep
architectures", 2012, section 3.1) finds 32 a good default, and Masters &
Luschi ("Revisiting small batch training for deep neural networks", 2018)
find 2 to 32 best.  Larger batches need a larger rate (Goyal et al., 2017:
the rate scaled with the batch), which the range test at the user's
mini-batch size measures on its own.

:func:`mini_batch_too_large` compares, on the same number of examples, a copy
trained in the user's mini-batches with one trained in mini-batches of
:data:`SMALL`, and names the size only when the smaller ones learned clearly
more.
"""

from __future__ import annotations

import math

from .adapter import Model
from .findings import Finding, Verification
from .rates import noise_margin
from .regularization import n_note
from .trials import LOOK, REFERENCE, Run, Split, reference_rate, train

# The mini-batch size a fix is tried with: the book's.
SMALL = 10
# An epoch of fewer steps than this is a candidate: MNIST's 50,000 training
# images in mini-batches of more than 1,000, where the book's take 5,000.
FEW_STEPS = 50


def mini_batch_too_large(model: Model, sample: Split, eta: float, m: int, n: int,
                         seed: int = 0, lmbda: float = 0.0, n_given: bool = True
                         ) -> list[Finding]:
    """``mini_batch_too_large`` when ``n`` training examples in mini-batches
    of ``m`` make fewer than :data:`FEW_STEPS` steps an epoch, and copies
    trained on the same :data:`~diagnostics.trials.LOOK` examples learned
    clearly more (beyond the held-out noise) in mini-batches of
    :data:`SMALL`, at ``eta`` or, where that does not learn, at the
    reference rate of the cost; an error when the user's did not learn.
    ``n`` is the user's training-set size (the sample may be smaller); the
    copies train with the user's L2 term ``lmbda`` (decay ``1 - eta lmbda / n``);
    ``n_given``: the user gave ``n`` (else the message says where it came from)."""
    if m <= SMALL or n / m >= FEW_STEPS:
        return []
    kw = dict(hidden=model.activation, cost=model.cost, seed=seed, lmbda=lmbda, n=n)
    rows = min(m, len(sample.X))
    yours = train(model.weights, model.biases, sample, eta, m=rows,
                  steps=math.ceil(LOOK / rows), **kw)
    rate, small = eta, None
    for rate in dict.fromkeys((eta, reference_rate(model.cost))):
        small = train(model.weights, model.biases, sample, rate, m=SMALL,
                      steps=LOOK // SMALL, **kw)
        if small.learned(sample.chance):
            break
    if not (small.learned(sample.chance) and _clearly_more(small, yours)):
        return []
    return [_finding(m, rows, n, eta, rate, yours, small, sample.chance, n_note(n, n_given))]


def _clearly_more(small: Run, yours: Run) -> bool:
    """``small`` ended clearly above ``yours`` (beyond :func:`noise_margin`),
    both trained on the same examples, in however many steps."""
    p, q = small.accuracy[-1], yours.accuracy[-1]
    return yours.diverged_at is not None or p - q > noise_margin(p, q, yours.held_out)


def _finding(m: int, rows: int, n: int, eta: float, rate: float, yours: Run, small: Run,
             chance: float, where: str) -> Finding:
    """The finding, with what was measured: ``rows`` is the mini-batch the
    user's copy trained in, ``m`` or all the sample's training rows."""
    stops = not yours.learned(chance)
    also = "" if rate == eta else f" and eta={rate:.3g}"
    theirs = f"yours of {m}" if rows == m else f"all {rows} training rows of the sample at once"
    text = (f"on the same {LOOK:,} examples, in mini-batches of {SMALL}{also} ({REFERENCE}), "
            f"the {small.summary()}; in {theirs} at eta={eta:.3g}, the {yours.summary()}")
    return Finding(
        "mini_batch_too_large", "error" if stops else "warning",
        f"mini-batches of {m} make an epoch of {n:,} training examples{where} {max(n // m, 1):,} "
        f"gradient step{'s' if n // m > 1 else ''}, where mini-batches of {SMALL} make it "
        f"{n // SMALL:,}: each step follows the gradient averaged over {m} examples, so at "
        f"the same rate an epoch moves the weights up to {m / SMALL:.3g} times less far",
        f"train with mini_batch_size={SMALL} (the book's){also}",
        evidence={"mini_batch_size": m, "n": n, "steps_per_epoch": n // m, "eta": eta},
        verified=Verification(text, True, {"accuracy": small.accuracy[-1],
                                           "your_accuracy": yours.accuracy[-1],
                                           "mini_batch_size": SMALL, "eta": rate}))
