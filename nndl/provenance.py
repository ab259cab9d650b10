"""nndl.provenance
~~~~~~~~~~~~~~~

Which numbers made a record: a *numerical fingerprint* of the code.

Every experiment record is stamped with :func:`fingerprint`, and a sweep
reuses a saved run only if its stamp is today's.  The stamp must change when
the code would compute other numbers, and only then.  A hash of the source
text fails both ways: a new comment or a reworded error message invalidates
every record, while numbers that come from elsewhere (numpy, a module the
hash forgot) slip through.  So the fingerprint hashes *numbers*: those of a
fixed, seeded probe that drives the public API the experiments drive.

What the probe computes (about 0.1 s):

* every scheme of :mod:`initializers` (the registry is enumerated, so a new
  scheme is covered as soon as it is registered), drawn through
  ``network.Network(sizes, init=name, seed=...)`` in float64 and float32,
  for a non-square and a square layer; and :func:`initializers.lsuv`;
* a tiny network trained for two epochs of seven examples at mini-batch
  size 3 (each epoch ends on a partial mini-batch), for every activation of
  ``network.ACTIVATIONS``, every cost of ``network.COSTS``, float64 and
  float32, without and with L2 regularisation: the training cost after
  each epoch (its L2 term included) and, in float64, the final weights and
  biases;
* each activation, output layer and cost at weighted inputs from -1000 to
  1000, where the overflow guards act (the clamp in the sigmoid, say);
* chapter 3's ``network2``: its two initializations, and its own ``SGD``
  (cross-entropy, L2) with all four monitors;
* the loader's scaling of every pixel value 0-255, from a small synthetic
  IDX data set written to a temporary folder, gzipped (the fast path) and
  not (the plain path), in float64 and float32.

Then numpy's major.minor version and :data:`NUMERICS`, a number bumped by
hand for a change of the numbers that the probe cannot see.  Not covered:
the experiment scripts' own arithmetic (each bumps its ``RUN_CODE_VERSION``),
the loader's reading of the book's ``mnist.pkl.gz``, and the BLAS thread
count that :mod:`blas` chooses, which changes only last bits (as the CPU
kernel does) and is 1 in every sweep.

The same on every CPU.  OpenBLAS sums a product in an order, and with or
without fused multiply-adds, that depend on the CPU kernel and the thread
count, and numpy's ``exp`` and ``tanh`` differ by an ulp between its SIMD
paths, so the last bits of a number differ between machines that run the
same code.  The probe keeps those bits few: its inputs and starting weights
are small multiples of 1/8, so that a first layer's sums are exact in any
order; its networks are tiny and train for six steps; float32, a billion
times noisier, gives only its costs and the guards' results.  Each array is
then rounded well above them, to :data:`DIGITS` significant digits of its
largest number (float64: 9, float32: 3), exactly, in decimal.  A number
that sits within its noise of a rounding boundary could still round two
ways; measured over six kernels and SIMD paths, the chance of that is about
3 in 10,000 (see ``DIGITS``).

Changing the probe changes the fingerprint, so every record then counts as
made by other code: change it together with a change of the numbers, or
add the old fingerprint to ``experiments.records.LEGACY``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import math
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import numpy as np

import initializers
import mnist_loader
import network
import network2

NUMERICS = 1  # bump by hand for a change of the numbers that the probe cannot see

SEED = 0
DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
# Significant digits kept, of each array's largest number (see quantum).  The
# CPU kernels and numpy's SIMD paths differ by at most 5e-16 of an array's
# largest float64 number and 1.3e-7 of a float32 one (measured with
# ``python -m nndl.provenance --compare``, below, over six of them), so the
# digit kept is at least 1e6 times coarser than float64's noise and 8e3 times
# float32's: of the probe's 5,500 numbers, about 0.0003 are expected to round
# differently between the two most distant of those six.
DIGITS = {np.dtype(np.float64): 9, np.dtype(np.float32): 3}
# Weighted inputs at which the overflow guards act: exp overflows at 709.78
# in float64 and at 88.72 in float32.
EXTREMES = (-1000, -800, -710, -700, -100, -88, -80, -40, -20, -1, 0, 1, 20, 40, 100, 1000)
# In float32 only those beyond exp's reach and 0: float32's exp differs by an
# ulp between numpy's SIMD paths at the others, and its maths there is
# float64's, which the probe sees to nine digits.
EXTREMES_FLOAT32 = tuple(z for z in EXTREMES if abs(z) >= 80 or z == 0)

Numbers = Iterator[tuple[str, object]]


def fingerprint() -> str:
    """A 12-digit hex stamp of the numbers this code computes (see the module
    docstring): equal stamps, equal numbers up to the last bits that differ
    between CPU kernels.  Computed once per process."""
    return _fingerprint()


@functools.cache
def _fingerprint() -> str:
    return stamp(probe())


def stamp(numbers: list[tuple[str, object]]) -> str:
    """The 12-digit hex hash of the probe's ``numbers`` (each as :func:`text`
    gives it), numpy's major.minor version and :data:`NUMERICS`."""
    digest = hashlib.sha256()
    major, minor = np.__version__.split(".")[:2]
    digest.update(f"numpy {major}.{minor}\nNUMERICS {NUMERICS}\n".encode())
    for label, value in numbers:
        digest.update(f"{label}={text(value)}\n".encode())
    return digest.hexdigest()[:12]


def probe() -> list[tuple[str, object]]:
    """Every number the fingerprint hashes, as ``(label, value)`` pairs: a
    value is an array, a number or a string (``"refused"`` for a setting the
    code refuses with a ValueError)."""
    return [*initializer_draws(), *lsuv_draws(), *training_runs(), *extremes(),
            *network2_runs(), *loader_scaling()]


def text(value) -> str:
    """``value`` as the fingerprint hashes it: integers exactly; floats as
    integer multiples of :func:`quantum`, ``DIGITS`` significant digits of
    the array's largest magnitude (of the number itself for a scalar)."""
    if isinstance(value, str):
        return value
    a = np.asarray(value)
    if a.dtype.kind in "biu":
        return " ".join(str(int(x)) for x in a.ravel())
    exponent = quantum(a)
    # In decimal, exactly: a float is a decimal fraction, and 10**exponent
    # would itself be rounded (or 0, below 1e-323).
    return f"e{exponent}: " + " ".join(
        str(round(Decimal(x).scaleb(-exponent))) if math.isfinite(x) else str(x)
        for x in a.ravel().tolist())


def quantum(a: np.ndarray) -> int:
    """The power of ten (its exponent) that ``a``'s numbers are rounded to:
    ``DIGITS`` significant digits of the largest finite magnitude in ``a``.

    Of the array, not of each number: training's rounding errors are about
    an ulp of the largest weights, so that a weight near 0 (a difference of
    two larger ones) is no more exact than they are, relative to them."""
    magnitudes = np.abs(a[np.isfinite(a)], dtype=np.float64)
    top = float(magnitudes.max()) if magnitudes.size else 0.0
    digits = DIGITS.get(a.dtype, DIGITS[DTYPES[0]])
    return (math.floor(math.log10(top)) if top > 0 else 0) - digits + 1


# ---- the probe -------------------------------------------------------------------


def dyadic(rng: np.random.Generator, shape: tuple, dtype=np.float64) -> np.ndarray:
    """Multiples of 1/8 in [-1, 1]: exact in either float type, and so are
    their products with the inputs and the sums of those, in any order.  An
    ``init`` for ``network.Network``."""
    return (rng.integers(-8, 9, size=shape) / 8).astype(dtype)


def _params(label: str, net) -> Numbers:
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        yield f"{label} weights[{l}]", w
        yield f"{label} biases[{l}]", b


def initializer_draws() -> Numbers:
    """Every registered scheme, drawn as a network draws it."""
    for name in sorted(initializers.names()):
        for dtype in DTYPES:
            for sizes in ([3, 5, 2], [4, 4]):
                label = f"init {name} {dtype} {sizes}"
                try:
                    net = network.Network(sizes, init=name, seed=SEED, dtype=dtype)
                except ValueError:  # a scheme for square layers only, say
                    yield label, "refused"
                    continue
                yield from _params(label, net)


def lsuv_draws() -> Numbers:
    """LSUV (Mishkin & Matas 2015) on a batch of eight inputs."""
    X = (dyadic(np.random.default_rng(SEED), (8, 4)) + 1) / 2  # multiples of 1/16 in [0, 1]
    for dtype in DTYPES:
        net = network.Network([4, 6, 3], init="orthogonal", seed=SEED, activation="tanh",
                              dtype=dtype)
        layers = initializers.lsuv(net, X.astype(dtype))
        yield f"lsuv {dtype} iterations", [layer.iterations for layer in layers]
        yield f"lsuv {dtype} variances", np.array([[layer.initial_variance, layer.variance]
                                                   for layer in layers], dtype=dtype)
        yield from _params(f"lsuv {dtype}", net)


def _tiny_data(n: int = 7, n_in: int = 3, n_out: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    return rng.integers(0, 9, size=(n, n_in)) / 8, rng.integers(0, n_out, size=n)


def training_runs() -> Numbers:
    """Two epochs of 7 examples at mini-batch size 3 (3 + 3 + 1) for every
    activation, cost and dtype, without and with L2.  float64 gives its final
    weights and biases and its costs; float32, whose last bits are a billion
    times noisier, its costs only (a change of its maths that mattered would
    show there)."""
    X, labels = _tiny_data()
    for activation in sorted(network.ACTIVATIONS):
        for cost in sorted(network.COSTS):
            for dtype in DTYPES:
                for lmbda in (0.0, 2.0):
                    net = network.Network([3, 4, 3], init=dyadic, seed=SEED, bias_init=dyadic,
                                          activation=activation, cost=cost, dtype=dtype)
                    history = net.SGD((X, labels), 2, 3, 0.5, lmbda=lmbda,
                                      monitor_training_cost=True, verbose=False)
                    label = f"train {activation} {cost} {dtype} lmbda={lmbda:g}"
                    if dtype == DTYPES[0]:
                        yield from _params(label, net)
                    for epoch, value in enumerate(history.training_cost):
                        yield f"{label} cost {epoch}", dtype.type(value)


def extremes() -> Numbers:
    """The activations, the output layers and the costs at weighted inputs
    ``EXTREMES``, number by number (each is rounded to its own digits): a
    hidden layer gets them through its weights (from an input of 1), the
    output layer through its biases (its weights are 0)."""
    X = np.ones((2, 1))
    for dtype in DTYPES:
        z = np.array(EXTREMES if dtype == DTYPES[0] else EXTREMES_FLOAT32, dtype=float)
        for activation in sorted(network.ACTIVATIONS):
            net = network.Network([1, len(z), 1], init="zeros", activation=activation,
                                  dtype=dtype)
            net.weights[0][:, 0] = z
            yield from _each(f"extremes {activation} {dtype}", net.forward(X)[1][1][0])
        for cost in sorted(network.COSTS):
            net = network.Network([1, 1, len(z)], init="zeros", cost=cost, dtype=dtype)
            net.biases[1][:, 0] = z
            data = (X.astype(dtype), np.array([0, len(z) - 1]))
            label = f"extremes {cost} {dtype}"
            yield from _each(f"{label} output", net.forward(X)[1][-1][0])
            yield f"{label} cost", dtype.type(net.total_cost(data))
            yield from _each(f"{label} gradient", net.gradient(data)[0][-1][:, 0])


def _each(label: str, values: np.ndarray) -> Numbers:
    for k, value in enumerate(values):
        yield f"{label}[{k}]", value


def network2_runs() -> Numbers:
    """The book's chapter 3: both initializations, then ``network2``'s SGD
    (cross-entropy, L2) from dyadic weights on the book's lists of ``(x, y)``."""
    net = network2.Network([3, 4, 3], seed=SEED)
    yield from _params("network2 default", net)
    net.large_weight_initializer()
    yield from _params("network2 large", net)
    rng = np.random.default_rng(SEED)
    net.weights = [dyadic(rng, w.shape) for w in net.weights]
    net.biases = [dyadic(rng, b.shape) for b in net.biases]
    X, labels = _tiny_data()
    training = [(x.reshape(-1, 1), np.eye(3)[j].reshape(-1, 1)) for x, j in zip(X, labels)]
    evaluation = [(x.reshape(-1, 1), int(j)) for x, j in zip(X[::-1], labels)]
    with contextlib.redirect_stdout(io.StringIO()):  # the book's printed lines
        monitored = net.SGD(training, 2, 3, 0.5, lmbda=2.0, evaluation_data=evaluation,
                            monitor_evaluation_cost=True, monitor_evaluation_accuracy=True,
                            monitor_training_cost=True, monitor_training_accuracy=True)
    yield from _params("network2 SGD", net)
    for name, values in zip(("evaluation cost", "evaluation accuracy", "training cost",
                             "training accuracy"), monitored):
        yield f"network2 SGD {name}", np.array(values)


def loader_scaling() -> Numbers:
    """Every pixel value 0-255 through ``mnist_loader.load_arrays``, from four
    tiny IDX files (unverified: they are not MNIST's)."""
    images = np.arange(256, dtype=np.uint8).reshape(4, 8, 8)
    labels = np.array([0, 3, 9, 7], dtype=np.uint8)
    with tempfile.TemporaryDirectory(prefix="nndl-provenance-") as tmp:
        for suffix in (".gz", ""):
            folder = Path(tmp) / (suffix.strip(".") or "plain")
            folder.mkdir()
            for name in mnist_loader.FILES:
                mnist_loader.write_idx(folder / (name + suffix),
                                       images if "-images-" in name else labels)
            for dtype in DTYPES:
                arrays = mnist_loader.load_arrays("mnist", folder, dtype=dtype, verify=False,
                                                  download=False, verbose=False)
                for part, value in arrays._asdict().items():
                    yield f"loader {suffix or 'plain'} {dtype} {part}", value


# ---- checking the claim: the probe's numbers on several CPU kernels ----------------


def dump(path: str) -> None:
    """Write the probe's numbers as JSON (floats exactly, via repr) with the
    BLAS kernel that computed them, for :func:`compare`."""
    from threadpoolctl import threadpool_info

    from nndl.files import write_atomic

    numbers = [(label, value if isinstance(value, str) else _exactly(np.asarray(value)))
               for label, value in probe()]
    kernels = [info.get("architecture") for info in threadpool_info()]
    data = {"fingerprint": fingerprint(), "kernels": kernels, "numbers": numbers}
    write_atomic(Path(path), lambda f: f.write(json.dumps(data).encode()))


def _exactly(a: np.ndarray) -> list:
    """``a``'s rounding quantum (0 for integers) and its numbers as float64."""
    return [quantum(a) if a.dtype.kind == "f" else 0, a.astype(float).ravel().tolist()]


def compare(paths: list[str]) -> str:
    """How far the numbers of several :func:`dump` files (one per kernel)
    are apart: the largest spread of a number in units of its rounding
    quantum, and the expected count of numbers that round differently."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    worst, expected = 0.0, 0.0
    for i, (_, value) in enumerate(runs[0]["numbers"]):
        if isinstance(value, str):
            continue
        for j in range(len(value[1])):
            others = [run["numbers"][i][1][1][j] for run in runs]
            if all(map(math.isfinite, others)):
                spread = (max(others) - min(others)) / 10.0 ** value[0]
                worst, expected = max(worst, spread), expected + spread
    lines = [f"{p}: {run['fingerprint']} ({', '.join(map(str, run['kernels']))})"
             for p, run in zip(paths, runs)]
    return "\n".join([*lines, f"largest spread: {worst:.2g} of a rounding quantum; numbers "
                                f"expected to round differently: {expected:.2g}"])


def main(argv: list[str] | None = None) -> None:
    """``python -m nndl.provenance``: print the fingerprint; ``--dump FILE``
    saves the probe's numbers, ``--compare FILE...`` compares saved ones.
    To check the fingerprint across kernels::

        python -m nndl.provenance --dump haswell.json
        env -u OPENBLAS_CORETYPE python -m nndl.provenance --dump skylakex.json
        OPENBLAS_CORETYPE=Sandybridge python -m nndl.provenance --dump sandy.json
        python -m nndl.provenance --compare haswell.json skylakex.json sandy.json
    """
    import argparse

    p = argparse.ArgumentParser(prog="python -m nndl.provenance",
                                description="The numerical fingerprint of this code.")
    p.add_argument("--dump", metavar="FILE", help="save the probe's numbers as JSON")
    p.add_argument("--compare", nargs="+", metavar="FILE", help="compare saved numbers")
    args = p.parse_args(argv)
    if args.dump:
        dump(args.dump)
    print(compare(args.compare) if args.compare else fingerprint())


if __name__ == "__main__":
    main()
