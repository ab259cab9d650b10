"""Each initializer draws what its formula says: mean, variance, bounds, fans.

The expected moments are written out here from the papers' formulas, not read
from ``initializers``, so a wrong formula there cannot agree with itself.
"""

import inspect
import math
import re
from pathlib import Path

import numpy as np
import pytest

import initializers
import network

# (fan_out, fan_in): the book's and PyTorch's weight layout.
SHAPES = [(30, 784), (10, 30), (200, 50), (7, 1000)]


# Var of N(0, 1) cut to [-2, 2]: 1 - 2 * 2 phi(2) / (Phi(2) - Phi(-2)).
TRUNC_VAR = 1 - 4 * math.exp(-2) / math.sqrt(2 * math.pi) / math.erf(2 / math.sqrt(2))


def expected_weight_moments(name, fan_in, fan_out):
    """(mean, variance, low bound, high bound) of one weight, from the formula.

    A truncated normal's bounds are 2 sd before truncation, the sd that gives
    the wanted variance after it (Keras)."""
    s = fan_in + fan_out
    big, small, n = max(fan_in, fan_out), min(fan_in, fan_out), fan_in * fan_out
    k = math.ceil(0.1 * fan_out)  # sparse: zeros per column, in floating point as PyTorch

    def cut(var):
        return 2 * math.sqrt(var / TRUNC_VAR)

    table = {
        "rand": (0.5, 1 / 12, 0.0, 1.0),
        "randn": (0.0, 1.0, -math.inf, math.inf),
        "zeros": (0.0, 0.0, 0.0, 0.0),
        "xavier_uniform": (0.0, 2 / s, -math.sqrt(6 / s), math.sqrt(6 / s)),
        "xavier_normal": (0.0, 2 / s, -math.inf, math.inf),
        "chapter3": (0.0, 1 / fan_in, -math.inf, math.inf),
        "lecun_normal": (0.0, 1 / fan_in, -math.inf, math.inf),
        "lecun_uniform": (0.0, 1 / fan_in, -math.sqrt(3 / fan_in), math.sqrt(3 / fan_in)),
        "he_normal": (0.0, 2 / fan_in, -math.inf, math.inf),
        "he_uniform": (0.0, 2 / fan_in, -math.sqrt(6 / fan_in), math.sqrt(6 / fan_in)),
        "glorot_standard": (0.0, 1 / (3 * fan_in), -1 / math.sqrt(fan_in),
                            1 / math.sqrt(fan_in)),
        "xavier_truncated_normal": (0.0, 2 / s, -cut(2 / s), cut(2 / s)),
        "lecun_truncated_normal": (0.0, 1 / fan_in, -cut(1 / fan_in), cut(1 / fan_in)),
        "he_truncated_normal": (0.0, 2 / fan_in, -cut(2 / fan_in), cut(2 / fan_in)),
        "he_normal_fan_out": (0.0, 2 / fan_out, -math.inf, math.inf),
        "he_uniform_fan_out": (0.0, 2 / fan_out, -math.sqrt(6 / fan_out),
                               math.sqrt(6 / fan_out)),
        "trunc_normal": (0.0, TRUNC_VAR, -2.0, 2.0),
        # Unit columns (or rows) of length `big`: the squares average 1/big.
        # The entries never come near +-1, so no bound is checked.
        "orthogonal": (0.0, 1 / big, -math.inf, math.inf),
        "sparse": (0.0, 0.01 ** 2 * (fan_out - k) / fan_out, -math.inf, math.inf),
        "eye": (small / n, small / n - (small / n) ** 2, 0.0, 1.0),
        "identity": (small / n, small / n - (small / n) ** 2, 0.0, 1.0),
    }
    return table[name]


EXPECTED_BIASES = {  # (mean, variance) of one bias
    "rand": (0.5, 1 / 12), "randn": (0.0, 1.0), "chapter3": (0.0, 1.0),
    "zeros": (0.0, 0.0), "xavier_uniform": (0.0, 0.0), "xavier_normal": (0.0, 0.0),
    "glorot_standard": (0.0, 0.0),
    "lecun_normal": (0.0, 0.0), "lecun_uniform": (0.0, 0.0),
    "he_normal": (0.0, 0.0), "he_uniform": (0.0, 0.0),
    **dict.fromkeys(["glorot_standard", "xavier_truncated_normal", "lecun_truncated_normal",
                     "he_truncated_normal", "he_normal_fan_out", "he_uniform_fan_out",
                     "trunc_normal", "orthogonal", "sparse", "eye", "identity"], (0.0, 0.0)),
}
SQUARE_ONLY = {"identity"}


def test_every_registered_scheme_is_checked_here():
    assert set(initializers.names()) == set(EXPECTED_BIASES)


def draw_many(draw, shape, repeats=8, seed=0):
    """Several independent draws of one shape, so that small shapes have
    enough samples for a tight tolerance."""
    rng = np.random.default_rng(seed)
    return np.stack([draw(rng, shape, np.float64) for _ in range(repeats)])


@pytest.mark.parametrize(("name", "shape"), [
    (name, shape) for name in sorted(EXPECTED_BIASES) for shape in SHAPES + [(30, 30)]
    if name not in SQUARE_ONLY or shape[0] == shape[1]])
def test_weight_moments_and_bounds(name, shape):
    fan_out, fan_in = shape
    mean, var, low, high = expected_weight_moments(name, fan_in, fan_out)
    w = draw_many(initializers.get(name).weights, shape, repeats=max(8, 40000 // w_size(shape)))
    assert w.shape[1:] == shape
    n = w.size
    # 6 standard errors: a wrong formula (off by a factor of 2 or more) fails,
    # sampling noise essentially never does.
    assert abs(w.mean() - mean) <= 6 * math.sqrt(var / n) + 1e-15
    assert abs(w.var() - var) <= 6 * var * math.sqrt(3 / n) + 1e-15
    assert w.min() >= low and w.max() <= high
    if math.isfinite(high) and high > 0:
        # The bound is reached, not just respected: the draw spans it.
        assert w.max() > 0.99 * high and w.min() < low + 0.01 * (high - low)
    assert initializers.get(name).weight_moments(fan_in, fan_out) == pytest.approx((mean, var))


def w_size(shape):
    return shape[0] * shape[1]


@pytest.mark.parametrize("name", sorted(EXPECTED_BIASES))
def test_bias_moments(name):
    mean, var = EXPECTED_BIASES[name]
    b = draw_many(initializers.get(name).biases, (1000, 1), repeats=20)
    assert b.shape[1:] == (1000, 1)
    assert abs(b.mean() - mean) <= 6 * math.sqrt(var / b.size) + 1e-15
    assert abs(b.var() - var) <= 6 * var * math.sqrt(3 / b.size) + 1e-15
    assert initializers.get(name).bias_moments == pytest.approx((mean, var))


def test_fan_convention_is_rows_out_columns_in():
    # A (fan_out=10, fan_in=1000) matrix: He's variance is 2/1000, not 2/10.
    assert initializers.fans((10, 1000)) == (1000, 10)
    rng = np.random.default_rng(1)
    wide = initializers.he_normal(rng, (10, 1000))
    tall = initializers.he_normal(rng, (1000, 10))
    assert wide.var() == pytest.approx(2 / 1000, rel=0.1)
    assert tall.var() == pytest.approx(2 / 10, rel=0.1)


def test_xavier_gain_scales_the_standard_deviation():
    rng = np.random.default_rng(2)
    shape = (300, 300)
    base = initializers.xavier_normal(rng, shape).std()
    scaled = initializers.xavier_normal(rng, shape, gain=3.0).std()
    assert scaled / base == pytest.approx(3.0, rel=0.02)
    bound = initializers.xavier_uniform(rng, shape, gain=2.0).max()
    assert bound <= 2.0 * math.sqrt(6 / 600) and bound > 0.99 * 2.0 * math.sqrt(6 / 600)


def test_xavier_normal_docstring_says_sqrt_is_the_standard_deviation():
    assert "standard deviation" in initializers.xavier_normal.__doc__


@pytest.mark.parametrize("name", sorted(EXPECTED_BIASES))
def test_same_seed_same_numbers_other_seed_other_numbers(name):
    draw = initializers.get(name).weights
    shape = (30, 30) if name in SQUARE_ONLY else (30, 784)
    a = draw(np.random.default_rng(7), shape)
    b = draw(np.random.default_rng(7), shape)
    np.testing.assert_array_equal(a, b)
    if name not in ("zeros", "eye", "identity"):  # these three draw nothing
        c = draw(np.random.default_rng(8), shape)
        assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", sorted(EXPECTED_BIASES))
def test_float32_draws(name):
    shape = (30, 30) if name in SQUARE_ONLY else (30, 784)
    w = initializers.get(name).weights(np.random.default_rng(0), shape, np.float32)
    assert w.dtype == np.float32 and w.shape == shape


def test_unknown_name_lists_every_valid_name():
    with pytest.raises(ValueError) as err:
        initializers.get("glorot")
    for name in initializers.names():
        assert name in str(err.value)


def test_question_schemes_are_registered():
    assert set(initializers.QUESTION_SCHEMES) <= set(initializers.names())


def test_calculate_gain_the_old_calls():
    assert initializers.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert initializers.calculate_gain("sigmoid") == 1
    assert initializers.calculate_gain("tanh") == 5 / 3
    assert initializers.calculate_gain("linear") == 1
    with pytest.raises(ValueError, match="sigmoid"):
        initializers.calculate_gain("softsign")


# ---- the draws published before issue 13 are unchanged, bit for bit --------------


def _legacy_uniform(rng, shape, dtype, bound):
    w = rng.random(shape, dtype=dtype)
    w *= 2 * bound
    w -= bound
    return w


def _legacy_normal(rng, shape, dtype, std):
    w = rng.standard_normal(shape, dtype=dtype)
    w *= std
    return w


# The weight draws as initializers.py wrote them before it had VarianceScaling,
# arithmetic and all; `g` is the Xavier gain.
LEGACY = {
    "rand": lambda rng, s, dt, g: rng.random(s, dtype=dt),
    "randn": lambda rng, s, dt, g: rng.standard_normal(s, dtype=dt),
    "zeros": lambda rng, s, dt, g: np.zeros(s, dtype=dt),
    "xavier_uniform": lambda rng, s, dt, g: _legacy_uniform(
        rng, s, dt, g * math.sqrt(6.0 / (s[1] + s[0]))),
    "xavier_normal": lambda rng, s, dt, g: _legacy_normal(
        rng, s, dt, g * math.sqrt(2.0 / (s[1] + s[0]))),
    "chapter3": lambda rng, s, dt, g: _legacy_normal(rng, s, dt, 1.0 / math.sqrt(s[1])),
    "lecun_normal": lambda rng, s, dt, g: _legacy_normal(rng, s, dt, 1.0 / math.sqrt(s[1])),
    "lecun_uniform": lambda rng, s, dt, g: _legacy_uniform(rng, s, dt, math.sqrt(3.0 / s[1])),
    "he_normal": lambda rng, s, dt, g: _legacy_normal(rng, s, dt, math.sqrt(2.0 / s[1])),
    "he_uniform": lambda rng, s, dt, g: _legacy_uniform(rng, s, dt, math.sqrt(6.0 / s[1])),
}
# Every fan_in and fan_out from 1 to 120, and the book's layers: 1 / sqrt(n) and
# sqrt(1 / n) differ in the last bit for about a quarter of these fans.
LEGACY_SHAPES = sorted({(n, m) for n in range(1, 121) for m in (n, 121 - n)}
                       | {(30, 784), (10, 30), (100, 784), (784, 30)})


@pytest.mark.parametrize("name", sorted(LEGACY))
def test_legacy_schemes_draw_the_same_numbers_bit_for_bit(name):
    new = initializers.get(name).weights
    for i, shape in enumerate(LEGACY_SHAPES):
        for dtype in (np.float64, np.float32):
            old = LEGACY[name](np.random.default_rng(i), shape, dtype, 1.0)
            w = new(np.random.default_rng(i), shape, dtype)
            assert w.dtype == old.dtype and np.array_equal(w, old), (name, shape, dtype)


@pytest.mark.parametrize("name", ["xavier_uniform", "xavier_normal"])
@pytest.mark.parametrize("gain", [0.1, 0.5, 1.0, 5 / 3, math.sqrt(2), 2, 3.7])
def test_legacy_xavier_gains_draw_the_same_numbers(name, gain):
    draw = getattr(initializers, name)
    for i, shape in enumerate(LEGACY_SHAPES[::7]):
        old = LEGACY[name](np.random.default_rng(i), shape, np.float64, gain)
        assert np.array_equal(draw(np.random.default_rng(i), shape, gain=gain), old)


def test_legacy_networks_and_bias_draws_are_unchanged():
    # The book's default network, seed 0: the start of every published run.
    net = network.Network([784, 30, 10], seed=0)
    rng = np.random.default_rng(0)
    biases = [rng.standard_normal((30, 1)), rng.standard_normal((10, 1))]
    weights = [rng.standard_normal((30, 784)), rng.standard_normal((10, 30))]
    for got, want in zip(net.biases + net.weights, biases + weights):
        assert np.array_equal(got, want)


# ---- the general scheme --------------------------------------------------------


def test_variance_scaling_presets_are_the_named_schemes():
    vs = initializers.variance_scaling
    presets = {
        "xavier_normal": vs(1.0, "fan_avg", "normal"),
        "xavier_uniform": vs(1.0, "fan_avg", "uniform"),
        "xavier_truncated_normal": vs(1.0, "fan_avg", "truncated_normal"),
        "lecun_normal": vs(1.0, "fan_in", "normal"),
        "chapter3": vs(1.0, "fan_in", "normal"),
        "lecun_uniform": vs(1.0, "fan_in", "uniform"),
        "lecun_truncated_normal": vs(1.0, "fan_in", "truncated_normal"),
        "he_normal": vs(2.0, "fan_in", "normal"),
        "he_uniform": vs(2.0, "fan_in", "uniform"),
        "he_truncated_normal": vs(2.0, "fan_in", "truncated_normal"),
        "he_normal_fan_out": vs(2.0, "fan_out", "normal"),
        "he_uniform_fan_out": vs(2.0, "fan_out", "uniform"),
        "glorot_standard": vs(1 / 3, "fan_in", "uniform"),
    }
    for name, preset in presets.items():
        scheme = initializers.get(name)
        for shape in SHAPES:
            fan_in, fan_out = initializers.fans(shape)
            assert np.array_equal(scheme.weights(np.random.default_rng(5), shape),
                                  preset(np.random.default_rng(5), shape)), (name, shape)
            assert scheme.weight_moments(fan_in, fan_out) == preset.moments(fan_in, fan_out)


def test_truncated_normal_is_cut_at_two_sd_before_truncation():
    vs = initializers.variance_scaling(2.0, "fan_out", "truncated_normal")
    shape = (50, 400)
    w = vs(np.random.default_rng(0), shape)
    sd = math.sqrt(2.0 / 50) / 0.87962566103423978
    assert vs.spread(400, 50) == pytest.approx(sd, rel=1e-15)
    assert np.abs(w).max() <= 2 * sd and np.abs(w).max() > 1.98 * sd
    assert w.var() == pytest.approx(2.0 / 50, rel=0.03)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"scale": 0.0}, "scale must be a positive"),
    ({"scale": -1.0}, "scale must be a positive"),
    ({"scale": math.nan}, "scale must be a positive"),
    ({"mode": "fan_sum"}, "unknown mode 'fan_sum'; valid: fan_in, fan_out, fan_avg"),
    ({"distribution": "gaussian"}, "unknown distribution 'gaussian'; valid: normal, "
                                   "truncated_normal, uniform"),
])
def test_variance_scaling_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        initializers.variance_scaling(**kwargs)


def test_variance_scaling_is_an_init_for_network():
    vs = initializers.variance_scaling(2.0, "fan_out", "uniform")
    a = network.Network([784, 30, 10], init=vs, seed=3)
    b = network.Network([784, 30, 10], init=vs, seed=3)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))
    assert np.abs(a.weights[0]).max() <= math.sqrt(6 / 30)
    assert not a.biases[0].any()


@pytest.mark.parametrize("draw", [initializers.he_normal, initializers.he_uniform,
                                  initializers.he_truncated_normal])
def test_he_mode_and_negative_slope(draw):
    shape = (200, 800)  # fan_out 200, fan_in 800
    rng = np.random.default_rng(4)
    for mode, n in (("fan_in", 800), ("fan_out", 200)):
        for a in (0.0, 0.2, 1.0):
            w = draw(rng, shape, mode=mode, negative_slope=a)
            assert w.var() == pytest.approx(2 / ((1 + a * a) * n), rel=0.03), (mode, a)
    with pytest.raises(ValueError, match="unknown mode"):
        draw(rng, shape, mode="fan_avgg")
    with pytest.raises(ValueError, match="negative_slope"):
        draw(rng, shape, negative_slope=True)


# ---- the schemes that are not fan-scaled ---------------------------------------


@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (30, 784), (784, 30), (25, 25), (1, 1)])
@pytest.mark.parametrize("gain", [1.0, 0.37, 1.9])
def test_orthogonal_rows_or_columns_are_orthonormal(shape, gain):
    # PyTorch's test_orthogonal, for the 2-d shapes of a dense layer.
    w = initializers.orthogonal(np.random.default_rng(1), shape, gain=gain)
    rows, cols = shape
    gram = w.T @ w if rows > cols else w @ w.T
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(rows, cols)), atol=1e-12)
    assert np.sum(w ** 2) == pytest.approx(gain ** 2 * min(rows, cols), rel=1e-12)


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.3, 0.5, 0.9])
def test_sparse_zeroes_a_fraction_of_every_column(sparsity):
    shape = (33, 40)
    w = initializers.sparse(np.random.default_rng(2), shape, sparsity=sparsity, std=0.05)
    k = math.ceil(sparsity * 33)
    assert ((w == 0).sum(axis=0) == k).all()
    assert np.abs(w[w != 0]).max() < 0.05 * 6
    # Each row is zeroed about equally often: the zeros are not always the same rows.
    if k:
        assert (w == 0).any(axis=1).sum() > 33 * 0.6
    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match="sparsity"):
            initializers.sparse(np.random.default_rng(2), shape, sparsity=bad)
    with pytest.raises(ValueError, match="std"):
        initializers.sparse(np.random.default_rng(2), shape, std=0.0)


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (5, 3), (30, 784), (10, 10)])
def test_eye_is_ones_on_the_diagonal_of_any_shape(shape):
    w = initializers.eye(np.random.default_rng(0), shape, gain=2.5)
    for (i, j), value in np.ndenumerate(w):
        assert value == (2.5 if i == j else 0.0)


def test_identity_is_square_only_with_a_message_that_names_the_fix():
    rng = np.random.default_rng(0)
    assert np.array_equal(initializers.identity(rng, (7, 7)), np.eye(7))
    with pytest.raises(ValueError) as err:
        initializers.identity(rng, (30, 784))
    text = str(err.value)
    assert "30 x 784" in text and "not square" in text and "'eye'" in text
    with pytest.raises(ValueError, match="not square"):
        network.Network([784, 30, 10], init="identity")
    net = network.Network([20, 20, 20], init="identity", seed=0)
    assert np.array_equal(net.weights[1], np.eye(20))


def test_trunc_normal_bounds_are_absolute_and_refuse_empty_intervals():
    rng = np.random.default_rng(0)
    w = initializers.trunc_normal(rng, (100, 100), std=0.02)  # bounds at +-100 sd
    assert w.std() == pytest.approx(0.02, rel=0.03)
    w = initializers.trunc_normal(rng, (100, 100), mean=1.0, std=1.0, a=0.5, b=1.2)
    assert w.min() >= 0.5 and w.max() <= 1.2
    with pytest.raises(ValueError, match="a < b"):
        initializers.trunc_normal(rng, (3, 3), a=1.0, b=1.0)
    with pytest.raises(ValueError, match="holds only"):
        initializers.trunc_normal(rng, (3, 3), a=5.0, b=6.0)
    with pytest.raises(ValueError, match="std positive"):
        initializers.trunc_normal(rng, (3, 3), std=-1.0)


def test_truncated_normal_moments_formula():
    mean, var = initializers.truncated_normal_moments(0.0, 1.0, -2.0, 2.0)
    assert mean == 0.0 and var == pytest.approx(TRUNC_VAR, rel=1e-14)
    assert math.sqrt(var) == pytest.approx(initializers.TRUNCATED_NORMAL_SD, rel=1e-15)
    # One-sided: the half-normal, mean sqrt(2/pi), variance 1 - 2/pi.
    mean, var = initializers.truncated_normal_moments(0.0, 1.0, 0.0, math.inf)
    assert mean == pytest.approx(math.sqrt(2 / math.pi), rel=1e-14)
    assert var == pytest.approx(1 - 2 / math.pi, rel=1e-14)


# ---- gains ---------------------------------------------------------------------


def test_calculate_gain_is_pytorchs_table():
    gain = initializers.calculate_gain
    for name in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                 "conv_transpose2d", "conv_transpose3d", "sigmoid"):
        assert gain(name) == 1
    # The values PyTorch's own test asserts, to the last digit.
    assert gain("tanh") == 1.6666666666666667
    assert gain("relu") == 1.4142135623730951
    assert gain("leaky_relu") == 1.4141428569978354  # default slope 0.01
    assert gain("leaky_relu", 0) == 1.4142135623730951
    assert gain("leaky_relu", 0.01) == 1.4141428569978354
    assert gain("leaky_relu", 10) == 0.14071950894605836
    assert gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    assert gain("selu") == 0.75
    for param in (True, [1], {"a": "b"}, "0.1", math.nan):
        with pytest.raises(ValueError, match="negative slope"):
            gain("leaky_relu", param)
    for name in ("softsign", "gelu", "ReLU", "xyzzy"):
        with pytest.raises(ValueError, match="unknown nonlinearity"):
            gain(name)
    with pytest.warns(UserWarning, match="only by leaky_relu"):
        assert gain("tanh", 0.3) == 5 / 3


_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(80)


def _gauss_hermite_mean(f):
    """E[f(z)] for z ~ N(0, 1), by Gauss-Hermite quadrature (80 nodes)."""
    return float(np.sum(_WEIGHTS * f(_NODES)) / math.sqrt(2 * math.pi))


def test_the_numbers_in_calculate_gains_explanation():
    # The explanation is the comment above calculate_gain in initializers.py.
    source = inspect.getsource(initializers)
    doc = " ".join(source[source.index("# Gains:"):source.index("def calculate_gain")]
                   .replace("#", " ").split())
    tanh2 = _gauss_hermite_mean(lambda z: np.tanh(z) ** 2)
    sigmoid2 = _gauss_hermite_mean(lambda z: (1 / (1 + np.exp(-z))) ** 2)
    assert f"E[tanh(z)**2] = {tanh2:.3f}" in doc
    assert f"1/sqrt({tanh2:.3f}) = {1 / math.sqrt(tanh2):.2f}" in doc
    assert f"E[sigmoid(z)**2] is {sigmoid2:.3f}" in doc
    assert f"(gain {1 / math.sqrt(sigmoid2):.2f} for the second moment)" in doc
    # Through a deep tanh stack with gain 5/3, Var z goes to the fixed point
    # q = (5/3)**2 E[tanh(sqrt(q) z)**2].
    q = 1.0
    for _ in range(200):
        q = (5 / 3) ** 2 * _gauss_hermite_mean(lambda z, q=q: np.tanh(math.sqrt(q) * z) ** 2)
    assert f"near {q:.2f}" in doc
    relu2 = _gauss_hermite_mean(lambda z: np.maximum(z, 0) ** 2)
    assert relu2 == pytest.approx(0.5, rel=1e-6)  # so the gain sqrt(2)


# ---- every scheme draws from the generator it is given, and nothing else ---------


@pytest.mark.parametrize("name", sorted(EXPECTED_BIASES))
def test_networks_draw_only_from_their_generator(name):
    sizes = [30, 30, 30] if name in SQUARE_ONLY else [784, 30, 10]
    state = np.random.get_state()  # noqa: NPY002 (the legacy global generator must stay untouched)
    a = network.Network(sizes, init=name, seed=11)
    b = network.Network(sizes, init=name, seed=11)
    assert np.random.get_state()[1].tolist() == state[1].tolist()  # noqa: NPY002
    for x, y in zip(a.weights + a.biases, b.weights + b.biases):
        assert np.array_equal(x, y)
    # The network's generator moved by exactly what the scheme drew.
    rng = np.random.default_rng(11)
    scheme = initializers.get(name)
    shapes = list(zip(sizes[1:], sizes[:-1]))
    for y, _ in shapes:
        scheme.biases(rng, (y, 1), np.float64)
    for shape in shapes:
        scheme.weights(rng, shape, np.float64)
    assert a.rng.bit_generator.state == rng.bit_generator.state


# ---- docs/initializers.md lists every scheme ---------------------------------------------


def test_docs_initializer_table_lists_every_scheme():
    page = (Path(__file__).resolve().parent.parent / "docs" / "initializers.md").read_text()
    section = page.split("# Initializers", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([a-z0-9_]+)`", section, flags=re.MULTILINE)
    assert listed == initializers.names()
