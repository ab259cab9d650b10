"""nndl.training
~~~~~~~~~~~~~~

What ``network.Network.SGD`` needs besides the book's loop: its arguments
checked and its data sets prepared before the first epoch (:class:`Run`),
the shuffled mini-batches, the fused gradient step (:class:`Step`) and the
figures recorded after each epoch (:func:`record`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np

import blas
from nndl import checks, fused, parameters
from nndl.data import Data, prepare, warn
from nndl.history import History


class Monitor(NamedTuple):
    """SGD's ``monitor_*`` flags, the book's ``network2`` names."""

    evaluation_cost: bool = False
    evaluation_accuracy: bool = False
    training_cost: bool = False
    training_accuracy: bool = False


class Run(NamedTuple):
    """SGD's arguments, checked, and its data sets, prepared."""

    epochs: int
    mini_batch_size: int
    eta: float
    lmbda: float
    train: Data
    test: Data | None
    evaluation: Data | None
    monitor: Monitor


def checked_run(net, training_data, epochs, mini_batch_size, eta, test_data, lmbda,
                evaluation_data, monitor: Monitor, verbose, callback: Callable | None) -> Run:
    """Every argument of ``net.SGD`` checked, and its data sets prepared, in
    this order: the parameters, the numbers, the switches, the data, then
    the step against the dtype's range (it needs the data's size).  Raises
    before any work (not even a shuffle is drawn)."""
    parameters.check(net, writable=True)
    epochs = checks.check_count("epochs", epochs, minimum=0)
    mini_batch_size = checks.check_count("mini_batch_size", mini_batch_size, minimum=1)
    eta = checks.check_positive("eta", eta)
    lmbda = checks.check_nonnegative("lmbda", lmbda)
    checks.check_monitoring(evaluation_data, verbose=verbose, callback=callback,
                            **{f"monitor_{k}": v for k, v in monitor._asdict().items()})
    n_in, n_out, dtype = net.sizes[0], net.sizes[-1], net.dtype
    train = prepare(training_data, n_in, n_out, dtype, "training_data")
    checks.check_not_lmbda(test_data)
    test = None if test_data is None else prepare(test_data, n_in, n_out, dtype, "test_data")
    evaluation = None if evaluation_data is None else prepare(
        evaluation_data, n_in, n_out, dtype, "evaluation_data")
    checks.check_step_fits(eta, lmbda, len(train), len(train) % mini_batch_size or mini_batch_size,
                           dtype)
    return Run(epochs, mini_batch_size, eta, lmbda, train, test, evaluation, monitor)


class Step:
    """One gradient step ``w <- (1 - eta lmbda / n) w - eta/m nabla_w``,
    ``b <- b - eta/m nabla_b`` on a mini-batch of rows ``(X, Y)`` of one of
    the sizes ``m`` in ``batch_sizes``, fused (:func:`nndl.fused.step`),
    for ``net``'s arrays as they are now."""

    def __init__(self, net, eta: float, lmbda: float, n: int, batch_sizes) -> None:
        self.plan = fused.plan(net)
        self.update = fused.update(net, 1.0 - eta * lmbda / n)
        # eta/m as 0-d arrays of the network's dtype (see nndl.activations.ONE)
        self.scale = {m: np.array(eta / m, dtype=net.dtype) for m in batch_sizes}
        self.eta = eta
        self.buffers: dict[int, fused.Buffers] = {}  # per mini-batch size, made when first needed

    def __call__(self, X: np.ndarray, Y: np.ndarray) -> None:
        b = fused.held_buffers(self.plan, self.buffers, len(X))
        np.copyto(b.X, X)
        fused.step(self.plan, self.update, b, Y, self.scale[len(X)])

    def epoch(self, data: Data, m: int, rng: np.random.Generator) -> None:
        """One epoch: a step on each of the mini-batches of ``data`` shuffled with ``rng``.
        A rate so large that the products overflow is warned about once
        (:class:`TrainingDivergedWarning`), not by numpy's overflow warnings
        from inside a matrix product."""
        with diverge_watch(self.eta):
            fused.epoch(self.plan, self.update, data, m, rng, self.scale, self.buffers)


@contextlib.contextmanager
def overflow_watch() -> Iterator[list[str]]:
    """Within it, numpy's floating-point overflows and invalid operations
    are collected, by kind, into the list it yields, not warned about."""
    kinds: list[str] = []
    with np.errstate(over="call", invalid="call", call=lambda kind, _: kinds.append(kind)):
        yield kinds


@contextlib.contextmanager
def diverge_watch(eta: float) -> Iterator[None]:
    """Within it, numpy's overflows are collected (:func:`overflow_watch`);
    after it, any there were are warned about once (:func:`warn_diverged`)."""
    with overflow_watch() as overflowed:
        yield
    if overflowed:
        warn_diverged(eta)


class TrainingDivergedWarning(UserWarning):
    """Training made a weight, a bias or a weighted input overflow to
    infinity or NaN: the learning rate is far too large for the network (or
    the data holds values too large)."""


class TrainingStalledWarning(UserWarning):
    """An epoch of training changed no weight and no bias, not by one bit:
    every step ``eta/m * gradient`` was below the last bit of its parameter
    (a rate far too small), or the gradient was exactly 0."""


@contextlib.contextmanager
def change_watch(net, epoch: int, eta: float) -> Iterator[None]:
    """Around an epoch of ``net``'s training: warn (:class:`TrainingStalledWarning`)
    when it changed no weight and no bias at all, which nothing else would
    say (the book's network at a rate of 1e-300 trains a whole epoch, prints
    its unchanged accuracy and stops).  Costs a copy of the parameters."""
    before = [p.copy() for p in net.weights + net.biases]
    yield
    if all(np.array_equal(a, b) for a, b in zip(before, net.weights + net.biases)):
        warn(f"epoch {epoch} changed no weight and no bias, not by one bit: every step "
             f"eta/m * gradient was below the last bit of its parameter (eta={eta:g} is far too "
             f"small: the book's rates are 0.1 to 3.0), or the gradient was exactly 0 (units "
             f"saturated or dead; diagnostics.diagnose(net, eta=...) names why)",
             TrainingStalledWarning)


def warn_diverged(eta: float) -> None:
    """The warning of a training that overflowed, naming the fix: one text,
    so that Python shows it once per call of ``SGD`` in the user's code."""
    warn(f"training diverged: the weights or the weighted inputs overflowed to infinity or "
         f"NaN; lower the learning rate (eta={eta:g}), e.g. by a factor of 10, and start "
         f"again from a fresh draw", TrainingDivergedWarning)


def step_for(net, run: Run, compiled: bool = False):
    """The :class:`Step` of ``run``: its full mini-batches and its last, smaller
    one; with ``compiled``, :class:`nndl.compiled.Step` (Numba) instead."""
    n, m = len(run.train), run.mini_batch_size
    if compiled:
        return compiled_step()(net, run.eta, 1.0 - run.eta * run.lmbda / n, m)
    return Step(net, run.eta, run.lmbda, n, {m, n % m or m})


def compiled_step() -> type:
    """:class:`nndl.compiled.Step`, imported when first asked for (Numba takes
    half a second to import), or ImportError naming the fix."""
    try:
        from nndl.compiled import Step as CompiledStep
    except ImportError as e:
        raise ImportError(f"compiled=True needs Numba, the optional extra 'fast': pip install "
                          f"'nndl-init[fast]' (or pip install numba), or leave compiled=False "
                          f"({e})") from e
    return CompiledStep


def record(net, history: History, j: int, run: Run) -> list[str]:
    """Measure epoch ``j``'s figures into ``history``; return the lines to print
    (the book's: ``Epoch 0: 9129 / 10000``, then the monitored figures).
    Every cost's L2 term divides by the training-set size ``n``.  A network
    whose weights or outputs overflowed is warned about once per epoch
    (:class:`TrainingDivergedWarning`), not by numpy's overflow warnings."""
    with overflow_watch() as overflowed:
        lines, costs = _measured(net, history, j, run)
    if overflowed or not (parameters.finite(net) and np.isfinite(costs).all()):
        warn_diverged(run.eta)
    return lines


def _measured(net, history: History, j: int, run: Run) -> tuple[list[str], list[float]]:
    """:func:`record`'s lines, and the costs it measured."""
    n, monitor, plan = len(run.train), run.monitor, fused.plan(net)
    costs = []

    def measure(name: str, data: Data) -> tuple[int, float]:
        correct, cost = fused.measure(plan, net.cost, data, run.lmbda, n)
        getattr(history, f"{name}_accuracy").append(correct / len(data))
        getattr(history, f"{name}_cost").append(cost)
        costs.append(cost)
        return correct, cost

    lines = [f"Epoch {j} complete"]
    if run.test is not None:
        correct, _ = measure("test", run.test)
        lines = [f"Epoch {j}: {correct} / {len(run.test)}"]
    if monitor.training_cost or monitor.training_accuracy:
        correct, cost = measure("training", run.train)
        lines += monitor_lines("training", n, cost if monitor.training_cost else None,
                               correct if monitor.training_accuracy else None)
    if run.evaluation is not None:
        correct, cost = measure("evaluation", run.evaluation)
        lines += monitor_lines("evaluation", len(run.evaluation),
                               cost if monitor.evaluation_cost else None,
                               correct if monitor.evaluation_accuracy else None)
    return lines, costs


def figures(net, data: Data, lmbda: float = 0.0, n: int | None = None,
            blas_threads: int | None = None) -> tuple[int, float]:
    """Correct answers and total cost of ``net`` on the prepared ``data``, from
    one forward pass (:func:`nndl.fused.measure`), on the BLAS threads chosen
    for its size (:mod:`blas`).  Unchecked: NaN weights give NaN figures."""
    with blas.threads(net.sizes, len(data), blas_threads):
        return fused.measure(fused.plan(net), net.cost, data, lmbda, n)


def monitor_lines(name: str, size: int, cost: float | None = None, correct: int | None = None
                  ) -> list[str]:
    """The book's lines (``network2.py``) for the monitored figures of one
    data set of ``size`` examples; a figure that is None is not printed."""
    lines = []
    if cost is not None:
        lines.append(f"Cost on {name} data: {cost}")
    if correct is not None:
        lines.append(f"Accuracy on {name} data: {correct} / {size}")
    return lines
