"""network
~~~~~~~

Michael Nielsen's feedforward network from *Neural Networks and Deep Learning*
(chapter 1's ``network.py``, with what chapter 3's ``network2.py`` adds), in
Python 3, with three changes that matter for experiments: the starting
weights come from a named scheme of :mod:`initializers` (``init="randn"`` is
the book's); every random draw comes from one ``numpy.random.Generator`` made
from ``seed``, so a run repeats bit for bit; and a mini-batch is trained with
one matrix product per layer (the book's suggested exercise).

    >>> import mnist_loader, network
    >>> training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    >>> net = network.Network([784, 30, 10])
    >>> net.SGD(training_data, 30, 10, 3.0, test_data=test_data)

Chapter 3's session is the module :mod:`network2`, the book's interface over
this class; ``Network(cost=network2.CrossEntropyCost)`` and ``Network.load``
of a ``network2.save()`` file work here too.

Layout.  As in the book, ``weights[l]`` is ``(sizes[l+1], sizes[l])`` and
``biases[l]`` a column ``(sizes[l+1], 1)``.  A mini-batch holds one example
per *row* (``X`` is ``(m, 784)``), as the data sits in memory, so
``a' = f(w a + b)`` is computed as ``A' = f(A @ w.T + b.T)``: the same numbers,
transposed.  What a reader can skip (checks, data preparation, the fused
training step, files) is in the package :mod:`nndl`.
"""

from __future__ import annotations

import math
import operator
import os
import time
from collections.abc import Callable

import numpy as np

import blas
from nndl import activations, checks, fused, parameters, persistence, training
from nndl.activations import ACTIVATIONS, softmax, softsign, softsign_prime  # noqa: F401
from nndl.costs import COSTS, CrossEntropyCost, QuadraticCost, cost_name  # noqa: F401
from nndl.data import Data, UnscaledInputWarning, columns, prepare, rows  # noqa: F401
from nndl.files import write_atomic  # noqa: F401
from nndl.history import History
from nndl.training import TrainingDivergedWarning, TrainingStalledWarning  # noqa: F401


class Network:
    """A fully connected feedforward network trained by mini-batch SGD.

    ``sizes``: neurons per layer, input first (``[784, 30, 10]``).  ``init``:
    a scheme of :mod:`initializers` (``"randn"``, the book's) or a function
    ``f(rng, shape, dtype)``; ``bias_init`` overrides its biases (a scheme, a
    number or a function).  ``seed``: an int >= 0 seeding every random draw,
    or None for fresh entropy, as in the book.  ``activation``: the hidden
    layers', ``"sigmoid"`` (the book's), ``"tanh"``, ``"relu"`` or
    ``"softsign"`` (Glorot & Bengio 2010).  ``cost``: ``"quadratic"`` (ch. 1)
    or ``"cross_entropy"`` (ch. 3) with sigmoid outputs, or
    ``"log_likelihood"`` (ch. 3's ``-ln a_y``) with softmax outputs; the book's
    ``QuadraticCost`` and ``CrossEntropyCost`` work too.  ``dtype``: float64
    or float32.

    Bad settings, data or parameters raise ``ValueError`` or ``TypeError``
    before any work, naming the problem and the fix; inputs that look like raw
    0-255 pixels warn (:class:`UnscaledInputWarning`).  ``feedforward``, called
    once per example, checks parameters in full when they are new arrays, and
    otherwise refuses a NaN or infinity in them by the non-finite ``z`` it
    gives, after the pass.  The methods over whole data sets set numpy's BLAS
    threads from the sizes of their products (:mod:`blas`), or to
    ``blas_threads=``.
    """

    def __init__(self, sizes: list[int], init: str | Callable = "randn",
                 seed: int | None = None, *, bias_init: str | float | Callable | None = None,
                 activation: str = "sigmoid", cost: str | type = "quadratic",
                 dtype=np.float64) -> None:
        self.sizes = checks.check_sizes(sizes)
        self.num_layers = len(self.sizes)
        self.activation = checks.check_choice("activation", activation, ACTIVATIONS)
        self.cost = cost_name(cost)
        self.dtype = checks.check_dtype(dtype)
        self.seed = checks.check_seed(seed)
        self.rng = np.random.default_rng(self.seed)
        self.init = init if isinstance(init, str) else getattr(init, "__name__", repr(init))
        self.biases, self.weights = parameters.initial(init, bias_init, self.rng, self.sizes,
                                                       self.dtype)

    def feedforward(self, a: np.ndarray) -> np.ndarray:
        """Return the output of the network if ``a`` is input: a column
        ``(n_in, 1)`` (or ``(n_in,)``) gives ``(n_out, 1)``; ``(n_in, k)`` holds
        ``k`` inputs as columns and gives ``(n_out, k)``.  Each layer computes
        ``a' = f(w a + b)`` (the book's eq. 22), here on ``a.T``, a row."""
        a = self._input_rows(a)
        squares = 0.0  # of every z: inf or NaN when a parameter is
        for w, b, f in zip(self.weights, self.biases, self._layer_functions()):
            z = np.dot(a, w.T)
            z += b.T
            squares += np.vdot(z, z)
            a = f(z)  # in place
        if not squares < math.inf:
            parameters.check(self)  # which parameter, and where
        return a.T

    def SGD(self, training_data, epochs: int, mini_batch_size: int, eta: float,
            test_data=None, *, lmbda: float = 0.0, evaluation_data=None,
            monitor_evaluation_cost: bool = False, monitor_evaluation_accuracy: bool = False,
            monitor_training_cost: bool = False, monitor_training_accuracy: bool = False,
            verbose: bool = True, callback: Callable | None = None,
            blas_threads: int | None = None, compiled: bool = False) -> History:
        """Train the network using mini-batch stochastic gradient descent.

        Each epoch shuffles ``training_data`` (the book's list of ``(x, y)`` or
        an ``(X, y)`` pair of arrays) with the network's generator and takes
        one step of :meth:`update_mini_batch` per mini-batch (``lmbda``: L2
        weight decay, ch. 3).  Then the figures of ``test_data``,
        ``evaluation_data`` and the ``monitor_*`` flags are recorded in the
        returned :class:`History` and, with ``verbose``, printed as the book
        prints them (:func:`nndl.training.record`).  ``callback(epoch, net,
        history)`` runs last; returning ``False`` stops training.
        ``compiled=True`` trains each epoch in one compiled call
        (:mod:`nndl.compiled`, the optional extra ``fast``): faster, the same
        numbers to float tolerance, not bit for bit.
        """
        monitor = training.Monitor(monitor_evaluation_cost, monitor_evaluation_accuracy,
                                   monitor_training_cost, monitor_training_accuracy)
        run = training.checked_run(self, training_data, epochs, mini_batch_size, eta,
                                   test_data, lmbda, evaluation_data, monitor, verbose, callback)
        history, step = History(), training.step_for(self, run, compiled)
        with blas.threads(self.sizes, run.mini_batch_size, blas_threads):
            for j in range(run.epochs):
                start = time.perf_counter()
                # update_mini_batch's step on each mini-batch, fused (nndl.fused)
                with training.change_watch(self, j, run.eta):  # warns of an epoch that did nothing
                    step.epoch(run.train, run.mini_batch_size, self.rng)
                history.seconds.append(time.perf_counter() - start)
                lines = training.record(self, history, j, run)
                if verbose:
                    print("\n".join(lines), flush=True)
                if callback is not None:
                    arrays, finite = parameters.held(self), parameters.finite(self)
                    if callback(j, self, history) is False:
                        break
                    # the callback may have assigned or edited them; weights
                    # that training made infinite were warned about (record)
                    if finite or parameters.held(self) != arrays:
                        parameters.check(self, writable=True)
                        step = training.step_for(self, run, compiled)
        return history

    def update_mini_batch(self, mini_batch, eta: float, lmbda: float = 0.0, n: int = 1) -> None:
        """Update the weights and biases by one gradient-descent step on
        ``mini_batch`` (the book's list of ``(x, y)``, or an ``(X, y)`` pair of
        arrays): ``w -> (1 - eta lmbda / n) w - (eta / m) sum_x nabla_w C_x``
        and ``b -> b - (eta / m) sum_x nabla_b C_x`` (ch. 1, eq. 20-21; ch. 3,
        eq. 93), ``m`` the examples, ``n`` the training set's size.  The
        gradient is :meth:`backprop`'s, computed by the fused step.  A step
        that overflows warns :class:`TrainingDivergedWarning`, as ``SGD`` does.

        Its products run on the BLAS threads in force (the user's setting;
        OpenBLAS starts one per core): unlike ``SGD`` it does not choose them
        (:mod:`blas`), as setting them at every call would slow the book's
        small steps.  A product split between threads may round otherwise, so
        for ``SGD``'s very numbers, step inside ``with
        blas.threads(net.sizes, mini_batch_size):``, as ``SGD`` does."""
        eta = checks.check_positive("eta", eta)
        lmbda = checks.check_nonnegative("lmbda", lmbda)
        n = checks.check_count("n", n, minimum=1)
        d = self._data(mini_batch, "mini_batch", writable=True)
        checks.check_step_fits(eta, lmbda, n, len(d), self.dtype)
        with training.diverge_watch(eta):  # one warning, not numpy's
            training.Step(self, eta, lmbda, n, {len(d)})(d.X, d.Y)

    def backprop(self, x: np.ndarray, y) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Return ``(nabla_b, nabla_w)``, the gradient of the cost for the
        example ``(x, y)``, layer by layer in the shapes of the biases and
        weights; ``x`` may also hold a mini-batch as columns ``(n_in, m)`` and
        ``y`` its targets ``(n_out, m)`` or labels ``(m,)``: the gradients are
        then summed over it.  The book's four equations (ch. 2), on rows."""
        X, Y = self._batch(x, y)
        acts = [X]  # feedforward, keeping every layer's activation
        for w, b, f in zip(self.weights, self.biases, self._layer_functions()):
            acts.append(f(acts[-1] @ w.T + b.T))
        # BP1, the output error delta = dC/da * f'(z): a - y for cross-entropy
        # with sigmoid outputs (ch. 3, eq. 66) and for the log-likelihood with
        # softmax outputs; the quadratic cost keeps sigma'(z) = a (1 - a).
        delta = self.cost_derivative(acts[-1], Y)
        if self.cost == "quadratic":
            delta *= activations.sigmoid_prime_from_output(acts[-1])
        prime = activations.TABLE[self.activation].prime
        nabla_b, nabla_w = [None] * len(self.weights), [None] * len(self.weights)
        for l in range(len(self.weights) - 1, -1, -1):
            nabla_b[l] = delta.sum(axis=0).reshape(-1, 1)  # BP3: dC/db = delta
            nabla_w[l] = delta.T @ acts[l]  # BP4: dC/dw = a_in delta
            if l > 0:  # BP2: delta_l = (w_{l+1}^T delta_{l+1}) * f'(z_l)
                delta = (delta @ self.weights[l]) * prime(acts[l])
        return nabla_b, nabla_w

    def evaluate(self, test_data, *, blas_threads: int | None = None) -> int:
        """Return the number of test inputs for which the network outputs the
        correct result: the index of its most active output neuron."""
        return self._measure(test_data, "test_data", blas_threads)[0]

    def cost_derivative(self, output_activations: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Return the vector of partial derivatives dC_x/da of the quadratic
        cost for the output activations (arrays, lists or numbers; float64
        unless both are float32)."""
        a = activations.float_copy(output_activations, "cost_derivative")
        return activations.scalar_or_array(a - activations.float_copy(y, "cost_derivative"))

    # ---- what this version adds to the book's ----------------------------

    def accuracy(self, data, *, blas_threads: int | None = None) -> float:
        """The fraction of ``data`` classified correctly."""
        correct, _, size = self._measure(data, "data", blas_threads)
        return correct / size

    def total_cost(self, data, lmbda: float = 0.0, n: int | None = None, *,
                   blas_threads: int | None = None) -> float:
        """The mean cost over ``data`` plus the L2 term ``lmbda/(2n) sum w^2``
        (``n`` defaults to ``len(data)``, as in ``network2.py``)."""
        lmbda = checks.check_nonnegative("lmbda", lmbda)
        n = None if n is None else checks.check_count("n", n, minimum=1)
        return self._measure(data, "data", blas_threads, lmbda, n)[1]

    def gradient(self, data, *, blas_threads: int | None = None
                 ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The mean gradient of the cost (without the L2 term) over ``data``,
        in the shapes of ``backprop``.  Chapter 5 looks at its norms per layer."""
        d = self._data(data, "data")
        with blas.threads(self.sizes, len(d), blas_threads):
            return fused.backprop(fused.plan(self), d.X, d.Y, 1.0 / len(d))

    def predict(self, X: np.ndarray, *, blas_threads: int | None = None) -> np.ndarray:
        """The predicted label of each row of ``X`` (n, n_in)."""
        zs, _ = self._forward(X, blas_threads, "predict")
        return zs[-1].argmax(axis=1)

    def forward(self, X: np.ndarray, *, blas_threads: int | None = None
                ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Feed the rows of ``X`` (n, n_in) forward; return ``(zs, activations)``:
        ``zs[l]`` (n, sizes[l+1]) the weighted inputs of layer ``l+1`` and
        ``activations[l]`` (n, sizes[l]) the outputs of layer ``l``, starting
        with ``activations[0] = X``.  The saturation experiment looks at them."""
        return self._forward(X, blas_threads, "forward")

    def save(self, path: str | os.PathLike) -> None:
        """Save to ``path``, ``.npz`` or ``.json``, atomically; never pickle."""
        persistence.save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Network:
        """Load a file of :meth:`save` or of the book's ``network2.save()``."""
        return persistence.load(cls, path)

    # ---- checks at the boundary (nndl.checks, nndl.data) -------------------

    def _data(self, data_set, what: str, writable: bool = False) -> Data:
        """The parameters checked (``writable``: to be trained), then
        ``data_set`` checked and laid out."""
        parameters.check(self, writable)
        return prepare(data_set, self.sizes[0], self.sizes[-1], self.dtype, what)

    def _measure(self, data, what: str, blas_threads: int | None, lmbda: float = 0.0,
                 n: int | None = None) -> tuple[int, float, int]:
        """Correct answers, total cost (:func:`nndl.fused.measure`) and size
        of ``data``, checked and laid out: both figures from one forward pass."""
        d = self._data(data, what)
        return (*training.figures(self, d, lmbda, n, blas_threads), len(d))

    def _forward(self, X, blas_threads: int | None, what: str):
        parameters.check(self)
        X = rows(X, self.sizes[0], self.dtype, what)
        with blas.threads(self.sizes, len(X), blas_threads):
            zs = []
            return zs, fused.forward(fused.plan(self), X, zs)

    def _batch(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """``backprop``'s example ``(x, y)``, or mini-batch of columns, as rows."""
        x_ = np.asarray(x)
        many = x_.ndim == 2 and x_.shape[1] > 1
        pair = (x_.T, np.asarray(y).T) if many else [(x, y)]
        d = self._data(pair, "backprop")
        return d.X, d.Y

    def _layer_functions(self) -> list[Callable]:
        return fused.layer_functions(self.activation, self.cost, self.num_layers - 1)

    def _input_rows(self, a) -> np.ndarray:
        """``feedforward``'s input as rows, checked cheaply: the parameters in
        full only when they are not the arrays last checked; the input in full
        (:func:`nndl.data.rows`) unless it is one column whose sum of squares
        is at most ``n_in``: that sum is finite only for finite inputs, and
        bounds their sum by ``n_in`` (Cauchy-Schwarz), so such an input cannot
        look like raw pixels.  BLAS's dot computes it faster than numpy's sum."""
        a = columns(a, self.sizes[0])
        params, checked = (*self.weights, *self.biases), getattr(self, "_checked", ())
        if len(params) != len(checked) or not all(map(operator.is_, params, checked)):
            parameters.check(self)
            self._checked = (*self.weights, *self.biases)
        if a.dtype == self.dtype and a.shape[1] == 1 and np.vdot(a, a) <= len(a):
            return a.T
        return rows(a.T, self.sizes[0], self.dtype, "feedforward")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The sigmoid function, ``1 / (1 + exp(-z))`` (the book, ch. 1), for any
    ``z`` without overflow (:func:`nndl.activations.sigmoid`)."""
    return activations.sigmoid(z)


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid function, ``sigmoid(z) * (1 - sigmoid(z))``."""
    return activations.sigmoid_prime(z)
