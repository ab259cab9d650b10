"""Is evaluating 10,000 test images one matrix pass, and is one feedforward cheap?

``Network.evaluate`` on the 10,000 test images of ``[784, 30, 10]``, timed beside

* **floor**: the forward products alone, ``X @ w.T`` per layer on all 10,000
  rows at once (one matrix pass and nothing else);
* **book, per example**: the book's ``evaluate``, one ``feedforward`` per
  image (``sum(int(x == y) for ...)``), its ``feedforward`` the book's bare
  loop ``a = sigmoid(np.dot(w, a) + b)``;
* **feedforward calls, book / nndl-init**: one call per image and nothing
  else, the book's bare loop against ``Network.feedforward``, which checks
  its input and parameters.

"One matrix pass" is met when ``evaluate`` costs at most 2x the floor (the
rest is the sigmoid, the cost and the arg-max over the same matrices); a loop
over images would cost tens of times more, as the book's does.  A single
``feedforward`` call, the book's way to use the network, should cost at most
1.5x the book's bare loop: its checks must be cheap, run once at the boundary.

    python -m benchmarks.evaluate [--quick] [--rounds 7] [--data-dir DIR]

Without the real files it times synthetic images (the time does not depend
on the pixel values).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import network
from benchmarks import common
from benchmarks.epoch import BookNetwork, book_data
from experiments import cli
from experiments.their_network import sigmoid

SIZES = [784, 30, 10]
ONE_PASS = 2.0
FEEDFORWARD = 1.5  # one Network.feedforward call / the book's bare loop


def book_feedforward(net: BookNetwork, a: np.ndarray) -> np.ndarray:
    """The book's ``feedforward``, its bare loop."""
    for b, w in zip(net.biases, net.weights):
        a = sigmoid(np.dot(w, a) + b)
    return a


def book_evaluate(net: BookNetwork, test_data) -> int:
    """The book's ``evaluate``: one ``feedforward`` per image."""
    test_results = [(np.argmax(book_feedforward(net, x)), y) for (x, y) in test_data]
    return sum(int(x == y) for (x, y) in test_results)


def calls(feedforward, test_data) -> None:
    """One ``feedforward(x)`` per image, and nothing else."""
    for x, _ in test_data:
        feedforward(x)


def floor(X: np.ndarray, weights: list[np.ndarray]) -> None:
    a = X
    for w in weights:
        a = a @ w.T


def run(argv: Sequence[str] | None = None) -> int:
    p = common.parser("evaluate", __doc__.split("\n")[0])
    args = common.parse(p, argv)
    rounds = args.rounds or (1 if args.quick else 7)
    real = common.real_mnist(args.data_dir)
    Xt, yt = real[2] if real is not None else common.synthetic(10_000, seed=1)
    if args.quick:
        Xt, yt = Xt[:1000], yt[:1000]
    source = "real MNIST test images" if real is not None else "synthetic images"
    net = network.Network(SIZES, seed=0)
    book = BookNetwork(SIZES, seed=0)
    book.weights, book.biases = net.weights, net.biases
    tuples = [(x, int(label)) for (x, _), label in zip(book_data(Xt, yt), yt)]

    with np.errstate(over="ignore"):  # the book's sigmoid may overflow; harmless
        t = common.race({
            "nndl-init evaluate, arrays": lambda: net.evaluate((Xt, yt)),
            "nndl-init evaluate, list of tuples": lambda: net.evaluate(tuples),
            "floor: forward products alone": lambda: floor(Xt, net.weights),
            "book, per example": lambda: book_evaluate(book, tuples),
            "feedforward calls, book": lambda: calls(lambda x: book_feedforward(book, x), tuples),
            "feedforward calls, nndl-init": lambda: calls(net.feedforward, tuples),
        }, rounds)
        same = net.evaluate((Xt, yt)) == book_evaluate(book, tuples) and all(
            np.argmax(net.feedforward(x)) == np.argmax(book_feedforward(book, x))
            for x, _ in tuples)

    rows, passed = _verdicts(t, same)
    common.print_results(f"evaluation of {len(Xt):,} {source}, {SIZES}",
                         common.command("evaluate", argv), t, rows, "claim")
    return common.status(passed)


def _verdicts(t: dict, same: bool) -> tuple[list, bool]:
    """The ratios against their targets, and whether the answers agree with
    the book's, as table rows; and whether every target was met."""
    arrays = t["nndl-init evaluate, arrays"].best
    one_pass = arrays / t["floor: forward products alone"].best
    speedup = t["book, per example"].best / arrays
    single = t["feedforward calls, nndl-init"].best / t["feedforward calls, book"].best
    rows = [("evaluate (arrays) / floor", f"{one_pass:.2f}x", f"<= {ONE_PASS:g}",
             common.verdict(one_pass <= ONE_PASS)),
            ("one feedforward call / the book's bare loop", f"{single:.2f}x",
             f"<= {FEEDFORWARD:g}", common.verdict(single <= FEEDFORWARD)),
            ("book per-example evaluate / evaluate (arrays)", f"{speedup:.1f}x", "(info)", ""),
            ("same answers as the book's", str(same), "True",
             common.verdict(same))]
    return rows, one_pass <= ONE_PASS and single <= FEEDFORWARD and same


if __name__ == "__main__":
    cli.main_guard(run)
