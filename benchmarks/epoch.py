"""How long does one epoch take, against the book's loop and against the floor?

One epoch of ``[784, 30, 10]``, mini-batch 10, eta 3.0, quadratic cost,
float64, on 10,000 MNIST-shaped examples, timed side by side in one run:

* **book, per example**: the book's ``network.py`` (its copy in
  ``experiments.their_network``: a list of ``(x, y)`` columns, one
  backpropagation per example, the gradients summed with list comprehensions);
* **nndl-init, arrays**: ``Network.SGD((X, y), ...)``;
* **nndl-init, list of tuples**: ``Network.SGD(training_data, ...)`` with the
  book's list of ``(x, y)`` columns; its conversion to arrays is included;
* **floor**: the same matrix products alone, in the same Python loop over
  the same mini-batches: gather the batch's rows of X (``take``), the forward
  products ``a @ w.T`` of each layer, the weight-gradient products
  ``delta.T @ a`` of each layer and the back-propagation products
  ``delta @ w`` -- the same calls, shapes and memory layouts as
  ``network.py``, and nothing else (no bias, no activation, no update);
* for the profile line, two more loops: **rows only** (the gathers alone)
  and **inline** (everything ``network.py`` computes, written flat in one
  loop, without its methods).

The claims: the book's loop at least 7x slower than ours (required) and at
least 8x (the goal); ours within 1.7x of the floor through the array API and
within 2x through the list-of-tuples API.  The floor's products run at the
BLAS kernel's speed and the rest at numpy's per-call speed, so these ratios
depend on the kernel: the script names it, and docs/performance.md gives
runs under two.

    python -m benchmarks.epoch [--quick] [--rounds 7] [--n 10000]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import numpy as np

import network
from benchmarks import common
from experiments import their_network
from nndl.activations import sigmoid_, sigmoid_prime_from_output

SIZES = [784, 30, 10]
BATCH, ETA = 10, 3.0
BOOK_RATIO, TARGET_RATIO = 7.0, 8.0  # book loop / ours: required, goal
FLOOR_ARRAYS, FLOOR_LIST = 1.7, 2.0


# --------------------------------------------------------------------------
# The book's network.py (Python 3, numpy, one example at a time)
# --------------------------------------------------------------------------


class BookNetwork(their_network.Network):
    """The book's network.py (:class:`experiments.their_network.Network`, its
    per-example backprop and list-comprehension update), its weights and
    shuffles drawn from a generator seeded ``seed``, with the book's ``SGD``."""

    def __init__(self, sizes, seed=0):
        self.rng = np.random.default_rng(seed)
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [self.rng.standard_normal((y, 1)) for y in sizes[1:]]
        self.weights = [self.rng.standard_normal((y, x)) for x, y in zip(sizes[:-1], sizes[1:])]

    def SGD(self, training_data, epochs, mini_batch_size, eta):
        n = len(training_data)
        for _ in range(epochs):
            self.rng.shuffle(training_data)
            mini_batches = [training_data[k:k + mini_batch_size]
                            for k in range(0, n, mini_batch_size)]
            for mini_batch in mini_batches:
                self.update_mini_batch(mini_batch, eta)


def book_data(X: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The book's training data: a list of ``(x, y)``, ``x`` a (784, 1) column
    and ``y`` a one-hot (10, 1) column."""
    data = []
    for x, label in zip(X, y):
        target = np.zeros((common.N_OUT, 1))
        target[label] = 1.0
        data.append((x.reshape(-1, 1).copy(), target))
    return data


# --------------------------------------------------------------------------
# The floor, and the two loops of the profile
# --------------------------------------------------------------------------


def rows_only(X, order, m):
    """Gather each mini-batch's rows of X: what every loop below starts with."""
    for k in range(0, len(order), m):
        X.take(order[k:k + m], axis=0)


def floor(X, weights, order, m, grads):
    """The matrix products of a training epoch, alone, in the same loop as
    ``Network.SGD``: the values are meaningless (no bias, no activation, no
    update), the calls, shapes and layouts are network.py's."""
    L = len(weights)
    for k in range(0, len(order), m):
        a = X.take(order[k:k + m], axis=0)
        activations = [a]
        for w in weights:
            a = a @ w.T
            activations.append(a)
        delta = a
        for l in range(L - 1, -1, -1):
            np.matmul(delta.T, activations[l], out=grads[l])
            if l > 0:
                delta = delta @ weights[l]


def inline(X, Y, weights, biases, order, m, eta, grads):
    """Everything one epoch of ``Network.SGD`` computes (sigmoid, quadratic
    cost), written flat: the same numpy calls without the network's methods."""
    L = len(weights)
    weights_t, biases_t = [w.T for w in weights], [b.T for b in biases]
    scale = np.array(eta / m)
    Y = Y.take(order, axis=0)
    for k in range(0, len(order), m):
        a = X.take(order[k:k + m], axis=0)
        activations = [a]
        for w_t, b_t in zip(weights_t, biases_t):
            a = a @ w_t
            a += b_t
            sigmoid_(a)
            activations.append(a)
        delta = a - Y[k:k + m]
        delta *= sigmoid_prime_from_output(a)
        delta *= scale
        for l in range(L - 1, -1, -1):
            a = activations[l]
            nb = np.add.reduce(delta, axis=0)
            np.matmul(delta.T, a, out=grads[l])
            if l > 0:
                back = delta @ weights[l]
                back *= sigmoid_prime_from_output(a)
            weights[l] -= grads[l]
            biases_t[l] -= nb
            if l > 0:
                delta = back


# --------------------------------------------------------------------------


def run(argv: Sequence[str] | None = None) -> bool:
    p = common.parser("epoch", __doc__.split("\n")[0], data=False)
    p.add_argument("--n", type=int, default=None, help="examples per epoch (default 10000)")
    args = common.parse(p, argv)
    n = args.n or (1000 if args.quick else 10_000)
    rounds = args.rounds or (1 if args.quick else 7)
    contenders, setup = _contenders(n)
    with np.errstate(over="ignore"):  # the book's 1/(1+exp(-z)) may overflow; harmless
        t = common.race(contenders, rounds, setup)
    best = {name: timing.best for name, timing in t.items()}
    checks = _checks(best)
    common.print_results(f"one epoch of {SIZES}, mini-batch {BATCH}, float64, {n:,} examples",
                         common.command("epoch", argv), t,
                         [(what, f"{r:.2f}x", want, common.verdict(ok))
                          for what, r, want, ok in checks], "ratio")
    _print_profile(best)
    return all(ok for *_, ok in checks)


def _contenders(n: int) -> tuple[dict[str, Callable[[], object]], Callable[[], None]]:
    """The six loops to race on ``n`` synthetic examples, and the untimed
    setup that gives each run fresh starting weights."""
    X, y = common.synthetic(n)
    Y = np.zeros((n, common.N_OUT))
    Y[np.arange(n), y] = 1.0
    tuples = book_data(X, y)
    state: dict[str, object] = {}

    def setup() -> None:
        state["book"] = BookNetwork(SIZES, seed=0)
        state["net"] = network.Network(SIZES, seed=0)
        ref = network.Network(SIZES, seed=0)
        state["w"], state["b"] = ref.weights, ref.biases
        state["grads"] = [np.empty_like(w) for w in ref.weights]
        state["order"] = ref.rng.permutation(n)

    def sgd(data: object) -> Callable[[], object]:
        return lambda: state["net"].SGD(data, 1, BATCH, ETA, verbose=False)

    return {
        "book, per example": lambda: state["book"].SGD(tuples, 1, BATCH, ETA),
        "nndl-init, arrays": sgd((X, y)),
        "nndl-init, list of tuples": sgd(tuples),
        "floor: products only": lambda: floor(X, state["w"], state["order"], BATCH,
                                              state["grads"]),
        "rows only (profile)": lambda: rows_only(X, state["order"], BATCH),
        "inline (profile)": lambda: inline(X, Y, state["w"], state["b"], state["order"],
                                           BATCH, ETA, state["grads"]),
    }, setup


def _checks(best: dict[str, float]) -> list[tuple[str, float, str, bool]]:
    """Each claim as (what, measured ratio, target, met)."""
    book, arrays, lists = (best["book, per example"], best["nndl-init, arrays"],
                           best["nndl-init, list of tuples"])
    fl = best["floor: products only"]
    return [
        ("book loop / nndl-init (arrays), required", book / arrays, f">= {BOOK_RATIO:g}",
         book / arrays >= BOOK_RATIO),
        ("book loop / nndl-init (arrays), goal", book / arrays, f">= {TARGET_RATIO:g}",
         book / arrays >= TARGET_RATIO),
        ("nndl-init (arrays) / floor", arrays / fl, f"<= {FLOOR_ARRAYS:g}",
         arrays / fl <= FLOOR_ARRAYS),
        ("nndl-init (list of tuples) / floor", lists / fl, f"<= {FLOOR_LIST:g}",
         lists / fl <= FLOOR_LIST),
    ]


def _print_profile(best: dict[str, float]) -> None:
    """Where an epoch goes, from differences of best times: gathering rows,
    the matrix products, the elementwise work, the network's Python layers."""
    book, arrays = best["book, per example"], best["nndl-init, arrays"]
    fl, rows, flat = (best["floor: products only"], best["rows only (profile)"],
                      best["inline (profile)"])
    # On a noisy machine a difference can come out negative (counted as 0),
    # so the shares are of their sum, which is close to ``arrays``.
    parts = {"gathering rows": rows, "matrix products": fl - rows,
             "elementwise + updates": flat - fl, "network's Python layers": arrays - flat}
    parts = {name: max(v, 0.0) for name, v in parts.items()}
    profile = ", ".join(f"{name} {v / sum(parts.values()):.0%}" for name, v in parts.items())
    print(f"\nprofile of an nndl-init epoch ({common.ms(arrays)}): {profile}")
    print(f"the same numpy calls written flat, without the network's code (inline): "
          f"book loop / inline {book / flat:.2f}x, inline / floor {flat / fl:.2f}x")


if __name__ == "__main__":
    sys.exit(0 if run() else 3)
