"""Each initializer draws what its formula says: mean, variance, bounds, fans.

The expected moments are written out here from the papers' formulas, not read
from ``initializers``, so a wrong formula there cannot agree with itself.
"""

import math

import numpy as np
import pytest

import initializers

# (fan_out, fan_in): the book's and PyTorch's weight layout.
SHAPES = [(30, 784), (10, 30), (200, 50), (7, 1000)]


def expected_weight_moments(name, fan_in, fan_out):
    """(mean, variance, low bound, high bound) of one weight, from the formula."""
    s = fan_in + fan_out
    table = {
        "rand": (0.5, 1 / 12, 0.0, 1.0),
        "randn": (0.0, 1.0, -math.inf, math.inf),
        "zeros": (0.0, 0.0, 0.0, 0.0),
        "xavier_uniform": (0.0, 2 / s, -math.sqrt(6 / s), math.sqrt(6 / s)),
        "xavier_normal": (0.0, 2 / s, -math.inf, math.inf),
        "glorot_standard": (0.0, 1 / (3 * fan_in), -1 / math.sqrt(fan_in),
                            1 / math.sqrt(fan_in)),
        "chapter3": (0.0, 1 / fan_in, -math.inf, math.inf),
        "lecun_normal": (0.0, 1 / fan_in, -math.inf, math.inf),
        "lecun_uniform": (0.0, 1 / fan_in, -math.sqrt(3 / fan_in), math.sqrt(3 / fan_in)),
        "he_normal": (0.0, 2 / fan_in, -math.inf, math.inf),
        "he_uniform": (0.0, 2 / fan_in, -math.sqrt(6 / fan_in), math.sqrt(6 / fan_in)),
    }
    return table[name]


EXPECTED_BIASES = {  # (mean, variance) of one bias
    "rand": (0.5, 1 / 12), "randn": (0.0, 1.0), "chapter3": (0.0, 1.0),
    "zeros": (0.0, 0.0), "xavier_uniform": (0.0, 0.0), "xavier_normal": (0.0, 0.0),
    "glorot_standard": (0.0, 0.0),
    "lecun_normal": (0.0, 0.0), "lecun_uniform": (0.0, 0.0),
    "he_normal": (0.0, 0.0), "he_uniform": (0.0, 0.0),
}


def test_every_registered_scheme_is_checked_here():
    assert set(initializers.names()) == set(EXPECTED_BIASES)


def draw_many(draw, shape, repeats=8, seed=0):
    """Several independent draws of one shape, so that small shapes have
    enough samples for a tight tolerance."""
    rng = np.random.default_rng(seed)
    return np.stack([draw(rng, shape, np.float64) for _ in range(repeats)])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(EXPECTED_BIASES))
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
    a = draw(np.random.default_rng(7), (30, 784))
    b = draw(np.random.default_rng(7), (30, 784))
    np.testing.assert_array_equal(a, b)
    if name != "zeros":
        c = draw(np.random.default_rng(8), (30, 784))
        assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", sorted(EXPECTED_BIASES))
def test_float32_draws(name):
    w = initializers.get(name).weights(np.random.default_rng(0), (30, 784), np.float32)
    assert w.dtype == np.float32


def test_unknown_name_lists_every_valid_name():
    with pytest.raises(ValueError) as err:
        initializers.get("glorot")
    for name in initializers.names():
        assert name in str(err.value)


def test_question_schemes_are_registered():
    assert set(initializers.QUESTION_SCHEMES) <= set(initializers.names())


def test_calculate_gain():
    assert initializers.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    with pytest.raises(ValueError, match="sigmoid"):
        initializers.calculate_gain("softsign")
