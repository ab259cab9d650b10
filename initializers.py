"""initializers
~~~~~~~~~~~~

Named schemes for the starting weights and biases of a fully connected layer.

A layer maps ``fan_in`` inputs to ``fan_out`` outputs.  As in the book (and in
``torch.nn.Linear``) its weight matrix has shape ``(fan_out, fan_in)``: row
``j`` holds the weights into neuron ``j``, so ``z = w @ a + b``.  The bias is a
column of shape ``(fan_out, 1)``.  Hence, for a weight shape ``(rows, cols)``::

    fan_in  = cols   # how many inputs each neuron sums over
    fan_out = rows   # how many neurons read each input

Why the scale matters.  A neuron's weighted input is ``z = sum_k w_k x_k + b``.
If the ``w_k`` are independent with mean ``m`` and variance ``v`` then
``E[z] = m * sum_k x_k + E[b]`` and ``Var[z] = v * sum_k x_k**2 + Var[b]``.
For MNIST (784 inputs, about 100 of them bright) ``numpy.random.rand`` gives
``m = 0.5``, so ``z`` is around +50: the sigmoid is flat there, ``sigma'(z)`` is
about ``e**-50`` and no gradient flows.  Zero-mean schemes whose variance
shrinks like ``1/fan_in`` keep ``z`` of order 1, where the sigmoid still bends.

Every draw takes a ``numpy.random.Generator``: the same seed gives the same
numbers, bit for bit.

Each scheme is a :class:`Scheme` of two functions, one for the weights and one
for the biases, each called as ``f(rng, shape, dtype)``.  Look one up with
:func:`get`, list them with :func:`names`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Shape = tuple[int, int]
Draw = Callable[..., np.ndarray]  # f(rng, shape, dtype=np.float64) -> array of `shape`


def fans(shape: Shape) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight matrix of shape ``(fan_out, fan_in)``."""
    if len(shape) != 2:
        raise ValueError(f"a weight shape has 2 dimensions (fan_out, fan_in); got {shape}")
    fan_out, fan_in = shape
    return fan_in, fan_out


# --------------------------------------------------------------------------
# Weight draws.  Each states its formula, its fan convention and its source.
# --------------------------------------------------------------------------


def uniform_01(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """``U[0, 1)``: what ``numpy.random.rand`` gives.

    Mean 1/2, variance 1/12, every value positive.  No fan is used, which is the
    trouble: ``z`` grows like ``fan_in / 2`` and saturates the sigmoid.
    """
    return rng.random(shape, dtype=dtype)


def standard_normal(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """``N(0, 1)``: what ``numpy.random.randn`` gives; the book's ``network.py``.

    Zero mean, but variance 1 whatever the fan, so ``Var[z] = sum_k x_k**2 + 1``
    (about 100 for MNIST): many hidden units start saturated yet learn.
    """
    return rng.standard_normal(shape, dtype=dtype)


def zeros(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """All 0.  Draws nothing: every neuron of a layer is the same function of
    its inputs, gets the same gradient, and so stays the same (symmetry is never
    broken)."""
    return np.zeros(shape, dtype=dtype)


def scaled_normal(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """``N(0, 1/fan_in)``: the book's chapter 3 ``default_weight_initializer``.

    Nielsen, *Neural Networks and Deep Learning*, ch. 3, "Weight initialization".
    Same as LeCun normal: ``std = 1/sqrt(fan_in)``.
    """
    fan_in, _ = fans(shape)
    return _normal(rng, shape, dtype, 1.0 / math.sqrt(fan_in))


def xavier_uniform(
    rng: np.random.Generator, shape: Shape, dtype=np.float64, gain: float = 1.0
) -> np.ndarray:
    """``U[-b, b]`` with ``b = gain * sqrt(6 / (fan_in + fan_out))``.

    Glorot & Bengio (2010), "Understanding the difficulty of training deep
    feedforward neural networks", eq. 16.  Variance ``b**2 / 3 =
    gain**2 * 2 / (fan_in + fan_out)``: the compromise between keeping the
    forward signal (``1/fan_in``) and the backward gradient (``1/fan_out``).
    """
    fan_in, fan_out = fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _uniform(rng, shape, dtype, bound)


def glorot_standard(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """``U[-b, b]`` with ``b = 1 / sqrt(fan_in)``: variance ``1 / (3 fan_in)``.

    Glorot & Bengio (2010), the "commonly used heuristic" of their
    experimental setting, which they call *standard* initialization and
    compare with their *normalized* one (``xavier_uniform``).  Its variance
    is a third of what keeps ``Var[z]`` steady, so with ``tanh`` the
    activations and gradients shrink from layer to layer (the paper's
    Figures 6 and 7).
    """
    fan_in, _ = fans(shape)
    return _uniform(rng, shape, dtype, 1.0 / math.sqrt(fan_in))


def xavier_normal(
    rng: np.random.Generator, shape: Shape, dtype=np.float64, gain: float = 1.0
) -> np.ndarray:
    """``N(0, sigma**2)`` with ``sigma**2 = gain**2 * 2 / (fan_in + fan_out)``.

    Glorot & Bengio (2010), normal variant of eq. 16.  Note: the often-quoted
    ``sqrt(2 / (fan_in + fan_out))`` is the standard deviation ``sigma``, not
    the variance.
    """
    fan_in, fan_out = fans(shape)
    return _normal(rng, shape, dtype, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def lecun_normal(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """``N(0, 1/fan_in)``.

    LeCun, Bottou, Orr & Mueller (1998), "Efficient BackProp", section 4.6.
    """
    return scaled_normal(rng, shape, dtype)


def lecun_uniform(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """``U[-b, b]`` with ``b = sqrt(3 / fan_in)``, so the variance is ``1/fan_in``.

    LeCun et al. (1998), "Efficient BackProp", section 4.6.
    """
    fan_in, _ = fans(shape)
    return _uniform(rng, shape, dtype, math.sqrt(3.0 / fan_in))


def he_normal(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """``N(0, 2/fan_in)``, for ReLU layers.

    He, Zhang, Ren & Sun (2015), "Delving Deep into Rectifiers", eq. 10.  ReLU
    zeroes half of its inputs, so the variance is doubled to keep
    ``Var[z]`` constant from layer to layer (``gain = sqrt(2)``, fan-in mode).
    """
    fan_in, _ = fans(shape)
    return _normal(rng, shape, dtype, math.sqrt(2.0 / fan_in))


def he_uniform(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """``U[-b, b]`` with ``b = sqrt(6 / fan_in)``, so the variance is ``2/fan_in``.

    He et al. (2015), uniform variant of eq. 10.
    """
    fan_in, _ = fans(shape)
    return _uniform(rng, shape, dtype, math.sqrt(6.0 / fan_in))


def _normal(rng: np.random.Generator, shape: Shape, dtype, std: float) -> np.ndarray:
    w = rng.standard_normal(shape, dtype=dtype)
    w *= std  # in place: one array, and the same numbers for any dtype path
    return w


def _uniform(rng: np.random.Generator, shape: Shape, dtype, bound: float) -> np.ndarray:
    # rng.uniform has no dtype argument; scaling U[0, 1) keeps float32 exact.
    w = rng.random(shape, dtype=dtype)
    w *= 2 * bound
    w -= bound
    return w


def calculate_gain(activation: str) -> float:
    """The gain that keeps ``Var[z]`` steady through ``activation``, as in PyTorch.

    ``sigmoid`` 1, ``tanh`` 5/3, ``relu`` sqrt(2), ``linear`` 1.
    """
    gains = {"sigmoid": 1.0, "linear": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0)}
    if activation not in gains:
        raise ValueError(f"unknown activation {activation!r}; valid: {', '.join(sorted(gains))}")
    return gains[activation]


# --------------------------------------------------------------------------
# The registry: a scheme is a weight draw, a bias draw and their moments.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scheme:
    """A named initialization: how to draw weights and biases.

    ``weight_moments(fan_in, fan_out)`` and ``bias_moments`` give the mean and
    variance of one drawn entry, from the formula; the experiments use them to
    predict the spread of ``z`` and the tests to check the draws.
    """

    name: str
    weights: Draw
    biases: Draw
    weight_moments: Callable[[int, int], tuple[float, float]]
    bias_moments: tuple[float, float]
    summary: str


def _const(mean: float, var: float) -> Callable[[int, int], tuple[float, float]]:
    return lambda fan_in, fan_out: (mean, var)


_SCHEMES = [
    Scheme("rand", uniform_01, uniform_01, _const(0.5, 1 / 12), (0.5, 1 / 12),
           "w, b ~ U[0, 1)  (numpy.random.rand; the question's bug)"),
    Scheme("randn", standard_normal, standard_normal, _const(0.0, 1.0), (0.0, 1.0),
           "w, b ~ N(0, 1)  (numpy.random.randn; the book's network.py)"),
    Scheme("zeros", zeros, zeros, _const(0.0, 0.0), (0.0, 0.0),
           "w = b = 0  (symmetry never broken)"),
    Scheme("xavier_uniform", xavier_uniform, zeros,
           lambda fi, fo: (0.0, 2.0 / (fi + fo)), (0.0, 0.0),
           "w ~ U[-b, b], b = sqrt(6/(fan_in+fan_out)); b = 0  (Glorot & Bengio 2010)"),
    Scheme("glorot_standard", glorot_standard, zeros,
           lambda fi, fo: (0.0, 1.0 / (3.0 * fi)), (0.0, 0.0),
           "w ~ U[-1/sqrt(fan_in), +]; b = 0  (Glorot & Bengio 2010's 'standard')"),
    Scheme("xavier_normal", xavier_normal, zeros,
           lambda fi, fo: (0.0, 2.0 / (fi + fo)), (0.0, 0.0),
           "w ~ N(0, 2/(fan_in+fan_out)); b = 0  (Glorot & Bengio 2010)"),
    Scheme("chapter3", scaled_normal, standard_normal,
           lambda fi, fo: (0.0, 1.0 / fi), (0.0, 1.0),
           "w ~ N(0, 1/fan_in); b ~ N(0, 1)  (the book's chapter 3 default)"),
    Scheme("lecun_normal", lecun_normal, zeros,
           lambda fi, fo: (0.0, 1.0 / fi), (0.0, 0.0),
           "w ~ N(0, 1/fan_in); b = 0  (LeCun et al. 1998)"),
    Scheme("lecun_uniform", lecun_uniform, zeros,
           lambda fi, fo: (0.0, 1.0 / fi), (0.0, 0.0),
           "w ~ U[-sqrt(3/fan_in), +]; b = 0  (LeCun et al. 1998)"),
    Scheme("he_normal", he_normal, zeros,
           lambda fi, fo: (0.0, 2.0 / fi), (0.0, 0.0),
           "w ~ N(0, 2/fan_in); b = 0  (He et al. 2015, for ReLU)"),
    Scheme("he_uniform", he_uniform, zeros,
           lambda fi, fo: (0.0, 2.0 / fi), (0.0, 0.0),
           "w ~ U[-sqrt(6/fan_in), +]; b = 0  (He et al. 2015, for ReLU)"),
]
SCHEMES: dict[str, Scheme] = {s.name: s for s in _SCHEMES}

# The five schemes of the original question, in the order it names them.
QUESTION_SCHEMES = ("rand", "randn", "zeros", "xavier_uniform", "xavier_normal")


def names() -> list[str]:
    """Every valid scheme name, for ``--help`` texts and error messages."""
    return list(SCHEMES)


def get(name: str) -> Scheme:
    """The scheme called ``name``; a ``ValueError`` listing the valid names otherwise."""
    try:
        return SCHEMES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown initializer {name!r}; valid names: {', '.join(names())}"
        ) from None


def bias_draw(name: str) -> Draw:
    """The bias draw of scheme ``name``, for ``Network(..., bias_init=name)``."""
    return get(name).biases
