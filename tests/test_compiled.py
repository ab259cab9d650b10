"""SGD(compiled=True), the optional compiled epoch (nndl.compiled, Numba),
against the default numpy path: the same shuffle and the same steps, equal to
float tolerance (the compiled sums run in another order and its exp and tanh
are not numpy's, so not bit for bit)."""

import importlib
import itertools
import sys

import numpy as np
import pytest

import network
from nndl import training
from nndl.activations import EXP_MAX

numba = pytest.importorskip("numba")
from nndl import compiled  # noqa: E402

RTOL = {np.float64: 1e-10, np.float32: 2e-4}  # relative to the largest entry


def data(n, dtype, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 20)).astype(dtype)
    X[rng.random(X.shape) < 0.5] = 0
    return X, rng.integers(0, 4, n)


def pair(dtype, **kw):
    return [network.Network([20, 9, 6, 4], seed=3, dtype=dtype, **kw) for _ in range(2)]


def route(monkeypatch, name):
    """Force the compiled epoch's products to numpy's BLAS (``blas_from`` 0)
    or to its loops, whatever this machine's BLAS kernel would choose."""
    if name == "BLAS" and compiled.BLAS is None:
        pytest.skip("numpy's BLAS is not OpenBLAS: the compiled path uses its loops")
    size = 0 if name == "BLAS" else compiled.NEVER
    monkeypatch.setattr(compiled, "choose_blas_from", lambda kernel, threads: size)


def assert_close(a, b, dtype):
    for p, q in zip(a.weights + a.biases, b.weights + b.biases):
        scale = float(np.abs(p).max())
        assert float(np.abs(p - q).max()) <= RTOL[dtype] * scale, (p, q)


@pytest.mark.parametrize("activation,cost", list(itertools.product(
    ("sigmoid", "tanh", "relu", "softsign"), ("quadratic", "cross_entropy", "log_likelihood"))))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("lmbda", [0.0, 5.0])
@pytest.mark.parametrize("products", ["loops", "BLAS"])
def test_compiled_steps_equal_numpys(activation, cost, dtype, lmbda, products, monkeypatch):
    """Two epochs of 3 steps each, the last step 3 examples (a partial batch),
    with every product in the compiled loops, then every one by numpy's BLAS
    (forward, back, and the update with L2's decay as BLAS's beta)."""
    route(monkeypatch, products)
    a, b = pair(dtype, activation=activation, cost=cost)
    X, y = data(23, dtype)
    a.SGD((X, y), 2, 10, 0.5, lmbda=lmbda, verbose=False)
    b.SGD((X, y), 2, 10, 0.5, lmbda=lmbda, verbose=False, compiled=True)
    assert_close(a, b, dtype)
    # the same shuffles: each generator was drawn from alike
    assert a.rng.bit_generator.state == b.rng.bit_generator.state


@pytest.mark.parametrize("m", [1, 4, 10, 100])
@pytest.mark.parametrize("products", ["loops", "BLAS"])
def test_compiled_epoch_over_many_steps(m, products, monkeypatch):
    """The book's network shape in small, a whole epoch of every mini-batch size
    (1: every row a remainder of the 4 x 4 blocks; 100: one batch)."""
    route(monkeypatch, products)
    a, b = (network.Network([20, 30, 10], seed=0) for _ in range(2))
    X, y = data(250, np.float64)
    ha = a.SGD((X, y), 1, m, 3.0, verbose=False, test_data=(X, y))
    hb = b.SGD((X, y), 1, m, 3.0, verbose=False, test_data=(X, y), compiled=True)
    assert_close(a, b, np.float64)
    assert ha.test_accuracy == hb.test_accuracy


def ulps(a, b):
    """How many representable numbers apart ``a`` and ``b`` are (both >= 0:
    the bit patterns of non-negative floats count up with their values,
    subnormals included)."""
    bits = np.int64 if a.dtype == np.float64 else np.int32
    return np.abs(a.view(bits).astype(np.int64) - b.view(bits).astype(np.int64))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fast_exp_is_within_2_ulp_of_numpys(dtype):
    """The compiled path's exp against ``np.exp`` over all the arguments the
    sigmoid and softmax give it: a dense grid and random values from below
    the point where exp underflows to 0, through the subnormal results, up to
    the sigmoid's clamp ``EXP_MAX``, with the edges themselves; beyond them
    0, inf and NaN as numpy gives them, and no warning."""
    top = EXP_MAX[np.dtype(dtype)][()]
    tiny = np.log(np.finfo(dtype).smallest_subnormal, dtype=np.float64)  # -745.1, -103.3
    low = tiny - 2
    edges = np.array([low, tiny, np.log(np.finfo(dtype).smallest_normal), -1, 0, -0.0, 1, top],
                     dtype)
    near = np.concatenate([edges + k * np.spacing(edges) for k in range(-50, 51)])
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(low, top, 1_000_001).astype(dtype), near[near <= top],
                        rng.uniform(low, top, 500_000).astype(dtype),
                        rng.uniform(low, np.log(np.finfo(dtype).smallest_normal), 100_000)
                        .astype(dtype)])
    got = compiled.exp_(x.copy())
    worst = int(ulps(got, np.exp(x)).max())
    print(f"fast_exp, {np.dtype(dtype).name}: at most {worst} ulp from np.exp")
    assert worst <= 2
    beyond = np.array([-np.inf, -1e30, 1e30, np.inf, np.nan], dtype)
    np.testing.assert_array_equal(compiled.exp_(beyond), [0, 0, np.inf, np.inf, np.nan])


def test_blas_products_equal_the_loops():
    """The products through numpy's BLAS (large layers) give the steps that
    the loops give (small ones): both forced here on a small net, through
    ``Step``'s own ``blas_from``."""
    if compiled.BLAS is None:
        pytest.skip("numpy's BLAS is not OpenBLAS: the compiled path uses its loops")
    X, y = data(37, np.float32)
    nets = []
    for blas_from in (0, 2**62):
        net = network.Network([20, 9, 6, 4], seed=3, dtype=np.float32)
        run = training.checked_run(net, (X, y), 1, 10, 0.5, None, 5.0, None,
                                   training.Monitor(), False, None)
        compiled.Step(net, 0.5, 1 - 0.5 * 5.0 / 37, 10, blas_from).epoch(run.train, 10, net.rng)
        nets.append(net)
    assert_close(*nets, np.float32)


def test_the_route_is_a_function_of_the_blas_kernel_and_threads():
    """The route (loops or BLAS, by size) follows from what threadpoolctl
    reports, never from a timing: the same answers every time it is asked,
    one kernel the loops beat and the others not, several threads sending
    large products to BLAS whatever the kernel."""
    kernels = ("Haswell", "SkylakeX", "Zen", "Prescott", None)
    table = [(k, t, compiled.choose_blas_from(k, t)) for k in kernels for t in (1, 2, 8)]
    assert table == [(k, t, compiled.choose_blas_from(k, t)) for k, t, _ in table]
    for kernel, threads, size in table:
        blas = kernel in compiled.FASTER_KERNELS or threads > 1
        assert size == (compiled.BLAS_FROM if blas else compiled.NEVER), (kernel, threads)
    assert compiled.choose_blas_from("Haswell", 1) == compiled.NEVER


def test_the_same_machine_takes_the_same_route(monkeypatch):
    """Two runs of a network whose products are large enough for BLAS on some
    kernels give the same weights bit for bit, and ``Step`` asks the rule
    with this machine's kernel and thread count."""
    asked = []
    rule = compiled.choose_blas_from
    monkeypatch.setattr(compiled, "choose_blas_from",
                        lambda kernel, threads: asked.append((kernel, threads)) or rule(
                            kernel, threads))
    X, y = data(400, np.float32)
    X = np.tile(X, (1, 10))  # 200 inputs: 200 * 200 * 300 multiply-adds a layer
    nets = [network.Network([200, 300, 4], seed=5, dtype=np.float32) for _ in range(2)]
    for net in nets:
        net.SGD((X, y), 2, 200, 0.5, lmbda=1.0, verbose=False, compiled=True)
    for p, q in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases):
        np.testing.assert_array_equal(p, q)
    if compiled.BLAS is not None:
        assert set(asked) == {(compiled.BLAS.kernel, asked[0][1])} and len(asked) == 4


def test_without_numba_the_error_names_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    monkeypatch.delitem(sys.modules, "nndl.compiled")
    net = network.Network([20, 5, 4], seed=0)
    with pytest.raises(ImportError, match=r"pip install 'nndl-init\[fast\]'.*compiled=False"):
        net.SGD(data(10, np.float64), 1, 5, 1.0, verbose=False, compiled=True)
    monkeypatch.undo()
    importlib.import_module("nndl.compiled")


def test_the_default_path_needs_no_numba():
    """Importing network does not import Numba (half a second): only compiled=True does."""
    import subprocess

    code = "import network, sys; print('numba' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=network.__file__.rsplit("/", 1)[0])
    assert done.stdout.strip() == "False", done.stderr


# A few steps of the compiled epoch in a fresh process, for every hidden
# activation and cost (codes given at run time: one compiled epoch), printing
# a digest of the weights and whether the epoch came from Numba's disk cache.
TRAIN_AND_DIGEST = """
import hashlib, itertools
import numpy as np
import network
from nndl import compiled
rng = np.random.default_rng(1)
X = rng.random((60, 50))
X[rng.random(X.shape) < 0.5] = 0
y = rng.integers(0, 10, 60)
digest = hashlib.sha256()
for activation, cost in itertools.product(compiled.HIDDEN, compiled.OUTPUT):
    net = network.Network([50, 30, 10], seed=0, activation=activation, cost=cost)
    net.SGD((X, y), 1, 10, 3.0, verbose=False, compiled=True)
    for p in net.weights + net.biases:
        digest.update(p.tobytes())
print(digest.hexdigest(), sum(compiled._epoch.stats.cache_hits.values()) > 0)
"""


def test_a_cached_epoch_gives_the_numbers_of_a_fresh_one(tmp_path):
    """The process that compiles the epoch (and writes Numba's disk cache)
    and a later one that loads it from the cache train to the same weights,
    bit for bit: a seed repeats a run whether or not the epoch was cached."""
    import os
    import subprocess

    if compiled.BLAS is None:
        pytest.skip("numpy's BLAS is not OpenBLAS: the compiled epoch is not cached")
    root = network.__file__.rsplit("/", 1)[0]
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    runs = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", TRAIN_AND_DIGEST], capture_output=True,
                              text=True, cwd=root, env=env)
        assert done.returncode == 0, done.stderr
        runs.append(done.stdout.split())
    (fresh, from_cache_1), (cached, from_cache_2) = runs
    assert (from_cache_1, from_cache_2) == ("False", "True")  # compiled, then loaded
    assert fresh == cached


# ---- parameters the compiled epoch cannot take as they are ----------------------


def _frozen(net, tmp_path, case):
    """Make some of ``net``'s parameters read-only, as ``case`` says; return their names."""
    if case == "writeable=False":
        net.weights[1].flags.writeable = False
        return ["weights[1]"]
    if case == "bias":
        net.biases[0].flags.writeable = False
        return ["biases[0]"]
    if case == "frombuffer":
        w = net.weights[0]
        net.weights[0] = np.frombuffer(w.tobytes(), w.dtype).reshape(w.shape)
        return ["weights[0]"]
    # every parameter a read-only memory map, as a network kept in .npy files
    for kind in ("weights", "biases"):
        for l, p in enumerate(getattr(net, kind)):
            np.save(tmp_path / f"{kind}{l}.npy", p)
            getattr(net, kind)[l] = np.load(tmp_path / f"{kind}{l}.npy", mmap_mode="r")
    return ["weights[0]", "weights[1]", "weights[2]", "biases[0]", "biases[1]", "biases[2]"]


@pytest.mark.parametrize("case", ["writeable=False", "bias", "frombuffer", "all memory maps"])
def test_read_only_parameters_are_named_before_any_work(case, tmp_path):
    """Numba's own error would be a TypingError about a tuple's getitem: the
    parameter and its fix are named instead, as the numpy path names them."""
    net = network.Network([20, 9, 6, 4], seed=3)
    names = _frozen(net, tmp_path, case)
    before = [p.copy() for p in net.weights + net.biases]
    state = net.rng.bit_generator.state
    with pytest.raises(ValueError, match="read-only") as raised:
        net.SGD(data(23, np.float64), 1, 10, 0.5, verbose=False, compiled=True)
    message = str(raised.value)
    for name in names:
        assert f"net.{name} = net.{name}.copy()" in message
    assert net.rng.bit_generator.state == state  # not even a shuffle drawn
    for p, q in zip(net.weights + net.biases, before):
        np.testing.assert_array_equal(p, q)
    for name in names:  # the fix named works
        kind, l = name[:-3], int(name[-2])
        getattr(net, kind)[l] = getattr(net, kind)[l].copy()
    net.SGD(data(23, np.float64), 1, 10, 0.5, verbose=False, compiled=True)


@pytest.mark.parametrize("layout", ["Fortran", "strided", "float32", "int", "read-only Fortran"])
def test_parameters_of_another_layout_or_dtype_train_as_numpys(layout):
    """Parameters the checks convert (into C order and the network's dtype,
    a writable copy) train compiled as on the numpy path."""
    def relaid(w):
        if layout == "strided":
            return np.repeat(w, 2, axis=1)[:, ::2]
        if layout == "float32":
            return w.astype(np.float32)
        if layout == "int":
            return np.round(w * 4).astype(np.int64)
        w = np.asfortranarray(w)
        w.flags.writeable = layout == "Fortran"
        return w

    a, b = pair(np.float64)
    for net in (a, b):
        net.weights[0] = relaid(net.weights[0])
    X, y = data(23, np.float64)
    a.SGD((X, y), 2, 10, 0.5, verbose=False)
    b.SGD((X, y), 2, 10, 0.5, verbose=False, compiled=True)
    assert_close(a, b, np.float64)


@pytest.mark.parametrize("eta,lmbda,message", [
    (1e300, 0.0, r"eta/m = 3.33333e\+299 \(m = 3"),  # 23 examples: the last batch is 3
    (1.0, 1e300, r"1 - eta\*lmbda/n = -4.34783e\+298")])
def test_a_step_beyond_float32s_range_is_refused_as_on_the_numpy_path(eta, lmbda, message):
    """Cast into float32 for the compiled epoch, eta / m and the decay gave
    numpy's overflow warning; the same error as the numpy path's instead."""
    net = network.Network([20, 9, 6, 4], seed=3, dtype=np.float32)
    with pytest.raises(ValueError, match=message + r".* beyond float32's range"):
        net.SGD(data(23, np.float32), 1, 10, eta, lmbda=lmbda, verbose=False, compiled=True)
