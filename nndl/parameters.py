"""nndl.parameters
~~~~~~~~~~~~~~~~~

The weights and biases: drawn at construction from a scheme of
:mod:`initializers`, and checked (number, shapes, dtype, no NaN or infinity,
and writable where they are trained) wherever they come from -- an ``init``
function, a file, or an assignment ``net.weights = ...`` between calls.
Every error names the parameter (``weights[0] contains NaN (first at [5,
7])``) and the fix.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

import initializers
from nndl.checks import listed


def initial(init, bias_init, rng: np.random.Generator, sizes: list[int], dtype
            ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The starting ``(biases, weights)`` for layers ``sizes``, drawn from
    ``rng`` biases first, then weights, in the book's order: ``biases[l]`` is
    ``(sizes[l+1], 1)``, ``weights[l]`` is ``(sizes[l+1], sizes[l])``."""
    draw_w, draw_b = draws(init, bias_init)
    shapes = list(zip(sizes[1:], sizes[:-1]))
    biases = [draw(draw_b, "bias_init", rng, (y, 1), dtype, f"biases[{l}]")
              for l, (y, _) in enumerate(shapes)]
    weights = [draw(draw_w, "init", rng, s, dtype, f"weights[{l}]")
               for l, s in enumerate(shapes)]
    return biases, weights


def draws(init, bias_init) -> tuple[Callable, Callable]:
    """The weight and bias draws ``f(rng, shape, dtype)`` for ``init`` (a
    scheme name or a function) and ``bias_init`` (None for the scheme's own,
    a scheme name, a finite number or a function)."""
    if isinstance(init, str):
        scheme = initializers.get(init)
        draw_w, draw_b = scheme.weights, scheme.biases
    elif callable(init):
        draw_w, draw_b = init, initializers.zeros
    else:
        raise TypeError(f"init must be a scheme name or a function, got {type(init).__name__}")
    if bias_init is None:
        return draw_w, draw_b
    if isinstance(bias_init, str):
        return draw_w, initializers.bias_draw(bias_init)
    if (isinstance(bias_init, numbers.Real) and not isinstance(bias_init, bool)
            and math.isfinite(bias_init)):
        return draw_w, lambda rng, shape, dtype: np.full(shape, bias_init, dtype=dtype)
    if callable(bias_init):
        return draw_w, bias_init
    raise TypeError(f"bias_init must be a scheme name, a finite number or a function, "
                    f"got {bias_init!r}")


# numpy's own draws, by name, and the scheme that makes the same draw with
# the network's generator: the usual first try is init=np.random.rand.
NUMPY_NAMES = {"rand": "rand", "random": "rand", "random_sample": "rand", "randn": "randn",
               "standard_normal": "randn", "zeros": "zeros"}


def draw(fn: Callable, arg: str, rng, shape: tuple, dtype, what: str) -> np.ndarray:
    """``fn(rng, shape, dtype)``, for ``what`` (``weights[0]``), checked.

    A function that cannot be called so (``np.random.rand``, whose arguments
    are the dimensions) or that returns another shape gets an error that says
    how ``init`` functions are called and which name to use instead."""
    name = getattr(fn, "__name__", repr(fn))
    how = _how_to_draw(name, arg, shape, dtype)
    try:
        a = fn(rng, shape, dtype)
    except TypeError as e:
        raise TypeError(f"{arg}={name} failed for {what}: {e}. {how}") from e
    try:
        a = np.asarray(a)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{arg}={name} for {what}: not an array of numbers ({e}). {how}") \
            from None
    if a.shape != tuple(shape):
        raise ValueError(f"{arg}={name} for {what}: expected shape {tuple(shape)}, got "
                         f"{a.shape}. {how}")
    return as_param(a, shape, dtype, f"{arg}={name}: {what}")


def _how_to_draw(name: str, arg: str, shape: tuple, dtype) -> str:
    """The sentence of a draw's error that says how ``arg`` functions are called."""
    how = (f"{arg} functions are called as f(rng, shape, dtype), here "
           f"f(Generator, {shape}, {np.dtype(dtype).name}), and return an array of that shape")
    if name in NUMPY_NAMES:
        how += (f"; numpy's {name} is {arg}={NUMPY_NAMES[name]!r} here (drawn from the "
                f"network's seeded generator)")
    else:
        how += f"; or use a scheme name: {', '.join(initializers.names())}"
    return how[0].upper() + how[1:]


def check(net, writable: bool = False) -> None:
    """``net``'s weights and biases may have been assigned or edited from
    elsewhere: check their number, shapes and finiteness, naming the layer
    (``weights[0] contains NaN``), and bring them to the network's dtype,
    storing the converted arrays back.  Reads each parameter once (about
    10 us for [784, 30, 10]).  With ``writable`` (the methods that train,
    which update the arrays in place) a read-only array is refused too."""
    if not isinstance(net.weights, list):
        net.weights = list(net.weights)  # a tuple, say: stored back as a list
    if not isinstance(net.biases, list):
        net.biases = list(net.biases)
    if len(net.weights) != net.num_layers - 1 or len(net.biases) != net.num_layers - 1:
        raise ValueError(f"expected {net.num_layers - 1} weight matrices and bias vectors, "
                         f"got {len(net.weights)} and {len(net.biases)}")
    for l, (y, x) in enumerate(zip(net.sizes[1:], net.sizes[:-1])):
        net.weights[l] = as_param(net.weights[l], (y, x), net.dtype, f"weights[{l}]",
                                  copy=False)
        net.biases[l] = as_param(net.biases[l], (y, 1), net.dtype, f"biases[{l}]", copy=False)
    if writable:
        _refuse_read_only(net)


def held(net) -> tuple[int, ...]:
    """Which lists and arrays ``net`` holds as its weights and biases (their
    ids): equal before and after a call that assigned none."""
    return (id(net.weights), id(net.biases), *map(id, net.weights), *map(id, net.biases))


def finite(net) -> bool:
    """Every weight and bias of ``net`` is a finite number."""
    return all(np.isfinite(p).all() for p in net.weights + net.biases)


def _refuse_read_only(net) -> None:
    """Refuse, naming each, the parameters that cannot be written: a read-only
    memory map, an array over ``bytes`` (``np.frombuffer``) or one whose
    ``flags.writeable`` is False.  Checked after the conversion to the
    network's dtype and layout, whose copies are writable."""
    frozen = [f"{kind}[{l}]" for kind in ("weights", "biases")
              for l, a in enumerate(getattr(net, kind)) if not a.flags.writeable]
    if frozen:
        fixes = "; ".join(f"net.{p} = net.{p}.copy()" for p in frozen)
        names = listed(frozen)
        raise ValueError(f"{names} {'is' if len(frozen) == 1 else 'are'} "
                         f"read-only (a read-only memory map, an array over bytes, or "
                         f"writeable=False), and training updates the weights and biases in "
                         f"place; give the network writable copies first: {fixes}")


def as_param(a, shape: tuple, dtype, what: str, copy: bool = True) -> np.ndarray:
    """``a`` as a C-ordered array of ``dtype``: refused, naming ``what``
    (``weights[0]``), unless it holds real numbers of shape ``shape``, all
    finite.  With ``copy=False`` an array that is already so is ``a`` itself,
    and then only its finiteness is read (the check every public method runs)."""
    ready = (not copy and type(a) is np.ndarray and a.dtype == dtype and a.shape == shape
             and a.flags.c_contiguous)
    out = a if ready else _converted(a, shape, dtype, what, copy)
    if not np.isfinite(out).all():  # parameters are small: the plain check is fastest
        _refuse_non_finite(np.asarray(a), out, what)
    return out


def _converted(a, shape: tuple, dtype, what: str, copy: bool) -> np.ndarray:
    try:
        raw = np.asarray(a)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{what}: not an array of numbers ({e})") from None
    if raw.dtype.kind not in "biuf":
        raise ValueError(f"{what}: expected real numbers, got an array of dtype {raw.dtype}")
    if raw.shape != tuple(shape):
        raise ValueError(f"{what}: expected shape {tuple(shape)}, got {raw.shape}")
    with np.errstate(over="ignore"):  # float64 beyond float32's range: reported after
        return np.array(raw, dtype=dtype, order="C", copy=True if copy else None)


def _refuse_non_finite(raw: np.ndarray, out: np.ndarray, what: str):
    """The error for a parameter with NaN or infinity: which, and where first."""
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
    value = raw[index]
    if np.isnan(value):
        problem = "contains NaN"
    elif np.isinf(value):
        problem = "contains infinity"
    else:
        problem = f"contains {value:g}, beyond the range of {out.dtype}"
    raise ValueError(f"{what} {problem} (first at {list(index)}): weights and biases must be "
                     f"finite numbers; set them again (if training diverged, lower eta)")
