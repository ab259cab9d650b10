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

The module has four parts:

* :class:`VarianceScaling` (made by :func:`variance_scaling`), the one general
  scheme, Keras's model: ``Var[w] = scale / n`` with ``n`` a fan, drawn from a
  normal, a truncated normal or a uniform.  Glorot/Xavier, He/Kaiming, LeCun and
  Glorot's "standard" scheme are presets of it, so their formulas live there.
* the schemes that are not fan-scaled: ``rand``, ``randn``, ``zeros``,
  PyTorch's ``trunc_normal_``, ``orthogonal_``, ``sparse_`` and ``eye_``.
* the registry: a :class:`Scheme` pairs a weight draw with a bias draw and the
  mean and variance of one drawn entry.  Look one up with :func:`get`, list
  them with :func:`names`.
* :func:`calculate_gain` (PyTorch's table) and :func:`lsuv`, the data-dependent
  initialization of a whole network (Mishkin & Matas 2015).

Every draw is a function ``f(rng, shape, dtype)`` of a
``numpy.random.Generator``: the same seed gives the same numbers, bit for bit,
and nothing is drawn from any other source.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import blas

Shape = tuple[int, int]
Draw = Callable[..., np.ndarray]  # f(rng, shape, dtype=np.float64) -> array of `shape`

MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("normal", "truncated_normal", "uniform")
# The standard deviation of N(0, 1) truncated to [-2, 2]: Keras divides the sd
# by it, so that the variance after truncation is the one asked for.
TRUNCATED_NORMAL_SD = 0.87962566103423978


def fans(shape: Shape) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight matrix of shape ``(fan_out, fan_in)``."""
    if len(shape) != 2:
        raise ValueError(f"a weight shape has 2 dimensions (fan_out, fan_in); got {shape}")
    fan_out, fan_in = shape
    return fan_in, fan_out


# --------------------------------------------------------------------------
# The general scheme: variance scaling.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class VarianceScaling:
    """Weights of variance ``gain**2 * scale / n``, ``n`` set by ``mode``.

    This is Keras's ``VarianceScaling(scale, mode, distribution)``, with
    PyTorch's ``gain`` as well (``torch.nn.init`` multiplies the standard
    deviation by it; Keras has none, so it defaults to 1)::

        mode="fan_in":   n = fan_in                  (forward signal kept)
        mode="fan_out":  n = fan_out                 (backward gradient kept)
        mode="fan_avg":  n = (fan_in + fan_out) / 2  (Glorot's compromise)

        distribution="normal":            N(0, v),            v = gain**2 * scale / n
        distribution="uniform":           U[-b, b],           b = sqrt(3 v)
        distribution="truncated_normal":  N(0, (sqrt(v) / 0.87962566103423978)**2)
                                          redrawn outside 2 of its sd

    The truncated normal's sd is divided by 0.8796..., the sd of N(0, 1) cut
    to [-2, 2], so that the variance *after* truncation is ``v``, as in Keras
    (PyTorch's ``trunc_normal_`` does not correct it, and its bounds are
    absolute numbers, not multiples of the sd: see :func:`trunc_normal`).

    An instance is a weight draw, ``vs(rng, shape, dtype)``, and gives its
    moments, ``vs.moments(fan_in, fan_out) -> (0, v)``.  The fan-scaled
    presets:

    ============================  =====  ========  ================  ==========================
    scheme                        scale  mode      distribution      source
    ============================  =====  ========  ================  ==========================
    ``xavier_normal``             1      fan_avg   normal            Glorot & Bengio 2010
    ``xavier_uniform``            1      fan_avg   uniform           Glorot & Bengio 2010
    ``xavier_truncated_normal``   1      fan_avg   truncated_normal  Keras ``GlorotNormal``
    ``lecun_normal``              1      fan_in    normal            LeCun et al. 1998
    ``lecun_uniform``             1      fan_in    uniform           LeCun et al. 1998
    ``lecun_truncated_normal``    1      fan_in    truncated_normal  Keras ``LecunNormal``
    ``he_normal``                 2      fan_in    normal            He et al. 2015
    ``he_uniform``                2      fan_in    uniform           He et al. 2015
    ``he_truncated_normal``       2      fan_in    truncated_normal  Keras ``HeNormal``
    ``glorot_standard``           1/3    fan_in    uniform           Glorot & Bengio 2010, eq. 1
    ============================  =====  ========  ================  ==========================

    Source: Keras, ``keras.initializers.VarianceScaling``; the papers above.
    """

    scale: float = 1.0
    mode: str = "fan_in"
    distribution: str = "truncated_normal"
    gain: float = 1.0

    def __post_init__(self) -> None:
        for what, value in (("scale", self.scale), ("gain", self.gain)):
            if not _is_number(value) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"variance scaling: {what} must be a positive finite number, "
                                 f"got {value!r}")
        if self.mode not in MODES:
            raise ValueError(f"variance scaling: unknown mode {self.mode!r}; "
                             f"valid: {', '.join(MODES)}")
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"variance scaling: unknown distribution {self.distribution!r}; "
                             f"valid: {', '.join(DISTRIBUTIONS)}")

    def _quotient(self, fan_in: int, fan_out: int) -> tuple[float, int]:
        """``(c, m)`` with ``scale / n = scale * c / m``.  ``fan_avg`` is written
        ``2 / (fan_in + fan_out)``, as Glorot & Bengio (and PyTorch) write it."""
        c, m = {"fan_in": (1.0, fan_in), "fan_out": (1.0, fan_out),
                "fan_avg": (2.0, fan_in + fan_out)}[self.mode]
        if m < 1:
            raise ValueError(f"variance scaling: {self.mode} must be at least 1, got "
                             f"fan_in {fan_in}, fan_out {fan_out}")
        return c, m

    def variance(self, fan_in: int, fan_out: int) -> float:
        """``gain**2 * scale / n``: the variance of one drawn weight."""
        c, m = self._quotient(fan_in, fan_out)
        return self.gain ** 2 * self.scale * c / m

    def moments(self, fan_in: int, fan_out: int) -> tuple[float, float]:
        """``(mean, variance)`` of one drawn weight: ``(0, gain**2 * scale / n)``."""
        return 0.0, self.variance(fan_in, fan_out)

    def spread(self, fan_in: int, fan_out: int) -> float:
        """The normal's sd, the uniform's bound ``b``, or the truncated normal's
        sd before truncation (its bounds are twice this)."""
        c, m = self._quotient(fan_in, fan_out)
        k = 3.0 if self.distribution == "uniform" else 1.0  # Var U[-b, b] = b**2 / 3
        s = self.gain * _sqrt_quotient(k * self.scale * c, m)
        return s / TRUNCATED_NORMAL_SD if self.distribution == "truncated_normal" else s

    def __call__(self, rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
        fan_in, fan_out = fans(shape)
        s = self.spread(fan_in, fan_out)
        if self.distribution == "uniform":
            return _uniform(rng, shape, dtype, s)
        if self.distribution == "normal":
            return _normal(rng, shape, dtype, s)
        w = _truncated_standard_normal(rng, shape, dtype, -2.0, 2.0)
        w *= s
        return w


def variance_scaling(scale: float = 1.0, mode: str = "fan_in",
                     distribution: str = "truncated_normal") -> VarianceScaling:
    """Keras's ``VarianceScaling(scale, mode, distribution)``: see :class:`VarianceScaling`.

    ``Network(sizes, init=variance_scaling(2.0, "fan_out", "uniform"))`` uses
    it directly; ``.moments(fan_in, fan_out)`` gives its mean and variance.
    Raises ``ValueError`` for a non-positive ``scale`` or an unknown ``mode``
    or ``distribution``.
    """
    return VarianceScaling(scale, mode, distribution)


def _is_number(x) -> bool:
    """A real number (numpy's too), not a bool."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool | np.bool_)


def _sqrt_quotient(num: float, den: int) -> float:
    """``sqrt(num / den)``.  For ``num == 1`` it is ``1 / sqrt(den)``: the book's
    chapter 3 code divides by ``np.sqrt(x)``, PyTorch computes ``gain /
    sqrt(fan)``, and this module always has.  Both forms are right to an ulp,
    but they differ in the last bit for about a quarter of fans, and the
    published draws depend on which one is used."""
    return 1.0 / math.sqrt(den) if num == 1 else math.sqrt(num / den)


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


def _truncated_standard_normal(rng: np.random.Generator, shape, dtype,
                               low: float, high: float) -> np.ndarray:
    """N(0, 1) conditioned on ``[low, high]``: every draw outside is drawn
    again, until none is (what TensorFlow's ``truncated_normal`` does).  The
    redraws come from ``rng`` in a fixed order, so the result is reproducible."""
    z = rng.standard_normal(shape, dtype=dtype)
    flat = z.reshape(-1)  # a view: writing to it writes to z
    todo = np.flatnonzero((flat < low) | (flat > high))
    while todo.size:
        new = rng.standard_normal(todo.size, dtype=dtype)
        ok = (new >= low) & (new <= high)
        flat[todo[ok]] = new[ok]
        todo = todo[~ok]
    return z


# --------------------------------------------------------------------------
# The fan-scaled named draws: presets of VarianceScaling.
# --------------------------------------------------------------------------


_LECUN_NORMAL = VarianceScaling(1.0, "fan_in", "normal")
_LECUN_UNIFORM = VarianceScaling(1.0, "fan_in", "uniform")
_LECUN_TRUNCATED = VarianceScaling(1.0, "fan_in", "truncated_normal")
_XAVIER_NORMAL = VarianceScaling(1.0, "fan_avg", "normal")
_XAVIER_UNIFORM = VarianceScaling(1.0, "fan_avg", "uniform")
_XAVIER_TRUNCATED = VarianceScaling(1.0, "fan_avg", "truncated_normal")
_GLOROT_STANDARD = VarianceScaling(1.0 / 3.0, "fan_in", "uniform")


def scaled_normal(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """``N(0, 1/fan_in)``: the book's chapter 3 ``default_weight_initializer``.

    Nielsen, *Neural Networks and Deep Learning*, ch. 3, "Weight initialization".
    Same as LeCun normal: ``std = 1/sqrt(fan_in)``.
    """
    return _LECUN_NORMAL(rng, shape, dtype)


def xavier_uniform(
    rng: np.random.Generator, shape: Shape, dtype=np.float64, gain: float = 1.0
) -> np.ndarray:
    """``U[-b, b]`` with ``b = gain * sqrt(6 / (fan_in + fan_out))``.

    Glorot & Bengio (2010), "Understanding the difficulty of training deep
    feedforward neural networks", eq. 16.  Variance ``b**2 / 3 =
    gain**2 * 2 / (fan_in + fan_out)``: the compromise between keeping the
    forward signal (``1/fan_in``) and the backward gradient (``1/fan_out``).
    PyTorch's ``xavier_uniform_``; Keras's ``GlorotUniform``.
    """
    return _with_gain(_XAVIER_UNIFORM, gain)(rng, shape, dtype)


def xavier_normal(
    rng: np.random.Generator, shape: Shape, dtype=np.float64, gain: float = 1.0
) -> np.ndarray:
    """``N(0, sigma**2)`` with ``sigma**2 = gain**2 * 2 / (fan_in + fan_out)``.

    Glorot & Bengio (2010), normal variant of eq. 16.  Note: the often-quoted
    ``sqrt(2 / (fan_in + fan_out))`` is the standard deviation ``sigma``, not
    the variance.  PyTorch's ``xavier_normal_`` (Keras's ``GlorotNormal`` is
    the truncated :func:`xavier_truncated_normal`).
    """
    return _with_gain(_XAVIER_NORMAL, gain)(rng, shape, dtype)


def xavier_truncated_normal(
    rng: np.random.Generator, shape: Shape, dtype=np.float64, gain: float = 1.0
) -> np.ndarray:
    """Variance ``gain**2 * 2 / (fan_in + fan_out)``, from a normal truncated at 2 sd.

    Keras's ``GlorotNormal``: ``VarianceScaling(1, "fan_avg",
    "truncated_normal")``; the sd before truncation is
    ``sqrt(2 / (fan_in + fan_out)) / 0.8796...`` so that the variance after it
    is Glorot & Bengio's (2010).  No value is further than 2 sd from 0.
    """
    return _with_gain(_XAVIER_TRUNCATED, gain)(rng, shape, dtype)


def glorot_standard(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """``U[-1/sqrt(fan_in), 1/sqrt(fan_in)]``, variance ``1 / (3 fan_in)``.

    Glorot & Bengio (2010), eq. 1: the "commonly used heuristic" that their
    normalized initialization (:func:`xavier_uniform`) is compared against; its
    variance is a third of what keeps ``Var[z]`` steady, so the signal shrinks
    layer by layer.  It is also the weight rule of PyTorch's ``nn.Linear``
    (``kaiming_uniform_(a=sqrt(5))``, whose bound is ``1/sqrt(fan_in)``).
    ``nn.Linear`` draws its biases from the same interval; this scheme's
    biases are 0, as in the paper (a bias draw sees only the bias's shape
    ``(fan_out, 1)``, not ``fan_in``).
    """
    return _GLOROT_STANDARD(rng, shape, dtype)


def lecun_normal(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """``N(0, 1/fan_in)``.

    LeCun, Bottou, Orr & Mueller (1998), "Efficient BackProp", section 4.6.
    PyTorch's ``kaiming_normal_(nonlinearity="linear")``.
    """
    return scaled_normal(rng, shape, dtype)


def lecun_uniform(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """``U[-b, b]`` with ``b = sqrt(3 / fan_in)``, so the variance is ``1/fan_in``.

    LeCun et al. (1998), "Efficient BackProp", section 4.6.  Keras's ``LecunUniform``.
    """
    return _LECUN_UNIFORM(rng, shape, dtype)


def lecun_truncated_normal(rng: np.random.Generator, shape: Shape,
                           dtype=np.float64) -> np.ndarray:
    """Variance ``1/fan_in``, from a normal truncated at 2 sd (sd corrected by 0.8796...).

    LeCun et al. (1998); Keras's ``LecunNormal``, ``VarianceScaling(1,
    "fan_in", "truncated_normal")``.
    """
    return _LECUN_TRUNCATED(rng, shape, dtype)


def _he(mode: str, negative_slope: float, distribution: str) -> VarianceScaling:
    """He et al.'s variance ``2 / ((1 + a**2) n)``: ``scale = 2 / (1 + a**2)``."""
    if not _is_number(negative_slope) or not math.isfinite(negative_slope):
        raise ValueError(f"negative_slope must be a finite number, got {negative_slope!r}")
    return VarianceScaling(2.0 / (1.0 + negative_slope ** 2), mode, distribution)


def he_normal(rng: np.random.Generator, shape: Shape, dtype=np.float64,
              mode: str = "fan_in", negative_slope: float = 0.0) -> np.ndarray:
    """``N(0, 2 / ((1 + a**2) n))``, for (leaky) ReLU layers; ``a = negative_slope``.

    He, Zhang, Ren & Sun (2015), "Delving Deep into Rectifiers", eq. 10 (eq.
    15 for the leaky slope ``a``).  ReLU zeroes half of its inputs, so the
    variance is doubled to keep ``Var[z]`` constant from layer to layer
    (``gain = sqrt(2)``).  ``mode="fan_in"`` (``n = fan_in``) keeps the forward
    signal, ``"fan_out"`` the backward gradient.  PyTorch's
    ``kaiming_normal_(a=negative_slope, mode=mode)``.
    """
    return _he(mode, negative_slope, "normal")(rng, shape, dtype)


def he_uniform(rng: np.random.Generator, shape: Shape, dtype=np.float64,
               mode: str = "fan_in", negative_slope: float = 0.0) -> np.ndarray:
    """``U[-b, b]`` with ``b = sqrt(6 / ((1 + a**2) n))``: variance ``2 / ((1 + a**2) n)``.

    He et al. (2015), uniform variant of eq. 10; ``mode`` and
    ``negative_slope`` as in :func:`he_normal`.  PyTorch's ``kaiming_uniform_``.
    """
    return _he(mode, negative_slope, "uniform")(rng, shape, dtype)


def he_truncated_normal(rng: np.random.Generator, shape: Shape, dtype=np.float64,
                        mode: str = "fan_in", negative_slope: float = 0.0) -> np.ndarray:
    """Variance ``2 / ((1 + a**2) n)`` from a normal truncated at 2 sd (sd corrected).

    He et al. (2015); Keras's ``HeNormal``, ``VarianceScaling(2, "fan_in",
    "truncated_normal")``.  ``mode`` and ``negative_slope`` as in :func:`he_normal`.
    """
    return _he(mode, negative_slope, "truncated_normal")(rng, shape, dtype)


def he_normal_fan_out(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """``N(0, 2/fan_out)``: :func:`he_normal` with ``mode="fan_out"`` (He et al. 2015),
    which keeps the variance of the back-propagated gradient."""
    return he_normal(rng, shape, dtype, mode="fan_out")


def he_uniform_fan_out(rng: np.random.Generator, shape: Shape, dtype=np.float64) -> np.ndarray:
    """``U[-sqrt(6/fan_out), +]``: :func:`he_uniform` with ``mode="fan_out"``."""
    return he_uniform(rng, shape, dtype, mode="fan_out")


def _with_gain(vs: VarianceScaling, gain: float) -> VarianceScaling:
    return vs if gain == 1.0 else VarianceScaling(vs.scale, vs.mode, vs.distribution, gain)


# --------------------------------------------------------------------------
# Draws that are not fan-scaled.
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


def trunc_normal(rng: np.random.Generator, shape: Shape, dtype=np.float64,
                 mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                 b: float = 2.0) -> np.ndarray:
    """``N(mean, std**2)`` conditioned on ``[a, b]``: PyTorch's ``trunc_normal_``.

    As in PyTorch, ``a`` and ``b`` are absolute values, not multiples of
    ``std`` (``std=0.02`` with the default bounds truncates nothing), and the
    variance is *not* corrected: it is ``std**2`` times the variance of the
    standardised truncated normal (0.774 for the default bounds).  For Keras's
    corrected, fan-scaled kind see :class:`VarianceScaling`.  No fan is used.

    Raises ``ValueError`` unless ``std > 0``, ``a < b``, and ``[a, b]`` holds
    at least 0.1 % of ``N(mean, std**2)`` (each value is drawn until it falls
    in ``[a, b]``; rarer intervals would need thousands of draws per value).
    """
    _check_trunc_normal(mean, std, a, b)
    low, high = (a - mean) / std, (b - mean) / std
    w = _truncated_standard_normal(rng, shape, dtype, low, high)
    w *= std
    w += mean
    # mean + std * z can round past a bound by an ulp; PyTorch clamps too.
    return np.clip(w, a, b, out=w)


def _check_trunc_normal(mean: float, std: float, a: float, b: float) -> None:
    if not all(math.isfinite(x) for x in (mean, std)) or std <= 0:
        raise ValueError(f"trunc_normal: mean must be finite and std positive, "
                         f"got mean {mean!r}, std {std!r}")
    if not a < b:
        raise ValueError(f"trunc_normal: need a < b, got a={a!r}, b={b!r}")
    mass = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    if mass < 1e-3:
        raise ValueError(f"trunc_normal: [{a}, {b}] holds only {mass:.2g} of "
                         f"N({mean}, {std}**2); choose bounds within a few sd of the mean")


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def truncated_normal_moments(mean: float, std: float, a: float,
                             b: float) -> tuple[float, float]:
    """``(mean, variance)`` of ``N(mean, std**2)`` conditioned on ``[a, b]``.

    With ``alpha = (a - mean)/std``, ``beta = (b - mean)/std``, ``phi`` the
    standard normal density and ``Z = Phi(beta) - Phi(alpha)`` its mass::

        E = mean + std * (phi(alpha) - phi(beta)) / Z
        V = std**2 * (1 + (alpha phi(alpha) - beta phi(beta)) / Z
                        - ((phi(alpha) - phi(beta)) / Z)**2)

    Johnson, Kotz & Balakrishnan, *Continuous Univariate Distributions* 1,
    section 10.1.  ``truncated_normal_moments(0, 1, -2, 2)[1] ** 0.5`` is
    Keras's 0.87962566103423978.
    """
    alpha, beta = (a - mean) / std, (b - mean) / std

    def phi(x: float) -> float:
        return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi) if math.isfinite(x) else 0.0

    def x_phi(x: float) -> float:
        return x * phi(x) if math.isfinite(x) else 0.0

    mass = _normal_cdf(beta) - _normal_cdf(alpha)
    shift = (phi(alpha) - phi(beta)) / mass
    var = 1.0 + (x_phi(alpha) - x_phi(beta)) / mass - shift ** 2
    return mean + std * shift, std ** 2 * var


def orthogonal(rng: np.random.Generator, shape: Shape, dtype=np.float64,
               gain: float = 1.0) -> np.ndarray:
    """``gain`` times a random matrix with orthonormal rows or columns.

    Saxe, McClelland & Ganguli (2013), "Exact solutions to the nonlinear
    dynamics of learning in deep linear neural networks": an orthogonal ``w``
    keeps the norm of every input (``|w x| = |x|``), so a deep linear stack
    neither shrinks nor grows the signal.  As PyTorch's ``orthogonal_``: draw
    ``N(0, 1)`` of shape ``(rows, cols)`` (transposed when ``rows < cols``),
    take its QR decomposition, and multiply each column of ``Q`` by the sign
    of ``R``'s diagonal, which makes ``Q`` uniformly (Haar) distributed
    (Mezzadri 2007).  A tall matrix (``fan_out > fan_in``) gets orthonormal
    columns, a wide one orthonormal rows.

    Each entry has mean 0 and variance ``gain**2 / max(fan_in, fan_out)``
    (the squares of a unit vector of length ``max`` sum to 1); ``(w/gain + 1)/2``
    follows Beta((max - 1)/2, (max - 1)/2).  The QR is done in float64
    whatever ``dtype``.
    """
    rows, cols = shape
    a = rng.standard_normal((rows, cols) if rows >= cols else (cols, rows))
    # A QR costs about m * n**2 multiply-adds for m >= n: its BLAS threads are
    # chosen as training's are (on a busy machine two threads make a 784 x 30
    # QR up to 100x slower than one).
    with blas.threads([a.shape[1], a.shape[1]], a.shape[0]):
        q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    q *= gain
    return q.astype(dtype, copy=False)


def sparse(rng: np.random.Generator, shape: Shape, dtype=np.float64,
           sparsity: float = 0.1, std: float = 0.01) -> np.ndarray:
    """``N(0, std**2)`` with a fraction ``sparsity`` of each column set to 0.

    Martens (2010), "Deep learning via Hessian-free optimization", section 5:
    sparse initialization, so that units start different from one another
    without their total input being large.  This is PyTorch's ``sparse_``: in
    each column (the weights out of one input), ``ceil(sparsity * fan_out)``
    entries chosen at random are 0, with ``sparsity * fan_out`` computed in
    floating point as PyTorch does (``0.1 * 30`` is ``3.0000000000000004``, so
    4 of 30).  (Martens fixes instead the number of
    non-zero weights *into* each unit, 15, with unit variance.)  The defaults
    are PyTorch's ``std=0.01`` and its documentation's ``sparsity=0.1``.

    Mean 0, variance ``std**2 * (fan_out - k) / fan_out`` with
    ``k = ceil(sparsity * fan_out)``.  Raises ``ValueError`` unless
    ``0 <= sparsity < 1`` and ``std > 0``.
    """
    _check_sparse(sparsity, std)
    rows, cols = shape
    w = _normal(rng, shape, dtype, std)
    k = math.ceil(sparsity * rows)
    # A uniformly random set of k rows per column: the k smallest of uniform keys.
    chosen = np.argsort(rng.random(shape), axis=0, kind="stable")[:k]
    np.put_along_axis(w, chosen, 0, axis=0)
    return w


def _check_sparse(sparsity: float, std: float) -> None:
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparse: sparsity is the fraction of each column set to 0 and must "
                         f"be in [0, 1), got {sparsity!r} (sparsity 1 is the zeros scheme)")
    if not (math.isfinite(std) and std > 0):
        raise ValueError(f"sparse: std must be a positive finite number, got {std!r}")


def sparse_moments(fan_in: int, fan_out: int, sparsity: float = 0.1,
                   std: float = 0.01) -> tuple[float, float]:
    """``(mean, variance)`` of one entry drawn by :func:`sparse`."""
    k = math.ceil(sparsity * fan_out)
    return 0.0, std ** 2 * (fan_out - k) / fan_out


def eye(rng: np.random.Generator, shape: Shape, dtype=np.float64,
        gain: float = 1.0) -> np.ndarray:
    """``gain`` on the main diagonal, 0 elsewhere, for any shape: PyTorch's
    ``eye_`` and Keras's ``Identity``.  Draws nothing.

    When ``fan_in > fan_out`` only the first ``fan_out`` inputs reach the
    layer.  In a 784 -> 30 MNIST layer those are the first 30 pixels, the
    image's blank top row, so every hidden unit starts at ``z = 0`` on every
    image.  For a layer that really is the identity, use :func:`identity`.
    Entries: mean ``gain * k / (fan_in fan_out)`` and variance
    ``gain**2 * k / (fan_in fan_out) - mean**2``, with ``k = min(fan_in, fan_out)``.
    """
    rows, cols = shape
    return gain * np.eye(rows, cols, dtype=dtype)


def identity(rng: np.random.Generator, shape: Shape, dtype=np.float64,
             gain: float = 1.0) -> np.ndarray:
    """``gain * I``: each neuron starts as a copy of the input of the same index.

    Only a square matrix (``fan_in == fan_out``) is an identity, so other
    shapes are refused with a ``ValueError``.  Le, Jaitly & Hinton (2015) use
    it for recurrent ReLU layers; in a deep stack of equal-width layers it
    passes the input through unchanged at the start.  Draws nothing.
    """
    rows, cols = shape
    if rows != cols:
        raise ValueError(
            f"identity: a {rows} x {cols} weight matrix (fan_out {rows}, fan_in {cols}) is "
            f"not square, so it has no identity. Use it only between layers of equal "
            f"size, or use 'eye' (PyTorch's eye_, Keras's Identity), which puts ones on "
            f"the diagonal of any shape and lets only the first {min(rows, cols)} inputs "
            f"through.")
    return eye(rng, shape, dtype, gain)


def eye_moments(fan_in: int, fan_out: int, gain: float = 1.0) -> tuple[float, float]:
    """``(mean, variance)`` of the entries of :func:`eye` (and :func:`identity`)."""
    share = min(fan_in, fan_out) / (fan_in * fan_out)
    mean = gain * share
    return mean, gain ** 2 * share - mean ** 2


# --------------------------------------------------------------------------
# Gains: the factor on a weight's standard deviation that suits a
# nonlinearity, PyTorch's torch.nn.init.calculate_gain value for value.
# Why these values (z ~ N(0, 1) below):
#
# * linear: the identity changes no variance, so Var[w] = 1/fan_in keeps
#   Var[z] (LeCun et al. 1998).
# * relu: ReLU zeroes half of a symmetric input, so E[relu(z)**2] = Var[z] / 2
#   and the variance must be doubled (He et al. 2015).
# * leaky_relu: with slope a on the negative half, E[f(z)**2] =
#   (1 + a**2) Var[z] / 2 (He et al. 2015, eq. 15).
# * tanh: its slope at 0 is 1, but it shrinks large inputs: E[tanh(z)**2] =
#   0.394, and 1/sqrt(0.394) = 1.59.  PyTorch rounds up to 5/3, with which
#   Var[z] through a deep tanh stack settles near 1.18 instead of shrinking.
# * sigmoid: 1 is a convention.  Glorot & Bengio (2010) derive their scheme
#   for an activation of slope 1 at 0 and use it as is for the sigmoid.  Its
#   slope at 0 is 1/4 and E[sigmoid(z)**2] is 0.293 (gain 1.85 for the second
#   moment), but its mean of 1/2 breaks the zero-mean argument anyway.
# * selu: PyTorch's choice, for steadier gradients; for a self-normalizing
#   network (Klambauer et al. 2017) PyTorch's documentation advises "linear"
#   (Var[w] = 1/fan_in) instead.
# --------------------------------------------------------------------------

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d",
           "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
_GAINS = {**dict.fromkeys(_LINEAR, 1.0), "sigmoid": 1.0, "tanh": 5.0 / 3.0,
          "relu": math.sqrt(2.0), "leaky_relu": None, "selu": 3.0 / 4.0}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor on a weight's standard deviation that suits ``nonlinearity``:
    PyTorch's ``torch.nn.init.calculate_gain``, value for value (why: the
    comment above).

    ``linear`` and the ``conv*`` names: 1; ``sigmoid``: 1; ``tanh``: 5/3;
    ``relu``: sqrt(2); ``leaky_relu`` with negative slope ``param`` (default
    0.01): sqrt(2 / (1 + param**2)); ``selu``: 3/4.

    Use: ``xavier_normal(rng, shape, gain=calculate_gain("tanh"))``.  Raises
    ``ValueError`` for another name, or for a ``param`` that is not a finite
    number; a ``param`` given to any function but ``leaky_relu`` is ignored
    (as in PyTorch) with a warning.
    """
    if nonlinearity not in _GAINS:
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}; valid: "
                         f"{', '.join(_GAINS)}")
    if nonlinearity != "leaky_relu":
        if param is not None:
            warnings.warn(f"calculate_gain: param {param!r} is used only by leaky_relu; "
                          f"ignored for {nonlinearity!r}", stacklevel=2)
        return _GAINS[nonlinearity]
    if param is None:
        slope = 0.01
    elif _is_number(param) and math.isfinite(param):
        slope = param
    else:
        raise ValueError(f"leaky_relu: the negative slope param must be a finite number, "
                         f"got {param!r}")
    return math.sqrt(2.0 / (1 + slope ** 2))


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


_HE_NORMAL = _he("fan_in", 0.0, "normal")
_HE_UNIFORM = _he("fan_in", 0.0, "uniform")
_HE_TRUNCATED = _he("fan_in", 0.0, "truncated_normal")
_HE_NORMAL_OUT = _he("fan_out", 0.0, "normal")
_HE_UNIFORM_OUT = _he("fan_out", 0.0, "uniform")
_ZERO = (0.0, 0.0)


def _zero_bias(name: str, weights: Draw, moments, summary: str) -> Scheme:
    return Scheme(name, weights, zeros, moments, _ZERO, summary)


_SCHEMES = [
    Scheme("rand", uniform_01, uniform_01, _const(0.5, 1 / 12), (0.5, 1 / 12),
           "w, b ~ U[0, 1)  (numpy.random.rand; the question's bug)"),
    Scheme("randn", standard_normal, standard_normal, _const(0.0, 1.0), (0.0, 1.0),
           "w, b ~ N(0, 1)  (numpy.random.randn; the book's network.py)"),
    Scheme("zeros", zeros, zeros, _const(0.0, 0.0), (0.0, 0.0),
           "w = b = 0  (symmetry never broken)"),
    _zero_bias("xavier_uniform", xavier_uniform, _XAVIER_UNIFORM.moments,
               "w ~ U[-b, b], b = sqrt(6/(fan_in+fan_out)); b = 0  (Glorot & Bengio 2010)"),
    _zero_bias("xavier_normal", xavier_normal, _XAVIER_NORMAL.moments,
               "w ~ N(0, 2/(fan_in+fan_out)); b = 0  (Glorot & Bengio 2010)"),
    Scheme("chapter3", scaled_normal, standard_normal, _LECUN_NORMAL.moments, (0.0, 1.0),
           "w ~ N(0, 1/fan_in); b ~ N(0, 1)  (the book's chapter 3 default)"),
    _zero_bias("lecun_normal", lecun_normal, _LECUN_NORMAL.moments,
               "w ~ N(0, 1/fan_in); b = 0  (LeCun et al. 1998)"),
    _zero_bias("lecun_uniform", lecun_uniform, _LECUN_UNIFORM.moments,
               "w ~ U[-sqrt(3/fan_in), +]; b = 0  (LeCun et al. 1998)"),
    _zero_bias("he_normal", he_normal, _HE_NORMAL.moments,
               "w ~ N(0, 2/fan_in); b = 0  (He et al. 2015, for ReLU)"),
    _zero_bias("he_uniform", he_uniform, _HE_UNIFORM.moments,
               "w ~ U[-sqrt(6/fan_in), +]; b = 0  (He et al. 2015, for ReLU)"),
    # The rest of what PyTorch (torch.nn.init) and Keras (keras.initializers) ship.
    _zero_bias("glorot_standard", glorot_standard, _GLOROT_STANDARD.moments,
               "w ~ U[-1/sqrt(fan_in), +]; b = 0  (Glorot & Bengio 2010's 'standard'; "
               "PyTorch nn.Linear's weights)"),
    _zero_bias("xavier_truncated_normal", xavier_truncated_normal, _XAVIER_TRUNCATED.moments,
               "w ~ N(0, 2/(fan_in+fan_out)) truncated at 2 sd, variance kept; b = 0  "
               "(Keras GlorotNormal)"),
    _zero_bias("lecun_truncated_normal", lecun_truncated_normal, _LECUN_TRUNCATED.moments,
               "w ~ N(0, 1/fan_in) truncated at 2 sd, variance kept; b = 0  "
               "(Keras LecunNormal)"),
    _zero_bias("he_truncated_normal", he_truncated_normal, _HE_TRUNCATED.moments,
               "w ~ N(0, 2/fan_in) truncated at 2 sd, variance kept; b = 0  (Keras HeNormal)"),
    _zero_bias("he_normal_fan_out", he_normal_fan_out, _HE_NORMAL_OUT.moments,
               "w ~ N(0, 2/fan_out); b = 0  (He et al. 2015, mode='fan_out')"),
    _zero_bias("he_uniform_fan_out", he_uniform_fan_out, _HE_UNIFORM_OUT.moments,
               "w ~ U[-sqrt(6/fan_out), +]; b = 0  (He et al. 2015, mode='fan_out')"),
    _zero_bias("trunc_normal", trunc_normal, _const(*truncated_normal_moments(0, 1, -2, 2)),
               "w ~ N(0, 1) cut to [-2, 2], variance 0.774; b = 0  (PyTorch trunc_normal_)"),
    _zero_bias("orthogonal", orthogonal, lambda fi, fo: (0.0, 1.0 / max(fi, fo)),
               "w = orthonormal rows or columns; b = 0  (Saxe et al. 2013)"),
    _zero_bias("sparse", sparse, sparse_moments,
               "w ~ N(0, 0.01^2), ceil(0.1 fan_out) of each column 0; b = 0  "
               "(Martens 2010; PyTorch sparse_)"),
    _zero_bias("eye", eye, eye_moments,
               "w = ones on the diagonal, any shape; b = 0  (PyTorch eye_, Keras Identity)"),
    _zero_bias("identity", identity, eye_moments,
               "w = I, square layers only; b = 0  (identity)"),
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
        hint = (" (LSUV needs data: build the network with init='orthogonal', then call "
                "initializers.lsuv(net, X))" if name == "lsuv" else "")
        raise ValueError(
            f"unknown initializer {name!r}{hint}; valid names: {', '.join(names())}"
        ) from None


def bias_draw(name: str) -> Draw:
    """The bias draw of scheme ``name``, for ``Network(..., bias_init=name)``."""
    return get(name).biases


# --------------------------------------------------------------------------
# LSUV: a data-dependent initialization of a whole network (Mishkin & Matas
# 2015, "All you need is a good init", Algorithm 1).
#
# It is z, the output of the layer's linear map, that is normalised (the
# convolution or inner-product output in the paper), not the activation: a
# sigmoid's output has variance at most 1/4, so a target of 1 after it could
# never be met.  The forward pass is the network's own (net.forward), so this
# works with whatever activation the network has.  With zero biases z is
# linear in the layer's weights, so one rescaling meets the target up to
# rounding; the loop is the paper's, and ends in an error, not in silence,
# when the target is out of reach.
#
# Why a function and not Network(..., init="lsuv", init_data=X): every other
# scheme draws one layer from its shape alone, f(rng, shape, dtype), while
# LSUV needs data and forward passes through the finished network.  As a step
# after construction it leaves Network free of data (a network can still be
# built before the data is loaded, and saved and loaded without it), shows at
# the call site which batch shaped the weights (so another batch can be held
# out to check), returns its per-layer report instead of hiding it in a
# constructor, and works on any network, like the torch.nn.init functions,
# which act on an existing module.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class LSUVLayer:
    """What :func:`lsuv` did to one layer.

    ``layer`` counts weight layers from 1 (the first hidden layer); the
    variances are of that layer's weighted inputs ``z`` over the batch, after
    the orthonormal start and at the end; ``iterations`` is how many times the
    weights were rescaled."""

    layer: int
    iterations: int
    initial_variance: float
    variance: float

    def __str__(self) -> str:
        times = "iteration" if self.iterations == 1 else "iterations"
        return (f"layer {self.layer}: {self.iterations} {times}, Var z "
                f"{self.initial_variance:.4g} -> {self.variance:.4g}")


def lsuv(net, X: np.ndarray, tol: float = 0.1, max_iter: int = 10) -> list[LSUVLayer]:
    """Layer-sequential unit-variance initialization of ``net``, in place
    (Mishkin & Matas 2015, Algorithm 1; see the comment above):

    1. Orthonormal start: every weight matrix is redrawn by :func:`orthogonal`
       from ``net.rng`` (layer by layer, in order) and every bias set to 0.
    2. For each layer in turn, first to last: feed the batch ``X`` forward,
       measure the variance of the layer's weighted inputs ``z`` (over all its
       units and examples), and divide the layer's weights by its square
       root, until ``|Var z - 1| <= tol`` or ``max_iter`` rescalings.

    ``net``: a ``network.Network``.  ``X``: inputs ``(n, sizes[0])``, one per
    row, a fair sample of the data (random or evenly spaced examples, not the
    first ``n``: MNIST's training images come in blocks whose mean ink differs
    by up to 8 %).  ``tol`` in ``(0, 1)`` and ``max_iter >= 1``: the paper's
    0.1 and 10.  Returns one :class:`LSUVLayer` per weight layer; same seed,
    same ``X``: same weights, bit for bit.

    Raises ``ValueError`` for a bad ``X``, ``tol`` or ``max_iter``, and when a
    layer cannot reach the target: its ``z`` has variance 0 on ``X`` (every
    unit of the layer before dead, say), is not finite, or is still off after
    ``max_iter`` rescalings.  The weights and biases are then left as they
    were (the generator has moved on).
    """
    X = _lsuv_arguments(net, X, tol, max_iter)
    saved = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    try:
        for w in net.weights:
            w[...] = orthogonal(net.rng, w.shape, w.dtype)
        for b in net.biases:
            b[...] = 0
        return [_lsuv_layer(net, X, l, tol, max_iter) for l in range(len(net.weights))]
    except BaseException:
        for l, (w, b) in enumerate(zip(*saved)):
            net.weights[l][...], net.biases[l][...] = w, b
        raise


def _lsuv_arguments(net, X, tol, max_iter) -> np.ndarray:
    """The batch ``X`` as an array, once it and ``tol`` and ``max_iter`` are checked."""
    X = _lsuv_batch(net, X)
    if not (isinstance(tol, int | float) and 0 < tol < 1):
        raise ValueError(f"lsuv: tol must be in (0, 1), got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise ValueError(f"lsuv: max_iter must be an integer >= 1, got {max_iter!r}")
    return X

def _lsuv_batch(net, X) -> np.ndarray:
    X = np.asarray(X)
    n_in = net.sizes[0]
    if X.ndim != 2 or X.shape[1] != n_in or X.shape[0] < 1:
        raise ValueError(f"lsuv: X must be a batch of inputs, one per row, of shape "
                         f"(n, {n_in}) with n >= 1; got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("lsuv: X contains NaN or infinity; LSUV measures variances on it")
    return X


def _lsuv_layer(net, X: np.ndarray, l: int, tol: float, max_iter: int) -> LSUVLayer:
    """Rescale ``net.weights[l]`` until ``Var z`` of layer ``l + 1`` is ``1 +- tol``."""
    var = initial = _z_variance(net, X, l)
    seen = [var]
    iterations = 0
    while not abs(var - 1.0) <= tol:  # "not <=": a NaN variance enters the loop and is refused
        _check_scalable(net, X, l, var)
        if iterations == max_iter:
            raise ValueError(
                f"lsuv: layer {l + 1} did not reach Var z = 1 +- {tol} in {max_iter} "
                f"rescalings (variances: {', '.join(f'{v:.4g}' for v in seen)}); "
                f"raise max_iter or tol")
        net.weights[l] /= math.sqrt(var)
        iterations += 1
        var = _z_variance(net, X, l)
        seen.append(var)
    return LSUVLayer(l + 1, iterations, initial, var)


def _z_variance(net, X: np.ndarray, l: int) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        zs, _ = net.forward(X)
        return float(np.var(zs[l], dtype=np.float64))


def _check_scalable(net, X: np.ndarray, l: int, var: float) -> None:
    """Raise if no rescaling of layer ``l``'s weights can make ``Var z`` 1."""
    if not math.isfinite(var):
        raise ValueError(f"lsuv: layer {l + 1}'s weighted inputs z have variance {var} on X; "
                         f"scale the inputs (MNIST pixels are in [0, 1])")
    if var > 0:
        return
    inputs = net.forward(X)[1][l]
    if l > 0 and not inputs.any():
        raise ValueError(
            f"lsuv: layer {l + 1} cannot reach Var z = 1: every unit of layer {l} is dead "
            f"(its {net.activation} outputs are 0 on every example of X), so z is the same "
            f"whatever the weights. Use a larger or different batch X, another seed, or an "
            f"activation without a flat zero part.")
    raise ValueError(
        f"lsuv: layer {l + 1} cannot reach Var z = 1: its weighted inputs z are the same "
        f"number for every unit and example of X (variance 0), so no rescaling changes that. "
        f"X needs examples that differ{' (it is all zeros)' if not X.any() else ''}.")
