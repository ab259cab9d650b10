"""experiments.their_network
~~~~~~~~~~~~~~~~~~~~~~~~~~~

A newcomer's own network, written as the book's network.py (chapter 1) is: a
class with ``np.random.randn`` weights and per-example loops, and the bugs
that newcomers write, one subclass each.  ``experiments.diagnoses`` and the
tests diagnose these, and it is the file of the guide's command line:

    python -m diagnostics --code experiments/their_network.py \
        --class FlippedCostDerivative --eta 3.0
"""

# A newcomer's code draws from numpy's global generator, as the book's does;
# the tests seed it through diagnostics.userfile.construct, as the CLI does.
# ruff: noqa: NPY002

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class Network:
    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)

    def cost_derivative(self, output_activations, y):
        return output_activations - y


class RandNetwork(Network):
    """The question this project started from: ``np.random.rand`` draws."""

    def __init__(self, sizes):
        super().__init__(sizes)
        self.biases = [np.random.rand(y, 1) for y in sizes[1:]]
        self.weights = [np.random.rand(y, x) for x, y in zip(sizes[:-1], sizes[1:])]


class FlippedCostDerivative(Network):
    def cost_derivative(self, output_activations, y):
        return y - output_activations


class NoMeanUpdate(Network):
    """Forgets to divide by len(mini_batch)."""

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - eta * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - eta * nb for b, nb in zip(self.biases, nabla_b)]


class FrozenBiases(Network):
    """Never updates its biases."""

    def update_mini_batch(self, mini_batch, eta):
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]


class NoSigmoidPrime(Network):
    """Forgets sigma'(z) in the hidden layers' delta."""

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            delta = np.dot(self.weights[-l + 1].transpose(), delta)
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class SignFlippedUpdate(Network):
    """Adds the gradient instead of subtracting it."""

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w + (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b + (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]


class WrongL2(Network):
    """Chapter 3's L2 update, shrinking by eta*lmbda/len(mini_batch) instead of
    eta*lmbda/n (n the training set's size)."""

    def update_mini_batch(self, mini_batch, eta, lmbda, n):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [(1 - eta * (lmbda / len(mini_batch))) * w - (eta / len(mini_batch)) * nw
                        for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]


class RightL2(WrongL2):
    def update_mini_batch(self, mini_batch, eta, lmbda, n):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [(1 - eta * (lmbda / n)) * w - (eta / len(mini_batch)) * nw
                        for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]


class TanhFeedforward(Network):
    """Uses tanh in feedforward, the sigmoid everywhere else."""

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = np.tanh(np.dot(w, a) + b)
        return a


class NoBiasFeedforward(Network):
    """Forgets the biases in feedforward (backprop has them)."""

    def feedforward(self, a):
        for w in self.weights:
            a = sigmoid(np.dot(w, a))
        return a


class OnlyWeights:
    """Not a network class at all: just the book's lists, in an object."""

    def __init__(self, weights, biases):
        self.weights = weights
        self.biases = biases


class TransposedProduct(Network):
    """Multiplies the output layer's delta the wrong way round."""

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(activations[-2], delta.transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class AliasedBiases(Network):
    """Two hidden layers of the same width share one bias array (the same
    object twice in the list), and the update changes the arrays in place."""

    def __init__(self, sizes):
        super().__init__(sizes)
        shared = self.biases[0]
        self.biases = [shared if b.shape == shared.shape else b for b in self.biases]

    def update_mini_batch(self, mini_batch, eta):
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            for w, dnw in zip(self.weights, delta_nabla_w):
                w -= (eta / len(mini_batch)) * dnw
            for b, dnb in zip(self.biases, delta_nabla_b):
                b -= (eta / len(mini_batch)) * dnb


class DecayWithoutN(Network):
    """Chapter 3's L2 update with (1 - eta * lmbda) for (1 - eta * lmbda / n)."""

    def update_mini_batch(self, mini_batch, eta, lmbda=5.0):
        before = self.weights
        super().update_mini_batch(mini_batch, eta)
        # the L2 term, added after the book's step: eta * lmbda * w, not / n
        self.weights = [w - eta * lmbda * w0 for w, w0 in zip(self.weights, before)]


class NeedsCost(Network):
    """A constructor that takes more than the sizes (the command line cannot build it)."""

    def __init__(self, sizes, cost):
        super().__init__(sizes)
        self.cost_name = cost


class StaleNabla(Network):
    """Keeps the gradient sums on self and never resets them: the first call
    is the book's step, every later one adds all the earlier gradients."""

    def update_mini_batch(self, mini_batch, eta):
        if not hasattr(self, "nabla_b"):
            self.nabla_b = [np.zeros(b.shape) for b in self.biases]
            self.nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            self.nabla_b = [nb + dnb for nb, dnb in zip(self.nabla_b, delta_nabla_b)]
            self.nabla_w = [nw + dnw for nw, dnw in zip(self.nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw
                        for w, nw in zip(self.weights, self.nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb
                       for b, nb in zip(self.biases, self.nabla_b)]


class DecayingEta(Network):
    """Halves its learning rate at every call (a schedule kept on self): the
    first call is the book's step, the second half of it."""

    def update_mini_batch(self, mini_batch, eta):
        self.calls = getattr(self, "calls", 0) + 1
        super().update_mini_batch(mini_batch, eta / 2 ** (self.calls - 1))


class BiasGetsNablaW(Network):
    """Updates the biases with nabla_w: numpy broadcasts (30, 1) - (30, 784)."""

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_w)]


class TransposedBiasStep(Network):
    """Subtracts the bias gradient as a row: (30, 1) - (1, 30) broadcasts to (30, 30)."""

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb.T for b, nb in zip(self.biases, nabla_b)]


class NoOutputSigmaPrime(Network):
    """Leaves sigma'(z) out of the output delta only: with cost_derivative's
    a - y that is the cross-entropy cost's gradient (the book, ch. 3)."""

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activations, zs = [x], []
        for b, w in zip(self.biases, self.weights):
            zs.append(np.dot(w, activations[-1]) + b)
            activations.append(sigmoid(zs[-1]))
        delta = self.cost_derivative(activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sigmoid_prime(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


def neg_sigmoid(z):
    return 1.0 / (1.0 + np.exp(z))  # the sign of z slipped


class NegSigmoid(Network):
    """Writes sigma as 1 / (1 + e^z) in feedforward and backprop: trained, its
    outputs collapse to 0 everywhere, which lowers the quadratic cost too."""

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = neg_sigmoid(np.dot(w, a) + b)
        return a

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activations, zs = [x], []
        for b, w in zip(self.biases, self.weights):
            zs.append(np.dot(w, activations[-1]) + b)
            activations.append(neg_sigmoid(zs[-1]))
        delta = self.cost_derivative(activations[-1], y) * activations[-1] * (1 - activations[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            a = activations[-l]
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * a * (1 - a)
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class SwappedReturn(Network):
    """backprop returns (nabla_w, nabla_b); the update unpacks the book's order."""

    def backprop(self, x, y):
        nabla_b, nabla_w = super().backprop(x, y)
        return (nabla_w, nabla_b)


class SwappedUnpack(Network):
    """The update unpacks backprop's (nabla_b, nabla_w) the other way round."""

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_w, delta_nabla_b = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]


class WrongWeightIndex(Network):
    """Sends delta back through self.weights[-l] for [-l + 1]: a shape error
    raised inside their own backprop."""

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activations, zs = [x], []
        for b, w in zip(self.biases, self.weights):
            zs.append(np.dot(w, activations[-1]) + b)
            activations.append(sigmoid(zs[-1]))
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            delta = np.dot(self.weights[-l].transpose(), delta) * sigmoid_prime(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class ReversedProductFeedforward(Network):
    """Multiplies a by w the wrong way round in feedforward: a shape error."""

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(a, w) + b)
        return a
