"""network2
~~~~~~~~

The book's chapter 3 module (Nielsen, *Neural Networks and Deep Learning*,
ch. 3: cross-entropy, L2 regularization, better initialization), with its
names, signatures, defaults, printed lines, return values and save format, in
Python 3.  The book's session works as printed::

    >>> import mnist_loader
    >>> training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    >>> import network2
    >>> net = network2.Network([784, 30, 10], cost=network2.CrossEntropyCost)
    >>> net.large_weight_initializer()
    >>> net.SGD(training_data, 30, 10, 0.5, evaluation_data=test_data,
    ...         monitor_evaluation_accuracy=True)
    Epoch 0 training complete
    Accuracy on evaluation data: ... / 10000
    <BLANKLINE>
    ...

This module holds no mathematics of its own.  :class:`Network` is a face over
a :class:`network.Network` (its attribute ``network``), which does every
forward pass, backpropagation and update, a mini-batch at a time.  The face
gives that engine the book's chapter-3 manners.  It wraps the engine rather
than subclassing it, because the two disagree on what the same names mean:
here ``accuracy`` is a count, ``total_cost`` takes ``convert``, ``SGD`` returns
four lists, ``cost`` is a class and ``save`` writes the book's JSON.  A
subclass would break ``network.Network``'s contract for code written against it.

Where this module differs from the book on purpose:

* Every random draw comes from the engine's ``numpy.random.Generator``, made
  from ``seed=`` (``None``, the default, gives fresh entropy, as the book's
  ``np.random`` does).  ``SGD`` shuffles with it and leaves the caller's list
  alone; the book's ``random.shuffle(training_data)`` reorders it in place.
* ``default_weight_initializer`` and ``large_weight_initializer`` redraw from
  a generator made anew from the seed, not from where the old one stopped.
  So ``Network(sizes, seed=s)`` followed by ``large_weight_initializer()``
  starts where ``network.Network(sizes, init="randn", seed=s)`` does, in its
  weights and in every later shuffle, and trains to the same numbers bit for
  bit.  Calling an initializer twice gives the same weights twice.
* Wrong input fails with a message that names the fix: a ``convert`` that
  does not match the form of the targets ``y`` (the book gives a wrong number
  or a cryptic error), and, before the first epoch, ``monitor_evaluation_*``
  without ``evaluation_data`` or data of the wrong shape (the book fails after
  an epoch of training).
* The cross-entropy in ``total_cost`` is computed from the output weighted
  inputs ``z`` (``softplus(z) - y z``), finite for every ``z``; the book's
  ``np.nan_to_num`` of the log form gives 1.8e308 per output saturated at the
  wrong value.
* The cost and the printed costs are Python 3 floats (``repr``: all the
  digits); Python 2 printed 12 significant digits.

Where this module differs from ``network.Network`` on purpose (each matches its
own chapter): ``accuracy`` counts (``network.Network.accuracy`` is a fraction);
the L2 term of the evaluation cost that ``SGD`` monitors divides by the size
of the *evaluation* data, as the book's ``total_cost`` does, while
``network.Network.SGD`` divides it by the training-set size ``n``, the ``n``
of the cost being minimised.  The training cost is the same in both.
"""

from __future__ import annotations

import os

import numpy as np

import network
from mnist_loader import vectorized_result
from network import sigmoid, sigmoid_prime
from nndl import checks, persistence, training
from nndl.costs import BOOK_COSTS, CrossEntropyCost, QuadraticCost, cost_name
from nndl.data import array_pair, prepare

__all__ = ["CrossEntropyCost", "Network", "QuadraticCost", "load", "sigmoid",
           "sigmoid_prime", "vectorized_result"]

# What ``convert`` says about the targets y, in the book's words.
_FORMS = {
    "labels": "int labels, as in validation_data and test_data",
    "vectors": "(n_out, 1) target vectors, as in training_data",
}


class Network:
    """The book's chapter-3 network: sigmoid neurons, a cost class, L2
    regularization, the ``N(0, 1/n_in)`` default initialization.

    Parameters
    ----------
    sizes : neurons per layer, input first, e.g. ``[784, 30, 10]``.
    cost : ``CrossEntropyCost`` (the default) or ``QuadraticCost``; the names
        ``"cross_entropy"`` and ``"quadratic"`` work too.
    seed : an int seeding every random draw (initializers and shuffling), or
        ``None`` for fresh entropy, as in the book.  Keyword only.
    init : the first initialization, a scheme of :mod:`initializers`; the
        default ``"chapter3"`` is the book's ``default_weight_initializer``.
        Keyword only.
    dtype : ``np.float64`` (default) or ``np.float32``.  Keyword only.

    ``weights``, ``biases``, ``sizes`` and ``num_layers`` are the engine's, in
    the book's shapes: ``weights[l]`` is ``(sizes[l+1], sizes[l])``,
    ``biases[l]`` is ``(sizes[l+1], 1)``.
    """

    def __init__(self, sizes: list[int], cost=CrossEntropyCost, *, seed: int | None = None,
                 init: str = "chapter3", dtype=np.float64) -> None:
        self.network = network.Network(sizes, init, seed, cost=_book_cost(cost), dtype=dtype)

    @classmethod
    def from_network(cls, net: network.Network) -> Network:
        """The book's interface over an existing ``network.Network`` (the two
        share the arrays: training either trains both)."""
        _book_cost(net.cost)
        face = cls.__new__(cls)
        face.network = net
        return face

    # ---- the engine's state, under the book's names ----------------------

    @property
    def sizes(self) -> list[int]:
        return self.network.sizes

    @property
    def num_layers(self) -> int:
        return self.network.num_layers

    @property
    def weights(self) -> list[np.ndarray]:
        return self.network.weights

    @weights.setter
    def weights(self, value: list[np.ndarray]) -> None:
        self.network.weights = value  # checked and converted before the next use

    @property
    def biases(self) -> list[np.ndarray]:
        return self.network.biases

    @biases.setter
    def biases(self, value: list[np.ndarray]) -> None:
        self.network.biases = value

    @property
    def cost(self) -> type:
        """The cost class, ``CrossEntropyCost`` or ``QuadraticCost``."""
        return BOOK_COSTS[self.network.cost]

    @cost.setter
    def cost(self, value) -> None:
        self.network.cost = _book_cost(value)

    @property
    def seed(self) -> int | None:
        return self.network.seed

    # ---- initialization (ch. 3, "Weight initialization") ------------------

    def default_weight_initializer(self) -> None:
        """Weights ``N(0, 1/n_in)`` (standard deviation ``1/sqrt(n_in)``, ``n_in``
        the inputs of the neuron), biases ``N(0, 1)``: the ``"chapter3"`` scheme.
        Drawn from a generator made anew from ``seed`` (see the module's notes)."""
        self._redraw("chapter3")

    def large_weight_initializer(self) -> None:
        """Weights and biases ``N(0, 1)``, chapter 1's start, kept for comparison:
        the ``"randn"`` scheme.  Drawn from a generator made anew from ``seed``,
        so that training from here matches ``network.Network(sizes,
        init="randn", seed=seed)`` bit for bit."""
        self._redraw("randn")

    def _redraw(self, init: str) -> None:
        # A network made afresh from the seed draws exactly what network.Network
        # would; its generator, positioned after those draws, shuffles from now on.
        net = self.network
        fresh = network.Network(net.sizes, init, net.seed, activation=net.activation,
                                cost=net.cost, dtype=net.dtype)
        net.weights, net.biases, net.rng, net.init = (fresh.weights, fresh.biases, fresh.rng,
                                                      fresh.init)

    # ---- the book's methods ---------------------------------------------

    def feedforward(self, a: np.ndarray) -> np.ndarray:
        """The output ``(n_out, 1)`` for the input column ``a`` ``(n_in, 1)``."""
        return self.network.feedforward(a)

    def SGD(self, training_data, epochs: int, mini_batch_size: int, eta: float,
            lmbda: float = 0.0, evaluation_data=None,
            monitor_evaluation_cost: bool = False, monitor_evaluation_accuracy: bool = False,
            monitor_training_cost: bool = False, monitor_training_accuracy: bool = False,
            ) -> tuple[list[float], list[int], list[float], list[int]]:
        """Train by mini-batch stochastic gradient descent with L2 weight decay.

        Each epoch shuffles ``training_data`` (a list of ``(x, y)``, or an
        ``(X, y)`` pair of arrays), takes one step of size ``eta`` per
        mini-batch, and shrinks the weights by ``1 - eta * lmbda / n`` per step
        (``n`` training examples).  It then prints ``Epoch j training
        complete``, the monitored figures in the book's order (training cost,
        training accuracy, evaluation cost, evaluation accuracy) and a blank line.

        Returns the book's four lists, one entry per epoch for each monitored
        figure, empty otherwise: ``(evaluation_cost, evaluation_accuracy,
        training_cost, training_accuracy)``.  Accuracies are counts of correct
        answers.  A cost is ``total_cost(data, lmbda)``: its L2 term divides by
        the size of that data set.

        ``y`` may be a target vector or an int label in either data set (the
        book's ``SGD`` needs vectors for training and labels for evaluation).
        A data set is checked and stacked once, before the first epoch.
        """
        train = self._prepared(training_data, "training_data")  # once, not per epoch
        evaluation = None if evaluation_data is None else self._prepared(evaluation_data,
                                                                         "evaluation_data")
        if evaluation is None and (monitor_evaluation_cost or monitor_evaluation_accuracy):
            raise ValueError("monitor_evaluation_cost and monitor_evaluation_accuracy need "
                             "evaluation_data (validation_data or test_data)")
        monitor = _Monitor(train, evaluation, lmbda, training.Monitor(
            monitor_evaluation_cost, monitor_evaluation_accuracy, monitor_training_cost,
            monitor_training_accuracy))
        self.network.SGD(train, epochs, mini_batch_size, eta, lmbda=lmbda, verbose=False,
                         callback=monitor)
        return (monitor.evaluation_cost, monitor.evaluation_accuracy, monitor.training_cost,
                monitor.training_accuracy)

    def update_mini_batch(self, mini_batch, eta: float, lmbda: float, n: int) -> None:
        """One gradient step on ``mini_batch`` (a list of ``(x, y)``), with the
        weights first shrunk by ``1 - eta * lmbda / n`` (``n`` training examples)."""
        self.network.update_mini_batch(mini_batch, eta, lmbda, n)

    def backprop(self, x: np.ndarray, y) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``(nabla_b, nabla_w)``, the gradient of the cost of one example, layer by
        layer in the shapes of ``biases`` and ``weights`` (chapter 2's algorithm)."""
        return self.network.backprop(x, y)

    def accuracy(self, data, convert: bool = False) -> int:
        """How many inputs of ``data`` the network classifies correctly (its answer
        is its most active output neuron).

        As in the book, ``convert`` says how ``data`` holds its targets ``y``:
        ``False`` for int labels (validation and test data, the usual case),
        ``True`` for target vectors (training data).  A ``convert`` that does not
        match the data is a ``ValueError``."""
        wanted = "vectors" if convert else "labels"
        d = self._checked(data, wanted, "accuracy(data, convert={})", convert)
        return self.network.evaluate(d)

    def total_cost(self, data, lmbda: float, convert: bool = False) -> float:
        """The cost averaged over ``data``, plus ``lmbda / (2 len(data)) * sum w^2``
        (the book's L2 term divides by the size of ``data``).

        ``convert`` is the reverse of ``accuracy``'s, as in the book: ``False``
        for target vectors (training data, the usual case), ``True`` for int
        labels (validation and test data).  A mismatch is a ``ValueError``."""
        wanted = "labels" if convert else "vectors"
        d = self._checked(data, wanted, "total_cost(data, lmbda, convert={})", convert)
        return self.network.total_cost(d, lmbda)

    def _checked(self, data, wanted: str, call: str, convert):
        """``data`` ready for the engine, once its ``y`` are known to be in the
        ``wanted`` form (``"labels"`` or ``"vectors"``) that ``convert`` announced;
        ``call`` names the method in the error, with ``{}`` for ``convert``."""
        if not isinstance(data, list | tuple):
            data = list(data)  # a zip can be read only once
        form = _form(data)
        if form is not None and form != wanted:
            raise ValueError(f"{call.format(convert)} is for {_FORMS[wanted]}, but the y in "
                             f"data are {_FORMS[form]}: use {call.format(not convert)}")
        return self._prepared(data, "data")

    def _prepared(self, data, what: str):
        """``data`` checked and laid out for the engine (:func:`nndl.data.prepare`)."""
        net = self.network
        return prepare(data, net.sizes[0], net.sizes[-1], net.dtype, what)

    def save(self, filename: str | os.PathLike) -> None:
        """Save to ``filename`` in the book's JSON format: ``sizes``, ``weights``
        and ``biases`` as nested lists, and ``cost`` as the class name
        (``"CrossEntropyCost"``).  The book's ``network2.load`` reads it.  A
        float32 network adds ``"dtype": "float32"``, which the book ignores.
        Written atomically (``nndl.files.write_atomic``); floats keep every
        digit, so :func:`load` gives back the same arrays exactly."""
        persistence.save_network2(self, filename)


class _Monitor:
    """The book's ``SGD`` monitoring, as a callback of ``network.Network.SGD``:
    after each epoch, the flagged figures are appended to the four lists and
    printed in the book's order (training cost, training accuracy, evaluation
    cost, evaluation accuracy), then a blank line.  A cost is
    ``total_cost(data, lmbda)``, its L2 term divided by that data set's size."""

    def __init__(self, train, evaluation, lmbda: float, flags: training.Monitor) -> None:
        self.train, self.evaluation, self.lmbda, self.flags = train, evaluation, lmbda, flags
        self.evaluation_cost, self.evaluation_accuracy = [], []
        self.training_cost, self.training_accuracy = [], []

    def __call__(self, j: int, net: network.Network, history) -> None:
        lines = [f"Epoch {j} training complete"]
        lines += self._measure(net, "training", self.train)
        lines += self._measure(net, "evaluation", self.evaluation)
        print("\n".join(lines) + "\n", flush=True)

    def _measure(self, net: network.Network, name: str, data) -> list[str]:
        want_cost, want_accuracy = (getattr(self.flags, f"{name}_{figure}")
                                    for figure in ("cost", "accuracy"))
        if not (want_cost or want_accuracy):
            return []
        # both figures from one forward pass, as total_cost(data, lmbda) and
        # evaluate(data) give them one pass each; weights that training made
        # NaN give NaN figures, as the book's network2 prints them (SGD has
        # warned that training diverged), not an error that ends training
        lmbda = checks.check_nonnegative("lmbda", self.lmbda)
        with training.overflow_watch():
            correct, cost = training.figures(net, data, lmbda)
        size = len(data)
        if want_cost:
            getattr(self, f"{name}_cost").append(cost)
        if want_accuracy:
            getattr(self, f"{name}_accuracy").append(correct)
        return training.monitor_lines(name, size, cost if want_cost else None,
                                      correct if want_accuracy else None)


def load(filename: str | os.PathLike) -> Network:
    """Load a network saved by :meth:`Network.save`, by the book's own
    ``network2.py``, or by ``network.Network.save``.  Never unpickles."""
    return Network.from_network(network.Network.load(filename))


def _book_cost(cost) -> str:
    """The engine's name of one of chapter 3's two costs; the engine's
    ``"log_likelihood"`` (a softmax output layer) has no class here."""
    name = cost_name(cost)
    if name not in BOOK_COSTS:
        raise ValueError(f"unknown cost {cost!r} for network2: the book's network2 has "
                         f"QuadraticCost and CrossEntropyCost; use network.Network(..., "
                         f"cost={name!r}) for this one")
    return name


def _form(data) -> str | None:
    """``"labels"`` or ``"vectors"``: how ``data`` holds its targets ``y``.
    ``None`` when ``data`` is malformed, which the engine then reports."""
    pair = array_pair(data)
    if pair is not None:
        return "labels" if pair[1].ndim == 1 else "vectors"
    try:
        _, y = data[0]
    except (IndexError, TypeError, ValueError):
        return None
    return "labels" if isinstance(y, int | np.integer) else "vectors"
