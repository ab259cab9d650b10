"""Is ``diagnose`` cheap enough to run on every network, and after every epoch?

A snapshot (``diagnostics.diagnose`` without ``eta``) of ``[784, 30, 10]`` on
1,000 images must take well under a second, and a full diagnosis (a
newcomer's own book-style class with its per-example ``backprop`` and
``update_mini_batch``, at ``eta=3.0``: every check of its code, every probe,
every fix tried on copies) under 5 s.  Timed beside, in the same run:

* **one training epoch**: ``SGD`` over the 50,000 training images, mini-batch
  10 (the book's), the reference: a diagnosis should cost a small fraction of
  the training it checks (``Monitor`` runs one per epoch);
* **gradient**: ``Network.gradient`` on the same 1,000 images, the forward and
  backward pass a diagnosis needs at the least;
* **print**: formatting the report, which never recomputes anything.

The targets are ``diagnose <= 0.1 x one epoch``, the snapshot alone under 1 s
and a full diagnosis under 5 s; the absolute times are printed beside them.

    python -m benchmarks.diagnose [--quick] [--rounds 7]
"""

from __future__ import annotations

from collections.abc import Sequence

import diagnostics
import network
from benchmarks import common
from diagnostics.userfile import construct
from experiments import cli, their_network

SIZES = [784, 30, 10]
IMAGES = 1000
FRACTION_OF_EPOCH = 0.1
FULL_SECONDS = 5.0
SNAPSHOT_SECONDS = 1.0


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
    report = diagnostics.diagnose(net, sample)
    t = common.race(_contenders(net, sample, (X, y), report), rounds)
    rows, passed = _verdicts(t, report, f"one epoch of SGD, {len(X):,} images")
    common.print_results(f"diagnose on {SIZES} with {IMAGES:,} {source}",
                         common.command("diagnose", argv), t, rows, "diagnosis")
    return common.status(passed)


def _contenders(net: network.Network, sample: tuple, training: tuple,
                report: diagnostics.Report) -> dict:
    """What to time, by name: the snapshot, a full diagnosis of a newcomer's
    own class, one epoch of SGD on ``training``, the gradient, the printing."""
    trainee = network.Network(SIZES, "xavier_normal", seed=0)
    theirs = construct(their_network.Network, SIZES)  # their own code, the book's loops
    return {
        "diagnose, 1,000 images": lambda: diagnostics.diagnose(net, sample),
        "full diagnosis, their class, eta=3": lambda: diagnostics.diagnose(theirs, sample,
                                                                           eta=3.0),
        f"one epoch of SGD, {len(training[0]):,} images": lambda: trainee.SGD(
            training, 1, 10, 3.0, verbose=False),
        "Network.gradient, 1,000 images": lambda: net.gradient(sample),
        "str(report)": lambda: str(report),
    }


def _verdicts(t: dict, report: diagnostics.Report, epoch_name: str) -> tuple[list, bool]:
    """The ratios and absolute times against their targets, as table rows,
    and whether every target was met."""
    diagnose = t["diagnose, 1,000 images"].best
    epoch = t[epoch_name].best
    gradient = t["Network.gradient, 1,000 images"].best
    full = t["full diagnosis, their class, eta=3"].best
    ratio = diagnose / epoch
    rows = [("diagnose / one epoch", f"{ratio:.3f}", f"<= {FRACTION_OF_EPOCH:g}",
             common.verdict(ratio <= FRACTION_OF_EPOCH)),
            ("snapshot (no eta), absolute", common.ms(diagnose), f"< {SNAPSHOT_SECONDS:g} s",
             common.verdict(diagnose < SNAPSHOT_SECONDS)),
            ("full diagnosis, absolute", common.ms(full), f"< {FULL_SECONDS:g} s",
             common.verdict(full < FULL_SECONDS)),
            ("diagnose / Network.gradient", f"{diagnose / gradient:.1f}x", "(info)", ""),
            ("str(report) / diagnose", f"{t['str(report)'].best / diagnose:.4f}", "(info)", ""),
            ("findings on the rand network", ", ".join(f.name for f in report.findings), "", "")]
    return rows, (ratio <= FRACTION_OF_EPOCH and full < FULL_SECONDS
                  and diagnose < SNAPSHOT_SECONDS)


if __name__ == "__main__":
    cli.main_guard(run)
