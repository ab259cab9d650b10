"""Every initializer draws from the distribution its formula names, and has the
variance of its PyTorch or Keras counterpart.

The distribution tests follow PyTorch's own (``test/nn/test_init.py``): a
Kolmogorov-Smirnov test of the drawn weights against the expected
distribution, passed when its p-value is above 0.0001, over random shapes of
20 to 25 rows and columns (and the book's layers) and random gains in
[0.1, 2].  Python's ``random`` is seeded as PyTorch seeds it (123), and every
draw is seeded, so each test gives the same p-values on every run.  The
expected distributions and the reference variances are written here from
the papers' and frameworks' documented formulas, not read from
``initializers``.  PyTorch and Keras are not needed: scipy gives the
distributions.
"""

import math
import random

import numpy as np
import pytest

import initializers

stats = pytest.importorskip("scipy.stats", reason="the KS tests need scipy (the dev extra)")

P_MIN = 1e-4  # PyTorch's significance level for these tests
# Keras's correction: the sd of N(0, 1) truncated to [-2, 2], here from scipy.
TRUNC_SD = stats.truncnorm(-2, 2).std()
TRUNC_VAR = TRUNC_SD ** 2


def ks_p(samples, dist) -> float:
    return stats.kstest(np.ravel(samples), dist.cdf).pvalue


def random_shapes(seed=123, count=4):
    """(fan_out, fan_in) shapes as PyTorch's tests make them, sides 20 to 25,
    and the book's layers (wide, tall, and large enough to have power)."""
    rand = random.Random(seed)
    shapes = [(rand.randint(20, 25), rand.randint(20, 25)) for _ in range(count)]
    return shapes + [(30, 784), (10, 30), (100, 30)]


def random_float(rand, a, b):
    return (b - a) * rand.random() + a


def normal(sd):
    return stats.norm(0, sd)


def uniform(bound):
    return stats.uniform(-bound, 2 * bound)


def corrected_truncated(var):
    """Keras: N(0, (sqrt(var)/0.8796...)**2) cut at 2 of its sd."""
    return stats.truncnorm(-2, 2, scale=math.sqrt(var) / TRUNC_SD)


# ---- the named schemes -------------------------------------------------------------

# name -> expected distribution of one weight, given (fan_in, fan_out).
NAMED = {
    "rand": lambda fi, fo: stats.uniform(0, 1),
    "randn": lambda fi, fo: normal(1.0),
    "xavier_uniform": lambda fi, fo: uniform(math.sqrt(6 / (fi + fo))),
    "xavier_normal": lambda fi, fo: normal(math.sqrt(2 / (fi + fo))),
    "chapter3": lambda fi, fo: normal(1 / math.sqrt(fi)),
    "lecun_normal": lambda fi, fo: normal(1 / math.sqrt(fi)),
    "lecun_uniform": lambda fi, fo: uniform(math.sqrt(3 / fi)),
    "he_normal": lambda fi, fo: normal(math.sqrt(2 / fi)),
    "he_uniform": lambda fi, fo: uniform(math.sqrt(6 / fi)),
    "glorot_standard": lambda fi, fo: uniform(1 / math.sqrt(fi)),
    "xavier_truncated_normal": lambda fi, fo: corrected_truncated(2 / (fi + fo)),
    "lecun_truncated_normal": lambda fi, fo: corrected_truncated(1 / fi),
    "he_truncated_normal": lambda fi, fo: corrected_truncated(2 / fi),
    "he_normal_fan_out": lambda fi, fo: normal(math.sqrt(2 / fo)),
    "he_uniform_fan_out": lambda fi, fo: uniform(math.sqrt(6 / fo)),
    "trunc_normal": lambda fi, fo: stats.truncnorm(-2, 2),
    # A Haar orthogonal matrix's unit columns (rows, when wide) lie uniformly on
    # the sphere in R^n, n = max(fans): (w + 1)/2 ~ Beta((n - 1)/2, (n - 1)/2).
    "orthogonal": lambda fi, fo: stats.beta((max(fi, fo) - 1) / 2, (max(fi, fo) - 1) / 2,
                                            loc=-1, scale=2),
}
# Tested otherwise: zeros, eye and identity draw nothing (their entries are
# checked one by one in test_initializers.py); sparse is a point mass at 0
# plus a normal, tested below as PyTorch tests sparse_.
DETERMINISTIC = {"zeros", "eye", "identity"}


def test_every_random_scheme_has_a_ks_test():
    assert set(NAMED) | DETERMINISTIC | {"sparse"} == set(initializers.names())


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_scheme_passes_ks(name):
    draw = initializers.get(name).weights
    for i, shape in enumerate(random_shapes()):
        fan_in, fan_out = initializers.fans(shape)
        w = draw(np.random.default_rng(i), shape, np.float64)
        p = ks_p(w, NAMED[name](fan_in, fan_out))
        assert p > P_MIN, (name, shape, p)


# ---- the schemes with parameters, over their ranges ----------------------------------


@pytest.mark.parametrize("use_gain", [True, False])
@pytest.mark.parametrize("kind", ["uniform", "normal", "truncated_normal"])
def test_xavier_with_gain(kind, use_gain):
    draw = getattr(initializers, f"xavier_{kind}")
    rand = random.Random(123)
    for i, shape in enumerate(random_shapes()):
        gain = random_float(rand, 0.1, 2) if use_gain else 1.0
        fan_in, fan_out = initializers.fans(shape)
        w = draw(np.random.default_rng(i), shape, gain=gain)
        std = gain * math.sqrt(2.0 / (fan_in + fan_out))  # PyTorch's xavier formula
        dist = {"uniform": uniform(std * math.sqrt(3)), "normal": normal(std),
                "truncated_normal": corrected_truncated(std ** 2)}[kind]
        assert ks_p(w, dist) > P_MIN, (shape, gain)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("use_a", [True, False])
@pytest.mark.parametrize("kind", ["uniform", "normal", "truncated_normal"])
def test_he_with_mode_and_negative_slope(kind, use_a, mode):
    draw = getattr(initializers, f"he_{kind}")
    rand = random.Random(123)
    for i, shape in enumerate(random_shapes()):
        a = random_float(rand, 0.1, 2) if use_a else 0.0
        fan_in, fan_out = initializers.fans(shape)
        n = fan_in if mode == "fan_in" else fan_out
        w = draw(np.random.default_rng(i), shape, mode=mode, negative_slope=a)
        std = math.sqrt(2.0 / ((1 + a ** 2) * n))  # PyTorch's kaiming formula
        dist = {"uniform": uniform(std * math.sqrt(3)), "normal": normal(std),
                "truncated_normal": corrected_truncated(std ** 2)}[kind]
        assert ks_p(w, dist) > P_MIN, (shape, a)


@pytest.mark.parametrize("mode", initializers.MODES)
@pytest.mark.parametrize("distribution", initializers.DISTRIBUTIONS)
def test_variance_scaling_over_scales_and_shapes(distribution, mode):
    rand = random.Random(123)
    for i, shape in enumerate(random_shapes()):
        scale = random_float(rand, 0.1, 3)
        fan_in, fan_out = initializers.fans(shape)
        # Keras: n is a fan, or their mean; the variance wanted is scale / n.
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        var = scale / n
        w = initializers.variance_scaling(scale, mode, distribution)(np.random.default_rng(i),
                                                                      shape)
        dist = {"uniform": uniform(math.sqrt(3 * var)), "normal": normal(math.sqrt(var)),
                "truncated_normal": corrected_truncated(var)}[distribution]
        assert ks_p(w, dist) > P_MIN, (shape, scale)


def test_trunc_normal_over_means_sds_and_bounds():
    # PyTorch's test_trunc_normal: random mean, sd and absolute bounds.
    rand = random.Random(123)
    for i, shape in enumerate(random_shapes()):
        mean = rand.uniform(-3, 3)
        std = rand.uniform(0.01, 1)
        a = rand.uniform(mean - 2 * std, mean)
        b = rand.uniform(mean, mean + 2 * std)
        w = initializers.trunc_normal(np.random.default_rng(i), shape, mean=mean, std=std,
                                      a=a, b=b)
        assert w.min() >= a and w.max() <= b
        dist = stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
        assert ks_p(w, dist) > P_MIN, (mean, std, a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_trunc_normal_narrow_interval_in_the_tail(dtype):
    # PyTorch's test_trunc_normal_narrow_interval: [2, 3], 2.1 % of N(0, 1).
    w = initializers.trunc_normal(np.random.default_rng(0), (100, 100), dtype, a=2.0, b=3.0)
    assert w.dtype == dtype and w.min() >= 2.0 and w.max() <= 3.0
    assert ks_p(w.astype(np.float64), stats.truncnorm(2, 3)) > P_MIN


@pytest.mark.parametrize("use_random_std", [True, False])
def test_sparse_as_pytorch_tests_it(use_random_std):
    rand = random.Random(123)
    for i in range(4):
        shape = (rand.randint(30, 35), rand.randint(30, 35))
        rows = shape[0]
        sparsity = random_float(rand, 0.1, 0.2)
        std = random_float(rand, 0.01, 0.2) if use_random_std else 0.01
        w = initializers.sparse(np.random.default_rng(i), shape, sparsity=sparsity, std=std)
        assert ((w == 0).sum(axis=0) >= math.ceil(sparsity * rows)).all()
        assert ks_p(w[w != 0], normal(std)) > P_MIN, (shape, sparsity, std)


@pytest.mark.parametrize("use_gain", [True, False])
def test_orthogonal_entries_are_haar_distributed(use_gain):
    # Entries of one matrix are tied together (each column has norm 1), so
    # here each sample is one entry of an independently drawn matrix.
    rand = random.Random(123)
    for shape in [(20, 24), (24, 20), (22, 22)]:
        gain = random_float(rand, 0.1, 2) if use_gain else 1.0
        rng = np.random.default_rng(sum(shape))
        entries = [initializers.orthogonal(rng, shape, gain=gain)[1, 2] for _ in range(800)]
        n = max(shape)
        dist = stats.beta((n - 1) / 2, (n - 1) / 2, loc=-gain, scale=2 * gain)
        assert ks_p(entries, dist) > P_MIN, (shape, gain)


# ---- the KS tests can fail ------------------------------------------------------------


def test_the_ks_test_rejects_a_wrong_formula():
    rng = np.random.default_rng(0)
    shape = (30, 784)
    # He's fan_in variance tested as if it were fan_out's.
    w = initializers.he_normal(rng, shape)
    assert ks_p(w, normal(math.sqrt(2 / 30))) < P_MIN
    # A uniform of the right variance is not a normal.
    w = initializers.he_uniform(rng, shape)
    assert ks_p(w, normal(math.sqrt(2 / 784))) < P_MIN
    # Without Keras's correction the truncated normal's variance is 23 % low.
    w = initializers.he_truncated_normal(rng, (300, 300))
    assert ks_p(w, stats.truncnorm(-2, 2, scale=math.sqrt(2 / 300))) < P_MIN
    # A Haar entry is not a normal of the same variance when n is small: for
    # n = 3 it is uniform on [-1, 1] (Archimedes' hat-box theorem).
    entries = [initializers.orthogonal(rng, (3, 3))[0, 0] for _ in range(2000)]
    assert ks_p(entries, uniform(1.0)) > P_MIN
    assert ks_p(entries, normal(math.sqrt(1 / 3))) < P_MIN


# ---- variances equal to PyTorch's and Keras's ----------------------------------------


def torch_variance(name, fan_in, fan_out):
    """Var of one weight from torch.nn.init's documented formulas, or None."""
    def kaiming_std(a, n, nonlinearity="leaky_relu"):  # gain / sqrt(fan)
        gain = {"leaky_relu": math.sqrt(2.0 / (1 + a ** 2)), "linear": 1.0}[nonlinearity]
        return gain / math.sqrt(n)

    k = min(fan_in, fan_out) / (fan_in * fan_out)  # share of ones in torch.eye
    table = {
        "rand": 1 / 12,  # uniform_(0, 1)
        "randn": 1.0,  # normal_()
        "zeros": 0.0,
        "xavier_uniform": (math.sqrt(6.0 / (fan_in + fan_out))) ** 2 / 3,
        "xavier_normal": 2.0 / (fan_in + fan_out),
        "lecun_normal": kaiming_std(0, fan_in, "linear") ** 2,
        "chapter3": kaiming_std(0, fan_in, "linear") ** 2,
        "he_normal": kaiming_std(0, fan_in) ** 2,
        "he_uniform": (math.sqrt(3.0) * kaiming_std(0, fan_in)) ** 2 / 3,
        "he_normal_fan_out": kaiming_std(0, fan_out) ** 2,
        "he_uniform_fan_out": (math.sqrt(3.0) * kaiming_std(0, fan_out)) ** 2 / 3,
        # nn.Linear.reset_parameters: kaiming_uniform_(w, a=sqrt(5)).
        "glorot_standard": (math.sqrt(3.0) * kaiming_std(math.sqrt(5), fan_in)) ** 2 / 3,
        "trunc_normal": TRUNC_VAR,  # trunc_normal_() defaults
        # orthogonal_: min(fans) orthonormal vectors, spread over fan_in * fan_out entries.
        "orthogonal": min(fan_in, fan_out) / (fan_in * fan_out),
        # sparse_(sparsity=0.1, std=0.01): ceil(0.1 * rows) zeros in each column.
        "sparse": 0.01 ** 2 * (1 - math.ceil(0.1 * fan_out) / fan_out),
        "eye": k - k ** 2,  # eye_: torch.eye(rows, cols)
        "identity": k - k ** 2,
    }
    return table.get(name)


def keras_variance(name, fan_in, fan_out):
    """Var of one weight from keras.initializers' documented formulas, or None."""
    def variance_scaling(scale, mode, distribution):
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        scale /= max(1.0, n)
        if distribution == "truncated_normal":
            stddev = math.sqrt(scale) / 0.87962566103423978
            return stddev ** 2 * TRUNC_VAR  # cut at 2 stddev
        if distribution == "untruncated_normal":
            return scale
        limit = math.sqrt(3.0 * scale)
        return limit ** 2 / 3

    table = {
        "xavier_uniform": variance_scaling(1.0, "fan_avg", "uniform"),  # GlorotUniform
        "xavier_truncated_normal": variance_scaling(1.0, "fan_avg", "truncated_normal"),
        "lecun_uniform": variance_scaling(1.0, "fan_in", "uniform"),
        "lecun_truncated_normal": variance_scaling(1.0, "fan_in", "truncated_normal"),
        "he_uniform": variance_scaling(2.0, "fan_in", "uniform"),
        "he_truncated_normal": variance_scaling(2.0, "fan_in", "truncated_normal"),
        "xavier_normal": variance_scaling(1.0, "fan_avg", "untruncated_normal"),
        "lecun_normal": variance_scaling(1.0, "fan_in", "untruncated_normal"),
        "he_normal": variance_scaling(2.0, "fan_in", "untruncated_normal"),
        "he_normal_fan_out": variance_scaling(2.0, "fan_out", "untruncated_normal"),
        "he_uniform_fan_out": variance_scaling(2.0, "fan_out", "uniform"),
        # keras.initializers.TruncatedNormal(0, 1): cut at 2 stddev, not corrected.
        "trunc_normal": TRUNC_VAR,
    }
    return table.get(name)


FANS = [(784, 30), (30, 10), (1, 1), (50, 200), (1000, 7), (23, 23)]


@pytest.mark.parametrize("name", initializers.names())
def test_expected_variance_equals_the_frameworks(name):
    scheme = initializers.get(name)
    counterparts = 0
    for fan_in, fan_out in FANS:
        if name == "identity" and fan_in != fan_out:
            continue
        var = scheme.weight_moments(fan_in, fan_out)[1]
        for reference in (torch_variance, keras_variance):
            want = reference(name, fan_in, fan_out)
            if want is not None:
                counterparts += 1
                assert var == pytest.approx(want, rel=1e-12, abs=1e-300), (reference, fan_in)
    assert counterparts > 0, f"{name} has no PyTorch or Keras counterpart"


@pytest.mark.parametrize("name", sorted(set(initializers.names()) - {"identity"}))
def test_drawn_variance_matches_the_frameworks(name):
    shape = (200, 150)
    fan_in, fan_out = initializers.fans(shape)
    want = torch_variance(name, fan_in, fan_out)
    if want is None:
        want = keras_variance(name, fan_in, fan_out)
    w = initializers.get(name).weights(np.random.default_rng(9), shape, np.float64)
    assert w.var() == pytest.approx(want, rel=0.05, abs=1e-300)


def test_keras_truncation_constant_is_the_sd_of_the_cut_normal():
    assert initializers.TRUNCATED_NORMAL_SD == pytest.approx(TRUNC_SD, rel=1e-15)
    assert math.sqrt(initializers.truncated_normal_moments(0, 1, -2, 2)[1]) == \
        pytest.approx(TRUNC_SD, rel=1e-14)
