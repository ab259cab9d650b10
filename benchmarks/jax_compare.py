"""nndl-init against JAX, the whole epoch compiled with jit over lax.scan.

The book's network (sigmoid, quadratic cost, eta 3.0), one epoch on
MNIST-shaped examples, in each setting below, in one run: nndl-init's ``SGD``
beside the JAX loop a user after speed would write.  That loop is written in
its two reasonable forms, and the faster one is the one compared:

* ``permute, scan``: the epoch's examples permuted once, then cut into
  mini-batches and scanned (``lax.scan``) with one gradient step each;
* ``gather in scan``: the shuffled indices cut into mini-batches and scanned,
  each step gathering its rows.

Both sides start from the same weights and visit the examples in the same
order, the one ``SGD``'s generator draws for the epoch (handed to JAX as an
array, untimed), so they compute the same numbers: the largest weight
difference after the epoch is printed.  One thread everywhere by default:
``--blas-threads`` for numpy's BLAS, and for XLA (set before JAX is
imported) ``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1``.
nndl-init's time is the epoch's own, as ``SGD`` records it in
``History.seconds`` (a call also checks its data once, before the first
epoch: the JAX side's data is also handed over before the clock starts),
except in the book's list-of-tuples row, which times the whole call of
``SGD`` given the book's list of ``(x, y)`` columns, conversion included,
and JAX stacking the same list into arrays.  Target:
nndl-init's time over JAX's below 1 in every setting.

JAX is not a dependency: without it the comparison is skipped.

    python -m benchmarks.jax_compare [--quick] [--rounds 5]
"""

from __future__ import annotations

import copy
import importlib.util
import os
import sys
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

import network
from benchmarks import common

ETA = 3.0
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
DEPTH = [784, 1000, 1000, 1000, 1000, 1000, 10]


class Setting(NamedTuple):
    sizes: list[int]
    dtype: type
    m: int  # mini-batch size
    n: int  # examples
    book: bool = False  # the book's list of (x, y) tuples, not arrays

    @property
    def name(self) -> str:
        api = ", book's list" if self.book else ""
        return f"{self.sizes}, {np.dtype(self.dtype).name}, mini-batch {self.m}{api}"


def settings(quick: bool) -> list[Setting]:
    n = 1000 if quick else 10_000
    small = [784, 30, 10]
    return [Setting(small, np.float64, 10, n), Setting(small, np.float32, 10, n),
            Setting(small, np.float64, 100, n), Setting(small, np.float32, 100, n),
            Setting([784, 100, 10], np.float64, 10, n),
            Setting([784, 100, 10], np.float32, 10, n),
            Setting(small, np.float64, 10, n, book=True),
            Setting(DEPTH, np.float32, 100, 200 if quick else 2000)]


# --------------------------------------------------------------------------
# The JAX side, as a JAX user writes it
# --------------------------------------------------------------------------


def jax_epochs(jax, m: int) -> dict:
    """The two forms of a jitted epoch ``epoch(params, X, Y, order) -> params``."""
    jnp, lax = jax.numpy, jax.lax

    def loss(params, x, y):
        a = x
        for w, b in params:
            a = jax.nn.sigmoid(a @ w.T + b)
        return 0.5 * jnp.sum((a - y) ** 2) / x.shape[0]

    def sgd(params, x, y):
        grads = jax.grad(loss)(params, x, y)
        return jax.tree.map(lambda p, g: p - ETA * g, params, grads)

    def batches(a, k):  # the first k * m rows as k mini-batches, and the rest
        return a[:k * m].reshape(k, m, *a.shape[1:]), a[k * m:]

    @jax.jit
    def permute_scan(params, X, Y, order):
        k = len(order) // m
        (xs, x_rest), (ys, y_rest) = batches(X[order], k), batches(Y[order], k)
        params, _ = lax.scan(lambda p, xy: (sgd(p, *xy), None), params, (xs, ys))
        return sgd(params, x_rest, y_rest) if len(x_rest) else params

    @jax.jit
    def gather_scan(params, X, Y, order):
        k = len(order) // m
        idx, rest = batches(order, k)
        params, _ = lax.scan(lambda p, i: (sgd(p, X[i], Y[i]), None), params, idx)
        return sgd(params, X[rest], Y[rest]) if len(rest) else params

    return {"permute, scan": permute_scan, "gather in scan": gather_scan}


def jax_params(jax, net: network.Network) -> list:
    return [(jax.numpy.asarray(w), jax.numpy.asarray(b.ravel()))
            for w, b in zip(net.weights, net.biases)]


def import_jax(threads: int):
    """JAX with float64 enabled and, for one thread, XLA held to one; None when absent.

    XLA's flags keep each operation on one thread, but its runtime still runs
    independent operations (a layer's weight gradient and the error carried
    back) at the same time on other threads: measured, its CPU time exceeded
    its wall time.  So for one thread the whole process is also pinned to one
    core (both sides alike)."""
    if threads == 1 and "jax" not in sys.modules:
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {XLA_ONE_THREAD}".strip()
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    return jax


# --------------------------------------------------------------------------
# One setting, both sides
# --------------------------------------------------------------------------


def data(s: Setting):
    X, y = common.synthetic(s.n, s.dtype)
    Y = np.zeros((s.n, common.N_OUT), dtype=s.dtype)
    Y[np.arange(s.n), y] = 1
    if s.book:  # mnist_loader.load_data_wrapper's training data
        return X, Y, [(x.reshape(-1, 1), t.reshape(-1, 1)) for x, t in zip(X, Y)]
    return X, Y, (X, y)


def compare(jax, s: Setting, rounds: int, compiled: bool) -> tuple[dict, dict]:
    """Time one epoch of each contender in setting ``s``; return the timings
    and, for each of ours, the largest weight difference from JAX after it."""
    X, Y, training_data = data(s)
    state: dict = {}
    epochs: dict = {False: [], True: []}  # the epoch's own seconds, as SGD records them

    def setup():
        net = network.Network(s.sizes, seed=0, dtype=s.dtype)
        state.update(net=net, params=jax_params(jax, net),
                     order=jax.numpy.asarray(copy.deepcopy(net.rng).permutation(s.n)))

    contenders = _contenders(jax, s, (X, Y, training_data), state, epochs, compiled)
    diffs = _warm_up(contenders, setup, state)
    epochs[False].clear()
    epochs[True].clear()
    t = common.race(contenders, rounds, setup)
    if not s.book:  # an epoch, without the call's checks of the data
        _epochs_only(s, t, epochs)
    return t, diffs


def _contenders(jax, s: Setting, arrays: tuple, state: dict, epochs: dict,
                compiled: bool) -> dict:
    """Each contender's epoch, by name: ours (numpy, and compiled if asked),
    recording their epoch's own seconds in ``epochs``, then each JAX form;
    all train ``state``'s network or parameters."""
    X, Y, training_data = arrays
    Xj, Yj = jax.numpy.asarray(X), jax.numpy.asarray(Y)

    def ours(compiled=False):
        def run():
            h = state["net"].SGD(training_data, 1, s.m, ETA, verbose=False, compiled=compiled)
            epochs[compiled].append(h.seconds[0])
        return run

    def theirs(epoch):
        def run():
            if s.book:  # a JAX user stacks the book's list first
                x = jax.numpy.asarray(np.stack([x[:, 0] for x, _ in training_data]))
                y = jax.numpy.asarray(np.stack([t[:, 0] for _, t in training_data]))
            else:
                x, y = Xj, Yj
            state["params"] = jax.block_until_ready(epoch(state["params"], x, y,
                                                          state["order"]))
        return run

    contenders = {NUMPY: ours()}
    if compiled:
        contenders[COMPILED] = ours(compiled=True)
    contenders.update({f"JAX {form}": theirs(e) for form, e in jax_epochs(jax, s.m).items()})
    return contenders


def _warm_up(contenders: dict, setup, state: dict) -> dict:
    """Run each JAX form beside each of ours from the same start (JAX compiles
    on its first call); for each of ours, its largest weight difference."""
    diffs = {name: 0.0 for name in contenders if not name.startswith("JAX")}
    for name, fn in contenders.items():  # warm up (JAX compiles); the same numbers?
        if name.startswith("JAX"):
            for ours_name in diffs:
                setup()
                fn()
                contenders[ours_name]()
                diffs[ours_name] = max(diffs[ours_name], max_difference(state))
    return diffs


def _epochs_only(s: Setting, t: dict, epochs: dict) -> None:
    """Replace our contenders' times by their epochs' own seconds, printing
    what SGD's call costs besides (checking the data, the History)."""
    call = t[NUMPY].best
    t[NUMPY].times = epochs[False]
    print(f"  {s.name}: SGD's call besides its epoch (checking the data, History) "
          f"{common.ms(call - t[NUMPY].best)}", flush=True)
    if COMPILED in t:
        t[COMPILED].times = epochs[True]


def max_difference(state: dict) -> float:
    return max(float(np.abs(np.asarray(p[0]) - w).max())
               for p, w in zip(state["params"], state["net"].weights))


NUMPY, COMPILED = "nndl-init SGD", "nndl-init SGD(compiled=True)"


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------


def run(argv: Sequence[str] | None = None) -> int:
    from experiments.cli import positive_int

    p = common.parser("jax_compare", __doc__.split("\n")[0], data=False)
    p.add_argument("--runs", type=positive_int, default=1, metavar="N",
                   help="repeat the whole comparison N times, one after the other; every "
                        "run's ratio is shown and each must meet the target (default 1)")
    p.add_argument("--markdown", default=None, metavar="FILE",
                   help="also write the table as Markdown, with the machine and command, to "
                        "FILE (docs/results/jax_compare.md for the docs)")
    args = common.parse(p, argv)
    threads = common.blas_threads() or common.cores()
    machine = common.machine()  # before import_jax pins the process to one core
    jax = import_jax(threads)
    if jax is None:
        print("jax_compare: JAX is not installed (pip install jax); the comparison is skipped")
        return common.SKIPPED
    compiled = importlib.util.find_spec("numba") is not None
    rounds = args.rounds or (1 if args.quick else 5)
    pinned = f", pinned to core {min(os.sched_getaffinity(0))}" if threads == 1 and hasattr(
        os, "sched_getaffinity") and len(os.sched_getaffinity(0)) == 1 else ""
    title = (f"nndl-init against JAX {jax.__version__} jit + lax.scan (CPU, {threads} "
             f"thread(s){pinned}), sigmoid, quadratic cost, eta {ETA:g}, one epoch")
    command = common.command("jax_compare", argv)
    print(f"== {title} ==\n$ {command}\nmachine: {machine}", flush=True)
    if not compiled:
        print("Numba is not installed (pip install 'nndl-init[fast]'): "
              "SGD(compiled=True) is not measured")
    ours = COMPILED if compiled else NUMPY
    results = [measure(jax, args.quick, rounds, compiled, k, args.runs)
               for k in range(args.runs)]
    rows = table_rows(results, compiled)
    ok = all(r[ours][0] < 1.0 for run_ in results for r in run_)
    header = ["setting", "examples", "JAX (faster form)", "form", "numpy", "/ JAX", "|w diff|"]
    if compiled:
        header += ["compiled", "/ JAX", "|w diff|"]
    print(common.table(rows, header + [""]))
    note = (f"best of {rounds} interleaved rounds each, in each of {args.runs} run(s) (/ JAX: "
            f"each run's ratio; times and |w diff|: the last run's); |w diff|: the largest "
            f"weight difference from JAX after the epoch; target: {ours} / JAX < 1 in every "
            f"row and run")
    print(note)
    if args.markdown:
        write_markdown(args.markdown, title, command, machine, rows, header, note)
    return common.status(ok)


def measure(jax, quick: bool, rounds: int, compiled: bool, k: int, runs: int) -> list[dict]:
    """One run over every setting: for each, the faster JAX form's name and
    time and, per contender of ours, ``(ratio to JAX, time, weight difference)``."""
    out = []
    for s in settings(quick):
        t, diffs = compare(jax, s, rounds, compiled)
        form, jax_best = min(((name, tm.best) for name, tm in t.items()
                              if name.startswith("JAX")), key=lambda x: x[1])
        entry = {"setting": s, "form": form.removeprefix("JAX "), "jax": jax_best}
        entry.update({name: (t[name].best / jax_best, t[name].best, diffs[name])
                      for name in diffs})
        out.append(entry)
        run_ = f" (run {k + 1} of {runs})" if runs > 1 else ""
        print(f"  {s.name}{run_}: " + ", ".join(f"{n} {entry[n][0]:.2f}" for n in diffs),
              flush=True)
    return out


def table_rows(results: list[list[dict]], compiled: bool) -> list[list[str]]:
    """One row per setting: the last run's times and differences, every run's ratios."""
    names = (NUMPY, COMPILED) if compiled else (NUMPY,)
    rows = []
    for i, last in enumerate(results[-1]):
        s = last["setting"]
        row = [s.name, f"{s.n:,}", common.ms(last["jax"]), last["form"]]
        for name in names:
            ratios = ", ".join(f"{run_[i][name][0]:.2f}" for run_ in results)
            row += [common.ms(last[name][1]), ratios, f"{last[name][2]:.0e}"]
        # the target is on the last contender: compiled=True when measured
        rows.append(row + [common.verdict(all(run_[i][names[-1]][0] < 1.0 for run_ in results))])
    return rows


def write_markdown(path: str, title: str, command: str, machine: str, rows: list,
                   header: list, note: str) -> None:
    """The table as Markdown, under a line naming the machine and the command."""
    from experiments.report import markdown_table
    from nndl.files import write_bytes_atomic

    header = [h.replace("|w diff|", "weight diff.") for h in header]  # a pipe ends a cell
    note = note.replace("|w diff|", "weight diff.")
    text = (markdown_table(header + ["target"], rows)
            + f"\n{title}; {note}. Machine: {machine}. Made by `{command}`.\n")
    write_bytes_atomic(path, text.encode())


if __name__ == "__main__":
    sys.exit(run())
