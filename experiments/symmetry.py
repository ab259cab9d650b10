"""experiments.symmetry
~~~~~~~~~~~~~~~~~~~~~

Why ``zeros`` learns only a little: in exact arithmetic symmetry is never
broken; on a computer it is broken only by rounding, and only on some BLAS
kernels.

With every weight and bias 0, all hidden neurons compute the same function of
the input.  Backpropagation then hands each of them the same error, so the same
update, and in exact arithmetic they stay equal forever: the hidden layer of
30 neurons is one neuron copied 30 times.  (The output neurons differ, through
their targets.)

A computer rounds.  Each hidden neuron's weighted input is a sum of 784
products, computed by the BLAS; equal neurons get equal sums only if the
BLAS adds their terms in the same order.  OpenBLAS's kernels compute a
product in blocks of columns, and on some kernels (``SkylakeX``, AVX-512) a
neuron at one place in the block gets its sum in another order than a
neuron at another: a difference of one unit in the last place, about 1e-16.
Training then amplifies it, step after step, until the neurons are different
neurons and the network learns more than a single neuron could.

This script measures both, with one small training loop (the book's
backpropagation for ``[784, n, 10]``, sigmoid, quadratic cost, vectorised
mini-batches: :func:`step`, the same arithmetic as ``network.Network``) run
with two matrix products:

* **exact-arithmetic symmetry**: every product multiplies each *distinct*
  neuron's weights (or error) once and copies the result to the neurons
  equal to it (:func:`distinct_matmul`).  Equal neurons then get bit-equal sums whatever
  the kernel, as exact arithmetic (or any rounding that depends only on the
  numbers) gives them: what ``zeros`` does with symmetry kept.
* **each BLAS kernel**: plain ``@``, as training does.

For each it records the *spread* of the hidden layer, the largest difference
between two hidden neurons' incoming weights or biases (``max |w_i - w_j|``),
after every mini-batch of the first epoch and after each epoch, and the
test accuracy per epoch.  The BLAS runs go to subprocesses, one per OpenBLAS
kernel (``OPENBLAS_CORETYPE`` set for that subprocess only) and hidden width.

    python -m experiments.symmetry --docs docs/results/symmetry     # a few minutes
    python -m experiments.symmetry --quick                  # seconds
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

import diagnostics
import network
from experiments import cli, datasets, records, report
from nndl import machine

NAME = "symmetry"
KERNELS = ("Haswell", "SkylakeX", "Sandybridge")
WIDTHS = (10, 30, 100)
SEPARATED = 1e-2  # neurons whose weights differ by this much are different neurons
QUICK = {"epochs": 2, "table_epochs": 1, "train_size": 1000, "widths": [10, 30]}


def distinct_units(net: network.Network, layer: int = 0) -> int:
    """How many different neurons layer ``layer + 1`` holds (diagnostics' measure)."""
    return diagnostics.distinct_units(net.weights[layer], net.biases[layer])


# --------------------------------------------------------------------------
# The two products
# --------------------------------------------------------------------------


def _distinct_rows(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``A`` (equal as numbers: -0.0 is 0.0) and, per row
    of ``A``, the index of its distinct row.  Compared with the first row of
    each group in turn: quick for a layer's few groups of equal neurons."""
    group = np.full(len(A), -1)
    firsts = []
    for i in range(len(A)):
        if group[i] < 0:
            group[(group < 0) & (A == A[i]).all(axis=1)] = len(firsts)
            firsts.append(i)
    return A[firsts], group


def distinct_matmul(A: np.ndarray, B: np.ndarray, neurons: str = "rows",
                    product: Callable = np.matmul) -> np.ndarray:
    """``A @ B`` (m, k) @ (k, n) where the rows of ``A`` (``neurons="rows"``),
    the columns of ``B`` (``"cols"``) or both (``"both"``) belong to neurons:
    each distinct one is multiplied once and its result copied to the equal
    ones.  Equal neurons then get bit-equal results however ``product`` (the
    BLAS) rounds at each place of its result, as in exact arithmetic.  (Not
    only the kernel decides: one kernel may round equal columns alike for one
    memory layout of its factors and not for another.)"""
    row_of = col_of = slice(None)
    if neurons in ("rows", "both"):
        A, row_of = _distinct_rows(A)
    if neurons in ("cols", "both"):
        cols, col_of = _distinct_rows(B.T)
        B = cols.T
    return product(A, B)[row_of][:, col_of]


def blas_matmul(A: np.ndarray, B: np.ndarray, neurons: str = "rows") -> np.ndarray:
    """``A @ B`` as training computes it, on this process's BLAS kernel."""
    return A @ B


PRODUCTS: dict[str, Callable[..., np.ndarray]] = {"distinct": distinct_matmul,
                                                  "blas": blas_matmul}


# --------------------------------------------------------------------------
# Training, with either product
# --------------------------------------------------------------------------


def step(weights: list[np.ndarray], biases: list[np.ndarray], X: np.ndarray, Y: np.ndarray,
         scale: float, matmul: Callable = blas_matmul) -> None:
    """One gradient step on the mini-batch ``X`` (m, n_in), ``Y`` (m, n_out),
    in place: the book's backpropagation (chapter 2, eqs. BP1-BP4) for sigmoid
    neurons and the quadratic cost, ``scale = eta / m``.  ``weights[l]`` is
    (n_out, n_in) as in the book, ``biases[l]`` a (1, n_out) row.  The
    operations and their order are ``network.Network``'s, so that with
    ``matmul = blas_matmul`` it rounds as training does.  ``matmul(A, B,
    neurons)`` is told which factor's rows or columns are neurons."""
    activations = [X]
    for w, b in zip(weights, biases):
        z = matmul(activations[-1], w.T, "cols")
        z += b
        activations.append(network.sigmoid(z))
    a = activations[-1]
    delta = a - Y
    delta *= (1 - a) * a
    delta *= scale
    for l in range(len(weights) - 1, -1, -1):
        a = activations[l]
        nb = np.add.reduce(delta, axis=0)
        # Rows: this layer's neurons; columns: the inputs, or the neurons of
        # the hidden layer below, which must stay equal too.
        nw = matmul(delta.T, a, "rows" if l == 0 else "both")
        if l > 0:
            back = matmul(delta, weights[l], "cols")
            back *= (1 - a) * a
        weights[l] -= nw
        biases[l] -= nb
        if l > 0:
            delta = back


def spread(weights: np.ndarray, biases: np.ndarray) -> float:
    """The largest difference between two neurons of a layer: ``max |w_i - w_j|``
    over their incoming weights and biases (0 when all are equal)."""
    return float(max(np.ptp(weights, axis=0).max(), np.ptp(biases)))


def accuracy(weights: list[np.ndarray], biases: list[np.ndarray], X: np.ndarray,
             y: np.ndarray) -> float:
    a = X
    for w, b in zip(weights, biases):
        a = network.sigmoid(a @ w.T + b)
    return float(np.mean(a.argmax(axis=1) == y))


def train_zeros(data: tuple, width: int, epochs: int, product: str, seed: int = 0,
                batch: int = 10, eta: float = 3.0) -> dict:
    """Train ``[784, width, 10]`` from all-zero weights and biases with the
    product ``product`` (a key of :data:`PRODUCTS`), one BLAS thread.
    Returns the hidden layer's spread after every mini-batch of the first
    epoch (``per_batch``, index 0 = at the start) and after each epoch
    (``per_epoch``), the test accuracy per epoch, and the kernel it ran on."""
    (X, y), _, (X_test, y_test) = data
    Y = np.eye(10)[y]
    sizes = [X.shape[1], width, 10]
    weights = [np.zeros((n, m)) for m, n in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros((1, n)) for n in sizes[1:]]
    rng, matmul = np.random.default_rng(seed), PRODUCTS[product]
    per_batch, per_epoch, test = [0.0], [0.0], []
    with threadpool_limits(1, user_api="blas"):
        for epoch in range(epochs):
            order = rng.permutation(len(X))
            for k in range(0, len(X), batch):
                rows = order[k:k + batch]
                step(weights, biases, X[rows], Y[rows], eta / len(rows), matmul)
                if epoch == 0:
                    per_batch.append(spread(weights[0], biases[0]))
            per_epoch.append(spread(weights[0], biases[0]))
            test.append(accuracy(weights, biases, X_test, y_test))
        here = machine.machine()
    return {"width": width, "product": product, "epochs": epochs, "batches_per_epoch":
            -(-len(X) // batch), "per_batch": per_batch, "per_epoch": per_epoch,
            "test_accuracy": test, "distinct": diagnostics.distinct_units(weights[0],
                                                                          biases[0].ravel()),
            "largest_hidden_weight": float(np.abs(weights[0]).max()),
            "groups": _distinct_rows(np.hstack([weights[0], biases[0].T]))[1].tolist(),
            "kernel": here["blas_kernel"], "machine": here}


# --------------------------------------------------------------------------
# Reading a run: when symmetry broke, how fast the difference grew
# --------------------------------------------------------------------------


def timeline(run: dict) -> tuple[np.ndarray, np.ndarray]:
    """The spread against the mini-batch count: every mini-batch of the first
    epoch, then the end of each later epoch."""
    n = run["batches_per_epoch"]
    t = np.concatenate([np.arange(len(run["per_batch"])),
                        n * np.arange(2, len(run["per_epoch"]))])
    return t, np.concatenate([run["per_batch"], run["per_epoch"][2:]])


def growth(run: dict) -> dict:
    """When the neurons first differed (``first``, a mini-batch count, or
    ``None``), when they separated (spread above :data:`SEPARATED`), and the
    growth in between: the e-folding time of the spread in mini-batches,
    from a least-squares line through log(spread) (``None`` with fewer than
    two points)."""
    t, s = timeline(run)
    nonzero = np.flatnonzero(s > 0)
    if not len(nonzero):
        return {"first": None, "separated": None, "efold": None}
    first = int(nonzero[0])
    above = np.flatnonzero(s >= SEPARATED)
    last = int(above[0]) if len(above) else len(s) - 1
    window = [i for i in range(first, last + 1) if s[i] > 0]
    efold = None
    if len(window) >= 2 and t[window[-1]] > t[window[0]]:
        slope = np.polyfit(t[window], np.log(s[window]), 1)[0]
        efold = float(1 / slope) if slope > 0 else None
    return {"first": int(t[first]), "separated": int(t[above[0]]) if len(above) else None,
            "efold": efold}


# --------------------------------------------------------------------------
# Subprocesses, one per kernel and width
# --------------------------------------------------------------------------


def worker(args: argparse.Namespace) -> int:
    """``--worker``: one BLAS run at ``--width``, on this process's kernel;
    its result as one JSON line on the standard output."""
    data = datasets.load(args.dataset, args.data_dir, args.train_size)
    run = train_zeros(data, args.width, args.epochs, "blas", args.seed, args.batch, args.eta)
    sys.stdout.write(json.dumps(run) + "\n")
    return 0


def in_subprocess(args: argparse.Namespace, kernel: str, width: int, epochs: int) -> dict:
    """Run :func:`worker` in a fresh Python with ``OPENBLAS_CORETYPE=kernel``
    (OpenBLAS reads it when it loads, so only a new process can change it)."""
    env = {**os.environ, "OPENBLAS_CORETYPE": kernel}
    command = [sys.executable, "-m", f"experiments.{NAME}", "--worker", "--width", str(width),
               "--epochs", str(epochs), "--seed", str(args.seed), "--batch", str(args.batch),
               "--eta", str(args.eta), "--dataset", args.dataset]
    for flag, value in (("--train-size", args.train_size), ("--data-dir", args.data_dir)):
        if value is not None:
            command += [flag, str(value)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the {kernel} run of width {width} failed:\n{done.stderr[-2000:]}")
    run = json.loads(done.stdout.strip().splitlines()[-1])
    run["asked"] = kernel
    report.progress(f"{kernel} (ran {run['kernel']}), width {width}, {epochs} epoch(s): "
                    f"{run['distinct']} distinct, spread {run['per_epoch'][-1]:.1e}")
    return run


def run(args: argparse.Namespace) -> dict:
    """The exact-symmetry run and, per kernel, the BLAS runs: at width 30 for
    ``--epochs`` epochs, at the other widths for ``--table-epochs``."""
    data = datasets.load(args.dataset, args.data_dir, args.train_size)
    kernels = list(dict.fromkeys([machine.machine()["blas_kernel"] or "default", *args.kernels]))
    jobs = [(k, w, args.epochs if w == args.width else args.table_epochs)
            for w in args.widths for k in kernels]
    if args.width not in args.widths:
        jobs += [(k, args.width, args.epochs) for k in kernels]
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(in_subprocess, args, *job) for job in jobs]
        start = time.perf_counter()
        exact = train_zeros(data, args.width, args.epochs, "distinct", args.seed, args.batch,
                            args.eta)
        report.progress(f"exact symmetry, width {args.width}: {exact['distinct']} distinct "
                        f"after {args.epochs} epoch(s) ({time.perf_counter() - start:.0f} s)")
        blas = [f.result() for f in futures]
    return {"exact": exact, "blas": blas, "kernels": kernels, "default_kernel": own_kernel()}


def own_kernel() -> str | None:
    """The kernel OpenBLAS chooses for this CPU by itself: asked of a fresh
    Python without ``OPENBLAS_CORETYPE`` (or the block size
    ``OPENBLAS_L2_SIZE``) in its environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE",
                                                            "OPENBLAS_L2_SIZE")}
    done = subprocess.run([sys.executable, "-c", "from nndl.machine import machine; "
                           "print(machine()['blas_kernel'])"], env=env, capture_output=True,
                          text=True)
    return done.stdout.strip() or None if done.returncode == 0 else None


# --------------------------------------------------------------------------
# Table and figure
# --------------------------------------------------------------------------


def _label(r: dict) -> str:
    return "exact symmetry" if r["product"] == "distinct" else f"{r['kernel']} kernel"


def _broke(r: dict) -> str:
    g = growth(r)
    if g["first"] is None:
        return f"kept: 1 neuron after {report.plural(r['epochs'], 'epoch')}"
    separated = "" if g["separated"] is None else f", separated at {g['separated']:,}"
    return (f"broken at mini-batch {g['first']:,}{separated}; {r['distinct']} distinct at the "
            f"end ({apart(r['groups'])})")


def apart(groups: list[int]) -> str:
    """Which neurons (numbered from 1) ended apart from neuron 1's group."""
    others = [i + 1 for i, g in enumerate(groups) if g != groups[0]]
    return f"neuron{'s' if len(others) > 1 else ''} {', '.join(map(str, others))} apart"


def table(args: argparse.Namespace, result: dict, command: str) -> str:
    main = [result["exact"], *[r for r in result["blas"] if r["width"] == args.width
                               and r["epochs"] == args.epochs]]
    rows = []
    for r in main:
        g = growth(r)
        rows.append([_label(r), r["distinct"], "—" if g["first"] is None else f"{g['first']:,}",
                     "—" if g["separated"] is None else f"{g['separated']:,}",
                     "—" if g["efold"] is None else f"{g['efold']:.0f}",
                     "—" if g["efold"] is None else f"{100 / g['efold']:.1f}",
                     f"{r['per_epoch'][-1]:.1e}", report.pct(r["test_accuracy"][0]),
                     report.pct(r["test_accuracy"][-1])])
    text = report.markdown_table(
        ["product", f"distinct hidden neurons after {report.plural(args.epochs, 'epoch')}",
         "first difference (mini-batch)", f"separated: spread ≥ {SEPARATED:g} (mini-batch)",
         "e-folding time (mini-batches)", "e-foldings per 100 mini-batches",
         "final spread", "test % after epoch 1", f"after epoch {args.epochs}"], rows)
    kernels = result["kernels"]
    by = {(r["asked"], r["width"]): r for r in result["blas"]}
    widths = report.markdown_table(
        ["hidden neurons", *[f"`{k}`" for k in kernels]],
        [[w, *[_broke(by[k, w]) for k in kernels]] for w in args.widths])
    ran = {r["asked"]: r["kernel"] for r in result["blas"]}
    mismatch = [f"{k} ran {v}" for k, v in ran.items() if k != v]
    return (text + f"\nWhich kernels break the symmetry, by width "
            f"({report.plural(args.table_epochs, 'epoch')} per cell, "
            f"{report.plural(args.epochs, 'epoch')} at width {args.width}):\n\n" + widths
            + f"\n{args.dataset}, [784, n, 10] from all-zero weights and biases, "
            f"{report.plural(args.epochs, 'epoch')} on {args.train_size or 50_000:,} training "
            f"images, mini-batch {args.batch}, eta {args.eta}, quadratic cost, shuffling seed "
            f"{args.seed}, one BLAS thread. Spread: max |w_i - w_j| over the hidden neurons' "
            f"incoming weights and biases. Exact symmetry: every product multiplies each "
            f"distinct neuron once and copies the result to its equals "
            f"(`experiments.symmetry.distinct_matmul`), on "
            f"{machine.describe(result['exact']['machine'])}; each kernel's run is a "
            f"subprocess with `OPENBLAS_CORETYPE` set to it"
            + (f" ({'; '.join(mismatch)})" if mismatch else "")
            + f"; OpenBLAS's own choice on this CPU, without it, is "
            f"{result['default_kernel']}. "
            f"{report.made_by(command, [{'versions': {'machine': r['machine']}} for r in main])}"
            "\n")


def plot(args: argparse.Namespace, result: dict):
    """Left: the spread per mini-batch (log-log), one line per kernel at the
    main width; right: test accuracy per epoch, exact symmetry beside each kernel."""
    from matplotlib.ticker import NullFormatter

    fig, (left, right) = report.subplots(1, 2, 11, 4.4)
    runs = [r for r in result["blas"] if r["width"] == args.width and r["epochs"] == args.epochs]
    kept = []
    for i, r in enumerate([result["exact"], *runs]):
        color = "black" if i == 0 else f"C{i}"
        right.plot(np.arange(1, len(r["test_accuracy"]) + 1), 100 * np.array(r["test_accuracy"]),
                   marker=".", color=color, ls="--" if i == 0 else "-", label=_label(r))
        t, s = timeline(r)
        if (s > 0).any():
            left.plot(t[s > 0], s[s > 0], color=color, lw=1, label=_label(r))
        else:
            kept.append(_label(r))
    left.axhline(SEPARATED, color="0.5", lw=0.8, ls=":")
    left.set_xscale("log")
    left.set_yscale("log")
    left.xaxis.set_minor_formatter(NullFormatter())  # 3x10^1, 4x10^1, ... would collide
    left.set_xlabel("mini-batches (each one in epoch 1, then per epoch)")
    left.set_ylabel("spread: max |w_i - w_j| (hidden)")
    if kept:
        left.text(0.98, 0.02, "spread 0 throughout:\n" + "\n".join(kept),
                  transform=left.transAxes, ha="right", va="bottom", fontsize=10)
    symmetric = [r["test_accuracy"] for r in [result["exact"], *runs] if growth(r)["first"] is None]
    if len(symmetric) > 1 and all(acc == symmetric[0] for acc in symmetric):
        right.set_title(f"the {len(symmetric)} runs that keep the symmetry coincide",
                        fontsize=10)
    right.set_xlabel("epoch")
    right.set_ylabel("test accuracy (%)")
    right.set_ylim(0, 100)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    report.legend_outside(fig, "right center")
    fig.suptitle(f"zeros, [784, {args.width}, 10], mini-batch {args.batch}, eta {args.eta}: "
                 f"exact symmetry against each OpenBLAS kernel")
    return fig


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=f"python -m experiments.{NAME}",
        description="Train [784, n, 10] from zeros with exact symmetry and on each OpenBLAS "
                    "kernel; measure when and how fast the hidden neurons come apart.")
    p.add_argument("--width", type=cli.positive_int, default=30,
                   help="hidden neurons of the main runs. Default: %(default)s.")
    p.add_argument("--widths", type=lambda s: [cli.positive_int(w) for w in s.split(",")],
                   default=None, metavar="N,N,...",
                   help=f"hidden widths of the kernel table. Default: "
                        f"{','.join(map(str, WIDTHS))}.")
    p.add_argument("--kernels", type=lambda s: cli.comma_items(s, "kernel"),
                   default=list(KERNELS), metavar="K,K,...",
                   help="OpenBLAS kernels (OPENBLAS_CORETYPE values), besides this "
                        f"machine's own. Default: {','.join(KERNELS)}.")
    cli.add_training_args(p, {"epochs": "passes over the training data of the main runs. "
                                        "Default: 30 (2 with --quick)."},
                          epochs=None, seed=0, batch=10, eta=3.0, train_size=None)
    p.add_argument("--table-epochs", type=cli.positive_int, default=None, metavar="N",
                   help="epochs of the other widths' runs. Default: 3 (1 with --quick).")
    p.add_argument("--jobs", type=cli.positive_int, default=2,
                   help="subprocesses at once. Default: %(default)s.")
    p.add_argument("--quick", action="store_true",
                   help="seconds: 1,000 images, 2 epochs, widths 10 and 30.")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    cli.add_data_args(p)
    cli.add_output_args(p, NAME, quick=True)
    args = cli.parse_args(p, argv)
    defaults = {"epochs": 30, "table_epochs": 3, "widths": list(WIDTHS), "train_size": None}
    for name, value in (QUICK if args.quick else defaults).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.worker:
        return worker(args)
    result = run(args)
    command = cli.command_line(f"experiments.{NAME}", argv)
    record = {"command": command, "versions": records.versions(),
              "growth": {f"{r['asked']}-{r['width']}": growth(r) for r in result["blas"]},
              **result}
    report.publish(args, NAME, plot(args, result), table(args, result, command), record,
                   docs_record=True)
    return 0


if __name__ == "__main__":
    cli.main_guard(main)
