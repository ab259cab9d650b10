"""Is ``diagnose`` cheap enough to run on every network, and after every epoch?

Issue 11: ``diagnostics.diagnose`` on ``[784, 30, 10]`` with 1,000 images
takes well under a second.  Timed beside, in the same run:

* **one training epoch**: ``SGD`` over the 50,000 training images, mini-batch
  10 (the book's), the reference: a diagnosis should cost a small fraction of
  the training it checks (``Monitor`` runs one per epoch);
* **gradient**: ``Network.gradient`` on the same 1,000 images, the forward and
  backward pass a diagnosis needs at the least;
* **print**: formatting the report, which never recomputes anything.

The target is ``diagnose <= 0.1 x one epoch``; the absolute time is printed
beside it.  Two more limits, absolute, from the issue that added the probes:

* **the snapshot** (``diagnose(net, sample)``, no ``eta``) under 1 s for
  ``[784, 30, 10]`` on 1,000 images;
* **a full diagnosis** (``diagnose(user, sample, eta=3.0)``: the snapshot,
  the checks of the user's own per-example code, every probe and every fix
  verified on copies) of the user's own book-style class
  (``tests/book_style.py``'s ``Network``, the book's per-example loops) under
  5 s on 2 cores.  It is timed over fewer rounds (at most 3): one takes about
  a second.

    python -m benchmarks.diagnose [--quick] [--rounds 7]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import diagnostics
import network
from benchmarks import common
from experiments import cli

SIZES = [784, 30, 10]
IMAGES = 1000
FRACTION_OF_EPOCH = 0.1
SNAPSHOT_LIMIT = 1.0  # seconds
FULL_LIMIT = 5.0  # seconds, on 2 cores
USER_CODE = Path(__file__).resolve().parent.parent / "tests" / "book_style.py"


def run(argv: Sequence[str] | None = None) -> int:
    p = common.parser("diagnose", __doc__.split("\n")[0])
    args = common.parse(p, argv)
    rounds = args.rounds or (1 if args.quick else 7)
    real = common.real_mnist(args.data_dir)
    X, y = real[0] if real is not None else common.synthetic(50_000)
    if args.quick:
        X, y = X[:5000], y[:5000]
    source = "real MNIST" if real is not None else "synthetic images"
    sample = (X[:IMAGES], y[:IMAGES])
    net = network.Network(SIZES, "rand", seed=0)  # the question's network: every finding fires
    trainee = network.Network(SIZES, "xavier_normal", seed=0)
    report = diagnostics.diagnose(net, sample)

    t = common.race({
        "diagnose, 1,000 images": lambda: diagnostics.diagnose(net, sample),
        f"one epoch of SGD, {len(X):,} images": lambda: trainee.SGD((X, y), 1, 10, 3.0,
                                                                    verbose=False),
        "Network.gradient, 1,000 images": lambda: net.gradient(sample),
        "str(report)": lambda: str(report),
    }, rounds)

    diagnose = t["diagnose, 1,000 images"].best
    epoch = t[f"one epoch of SGD, {len(X):,} images"].best
    gradient = t["Network.gradient, 1,000 images"].best
    ratio = diagnose / epoch
    full, full_report = _full(sample, min(rounds, 3))
    t.update(full)
    full = full["diagnose(user, eta=3.0), every probe"].best
    rows = [("diagnose / one epoch", f"{ratio:.3f}", f"<= {FRACTION_OF_EPOCH:g}",
             common.verdict(ratio <= FRACTION_OF_EPOCH)),
            ("snapshot (no eta), absolute", common.ms(diagnose), f"< {SNAPSHOT_LIMIT:g} s",
             common.verdict(diagnose < SNAPSHOT_LIMIT)),
            ("full diagnosis, user's own code", common.ms(full),
             f"< {FULL_LIMIT:g} s on 2 cores ({common.cores()} here)",
             common.verdict(full < FULL_LIMIT)),
            ("full / snapshot", f"{full / diagnose:.1f}x", "(info)", ""),
            ("diagnose / Network.gradient", f"{diagnose / gradient:.1f}x", "(info)", ""),
            ("str(report) / diagnose", f"{t['str(report)'].best / diagnose:.4f}", "(info)", ""),
            ("findings on the rand network", ", ".join(f.name for f in report.findings), "", ""),
            ("cause, user's own code at eta=3", getattr(full_report.cause, "name", "none"),
             "", "")]
    print(common.header(f"diagnose on {SIZES} with {IMAGES:,} {source}",
                        common.command("diagnose", argv)))
    print(common.table(common.timing_rows(t), common.TIMING_HEADER))
    print()
    print(common.table(rows, ("issue 11", "measured", "target", "")))
    return common.status(ratio <= FRACTION_OF_EPOCH and diagnose < SNAPSHOT_LIMIT
                         and full < FULL_LIMIT)


def _full(sample, rounds: int):
    """Time ``diagnose`` with ``eta`` on the user's own book-style class."""
    from diagnostics.userfile import build

    user = build(USER_CODE, "Network", SIZES, seed=0)
    report = diagnostics.diagnose(user, sample, eta=3.0)
    return common.race({"diagnose(user, eta=3.0), every probe":
                        lambda: diagnostics.diagnose(user, sample, eta=3.0)}, rounds), report


if __name__ == "__main__":
    cli.main_guard(run)
